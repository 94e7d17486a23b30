package discordtest

import (
	"slices"
	"sync"
	"time"
)

// Clock is the one test clock: it moves only when a test moves it. It serves as the
// stand-in's Options.Now and as the bot's clock (bot.Clock), timers included: a timer set
// on it fires when Advance moves the clock past its deadline, never in real time.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*clockTimer // pending, in no particular order
}

// NewClock is a Clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d, firing, in deadline order, every timer due by then.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	to := c.now.Add(d)
	c.mu.Unlock()
	c.AdvanceTo(to)
}

// AdvanceTo moves the clock forward to t (never back), firing every timer due by then,
// earliest first, each with the clock at its deadline.
func (c *Clock) AdvanceTo(t time.Time) {
	for {
		c.mu.Lock()
		next := c.earliestLocked()
		if next == nil || next.at.After(t) {
			if t.After(c.now) {
				c.now = t
			}
			c.mu.Unlock()
			return
		}
		c.removeLocked(next)
		if next.at.After(c.now) {
			c.now = next.at
		}
		c.mu.Unlock()
		next.fire(next.at)
	}
}

// NextTimer is the deadline of the earliest pending timer, if there is one.
func (c *Clock) NextTimer() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.earliestLocked(); t != nil {
		return t.at, true
	}
	return time.Time{}, false
}

// NewTimer delivers the clock's time on the channel once the clock has moved d; a timer
// for no time at all fires at once.
func (c *Clock) NewTimer(d time.Duration) (<-chan time.Time, interface{ Stop() bool }) {
	ch := make(chan time.Time, 1)
	t := c.add(d, func(now time.Time) { ch <- now })
	return ch, t
}

// AfterFunc runs f in its own goroutine once the clock has moved d.
func (c *Clock) AfterFunc(d time.Duration, f func()) interface{ Stop() bool } {
	return c.add(d, func(time.Time) { go f() })
}

func (c *Clock) add(d time.Duration, fire func(time.Time)) *clockTimer {
	c.mu.Lock()
	t := &clockTimer{c: c, at: c.now.Add(d), fire: fire}
	if d <= 0 {
		now := c.now
		c.mu.Unlock()
		fire(now)
		return t
	}
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	return t
}

func (c *Clock) earliestLocked() *clockTimer {
	if len(c.timers) == 0 {
		return nil
	}
	return slices.MinFunc(c.timers, func(a, b *clockTimer) int { return a.at.Compare(b.at) })
}

// removeLocked takes t off the pending list and reports whether it was there.
func (c *Clock) removeLocked(t *clockTimer) bool {
	i := slices.Index(c.timers, t)
	if i < 0 {
		return false
	}
	c.timers = slices.Delete(c.timers, i, i+1)
	return true
}

type clockTimer struct {
	c    *Clock
	at   time.Time
	fire func(now time.Time)
}

// Stop cancels the timer and reports whether it had not fired yet.
func (t *clockTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.c.removeLocked(t)
}
