// Command afterglow runs the Afterglow Discord bot: aftercare guidance and partner check-ins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/afterglow-bot/afterglow/bot"
	"github.com/afterglow-bot/afterglow/commands"
	"github.com/afterglow-bot/afterglow/content"
	"github.com/afterglow-bot/afterglow/storage"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Usage: afterglow [-config FILE] [command]

Commands:
  run                 connect to Discord and serve (the default)
  register            register the slash commands with Discord now, then exit
  doctor              check config, token, key and database, offline; exit 1 if any fails
  try '/aftercare …'  show the bot's answer to a command, offline: no token, no network
  invite              print the link that adds the bot to a server (needs discord.application_id)
  backup FILE         copy the database to FILE (new, mode 0600) while the bot runs, and check the copy
  healthcheck         ask the running bot's /healthz (at http.listen); exit 1 unless it is healthy
  version             print the version (or the commit it was built from)

Options:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: testable, and every failure is one line on stderr.
func run(ctx context.Context, args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("afterglow", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "TOML config file (default: "+bot.DefaultConfigFile+" when present)")
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cmd, rest := "run", fs.Args()
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}
	// Allow the flag after the command too: `afterglow run -config x.toml`.
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	rest = fs.Args()

	var err error
	switch cmd {
	case "run":
		err = serve(ctx, *configPath, getenv, stderr)
	case "register":
		err = register(ctx, *configPath, getenv, stderr)
	case "doctor":
		err = doctor(ctx, *configPath, getenv, stdout)
	case "try":
		if len(rest) != 1 {
			err = errors.New(`try takes one quoted command line, e.g. afterglow try '/aftercare topic:drop'`)
			break
		}
		err = try(ctx, rest[0], stdout)
	case "invite":
		err = invite(*configPath, getenv, stdout)
	case "backup":
		if len(rest) != 1 {
			err = errors.New("backup takes the file to write, e.g. afterglow backup afterglow-backup.db")
			break
		}
		err = backup(ctx, *configPath, getenv, rest[0], stdout)
	case "healthcheck":
		err = healthcheck(ctx, *configPath, getenv, stdout)
	case "version":
		fmt.Fprintln(stdout, versionLine(version, buildInfo()))
	case "help", "-h", "--help":
		fs.Usage()
	default:
		err = fmt.Errorf("unknown command %q (run `afterglow help`)", cmd)
	}
	if err != nil {
		fmt.Fprintln(stderr, "afterglow:", err)
		return 1
	}
	return 0
}

// setup loads everything the bot needs before it touches Discord, so that every mistake
// in config, key or database is reported before connecting.
func setup(ctx context.Context, configPath string, getenv func(string) (string, bool), stderr io.Writer) (*bot.Bot, *storage.DB, *slog.Logger, error) {
	cfg, err := bot.LoadConfig(configPath, getenv)
	if err != nil {
		return nil, nil, nil, err
	}
	log := newLogger(cfg, stderr)
	if err := cfg.RequireToken(); err != nil {
		return nil, nil, nil, err
	}
	lib, err := content.Load()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load guidance texts: %w", err)
	}
	// Held until the process ends: the kernel drops the lock however it ends.
	if _, err := lockInstance(cfg.Storage.Path); err != nil {
		return nil, nil, nil, err
	}
	key, source, created, err := bot.LoadKey(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	if created {
		log.Warn("generated a new encryption key; back it up with the database", "key_file", strings.TrimPrefix(source, "key file "))
	}
	store, err := storage.Open(ctx, cfg.Storage.Path, key)
	if err != nil {
		if errors.Is(err, storage.ErrWrongKey) {
			return nil, nil, nil, fmt.Errorf("database %s cannot be opened with the key from %s: wrong key", cfg.Storage.Path, source)
		}
		return nil, nil, nil, err // storage names the database and what went wrong
	}
	b, err := bot.New(bot.Options{Config: cfg, Store: store, Content: lib, Log: log, Version: version})
	if err != nil {
		store.Close()
		return nil, nil, nil, err
	}
	return b, store, log, nil
}

func serve(ctx context.Context, configPath string, getenv func(string) (string, bool), stderr io.Writer) error {
	b, store, log, err := setup(ctx, configPath, getenv, stderr)
	if err != nil {
		return err
	}
	bot.RouteLibraryLogs(log)
	runErr := b.Run(ctx)
	if err := store.Close(); err != nil {
		log.Error("close database", "err", err)
	}
	log.Info("stopped")
	return runErr
}

func register(ctx context.Context, configPath string, getenv func(string) (string, bool), stderr io.Writer) error {
	b, store, _, err := setup(ctx, configPath, getenv, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return b.Register(ctx)
}

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
	if err := checkToken(cfg.Discord.Token); err != nil {
		r.fail("token", err)
	} else {
		r.ok("token", "set, and shaped like a bot token (Discord itself is not asked)")
	}
	key, source, ok := checkKey(cfg, r)
	if ok {
		checkDatabase(ctx, cfg.Storage.Path, key, source, r)
	}
	return r.result()
}

// checkReport prints one line per check and remembers failures.
type checkReport struct {
	w      io.Writer
	failed int
}

func (r *checkReport) ok(name, detail string) { fmt.Fprintf(r.w, "ok   %s %s\n", name, detail) }

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
	if configPath != "" {
		return configPath
	}
	if _, err := os.Stat(bot.DefaultConfigFile); err == nil {
		return bot.DefaultConfigFile
	}
	return "(no file: built-in defaults and environment)"
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
	keyFile := cfg.Storage.Path + ".key"
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
		case info.Mode().Perm() != 0o600:
			r.fail("key file mode", fmt.Errorf("%s has mode %04o, want 0600: chmod 600 %s", keyFile, info.Mode().Perm(), keyFile))
		default:
			r.ok("key file mode", keyFile+" is 0600")
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

// checkDatabase opens the database with the key (which applies pending migrations, as a
// start would), then checks its integrity and reports its schema version.
func checkDatabase(ctx context.Context, path string, key []byte, source string, r *checkReport) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		r.ok("database", path+" does not exist yet: the first start creates it")
		return
	}
	store, err := storage.Open(ctx, path, key)
	if err != nil {
		if errors.Is(err, storage.ErrWrongKey) {
			err = fmt.Errorf("%s cannot be opened with the key from %s: wrong key", path, source)
		}
		r.fail("database", err)
		return
	}
	defer store.Close()
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
}

// try answers one command line through the real router, with a throwaway database.
func try(ctx context.Context, line string, stdout io.Writer) error {
	lib, err := content.Load()
	if err != nil {
		return fmt.Errorf("load guidance texts: %w", err)
	}
	dir, err := os.MkdirTemp("", "afterglow-try-")
	if err != nil {
		return fmt.Errorf("make a throwaway database: %w", err)
	}
	defer os.RemoveAll(dir)
	store, err := storage.Open(ctx, dir+"/try.db", make([]byte, 32))
	if err != nil {
		return fmt.Errorf("make a throwaway database: %w", err)
	}
	defer store.Close()
	router := commands.NewRouter(commands.Deps{Content: lib, Store: store, Clock: time.Now})
	req, err := commands.ParseCommandLine(router.Definitions(), line)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, commands.Render(router.Handle(ctx, req)))
	return nil
}

func newLogger(cfg bot.Config, w io.Writer) *slog.Logger {
	level, _ := cfg.LogLevel() // checked when the config was loaded
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
