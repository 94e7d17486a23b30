package storage

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// A backup is a private, checked copy that opens with the key and holds what was stored.
func TestBackupCopiesPrivatelyAndChecksTheCopy(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	c := schedule(t, db, alice, bob, t0, "a note only the key can read")
	dest := filepath.Join(t.TempDir(), "backup.db")

	must(t, Backup(ctx, db.Path(), dest, testKey(7)))
	info, err := os.Stat(dest)
	must(t, err)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode %04o, want 0600", info.Mode().Perm())
	}
	copy := openAt(t, dest)
	got, err := copy.CheckIn(ctx, c.ID)
	must(t, err)
	if got.Note != "a note only the key can read" || got.Status != StatusPending {
		t.Fatalf("check-in in the backup: %+v", got)
	}
}

// An existing file is never overwritten, even an empty one, and a copy that fails its key
// check is not left behind as if it were a backup.
func TestBackupRefusesAnExistingFileAndAWrongKey(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	db := openTest(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	must(t, os.WriteFile(existing, nil, 0o600))
	if err := Backup(ctx, db.Path(), existing, testKey(7)); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("backup over an existing file: %v, want fs.ErrExist", err)
	}
	wrong := filepath.Join(dir, "wrong.db")
	wantErr(t, Backup(ctx, db.Path(), wrong, testKey(8)), ErrWrongKey)
	if _, err := os.Stat(wrong); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a copy that failed its key check was left at %s: %v", wrong, err)
	}
	missing := filepath.Join(dir, "missing.db")
	if err := Backup(ctx, missing, filepath.Join(dir, "b.db"), testKey(7)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("backup of a missing database: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("backup of a missing database created it")
	}
}
