// Package storage keeps Afterglow's data in one SQLite file: schema migrations and typed queries.
//
// Times are stored as unix milliseconds: they come back in UTC, to the millisecond, and the
// zero time means unset. User-written text is sealed with AES-256-GCM before it is stored.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// Sentinel errors; callers test them with errors.Is.
var (
	ErrNotFound         = errors.New("not found")
	ErrWrongKey         = errors.New("the encryption key does not match this database")
	ErrTooNew           = errors.New("database schema is newer than this afterglow")
	ErrAlreadyPartners  = errors.New("already partners")
	ErrInvitePending    = errors.New("an invitation between these two is already pending")
	ErrInviteLimit      = errors.New("daily invitation limit reached")
	ErrInviteRefused    = errors.New("invitation refused") // blocked or invitations off: one error so a block cannot be probed
	ErrExpired          = errors.New("expired")
	ErrCheckInLimit     = errors.New("daily check-in limit reached")
	ErrNotPartners      = errors.New("not partners")
	ErrClosed           = errors.New("the answer window is over")
	ErrReadOnly         = errors.New("the database is read-only: afterglow must be able to write to the file, to its -wal and -shm files, and to their directory")
	errKeyLength        = errors.New("the encryption key must be 32 bytes (AES-256)")
	errMixedCheckIns    = errors.New("check-ins in one call must share sender and recipient")
	errSelfRelationship = errors.New("sender and recipient are the same person")
)

// DB is an open Afterglow database. It is safe for concurrent use.
type DB struct {
	sql    *sql.DB
	path   string
	crypt  *sealer
	guilds guildCache
}

// querier is what both *sql.DB and *sql.Tx offer, so read helpers work inside and outside transactions.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Open opens (creating if needed) the database at path, applies pending migrations and checks
// that key (32 bytes) is the key the database was first opened with.
func Open(ctx context.Context, path string, key []byte) (*DB, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("open database %s: %w (got %d)", path, errKeyLength, len(key))
	}
	// The driver reads parameters after '?', and ":memory:" or "file:" would not be one shared file.
	if path == "" || strings.Contains(path, "?") || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open database %q: the path must be a plain file name, without '?'", path)
	}
	crypt, err := newSealer(key)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	sqlDB, err := sql.Open("sqlite3", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db := &DB{sql: sqlDB, path: path, crypt: crypt}
	if err := db.setUp(ctx); err != nil {
		sqlDB.Close()
		if isReadOnly(err) {
			err = ErrReadOnly
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// dsn builds the driver's connection string. The driver runs these pragmas on every new
// connection, so every pooled connection gets them.
func dsn(path string) string {
	params := url.Values{}
	params.Set("_journal_mode", "WAL")
	params.Set("_busy_timeout", "5000")
	params.Set("_foreign_keys", "on")
	params.Set("_txlock", "immediate") // writers take the lock up front: no upgrade deadlocks
	// Every commit reaches the disk before it returns. The driver's default (NORMAL) can
	// lose the last commits when the machine crashes or its disk fails: a check-in the
	// sender was told is scheduled, or the record that one was sent, which would send it again.
	params.Set("_synchronous", "FULL")
	params.Set("_secure_delete", "on")
	return path + "?" + params.Encode()
}

func (db *DB) setUp(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return err
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	version, err := schemaVersion(ctx, db.sql, len(ms))
	if err != nil {
		return err
	}
	if version > 0 {
		// Check before migrating: the wrong key must not upgrade someone's file.
		if err := db.checkKey(ctx); err != nil {
			return err
		}
	}
	if err := migrate(ctx, db.sql, ms); err != nil {
		return err
	}
	if err := db.checkKey(ctx); err != nil { // a new file gets its key check here
		return err
	}
	return db.checkWritable(ctx)
}

// checkWritable writes a row as it is and rolls back. SQLite opens a file it may not write
// read-only without a word, and every write would fail later, after connecting to Discord.
func (db *DB) checkWritable(ctx context.Context) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("check the file is writable: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "UPDATE meta SET value = value WHERE key = ?", keyCheckMeta); err != nil {
		return fmt.Errorf("check the file is writable: %w", err)
	}
	return nil
}

// isReadOnly tells SQLite's "attempt to write a readonly database".
func isReadOnly(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && e.Code == sqlite3.ErrReadonly
}

// Path is the file the database lives in.
func (db *DB) Path() string { return db.path }

// Close checkpoints the write-ahead log into the main file, truncating it, and closes the database.
func (db *DB) Close() error {
	_, cpErr := db.sql.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	closeErr := db.sql.Close()
	if cpErr != nil {
		return fmt.Errorf("close database %s: checkpoint: %w", db.path, cpErr)
	}
	if closeErr != nil {
		return fmt.Errorf("close database %s: %w", db.path, closeErr)
	}
	return nil
}

// Ping checks that the database answers and still takes writes: a disk that filled up or
// went read-only while afterglow runs still answers reads, and fails every write.
func (db *DB) Ping(ctx context.Context) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO health_probe (id, checked_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// IntegrityCheck runs SQLite's integrity check and returns its report ("ok" when healthy).
func (db *DB) IntegrityCheck(ctx context.Context) (string, error) {
	rows, err := db.sql.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", fmt.Errorf("integrity check: %w", err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	return strings.Join(lines, "\n"), nil
}

// inTx runs fn in one immediate transaction, rolling back on error.
func (db *DB) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

// execOne runs a statement that must change exactly one row; none is ErrNotFound.
func execOne(ctx context.Context, q querier, query string, args ...any) error {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// millis stores a time as unix milliseconds; the zero time is stored as 0.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis is the inverse of millis, in UTC.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pairOrder returns the two ids sorted, the way partner links are stored.
func pairOrder(a, b string) (lo, hi string) {
	if a < b {
		return a, b
	}
	return b, a
}

// Meta returns the value stored under key, and whether there is one.
func (db *DB) Meta(ctx context.Context, key string) (string, bool, error) {
	var value string
	err := db.sql.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read meta %q: %w", key, err)
	}
	return value, true, nil
}

// SetMeta stores value under key, replacing any earlier value. Keys used by storage itself are refused.
func (db *DB) SetMeta(ctx context.Context, key, value string) error {
	if key == keyCheckMeta {
		return fmt.Errorf("set meta %q: the key is reserved", key)
	}
	_, err := db.sql.ExecContext(ctx,
		"INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		key, value)
	if err != nil {
		return fmt.Errorf("set meta %q: %w", key, err)
	}
	return nil
}
