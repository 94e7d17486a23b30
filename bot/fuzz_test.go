package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/commands"
	"github.com/afterglow-bot/afterglow/content"
	"github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

// Fuzz targets for the bot's two inputs from outside: the config file (with one environment
// override) and the interaction payloads Discord sends. testdata/fuzz/<Name>/ holds the
// committed corpus, including every input that once failed.

// envNames are the environment variables LoadConfig reads, one per config key.
var envNames = []string{
	"AFTERGLOW_DISCORD_TOKEN", "AFTERGLOW_DISCORD_APPLICATION_ID", "AFTERGLOW_DISCORD_GUILD_ID",
	"AFTERGLOW_DISCORD_API_BASE", "AFTERGLOW_DISCORD_AGE_RESTRICTED", "AFTERGLOW_STORAGE_PATH",
	"AFTERGLOW_STORAGE_ENCRYPTION_KEY", "AFTERGLOW_STORAGE_RETENTION_DAYS", "AFTERGLOW_LOG_LEVEL",
	"AFTERGLOW_LOG_FORMAT", "AFTERGLOW_HTTP_LISTEN", "AFTERGLOW_CHECKINS_PER_PARTNER_PER_DAY",
	"AFTERGLOW_CHECKINS_INVITATIONS_PER_DAY", "AFTERGLOW_CHECKINS_INVITATION_TTL_HOURS",
}

func FuzzLoadConfig(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "config.example.toml"))
	if err != nil {
		f.Fatal(err)
	}
	none := uint8(len(envNames))
	f.Add(example, none, "")
	f.Add([]byte(""), none, "")
	f.Add([]byte("[discord]\ntoken = \"x\"\napi_base = \"http://127.0.0.1:1/api/v10\"\nguild_id = \"123\"\n"), uint8(3), "https://proxy.example/api/v10")
	f.Add([]byte("[discord]\napi_base = \"discord.com\"\n"), none, "")
	f.Add([]byte("[discord]\napi_base = \"https://\"\n"), none, "")
	f.Add([]byte("[discord]\napi_base = \"https://h/%zz\"\n"), none, "")
	f.Add([]byte("[storage]\nretention_days = 0\n"), uint8(7), " 12 ")
	f.Add([]byte("[storage]\nretention_days = 99999999999999999999\n"), none, "")
	f.Add([]byte("[storage]\npath = \"\"\n"), uint8(5), "a.db")
	f.Add([]byte("[log]\nlevel = \"INFO+2\"\nformat = \"json\"\n"), none, "")
	f.Add([]byte("[log]\nlevel = \"loud\"\n"), uint8(8), "debug")
	f.Add([]byte("[discord]\ntokne = \"x\"\n"), none, "")
	f.Add([]byte("[discord]\ntoken = \"unterminated\n"), none, "")
	f.Add([]byte("discord = 5\n"), none, "")
	f.Add([]byte("[checkins]\ninvitation_ttl_hours = -1\n"), uint8(12), "x")
	f.Add([]byte("[discord]\nage_restricted = \"yes\"\n"), uint8(4), "maybe")
	f.Add([]byte("\xff\xfe[discord]\n"), none, "")
	dir := f.TempDir() // one directory for every input: a fresh one each time is most of the cost
	f.Fuzz(func(t *testing.T, file []byte, env uint8, value string) {
		path := filepath.Join(dir, "afterglow.toml")
		if err := os.WriteFile(path, file, 0o600); err != nil {
			t.Fatal(err)
		}
		getenv := func(string) (string, bool) { return "", false }
		if int(env) < len(envNames) {
			getenv = func(k string) (string, bool) { return value, k == envNames[env] }
		}
		cfg, err := LoadConfig(path, getenv)
		if err != nil {
			if !strings.Contains(err.Error(), "afterglow.toml") && !strings.HasPrefix(err.Error(), "AFTERGLOW_") {
				t.Errorf("error %q names neither the file nor the variable", err)
			}
			return
		}
		if err := cfg.check(); err != nil {
			t.Fatalf("LoadConfig accepted a config its own check refuses: %v", err)
		}
		if u, err := url.Parse(cfg.Discord.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Errorf("api_base %q was accepted but is not an http(s) URL", cfg.Discord.APIBase)
		}
		if _, err := newRewriteTransport(cfg.Discord.APIBase, http.DefaultTransport); err != nil {
			t.Errorf("api_base %q was accepted but the transport refuses it: %v", cfg.Discord.APIBase, err)
		}
		if int(env) >= len(envNames) {
			checkConfigRoundTrip(t, cfg, filepath.Join(dir, "again.toml"))
		}
	})
}

// checkConfigRoundTrip writes an accepted config back out and loads it again: what the
// loader accepts, it must read back the same way.
func checkConfigRoundTrip(t *testing.T, cfg Config, path string) {
	t.Helper()
	var out bytes.Buffer
	if err := toml.NewEncoder(&out).Encode(cfg); err != nil {
		t.Fatalf("encode an accepted config: %v", err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := LoadConfig(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("an accepted config, written back out, is refused: %v\n%s", err, out.String())
	}
	if !reflect.DeepEqual(again, cfg) {
		t.Fatalf("config changed on the way back:\nfirst %+v\nagain %+v", cfg, again)
	}
}

// restRecorder stands in for Discord's REST API in-process: it keeps the body of every
// request and answers as Discord would, a DM channel for a DM channel, a message for a message.
type restRecorder struct {
	mu       sync.Mutex
	requests []recordedRequest
}

type recordedRequest struct {
	path, contentType string
	body              []byte
}

func (c *restRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	c.mu.Lock()
	c.requests = append(c.requests, recordedRequest{path: r.URL.Path, contentType: r.Header.Get("Content-Type"), body: body})
	c.mu.Unlock()
	answer := func(status int, json string) (*http.Response, error) {
		return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(json)),
			Header: http.Header{"Content-Type": {"application/json"}}, Request: r}, nil
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/users/@me/channels"):
		return answer(http.StatusOK, `{"id":"1600000000000000001","type":1}`)
	case strings.HasSuffix(r.URL.Path, "/messages"):
		return answer(http.StatusOK, `{"id":"1700000000000000001","channel_id":"1600000000000000001","type":0}`)
	}
	return answer(http.StatusNoContent, "")
}

func (c *restRecorder) take() []recordedRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.requests
	c.requests = nil
	return r
}

// jsonPayload returns a request's JSON: the body, or the payload_json part of a multipart one.
func (r recordedRequest) jsonPayload() ([]byte, error) {
	media, params, _ := mime.ParseMediaType(r.contentType)
	if !strings.HasPrefix(media, "multipart/") {
		return r.body, nil
	}
	mr := multipart.NewReader(bytes.NewReader(r.body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("find payload_json: %w", err)
		}
		if part.FormName() == "payload_json" {
			return io.ReadAll(part)
		}
	}
}

// newDispatchBot is a real Bot, not connected: the real router on real SQLite and a test
// clock, its REST calls answered by rec, and a log that keeps only errors.
func newDispatchBot(t testing.TB, rec *restRecorder, failures *bytes.Buffer) *Bot {
	t.Helper()
	store, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "fuzz.db"), make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := DefaultConfig()
	cfg.Discord.Token = testToken
	cfg.Discord.APIBase = "http://127.0.0.1:9/api/v10" // never dialled: rec answers in-process
	clock := discordtest.NewClock(time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go passShortWaits(ctx, clock) // DMs' send slots
	b, err := New(Options{Config: cfg, Store: store, Content: content.MustLoad(), HTTP: rec, Clock: clock,
		Log: slog.New(slog.NewTextHandler(failures, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// kindOf is the Request kind each interaction type must become.
func kindOf(t discordgo.InteractionType) commands.Kind {
	switch t {
	case discordgo.InteractionApplicationCommand:
		return commands.KindCommand
	case discordgo.InteractionApplicationCommandAutocomplete:
		return commands.KindAutocomplete
	case discordgo.InteractionMessageComponent:
		return commands.KindComponent
	case discordgo.InteractionModalSubmit:
		return commands.KindModal
	}
	return commands.KindUnknown
}

func FuzzInteractionDecode(f *testing.F) {
	for _, seed := range interactionSeeds {
		f.Add([]byte(seed))
	}
	rec := &restRecorder{}
	var failures bytes.Buffer
	b := newDispatchBot(f, rec, &failures)
	f.Fuzz(func(t *testing.T, payload []byte) {
		var event discordgo.InteractionCreate
		if err := json.Unmarshal(payload, &event); err != nil {
			return // discordgo drops what it cannot decode before any handler runs
		}
		i := event.Interaction
		if i != nil {
			checkConversion(t, i)
		}
		// What the gateway handler does with the event: it must answer, and never panic.
		b.dispatch(context.Background(), i)
		if failures.Len() > 0 {
			t.Errorf("dispatch logged an error:\n%s", failures.String())
			failures.Reset()
		}
		checkRequests(t, rec.take())
	})
}

// checkRequests checks every callback and message the bot sent against Discord's rules.
func checkRequests(t *testing.T, requests []recordedRequest) {
	t.Helper()
	for _, r := range requests {
		body, err := r.jsonPayload()
		if err != nil {
			t.Fatalf("%s: %v", r.path, err)
		}
		var problems []string
		switch {
		case strings.Contains(r.path, "/interactions/"): // .../<id>/<token>/callback, whatever the id and token
			problems = discordtest.CheckCallback(body)
		case strings.HasSuffix(r.path, "/messages"):
			problems = discordtest.CheckMessage(body)
		case strings.HasSuffix(r.path, "/users/@me/channels"):
		default:
			t.Errorf("unexpected request to %s", r.path)
		}
		for _, p := range problems {
			t.Errorf("%s breaks Discord's rules: %s\n%s", r.path, p, body)
		}
	}
}

// checkConversion converts i as dispatch does and checks the result against the payload,
// including that an error reply to it is a callback Discord would take.
func checkConversion(t *testing.T, i *discordgo.Interaction) {
	t.Helper()
	req := toRequest(i)
	if want := kindOf(i.Type); req.Kind != want {
		t.Errorf("interaction type %d became kind %v, want %v", i.Type, req.Kind, want)
	}
	if req.InteractionID != i.ID || req.GuildID != i.GuildID {
		t.Errorf("ids changed: %q/%q from %q/%q", req.InteractionID, req.GuildID, i.ID, i.GuildID)
	}
	switch {
	case i.Member != nil && i.Member.User != nil:
		if req.Caller.ID != i.Member.User.ID {
			t.Errorf("caller %q, want the member's user %q", req.Caller.ID, i.Member.User.ID)
		}
	case i.User != nil:
		if req.Caller.ID != i.User.ID {
			t.Errorf("caller %q, want the user %q", req.Caller.ID, i.User.ID)
		}
	}
	cb, _ := toCallback(errorReplyTo(t, req))
	body, err := json.Marshal(cb)
	if err != nil {
		t.Fatalf("marshal an error reply: %v", err)
	}
	for _, p := range discordtest.CheckCallback(body) {
		t.Errorf("error reply breaks Discord's rules: %s\n%s", p, body)
	}
}

// errorReplyTo is the router's answer to req when its handler fails.
func errorReplyTo(t testing.TB, req commands.Request) commands.Response {
	t.Helper()
	failing.once.Do(func() {
		failing.router = commands.NewRouter(commands.Deps{Content: content.MustLoad()})
		failing.router.Use(func(commands.Handler) commands.Handler {
			return func(context.Context, commands.Request) commands.Result { panic("fails") }
		})
	})
	res := failing.router.Handle(context.Background(), req)
	if res.Outcome != commands.Panicked {
		t.Fatalf("the failing router answered %v", res.Outcome)
	}
	return res.Response
}

var failing struct {
	once   sync.Once
	router *commands.Router
}

// interactionSeeds are payloads shaped like Discord's, each reaching a different path.
var interactionSeeds = []string{
	// A slash command in a server: member present (no joined_at), a subcommand with options.
	`{"id":"1300000000000000001","application_id":"1200000000000000001","type":2,"token":"tok","version":1,
	"guild_id":"1100000000000000001","channel_id":"1100000000000000002","context":0,
	"authorizing_integration_owners":{"0":"1100000000000000001"},"app_permissions":"2048",
	"member":{"user":{"id":"200000000000000001","username":"alice","global_name":"Alice"},"nick":"Al","roles":[],"permissions":"2147483647"},
	"data":{"id":"1400000000000000001","name":"checkin","type":1,"options":[{"type":1,"name":"send","options":[
	{"type":6,"name":"partner","value":"200000000000000002"},{"type":3,"name":"in","value":"1h30m"},{"type":5,"name":"followups","value":true}]}],
	"resolved":{"users":{"200000000000000002":{"id":"200000000000000002","username":"bob"}},"members":{"200000000000000002":{"nick":"Bobby","roles":[]}}}}}`,
	// The same command in the bot's DM: user, no member, context 1.
	`{"id":"1300000000000000002","application_id":"1200000000000000001","type":2,"token":"tok","version":1,
	"channel_id":"1100000000000000003","context":1,"authorizing_integration_owners":{"0":"0"},
	"user":{"id":"200000000000000001","username":"alice"},
	"data":{"id":"1400000000000000002","name":"aftercare","type":1,"options":[{"type":3,"name":"topic","value":"drop"},{"type":5,"name":"share","value":true}]}}`,
	// A user-installed command in someone else's DM (context 2).
	`{"id":"1300000000000000003","type":2,"token":"tok","channel_id":"5","context":2,"authorizing_integration_owners":{"1":"200000000000000001"},
	"user":{"id":"200000000000000001","username":"alice"},"data":{"name":"settings","options":[{"type":4,"name":"x","value":3.5e40}]}}`,
	// Autocomplete with the focused option.
	`{"id":"1300000000000000004","type":4,"token":"tok","user":{"id":"200000000000000001","username":"alice"},
	"data":{"name":"aftercare","type":1,"options":[{"type":3,"name":"topic","value":"sub d","focused":true}]}}`,
	// Autocomplete that finds nothing: the answer is an empty list of choices.
	`{"id":"1300000000000000017","type":4,"token":"tok","user":{"id":"200000000000000001","username":"alice"},
	"data":{"name":"about","type":1,"options":[{"type":3,"name":"topic","value":"","focused":true}]}}`,
	// A button click on a message with interaction_metadata (the newer field) and interaction (the older).
	`{"id":"1300000000000000005","type":3,"token":"tok","guild_id":"1100000000000000001","channel_id":"1100000000000000002",
	"member":{"user":{"id":"200000000000000002","username":"bob"},"permissions":"0"},
	"message":{"id":"1500000000000000001","channel_id":"1100000000000000002","flags":64,"content":"","components":[],
	"interaction_metadata":{"id":"1300000000000000001","type":2,"user":{"id":"200000000000000001","username":"alice"}},
	"interaction":{"id":"1300000000000000001","type":2,"name":"aftercare","user":{"id":"200000000000000009","username":"old"}}},
	"data":{"component_type":2,"custom_id":"ac1:home"}}`,
	// A string select with values.
	`{"id":"1300000000000000006","type":3,"token":"tok","user":{"id":"200000000000000001","username":"alice"},
	"message":{"id":"1500000000000000002","channel_id":"9","flags":0},
	"data":{"component_type":3,"custom_id":"ac1:topic","values":["drop"]}}`,
	// A check-in answer button in a DM, for a check-in that does not exist.
	`{"id":"1300000000000000007","type":3,"token":"tok","user":{"id":"200000000000000002","username":"bob"},
	"message":{"id":"1500000000000000003","channel_id":"9"},"data":{"component_type":2,"custom_id":"ci1:answer:42:good"}}`,
	// A modal submit with action rows of text inputs.
	`{"id":"1300000000000000008","type":5,"token":"tok","user":{"id":"200000000000000001","username":"alice"},
	"data":{"custom_id":"pl1:notesm","components":[{"type":1,"components":[{"type":4,"custom_id":"needs","value":"water and a blanket"}]},
	{"type":1,"components":[{"type":4,"custom_id":"avoid","value":"line one\nline two"}]}]}}`,
	// A modal whose rows hold the wrong component types.
	`{"id":"1300000000000000009","type":5,"token":"tok","user":{"id":"200000000000000002","username":"bob"},
	"data":{"custom_id":"ci1:wordsm:7","components":[{"type":2,"custom_id":"b","label":"x","style":1},{"type":1,"components":[{"type":3,"custom_id":"s","options":[]}]}]}}`,
	// Garbage: an unknown type, null data, a ping, no caller at all, nulls where objects go.
	`{"id":"1300000000000000010","type":99,"token":"tok","data":null}`,
	`{"id":"1300000000000000011","type":2,"token":"tok","data":null}`,
	`{"id":"1300000000000000012","type":1,"token":"tok"}`,
	`{"id":"1300000000000000013","type":3,"token":"tok","data":{"custom_id":""},"member":{"user":null},"message":{"interaction_metadata":{"user":null}}}`,
	`{"id":"1300000000000000014","type":2,"token":"tok","user":{"id":"1"},"data":{"name":"partner","options":[{"type":1,"name":"invite","options":[{"type":6,"name":"user","value":"2"}]}],"resolved":{"users":{"2":null},"members":{"2":null}}}}`,
	`{"id":"1300000000000000015","type":2,"token":"tok","user":{"id":"1"},"data":{"name":"aftercare","options":[null]}}`,
	`{"id":"1300000000000000016","type":3,"token":"tok","user":{"id":"1"},"data":{"custom_id":"ac1:topic","values":null}}`,
	`null`,
	`{}`,
}

// Inputs the fuzzers found, kept as plain tests.

// dispatchPayload decodes payload as the gateway does and dispatches it on a fresh bot,
// returning the requests the bot sent and what it logged at error level.
func dispatchPayload(t *testing.T, payload string) ([]recordedRequest, string) {
	t.Helper()
	rec := &restRecorder{}
	var failures bytes.Buffer
	b := newDispatchBot(t, rec, &failures)
	var event discordgo.InteractionCreate
	if err := json.Unmarshal([]byte(payload), &event); err != nil {
		t.Fatal(err)
	}
	b.dispatch(context.Background(), event.Interaction)
	return rec.take(), failures.String()
}

func TestDispatchIgnoresANullInteractionEvent(t *testing.T) {
	// {"op":0,"t":"INTERACTION_CREATE","d":null} once panicked outside any recover.
	requests, failures := dispatchPayload(t, `null`)
	if len(requests) != 0 || failures != "" {
		t.Fatalf("a null event was answered: %d requests, log %q", len(requests), failures)
	}
}

func TestToRequestSkipsNullOptionsAndUsers(t *testing.T) {
	for name, payload := range map[string]string{
		"null option":        `{"id":"1","type":2,"token":"t","user":{"id":"5"},"data":{"name":"aftercare","options":[null]}}`,
		"null subcommand":    `{"id":"1","type":2,"token":"t","user":{"id":"5"},"data":{"name":"partner","options":[null]}}`,
		"null resolved user": `{"id":"1","type":2,"token":"t","user":{"id":"5"},"data":{"name":"partner","options":[{"type":1,"name":"invite","options":[{"type":6,"name":"user","value":"2"}]}],"resolved":{"users":{"2":null}}}}`,
	} {
		var i discordgo.Interaction
		if err := json.Unmarshal([]byte(payload), &i); err != nil {
			t.Fatal(err)
		}
		req := toRequest(&i)
		if req.Kind != commands.KindCommand || req.Caller.ID != "5" || len(req.Users) != 0 {
			t.Errorf("%s: got %+v", name, req)
		}
	}
}

func TestEmptyAutocompleteResultKeepsItsChoicesList(t *testing.T) {
	// /about has no autocomplete: the router answers with no choices, which discordgo's
	// omitempty used to drop from the body altogether.
	requests, failures := dispatchPayload(t, `{"id":"1","type":4,"token":"t","user":{"id":"5","username":"u"},
		"data":{"name":"about","options":[{"type":3,"name":"topic","value":"","focused":true}]}}`)
	if failures != "" || len(requests) != 1 {
		t.Fatalf("want one callback and no errors, got %d requests, log %q", len(requests), failures)
	}
	if got, want := string(requests[0].body), `{"type":8,"data":{"choices":[]}}`; got != want {
		t.Fatalf("callback body %s, want %s", got, want)
	}
	if p := discordtest.CheckCallback(requests[0].body); len(p) != 0 {
		t.Fatalf("callback breaks Discord's rules: %v", p)
	}
}

func TestInteractionWithoutCallerIsRefusedQuietly(t *testing.T) {
	// A modal submit with neither member nor user once reached the plan handler, which
	// failed to save a plan for user "".
	requests, failures := dispatchPayload(t, `{"id":"1","type":5,"token":"t",
		"data":{"custom_id":"pl1:notesm","components":[{"type":1,"components":[{"type":4,"custom_id":"needs","value":"water"}]}]}}`)
	if failures != "" {
		t.Fatalf("logged an error: %s", failures)
	}
	if len(requests) != 1 || !strings.Contains(string(requests[0].body), commands.MsgSomethingWrong) {
		t.Fatalf("want one private error reply, got %d requests: %q", len(requests), requests)
	}
}
