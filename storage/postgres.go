package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL goes through database/sql too, with pgx's stdlib driver rather than pgx's own
// pool: the store's methods, their SQL and their tests then serve both engines once (the
// placeholders are rewritten in dialect.go), where a pgxpool version would be a second copy
// of every method. What database/sql does not offer, pgx's own connection does, reached
// through (*sql.Conn).Raw: LISTEN's WaitForNotification, and COPY for `afterglow migrate`.

// The drivers storage.driver names.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Config says which engine holds the data and where.
type Config struct {
	Driver string // DriverSQLite (also when empty) or DriverPostgres
	Path   string // the SQLite file
	URL    string // postgres://user:password@host/dbname?…
}

// OpenConfig opens the database cfg names: Open for SQLite, OpenPostgres for PostgreSQL.
func OpenConfig(ctx context.Context, cfg Config, key []byte) (*DB, error) {
	switch cfg.Driver {
	case "", DriverSQLite:
		return Open(ctx, cfg.Path, key)
	case DriverPostgres:
		return OpenPostgres(ctx, cfg.URL, key)
	default:
		return nil, fmt.Errorf("open database: unknown driver %q (want %q or %q)", cfg.Driver, DriverSQLite, DriverPostgres)
	}
}

// Advisory lock ids, the second key of pg_advisory_lock(int, int); the first is the schema's
// hash, so that installations in two schemas of one database do not meet.
const (
	pgWriteLock  = 1 // serializes write transactions and migrations, as SQLite's file lock does
	pgSenderLock = 2 // held by the one process that runs the delivery loop
)

// scheduledChannel is the LISTEN/NOTIFY channel that wakes the sender.
const scheduledChannel = "afterglow_scheduled"

// OpenPostgres connects to the PostgreSQL database at rawURL (postgres://…), applies
// pending migrations and checks that key (32 bytes) is the key the database was first
// opened with. The password never appears in an error: the URL is named redacted.
func OpenPostgres(ctx context.Context, rawURL string, key []byte) (*DB, error) {
	name := RedactURL(rawURL)
	if len(key) != 32 {
		return nil, fmt.Errorf("open database %s: %w (got %d)", name, errKeyLength, len(key))
	}
	if !IsPostgresURL(rawURL) {
		return nil, fmt.Errorf("open database %s: the URL must start with postgres:// or postgresql://", name)
	}
	crypt, err := newSealer(key)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	db := &DB{path: name, pg: true, crypt: crypt, secrets: urlSecrets(rawURL)}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", name, db.redact(err))
	}
	db.sql = &sqlDB{DB: stdlib.OpenDB(*cfg), pg: true}
	if err := db.setUp(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("open database %s: %w", name, db.redact(err))
	}
	return db, nil
}

// IsPostgresURL says whether s names a PostgreSQL database as storage.url must.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// RedactURL is rawURL fit for a log or an error: its password, in the user part or as a
// parameter, is replaced. What cannot be parsed is not shown at all.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(a PostgreSQL URL that cannot be parsed)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// urlSecrets are the strings of rawURL that must not reach an error: the password, raw and
// unescaped, and the URL itself.
func urlSecrets(rawURL string) []string {
	secrets := []string{rawURL}
	u, err := url.Parse(rawURL)
	if err != nil {
		return secrets
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		secrets = append(secrets, pw, url.UserPassword("", pw).String()[1:])
	}
	if pw := u.Query().Get("password"); pw != "" {
		secrets = append(secrets, pw, url.QueryEscape(pw))
	}
	return secrets
}

// redactedError is an error whose text had secrets taken out; errors.Is still sees through it.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// redact takes the connection URL's secrets out of err's text: a driver may quote what it
// was given when it fails.
func (db *DB) redact(err error) error {
	if err == nil || len(db.secrets) == 0 {
		return err
	}
	msg := err.Error()
	changed := false
	for _, s := range db.secrets {
		if s != "" && strings.Contains(msg, s) {
			msg, changed = strings.ReplaceAll(msg, s, "xxxxx"), true
		}
	}
	if !changed {
		return err
	}
	return redactedError{msg: msg, err: err}
}

// pgHeld keeps the dedicated connections (the sender lock's, the listener's) referenced for
// as long as they are used: a connection nothing references is closed by the garbage
// collector, and a session lock it held goes with it.
type pgHeld struct {
	mu    sync.Mutex
	conns map[*sql.Conn]struct{}
	stops []context.CancelFunc // ends what uses them, before Close takes them
}

func (h *pgHeld) onClose(stop context.CancelFunc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stops = append(h.stops, stop)
}

func (h *pgHeld) add(c *sql.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns == nil {
		h.conns = make(map[*sql.Conn]struct{})
	}
	h.conns[c] = struct{}{}
}

// drop forgets c and closes it for good: it is not given back to the pool, so that a
// session lock or a LISTEN it may still hold cannot pass to another use.
func (h *pgHeld) drop(c *sql.Conn) {
	h.mu.Lock()
	_, ok := h.conns[c]
	delete(h.conns, c)
	h.mu.Unlock()
	if ok {
		discard(c)
	}
}

func (h *pgHeld) closeAll() {
	h.mu.Lock()
	conns, stops := h.conns, h.stops
	h.conns, h.stops = nil, nil
	h.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
	for c := range conns {
		discard(c)
	}
}

// discard closes c's session rather than returning it to the pool.
func discard(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close()
}

// AcquireSenderLock tries to become the one process that delivers check-ins. On
// PostgreSQL it takes a session advisory lock on a connection of its own, kept until
// release (or until the process or its connection dies, when the server lets it go and
// another replica can take it). ok is false when another process holds it. On SQLite it
// always succeeds: the file lock taken at start-up already keeps a second process out.
func (db *DB) AcquireSenderLock(ctx context.Context) (release func(), ok bool, err error) {
	l, err := db.TakeSenderLock(ctx)
	if err != nil || l == nil {
		return nil, false, err
	}
	return l.Release, true, nil
}

// NotifyScheduled wakes the sender after a check-in was scheduled by another replica. On
// SQLite it does nothing: the one process wakes its own loop.
func (db *DB) NotifyScheduled(ctx context.Context) error {
	if !db.pg {
		return nil
	}
	if _, err := db.sql.ExecContext(ctx, "SELECT pg_notify(?, '')", scheduledChannel); err != nil {
		return fmt.Errorf("notify scheduled: %w", db.redact(err))
	}
	return nil
}

// listenRetry is how long ListenScheduled waits before it listens again on a new connection.
const listenRetry = time.Second

// ListenScheduled returns a channel that receives (coalesced) after NotifyScheduled was
// called from any process, until ctx ends. On PostgreSQL it LISTENs on a connection of
// its own; when that connection fails it listens again on a new one and sends once, since
// a notification may have been missed meanwhile. On SQLite the channel never receives.
func (db *DB) ListenScheduled(ctx context.Context) (<-chan struct{}, error) {
	wake := make(chan struct{}, 1)
	if !db.pg {
		return wake, nil
	}
	// The listener also ends when the database closes: Close could not take its connection
	// while it waits.
	ctx, stop := context.WithCancel(ctx)
	db.pgConn.onClose(stop)
	conn, err := db.listen(ctx)
	if err != nil {
		stop()
		return nil, err
	}
	wakeUp := func() {
		select {
		case wake <- struct{}{}:
		default: // one is already waiting to be read
		}
	}
	go func() {
		defer stop()
		for conn != nil {
			// Returns when ctx ends or the connection fails.
			_ = conn.Raw(func(dc any) error {
				pc := dc.(*stdlib.Conn).Conn()
				for {
					if _, err := pc.WaitForNotification(ctx); err != nil {
						return err
					}
					wakeUp()
				}
			})
			db.pgConn.drop(conn)
			if conn = db.relisten(ctx); conn != nil {
				wakeUp() // a notification may have come while no connection listened
			}
		}
	}()
	return wake, nil
}

// relisten listens again on a new connection, retrying until ctx ends (then nil).
func (db *DB) relisten(ctx context.Context) *sql.Conn {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(listenRetry):
		}
		if conn, err := db.listen(ctx); err == nil {
			return conn
		}
	}
}

// listen takes a connection of its own and LISTENs on it.
func (db *DB) listen(ctx context.Context) (*sql.Conn, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("listen for scheduled check-ins: %w", db.redact(err))
	}
	db.pgConn.add(conn)
	if _, err := conn.ExecContext(ctx, "LISTEN "+scheduledChannel); err != nil {
		db.pgConn.drop(conn)
		return nil, fmt.Errorf("listen for scheduled check-ins: %w", db.redact(err))
	}
	return conn, nil
}
