package storage

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func schemaVersionOf(t *testing.T, db *DB) int {
	t.Helper()
	v, err := schemaVersion(context.Background(), db.sql, 1<<30)
	must(t, err)
	return v
}

func tableNames(t *testing.T, db *DB) []string {
	t.Helper()
	query := "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
	if db.pg {
		query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name"
	}
	rows, err := db.sql.Query(query)
	must(t, err)
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		must(t, rows.Scan(&n))
		names = append(names, n)
	}
	must(t, rows.Err())
	return names
}

func TestOpenMigratesOnceAndDataSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "afterglow.db")
	db, err := openPath(t, path, testKey(7))
	must(t, err)
	ms, err := loadMigrations(migrationFiles)
	must(t, err)
	if got := schemaVersionOf(t, db); got != len(ms) || got < 1 {
		t.Fatalf("user_version = %d, want %d", got, len(ms))
	}
	tables := tableNames(t, db)
	must(t, db.SetMeta(ctx, "commands_hash", "abc"))
	link(t, db, alice, bob)
	c := schedule(t, db, alice, bob, t0.Add(time.Hour), "see you soon")
	must(t, db.Close())

	db2 := openAt(t, path)
	if got := strings.Join(tableNames(t, db2), ","); got != strings.Join(tables, ",") {
		t.Fatalf("tables after reopen = %s, want %s", got, strings.Join(tables, ","))
	}
	if got := schemaVersionOf(t, db2); got != len(ms) {
		t.Fatalf("user_version after reopen = %d", got)
	}
	v, ok, err := db2.Meta(ctx, "commands_hash")
	if err != nil || !ok || v != "abc" {
		t.Fatalf("Meta after reopen = %q, %v, %v", v, ok, err)
	}
	if ok, err := db2.ArePartners(ctx, bob, alice); err != nil || !ok {
		t.Fatalf("ArePartners after reopen = %v, %v", ok, err)
	}
	got, err := db2.CheckIn(ctx, c.ID)
	must(t, err)
	if got.Note != "see you soon" || got.Status != StatusPending || !got.DueAt.Equal(c.DueAt) {
		t.Fatalf("check-in after reopen = %+v", got)
	}
}

func TestOpenSetsPragmasOnEveryConnection(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	db := openTest(t)
	// Hold several connections at once so the pool must open new ones.
	var conns []*sql.Conn
	for range 3 {
		conn, err := db.sql.Conn(ctx)
		must(t, err)
		conns = append(conns, conn)
	}
	for i, conn := range conns {
		checks := map[string]string{
			"journal_mode":       "wal",
			"foreign_keys":       "1",
			"secure_delete":      "1",
			"busy_timeout":       "5000",
			"synchronous":        "2", // FULL
			"journal_size_limit": "4194304",
		}
		for pragma, want := range checks {
			var got string
			must(t, conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got))
			if got != want {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, pragma, got, want)
			}
		}
	}
	for _, conn := range conns {
		must(t, conn.Close())
	}
}

func TestOpenRefusesBadKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "afterglow.db")
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := openPath(t, path, make([]byte, n)); err == nil || !strings.Contains(err.Error(), "32 bytes") {
			t.Errorf("Open with %d-byte key: error = %v, want one naming 32 bytes", n, err)
		}
	}
	db, err := openPath(t, path, testKey(7))
	must(t, err)
	must(t, db.Close())

	_, err = openPath(t, path, testKey(8))
	wantErr(t, err, ErrWrongKey)
	if !strings.Contains(err.Error(), dbName(t, path)) {
		t.Errorf("wrong-key error %q does not name the path", err)
	}
	// The refusal changed nothing: the right key still works.
	db = openAt(t, path)
	must(t, db.Ping(ctx))
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "afterglow.db")
	db, err := openPath(t, path, testKey(7))
	must(t, err)
	setVersion(t, db, 7)
	must(t, db.Close())

	_, err = openPath(t, path, testKey(7))
	wantErr(t, err, ErrTooNew)
	ms, _ := loadMigrations(migrationFiles)
	want := "database schema version 7 is newer than this afterglow (knows " + strconv.Itoa(len(ms)) + "): upgrade afterglow"
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %q, want it to contain %q", err, want)
	}
}

func TestOpenReportsUnusablePaths(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	must(t, os.WriteFile(garbage, []byte(strings.Repeat("this is not a database ", 100)), 0o600))
	for name, path := range map[string]string{
		"missing directory": filepath.Join(dir, "no", "such", "dir", "afterglow.db"),
		"a directory":       dir,
		"not a database":    garbage,
		"query characters":  filepath.Join(dir, "odd?name.db"),
		"in memory":         ":memory:",
	} {
		_, err := Open(ctx, path, testKey(7))
		if err == nil {
			t.Errorf("%s: Open succeeded", name)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name the path", name, err)
		}
	}
}

func TestOpenRefusesReadOnlyFile(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ro.db")
	db, err := Open(ctx, path, testKey(1))
	must(t, err)
	must(t, db.Close())
	if os.Geteuid() == 0 {
		// File modes do not stop root; the immutable attribute does.
		if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
			t.Skipf("cannot make the file read-only for root here: chattr +i: %v %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("chattr", "-i", path).Run() })
	} else {
		must(t, os.Chmod(path, 0o444))
	}
	_, err = Open(ctx, path, testKey(1))
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a read-only file: %v, want ErrReadOnly naming the path", err)
	}
}

func TestMigrationsApplyInOrderAndFailAtomically(t *testing.T) {
	ctx := context.Background()
	raw := rawAt(t, filepath.Join(t.TempDir(), "m.db"))

	first := fstest.MapFS{
		"0002_fill.sql": {Data: []byte("INSERT INTO a (x) VALUES (2);")},
		"0001_init.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
	}
	migrations := func(fsys fstest.MapFS) []migration {
		ms, err := loadMigrations(fsys)
		must(t, err)
		return ms
	}
	must(t, migrate(ctx, raw, migrations(first)))
	must(t, migrate(ctx, raw, migrations(first))) // again: nothing to do, nothing doubled
	var rows int
	must(t, raw.QueryRow("SELECT count(*) FROM a").Scan(&rows))
	if rows != 1 {
		t.Fatalf("rows in a = %d, want 1 (migration 2 applied exactly once)", rows)
	}

	broken := fstest.MapFS{
		"0001_init.sql":   first["0001_init.sql"],
		"0002_fill.sql":   first["0002_fill.sql"],
		"0003_broken.sql": {Data: []byte("CREATE TABLE b (y INTEGER); INSERT INTO no_such_table VALUES (1);")},
	}
	if err := migrate(ctx, raw, migrations(broken)); err == nil || !strings.Contains(err.Error(), "0003_broken.sql") {
		t.Fatalf("broken migration: error = %v, want one naming the file", err)
	}
	version, err := schemaVersion(ctx, raw, 3)
	must(t, err)
	var tablesB int
	tableQuery := "SELECT count(*) FROM sqlite_master WHERE name = 'b'"
	if raw.pg {
		tableQuery = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'b'"
	}
	must(t, raw.QueryRow(tableQuery).Scan(&tablesB))
	if version != 2 || tablesB != 0 {
		t.Fatalf("after failed migration: version %d, table b present %d; want 2 and 0", version, tablesB)
	}

	for name, fsys := range map[string]fstest.MapFS{
		"gap":      {"0001_a.sql": {}, "0003_c.sql": {}},
		"bad name": {"first.sql": {}},
		"zero":     {"0000_a.sql": {}},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("loadMigrations(%s) accepted bad migrations", name)
		}
	}
}

func TestPingIntegrityAndClose(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "afterglow.db")
	db, err := openPath(t, path, testKey(7))
	must(t, err)
	must(t, db.Ping(ctx))
	report, err := db.IntegrityCheck(ctx)
	if err != nil || report != "ok" {
		t.Fatalf("IntegrityCheck = %q, %v", report, err)
	}
	if db.Path() != dbName(t, path) {
		t.Fatalf("Path = %q", db.Path())
	}
	link(t, db, alice, bob)
	must(t, db.Close())
	// A clean close leaves the log checkpointed: the -wal file is gone or empty.
	if info, err := os.Stat(path + "-wal"); testDriver == DriverSQLite && err == nil && info.Size() != 0 {
		t.Fatalf("-wal file holds %d bytes after Close", info.Size())
	}
	if err := db.Ping(ctx); err == nil {
		t.Fatal("Ping after Close succeeded")
	}
}

func TestMeta(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, ok, err := db.Meta(ctx, "missing"); ok || err != nil {
		t.Fatalf("Meta(missing) = %v, %v", ok, err)
	}
	must(t, db.SetMeta(ctx, "commands_hash", "one"))
	must(t, db.SetMeta(ctx, "commands_hash", "two"))
	if v, ok, err := db.Meta(ctx, "commands_hash"); v != "two" || !ok || err != nil {
		t.Fatalf("Meta = %q, %v, %v", v, ok, err)
	}
	if err := db.SetMeta(ctx, keyCheckMeta, "x"); err == nil {
		t.Fatal("SetMeta overwrote the key check")
	}
}

func TestContextCancelled(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := db.ClaimDue(ctx, t0, time.Minute, 10)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ClaimDue with cancelled context: %v", err)
	}
}

// A transaction whose context ends while it runs is rolled back by database/sql, so its
// commit can only say "already rolled back". That is shutdown, not a broken database: the
// error says the context ended, which callers treat as such.
func TestTransactionCancelledBeforeCommitSaysSo(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := db.inTx(ctx, "cancelled work", func(tx *sqlTx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE meta SET value = value WHERE key = 'none'"); err != nil {
			return err
		}
		cancel()
		time.Sleep(10 * time.Millisecond) // database/sql rolls back in its own goroutine
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("commit after the context ended: %v, want context.Canceled", err)
	}
}
