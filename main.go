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
  try '/aftercare …'  show the bot's answer to a command, offline: no token, no network
  version             print the version

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
	case "try":
		if len(rest) != 1 {
			err = errors.New(`try takes one quoted command line, e.g. afterglow try '/aftercare topic:drop'`)
			break
		}
		err = try(ctx, rest[0], stdout)
	case "version":
		fmt.Fprintln(stdout, "afterglow", version)
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
		return nil, nil, nil, fmt.Errorf("open database %s: %w", cfg.Storage.Path, err)
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
