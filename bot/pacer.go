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
func (p *pacer) Wait(ctx context.Context) error { return waitUntil(ctx, p.Reserve()) }

// Reserve hands out the next send slot without waiting for it: the delivery loop reserves
// slots in due order as it hands check-ins to its workers, so they send in that order.
func (p *pacer) Reserve() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	slot := p.next
	if now := time.Now(); slot.Before(now) {
		slot = now
	}
	p.next = slot.Add(p.interval)
	return slot
}

// waitUntil blocks until t, or until ctx ends.
func waitUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
