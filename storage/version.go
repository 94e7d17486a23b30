package storage

import "context"

// SchemaVersion is the schema version of the database (SQLite's user_version). After Open it
// is the newest this afterglow knows; a file upgraded since by a newer afterglow is ErrTooNew.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return 0, err
	}
	return schemaVersion(ctx, db.sql, len(ms))
}
