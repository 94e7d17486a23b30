package bot

import (
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestLoadKeyRefusesANewKeyForAnExistingDatabase: a key made now could not read what the
// database holds; the error says the key is missing and where it was looked for.
func TestLoadKeyRefusesANewKeyForAnExistingDatabase(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Storage.Path = filepath.Join(dir, "a.db")
	if err := os.WriteFile(cfg.Storage.Path, []byte("a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, created, err := LoadKey(cfg)
	if err == nil || created {
		t.Fatalf("LoadKey with a database and no key: created=%v err=%v, want a refusal", created, err)
	}
	for _, want := range []string{"key is missing", cfg.Storage.Path + ".key", "storage.encryption_key", cfg.Storage.Path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the refusal left files behind: %v", entries)
	}
}

const keyChildEnv = "AFTERGLOW_TEST_KEY_FSIZE_DIR"

// TestLoadKeyNeverLeavesAPartialKeyFile: a key file cut short (disk full, a crash while
// writing) would stop every later start. The write fails here on a file size limit; no
// key file, whole or partial, and no temporary file, may remain, and the next start
// writes a whole key.
func TestLoadKeyNeverLeavesAPartialKeyFile(t *testing.T) {
	t.Parallel()
	dir := os.Getenv(keyChildEnv)
	if dir == "" {
		// The limit is the whole process's: run the write in a child of its own.
		dir = t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestLoadKeyNeverLeavesAPartialKeyFile$", "-test.count=1")
		cmd.Env = append(os.Environ(), keyChildEnv+"="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	cfg := DefaultConfig()
	cfg.Storage.Path = filepath.Join(dir, "a.db")
	signal.Ignore(syscall.SIGXFSZ) // a write past the limit fails with EFBIG instead
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 10, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := LoadKey(cfg)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if err == nil {
		t.Fatal("LoadKey wrote a 65-byte key file under a 10-byte limit")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		names := []string{}
		for _, e := range entries {
			raw, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			names = append(names, e.Name()+" ("+strconv.Itoa(len(raw))+" bytes)")
		}
		t.Fatalf("a failed key write left %v", names)
	}
	key, _, created, err := LoadKey(cfg)
	if err != nil || !created || len(key) != keyBytes {
		t.Fatalf("next start: created=%v err=%v", created, err)
	}
}
