// Command afterglow runs the Afterglow Discord bot: aftercare guidance and partner check-ins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/afterglow-bot/afterglow/bot"
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
  migrate --from sqlite:FILE --to postgres://…
                      copy the SQLite database into an empty PostgreSQL one, as stored; compare counts
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
	// Allow the flag after the command too: `afterglow run -config x.toml`. migrate has its own.
	if cmd != "migrate" {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		rest = fs.Args()
	}

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
	case "migrate":
		err = migrateCommand(ctx, rest, stdout, stderr)
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

// instance is what setup made ready: the bot, its database, its logger, and the lock that
// keeps a second afterglow off the database for as long as this one lives.
type instance struct {
	bot   *bot.Bot
	store *storage.DB
	log   *slog.Logger
	// lock must stay reachable until close: dropped, the garbage collector closes the file
	// and the flock goes with it, while this process still runs.
	lock *os.File
}

// close closes the database, then releases the lock: no second afterglow may open the
// database before this one has checkpointed and closed it.
func (in *instance) close() error {
	err := in.store.Close()
	in.lock.Close()
	return err
}

// setup loads everything the bot needs before it touches Discord, so that every mistake
// in config, key or database is reported before connecting.
func setup(ctx context.Context, configPath string, getenv func(string) (string, bool), stderr io.Writer) (*instance, error) {
	cfg, err := bot.LoadConfig(configPath, getenv)
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg, stderr)
	if err := cfg.RequireToken(); err != nil {
		return nil, err
	}
	lib, err := content.Load()
	if err != nil {
		return nil, fmt.Errorf("load guidance texts: %w", err)
	}
	// With PostgreSQL there is no file lock: replicas share the database, each may answer
	// interactions, and the sender lock in the database elects the one that delivers.
	var lock *os.File // nil: Close on it is a harmless error
	if cfg.Storage.Driver != storage.DriverPostgres {
		if lock, err = lockInstance(cfg.Storage.Path); err != nil {
			return nil, err
		}
	}
	b, store, err := openBot(ctx, cfg, lib, log)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return &instance{bot: b, store: store, log: log, lock: lock}, nil
}

// openBot loads the key, opens the database and makes the bot, under the instance lock.
func openBot(ctx context.Context, cfg bot.Config, lib *content.Library, log *slog.Logger) (*bot.Bot, *storage.DB, error) {
	key, source, created, err := bot.LoadKey(cfg)
	if err != nil {
		return nil, nil, err
	}
	if created {
		log.Warn("generated a new encryption key; back it up with the database", "key_file", strings.TrimPrefix(source, "key file "))
	}
	store, err := storage.OpenConfig(ctx, storage.Config{Driver: cfg.Storage.Driver, Path: cfg.Storage.Path, URL: cfg.Storage.URL}, key)
	if err != nil {
		if errors.Is(err, storage.ErrWrongKey) {
			return nil, nil, bot.WrongKey(cfg.Storage.DatabaseName(), source)
		}
		return nil, nil, err // storage names the database and what went wrong
	}
	if loose := store.Tightened(); len(loose) > 0 {
		log.Warn("database files were readable by group or others; made them owner-only (0600)", "files", strings.Join(loose, "; "))
	}
	b, err := bot.New(bot.Options{Config: cfg, Store: store, Content: lib, Log: log, Version: version})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return b, store, nil
}

func serve(ctx context.Context, configPath string, getenv func(string) (string, bool), stderr io.Writer) error {
	in, err := setup(ctx, configPath, getenv, stderr)
	if err != nil {
		return err
	}
	bot.RouteLibraryLogs(in.log)
	runErr := in.bot.Run(ctx)
	if err := in.close(); err != nil {
		in.log.Error("close database", "err", err)
	}
	in.log.Info("stopped")
	return runErr
}

func register(ctx context.Context, configPath string, getenv func(string) (string, bool), stderr io.Writer) error {
	in, err := setup(ctx, configPath, getenv, stderr)
	if err != nil {
		return err
	}
	defer in.close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return in.bot.Register(ctx)
}

func newLogger(cfg bot.Config, w io.Writer) *slog.Logger {
	level, _ := cfg.LogLevel() // checked when the config was loaded
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
