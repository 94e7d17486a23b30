package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/afterglow-bot/afterglow/storage"
)

// keyBytes is the AES-256 key size.
const keyBytes = 32

// KeyFile is where the key of the database at dbPath is kept when the config sets none:
// beside it, as "<db>.key".
func KeyFile(dbPath string) string { return dbPath + ".key" }

// WrongKey is the error for a database the key from source cannot open
// (storage.ErrWrongKey), worded the same wherever it is met.
func WrongKey(dbPath, source string) error {
	return fmt.Errorf("database %s cannot be opened with the key from %s: wrong key", dbPath, source)
}

// LoadKey returns the storage encryption key and where it came from: storage.encryption_key
// (or its environment variable) when set, else the key file beside the database, which is
// created with a fresh random key on first start (on PostgreSQL: only while the database
// has no key check yet; see requireNewDatabase). The source is named in errors and logs;
// the key itself never is.
func LoadKey(cfg Config) (key []byte, source string, created bool, err error) {
	if s := strings.TrimSpace(cfg.Storage.EncryptionKey); s != "" {
		key, err := parseKey(s)
		if err != nil {
			return nil, "", false, fmt.Errorf("storage.encryption_key (or AFTERGLOW_STORAGE_ENCRYPTION_KEY): %w", err)
		}
		return key, "storage.encryption_key", false, nil
	}
	path := KeyFile(cfg.Storage.Path)
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		key, err := parseKey(strings.TrimSpace(string(raw)))
		if err != nil {
			return nil, "", false, fmt.Errorf("key file %s: %w", path, err)
		}
		return key, "key file " + path, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, "", false, fmt.Errorf("read key file %s: %w", path, err)
	}
	// A new key cannot read what an existing database holds, and would hide that its key is lost.
	if err := requireNewDatabase(cfg, path); err != nil {
		return nil, "", false, err
	}
	key = make([]byte, keyBytes)
	if _, err := rand.Read(key); err != nil {
		return nil, "", false, fmt.Errorf("generate encryption key: %w", err)
	}
	if err := writeKeyFile(path, []byte(hex.EncodeToString(key)+"\n")); err != nil {
		return nil, "", false, fmt.Errorf("write key file %s: %w", path, err)
	}
	return key, "key file " + path, true, nil
}

// keyCheckTimeout bounds asking PostgreSQL whether the database already has a key.
const keyCheckTimeout = 10 * time.Second

// requireNewDatabase refuses to make a key for a database that already holds data: for
// SQLite, when its file exists; for PostgreSQL, when the database has a key check (some
// replica set it up with a key). Replicas share the database, not a directory: all but the
// first need storage.encryption_key (or a copy of the key file), and a key made here for
// such a database would only be refused by it and left behind as a stray key file.
func requireNewDatabase(cfg Config, path string) error {
	if cfg.Storage.Driver == storage.DriverPostgres {
		ctx, cancel := context.WithTimeout(context.Background(), keyCheckTimeout)
		defer cancel()
		has, err := storage.PostgresHasKeyCheck(ctx, cfg.Storage.URL)
		if err != nil {
			return err
		}
		if has {
			return fmt.Errorf("database %s already has an encryption key, and none is configured here: "+
				"set storage.encryption_key (or AFTERGLOW_STORAGE_ENCRYPTION_KEY) to the key every replica shares, "+
				"or copy the key file of the first replica to %s (a new key could not read the database)",
				cfg.Storage.DatabaseName(), path)
		}
		return nil
	}
	if _, err := os.Lstat(cfg.Storage.Path); err == nil {
		return fmt.Errorf("database %s exists but its encryption key is missing: "+
			"no storage.encryption_key (or AFTERGLOW_STORAGE_ENCRYPTION_KEY) and no key file %s; "+
			"restore the key from your backup (a new key could not read the database)", cfg.Storage.Path, path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("database %s: %w", cfg.Storage.Path, err)
	}
	return nil
}

// writeKeyFile makes path hold data, all of it or nothing: a key file cut short by a full
// disk or a crash would stop every later start. The data goes to a temporary file (mode
// 0600) in the same directory, reaches the disk, and is then linked to path, which, unlike
// a rename, never replaces a key that appeared meanwhile: losing a key loses the data.
// The directory is synced last, so that the name survives a crash too.
func writeKeyFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the link, path keeps the file
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func parseKey(s string) ([]byte, error) {
	if len(s) != 2*keyBytes {
		return nil, fmt.Errorf("want %d hex characters (32 bytes), got %d characters", 2*keyBytes, len(s))
	}
	key, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("not hexadecimal")
	}
	return key, nil
}
