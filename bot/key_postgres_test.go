package bot

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/afterglow-bot/afterglow/storage"
)

// TestLoadKeyOnPostgresMakesAKeyOnlyForANewDatabase: on PostgreSQL the database is not a
// file beside the key, so "the database exists" is asked of the server: a database that
// already has a key check (another replica set it up) gets no new key, and no stray key
// file is left; a new database gets a key file as SQLite's does.
func TestLoadKeyOnPostgresMakesAKeyOnlyForANewDatabase(t *testing.T) {
	t.Parallel()
	url := pgDatabase(t)
	cfg := DefaultConfig()
	cfg.Storage.Driver, cfg.Storage.URL = storage.DriverPostgres, url

	cfg.Storage.Path = filepath.Join(t.TempDir(), "first.db")
	key, _, created, err := LoadKey(cfg)
	if err != nil || !created {
		t.Fatalf("LoadKey for a new PostgreSQL database: created=%v err=%v, want a new key", created, err)
	}
	db, err := storage.OpenPostgres(context.Background(), url, key)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A second replica in another directory, with no key configured.
	dir := t.TempDir()
	cfg.Storage.Path = filepath.Join(dir, "afterglow.db")
	_, _, created, err = LoadKey(cfg)
	if err == nil || created {
		t.Fatalf("LoadKey for a PostgreSQL database that has a key: created=%v err=%v, want a refusal", created, err)
	}
	for _, want := range []string{"storage.encryption_key", storage.RedactURL(url)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the refusal left files behind: %v", entries)
	}
	// With the key given, it starts.
	cfg.Storage.EncryptionKey = hex.EncodeToString(key)
	if got, _, _, err := LoadKey(cfg); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("LoadKey with storage.encryption_key: %v", err)
	}
}
