package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/content"
	"github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

const testToken = "test-token-not-secret"

// harness is a real Bot, on real SQLite, talking to the stand-in over loopback.
type harness struct {
	t      testing.TB
	srv    *discordtest.Server
	bot    *Bot
	store  *storage.DB
	clock  *discordtest.Clock // the bot's clock in tests; nil in benchmarks, which run on RealClock
	now    func() time.Time   // the bot's time: clock.Now, or time.Now in benchmarks
	ctx    context.Context
	dbPath string
	log    io.Writer  // where the bot logs its warnings and errors
	level  slog.Level // the bot's log level
	cfg    Config     // the bot's configuration, for replicas of it
	stop   func()
	// cancel ends the bot's Run without waiting for it (stop waits, then closes the database).
	cancel context.CancelFunc
}

// harnessSetup is what options may change before the harness starts.
type harnessSetup struct {
	cfg       Config
	srv       discordtest.Options
	latencies map[string]time.Duration // stand-in routes answered late from the start
	log       io.Writer                // a copy of the bot's log, warnings and up
	level     slog.Level               // the bot's log level; warnings unless withDebugLog
	httpMode  bool                     // interactions over HTTP, no gateway (withHTTPInteractions)
	pgURL     string                   // the PostgreSQL database to run on (withPostgres); "": SQLite
}

type harnessOption func(*harnessSetup)

func withGuild(id string) harnessOption {
	return func(s *harnessSetup) { s.cfg.Discord.GuildID = id }
}

func withRateLimit(perSecond int) harnessOption {
	return func(s *harnessSetup) { s.srv.GlobalRateLimit = perSecond }
}

// withHTTP serves /healthz and /metrics on an ephemeral loopback port (see Bot.HTTPAddr).
func withHTTP(s *harnessSetup) { s.cfg.HTTP.Listen = "127.0.0.1:0" }

// withAnswerLag has the stand-in take d to act on each HTTP-interactions answer it read.
func withAnswerLag(d time.Duration) harnessOption {
	return func(s *harnessSetup) { s.srv.AnswerLag = d }
}

// withLatency has the stand-in answer route late from before the bot starts.
func withLatency(route string, d time.Duration) harnessOption {
	return func(s *harnessSetup) {
		if s.latencies == nil {
			s.latencies = map[string]time.Duration{}
		}
		s.latencies[route] = d
	}
}

// withLog copies the bot's warnings and errors to w as well as to the test log.
func withLog(w io.Writer) harnessOption {
	return func(s *harnessSetup) { s.log = w }
}

// withDebugLog logs everything down to debug level, for tests of what the log may hold.
func withDebugLog(s *harnessSetup) { s.level = slog.LevelDebug }

// withHTTPInteractions has the stand-in POST every interaction, signed, to the bot's
// interactions endpoint on an ephemeral loopback port, and runs the bot without a gateway.
func withHTTPInteractions(s *harnessSetup) { s.httpMode = true }

// withPostgres runs the bot on the PostgreSQL database at url instead of SQLite.
func withPostgres(url string) harnessOption {
	return func(s *harnessSetup) { s.pgURL = url }
}

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	setup := harnessSetup{cfg: DefaultConfig(), srv: discordtest.Options{Token: testToken}, level: slog.LevelWarn}
	for _, o := range opts {
		o(&setup)
	}
	cfg := setup.cfg
	h := &harness{t: t, dbPath: filepath.Join(t.TempDir(), "bot.db"), now: time.Now}
	// Tests move time themselves; benchmarks measure the bot's real pace.
	if _, bench := t.(*testing.B); !bench {
		h.clock = discordtest.NewClock(time.Now().UTC().Truncate(time.Second))
		h.now = h.clock.Now
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go passShortWaits(ctx, h.clock)
	}
	h.log, h.level = testWriter{t}, setup.level
	if setup.log != nil {
		h.log = io.MultiWriter(h.log, setup.log)
	}
	if setup.httpMode {
		// Discord's clock and the bot's agree, or every signature would look stale.
		setup.srv.Now = h.now
	}
	srv := discordtest.New(t, setup.srv)
	h.srv = srv
	for route, d := range setup.latencies {
		srv.SetLatency(route, d)
	}
	if setup.httpMode {
		cfg.Interactions.Listen, cfg.Discord.PublicKey, cfg.Discord.Gateway = "127.0.0.1:0", srv.PublicKey(), false
	}
	cfg.Discord.Token = testToken
	cfg.Discord.APIBase = srv.APIBase()
	cfg.Storage.Path = h.dbPath
	if setup.pgURL != "" {
		cfg.Storage.Driver, cfg.Storage.URL = storage.DriverPostgres, setup.pgURL
	}
	h.start(cfg)
	return h
}

// replica starts another bot on h's database, stand-in and clock, as a second replica
// behind the same load balancer: from now on the stand-in sends interactions to it (HTTP
// interactions mode only). url, when not "", is the database URL it uses (e.g. with an
// application_name of its own).
func (h *harness) replica(url string) *harness {
	h.t.Helper()
	if h.cfg.Discord.Gateway {
		h.t.Fatal("replicas need withHTTPInteractions")
	}
	r := &harness{t: h.t, srv: h.srv, clock: h.clock, now: h.now, dbPath: h.dbPath, log: h.log, level: h.level}
	cfg := h.cfg
	if url != "" {
		cfg.Storage.URL = url
	}
	r.start(cfg)
	return r
}

// start runs a bot over the harness's database until the test ends or stop is called.
func (h *harness) start(cfg Config) {
	h.t.Helper()
	// A bound so a stuck test ends; benchmarks deliver for minutes, so theirs is longer.
	runFor := 2 * time.Minute
	if _, bench := h.t.(*testing.B); bench {
		runFor = 30 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), runFor)
	store, err := storage.OpenConfig(ctx, storage.Config{Driver: cfg.Storage.Driver, Path: h.dbPath, URL: cfg.Storage.URL}, make([]byte, 32))
	if err != nil {
		h.t.Fatal(err)
	}
	var clock Clock = RealClock{}
	if h.clock != nil {
		clock = h.clock
	}
	b, err := New(Options{Config: cfg, Store: store, Content: content.MustLoad(), Clock: clock,
		Log: slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: h.level}))})
	if err != nil {
		h.t.Fatal(err)
	}
	b.retryBase = 5 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	var once sync.Once
	h.bot, h.store, h.ctx, h.cfg, h.cancel = b, store, ctx, cfg, cancel
	h.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				h.t.Errorf("bot stopped with %v", err)
			}
			store.Close()
		})
	}
	h.t.Cleanup(h.stop)
	if !cfg.Discord.Gateway {
		h.srv.UseHTTPInteractions("http://" + h.waitInteractionsAddr() + interactionsPath)
	} else if err := h.srv.WaitReady(ctx); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.srv.WaitCommands(ctx, cfg.Discord.GuildID); err != nil {
		h.t.Fatal(err)
	}
}

// waitInteractionsAddr waits until the bot's interactions endpoint listens.
func (h *harness) waitInteractionsAddr() string {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.bot.InteractionsAddr() == "" {
		if time.Now().After(deadline) {
			h.t.Fatal("the interactions endpoint did not start")
		}
		time.Sleep(time.Millisecond) // polls the bot's start-up; no schedule depends on it
	}
	return h.bot.InteractionsAddr()
}

// transports runs a flow over the gateway and over HTTP interactions.
var transports = []struct {
	name string
	opts []harnessOption
}{
	{"gateway", nil},
	{"http", []harnessOption{withHTTPInteractions}},
}

// eachTransport runs flow once per transport, as a subtest with the transport's options.
// The test and its subtests run beside others: each flow has its own stand-in, database
// and clock.
func eachTransport(t *testing.T, flow func(t *testing.T, opts ...harnessOption)) {
	t.Parallel()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			flow(t, tr.opts...)
		})
	}
}

// testWriter sends the bot's log to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

var (
	alice = discordtest.User{ID: "200000000000000001", Username: "alice", GlobalName: "Alice"}
	bob   = discordtest.User{ID: "200000000000000002", Username: "bob", GlobalName: "Bob"}
	carol = discordtest.User{ID: "200000000000000003", Username: "carol"}
	guild = discordtest.Where{}
	dm    = discordtest.Where{DM: true}
)

func (h *harness) invoke(i discordtest.Interaction) discordtest.Callback {
	h.t.Helper()
	cb, err := h.srv.Invoke(h.ctx, i)
	if err != nil {
		h.t.Fatalf("invoke: %v", err)
	}
	return cb
}

// reply waits for an interaction's final answer, after any deferral.
func (h *harness) reply(i discordtest.Interaction) discordtest.Callback {
	h.t.Helper()
	if err := h.srv.Dispatch(h.ctx, i); err != nil {
		h.t.Fatal(err)
	}
	cb, err := h.srv.WaitReply(h.ctx, i.ID)
	if err != nil {
		h.t.Fatalf("reply: %v", err)
	}
	return cb
}

// botDMs are the messages the bot posted on its own in user's DMs: not the replies to
// interactions that happen in that DM.
func (h *harness) botDMs(user discordtest.User) []discordtest.Message {
	var out []discordtest.Message
	for _, m := range h.srv.Messages(user.ID) {
		if m.Interaction == nil {
			out = append(out, m)
		}
	}
	return out
}

// waitDMs waits until the bot has posted n messages in user's DMs and returns them.
func (h *harness) waitDMs(user discordtest.User, n int) []discordtest.Message {
	h.t.Helper()
	// Also wait for the loop to go idle, so a check-in's outcome is recorded before a test
	// clicks on it (a person could never click in that sub-millisecond gap).
	h.waitUntil(fmt.Sprintf("%d DMs to %s", n, user.Username), func() bool {
		return len(h.botDMs(user)) >= n && !h.bot.delivery.busy.Load()
	})
	return h.botDMs(user)
}

// waitIdle waits until nothing is due on the bot's clock and the delivery loop sleeps.
func (h *harness) waitIdle() {
	h.t.Helper()
	h.waitUntil("delivery to go idle", func() bool {
		next, ok, err := h.store.NextDue(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		return (!ok || next.After(h.now())) && !h.bot.delivery.busy.Load()
	})
}

// waitUntil polls cond (the bot works on its own goroutines) until it holds or 10 s pass.
func (h *harness) waitUntil(what string, cond func() bool) {
	h.t.Helper()
	if !discordtest.Eventually(10*time.Second, cond) {
		h.t.Fatalf("timed out waiting until %s", what)
	}
}

// shortWait bounds the waits the harness lets pass by themselves on the test clock: a DM's
// send slot, a retry's (shortened) backoff, a Retry-After. The deferral (2 s) and every
// check-in's own time are longer: they pass only when a test moves the clock.
const shortWait = time.Second

// passShortWaits moves the test clock to the bot's next timer whenever that is due within
// shortWait, until ctx ends: a person would not notice such a wait, and no test is about
// its length, so none has to move the clock for every DM.
func passShortWaits(ctx context.Context, clock *discordtest.Clock) {
	tick := time.NewTicker(time.Millisecond) // a poll interval, not the bot's schedule
	defer tick.Stop()
	for {
		if at, ok := clock.NextTimer(); ok && at.Sub(clock.Now()) <= shortWait {
			clock.AdvanceTo(at)
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
