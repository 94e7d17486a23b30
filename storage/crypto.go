package storage

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
)

const (
	// keyCheckMeta is the meta key holding the sealed constant that proves the key is right.
	keyCheckMeta = "key_check"
	// keyCheckText is the constant sealed into the key check.
	keyCheckText = "afterglow key check v1"
	// blockKeyLabel derives the block-hash key from the encryption key.
	blockKeyLabel = "afterglow block v1"
)

// sealer encrypts user-written text at rest and hashes blocked ids.
type sealer struct {
	aead     cipher.AEAD
	blockKey []byte
}

func newSealer(key []byte) (*sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(blockKeyLabel))
	return &sealer{aead: aead, blockKey: mac.Sum(nil)}, nil
}

// seal encrypts text, binding it to where it is stored (aad) so ciphertexts cannot be moved
// between rows or columns. Empty text is stored as NULL.
func (s *sealer) seal(text, aad string) []byte {
	if text == "" {
		return nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		// crypto/rand never fails on supported platforms; a broken one must not yield a reused nonce.
		panic(fmt.Sprintf("storage: read random nonce: %v", err))
	}
	return s.aead.Seal(nonce, nonce, []byte(text), []byte(aad))
}

// open decrypts what seal produced; NULL or empty is the empty text.
func (s *sealer) open(sealed []byte, aad string) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return "", errors.New("decrypt: sealed value too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(aad))
	if err != nil {
		return "", fmt.Errorf("decrypt: %w", err)
	}
	return string(plain), nil
}

// blockHash is the keyed hash under which a blocked person is stored.
func (s *sealer) blockHash(userID string) []byte {
	mac := hmac.New(sha256.New, s.blockKey)
	mac.Write([]byte(userID))
	return mac.Sum(nil)
}

// checkKey verifies the sealed constant; when create is set (a new file), a missing one is
// stored instead. Without create, a missing one is ErrNoKeyCheck.
func (db *DB) checkKey(ctx context.Context, create bool) error {
	return db.inTx(ctx, "check encryption key", func(tx *sqlTx) error {
		var stored string
		err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", keyCheckMeta).Scan(&stored)
		if errors.Is(err, sql.ErrNoRows) {
			if !create {
				return ErrNoKeyCheck
			}
			sealed := base64.StdEncoding.EncodeToString(db.crypt.seal(keyCheckText, keyCheckMeta))
			_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?)", keyCheckMeta, sealed)
			return err
		}
		if err != nil {
			return err
		}
		raw, err := base64.StdEncoding.DecodeString(stored)
		if err != nil {
			return fmt.Errorf("%w (the stored key check is unreadable)", ErrWrongKey)
		}
		text, err := db.crypt.open(raw, keyCheckMeta)
		if err != nil || text != keyCheckText {
			return ErrWrongKey
		}
		return nil
	})
}
