package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/afterglow-bot/afterglow/bot"
	"github.com/afterglow-bot/afterglow/storage"
)

// doctor checks what `afterglow run` needs before it connects, without connecting: one line
// per check on stdout, and an error when any failed. It never prints the token or the key,
// and never creates a key file or a database.
func doctor(ctx context.Context, configPath string, getenv func(string) (string, bool), stdout io.Writer) error {
	r := &checkReport{w: stdout}
	cfg, err := bot.LoadConfig(configPath, getenv)
	if err != nil {
		r.fail("config", err)
		return r.result()
	}
	r.ok("config", configSource(configPath))
	if file, ok := configFile(configPath); ok {
		checkConfigMode(file, r)
	}
	if err := checkToken(cfg.Discord.Token); err != nil {
		r.fail("token", err)
	} else {
		r.ok("token", "set, and shaped like a bot token (Discord itself is not asked)")
	}
	checkAPIBase(cfg.Discord.APIBase, r)
	key, source, ok := checkKey(cfg, r)
	var tightened []string
	if ok {
		tightened = checkDatabase(ctx, cfg.Storage.Path, key, source, r)
	}
	checkDatabaseModes(cfg.Storage.Path, tightened, r)
	return r.result()
}

// checkReport prints one line per check and remembers failures.
type checkReport struct {
	w      io.Writer
	failed int
}

func (r *checkReport) ok(name, detail string) { fmt.Fprintf(r.w, "ok   %s %s\n", name, detail) }

// warn says something worth changing that does not stop afterglow from working.
func (r *checkReport) warn(name, detail string) { fmt.Fprintf(r.w, "warn %s: %s\n", name, detail) }

func (r *checkReport) fail(name string, err error) {
	r.failed++
	fmt.Fprintf(r.w, "FAIL %s: %v\n", name, err)
}

func (r *checkReport) result() error {
	if r.failed > 0 {
		return fmt.Errorf("doctor: %d check(s) failed", r.failed)
	}
	return nil
}

// configSource names the file LoadConfig read, by the same rule.
func configSource(configPath string) string {
	if file, ok := configFile(configPath); ok {
		return file
	}
	return "(no file: built-in defaults and environment)"
}

// configFile is the file LoadConfig read, if it read one.
func configFile(configPath string) (string, bool) {
	if configPath != "" {
		return configPath, true
	}
	if _, err := os.Stat(bot.DefaultConfigFile); err == nil {
		return bot.DefaultConfigFile, true
	}
	return "", false
}

// looseMode tells a mode that lets group or others at the file.
func looseMode(perm fs.FileMode) bool { return perm&0o077 != 0 }

// checkConfigMode fails when the config file holds the token or the key (set in the file
// itself, not by the environment) and group or others can read it.
func checkConfigMode(path string, r *checkReport) {
	st, err := os.Stat(path)
	if err != nil {
		r.fail("config file mode", err)
		return
	}
	var file struct {
		Discord struct {
			Token string `toml:"token"`
		} `toml:"discord"`
		Storage struct {
			EncryptionKey string `toml:"encryption_key"`
		} `toml:"storage"`
	}
	if _, err := toml.DecodeFile(path, &file); err != nil {
		r.fail("config file mode", fmt.Errorf("read %s: %w", path, err))
		return
	}
	var holds []string
	if strings.TrimSpace(file.Discord.Token) != "" {
		holds = append(holds, "the token")
	}
	if strings.TrimSpace(file.Storage.EncryptionKey) != "" {
		holds = append(holds, "the encryption key")
	}
	perm := st.Mode().Perm()
	switch {
	case len(holds) == 0:
		r.ok("config file mode", fmt.Sprintf("%s %04o (holds neither the token nor the key)", path, perm))
	case looseMode(perm):
		r.fail("config file mode", fmt.Errorf("%s is %04o, readable by group or others, and holds %s: chmod 600 %s",
			path, perm, strings.Join(holds, " and "), path))
	default:
		r.ok("config file mode", fmt.Sprintf("%s %04o (holds %s)", path, perm, strings.Join(holds, " and ")))
	}
}

// checkAPIBase warns when the token would cross a network unencrypted: plain http to a
// host other than this machine. It names the host only, never the whole URL.
func checkAPIBase(base string, r *checkReport) {
	u, err := url.Parse(base) // LoadConfig checked that it parses
	if err != nil {
		r.fail("api_base", err)
		return
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	switch {
	case u.Scheme != "http":
		r.ok("api_base", u.Scheme+"://"+u.Host)
	case host == "localhost" || (ip != nil && ip.IsLoopback()):
		r.ok("api_base", "http://"+u.Host+" (plain http, on loopback)")
	default:
		r.warn("api_base", "discord.api_base is plain http:// to "+u.Host+", not loopback: the bot token and every "+
			"message cross the network unencrypted; use https://")
	}
}

// checkToken tells whether token looks like a bot token: three dot-separated base64url
// parts. Errors never quote it.
func checkToken(token string) error {
	if strings.TrimSpace(token) == "" {
		return bot.Config{}.RequireToken()
	}
	if strings.HasPrefix(token, "Bot ") {
		return errors.New(`it starts with "Bot ": give the token alone, the bot adds the prefix`)
	}
	parts := strings.Split(token, ".")
	shaped := len(parts) == 3
	for _, p := range parts {
		shaped = shaped && p != "" && strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
	}
	if !shaped {
		return errors.New("it does not look like a bot token (three parts of letters, digits, - and _ separated by dots): " +
			"copy it again from Developer Portal -> your application -> Bot -> Reset Token")
	}
	return nil
}

// checkKey finds the encryption key the way `run` does, without ever writing one. ok is
// false when there is nothing to open the database with.
func checkKey(cfg bot.Config, r *checkReport) (key []byte, source string, ok bool) {
	keyFile := bot.KeyFile(cfg.Storage.Path)
	if strings.TrimSpace(cfg.Storage.EncryptionKey) == "" {
		info, err := os.Stat(keyFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if _, err := os.Stat(cfg.Storage.Path); err == nil {
				r.fail("key", fmt.Errorf("no storage.encryption_key and no key file %s, but database %s exists: "+
					"its texts cannot be read without the key it was created with", keyFile, cfg.Storage.Path))
				return nil, "", false
			}
			r.ok("key", "none yet: the first start writes "+keyFile+" (mode 0600)")
			r.ok("database", cfg.Storage.Path+" does not exist yet: the first start creates it")
			return nil, "", false
		case err != nil:
			r.fail("key", fmt.Errorf("key file %s: %w", keyFile, err))
			return nil, "", false
		case looseMode(info.Mode().Perm()):
			r.fail("key file mode", fmt.Errorf("%s has mode %04o, want 0600 (it is readable by group or others): chmod 600 %s",
				keyFile, info.Mode().Perm(), keyFile))
		default:
			r.ok("key file mode", fmt.Sprintf("%s is %04o", keyFile, info.Mode().Perm()))
		}
	}
	key, source, _, err := bot.LoadKey(cfg) // the key or key file exists, so nothing is created
	if err != nil {
		r.fail("key", err)
		return nil, "", false
	}
	r.ok("key", "from "+source)
	return key, source, true
}

// checkDatabase opens the database with the key (which applies pending migrations and makes
// its files owner-only, as a start would), then checks its integrity and reports its schema
// version. It returns the files that opening made owner-only.
func checkDatabase(ctx context.Context, path string, key []byte, source string, r *checkReport) (tightened []string) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		r.ok("database", path+" does not exist yet: the first start creates it")
		return nil
	}
	store, err := storage.Open(ctx, path, key)
	if err != nil {
		if errors.Is(err, storage.ErrWrongKey) {
			err = bot.WrongKey(path, source)
		}
		r.fail("database", err)
		return nil
	}
	defer store.Close()
	tightened = store.Tightened()
	r.ok("database", path+" opens with the key")
	if report, err := store.IntegrityCheck(ctx); err != nil {
		r.fail("integrity", err)
	} else if report != "ok" {
		first, _, _ := strings.Cut(report, "\n")
		r.fail("integrity", fmt.Errorf("%s: %s", path, first))
	} else {
		r.ok("integrity", "ok")
	}
	if v, err := store.SchemaVersion(ctx); err != nil {
		r.fail("schema", err)
	} else {
		r.ok("schema", fmt.Sprintf("version %d (current)", v))
	}
	return tightened
}

// checkDatabaseModes reports the modes of the database and its -wal and -shm files, those
// present. They hold ids and times, not the token or the key: a loose one is a warning,
// and opening the database (a start, or checkDatabase) makes it owner-only.
func checkDatabaseModes(path string, tightened []string, r *checkReport) {
	var modes, loose []string
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			continue // absent; an unreadable database is the database check's to report
		}
		modes = append(modes, fmt.Sprintf("%s %04o", p, st.Mode().Perm()))
		if looseMode(st.Mode().Perm()) {
			loose = append(loose, fmt.Sprintf("%s is %04o", p, st.Mode().Perm()))
		}
	}
	switch {
	case len(tightened) > 0:
		r.warn("database file mode", strings.Join(tightened, ", ")+", readable by group or others: "+
			"made owner-only (0600) now, as every start does")
	case len(loose) > 0:
		r.warn("database file mode", strings.Join(loose, ", ")+", readable by group or others: "+
			"the next start makes it owner-only (0600)")
	case len(modes) > 0:
		r.ok("database file mode", strings.Join(modes, ", "))
	}
}
