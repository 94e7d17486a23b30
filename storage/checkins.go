package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CheckIn is one check-in DM from SenderID to RecipientID.
type CheckIn struct {
	ID             int64         `json:"id"`
	SenderID       string        `json:"sender_id"`
	RecipientID    string        `json:"recipient_id"`
	GuildID        string        `json:"guild_id,omitempty"`
	Note           string        `json:"note,omitempty"` // decrypted
	DueAt          time.Time     `json:"due_at"`
	NextAttemptAt  time.Time     `json:"next_attempt_at,omitzero"`
	Status         CheckInStatus `json:"status"`
	Attempts       int           `json:"attempts"`
	LeaseUntil     time.Time     `json:"lease_until,omitzero"`
	ChannelID      string        `json:"channel_id,omitempty"`
	MessageID      string        `json:"message_id,omitempty"`
	SentAt         time.Time     `json:"sent_at,omitzero"`
	Late           bool          `json:"late"`
	Answer         string        `json:"answer,omitempty"` // one of Answers(), or ""
	Words          string        `json:"words,omitempty"`  // decrypted
	AnsweredAt     time.Time     `json:"answered_at,omitzero"`
	FailReason     FailReason    `json:"fail_reason,omitempty"` // a short code, never user text
	SenderNotified bool          `json:"sender_notified"`
	ParentID       int64         `json:"parent_id,omitempty"` // first check-in of a follow-up series, 0 if none
	CreatedAt      time.Time     `json:"created_at"`
}

const checkInColumns = `id, sender_id, recipient_id, guild_id, note, due_at, next_attempt_at, status, attempts,
	lease_until, channel_id, message_id, sent_at, late, answer, words, answered_at, fail_reason,
	sender_notified, parent_id, created_at`

func noteAAD(id int64) string  { return "checkins.note:" + strconv.FormatInt(id, 10) }
func wordsAAD(id int64) string { return "checkins.words:" + strconv.FormatInt(id, 10) }

func (db *DB) scanCheckIn(row interface{ Scan(...any) error }) (CheckIn, error) {
	var c CheckIn
	var note, words []byte
	var due, next, lease, sent, answered, created int64
	var late, notified int
	err := row.Scan(&c.ID, &c.SenderID, &c.RecipientID, &c.GuildID, &note, &due, &next, &c.Status, &c.Attempts,
		&lease, &c.ChannelID, &c.MessageID, &sent, &late, &c.Answer, &words, &answered, &c.FailReason,
		&notified, &c.ParentID, &created)
	if err != nil {
		return CheckIn{}, err
	}
	if c.Note, err = db.crypt.open(note, noteAAD(c.ID)); err != nil {
		return CheckIn{}, fmt.Errorf("check-in %d note: %w", c.ID, err)
	}
	if c.Words, err = db.crypt.open(words, wordsAAD(c.ID)); err != nil {
		return CheckIn{}, fmt.Errorf("check-in %d words: %w", c.ID, err)
	}
	c.DueAt, c.NextAttemptAt, c.LeaseUntil = fromMillis(due), fromMillis(next), fromMillis(lease)
	c.SentAt, c.AnsweredAt, c.CreatedAt = fromMillis(sent), fromMillis(answered), fromMillis(created)
	c.Late, c.SenderNotified = late != 0, notified != 0
	return c, nil
}

func (db *DB) queryCheckIns(ctx context.Context, q querier, where string, args ...any) ([]CheckIn, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+checkInColumns+" FROM checkins WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CheckIn
	for rows.Next() {
		c, err := db.scanCheckIn(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (db *DB) checkIn(ctx context.Context, q querier, id int64) (CheckIn, error) {
	c, err := db.scanCheckIn(q.QueryRowContext(ctx, "SELECT "+checkInColumns+" FROM checkins WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return CheckIn{}, ErrNotFound
	}
	return c, err
}

// ScheduleCheckIns stores cs (one check-in and its follow-ups, all from one sender to one
// recipient) as pending, due at each DueAt. The 2nd and later get the first's id as ParentID.
// It fails with ErrNotPartners unless the two are linked (a check-in to oneself needs no
// link), and with ErrCheckInLimit when the sender's check-ins to that recipient created in
// the 24 h before now plus len(cs) would exceed dailyLimit (dailyLimit <= 0: no limit).
func (db *DB) ScheduleCheckIns(ctx context.Context, cs []CheckIn, now time.Time, dailyLimit int) ([]CheckIn, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	sender, recipient := cs[0].SenderID, cs[0].RecipientID
	out := make([]CheckIn, 0, len(cs))
	err := db.inTx(ctx, "schedule check-ins", func(tx *sqlTx) error {
		for _, c := range cs {
			if c.SenderID != sender || c.RecipientID != recipient || sender == "" || recipient == "" {
				return errMixedCheckIns
			}
		}
		if sender != recipient {
			linked, err := arePartners(ctx, tx, sender, recipient)
			if err != nil {
				return err
			}
			if !linked {
				return ErrNotPartners
			}
		}
		if dailyLimit > 0 {
			var recent int
			err := tx.QueryRowContext(ctx, "SELECT count(*) FROM checkins WHERE sender_id = ? AND recipient_id = ? AND created_at > ?",
				sender, recipient, millis(now.Add(-24*time.Hour))).Scan(&recent)
			if err != nil {
				return err
			}
			if recent+len(cs) > dailyLimit {
				return ErrCheckInLimit
			}
		}
		var parent int64
		for _, c := range cs {
			var id int64 // RETURNING: PostgreSQL has no last insert id
			err := tx.QueryRowContext(ctx, `INSERT INTO checkins (sender_id, recipient_id, guild_id, due_at, next_attempt_at,
				status, parent_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				sender, recipient, c.GuildID, millis(c.DueAt), millis(c.DueAt), StatusPending, parent, millis(now), millis(now)).Scan(&id)
			if err != nil {
				return err
			}
			// The note is sealed after the insert because its row id is part of the seal.
			if _, err := tx.ExecContext(ctx, "UPDATE checkins SET note = ? WHERE id = ?", db.crypt.seal(c.Note, noteAAD(id)), id); err != nil {
				return err
			}
			stored, err := db.checkIn(ctx, tx, id)
			if err != nil {
				return err
			}
			out = append(out, stored)
			if parent == 0 {
				parent = id
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CheckIn returns the check-in with id; ErrNotFound when there is none.
func (db *DB) CheckIn(ctx context.Context, id int64) (CheckIn, error) {
	c, err := db.checkIn(ctx, db.sql, id)
	if err != nil {
		return CheckIn{}, fmt.Errorf("read check-in %d: %w", id, err)
	}
	return c, nil
}

// CheckInsFrom lists senderID's check-ins created or due since the given time, newest first.
func (db *DB) CheckInsFrom(ctx context.Context, senderID string, since time.Time) ([]CheckIn, error) {
	cs, err := db.queryCheckIns(ctx, db.sql, "sender_id = ?1 AND (created_at >= ?2 OR due_at >= ?2) ORDER BY created_at DESC, id DESC",
		senderID, millis(since))
	if err != nil {
		return nil, fmt.Errorf("list check-ins from a user: %w", err)
	}
	return cs, nil
}

// PendingFrom lists senderID's check-ins not yet delivered (pending or being sent), soonest first.
func (db *DB) PendingFrom(ctx context.Context, senderID string) ([]CheckIn, error) {
	cs, err := db.queryCheckIns(ctx, db.sql, "sender_id = ? AND status IN (?, ?) ORDER BY due_at, id",
		senderID, StatusPending, StatusSending)
	if err != nil {
		return nil, fmt.Errorf("list pending check-ins: %w", err)
	}
	return cs, nil
}

// CancelCheckIn cancels senderID's check-in id if it is still pending (not yet claimed for
// sending); ErrNotFound otherwise.
func (db *DB) CancelCheckIn(ctx context.Context, id int64, senderID string, now time.Time) (CheckIn, error) {
	var c CheckIn
	err := db.inTx(ctx, fmt.Sprintf("cancel check-in %d", id), func(tx *sqlTx) error {
		err := execOne(ctx, tx, "UPDATE checkins SET status = ?, updated_at = ? WHERE id = ? AND sender_id = ? AND status = ?",
			StatusCancelled, millis(now), id, senderID, StatusPending)
		if err != nil {
			return err
		}
		c, err = db.checkIn(ctx, tx, id)
		return err
	})
	return c, err
}

func cancelBetween(ctx context.Context, tx *sqlTx, a, b string, now time.Time) (int, error) {
	res, err := tx.ExecContext(ctx, `UPDATE checkins SET status = ?, lease_until = 0, updated_at = ?
		WHERE ((sender_id = ? AND recipient_id = ?) OR (sender_id = ? AND recipient_id = ?)) AND status IN (?, ?)`,
		StatusCancelled, millis(now), a, b, b, a, StatusPending, StatusSending)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// The delivery loop's queries, kept apart so a test can check they use their indexes.
// Rows being sent are few (the in-flight ones), so reading them by status is cheap.
const (
	// nextDueQuery is two index lookups; one query with OR would scan.
	nextDueQuery = `SELECT
		(SELECT min(next_attempt_at) FROM checkins WHERE status = 'pending'),
		(SELECT min(lease_until) FROM checkins WHERE status = 'sending')`
	duePendingWhere    = "status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"
	expiredLeasesWhere = "status = 'sending' AND lease_until <= ? ORDER BY next_attempt_at, id LIMIT ?"
)

// NextDue returns the earliest time a check-in needs the delivery loop: the soonest pending
// attempt, or the soonest lease to run out. ok is false when nothing waits.
func (db *DB) NextDue(ctx context.Context) (next time.Time, ok bool, err error) {
	var pending, lease sql.NullInt64
	err = db.sql.QueryRowContext(ctx, nextDueQuery).Scan(&pending, &lease)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("find next due check-in: %w", err)
	}
	for _, v := range []sql.NullInt64{pending, lease} {
		if v.Valid && (!ok || v.Int64 < millis(next)) {
			next, ok = time.UnixMilli(v.Int64).UTC(), true
		}
	}
	return next, ok, nil
}

// UpcomingRecipients lists the distinct recipients of pending check-ins due before the
// given time, soonest first, up to limit: the delivery loop opens their DM channels ahead,
// so that many check-ins due at one moment need one request each when it comes.
func (db *DB) UpcomingRecipients(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT recipient_id FROM checkins
		WHERE status = 'pending' AND next_attempt_at < ?
		GROUP BY recipient_id ORDER BY min(next_attempt_at) LIMIT ?`, millis(before), limit)
	if err != nil {
		return nil, fmt.Errorf("list upcoming recipients: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list upcoming recipients: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ClaimDue leases up to limit due check-ins for sending: pending ones whose NextAttemptAt has
// come, and sending ones whose lease ran out (their worker is gone). They become 'sending'
// with LeaseUntil = now+lease and are returned in NextAttemptAt, ID order.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]CheckIn, error) {
	if limit <= 0 {
		return nil, nil
	}
	// On PostgreSQL several senders may claim at once: each locks the rows it takes and
	// passes over those another holds, instead of waiting for them or taking them twice.
	lockRows := ""
	if db.pg {
		lockRows = " FOR UPDATE SKIP LOCKED"
	}
	var claimed []CheckIn
	err := db.runTx(ctx, "claim due check-ins", false, func(tx *sqlTx) error {
		nowMs := millis(now)
		expired, err := db.queryCheckIns(ctx, tx, expiredLeasesWhere+lockRows, nowMs, limit)
		if err != nil {
			return err
		}
		due, err := db.queryCheckIns(ctx, tx, duePendingWhere+lockRows, nowMs, limit)
		if err != nil {
			return err
		}
		claimed = append(expired, due...)
		sort.Slice(claimed, func(i, j int) bool {
			a, b := claimed[i], claimed[j]
			if !a.NextAttemptAt.Equal(b.NextAttemptAt) {
				return a.NextAttemptAt.Before(b.NextAttemptAt)
			}
			return a.ID < b.ID
		})
		if len(claimed) > limit {
			claimed = claimed[:limit]
		}
		if len(claimed) == 0 {
			return nil
		}
		// One statement for the batch: on PostgreSQL each statement is a round trip.
		leaseUntil := now.Add(lease).UTC()
		args := []any{StatusSending, millis(leaseUntil)}
		for i := range claimed {
			args = append(args, claimed[i].ID)
			claimed[i].Status, claimed[i].LeaseUntil = StatusSending, leaseUntil
		}
		_, err = tx.ExecContext(ctx, "UPDATE checkins SET status = ?, lease_until = ? WHERE id IN (?"+
			strings.Repeat(", ?", len(claimed)-1)+")", args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// ReleaseLeases turns every 'sending' check-in back to pending. It is for start-up: a
// single-instance process holds no lease then, so any left are from a crash.
func (db *DB) ReleaseLeases(ctx context.Context) (int, error) {
	res, err := db.sql.ExecContext(ctx, "UPDATE checkins SET status = ?, lease_until = 0 WHERE status = ?", StatusPending, StatusSending)
	if err != nil {
		return 0, fmt.Errorf("release leases: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("release leases: %w", err)
	}
	return int(n), nil
}

// updateSending applies an update to a claimed check-in only while it is 'sending' under
// that very claim (ClaimDue's copy carries its lease), so that a worker whose claim was
// released and taken by the next sender cannot overwrite that sender's work; ErrNotFound
// otherwise.
func (db *DB) updateSending(ctx context.Context, what string, claim CheckIn, set string, args ...any) error {
	args = append(args, claim.ID, StatusSending, millis(claim.LeaseUntil))
	if err := execOne(ctx, db.sql, "UPDATE checkins SET "+set+" WHERE id = ? AND status = ? AND lease_until = ?", args...); err != nil {
		return fmt.Errorf("%s check-in %d: %w", what, claim.ID, err)
	}
	return nil
}

// MarkSent records that check-in id was delivered as messageID in channelID. The recipient
// may have answered (or stopped) from that DM before this is recorded: the answer stays and
// the delivery is added to it. ErrNotFound when the check-in is gone, was cancelled while it
// was being sent, or already has another DM: the caller then deletes this one.
func (db *DB) MarkSent(ctx context.Context, id int64, channelID, messageID string, late bool, now time.Time) error {
	err := execOne(ctx, db.sql, `UPDATE checkins SET status = CASE status WHEN ?1 THEN ?2 ELSE status END,
		channel_id = ?3, message_id = ?4, late = ?5, sent_at = ?6, lease_until = 0, updated_at = CASE WHEN updated_at > ?6 THEN updated_at ELSE ?6 END
		WHERE id = ?7 AND (status = ?1 OR (status IN (?2, ?8) AND message_id IN ('', ?4)))`,
		StatusSending, StatusSent, channelID, messageID, boolInt(late), millis(now), id, StatusAnswered)
	if err != nil {
		return fmt.Errorf("mark sent check-in %d: %w", id, err)
	}
	return nil
}

// Deliverable says whether check-in id may still be posted: it is being sent and, unless
// it is to oneself, its two people are still partners. The worker asks just before each
// POST, so that leaving during a wait for a send slot is final.
func (db *DB) Deliverable(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := db.sql.QueryRowContext(ctx, `SELECT status = ? AND (sender_id = recipient_id OR EXISTS (
		SELECT 1 FROM partners WHERE (user_lo = sender_id AND user_hi = recipient_id) OR (user_lo = recipient_id AND user_hi = sender_id)))
		FROM checkins WHERE id = ?`, StatusSending, id).Scan(&ok)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check check-in %d is deliverable: %w", id, err)
	}
	return ok, nil
}

// MarkLate records, before its DM is posted, that a claimed check-in goes out late, so that
// an answer from that DM, which can come before MarkSent, rebuilds it with its apology.
func (db *DB) MarkLate(ctx context.Context, claim CheckIn) error {
	return db.updateSending(ctx, "mark late", claim, "late = 1")
}

// Reschedule puts a claimed check-in (as ClaimDue returned it) back to pending for another
// attempt at next (a retry, or the end of quiet hours), recording how many attempts were made.
func (db *DB) Reschedule(ctx context.Context, claim CheckIn, next time.Time, attempts int) error {
	return db.updateSending(ctx, "reschedule", claim, "status = ?, next_attempt_at = ?, attempts = ?, lease_until = 0",
		StatusPending, millis(next), attempts)
}

// MarkFailed ends a claimed check-in (as ClaimDue returned it) with status failed,
// undeliverable or dropped. reason is a short code (never user text).
func (db *DB) MarkFailed(ctx context.Context, claim CheckIn, status CheckInStatus, reason FailReason, now time.Time) error {
	switch status {
	case StatusFailed, StatusUndeliverable, StatusDropped:
	default:
		return fmt.Errorf("mark failed check-in %d: %q is not a failure status", claim.ID, status)
	}
	return db.updateSending(ctx, "mark failed", claim, "status = ?, fail_reason = ?, lease_until = 0, updated_at = ?",
		status, reason, millis(now))
}

// MarkSenderNotified records that the sender was told check-in id was not delivered. It acts
// on a check-in being sent or already marked failed, undeliverable or dropped (so the notice
// can follow MarkFailed); ErrNotFound otherwise.
func (db *DB) MarkSenderNotified(ctx context.Context, id int64) error {
	err := execOne(ctx, db.sql, "UPDATE checkins SET sender_notified = 1 WHERE id = ? AND status IN (?, ?, ?, ?)",
		id, StatusSending, StatusFailed, StatusUndeliverable, StatusDropped)
	if err != nil {
		return fmt.Errorf("mark sender notified of check-in %d: %w", id, err)
	}
	return nil
}

// UnnotifiedFailures lists up to limit check-ins that ended failed, undeliverable or dropped
// whose sender was not told yet (e.g. the process stopped in between), oldest first.
func (db *DB) UnnotifiedFailures(ctx context.Context, limit int) ([]CheckIn, error) {
	cs, err := db.queryCheckIns(ctx, db.sql, "status IN (?, ?, ?) AND sender_notified = 0 ORDER BY updated_at, id LIMIT ?",
		StatusFailed, StatusUndeliverable, StatusDropped, limit)
	if err != nil {
		return nil, fmt.Errorf("list unnotified failed check-ins: %w", err)
	}
	return cs, nil
}

// answerable loads check-in id for its recipient and checks it may be answered: its DM is
// out, a first answer more than window ago closes it, and the two must still be partners
// (checked in the answer's own transaction, so that an answer never outlives the link).
func (db *DB) answerable(ctx context.Context, tx *sqlTx, id int64, recipientID string, now time.Time, window time.Duration) (CheckIn, error) {
	c, err := db.checkIn(ctx, tx, id)
	if err != nil {
		return CheckIn{}, err
	}
	if c.RecipientID != recipientID || !Answerable(c.Status) {
		return CheckIn{}, ErrNotFound
	}
	if !c.AnsweredAt.IsZero() && now.After(c.AnsweredAt.Add(window)) {
		return CheckIn{}, ErrClosed
	}
	if c.SenderID != c.RecipientID {
		linked, err := arePartners(ctx, tx, c.SenderID, c.RecipientID)
		if err != nil {
			return CheckIn{}, err
		}
		if !linked {
			return CheckIn{}, ErrNotPartners
		}
	}
	return c, nil
}

// recordReply applies a recipient's reply in one transaction after the answerable checks.
func (db *DB) recordReply(ctx context.Context, what string, id int64, recipientID string, now time.Time, window time.Duration,
	update func(tx *sqlTx) error) (CheckIn, error) {
	var out CheckIn
	err := db.inTx(ctx, fmt.Sprintf("%s for check-in %d", what, id), func(tx *sqlTx) error {
		c, err := db.answerable(ctx, tx, id, recipientID, now, window)
		if err != nil {
			return err
		}
		answeredAt := c.AnsweredAt
		if answeredAt.IsZero() {
			answeredAt = now // the window runs from the first reply
		}
		if _, err := tx.ExecContext(ctx, "UPDATE checkins SET status = ?, answered_at = ?, updated_at = ? WHERE id = ?",
			StatusAnswered, millis(answeredAt), millis(now), id); err != nil {
			return err
		}
		if err := update(tx); err != nil {
			return err
		}
		out, err = db.checkIn(ctx, tx, id)
		return err
	})
	return out, err
}

// RecordAnswer stores recipientID's button answer (AnswerGood, AnswerCare, AnswerTalk or
// AnswerSpace) to a delivered check-in. It may be changed until window after the first reply,
// then ErrClosed. ErrNotFound if the check-in is not theirs or not delivered; ErrNotPartners
// once its two people are no longer linked.
func (db *DB) RecordAnswer(ctx context.Context, id int64, recipientID, answer string, now time.Time, window time.Duration) (CheckIn, error) {
	if !ValidAnswer(answer) {
		return CheckIn{}, fmt.Errorf("record answer for check-in %d: unknown answer %q", id, answer)
	}
	return db.recordReply(ctx, "record answer", id, recipientID, now, window, func(tx *sqlTx) error {
		_, err := tx.ExecContext(ctx, "UPDATE checkins SET answer = ? WHERE id = ?", answer, id)
		return err
	})
}

// RecordWords stores recipientID's written reply (encrypted), under the same rules as
// RecordAnswer; it marks the check-in answered and leaves the button answer as it is.
func (db *DB) RecordWords(ctx context.Context, id int64, recipientID, words string, now time.Time, window time.Duration) (CheckIn, error) {
	return db.recordReply(ctx, "record words", id, recipientID, now, window, func(tx *sqlTx) error {
		_, err := tx.ExecContext(ctx, "UPDATE checkins SET words = ? WHERE id = ?", db.crypt.seal(words, wordsAAD(id)), id)
		return err
	})
}

// MessageRef names a message Afterglow posted in a DM channel.
type MessageRef struct {
	ChannelID string `json:"channel_id"`
	MessageID string `json:"message_id"`
}

// RecordRelay remembers the DM that relayed an answer to check-in id's sender, so that it
// can be deleted with their data. ErrNotFound when the check-in is gone meanwhile.
func (db *DB) RecordRelay(ctx context.Context, id int64, channelID, messageID string) error {
	err := execOne(ctx, db.sql, `INSERT INTO relay_messages (checkin_id, channel_id, message_id)
		SELECT id, ?, ? FROM checkins WHERE id = ?`, channelID, messageID, id)
	if err != nil {
		return fmt.Errorf("record relay of check-in %d: %w", id, err)
	}
	return nil
}

// relaysToSQL selects the DMs that relayed answers to the check-ins user ?1 sent.
const relaysToSQL = `SELECT r.channel_id, r.message_id FROM relay_messages r
	JOIN checkins c ON c.id = r.checkin_id WHERE c.sender_id = ?1`

// DMsTo lists the DMs Afterglow posted to userID that it still knows: the check-in prompts
// they received and the relays of answers to check-ins they sent, oldest first.
func (db *DB) DMsTo(ctx context.Context, userID string) ([]MessageRef, error) {
	out, err := queryMessageRefs(ctx, db.sql, `SELECT channel_id, message_id FROM (
		SELECT channel_id, message_id FROM checkins WHERE recipient_id = ?1 AND message_id != ''
		UNION ALL `+relaysToSQL+`
		) AS dms ORDER BY length(message_id), message_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list DMs to a user: %w", err)
	}
	return out, nil
}

func queryMessageRefs(ctx context.Context, q querier, query string, args ...any) ([]MessageRef, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MessageRef
	for rows.Next() {
		var m MessageRef
		if err := rows.Scan(&m.ChannelID, &m.MessageID); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
