package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/afterglow-bot/afterglow/bot"
	"github.com/afterglow-bot/afterglow/storage"
)

// backup copies the configured database to dest while the bot may be running. It takes
// no instance lock (the running bot holds it) and never creates a key: a database without
// its key cannot be backed up usefully.
func backup(ctx context.Context, configPath string, getenv func(string) (string, bool), dest string, stdout io.Writer) error {
	cfg, err := bot.LoadConfig(configPath, getenv)
	if err != nil {
		return err
	}
	if strings.TrimSpace(cfg.Storage.EncryptionKey) == "" {
		keyFile := bot.KeyFile(cfg.Storage.Path)
		if _, err := os.Stat(keyFile); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no storage.encryption_key and no key file %s: nothing to open %s with", keyFile, cfg.Storage.Path)
		}
	}
	key, source, _, err := bot.LoadKey(cfg) // the key is set or its file exists: nothing is created
	if err != nil {
		return err
	}
	if err := storage.Backup(ctx, cfg.Storage.Path, dest, key); err != nil {
		if errors.Is(err, storage.ErrWrongKey) {
			return bot.WrongKey(cfg.Storage.Path, source)
		}
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (mode 0600): integrity ok, opens with the key from %s\n", cfg.Storage.Path, dest, source)
	_, err = fmt.Fprintf(stdout, "keep the key with it: without the key from %s the texts in %s cannot be read\n", source, dest)
	return err
}
