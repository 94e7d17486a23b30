package storage

import (
	"context"
	"time"
)

// EndedUser counts what EndUser ended.
type EndedUser struct {
	Partners int // partner links removed
	CheckIns int // undelivered check-ins cancelled
}

// EndUser ends everything that would reach userID, or go out in their name, for someone
// who removed the app: every partner link (each former partner kept from inviting them
// again for InviteCooldown, as after /partner remove), every invitation to or from them,
// and every check-in to or from them not delivered yet (pending or being sent: a worker
// re-checks before it posts, as for CancelBetween). It tells no one; doing it twice is
// harmless.
func (db *DB) EndUser(ctx context.Context, userID string, now time.Time) (EndedUser, error) {
	var ended EndedUser
	err := db.inTx(ctx, "end a user's links", func(tx *sqlTx) error {
		partners, err := partnersOf(ctx, tx, userID)
		if err != nil {
			return err
		}
		for _, p := range partners {
			removed, err := unlink(ctx, tx, userID, p.UserID)
			if err != nil {
				return err
			}
			if removed {
				ended.Partners++
				if err := startCooldown(ctx, tx, db.crypt, userID, p.UserID, now); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM invitations WHERE inviter_id = ? OR invitee_id = ?", userID, userID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE checkins SET status = ?, lease_until = 0, updated_at = ?
			WHERE (sender_id = ? OR recipient_id = ?) AND status IN (?, ?)`,
			StatusCancelled, millis(now), userID, userID, StatusPending, StatusSending)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ended.CheckIns = int(n)
		return err
	})
	return ended, err
}
