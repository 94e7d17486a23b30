package storage

import (
	"context"
	"fmt"
	"time"
)

// Export is every row that names one user, for the privacy export.
type Export struct {
	UserID   string        `json:"user_id"`
	Settings *UserSettings `json:"settings,omitempty"` // nil when never saved
	Plan     *Plan         `json:"plan,omitempty"`     // nil when there is none
	Partners []Partner     `json:"partners"`
	// Invitations still stored, expired or not.
	InvitationsSent     []Invitation `json:"invitations_sent"`
	InvitationsReceived []Invitation `json:"invitations_received"`
	// InvitationsCreated are the times of invitations the user created, kept for the daily limit.
	InvitationsCreated []time.Time      `json:"invitations_created"`
	Blocks             []BlockForExport `json:"blocks"` // blocks the user set
	// Cooldowns are when the invitation cooldowns the user set (by declining or removing
	// someone) end; the other person is stored only as a keyed hash.
	Cooldowns []time.Time `json:"invitation_cooldowns"`
	// CheckInsSent carry the user's notes and the answers and words the recipients gave.
	CheckInsSent []CheckIn `json:"checkins_sent"`
	// CheckInsReceived carry the user's own answers; a sender's note appears once delivered.
	CheckInsReceived []CheckIn `json:"checkins_received"`
	// RelayDMs are the DMs in which Afterglow told the user an answer to their check-ins,
	// kept so that deleting their data deletes those DMs too.
	RelayDMs []MessageRef `json:"relay_dms"`
}

// BlockForExport is a block the user set. The blocked person is stored only as a keyed hash.
type BlockForExport struct {
	Blocked string    `json:"blocked"` // always "hashed"
	Since   time.Time `json:"since"`
}

// UserCounts says how many rows name a user, for the privacy summary.
type UserCounts struct {
	Settings            bool `json:"settings"`
	Plan                bool `json:"plan"`
	Partners            int  `json:"partners"`
	InvitationsSent     int  `json:"invitations_sent"`
	InvitationsReceived int  `json:"invitations_received"`
	InvitationLog       int  `json:"invitation_log"`
	Blocks              int  `json:"blocks"`
	Cooldowns           int  `json:"invitation_cooldowns"`
	CheckInsSent        int  `json:"checkins_sent"`
	CheckInsReceived    int  `json:"checkins_received"`
}

// Export gathers every row naming userID, read in one transaction so it is consistent.
func (db *DB) Export(ctx context.Context, userID string) (Export, error) {
	out := Export{UserID: userID}
	err := db.inTx(ctx, "export user data", func(tx *sqlTx) error {
		var counts UserCounts
		if err := countRows(ctx, tx, userID, &counts); err != nil {
			return err
		}
		if counts.Settings {
			s, err := userSettings(ctx, tx, userID)
			if err != nil {
				return err
			}
			out.Settings = &s
		}
		p, ok, err := readPlan(ctx, tx, db.crypt, userID)
		if err != nil {
			return err
		}
		if ok {
			out.Plan = &p
		}
		if out.Partners, err = partnersOf(ctx, tx, userID); err != nil {
			return err
		}
		if out.InvitationsSent, err = queryInvitations(ctx, tx, "inviter_id = ?", userID); err != nil {
			return err
		}
		if out.InvitationsReceived, err = queryInvitations(ctx, tx, receivedWhere, userID); err != nil {
			return err
		}
		if out.InvitationsCreated, err = queryTimes(ctx, tx, "SELECT created_at FROM invitation_log WHERE inviter_id = ? ORDER BY created_at", userID); err != nil {
			return err
		}
		blockTimes, err := queryTimes(ctx, tx, "SELECT created_at FROM blocks WHERE blocker_id = ? ORDER BY created_at", userID)
		if err != nil {
			return err
		}
		for _, t := range blockTimes {
			out.Blocks = append(out.Blocks, BlockForExport{Blocked: "hashed", Since: t})
		}
		if out.Cooldowns, err = queryTimes(ctx, tx, "SELECT until FROM invite_cooldowns WHERE setter_id = ? ORDER BY until", userID); err != nil {
			return err
		}
		if out.CheckInsSent, err = db.queryCheckIns(ctx, tx, "sender_id = ? ORDER BY id", userID); err != nil {
			return err
		}
		if out.CheckInsReceived, err = db.queryCheckIns(ctx, tx, "recipient_id = ? ORDER BY id", userID); err != nil {
			return err
		}
		if out.RelayDMs, err = queryMessageRefs(ctx, tx, relaysToSQL+" ORDER BY length(r.message_id), r.message_id", userID); err != nil {
			return err
		}
		for i := range out.CheckInsReceived {
			// The note is the sender's until it reaches the recipient.
			if c := &out.CheckInsReceived[i]; c.SentAt.IsZero() && c.SenderID != userID {
				c.Note = ""
			}
		}
		return nil
	})
	if err != nil {
		return Export{}, err
	}
	return out, nil
}

func queryTimes(ctx context.Context, q querier, query string, args ...any) ([]time.Time, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var ms int64
		if err := rows.Scan(&ms); err != nil {
			return nil, err
		}
		out = append(out, fromMillis(ms))
	}
	return out, rows.Err()
}

// Counts says how many rows name userID.
func (db *DB) Counts(ctx context.Context, userID string) (UserCounts, error) {
	var c UserCounts
	if err := countRows(ctx, db.sql, userID, &c); err != nil {
		return UserCounts{}, fmt.Errorf("count user data: %w", err)
	}
	return c, nil
}

func countRows(ctx context.Context, q querier, userID string, c *UserCounts) error {
	var settings, plan int
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM user_settings WHERE user_id = ?1),
		(SELECT count(*) FROM plans WHERE user_id = ?1),
		(SELECT count(*) FROM partners WHERE user_lo = ?1 OR user_hi = ?1),
		(SELECT count(*) FROM invitations WHERE inviter_id = ?1),
		(SELECT count(*) FROM invitations WHERE invitee_id = ?1 AND hidden = 0),
		(SELECT count(*) FROM invitation_log WHERE inviter_id = ?1),
		(SELECT count(*) FROM blocks WHERE blocker_id = ?1),
		(SELECT count(*) FROM invite_cooldowns WHERE setter_id = ?1),
		(SELECT count(*) FROM checkins WHERE sender_id = ?1),
		(SELECT count(*) FROM checkins WHERE recipient_id = ?1)`, userID).Scan(
		&settings, &plan, &c.Partners, &c.InvitationsSent, &c.InvitationsReceived, &c.InvitationLog,
		&c.Blocks, &c.Cooldowns, &c.CheckInsSent, &c.CheckInsReceived)
	c.Settings, c.Plan = settings > 0, plan > 0
	return err
}

// userRows are the statements deleting every row that names a user (?1). Blocks others set
// against the user are not among them: they hold only a hash and must outlive the user.
var userRows = []string{
	"DELETE FROM user_settings WHERE user_id = ?1",
	"DELETE FROM plans WHERE user_id = ?1",
	"DELETE FROM partners WHERE user_lo = ?1 OR user_hi = ?1",
	"DELETE FROM invitations WHERE inviter_id = ?1 OR invitee_id = ?1",
	"DELETE FROM invitation_log WHERE inviter_id = ?1",
	"DELETE FROM blocks WHERE blocker_id = ?1",
	"DELETE FROM invite_cooldowns WHERE setter_id = ?1",
	"DELETE FROM checkins WHERE sender_id = ?1 OR recipient_id = ?1",
}

// DeleteUser removes every row that names userID, in one transaction, then checkpoints so
// that the deleted rows leave the write-ahead log too (secure_delete zeroes them in the
// database file). A checkpoint that cannot finish is an error, after the rows are gone.
func (db *DB) DeleteUser(ctx context.Context, userID string) error {
	err := db.inTx(ctx, "delete user data", func(tx *sqlTx) error {
		for _, stmt := range userRows {
			if _, err := tx.ExecContext(ctx, stmt, userID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := db.checkpoint(ctx); err != nil {
		return fmt.Errorf("delete user data: the rows are deleted, but %w", err)
	}
	return nil
}

// invitationLogKeep is how long the invitation log keeps a row: the daily limit counts 24 h.
const invitationLogKeep = 24 * time.Hour

// Purge deletes what is no longer needed once keep has passed since its last change:
// finished check-ins (sent but unanswered, answered, failed, undeliverable, cancelled,
// dropped) and expired invitations. It also trims the invitation log to the day the daily
// limit needs, whatever keep is, and deletes ended invitation cooldowns. When anything went,
// it then checkpoints, so that it leaves the write-ahead log too. It returns how many
// check-ins and invitations went.
func (db *DB) Purge(ctx context.Context, now time.Time, keep time.Duration) (int, error) {
	cutoff := millis(now.Add(-keep))
	logCutoff := millis(now.Add(-invitationLogKeep))
	var purged, logRows int64
	err := db.inTx(ctx, "purge old rows", func(tx *sqlTx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM checkins WHERE status IN (?, ?, ?, ?, ?, ?) AND updated_at < ?",
			StatusSent, StatusAnswered, StatusFailed, StatusUndeliverable, StatusCancelled, StatusDropped, cutoff)
		if err != nil {
			return err
		}
		checkIns, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if res, err = tx.ExecContext(ctx, "DELETE FROM invitations WHERE expires_at < ?", cutoff); err != nil {
			return err
		}
		invitations, err := res.RowsAffected()
		if err != nil {
			return err
		}
		purged = checkIns + invitations
		if err := purgeCooldowns(ctx, tx, now); err != nil {
			return err
		}
		if res, err = tx.ExecContext(ctx, "DELETE FROM invitation_log WHERE created_at < ?", logCutoff); err != nil {
			return err
		}
		logRows, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	if purged+logRows == 0 {
		return 0, nil // nothing went: nothing to clear from the log
	}
	if err := db.checkpoint(ctx); err != nil {
		return int(purged), fmt.Errorf("purge old rows: the rows are deleted, but %w", err)
	}
	return int(purged), nil
}
