package storage

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// t0 is the fixed "now" the tests count from.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Snowflake-like ids; none is a substring of another.
const (
	alice = "100000000000000001"
	bob   = "200000000000000002"
	carol = "300000000000000003"
	dave  = "400000000000000004"
	guild = "900000000000000009"
)

func testKey(fill byte) []byte { return bytes.Repeat([]byte{fill}, 32) }

// openAt opens the database at path with the standard test key and closes it when the test ends.
func openAt(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, testKey(7))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func openTest(t testing.TB) *DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "afterglow.db"))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// link makes a and b partners through an accepted invitation.
func link(t testing.TB, db *DB, a, b string) {
	t.Helper()
	ctx := context.Background()
	inv, err := db.CreateInvitation(ctx, a, b, t0, time.Hour, 0)
	must(t, err)
	_, err = db.AcceptInvitation(ctx, inv.ID, b, t0)
	must(t, err)
}

// schedule stores one check-in from sender to recipient due at due.
func schedule(t testing.TB, db *DB, sender, recipient string, due time.Time, note string) CheckIn {
	t.Helper()
	cs, err := db.ScheduleCheckIns(context.Background(),
		[]CheckIn{{SenderID: sender, RecipientID: recipient, GuildID: guild, Note: note, DueAt: due}}, t0, 0)
	must(t, err)
	return cs[0]
}

// deliver takes check-in c through claim and MarkSent at its due time.
func deliver(t testing.TB, db *DB, c CheckIn) CheckIn {
	t.Helper()
	ctx := context.Background()
	claimed, err := db.ClaimDue(ctx, c.DueAt, time.Minute, 1000)
	must(t, err)
	found := false
	for _, got := range claimed {
		if got.ID == c.ID {
			found = true
		} else {
			must(t, db.Reschedule(ctx, got.ID, got.NextAttemptAt, got.Attempts))
		}
	}
	if !found {
		t.Fatalf("check-in %d was not claimed at its due time", c.ID)
	}
	must(t, db.MarkSent(ctx, c.ID, "dm-channel", "msg-1", false, c.DueAt))
	sent, err := db.CheckIn(ctx, c.ID)
	must(t, err)
	return sent
}
