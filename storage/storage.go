// Package storage keeps Afterglow's data, in one SQLite file or in PostgreSQL (one set of
// SQL for both engines; dialect.go): schema migrations, typed queries, the domain rules
// that ride on the data (check-in statuses, failure reasons, answers, quiet hours,
// retention; rules.go), the sealing of user-written text, export and deletion of a
// person's data, and online backups.
//
// Times are stored as unix milliseconds: they come back in UTC, to the millisecond, and the
// zero time means unset. User-written text is sealed with AES-256-GCM before it is stored.
package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// Sentinel errors; callers test them with errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrWrongKey        = errors.New("the encryption key does not match this database")
	ErrTooNew          = errors.New("database schema is newer than this afterglow")
	ErrAlreadyPartners = errors.New("already partners")
	ErrInvitePending   = errors.New("an invitation between these two is already pending")
	ErrInviteLimit     = errors.New("daily invitation limit reached")
	ErrInviteRefused   = errors.New("invitation refused") // blocked or invitations off: one error so a block cannot be probed
	ErrExpired         = errors.New("expired")
	ErrCheckInLimit    = errors.New("daily check-in limit reached")
	ErrNotPartners     = errors.New("not partners")
	ErrClosed          = errors.New("the answer window is over")
	ErrNoKeyCheck      = errors.New("the database has no key check: whether the encryption key is right cannot be told, so it is not opened")
	// ErrLogNotCleared: the change is committed, but readers kept SQLite from clearing the
	// write-ahead log of the old pages; the next checkpoint clears them.
	ErrLogNotCleared    = errors.New("the write-ahead log still holds the old pages until the next checkpoint")
	ErrReadOnly         = errors.New("the database is read-only: afterglow must be able to write to the file, to its -wal and -shm files, and to their directory")
	errKeyLength        = errors.New("the encryption key must be 32 bytes (AES-256)")
	errMixedCheckIns    = errors.New("check-ins in one call must share sender and recipient")
	errSelfRelationship = errors.New("sender and recipient are the same person")
)

// DB is an open Afterglow database. It is safe for concurrent use.
type DB struct {
	sql *sqlDB
	// path is the SQLite file, or the PostgreSQL URL with its password redacted.
	path   string
	pg     bool
	pgConn pgHeld
	crypt  *sealer
	guilds guildCache
	// secrets are the PostgreSQL URL's password forms, taken out of every error.
	secrets []string
	// tightened names the files Open made owner-only, and their mode before.
	tightened []string
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
	tightened, err := ownerOnly(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	sqlDB := &sqlDB{DB: sql.OpenDB(connector{dsn: dsn(path)})}
	db := &DB{sql: sqlDB, path: path, crypt: crypt, tightened: tightened}
	if err := db.setUp(ctx); err != nil {
		sqlDB.Close()
		if isReadOnly(err) {
			err = ErrReadOnly
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// busyTimeoutMillis is how long a statement waits for a lock another connection holds.
const busyTimeoutMillis = "5000"

// dsn builds the driver's connection string. The driver runs these pragmas on every new
// connection, so every pooled connection gets them.
func dsn(path string) string {
	params := url.Values{}
	params.Set("_journal_mode", "WAL")
	params.Set("_busy_timeout", busyTimeoutMillis)
	params.Set("_foreign_keys", "on")
	params.Set("_txlock", "immediate") // writers take the lock up front: no upgrade deadlocks
	// Every commit reaches the disk before it returns. The driver's default (NORMAL) can
	// lose the last commits when the machine crashes or its disk fails: a check-in the
	// sender was told is scheduled, or the record that one was sent, which would send it again.
	params.Set("_synchronous", "FULL")
	params.Set("_secure_delete", "on")
	return path + "?" + params.Encode()
}

// journalSizeLimit bounds the -wal file left after a checkpoint (by default SQLite keeps
// it at its largest): old pages, deleted rows among them, linger there until overwritten.
// It is the size the WAL reaches between automatic checkpoints (1000 pages of 4 KiB), so
// ordinary use seldom truncates and regrows it.
const journalSizeLimit = 4 << 20

// sqliteDriver sets, on every new connection, what the connection string cannot.
var sqliteDriver = &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
	_, err := c.Exec(fmt.Sprintf("PRAGMA journal_size_limit = %d", journalSizeLimit), nil)
	return err
}}

// connector opens connections to one database through sqliteDriver.
type connector struct{ dsn string }

func (c connector) Connect(context.Context) (driver.Conn, error) { return sqliteDriver.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return sqliteDriver }

// ownerOnly creates the database file with mode 0600 when it does not exist (SQLite would
// create it 0644, and gives the -wal and -shm files the database file's mode), and takes
// the group and others bits off an existing database, -wal or -shm file. It returns the
// files it changed, with their mode before.
func ownerOnly(path string) ([]string, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("create: %w", err)
		}
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("create: %w", err)
	}
	var changed []string
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && !st.Mode().IsRegular()) {
			continue // not there, or not a file: SQLite says what is wrong
		}
		if err != nil {
			return nil, err
		}
		perm := st.Mode().Perm()
		if perm&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, perm&^0o077); err != nil {
			return nil, fmt.Errorf("%s is readable by group or others (mode %04o) and cannot be made owner-only: %w", p, perm, err)
		}
		changed = append(changed, fmt.Sprintf("%s was %04o", p, perm))
	}
	return changed, nil
}

// Tightened names the database files that were readable by group or others when Open
// found them, with their mode then; Open made them owner-only.
func (db *DB) Tightened() []string { return db.tightened }

func (db *DB) setUp(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return err
	}
	ms, err := loadMigrations(db.migrationFiles())
	if err != nil {
		return err
	}
	version, err := schemaVersion(ctx, db.sql, len(ms))
	if err != nil {
		return err
	}
	if version > 0 {
		// Check before migrating: the wrong key must not upgrade someone's file. A file past
		// version 0 got its key check when it was created; without one, any key would pass.
		if err := db.checkKey(ctx, false); err != nil {
			return err
		}
	}
	if err := migrate(ctx, db.sql, ms); err != nil {
		return err
	}
	if err := db.checkKey(ctx, version == 0); err != nil { // a new file gets its key check here
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

// Path is the file the database lives in; on PostgreSQL, its URL without the password.
func (db *DB) Path() string { return db.path }

// Close checkpoints the write-ahead log into the main file, truncating it, and closes the database.
func (db *DB) Close() error {
	if db.pg {
		db.pgConn.closeAll()
		if err := db.sql.Close(); err != nil {
			return fmt.Errorf("close database %s: %w", db.path, db.redact(err))
		}
		return nil
	}
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

// Checkpoint attempts and the busy wait of each: a reader or writer holds the log for
// milliseconds, so a checkpoint that cannot finish within this is stuck behind something else.
const (
	checkpointAttempts = 4
	checkpointBusyWait = 250 * time.Millisecond
)

// checkpoint copies the write-ahead log into the database file and truncates the log to
// zero bytes, so that the old pages it holds (rows just deleted among them) leave the disk.
// The pragma does not fail when readers keep it from finishing: it says so in its first
// column, and then it is tried again briefly before an error says the log still holds them.
func (db *DB) checkpoint(ctx context.Context) error {
	if db.pg {
		return nil // PostgreSQL's WAL is the server's; it recycles it itself
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer conn.Close()
	// This connection waits less than the others for the readers to go, and is given back
	// with the usual wait.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", checkpointBusyWait.Milliseconds())); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA busy_timeout = "+busyTimeoutMillis)
	for attempt := 1; ; attempt++ {
		var busy, logFrames, copied int
		if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &copied); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if attempt == checkpointAttempts {
			return fmt.Errorf("checkpoint: %s-wal is still in use after %d attempts: %w", db.path, attempt, ErrLogNotCleared)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("checkpoint: %w", ctx.Err())
		case <-time.After(checkpointBusyWait):
		}
	}
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
// PostgreSQL has no equivalent short of extensions: there it reports "ok" when the server answers.
func (db *DB) IntegrityCheck(ctx context.Context) (string, error) {
	if db.pg {
		if err := db.sql.PingContext(ctx); err != nil {
			return "", fmt.Errorf("integrity check: %w", db.redact(err))
		}
		return "ok", nil
	}
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

// inTx runs fn in one immediate transaction, rolling back on error. SQLite's immediate
// transactions run one at a time; on PostgreSQL a transaction-scoped advisory lock makes
// them do the same, so that the checks each makes before it writes (limits, pending
// invitations, links) hold on both engines alike.
func (db *DB) inTx(ctx context.Context, what string, fn func(tx *sqlTx) error) error {
	return db.runTx(ctx, what, true, fn)
}

// runTx is inTx; serialized false leaves out PostgreSQL's write lock, for a transaction
// that locks the rows it changes itself (ClaimDue's FOR UPDATE SKIP LOCKED).
func (db *DB) runTx(ctx context.Context, what string, serialized bool, fn func(tx *sqlTx) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, db.redact(err))
	}
	if db.pg && serialized {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext(current_schema()), ?)", pgWriteLock); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("%s: lock: %w", what, db.redact(err))
		}
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		if errors.Is(err, sql.ErrTxDone) && ctx.Err() != nil {
			// database/sql rolled it back when ctx ended: say that, not "already rolled back",
			// so that a shutdown is not taken for a failing database.
			err = ctx.Err()
		}
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
