package commands

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/afterglow-bot/afterglow/storage"
)

// Every /checkin send confirmation says when, `now` included.
func TestCheckinNowConfirmationShowsTheTime(t *testing.T) {
	f := newFixture(t)
	f.link(t, alice, bob)
	for _, opts := range []map[string]string{{"partner": bob.ID}, {"partner": alice.ID}} {
		r := f.do(t, sub(alice, "checkin", "send", opts))
		if !r.Ephemeral || !strings.Contains(r.Content, "on its way") || !strings.Contains(r.Content, fmt.Sprintf("<t:%d:R>", f.now.Unix())) {
			t.Fatalf("now confirmation for %s: %q", opts["partner"], r.Content)
		}
	}
}

// Relays are remembered by id, and /privacy delete deletes the DMs it knows it sent the
// person: prompts they received, relays to what they sent.
func TestPrivacyDeleteDeletesKnownDMs(t *testing.T) {
	f := newFixture(t)
	c, _ := f.sentCheckIn(t, "") // alice -> bob, posted as "dm"/"msg"
	f.do(t, click(bob, makeCustomID(routeAnswer, itoa(c.ID), storage.AnswerGood)))
	relay := f.dms.sent[len(f.dms.sent)-1]
	if relay.To != alice.ID {
		t.Fatalf("relay went to %s", relay.To)
	}
	ask := func(u User) Response {
		return f.do(t, Request{Kind: KindComponent, Caller: u, CustomID: routeDeleteConfirm, Message: &MessageInfo{ID: "m", Ephemeral: true}})
	}
	r := ask(alice)
	if !strings.Contains(r.Content, "I also deleted 1 message(s) I had sent you.") {
		t.Fatalf("alice's confirmation: %q", r.Content)
	}
	if len(f.dms.deleted) != 1 || f.dms.deleted[0] != relay.At {
		t.Fatalf("deleted %+v, want alice's relay %+v", f.dms.deleted, relay.At)
	}
	// Alice's deletion took the check-in with it; Bob has nothing of it left to delete.
	if r := ask(bob); strings.Contains(r.Content, "I also deleted") {
		t.Fatalf("bob's confirmation: %q", r.Content)
	}
}

// deletingDMs deletes the sender's data while their relay is on its way.
type deletingDMs struct {
	*recordingDMs
	during func()
}

func (d deletingDMs) PostDM(ctx context.Context, userID string, msg Message) (SentDM, error) {
	d.during()
	return d.recordingDMs.PostDM(ctx, userID, msg)
}

// A relay whose check-in was deleted while it was posted is deleted too.
func TestRelayToDeletedCheckInIsDeleted(t *testing.T) {
	f := newFixture(t)
	c, _ := f.sentCheckIn(t, "")
	d := deletingDMs{f.dms, func() {
		if err := f.store.DeleteUser(context.Background(), alice.ID); err != nil {
			t.Fatal(err)
		}
	}}
	f.router = NewRouter(Deps{Content: f.lib, Store: f.store, Clock: func() time.Time { return f.now }, DM: d})
	f.do(t, click(bob, makeCustomID(routeAnswer, itoa(c.ID), storage.AnswerGood)))
	relay := f.dms.sent[len(f.dms.sent)-1]
	if relay.To != alice.ID || len(f.dms.deleted) != 1 || f.dms.deleted[0] != relay.At {
		t.Fatalf("relay %+v, deleted %+v", relay, f.dms.deleted)
	}
}

// A reader that keeps SQLite from clearing its write-ahead log at once does not turn a
// finished deletion into an error: the rows are gone, and the log is cleared later.
func TestPrivacyDeleteWithTheLogStillInUseIsDone(t *testing.T) {
	f := newFixture(t)
	f.sentCheckIn(t, "")
	reader, err := sql.Open("sqlite3", "file:"+f.store.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	tx, err := reader.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRow("SELECT count(*) FROM checkins").Scan(&n); err != nil { // holds a snapshot
		t.Fatal(err)
	}
	r := f.do(t, Request{Kind: KindComponent, Caller: alice, CustomID: routeDeleteConfirm, Message: &MessageInfo{ID: "m", Ephemeral: true}})
	if !strings.HasPrefix(r.Content, msgDeleteDone) || !r.Ephemeral {
		t.Fatalf("confirmation with the log in use: %q", r.Content)
	}
	if c, err := f.store.Counts(context.Background(), alice.ID); err != nil || c != (storage.UserCounts{}) {
		t.Fatalf("alice's rows after the deletion: %+v %v", c, err)
	}
}
