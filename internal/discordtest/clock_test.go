package discordtest

import (
	"testing"
	"time"
)

// Timers fire when Advance passes their deadline, earliest first, with the clock at each
// deadline; a stopped timer never fires.
func TestClockFiresTimersOnlyWhenMoved(t *testing.T) {
	c := NewClock(time.Date(2025, 3, 1, 20, 0, 0, 0, time.UTC))
	start := c.Now()
	late, _ := c.NewTimer(2 * time.Second)
	early, _ := c.NewTimer(time.Second)
	_, stopped := c.NewTimer(time.Second)
	ran := make(chan time.Time, 1)
	c.AfterFunc(1500*time.Millisecond, func() { ran <- c.Now() })
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop reports whether it stopped a pending timer")
	}
	if at, ok := c.NextTimer(); !ok || !at.Equal(start.Add(time.Second)) {
		t.Fatalf("next timer %v %v", at, ok)
	}
	c.Advance(999 * time.Millisecond)
	select {
	case <-early:
		t.Fatal("fired before its time")
	default:
	}
	c.Advance(5 * time.Second)
	if got := (<-early).Sub(start); got != time.Second {
		t.Fatalf("early fired at +%v", got)
	}
	if got := (<-late).Sub(start); got != 2*time.Second {
		t.Fatalf("late fired at +%v", got)
	}
	if got := (<-ran).Sub(start); got < 1500*time.Millisecond {
		t.Fatalf("AfterFunc ran at +%v", got)
	}
	if _, ok := c.NextTimer(); ok || !c.Now().Equal(start.Add(5999*time.Millisecond)) {
		t.Fatalf("pending timers left, or the clock at %v", c.Now())
	}
	if now, _ := c.NewTimer(0); !(<-now).Equal(c.Now()) {
		t.Fatal("a timer for no time fires at once")
	}
}
