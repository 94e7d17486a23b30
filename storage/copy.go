package storage

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// TableCopy is what CopyToPostgres did with one table: the rows in the source, and the
// rows counted in the target afterwards.
type TableCopy struct {
	Table          string
	Source, Target int64
}

// CopyToPostgres copies every table of the SQLite database at path into the empty
// PostgreSQL database at pgURL, row by row as stored: sealed fields byte for byte, ids as
// they are, so the same key opens the copy. It needs no key, and changes nothing in the
// source. The target gets the schema first and is refused unless every table is empty.
// The copy is one transaction; the counts are taken after it committed.
func CopyToPostgres(ctx context.Context, path, pgURL string) ([]TableCopy, error) {
	name := RedactURL(pgURL)
	if !IsPostgresURL(pgURL) {
		return nil, fmt.Errorf("copy to %s: the URL must start with postgres:// or postgresql://", name)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("copy from %s: %w", path, err) // SQLite would create an empty one
	}
	rawSrc, err := sql.Open("sqlite3", backupDSN(path, true))
	if err != nil {
		return nil, fmt.Errorf("copy from %s: %w", path, err)
	}
	defer rawSrc.Close()
	src := &sqlDB{DB: rawSrc}

	dst := &DB{path: name, pg: true, secrets: urlSecrets(pgURL)}
	cfg, err := pgx.ParseConfig(pgURL)
	if err != nil {
		return nil, fmt.Errorf("copy to %s: %w", name, dst.redact(err))
	}
	dst.sql = &sqlDB{DB: stdlib.OpenDB(*cfg), pg: true}
	defer dst.sql.Close()

	out, err := copyTables(ctx, src, dst)
	if err != nil {
		return out, fmt.Errorf("copy %s to %s: %w", path, name, dst.redact(err))
	}
	return out, nil
}

func copyTables(ctx context.Context, src *sqlDB, dst *DB) ([]TableCopy, error) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, err
	}
	version, err := schemaVersion(ctx, src, len(ms))
	if err != nil {
		return nil, err
	}
	if version != len(ms) {
		return nil, fmt.Errorf("the source is at schema version %d and this afterglow at %d: "+
			"let this afterglow open it once (afterglow doctor) to bring it up to date, then copy", version, len(ms))
	}
	pgMs, err := loadMigrations(pgMigrationFiles)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, dst.sql, pgMs); err != nil {
		return nil, fmt.Errorf("create the schema: %w", err)
	}

	// One read transaction: every table as of one moment.
	stx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer stx.Rollback()
	tables, err := copyOrder(ctx, stx)
	if err != nil {
		return nil, err
	}
	targetTables, err := stringList(ctx, dst.sql, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_name != 'schema_version' ORDER BY table_name`)
	if err != nil {
		return nil, err
	}
	if sorted := slices.Sorted(slices.Values(tables)); !slices.Equal(sorted, targetTables) {
		return nil, fmt.Errorf("the tables differ: source %v, target %v", sorted, targetTables)
	}
	out := make([]TableCopy, len(tables))
	for i, table := range tables {
		out[i].Table = table
		if err := stx.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&out[i].Source); err != nil {
			return nil, err
		}
		var n int64
		if err := dst.sql.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			return nil, err
		}
		if n != 0 {
			return nil, fmt.Errorf("the target is not empty: table %s has %d rows; copy into a new, empty database", table, n)
		}
	}

	conn, err := dst.sql.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		// Keep an afterglow starting meanwhile from writing in between.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext(current_schema()), $1)", pgWriteLock); err != nil {
			return err
		}
		for _, table := range tables {
			if err := copyTable(ctx, stx, tx, table); err != nil {
				return fmt.Errorf("table %s: %w", table, err)
			}
		}
		if err := carryIDs(ctx, stx, tx); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := dst.sql.QueryRowContext(ctx, "SELECT count(*) FROM "+out[i].Table).Scan(&out[i].Target); err != nil {
			return out[:i], err
		}
	}
	return out, nil
}

// copyOrder lists the source's tables, each after the tables its foreign keys name.
func copyOrder(ctx context.Context, q querier) ([]string, error) {
	tables, err := stringList(ctx, q, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		return nil, err
	}
	deps := map[string][]string{}
	for _, t := range tables {
		if deps[t], err = stringList(ctx, q, `SELECT "table" FROM pragma_foreign_key_list(?)`, t); err != nil {
			return nil, err
		}
	}
	var order []string
	for len(order) < len(tables) {
		progress := false
		for _, t := range tables {
			if slices.Contains(order, t) {
				continue
			}
			ready := true
			for _, d := range deps[t] {
				ready = ready && (d == t || slices.Contains(order, d))
			}
			if ready {
				order, progress = append(order, t), true
			}
		}
		if !progress {
			return nil, fmt.Errorf("foreign keys form a cycle among %v", tables)
		}
	}
	return order, nil
}

// copyTable streams one table's rows into the target with COPY, every column as stored.
func copyTable(ctx context.Context, src *sqlTx, dst pgx.Tx, table string) error {
	rows, err := src.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	_, err = dst.CopyFrom(ctx, pgx.Identifier{table}, cols, &rowSource{rows: rows, n: len(cols)})
	return err
}

// rowSource feeds database/sql rows to pgx's COPY.
type rowSource struct {
	rows *sql.Rows
	n    int
	err  error
}

func (r *rowSource) Next() bool { return r.err == nil && r.rows.Next() }

func (r *rowSource) Values() ([]any, error) {
	values := make([]any, r.n)
	ptrs := make([]any, r.n)
	for i := range values {
		ptrs[i] = &values[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		r.err = err
		return nil, err
	}
	return values, nil
}

func (r *rowSource) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// carryIDs moves each identity past the largest id SQLite ever gave (sqlite_sequence
// remembers deleted ones too), so that no id seen in an old button is given again.
func carryIDs(ctx context.Context, src *sqlTx, dst pgx.Tx) error {
	rows, err := src.QueryContext(ctx, "SELECT name, seq FROM sqlite_sequence")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table string
		var seq int64
		if err := rows.Scan(&table, &seq); err != nil {
			return err
		}
		if seq < 1 || strings.ContainsAny(table, `"'`) {
			continue
		}
		_, err := dst.Exec(ctx, "SELECT setval(pg_get_serial_sequence($1, 'id'), greatest($2::bigint, (SELECT coalesce(max(id), 0) FROM "+
			pgx.Identifier{table}.Sanitize()+")))", table, seq)
		if err != nil {
			return fmt.Errorf("carry the ids of %s: %w", table, err)
		}
	}
	return rows.Err()
}

// stringList runs a query of one text column.
func stringList(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
