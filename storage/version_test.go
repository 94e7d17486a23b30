package storage

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
)

func TestSchemaVersionIsTheNewestMigration(t *testing.T) {
	ctx := context.Background()
	files, err := fs.Glob(migrationFiles, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	path := filepath.Join(t.TempDir(), "afterglow.db")
	db := openAt(t, path)
	v, err := db.SchemaVersion(ctx)
	if err != nil || v != len(files) {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, len(files))
	}
	// A newer afterglow has moved the file on: the version is reported as too new.
	setVersion(t, db, 999)
	v, err = db.SchemaVersion(ctx)
	wantErr(t, err, ErrTooNew)
	if v != 999 {
		t.Fatalf("too-new version = %d, want 999", v)
	}
}
