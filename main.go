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
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"
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
	fmt.Fprint(stdout, commands.Render(router.Handle(ctx, req).Response))
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
