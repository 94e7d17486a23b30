package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wantMode fails the test unless the file at path exists with mode perm.
func wantMode(t *testing.T, path string, perm os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != perm {
		t.Errorf("%s: mode %04o, want %04o", filepath.Base(path), st.Mode().Perm(), perm)
	}
}

func TestOpenCreatesFilesOnlyTheOwnerCanRead(t *testing.T) {
	sqliteOnly(t)
	path := filepath.Join(t.TempDir(), "afterglow.db")
	db := openAt(t, path)
	link(t, db, alice, bob) // a write: the -wal and -shm exist
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(t, p, 0o600)
	}
}

func TestOpenTightensALooseDatabase(t *testing.T) {
	sqliteOnly(t)
	path := filepath.Join(t.TempDir(), "afterglow.db")
	db, err := Open(context.Background(), path, testKey(7))
	must(t, err)
	must(t, db.Close())
	must(t, os.Chmod(path, 0o644)) // as an earlier afterglow created it

	db = openAt(t, path)
	link(t, db, alice, bob)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(t, p, 0o600)
	}
	if got := strings.Join(db.Tightened(), "; "); got != path+" was 0644" {
		t.Errorf("Tightened() = %q, want the database file and its mode before", got)
	}
	db2 := openAt(t, path) // already owner-only: nothing to say
	if got := db2.Tightened(); len(got) != 0 {
		t.Errorf("Tightened() on an owner-only database = %q", got)
	}
}

func TestOpenRefusesADatabaseWithoutItsKeyCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "afterglow.db")
	db, err := openPath(t, path, testKey(7))
	must(t, err)
	_, err = db.sql.Exec("DELETE FROM meta WHERE key = ?", keyCheckMeta)
	must(t, err)
	must(t, db.Close())

	// Any key would do, and a new key check would bless the wrong one.
	if db, err := openPath(t, path, testKey(8)); err == nil {
		db.Close()
		t.Fatal("opened a database past version 0 that has no key check")
	} else if !errors.Is(err, ErrNoKeyCheck) || !strings.Contains(err.Error(), dbName(t, path)) || !strings.Contains(err.Error(), "key check") {
		t.Fatalf("error %q does not name the path and the missing key check", err)
	}
	// Nothing was written: still no key check.
	raw := rawAt(t, path)
	var n int
	must(t, raw.QueryRow("SELECT count(*) FROM meta WHERE key = ?", keyCheckMeta).Scan(&n))
	if n != 0 {
		t.Fatal("the refused open wrote a key check")
	}
}

// walSize is the size of the database's -wal file (absent: 0).
func walSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	must(t, err)
	return st.Size()
}

// leftIn names the database files that still hold marker.
func leftIn(t *testing.T, path, marker string) []string {
	t.Helper()
	var in []string
	for _, p := range []string{path, path + "-wal"} {
		if fileContains(t, p, marker) {
			in = append(in, filepath.Base(p))
		}
	}
	return in
}

func TestDeleteUserLeavesNothingInTheFiles(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "afterglow.db")
	db := openAt(t, path)
	const erin = "777000000000000777" // in no other row of the test
	populate(t, db, erin)
	if got := leftIn(t, path, erin); len(got) == 0 {
		t.Fatal("the id is in no file before the delete: the test proves nothing")
	}

	must(t, db.DeleteUser(ctx, erin))

	if n := walSize(t, path); n != 0 {
		t.Errorf("-wal is %d bytes after the delete, want 0", n)
	}
	if got := leftIn(t, path, erin); len(got) > 0 {
		t.Errorf("the deleted user's id is still in %v", got)
	}
}

func TestPurgeLeavesNothingInTheFiles(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "afterglow.db")
	db := openAt(t, path)
	link(t, db, alice, bob)
	const marker = "PURGEMARK-dm-4f2a"
	c := schedule(t, db, alice, bob, t0, "")
	claimed, err := db.ClaimDue(ctx, t0, time.Minute, 10)
	must(t, err)
	if len(claimed) != 1 || claimed[0].ID != c.ID {
		t.Fatalf("claimed %+v", claimed)
	}
	must(t, db.MarkSent(ctx, c.ID, marker+"-channel", marker+"-message", false, t0))
	if got := leftIn(t, path, marker); len(got) == 0 {
		t.Fatal("the marker is in no file before the purge: the test proves nothing")
	}

	keep := 24 * time.Hour
	n, err := db.Purge(ctx, t0.Add(keep+time.Hour), keep)
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	if n := walSize(t, path); n != 0 {
		t.Errorf("-wal is %d bytes after the purge, want 0", n)
	}
	if got := leftIn(t, path, marker); len(got) > 0 {
		t.Errorf("the purged check-in's DM ids are still in %v", got)
	}
}

// TestDeleteUserReportsAnUnfinishedCheckpoint: a reader that holds the log open stops the
// checkpoint; the delete says so instead of claiming the data is gone from the files.
func TestDeleteUserReportsAnUnfinishedCheckpoint(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	db := openTest(t)
	populate(t, db, alice)
	reader, err := db.sql.Conn(ctx)
	must(t, err)
	defer reader.Close()
	_, err = reader.ExecContext(ctx, "BEGIN DEFERRED")
	must(t, err)
	var n int
	must(t, reader.QueryRowContext(ctx, "SELECT count(*) FROM checkins").Scan(&n)) // holds a snapshot

	start := time.Now()
	err = db.DeleteUser(ctx, alice)
	if !errors.Is(err, ErrLogNotCleared) || !strings.Contains(err.Error(), "checkpoint") {
		t.Fatalf("DeleteUser with a reader holding the log: %v, want a checkpoint error", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("gave up after %v; retry briefly", took)
	}
	if c, _ := db.Counts(ctx, alice); c != (UserCounts{}) {
		t.Fatalf("the rows must be gone even so: %+v", c)
	}

	_, err = reader.ExecContext(ctx, "ROLLBACK")
	must(t, err)
	must(t, db.DeleteUser(ctx, alice)) // nothing left to delete; the checkpoint now completes
	if n := walSize(t, db.path); n != 0 {
		t.Errorf("-wal is %d bytes, want 0", n)
	}
}
