package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// SenderLock is the sender election won: on PostgreSQL a session advisory lock held by a
// connection of its own, for as long as that connection lives.
type SenderLock struct {
	db   *DB
	conn *sql.Conn // nil on SQLite, where the file lock taken at start-up elects the sender
	once sync.Once
}

// TakeSenderLock tries to become the one process that delivers check-ins: nil, nil when
// another process holds the lock. On SQLite it always succeeds.
func (db *DB) TakeSenderLock(ctx context.Context) (*SenderLock, error) {
	if !db.pg {
		return &SenderLock{db: db}, nil
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire sender lock: %w", db.redact(err))
	}
	db.pgConn.add(conn)
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(hashtext(current_schema()), $1)", pgSenderLock).Scan(&ok); err != nil || !ok {
		db.pgConn.drop(conn)
		if err != nil {
			return nil, fmt.Errorf("acquire sender lock: %w", db.redact(err))
		}
		return nil, nil
	}
	return &SenderLock{db: db, conn: conn}, nil
}

// Check asks the server over the lock's own connection: an error means the connection,
// and with it the lock, may be gone, and another process may be the sender by now.
func (l *SenderLock) Check(ctx context.Context) error {
	if l.conn == nil {
		return nil
	}
	if err := l.conn.PingContext(ctx); err != nil {
		return fmt.Errorf("check sender lock: %w", l.db.redact(err))
	}
	return nil
}

// Shared says whether other processes compete for the lock (PostgreSQL). A new holder
// then takes over from a previous one that may still be running, unaware yet that its
// lock is gone; on SQLite the file lock leaves no previous holder running.
func (l *SenderLock) Shared() bool { return l.conn != nil }

// Release gives the lock up by closing its session: no unlock statement that could fail
// halfway. It may be called more than once.
func (l *SenderLock) Release() {
	if l.conn != nil {
		l.once.Do(func() { l.db.pgConn.drop(l.conn) })
	}
}

// PostgresHasKeyCheck says whether the PostgreSQL database at rawURL already holds a key
// check, that is, was set up with some key: a new key must then not be generated for it.
// It migrates nothing and writes nothing.
func PostgresHasKeyCheck(ctx context.Context, rawURL string) (bool, error) {
	name := RedactURL(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return false, fmt.Errorf("open database %s: %w", name, redactWith(err, urlSecrets(rawURL)))
	}
	raw := stdlib.OpenDB(*cfg)
	defer raw.Close()
	var exists bool
	if err := raw.QueryRowContext(ctx, "SELECT to_regclass('meta') IS NOT NULL").Scan(&exists); err != nil {
		return false, fmt.Errorf("open database %s: %w", name, redactWith(err, urlSecrets(rawURL)))
	}
	if !exists {
		return false, nil
	}
	var v string
	err = raw.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = $1", keyCheckMeta).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("open database %s: %w", name, redactWith(err, urlSecrets(rawURL)))
	}
	return true, nil
}

// redactWith takes secrets out of err's text, as (*DB).redact does for an open database.
func redactWith(err error, secrets []string) error {
	return (&DB{secrets: secrets}).redact(err)
}
