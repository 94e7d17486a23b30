package main

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

// testToken and testKey are the token and database key the in-process tests configure.
const (
	testToken = "e2e.token-not-secret.xyz"
	testKey   = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
)

// openTestDB opens the database at path with testKey.
func openTestDB(tb testing.TB, path string) *storage.DB {
	tb.Helper()
	key, _ := hex.DecodeString(testKey)
	db, err := storage.Open(context.Background(), path, key)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// TestSetupTightensALooseDatabaseAndSaysSo: a database an earlier afterglow created 0644
// is owner-only once afterglow starts on it, and the log says which file it changed.
func TestSetupTightensALooseDatabaseAndSaysSo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "afterglow.db")
	key, _ := hex.DecodeString(testKey)
	store, err := storage.Open(context.Background(), db, key)
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"AFTERGLOW_DISCORD_TOKEN":          testToken,
		"AFTERGLOW_STORAGE_PATH":           db,
		"AFTERGLOW_STORAGE_ENCRYPTION_KEY": testKey,
	}
	var log dt.LockedBuffer
	in, err := setup(context.Background(), "", func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer in.close()
	if st, err := os.Stat(db); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("database mode after start: %v %v", st.Mode().Perm(), err)
	}
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "owner-only") ||
		!strings.Contains(log.String(), db+" was 0644") {
		t.Fatalf("the log does not say the database was made owner-only:\n%s", log.String())
	}
}
