package bot

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// keyBytes is the AES-256 key size.
const keyBytes = 32

// LoadKey returns the storage encryption key and where it came from: storage.encryption_key
// (or its environment variable) when set, else the key file beside the database, which is
// created with a fresh random key on first start. The source is named in errors and logs;
// the key itself never is.
func LoadKey(cfg Config) (key []byte, source string, created bool, err error) {
	if s := strings.TrimSpace(cfg.Storage.EncryptionKey); s != "" {
		key, err := parseKey(s)
		if err != nil {
			return nil, "", false, fmt.Errorf("storage.encryption_key (or AFTERGLOW_STORAGE_ENCRYPTION_KEY): %w", err)
		}
		return key, "storage.encryption_key", false, nil
	}
	path := cfg.Storage.Path + ".key"
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
	key = make([]byte, keyBytes)
	if _, err := rand.Read(key); err != nil {
		return nil, "", false, fmt.Errorf("generate encryption key: %w", err)
	}
	// O_EXCL: never overwrite a key that appeared meanwhile; losing a key loses the data.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", false, fmt.Errorf("create key file %s: %w", path, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, "", false, fmt.Errorf("write key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, "", false, fmt.Errorf("write key file %s: %w", path, err)
	}
	return key, "key file " + path, true, nil
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
