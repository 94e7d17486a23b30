package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/bot"
	"github.com/afterglow-bot/afterglow/content"
	"github.com/afterglow-bot/afterglow/storage"
	"github.com/afterglow-bot/afterglow/storage/pgtest"
)

// startPostgres starts a throwaway cluster for one test: under CI a failure to start fails.
func startPostgres(t *testing.T) *pgtest.Cluster {
	t.Helper()
	c, err := pgtest.Start()
	if err != nil {
		if pgtest.Required() {
			t.Fatalf("PostgreSQL cannot start, and CI requires it: %v", err)
		}
		t.Skipf("SKIPPING: no PostgreSQL server could start: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestMigrateCopiesSQLiteToPostgres(t *testing.T) {
	ctx := context.Background()
	cluster := startPostgres(t)
	key := bytes.Repeat([]byte{0x42}, 32)
	path := filepath.Join(t.TempDir(), "afterglow.db")
	src, err := storage.Open(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	const alice, bob = "100000000000000001", "200000000000000002"
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	inv, err := src.CreateInvitation(ctx, alice, bob, t0, time.Hour, 0)
	if err == nil {
		_, err = src.AcceptInvitation(ctx, inv.ID, bob, t0)
	}
	if err != nil {
		t.Fatal(err)
	}
	cs, err := src.ScheduleCheckIns(ctx, []storage.CheckIn{{SenderID: alice, RecipientID: bob, GuildID: "9", Note: "a sealed note", DueAt: t0.Add(time.Hour)}}, t0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}

	dbURL, err := cluster.CreateDatabase("moved")
	if err != nil {
		t.Fatal(err)
	}
	// The server trusts local connections: the password is there to be kept out of sight.
	const password = "pw-0d6f4c"
	dbURL = strings.Replace(dbURL, "postgres@", "postgres:"+password+"@", 1)
	args := []string{"migrate", "--from", "sqlite:" + path, "--to", dbURL}

	var stdout, stderr bytes.Buffer
	if code := run(ctx, args, mapEnv(nil), &stdout, &stderr); code != 0 {
		t.Fatalf("migrate exited %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 12 {
		t.Errorf("migrate printed %d lines, want one per table (12):\n%s", len(lines), stdout.String())
	}
	for _, want := range []string{"checkins: 1 rows, counts match", "partners: 1 rows, counts match", "meta: 1 rows, counts match",
		"invitations: 0 rows, counts match", "invitation_log: 1 rows, counts match", "relay_messages: 0 rows, counts match"} {
		if !strings.Contains(stdout.String(), want+"\n") {
			t.Errorf("migrate output lacks %q:\n%s", want, stdout.String())
		}
	}

	// Again into the same database: refused, non-zero, and still no password shown.
	stdout.Reset()
	var again bytes.Buffer
	if code := run(ctx, args, mapEnv(nil), &stdout, &again); code == 0 || !strings.Contains(again.String(), "not empty") {
		t.Fatalf("second migrate exited %d: %s", code, again.String())
	}
	for _, out := range []string{stdout.String(), stderr.String(), again.String()} {
		if strings.Contains(out, password) {
			t.Fatalf("migrate showed the password: %s", out)
		}
	}

	// The bot's own storage set-up on the target, with the same key, reads the note back.
	cfg, err := bot.LoadConfig("", mapEnv(map[string]string{
		"AFTERGLOW_DISCORD_TOKEN":          "not-a-token",
		"AFTERGLOW_STORAGE_DRIVER":         "postgres",
		"AFTERGLOW_STORAGE_URL":            dbURL,
		"AFTERGLOW_STORAGE_PATH":           path,
		"AFTERGLOW_STORAGE_ENCRYPTION_KEY": hex.EncodeToString(key),
	}))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	_, store, err := openBot(ctx, cfg, lib, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if store.Path() == path || strings.Contains(store.Path(), password) {
		t.Fatalf("the bot opened %q, not the PostgreSQL copy named without its password", store.Path())
	}
	got, err := store.CheckIn(ctx, cs[0].ID)
	if err != nil || got.Note != "a sealed note" || got.SenderID != alice {
		t.Fatalf("check-in on the target = %+v, %v", got, err)
	}
	if ok, err := store.ArePartners(ctx, alice, bob); !ok || err != nil {
		t.Fatalf("partners on the target = %v, %v", ok, err)
	}
}

func TestMigrateFailsOnACountMismatch(t *testing.T) {
	var out bytes.Buffer
	err := reportCopy([]storage.TableCopy{{Table: "meta", Source: 1, Target: 1}, {Table: "checkins", Source: 1234, Target: 1233}}, &out)
	if err == nil || !strings.Contains(err.Error(), "checkins") {
		t.Fatalf("reportCopy = %v, want an error naming checkins", err)
	}
	want := "meta: 1 rows, counts match\ncheckins: 1234 rows in the source, 1233 in the target: COUNTS DIFFER\n"
	if out.String() != want {
		t.Fatalf("reportCopy printed %q, want %q", out.String(), want)
	}
	var stderr bytes.Buffer
	for _, args := range [][]string{
		{"migrate"},
		{"migrate", "--from", "afterglow.db", "--to", "postgres://x/y"},
		{"migrate", "--from", "sqlite:afterglow.db", "--to", "mysql://u:pw-hidden@x/y"},
	} {
		stderr.Reset()
		if code := run(context.Background(), args, mapEnv(nil), io.Discard, &stderr); code == 0 {
			t.Errorf("%v exited 0", args)
		}
		if strings.Contains(stderr.String(), "pw-hidden") {
			t.Errorf("%v showed the password: %s", args, stderr.String())
		}
	}
}
