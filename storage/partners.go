package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Invitation is a pending request from InviterID to become InviteeID's partner.
type Invitation struct {
	ID        int64     `json:"id"`
	InviterID string    `json:"inviter_id"`
	InviteeID string    `json:"invitee_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Hidden marks a refused invitation: it exists for its inviter alone, never for the
	// invitee. It is left out of JSON so that the inviter's export cannot tell either.
	Hidden bool `json:"-"`
}

// InviteCooldown is how long someone who was declined or removed may not invite the person
// who declined or removed them.
const InviteCooldown = 7 * 24 * time.Hour

// Partner is one end of a partner link, seen from the other end.
type Partner struct {
	UserID string    `json:"user_id"`
	Since  time.Time `json:"since"`
}

const invitationColumns = "id, inviter_id, invitee_id, created_at, expires_at, hidden"

// receivedWhere selects the invitations userID (?) received: hidden ones exist only for their
// inviter, so an invitee's view, export and summary never include them.
const receivedWhere = "invitee_id = ? AND hidden = 0"

func scanInvitation(row interface{ Scan(...any) error }) (Invitation, error) {
	var inv Invitation
	var created, expires int64
	if err := row.Scan(&inv.ID, &inv.InviterID, &inv.InviteeID, &created, &expires, &inv.Hidden); err != nil {
		return Invitation{}, err
	}
	inv.CreatedAt, inv.ExpiresAt = fromMillis(created), fromMillis(expires)
	return inv, nil
}

func queryInvitations(ctx context.Context, q querier, where string, args ...any) ([]Invitation, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+invitationColumns+" FROM invitations WHERE "+where+" ORDER BY created_at, id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// CreateInvitation records an invitation from inviterID to inviteeID that expires after ttl.
// It fails with ErrAlreadyPartners, ErrInvitePending (either direction, counting the
// inviter's hidden invitations but not the invitee's), ErrInviteLimit (the inviter created
// dailyLimit invitations in the 24 h before now; dailyLimit <= 0 means no limit), checked in
// that order. When the invitee blocked the inviter, turned invitations off, or declined or
// removed the inviter less than InviteCooldown ago, it stores and returns a hidden
// invitation together with ErrInviteRefused: it is pending, listed, counted and withdrawn
// like any other for the inviter, so that a refusal cannot be told from closed DMs.
func (db *DB) CreateInvitation(ctx context.Context, inviterID, inviteeID string, now time.Time, ttl time.Duration, dailyLimit int) (Invitation, error) {
	inv := Invitation{InviterID: inviterID, InviteeID: inviteeID, CreatedAt: now.UTC(), ExpiresAt: now.Add(ttl).UTC()}
	err := db.inTx(ctx, "create invitation", func(tx *sqlTx) error {
		if inviterID == inviteeID {
			return errSelfRelationship
		}
		partners, err := arePartners(ctx, tx, inviterID, inviteeID)
		if err != nil {
			return err
		}
		if partners {
			return ErrAlreadyPartners
		}
		var pending int
		err = tx.QueryRowContext(ctx, `SELECT count(*) FROM invitations
			WHERE ((inviter_id = ? AND invitee_id = ?) OR (inviter_id = ? AND invitee_id = ? AND hidden = 0)) AND expires_at > ?`,
			inviterID, inviteeID, inviteeID, inviterID, millis(now)).Scan(&pending)
		if err != nil {
			return err
		}
		if pending > 0 {
			return ErrInvitePending
		}
		if dailyLimit > 0 {
			var created int
			err = tx.QueryRowContext(ctx, "SELECT count(*) FROM invitation_log WHERE inviter_id = ? AND created_at > ?",
				inviterID, millis(now.Add(-24*time.Hour))).Scan(&created)
			if err != nil {
				return err
			}
			if created >= dailyLimit {
				return ErrInviteLimit
			}
		}
		if inv.Hidden, err = refuses(ctx, tx, db.crypt, inviteeID, inviterID, now); err != nil {
			return err
		}
		// Expired leftovers between the two would only confuse later lookups. An unexpired one
		// left here is the invitee's hidden invitation, which this one replaces.
		if _, err := tx.ExecContext(ctx, `DELETE FROM invitations
			WHERE (inviter_id = ? AND invitee_id = ?) OR (inviter_id = ? AND invitee_id = ?)`,
			inviterID, inviteeID, inviteeID, inviterID); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, "INSERT INTO invitations (inviter_id, invitee_id, created_at, expires_at, hidden) VALUES (?, ?, ?, ?, ?) RETURNING id",
			inviterID, inviteeID, millis(inv.CreatedAt), millis(inv.ExpiresAt), boolInt(inv.Hidden)).Scan(&inv.ID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO invitation_log (inviter_id, created_at) VALUES (?, ?)", inviterID, millis(now))
		return err
	})
	if err != nil {
		return Invitation{}, err
	}
	if inv.Hidden {
		return inv, ErrInviteRefused
	}
	return inv, nil
}

// refuses says whether userID would refuse an invitation from otherID: a block, invitations
// turned off, or a cooldown userID set on otherID that still runs at now.
func refuses(ctx context.Context, q querier, crypt *sealer, userID, otherID string, now time.Time) (bool, error) {
	blocked, err := isBlocked(ctx, q, crypt, userID, otherID)
	if err != nil || blocked {
		return blocked, err
	}
	settings, err := userSettings(ctx, q, userID)
	if err != nil || settings.InvitesOff {
		return settings.InvitesOff, err
	}
	var cooling int
	err = q.QueryRowContext(ctx, "SELECT count(*) FROM invite_cooldowns WHERE setter_id = ? AND target_hash = ? AND until > ?",
		userID, crypt.blockHash(otherID), millis(now)).Scan(&cooling)
	return cooling > 0, err
}

// startCooldown keeps otherID from inviting setterID for InviteCooldown from now.
func startCooldown(ctx context.Context, tx *sqlTx, crypt *sealer, setterID, otherID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO invite_cooldowns (setter_id, target_hash, until) VALUES (?, ?, ?)
		ON CONFLICT (setter_id, target_hash) DO UPDATE SET until = excluded.until`, setterID, crypt.blockHash(otherID), millis(now.Add(InviteCooldown)))
	return err
}

// purgeCooldowns deletes the cooldowns that ended by now.
func purgeCooldowns(ctx context.Context, tx *sqlTx, now time.Time) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM invite_cooldowns WHERE until <= ?", millis(now))
	return err
}

// Invitation returns the invitation with id, expired or not; ErrNotFound when there is none.
func (db *DB) Invitation(ctx context.Context, id int64) (Invitation, error) {
	inv, err := scanInvitation(db.sql.QueryRowContext(ctx, "SELECT "+invitationColumns+" FROM invitations WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Invitation{}, fmt.Errorf("read invitation %d: %w", id, err)
	}
	return inv, nil
}

// InvitationsTo lists the unexpired invitations userID has received, oldest first.
func (db *DB) InvitationsTo(ctx context.Context, userID string, now time.Time) ([]Invitation, error) {
	invs, err := queryInvitations(ctx, db.sql, receivedWhere+" AND expires_at > ?", userID, millis(now))
	if err != nil {
		return nil, fmt.Errorf("list invitations to a user: %w", err)
	}
	return invs, nil
}

// InvitationsFrom lists the unexpired invitations userID has sent, oldest first.
func (db *DB) InvitationsFrom(ctx context.Context, userID string, now time.Time) ([]Invitation, error) {
	invs, err := queryInvitations(ctx, db.sql, "inviter_id = ? AND expires_at > ?", userID, millis(now))
	if err != nil {
		return nil, fmt.Errorf("list invitations from a user: %w", err)
	}
	return invs, nil
}

// takeInvitation deletes invitation id if who (receivedWhere, or "inviter_id = ?") selects
// userID and it has not expired, returning it; ErrNotFound or ErrExpired otherwise.
func takeInvitation(ctx context.Context, tx *sqlTx, id int64, who, userID string, now time.Time) (Invitation, error) {
	inv, err := scanInvitation(tx.QueryRowContext(ctx,
		"SELECT "+invitationColumns+" FROM invitations WHERE id = ? AND "+who, id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Invitation{}, ErrNotFound
	}
	if err != nil {
		return Invitation{}, err
	}
	if !inv.ExpiresAt.After(now) {
		return Invitation{}, ErrExpired
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM invitations WHERE id = ?", id); err != nil {
		return Invitation{}, err
	}
	return inv, nil
}

// AcceptInvitation links the invitee (who must be inviteeID) with the inviter and removes the
// invitation. ErrNotFound if it is gone or not theirs, ErrExpired if it ran out.
func (db *DB) AcceptInvitation(ctx context.Context, id int64, inviteeID string, now time.Time) (Invitation, error) {
	var inv Invitation
	err := db.inTx(ctx, fmt.Sprintf("accept invitation %d", id), func(tx *sqlTx) error {
		var err error
		if inv, err = takeInvitation(ctx, tx, id, receivedWhere, inviteeID, now); err != nil {
			return err
		}
		lo, hi := pairOrder(inv.InviterID, inv.InviteeID)
		_, err = tx.ExecContext(ctx, "INSERT INTO partners (user_lo, user_hi, since) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			lo, hi, millis(now))
		return err
	})
	if err != nil {
		return Invitation{}, err
	}
	return inv, nil
}

// DeclineInvitation removes an invitation sent to inviteeID and keeps its inviter from
// inviting them again for InviteCooldown. ErrNotFound if it is gone or not theirs,
// ErrExpired if it ran out.
func (db *DB) DeclineInvitation(ctx context.Context, id int64, inviteeID string, now time.Time) error {
	return db.inTx(ctx, fmt.Sprintf("decline invitation %d", id), func(tx *sqlTx) error {
		inv, err := takeInvitation(ctx, tx, id, receivedWhere, inviteeID, now)
		if err != nil {
			return err
		}
		return startCooldown(ctx, tx, db.crypt, inviteeID, inv.InviterID, now)
	})
}

// WithdrawInvitation removes an invitation sent by inviterID. ErrNotFound if it is gone or
// not theirs, ErrExpired if it ran out.
func (db *DB) WithdrawInvitation(ctx context.Context, id int64, inviterID string, now time.Time) error {
	return db.inTx(ctx, fmt.Sprintf("withdraw invitation %d", id), func(tx *sqlTx) error {
		_, err := takeInvitation(ctx, tx, id, "inviter_id = ?", inviterID, now)
		return err
	})
}

func arePartners(ctx context.Context, q querier, a, b string) (bool, error) {
	lo, hi := pairOrder(a, b)
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM partners WHERE user_lo = ? AND user_hi = ?", lo, hi).Scan(&n)
	return n > 0, err
}

// ArePartners says whether a and b are linked.
func (db *DB) ArePartners(ctx context.Context, a, b string) (bool, error) {
	ok, err := arePartners(ctx, db.sql, a, b)
	if err != nil {
		return false, fmt.Errorf("check partner link: %w", err)
	}
	return ok, nil
}

// Partners lists userID's partners, longest-standing first.
func (db *DB) Partners(ctx context.Context, userID string) ([]Partner, error) {
	out, err := partnersOf(ctx, db.sql, userID)
	if err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	return out, nil
}

func partnersOf(ctx context.Context, q querier, userID string) ([]Partner, error) {
	rows, err := q.QueryContext(ctx, `SELECT CASE WHEN user_lo = ?1 THEN user_hi ELSE user_lo END, since
		FROM partners WHERE user_lo = ?1 OR user_hi = ?1 ORDER BY since, 1`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Partner
	for rows.Next() {
		var p Partner
		var since int64
		if err := rows.Scan(&p.UserID, &since); err != nil {
			return nil, err
		}
		p.Since = fromMillis(since)
		out = append(out, p)
	}
	return out, rows.Err()
}

// RemovePartner deletes the link between a (who ends it) and b, cancels the undelivered
// check-ins between them both ways, and keeps b from inviting a for InviteCooldown.
// removed is false when there was no link.
func (db *DB) RemovePartner(ctx context.Context, a, b string, now time.Time) (removed bool, err error) {
	err = db.inTx(ctx, "remove partner", func(tx *sqlTx) error {
		var err error
		if removed, err = unlink(ctx, tx, a, b); err != nil {
			return err
		}
		if removed {
			if err := startCooldown(ctx, tx, db.crypt, a, b, now); err != nil {
				return err
			}
		}
		_, err = cancelBetween(ctx, tx, a, b, now)
		return err
	})
	return removed, err
}

func unlink(ctx context.Context, tx *sqlTx, a, b string) (bool, error) {
	lo, hi := pairOrder(a, b)
	res, err := tx.ExecContext(ctx, "DELETE FROM partners WHERE user_lo = ? AND user_hi = ?", lo, hi)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Block records that blockerID blocked blockedID (again is fine), and removes everything
// between them: the partner link, invitations both ways and undelivered check-ins both ways.
func (db *DB) Block(ctx context.Context, blockerID, blockedID string, now time.Time) error {
	return db.inTx(ctx, "block user", func(tx *sqlTx) error {
		if blockerID == blockedID {
			return errSelfRelationship
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO blocks (blocker_id, blocked_hash, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			blockerID, db.crypt.blockHash(blockedID), millis(now))
		if err != nil {
			return err
		}
		if _, err := unlink(ctx, tx, blockerID, blockedID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM invitations
			WHERE (inviter_id = ? AND invitee_id = ?) OR (inviter_id = ? AND invitee_id = ?)`,
			blockerID, blockedID, blockedID, blockerID); err != nil {
			return err
		}
		_, err = cancelBetween(ctx, tx, blockerID, blockedID, now)
		return err
	})
}

// Unblock lifts blockerID's block of blockedID, if there is one.
func (db *DB) Unblock(ctx context.Context, blockerID, blockedID string) error {
	_, err := db.sql.ExecContext(ctx, "DELETE FROM blocks WHERE blocker_id = ? AND blocked_hash = ?",
		blockerID, db.crypt.blockHash(blockedID))
	if err != nil {
		return fmt.Errorf("unblock user: %w", err)
	}
	return nil
}

// Blocked says whether blockerID has blocked blockedID.
func (db *DB) Blocked(ctx context.Context, blockerID, blockedID string) (bool, error) {
	ok, err := isBlocked(ctx, db.sql, db.crypt, blockerID, blockedID)
	if err != nil {
		return false, fmt.Errorf("check block: %w", err)
	}
	return ok, nil
}

func isBlocked(ctx context.Context, q querier, crypt *sealer, blockerID, blockedID string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM blocks WHERE blocker_id = ? AND blocked_hash = ?",
		blockerID, crypt.blockHash(blockedID)).Scan(&n)
	return n > 0, err
}
