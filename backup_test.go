package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The backup refuses to replace a file, and says so on one line.
func TestBackupRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "taken.db")
	if err := os.WriteFile(dest, []byte("someone's file"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AFTERGLOW_STORAGE_PATH": filepath.Join(dir, "afterglow.db"), "AFTERGLOW_STORAGE_ENCRYPTION_KEY": testKey}
	openTestDB(t, env["AFTERGLOW_STORAGE_PATH"]).Close()
	code, _, errOut := runCLI(t, env, "backup", dest)
	if body, _ := os.ReadFile(dest); code != 1 || string(body) != "someone's file" || !strings.Contains(errOut, "exists") {
		t.Fatalf("backup over a file: exit %d, stderr %q, file now %q", code, errOut, body)
	}
}
