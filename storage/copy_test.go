package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCopyToPostgresKeepsEveryRowAsStored(t *testing.T) {
	postgresOnly(t) // the source is SQLite whatever the run; the target needs the cluster
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "source.db")
	src, err := Open(ctx, path, testKey(7))
	must(t, err)
	link(t, src, alice, bob)
	c := deliver(t, src, schedule(t, src, alice, bob, t0, "sealed note"))
	_, err = src.RecordWords(ctx, c.ID, bob, "sealed words", t0, time.Hour)
	must(t, err)
	must(t, src.RecordRelay(ctx, c.ID, "dm-alice", "relay-1"))
	gone := schedule(t, src, dave, dave, t0.Add(time.Hour), "deleted with its sender")
	must(t, src.DeleteUser(ctx, dave)) // the largest id is now a deleted one
	must(t, src.SavePlan(ctx, Plan{UserID: alice, Helps: "tea", UpdatedAt: t0}))
	must(t, src.Block(ctx, carol, dave, t0))
	must(t, src.SaveGuildSettings(ctx, GuildSettings{GuildID: guild, Resources: "a helpline"}))
	_, err = src.CreateInvitation(ctx, carol, alice, t0, time.Hour, 0)
	must(t, err)
	must(t, src.Close())

	target := pgURLFor(t, filepath.Join(t.TempDir(), "target"))
	copied, err := CopyToPostgres(ctx, path, target)
	must(t, err)
	seen := map[string]TableCopy{}
	for _, tc := range copied {
		seen[tc.Table] = tc
		if tc.Source != tc.Target {
			t.Errorf("%s: source %d rows, target %d", tc.Table, tc.Source, tc.Target)
		}
	}
	for table, want := range map[string]int64{"checkins": 1, "relay_messages": 1, "plans": 1, "blocks": 1, "partners": 1,
		"invitations": 1, "guild_settings": 1, "meta": 1, "health_probe": 0, "invitation_log": 2, "invite_cooldowns": 0, "user_settings": 0} {
		if got, ok := seen[table]; !ok || got.Source != want {
			t.Errorf("table %s: copied %+v (listed %v), want %d rows", table, got, ok, want)
		}
	}
	if len(seen) != 12 {
		t.Errorf("copied %d tables, want 12: %v", len(seen), copied)
	}

	// Again: the target is not empty now.
	if _, err := CopyToPostgres(ctx, path, target); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("second copy: %v, want a refusal of the non-empty target", err)
	}

	// The same key reads the sealed texts; another key is refused by the copied key check.
	if _, err := OpenPostgres(ctx, target, testKey(8)); err == nil {
		t.Fatal("the copy opened with another key")
	}
	db, err := OpenPostgres(ctx, target, testKey(7))
	must(t, err)
	defer db.Close()
	got, err := db.CheckIn(ctx, c.ID)
	must(t, err)
	if got.Note != "sealed note" || got.Words != "sealed words" || got.Status != StatusAnswered {
		t.Fatalf("copied check-in = %+v", got)
	}
	if p, ok, err := db.Plan(ctx, alice); err != nil || !ok || p.Helps != "tea" {
		t.Fatalf("copied plan = %+v, %v, %v", p, ok, err)
	}
	if blocked, err := db.Blocked(ctx, carol, dave); err != nil || !blocked {
		t.Fatalf("copied block = %v, %v", blocked, err)
	}
	if dms, err := db.DMsTo(ctx, alice); err != nil || len(dms) != 1 || dms[0].MessageID != "relay-1" {
		t.Fatalf("copied relays = %+v, %v", dms, err)
	}
	// New ids continue past every id SQLite gave, the deleted one too.
	next := schedule(t, db, alice, bob, t0.Add(2*time.Hour), "after the move")
	if next.ID <= gone.ID {
		t.Fatalf("new check-in id %d reuses ids up to %d", next.ID, gone.ID)
	}
}
