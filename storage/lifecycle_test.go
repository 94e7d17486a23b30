package storage

import (
	"context"
	"testing"
	"time"
)

// claim leases check-in c for sending at its due time, as the delivery loop does.
func claim(t testing.TB, db *DB, c CheckIn) {
	t.Helper()
	claimed, err := db.ClaimDue(context.Background(), c.DueAt, time.Minute, 1000)
	must(t, err)
	for _, got := range claimed {
		if got.ID == c.ID {
			return
		}
	}
	t.Fatalf("check-in %d was not claimed", c.ID)
}

// A recipient can answer from the DM before its worker records it sent; whichever of the
// two commits first, both the answer and the delivery survive.
func TestAnswerWhileSendingKeepsBoth(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	window := time.Hour

	// The answer first, then the worker's MarkSent.
	c := schedule(t, db, alice, bob, t0, "")
	claim(t, db, c)
	got, err := db.RecordAnswer(ctx, c.ID, bob, AnswerCare, t0.Add(time.Second), window)
	must(t, err)
	if got.Status != StatusAnswered || got.Answer != AnswerCare {
		t.Fatalf("answer while sending = %+v", got)
	}
	_, err = db.RecordWords(ctx, c.ID, bob, "soon", t0.Add(2*time.Second), window)
	must(t, err)
	must(t, db.MarkSent(ctx, c.ID, "dm-1", "msg-1", true, t0.Add(3*time.Second)))
	got, _ = db.CheckIn(ctx, c.ID)
	if got.Status != StatusAnswered || got.Answer != AnswerCare || got.Words != "soon" || !got.AnsweredAt.Equal(t0.Add(time.Second)) ||
		got.ChannelID != "dm-1" || got.MessageID != "msg-1" || !got.Late || !got.SentAt.Equal(t0.Add(3*time.Second)) || !got.LeaseUntil.IsZero() {
		t.Fatalf("answered, then marked sent = %+v", got)
	}
	// A second DM for the same check-in (it cannot be the one answered) is refused, so its sender deletes it.
	wantErr(t, db.MarkSent(ctx, c.ID, "dm-1", "msg-2", false, t0.Add(4*time.Second)), ErrNotFound)
	// The same DM recorded again (e.g. by Stop, then by the worker) is fine.
	must(t, db.MarkSent(ctx, c.ID, "dm-1", "msg-1", true, t0.Add(4*time.Second)))

	// MarkSent first, then the answer: the ordinary order.
	d := schedule(t, db, alice, bob, t0, "")
	claim(t, db, d)
	must(t, db.MarkSent(ctx, d.ID, "dm-1", "msg-3", false, t0))
	got, err = db.RecordAnswer(ctx, d.ID, bob, AnswerGood, t0, window)
	must(t, err)
	if got.Status != StatusAnswered || got.MessageID != "msg-3" || got.Answer != AnswerGood {
		t.Fatalf("sent, then answered = %+v", got)
	}

	// A pending check-in has no DM yet: nothing to answer.
	p := schedule(t, db, alice, bob, t0.Add(time.Hour), "")
	_, err = db.RecordAnswer(ctx, p.ID, bob, AnswerGood, t0, window)
	wantErr(t, err, ErrNotFound)
}

// Leaving ends check-ins being sent too, and the worker then learns that its DM must go.
func TestLeavingCancelsCheckInsBeingSent(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for _, tc := range []struct {
		name           string
		sender, leaver string
		leave          func(leaver, other string) error
	}{
		{"remove", alice, bob, func(l, o string) error { _, err := db.RemovePartner(ctx, l, o, t0); return err }},
		{"block", carol, dave, func(l, o string) error { return db.Block(ctx, l, o, t0) }},
	} {
		link(t, db, tc.sender, tc.leaver)
		c := schedule(t, db, tc.sender, tc.leaver, t0, "")
		claim(t, db, c)
		must(t, tc.leave(tc.leaver, tc.sender))
		got, _ := db.CheckIn(ctx, c.ID)
		if got.Status != StatusCancelled {
			t.Fatalf("%s: check-in being sent is %s, want cancelled", tc.name, got.Status)
		}
		wantErr(t, db.MarkSent(ctx, c.ID, "dm-1", "msg-1", false, t0), ErrNotFound)
		if got, _ := db.CheckIn(ctx, c.ID); got.Status != StatusCancelled || got.MessageID != "" {
			t.Fatalf("%s: MarkSent revived a cancelled check-in: %+v", tc.name, got)
		}
	}
}

// The answer and the link check are one transaction: once the two are no longer partners,
// an answer is refused and nothing of it is stored.
func TestAnswerToAnUnlinkedPairIsRefused(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	c := deliver(t, db, schedule(t, db, alice, bob, t0, ""))
	_, err := db.RemovePartner(ctx, alice, bob, t0)
	must(t, err)
	_, err = db.RecordAnswer(ctx, c.ID, bob, AnswerTalk, t0, time.Hour)
	wantErr(t, err, ErrNotPartners)
	_, err = db.RecordWords(ctx, c.ID, bob, "hello?", t0, time.Hour)
	wantErr(t, err, ErrNotPartners)
	if got, _ := db.CheckIn(ctx, c.ID); got.Status != StatusSent || got.Answer != "" || got.Words != "" || !got.AnsweredAt.IsZero() {
		t.Fatalf("an answer to an unlinked pair was stored: %+v", got)
	}
	// A check-in to oneself needs no link.
	self := deliver(t, db, schedule(t, db, carol, carol, t0, ""))
	if _, err := db.RecordAnswer(ctx, self.ID, carol, AnswerGood, t0, time.Hour); err != nil {
		t.Fatalf("self answer: %v", err)
	}
}

// /privacy delete finds the DMs Afterglow posted to a person: check-in prompts they received
// and relays of answers to check-ins they sent; deleting the check-ins forgets them.
func TestDMsToAPerson(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	toBob := deliver(t, db, schedule(t, db, alice, bob, t0, "")) // prompt dm-channel/msg-1 to bob
	must(t, db.RecordRelay(ctx, toBob.ID, "dm-alice", "relay-1"))
	must(t, db.RecordRelay(ctx, toBob.ID, "dm-alice", "relay-2"))
	wantErr(t, db.RecordRelay(ctx, 4242, "dm-alice", "relay-x"), ErrNotFound)
	schedule(t, db, bob, alice, t0.Add(time.Hour), "") // pending: no DM yet

	got, err := db.DMsTo(ctx, alice)
	must(t, err)
	if want := []MessageRef{{"dm-alice", "relay-1"}, {"dm-alice", "relay-2"}}; !equalRefs(got, want) {
		t.Fatalf("DMsTo(alice) = %v, want %v", got, want)
	}
	got, err = db.DMsTo(ctx, bob)
	must(t, err)
	if want := []MessageRef{{"dm-channel", "msg-1"}}; !equalRefs(got, want) {
		t.Fatalf("DMsTo(bob) = %v, want %v", got, want)
	}
	must(t, db.DeleteUser(ctx, bob))
	var n int
	must(t, db.sql.QueryRow("SELECT count(*) FROM relay_messages").Scan(&n))
	if n != 0 {
		t.Fatalf("%d relay rows outlived their check-in", n)
	}
}

func equalRefs(a, b []MessageRef) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
