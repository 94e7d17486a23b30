package bot

import (
	"context"
	"sync"
	"time"
)

// pacer spaces requests evenly below Discord's global limit, so DM traffic rarely meets a
// 429 at all. Slots are handed out in call order, which keeps delivery in due order.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newPacer(perSecond int) *pacer {
	return &pacer{interval: time.Second / time.Duration(perSecond)}
}

// Wait blocks until the caller's slot, or until ctx ends.
func (p *pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	slot := p.next
	if slot.Before(now) {
		slot = now
	}
	p.next = slot.Add(p.interval)
	p.mu.Unlock()
	d := time.Until(slot)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pause holds every later slot until the given time (after a global 429).
func (p *pacer) Pause(until time.Time) {
	p.mu.Lock()
	if until.After(p.next) {
		p.next = until
	}
	p.mu.Unlock()
}
