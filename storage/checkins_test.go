package storage

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestScheduleCheckIns(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	series := []CheckIn{
		{SenderID: alice, RecipientID: bob, GuildID: guild, Note: "thinking of you", DueAt: t0.Add(time.Hour)},
		{SenderID: alice, RecipientID: bob, GuildID: guild, DueAt: t0.Add(24 * time.Hour)},
		{SenderID: alice, RecipientID: bob, GuildID: guild, DueAt: t0.Add(72 * time.Hour)},
	}
	_, err := db.ScheduleCheckIns(ctx, series, t0, 10)
	wantErr(t, err, ErrNotPartners)

	link(t, db, alice, bob)
	got, err := db.ScheduleCheckIns(ctx, series, t0, 10)
	must(t, err)
	if len(got) != 3 {
		t.Fatalf("got %d check-ins", len(got))
	}
	first := got[0]
	if first.ID == 0 || first.ParentID != 0 || first.Note != "thinking of you" || first.Status != StatusPending ||
		!first.NextAttemptAt.Equal(first.DueAt) || !first.CreatedAt.Equal(t0) || first.GuildID != guild || first.Attempts != 0 {
		t.Fatalf("first = %+v", first)
	}
	for i, c := range got[1:] {
		if c.ParentID != first.ID || c.ID <= first.ID || !c.DueAt.Equal(series[i+1].DueAt) || c.Note != "" {
			t.Fatalf("follow-up %d = %+v", i+1, c)
		}
	}
	stored, err := db.CheckIn(ctx, got[1].ID)
	if err != nil || stored != got[1] {
		t.Fatalf("CheckIn = %+v, %v; want %+v", stored, err, got[1])
	}
	_, err = db.CheckIn(ctx, 12345)
	wantErr(t, err, ErrNotFound)

	// A check-in to oneself needs no partner.
	self, err := db.ScheduleCheckIns(ctx, []CheckIn{{SenderID: carol, RecipientID: carol, DueAt: t0}}, t0, 1)
	if err != nil || len(self) != 1 {
		t.Fatalf("self check-in: %v", err)
	}

	mixed := []CheckIn{{SenderID: alice, RecipientID: bob, DueAt: t0}, {SenderID: bob, RecipientID: alice, DueAt: t0}}
	if _, err := db.ScheduleCheckIns(ctx, mixed, t0, 0); err == nil {
		t.Fatal("scheduled check-ins of two pairs in one call")
	}
	if got, err := db.ScheduleCheckIns(ctx, nil, t0, 0); got != nil || err != nil {
		t.Fatalf("empty schedule = %v, %v", got, err)
	}
}

func TestScheduleCheckInsDailyLimit(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	link(t, db, alice, carol)
	one := func(recipient string) []CheckIn {
		return []CheckIn{{SenderID: alice, RecipientID: recipient, DueAt: t0.Add(48 * time.Hour)}}
	}
	two := append(one(bob), one(bob)...)

	_, err := db.ScheduleCheckIns(ctx, two, t0, 3)
	must(t, err)
	// Cancelled ones still count: the limit is on what was created.
	c, err := db.ScheduleCheckIns(ctx, one(bob), t0.Add(time.Hour), 3)
	must(t, err)
	_, err = db.CancelCheckIn(ctx, c[0].ID, alice, t0.Add(time.Hour))
	must(t, err)
	_, err = db.ScheduleCheckIns(ctx, one(bob), t0.Add(2*time.Hour), 3)
	wantErr(t, err, ErrCheckInLimit)
	// Another recipient has their own count; a series must fit whole.
	four := append(append(one(carol), one(carol)...), append(one(carol), one(carol)...)...)
	_, err = db.ScheduleCheckIns(ctx, four, t0.Add(2*time.Hour), 3)
	wantErr(t, err, ErrCheckInLimit)
	_, err = db.ScheduleCheckIns(ctx, four[:3], t0.Add(2*time.Hour), 3)
	must(t, err)
	// A day after the first two, two slots are free again, not three.
	_, err = db.ScheduleCheckIns(ctx, two, t0.Add(24*time.Hour), 3)
	must(t, err)
	_, err = db.ScheduleCheckIns(ctx, one(bob), t0.Add(24*time.Hour), 3)
	wantErr(t, err, ErrCheckInLimit)
	// No limit when dailyLimit is 0.
	_, err = db.ScheduleCheckIns(ctx, one(bob), t0.Add(24*time.Hour), 0)
	must(t, err)
}

func TestCheckInListsAndCancel(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	old := schedule(t, db, alice, bob, t0.Add(-48*time.Hour), "old") // created t0, due long ago
	later := schedule(t, db, alice, bob, t0.Add(5*time.Hour), "later")
	sooner := schedule(t, db, alice, bob, t0.Add(time.Hour), "sooner")
	fromBob := schedule(t, db, bob, alice, t0.Add(time.Hour), "")

	all, err := db.CheckInsFrom(ctx, alice, t0.Add(-time.Hour))
	must(t, err)
	if len(all) != 3 || all[0].ID != sooner.ID || all[1].ID != later.ID || all[2].ID != old.ID {
		t.Fatalf("CheckInsFrom = %v", ids(all))
	}
	// Since after creation: only what is due since then.
	recent, err := db.CheckInsFrom(ctx, alice, t0.Add(2*time.Hour))
	must(t, err)
	if len(recent) != 1 || recent[0].ID != later.ID {
		t.Fatalf("CheckInsFrom(later) = %v", ids(recent))
	}

	// The due one is claimed: it is still listed as pending but can no longer be cancelled.
	_, err = db.ClaimDue(ctx, t0, time.Minute, 10)
	must(t, err)
	pending, err := db.PendingFrom(ctx, alice)
	must(t, err)
	if len(pending) != 3 || pending[0].ID != old.ID || pending[0].Status != StatusSending || pending[1].ID != sooner.ID || pending[2].ID != later.ID {
		t.Fatalf("PendingFrom = %v", ids(pending))
	}
	_, err = db.CancelCheckIn(ctx, old.ID, alice, t0)
	wantErr(t, err, ErrNotFound)
	_, err = db.CancelCheckIn(ctx, fromBob.ID, alice, t0) // not alice's
	wantErr(t, err, ErrNotFound)

	cancelled, err := db.CancelCheckIn(ctx, later.ID, alice, t0.Add(time.Minute))
	must(t, err)
	if cancelled.Status != StatusCancelled || cancelled.Note != "later" {
		t.Fatalf("cancelled = %+v", cancelled)
	}
	_, err = db.CancelCheckIn(ctx, later.ID, alice, t0)
	wantErr(t, err, ErrNotFound)
	if pending, _ := db.PendingFrom(ctx, alice); len(pending) != 2 {
		t.Fatalf("PendingFrom after cancel = %v", ids(pending))
	}

	// Leaving is final even mid-delivery: the claimed one is cancelled too, and its worker,
	// finding it so, deletes a DM that went out anyway.
	n, err := db.CancelBetween(ctx, bob, alice, t0)
	if err != nil || n != 3 {
		t.Fatalf("CancelBetween = %d, %v; want 3 (sooner, fromBob and the claimed one)", n, err)
	}
}

func ids(cs []CheckIn) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func TestNextDue(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, ok, err := db.NextDue(ctx); ok || err != nil {
		t.Fatalf("NextDue on empty = %v, %v", ok, err)
	}
	link(t, db, alice, bob)
	schedule(t, db, alice, bob, t0.Add(3*time.Hour), "")
	early := schedule(t, db, alice, bob, t0.Add(time.Hour), "")
	next, ok, err := db.NextDue(ctx)
	if err != nil || !ok || !next.Equal(early.DueAt) {
		t.Fatalf("NextDue = %v, %v, %v; want %v", next, ok, err, early.DueAt)
	}
	// Claimed with a lease shorter than the next pending one: the lease end counts.
	_, err = db.ClaimDue(ctx, early.DueAt, 10*time.Minute, 10)
	must(t, err)
	next, ok, _ = db.NextDue(ctx)
	if !ok || !next.Equal(early.DueAt.Add(10*time.Minute)) {
		t.Fatalf("NextDue with a lease = %v, %v", next, ok)
	}
	must(t, db.MarkSent(ctx, early.ID, "c", "m", false, early.DueAt))
	next, _, _ = db.NextDue(ctx)
	if !next.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("NextDue after sending = %v", next)
	}
}

func TestClaimDueLeasesInOrder(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	c3 := schedule(t, db, alice, bob, t0.Add(-time.Minute), "")
	c1 := schedule(t, db, alice, bob, t0.Add(-time.Hour), "")
	c2 := schedule(t, db, bob, alice, t0.Add(-time.Hour), "")
	future := schedule(t, db, alice, bob, t0.Add(time.Second), "")

	got, err := db.ClaimDue(ctx, t0, time.Minute, 2)
	must(t, err)
	if len(got) != 2 || got[0].ID != c1.ID || got[1].ID != c2.ID {
		t.Fatalf("first claim = %v, want [%d %d]", ids(got), c1.ID, c2.ID)
	}
	for _, c := range got {
		if c.Status != StatusSending || !c.LeaseUntil.Equal(t0.Add(time.Minute)) {
			t.Fatalf("claimed = %+v", c)
		}
		if stored, _ := db.CheckIn(ctx, c.ID); stored != c {
			t.Fatalf("stored %+v, returned %+v", stored, c)
		}
	}
	got, err = db.ClaimDue(ctx, t0, time.Minute, 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != c3.ID {
		t.Fatalf("second claim = %v, want [%d]", ids(got), c3.ID)
	}
	if got, _ := db.ClaimDue(ctx, t0.Add(59*time.Second), time.Minute, 10); len(got) != 1 || got[0].ID != future.ID {
		t.Fatalf("claim before leases end = %v, want only %d", ids(got), future.ID)
	}
	if got, _ := db.ClaimDue(ctx, t0, time.Minute, 0); got != nil {
		t.Fatalf("limit 0 claimed %v", ids(got))
	}

	// c1 and c2's lease ran out: they are claimed again, their worker is presumed gone.
	must(t, db.MarkSent(ctx, c3.ID, "c", "m", false, t0))
	got, err = db.ClaimDue(ctx, t0.Add(time.Minute), time.Minute, 10)
	must(t, err)
	if len(got) != 2 || got[0].ID != c1.ID || got[1].ID != c2.ID || !got[0].LeaseUntil.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("reclaim after lease expiry = %+v", got)
	}
	if got, _ := db.CheckIn(ctx, c3.ID); got.Status != StatusSent {
		t.Fatalf("sent check-in was reclaimed: %+v", got)
	}

	n, err := db.ReleaseLeases(ctx)
	if err != nil || n != 3 {
		t.Fatalf("ReleaseLeases = %d, %v; want 3", n, err)
	}
	pending, _ := db.PendingFrom(ctx, alice)
	for _, c := range pending {
		if c.Status != StatusPending || !c.LeaseUntil.IsZero() {
			t.Fatalf("after ReleaseLeases: %+v", c)
		}
	}
	if n, _ := db.ReleaseLeases(ctx); n != 0 {
		t.Fatalf("second ReleaseLeases = %d", n)
	}
}

// claimOne claims what is due at now and returns the claimed copy of c, which carries the
// claim's lease.
func claimOne(t *testing.T, db *DB, c CheckIn, now time.Time) CheckIn {
	t.Helper()
	claimed, err := db.ClaimDue(context.Background(), now, time.Minute, 10)
	must(t, err)
	for _, got := range claimed {
		if got.ID == c.ID {
			return got
		}
	}
	t.Fatalf("check-in %d was not claimed at %v: %v", c.ID, now, ids(claimed))
	return CheckIn{}
}

func TestOutcomesOnlyWhileSending(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	c := schedule(t, db, alice, bob, t0, "")

	// Not claimed yet: no outcome may be recorded.
	wantErr(t, db.MarkSent(ctx, c.ID, "c", "m", false, t0), ErrNotFound)
	wantErr(t, db.Reschedule(ctx, c, t0, 1), ErrNotFound)
	wantErr(t, db.MarkFailed(ctx, c, StatusFailed, "http_500", t0), ErrNotFound)
	wantErr(t, db.MarkSenderNotified(ctx, c.ID), ErrNotFound)
	wantErr(t, db.MarkSent(ctx, 999, "c", "m", false, t0), ErrNotFound)

	// Retry: back to pending with a later attempt.
	claim := claimOne(t, db, c, t0)
	must(t, db.Reschedule(ctx, claim, t0.Add(2*time.Second), 1))
	got, _ := db.CheckIn(ctx, c.ID)
	if got.Status != StatusPending || got.Attempts != 1 || !got.NextAttemptAt.Equal(t0.Add(2*time.Second)) || !got.DueAt.Equal(t0) || !got.LeaseUntil.IsZero() {
		t.Fatalf("rescheduled = %+v", got)
	}
	if claimed, _ := db.ClaimDue(ctx, t0.Add(time.Second), time.Minute, 10); len(claimed) != 0 {
		t.Fatalf("claimed before the retry time: %v", ids(claimed))
	}

	// Sent late.
	claim = claimOne(t, db, c, t0.Add(2*time.Second))
	must(t, db.MarkSent(ctx, c.ID, "dm-1", "msg-9", true, t0.Add(3*time.Second)))
	got, _ = db.CheckIn(ctx, c.ID)
	if got.Status != StatusSent || got.ChannelID != "dm-1" || got.MessageID != "msg-9" || !got.Late ||
		!got.SentAt.Equal(t0.Add(3*time.Second)) || !got.LeaseUntil.IsZero() {
		t.Fatalf("sent = %+v", got)
	}
	// A stale worker cannot overwrite the outcome.
	wantErr(t, db.MarkFailed(ctx, claim, StatusFailed, "timeout", t0), ErrNotFound)
	wantErr(t, db.Reschedule(ctx, claim, t0, 2), ErrNotFound)

	// Undeliverable, then the sender is told.
	d := schedule(t, db, alice, bob, t0, "")
	dClaim := claimOne(t, db, d, t0)
	if err := db.MarkFailed(ctx, dClaim, StatusSent, "x", t0); err == nil {
		t.Fatal("MarkFailed accepted a non-failure status")
	}
	must(t, db.MarkFailed(ctx, dClaim, StatusUndeliverable, "dm_closed", t0.Add(time.Second)))
	got, _ = db.CheckIn(ctx, d.ID)
	if got.Status != StatusUndeliverable || got.FailReason != "dm_closed" || got.SenderNotified {
		t.Fatalf("undeliverable = %+v", got)
	}
	unnotified, err := db.UnnotifiedFailures(ctx, 10)
	must(t, err)
	if len(unnotified) != 1 || unnotified[0].ID != d.ID {
		t.Fatalf("UnnotifiedFailures = %v", ids(unnotified))
	}
	must(t, db.MarkSenderNotified(ctx, d.ID))
	if got, _ := db.CheckIn(ctx, d.ID); !got.SenderNotified {
		t.Fatal("SenderNotified not recorded")
	}
	if unnotified, _ := db.UnnotifiedFailures(ctx, 10); len(unnotified) != 0 {
		t.Fatalf("UnnotifiedFailures after notice = %v", ids(unnotified))
	}
	wantErr(t, db.MarkSenderNotified(ctx, c.ID), ErrNotFound) // delivered: nothing to tell

	// Dropped while sending, sender told before the outcome is stored.
	e := schedule(t, db, alice, bob, t0, "")
	eClaim := claimOne(t, db, e, t0)
	must(t, db.MarkSenderNotified(ctx, e.ID))
	must(t, db.MarkFailed(ctx, eClaim, StatusDropped, "gave_up", t0))
	if got, _ := db.CheckIn(ctx, e.ID); got.Status != StatusDropped || !got.SenderNotified {
		t.Fatalf("dropped = %+v", got)
	}
}

// MarkLate says a check-in goes out late before its DM is posted, under its claim only.
func TestMarkLateBeforeTheDMIsPosted(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	c := schedule(t, db, alice, bob, t0, "")
	wantErr(t, db.MarkLate(ctx, c), ErrNotFound) // not claimed
	claim := claimOne(t, db, c, t0.Add(time.Hour))
	must(t, db.MarkLate(ctx, claim))
	if got, _ := db.CheckIn(ctx, c.ID); !got.Late || got.Status != StatusSending {
		t.Fatalf("after MarkLate = %+v", got)
	}
	_, err := db.ReleaseLeases(ctx)
	must(t, err)
	claimOne(t, db, c, t0.Add(2*time.Hour))
	wantErr(t, db.MarkLate(ctx, claim), ErrNotFound) // a claim taken over
}

// A sender cut off from the database may still try to record an outcome after the next
// sender released its leases and claimed the check-in again: that write must not land, or
// it would put back to pending (or end) a check-in the new sender is posting.
func TestOutcomeOfAClaimTakenOverIsRefused(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	c := schedule(t, db, alice, bob, t0, "")
	stale := claimOne(t, db, c, t0)
	n, err := db.ReleaseLeases(ctx) // the next sender, after its handover
	must(t, err)
	if n != 1 {
		t.Fatalf("ReleaseLeases = %d", n)
	}
	current := claimOne(t, db, c, t0.Add(5*time.Second))

	wantErr(t, db.Reschedule(ctx, stale, t0.Add(time.Minute), 1), ErrNotFound)
	wantErr(t, db.MarkFailed(ctx, stale, StatusFailed, FailGaveUp, t0), ErrNotFound)
	if got, _ := db.CheckIn(ctx, c.ID); got.Status != StatusSending || !got.LeaseUntil.Equal(current.LeaseUntil) {
		t.Fatalf("after the stale writes = %+v, want still sending under the new claim", got)
	}
	must(t, db.MarkFailed(ctx, current, StatusUndeliverable, FailDMsClosed, t0.Add(6*time.Second)))
	if got, _ := db.CheckIn(ctx, c.ID); got.Status != StatusUndeliverable {
		t.Fatalf("the new claim's outcome = %+v", got)
	}
}

func TestAnswersAndWindow(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	window := 24 * time.Hour
	pending := schedule(t, db, alice, bob, t0.Add(time.Hour), "")
	_, err := db.RecordAnswer(ctx, pending.ID, bob, AnswerGood, t0, window)
	wantErr(t, err, ErrNotFound) // not delivered yet
	_, err = db.RecordAnswer(ctx, 4242, bob, AnswerGood, t0, window)
	wantErr(t, err, ErrNotFound)

	c := deliver(t, db, schedule(t, db, alice, bob, t0, "how are you?"))
	_, err = db.RecordAnswer(ctx, c.ID, alice, AnswerGood, t0, window) // the sender cannot answer
	wantErr(t, err, ErrNotFound)
	if _, err := db.RecordAnswer(ctx, c.ID, bob, "maybe", t0, window); err == nil {
		t.Fatal("accepted an unknown answer")
	}

	first := t0.Add(time.Minute)
	got, err := db.RecordAnswer(ctx, c.ID, bob, AnswerCare, first, window)
	must(t, err)
	if got.Status != StatusAnswered || got.Answer != AnswerCare || !got.AnsweredAt.Equal(first) || got.Note != "how are you?" {
		t.Fatalf("answered = %+v", got)
	}
	// Changed within the window; the window still runs from the first answer.
	got, err = db.RecordAnswer(ctx, c.ID, bob, AnswerTalk, first.Add(window), window)
	must(t, err)
	if got.Answer != AnswerTalk || !got.AnsweredAt.Equal(first) {
		t.Fatalf("changed answer = %+v", got)
	}
	got, err = db.RecordWords(ctx, c.ID, bob, "call me tonight", first.Add(time.Hour), window)
	must(t, err)
	if got.Words != "call me tonight" || got.Answer != AnswerTalk {
		t.Fatalf("words = %+v", got)
	}
	_, err = db.RecordAnswer(ctx, c.ID, bob, AnswerGood, first.Add(window+time.Millisecond), window)
	wantErr(t, err, ErrClosed)
	_, err = db.RecordWords(ctx, c.ID, bob, "late", first.Add(window+time.Millisecond), window)
	wantErr(t, err, ErrClosed)
	if stored, _ := db.CheckIn(ctx, c.ID); stored.Answer != AnswerTalk || stored.Words != "call me tonight" {
		t.Fatalf("closed answer changed: %+v", stored)
	}

	// Words first: answered, no button answer yet, and the window starts.
	w := deliver(t, db, schedule(t, db, alice, bob, t0, ""))
	got, err = db.RecordWords(ctx, w.ID, bob, "fine, thanks", t0, window)
	must(t, err)
	if got.Status != StatusAnswered || got.Answer != "" || !got.AnsweredAt.Equal(t0) {
		t.Fatalf("words first = %+v", got)
	}
	_, err = db.RecordWords(ctx, w.ID, alice, "impostor", t0, window)
	wantErr(t, err, ErrNotFound)
}

// TestClaimDueConcurrent has two handles on one file (as two workers would) claim the same
// due rows at once: every row must be claimed exactly once.
func TestClaimDueConcurrent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "afterglow.db")
	first := openAt(t, path)
	second := openAt(t, path)
	link(t, first, alice, bob)
	const total = 500
	batch := make([]CheckIn, total)
	for i := range batch {
		batch[i] = CheckIn{SenderID: alice, RecipientID: bob, DueAt: t0.Add(time.Duration(i%50) * time.Second)}
	}
	_, err := first.ScheduleCheckIns(ctx, batch, t0, 0)
	must(t, err)

	now := t0.Add(time.Hour)
	var mu sync.Mutex
	claims := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, db := range []*DB{first, second, first, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := db.ClaimDue(ctx, now, time.Hour, 7)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, c := range got {
					claims[c.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(claims) != total {
		t.Fatalf("%d distinct rows claimed, want %d", len(claims), total)
	}
	for id, n := range claims {
		if n != 1 {
			t.Fatalf("check-in %d claimed %d times", id, n)
		}
	}
}

func TestUpcomingRecipients(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, r := range []string{"r2", "r1", "r2", "r3"} {
		c := CheckIn{SenderID: r, RecipientID: r, DueAt: t0.Add(time.Duration(i) * time.Minute)}
		if _, err := db.ScheduleCheckIns(ctx, []CheckIn{c}, t0, 0); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.UpcomingRecipients(ctx, t0.Add(150*time.Second), 10)
	if err != nil || strings.Join(got, ",") != "r2,r1" {
		t.Fatalf("got %v, %v; want r2,r1 (soonest first, distinct, before the bound)", got, err)
	}
	if got, _ := db.UpcomingRecipients(ctx, t0.Add(time.Hour), 1); len(got) != 1 {
		t.Fatalf("limit: %v", got)
	}
}
