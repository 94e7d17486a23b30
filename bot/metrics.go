package bot

import (
	"sync/atomic"

	"github.com/afterglow-bot/afterglow/storage"
)

// metrics counts what the bot does, for logs and the health endpoint. No user id or text.
type metrics struct {
	checkinsSent          atomic.Int64
	checkinsUndeliverable atomic.Int64
	checkinsFailed        atomic.Int64
	checkinsDropped       atomic.Int64
	rateLimits            atomic.Int64
}

func (m *metrics) sent()        { m.checkinsSent.Add(1) }
func (m *metrics) rateLimited() { m.rateLimits.Add(1) }

func (m *metrics) notDelivered(s storage.CheckInStatus) {
	switch s {
	case storage.StatusUndeliverable:
		m.checkinsUndeliverable.Add(1)
	case storage.StatusFailed:
		m.checkinsFailed.Add(1)
	case storage.StatusDropped:
		m.checkinsDropped.Add(1)
	}
}
