package storage

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql migrations_postgres/*.sql
var migrationsEmbed embed.FS

// migrationFiles holds the schema migrations: NNNN_what.sql, applied in number order.
// pgMigrationFiles holds the same migrations, numbered and named alike, for PostgreSQL.
var (
	migrationFiles, _   = fs.Sub(migrationsEmbed, "migrations")
	pgMigrationFiles, _ = fs.Sub(migrationsEmbed, "migrations_postgres")
)

// migrationFiles are this database's engine's migrations.
func (db *DB) migrationFiles() fs.FS {
	if db.pg {
		return pgMigrationFiles
	}
	return migrationFiles
}

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
// in PRAGMA user_version (PostgreSQL: the schema_version table). Each step re-reads the
// version inside its immediate transaction (PostgreSQL: under an advisory lock), so two
// processes opening the same new database cannot both apply a step.
func migrate(ctx context.Context, db *sqlDB, ms []migration) error {
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
			if db.pg {
				if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext(current_schema()), ?)", pgWriteLock); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"); err != nil {
					return err
				}
			}
			current, err := schemaVersion(ctx, tx, len(ms))
			if err != nil || current >= m.version {
				return err
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if err := setSchemaVersion(ctx, tx, m.version); err != nil {
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

// setSchemaVersion records the schema version: SQLite's user_version, or PostgreSQL's
// one-row schema_version table.
func setSchemaVersion(ctx context.Context, tx *sqlTx, version int) error {
	if !tx.pg {
		_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version))
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM schema_version"); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO schema_version (version) VALUES (?)", version)
	return err
}

// versioned is a handle that knows its engine.
type versioned interface {
	querier
	isPG() bool
}

func (d *sqlDB) isPG() bool { return d.pg }
func (t *sqlTx) isPG() bool { return t.pg }

// schemaVersion reads the schema version and refuses a schema newer than known.
func schemaVersion(ctx context.Context, q versioned, known int) (int, error) {
	var version int
	query := "PRAGMA user_version"
	if q.isPG() {
		// A database nothing was migrated into yet has no schema_version table.
		query = "SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN 0 ELSE -1 END"
	}
	if err := q.QueryRowContext(ctx, query).Scan(&version); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if version == -1 {
		if err := q.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&version); err != nil {
			return 0, fmt.Errorf("read schema version: %w", err)
		}
	}
	if version > known {
		return version, tooNewError{have: version, know: known}
	}
	return version, nil
}
