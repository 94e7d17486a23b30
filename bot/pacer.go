package bot

import (
	"context"
	"sync"
	"time"
)

// pacer spaces requests evenly below Discord's global limit, so DM traffic rarely meets a
// 429 at all. Slots are handed out in call order, which keeps delivery in due order.
type pacer struct {
	clock    Clock
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newPacer(perSecond int, clock Clock) *pacer {
	return &pacer{clock: clock, interval: time.Second / time.Duration(perSecond)}
}

// Wait blocks until the caller's slot, or until ctx ends.
func (p *pacer) Wait(ctx context.Context) error { return p.WaitUntil(ctx, p.Reserve()) }

// Reserve hands out the next send slot without waiting for it: the delivery loop reserves
// slots in due order as it hands check-ins to its workers, so they send in that order.
func (p *pacer) Reserve() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	slot := p.next
	if now := p.clock.Now(); slot.Before(now) {
		slot = now
	}
	p.next = slot.Add(p.interval)
	return slot
}

// WaitUntil blocks until the pacer's clock reaches slot, or until ctx ends.
func (p *pacer) WaitUntil(ctx context.Context, slot time.Time) error {
	d := slot.Sub(p.clock.Now())
	if d <= 0 {
		return ctx.Err()
	}
	sleepCtx(ctx, p.clock, d)
	return ctx.Err()
}
