package bot

import (
	"context"
	"time"
)

// Clock is the time the bot reads and every wait it schedules: deferring a slow
// interaction, pacing DMs, backing off a failed write, sleeping until the next check-in is
// due, purging. Production runs on RealClock; tests run on discordtest.Clock, which moves
// only when the test moves it, so that no test waits in real time for the bot's schedule.
//
// Its methods use only the standard library's types and Timer (an alias of an unnamed
// interface), so that a clock in another package satisfies it without importing bot.
type Clock interface {
	Now() time.Time
	// NewTimer delivers the time on the channel once d has passed.
	NewTimer(d time.Duration) (<-chan time.Time, Timer)
	// AfterFunc runs f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending wait; Stop cancels it and reports whether it had not yet fired.
type Timer = interface{ Stop() bool }

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time { return time.Now() }

func (RealClock) NewTimer(d time.Duration) (<-chan time.Time, Timer) {
	t := time.NewTimer(d)
	return t.C, t
}

func (RealClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// sleepCtx waits on clock for d, or less when ctx ends first; it reports whether ctx is
// still going.
func sleepCtx(ctx context.Context, clock Clock, d time.Duration) bool {
	c, t := clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-c:
		return true
	case <-ctx.Done():
		return false
	}
}
