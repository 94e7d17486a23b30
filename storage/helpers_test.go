package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/storage/pgtest"
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

// The storage tests run twice: once on SQLite, then once more on PostgreSQL (a throwaway
// cluster), so that both engines pass the same assertions. testDriver says which run this is.
var (
	testDriver = DriverSQLite
	cluster    *pgtest.Cluster
	adminDB    *sql.DB // the cluster's postgres database, to create each test's schema
)

func TestMain(m *testing.M) {
	fmt.Println("storage tests: driver sqlite")
	code := m.Run()
	c, err := pgtest.Start()
	switch {
	case err != nil && pgtest.Required():
		fmt.Fprintf(os.Stderr, "storage tests: PostgreSQL cannot start, and CI requires it: %v\n", err)
		os.Exit(1)
	case err != nil:
		fmt.Fprintf(os.Stderr, "storage tests: SKIPPING the PostgreSQL run: no server could start: %v\n", err)
		os.Exit(code)
	}
	cluster = c
	if adminDB, err = sql.Open("pgx", c.URL("postgres")); err != nil {
		c.Stop()
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDriver = DriverPostgres
	fmt.Println("storage tests: driver postgres")
	if pgCode := m.Run(); pgCode != 0 {
		code = pgCode
	}
	adminDB.Close()
	c.Stop()
	os.Exit(code)
}

// sqliteOnly skips a test of what only SQLite has (its files, their modes, the WAL, VACUUM INTO).
func sqliteOnly(t testing.TB) {
	t.Helper()
	if testDriver != DriverSQLite {
		t.Skip("SQLite only: " + t.Name() + " tests the database file")
	}
}

// postgresOnly skips a test of what only PostgreSQL has.
func postgresOnly(t testing.TB) {
	t.Helper()
	if testDriver != DriverPostgres {
		t.Skip("PostgreSQL only")
	}
}

// pgURLFor is the URL of the PostgreSQL database standing for the SQLite file path: a schema
// of its own, created on first use, so that reopening the same path finds the same data.
func pgURLFor(t testing.TB, path string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(path))
	schema := "t_" + hex.EncodeToString(sum[:8])
	if _, err := adminDB.Exec("CREATE SCHEMA IF NOT EXISTS " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	return cluster.URL("postgres") + "&search_path=" + schema
}

// openPath is Open on this run's driver: on PostgreSQL, path stands for a schema of its own.
func openPath(t testing.TB, path string, key []byte) (*DB, error) {
	t.Helper()
	if testDriver == DriverPostgres {
		return OpenPostgres(context.Background(), pgURLFor(t, path), key)
	}
	return Open(context.Background(), path, key)
}

// dbName is how Open's errors name the database standing for path.
func dbName(t testing.TB, path string) string {
	if testDriver == DriverPostgres {
		return RedactURL(pgURLFor(t, path))
	}
	return path
}

// rawAt is a plain handle on the database standing for path: no migration, no key check.
func rawAt(t testing.TB, path string) *sqlDB {
	t.Helper()
	driverName, dsn := "sqlite3", path
	if testDriver == DriverPostgres {
		driverName, dsn = "pgx", pgURLFor(t, path)
	}
	raw, err := sql.Open(driverName, dsn)
	must(t, err)
	t.Cleanup(func() { raw.Close() })
	return &sqlDB{DB: raw, pg: testDriver == DriverPostgres}
}

// setVersion records schema version v as a newer afterglow would have.
func setVersion(t testing.TB, db *DB, v int) {
	t.Helper()
	tx, err := db.sql.Begin()
	must(t, err)
	must(t, setSchemaVersion(context.Background(), tx, v))
	must(t, tx.Commit())
}

// openAt opens the database at path with the standard test key and closes it when the test ends.
func openAt(t testing.TB, path string) *DB {
	t.Helper()
	db, err := openPath(t, path, testKey(7))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, bench := t.(*testing.B); !bench { // a benchmark's log would print on every run
		t.Logf("storage driver: %s", testDriver)
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
			must(t, db.Reschedule(ctx, got, got.NextAttemptAt, got.Attempts))
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
