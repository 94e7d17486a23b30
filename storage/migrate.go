package storage

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationsEmbed embed.FS

// migrationFiles holds the schema migrations: NNNN_what.sql, applied in number order.
var migrationFiles, _ = fs.Sub(migrationsEmbed, "migrations")

type migration struct {
	version int
	name    string
	sql     string
}

// tooNewError reports a database written by a newer afterglow; it matches ErrTooNew.
type tooNewError struct{ have, know int }

func (e tooNewError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this afterglow (knows %d): upgrade afterglow", e.have, e.know)
}

func (e tooNewError) Is(target error) bool { return target == ErrTooNew }

// loadMigrations reads and orders the migrations, insisting on versions 1, 2, 3… without gaps.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var ms []migration
	for _, name := range names {
		number, _, ok := strings.Cut(path.Base(name), "_")
		version, err := strconv.Atoi(number)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: version, name: name, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate brings the schema up to date, one transaction per migration, tracking the version
// in PRAGMA user_version. Each step re-reads the version inside its immediate transaction,
// so two processes opening the same new file cannot both apply a step.
func migrate(ctx context.Context, db *sql.DB, ms []migration) error {
	if _, err := schemaVersion(ctx, db, len(ms)); err != nil {
		return err
	}
	for _, m := range ms {
		err := func() error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			current, err := schemaVersion(ctx, tx, len(ms))
			if err != nil || current >= m.version {
				return err
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
				return err
			}
			return tx.Commit()
		}()
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
	}
	return nil
}

// schemaVersion reads user_version and refuses a schema newer than known.
func schemaVersion(ctx context.Context, q querier, known int) (int, error) {
	var version int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if version > known {
		return version, tooNewError{have: version, know: known}
	}
	return version, nil
}
