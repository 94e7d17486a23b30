package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
)

// Backup writes a consistent copy of the database at path to dest while a running
// afterglow keeps using it: VACUUM INTO reads one snapshot (WAL lets writers go on) and
// takes no lock a writer waits for. It changes nothing in the source: no migration, no
// key check written. dest must not exist; it is created 0600. The copy is then checked
// (integrity, and that key opens it) and removed again if it fails.
func Backup(ctx context.Context, path, dest string, key []byte) error {
	crypt, err := newSealer(key)
	if err != nil {
		return fmt.Errorf("back up %s: %w", path, err)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("back up %s: %w", path, err) // SQLite would create an empty one
	}
	// O_EXCL: never overwrite. The empty file keeps its 0600 when SQLite fills it.
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("back up %s: %w", path, err)
	}
	f.Close()
	if err := backupInto(ctx, path, dest, crypt); err != nil {
		os.Remove(dest)
		return fmt.Errorf("back up %s to %s: %w", path, dest, err)
	}
	return nil
}

func backupInto(ctx context.Context, path, dest string, crypt *sealer) error {
	// Not query_only: SQLite counts VACUUM INTO as a write. Nothing below writes the source.
	raw, err := sql.Open("sqlite3", backupDSN(path, false))
	if err != nil {
		return err
	}
	src := &sqlDB{DB: raw}
	defer src.Close()
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	// A newer afterglow's schema could hold what this one cannot check: refuse up front.
	if _, err := schemaVersion(ctx, src, len(ms)); err != nil {
		return err
	}
	if _, err := src.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	rawCopy, err := sql.Open("sqlite3", backupDSN(dest, true))
	if err != nil {
		return err
	}
	copySQL := &sqlDB{DB: rawCopy}
	defer copySQL.Close()
	copy := &DB{sql: copySQL, path: dest, crypt: crypt}
	report, err := copy.IntegrityCheck(ctx)
	if err != nil {
		return err
	}
	if report != "ok" {
		return fmt.Errorf("the copy fails its integrity check: %s", report)
	}
	// A copy without a key check is refused rather than given one.
	if err := copy.checkKey(ctx, false); err != nil {
		if errors.Is(err, ErrWrongKey) {
			return err
		}
		return fmt.Errorf("the copy has no readable key check: %w", err)
	}
	return nil
}

// backupDSN opens a file without Open's pragmas (which set the journal mode), waiting out
// a writer's checkpoint; queryOnly refuses every write.
func backupDSN(path string, queryOnly bool) string {
	params := url.Values{}
	params.Set("_busy_timeout", "5000")
	if queryOnly {
		params.Set("_query_only", "true")
	}
	return path + "?" + params.Encode()
}
