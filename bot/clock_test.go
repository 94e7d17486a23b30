package bot

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// The pacer hands out slots and waits for them on the bot's clock: a slot comes when the
// clock reaches it, however much real time passes.
func TestPacerWaitsOnTheBotsClock(t *testing.T) {
	clock := dt.NewClock(time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC))
	start := clock.Now()
	p := newPacer(10, clock)
	for i, want := range []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond} {
		if got := p.Reserve().Sub(start); got != want {
			t.Fatalf("slot %d at +%v, want +%v", i, got, want)
		}
	}
	waited := make(chan error, 1)
	go func() { waited <- p.WaitUntil(context.Background(), start.Add(200*time.Millisecond)) }()
	select {
	case err := <-waited:
		t.Fatalf("the wait for a slot 200 ms ahead ended (%v) before the clock moved", err)
	case <-time.After(300 * time.Millisecond): // longer than the wait on the wall clock
	}
	clock.Advance(200 * time.Millisecond)
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
}

// A refused outcome write is tried again after a backoff on the bot's clock.
func TestRecordRetriesAfterABackoffOnTheBotsClock(t *testing.T) {
	b := newDispatchBot(t, &restRecorder{}, &bytes.Buffer{})
	clock := dt.NewClock(time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)) // moved only here
	b.clock, b.retryBase = clock, time.Second
	d := b.delivery
	var attempts []time.Time
	done := make(chan error, 1)
	go func() {
		done <- d.record(context.Background(), d.log, "record", func(context.Context) error {
			attempts = append(attempts, clock.Now())
			if len(attempts) < 3 {
				return errors.New("database is locked")
			}
			return nil
		})
	}()
	for range 2 {
		dt.Eventually(5*time.Second, func() bool { _, ok := clock.NextTimer(); return ok })
		at, ok := clock.NextTimer()
		if !ok {
			t.Fatal("no backoff waits on the bot's clock")
		}
		clock.AdvanceTo(at)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(attempts) != 3 || attempts[1].Sub(attempts[0]) != time.Second || attempts[2].Sub(attempts[1]) != 2*time.Second {
		t.Fatalf("attempts at %v, want 1 s then 2 s apart on the clock", attempts)
	}
}
