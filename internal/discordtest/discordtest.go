// Package discordtest is a fake Discord (REST API and gateway websocket) on 127.0.0.1 that checks every payload against Discord's limits, for tests.
//
// A test starts one with New, points discordgo (or the built binary) at APIBase, builds
// interactions with SlashCommand, Click, Select, SubmitModal or Autocomplete, sends them with
// Dispatch or Invoke, and inspects what the bot answered through Callback, Message and
// Request values. Any payload Discord would refuse (over a limit, wrong shape, missing
// allowed_mentions) is answered with Discord's error and fails the test at cleanup, unless
// the test calls ExpectViolations.
package discordtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Default identities used when Options leave them empty.
const (
	DefaultAppID     = "100000000000000001"
	DefaultBotUserID = "100000000000000002"
	DefaultGuildID   = "100000000000000003"
	DefaultChannelID = "100000000000000004"
	// DefaultHeartbeatInterval is the interval Discord announces in HELLO.
	DefaultHeartbeatInterval = 41250 * time.Millisecond
	// DefaultCallbackDeadline is how long Discord waits for the first interaction response.
	DefaultCallbackDeadline = 3 * time.Second
	// defaultWait caps a wait whose context has no deadline, so a broken test fails instead of hanging.
	defaultWait = 10 * time.Second
)

// ErrClosed is returned by waits and dispatches once the server is closed.
var ErrClosed = errors.New("discordtest: server closed")

// Options configure a Server. The zero value is usable.
type Options struct {
	// Token is the bot token the server accepts, with or without the "Bot " prefix.
	// Empty accepts any "Bot ..." token.
	Token string
	// AppID and BotUserID default to DefaultAppID and DefaultBotUserID.
	AppID, BotUserID string
	// BotUsername defaults to "afterglow-test".
	BotUsername string
	// GlobalRateLimit is the number of REST requests per second allowed across all routes
	// except interaction callbacks and webhooks; 0 means unlimited.
	GlobalRateLimit int
	// HeartbeatInterval is announced in HELLO (as integer milliseconds); default 41.25 s.
	HeartbeatInterval time.Duration
	// CallbackDeadline is how long after Dispatch the first callback is accepted; later
	// callbacks get 404 10062 and a violation. Default 3 s; negative disables the check.
	CallbackDeadline time.Duration
	// AnswerLag is how long, in HTTP-interactions mode, the server takes to take in an
	// answer after reading the bot's HTTP response: until then the interaction is not
	// acknowledged, and a webhook call for it finds nothing, as can happen on Discord.
	AnswerLag time.Duration
	// Now is the server's clock for timestamps, snowflakes, the nonce window and token
	// expiry. Rate limits always use real time, because clients sleep in real time.
	Now func() time.Time
}

// Server is a running Discord stand-in. All methods are safe for concurrent use.
type Server struct {
	t    testing.TB
	opts Options
	http *httptest.Server

	closeOnce sync.Once
	closed    chan struct{}

	sigMu  sync.Mutex
	signal chan struct{} // closed and replaced on every state change

	lastID atomic.Uint64

	gw gateway          // websocket state, its own lock
	hi httpInteractions // HTTP-interactions mode (httpinteractions.go), its own lock

	mu sync.Mutex // guards everything below
	// records
	requests   []Request
	unexpected []Request
	violations []string
	expectBad  bool
	// REST behaviour
	faults    []*fault
	latencies map[string]time.Duration
	limiter   rateLimiter
	// Discord objects
	users        map[string]User
	channels     map[string]*channel
	dmByUser     map[string]string // user id -> DM channel id
	privByUser   map[string]string // user id -> private (user-to-user) channel id
	closedDMs    map[string]bool
	messages     map[string]*Message // message id -> latest state
	created      int                 // messages created through POST /channels/*/messages
	interactions map[string]*interactionState
	byToken      map[string]*interactionState
	callbacks    []Callback
	modals       map[string]Modal     // custom_id -> last modal shown
	commands     map[string][]Command // by scope: "" global, else guild id
	commandIDs   map[string]string    // ids of unregistered commands tests invoke
	overwrites   int
	messageHooks []MessageHook
}

// New starts a stand-in on 127.0.0.1. t.Cleanup closes it and fails the test with every
// recorded violation unless ExpectViolations was called.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.AppID == "" {
		opts.AppID = DefaultAppID
	}
	if opts.BotUserID == "" {
		opts.BotUserID = DefaultBotUserID
	}
	if opts.BotUsername == "" {
		opts.BotUsername = "afterglow-test"
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if opts.CallbackDeadline == 0 {
		opts.CallbackDeadline = DefaultCallbackDeadline
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Token = strings.TrimPrefix(opts.Token, "Bot ")
	s := &Server{
		t:            t,
		opts:         opts,
		closed:       make(chan struct{}),
		signal:       make(chan struct{}),
		latencies:    map[string]time.Duration{},
		users:        map[string]User{},
		channels:     map[string]*channel{},
		dmByUser:     map[string]string{},
		privByUser:   map[string]string{},
		closedDMs:    map[string]bool{},
		messages:     map[string]*Message{},
		interactions: map[string]*interactionState{},
		byToken:      map[string]*interactionState{},
		modals:       map[string]Modal{},
		commands:     map[string][]Command{},
		commandIDs:   map[string]string{},
	}
	s.limiter.init()
	s.gw.init()
	s.channels[DefaultChannelID] = &channel{id: DefaultChannelID, guildID: DefaultGuildID, kind: channelGuildText}
	// Assigned before it starts serving, so handlers read s.http after the write (a peer
	// in another process gives the race detector no ordering to go on).
	s.http = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.http.Start() // listens on 127.0.0.1:0
	t.Cleanup(func() {
		s.Close()
		s.mu.Lock()
		bad, expected := append([]string(nil), s.violations...), s.expectBad
		s.mu.Unlock()
		if len(bad) > 0 && !expected {
			t.Errorf("discordtest: %d payload(s) Discord would refuse:\n  %s", len(bad), strings.Join(bad, "\n  "))
		}
	})
	return s
}

// APIBase is the REST base URL, e.g. "http://127.0.0.1:PORT/api/v10".
func (s *Server) APIBase() string { return s.http.URL + "/api/v10" }

// GatewayURL is the websocket URL announced by GET /gateway.
func (s *Server) GatewayURL() string { return "ws" + strings.TrimPrefix(s.http.URL, "http") + "/ws" }

// AppID is the application id the server answers as.
func (s *Server) AppID() string { return s.opts.AppID }

// BotUser is the bot's own user.
func (s *Server) BotUser() User {
	return User{ID: s.opts.BotUserID, Username: s.opts.BotUsername, Bot: true}
}

// Close stops the server, dropping every websocket. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.gw.closeAll()
		s.http.Close()
		s.broadcast()
	})
}

// ExpectViolations tells the cleanup that this test provokes refused payloads on purpose.
func (s *Server) ExpectViolations() {
	s.mu.Lock()
	s.expectBad = true
	s.mu.Unlock()
}

// Violations lists every refused payload so far, in order.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// violate records problems found in one request; the caller holds no lock.
func (s *Server) violate(where string, problems ...string) {
	s.mu.Lock()
	for _, p := range problems {
		s.violations = append(s.violations, where+": "+p)
	}
	s.mu.Unlock()
	s.broadcast()
}

// misuse reports a test that asks the stand-in for something no Discord user could do.
func (s *Server) misuse(format string, args ...any) {
	s.t.Errorf("discordtest: "+format, args...)
}

func (s *Server) now() time.Time { return s.opts.Now() }

// discordEpoch is the first millisecond of 2015, where snowflake timestamps start.
const discordEpoch = 1420070400000

// newID returns a unique snowflake whose timestamp follows the server clock, strictly
// increasing even if the clock stands still or goes back.
func (s *Server) newID() string {
	ms := uint64(max(s.now().UnixMilli()-discordEpoch, 0))
	want := ms << 22
	for {
		last := s.lastID.Load()
		next := max(want, last+1)
		if s.lastID.CompareAndSwap(last, next) {
			return strconv.FormatUint(next, 10)
		}
	}
}

// broadcast wakes every waiter so it re-checks its condition.
func (s *Server) broadcast() {
	s.sigMu.Lock()
	close(s.signal)
	s.signal = make(chan struct{})
	s.sigMu.Unlock()
}

// waitFor blocks until cond is true (cond takes its own locks), ctx ends or the server closes.
func (s *Server) waitFor(ctx context.Context, what string, cond func() bool) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultWait)
		defer cancel()
	}
	for {
		s.sigMu.Lock()
		ch := s.signal
		s.sigMu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("discordtest: wait for %s: %w", what, ctx.Err())
		case <-s.closed:
			if cond() {
				return nil
			}
			return fmt.Errorf("discordtest: wait for %s: %w", what, ErrClosed)
		}
	}
}

// User is a Discord user as the stand-in knows it.
type User struct {
	ID         string
	Username   string // defaults to "user" + the last digits of ID
	GlobalName string // display name; empty means null
	Bot        bool
}

func (u User) withDefaults() User {
	if u.Username == "" {
		tail := u.ID
		if len(tail) > 4 {
			tail = tail[len(tail)-4:]
		}
		u.Username = "user" + tail
	}
	return u
}

// json renders the user object Discord sends.
func (u User) json() map[string]any {
	u = u.withDefaults()
	m := map[string]any{
		"id":                     u.ID,
		"username":               u.Username,
		"avatar":                 nil,
		"discriminator":          "0",
		"public_flags":           0,
		"flags":                  0,
		"banner":                 nil,
		"accent_color":           nil,
		"global_name":            nil,
		"avatar_decoration_data": nil,
		"collectibles":           nil,
		"primary_guild":          nil,
	}
	if u.GlobalName != "" {
		m["global_name"] = u.GlobalName
	}
	if u.Bot {
		m["bot"] = true
	}
	return m
}

// AddUser makes a user known (GET /users/{id}, DM recipients). Builders add their users too.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	s.rememberUser(u)
	s.mu.Unlock()
}

// rememberUser needs s.mu.
func (s *Server) rememberUser(u User) User {
	if u.ID == "" {
		return u
	}
	u = u.withDefaults()
	s.users[u.ID] = u
	return u
}

// userLocked returns a known user or a plausible one for an unknown id; needs s.mu.
func (s *Server) userLocked(id string) User {
	if id == s.opts.BotUserID {
		return s.BotUser()
	}
	if u, ok := s.users[id]; ok {
		return u
	}
	return User{ID: id}.withDefaults()
}
