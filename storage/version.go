package storage

import "context"

// SchemaVersion is the schema version of the database (SQLite's user_version, PostgreSQL's schema_version table). After Open it
// is the newest this afterglow knows; a file upgraded since by a newer afterglow is ErrTooNew.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	ms, err := loadMigrations(db.migrationFiles())
	if err != nil {
		return 0, err
	}
	return schemaVersion(ctx, db.sql, len(ms))
}
