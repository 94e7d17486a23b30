package storage

import (
	"context"
	"time"
)

// CancelBetween cancels every check-in between a and b, both ways, that is not delivered
// yet (pending or being sent), and returns how many. A worker sending one re-checks just
// before it posts, and deletes a DM that went out anyway when MarkSent finds it cancelled.
func (db *DB) CancelBetween(ctx context.Context, a, b string, now time.Time) (int, error) {
	var n int
	err := db.inTx(ctx, "cancel check-ins between two users", func(tx *sqlTx) error {
		var err error
		n, err = cancelBetween(ctx, tx, a, b, now)
		return err
	})
	return n, err
}
