package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/commands"
	"github.com/afterglow-bot/afterglow/content"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// get fetches path from the bot's health and metrics server.
func (h *harness) get(path string) (int, string) {
	h.t.Helper()
	addr := h.bot.HTTPAddr()
	if addr == "" {
		h.t.Fatal("the health and metrics server is not listening")
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + addr + path)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// waitHTTP polls path until cond holds for its answer. The states it waits for (gateway
// up or down, a counter moving) follow events on other goroutines, not a schedule.
func (h *harness) waitHTTP(path, what string, cond func(status int, body string) bool) string {
	h.t.Helper()
	var status int
	var body string
	if !dt.Eventually(10*time.Second, func() bool { status, body = h.get(path); return cond(status, body) }) {
		h.t.Fatalf("waiting for %s: last answer %d %q", what, status, firstLines(body, 5))
	}
	return body
}

func (h *harness) waitHealth(want int) string {
	h.t.Helper()
	return h.waitHTTP("/healthz", "/healthz "+strconv.Itoa(want), func(status int, _ string) bool { return status == want })
}

// waitMetric waits until the sample (name with its labels, as exposed) has at least value.
func (h *harness) waitMetric(sample string, value float64) string {
	h.t.Helper()
	return h.waitHTTP("/metrics", sample, func(_ int, body string) bool {
		v, ok := metricValue(body, sample)
		return ok && v >= value
	})
}

// metricValue reads one sample, written as exposed, e.g. `x_total{a="b"}`, from a
// Prometheus text exposition.
func metricValue(body, sample string) (float64, bool) {
	for _, line := range strings.Split(body, "\n") {
		if raw, ok := strings.CutPrefix(line, sample+" "); ok {
			v, err := strconv.ParseFloat(raw, 64)
			return v, err == nil
		}
	}
	return 0, false
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

var labelValue = regexp.MustCompile(`="((?:[^"\\]|\\.)*)"`)

// requireNoUserIDs fails if any user id appears in the metrics, as a label value or anywhere.
func requireNoUserIDs(t *testing.T, body string, users ...dt.User) {
	t.Helper()
	values := labelValue.FindAllStringSubmatch(body, -1)
	if len(values) == 0 {
		t.Fatal("no label values found: the check would prove nothing")
	}
	for _, u := range users {
		for _, v := range values {
			if strings.Contains(v[1], u.ID) {
				t.Errorf("label value %q holds user id %s", v[1], u.ID)
			}
		}
		if strings.Contains(body, u.ID) {
			t.Errorf("the metrics mention user id %s", u.ID)
		}
	}
}

func TestHealthAndMetricsOverHTTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withHTTP)
	if body := h.waitHealth(http.StatusOK); body != "ok\n" {
		t.Fatalf("healthz body %q", body)
	}
	// One /aftercare counts once, by its name, as ok.
	const aftercareOK = `afterglow_interactions_total{command="aftercare",kind="command",outcome="ok"}`
	_, body := h.get("/metrics")
	if _, ok := metricValue(body, aftercareOK); ok {
		t.Fatal("an interaction was counted before any was made")
	}
	h.reply(h.srv.SlashCommand(alice, guild, "aftercare"))
	_, body = h.get("/metrics")
	if v, _ := metricValue(body, aftercareOK); v != 1 {
		t.Fatalf("%s = %v, want 1", aftercareOK, v)
	}
	if v, _ := metricValue(body, `afterglow_interaction_handler_seconds_count{kind="command"}`); v != 1 {
		t.Fatalf("handler latency observations = %v, want 1", v)
	}
	for _, name := range []string{"afterglow_interactions_total", "afterglow_interaction_handler_seconds",
		"afterglow_checkin_schedulings_total", "afterglow_checkins_total", "afterglow_checkin_delivery_lateness_seconds",
		"afterglow_discord_rate_limited_total", "afterglow_gateway_reconnects_total", "afterglow_database_errors_total",
		"afterglow_gateway_connected"} {
		if !strings.Contains(body, "# TYPE "+name+" ") {
			t.Errorf("metric %s missing", name)
		}
	}
	if v, _ := metricValue(body, "afterglow_gateway_connected"); v != 1 {
		t.Errorf("afterglow_gateway_connected = %v while connected", v)
	}

	// A 429 on the invitation DM, which discordgo waits out itself, is counted.
	h.srv.InjectFault("POST /channels/*/messages", 1, dt.Fault{Status: http.StatusTooManyRequests, RetryAfter: 10 * time.Millisecond})
	h.linkPartners(alice, bob)
	h.waitMetric("afterglow_discord_rate_limited_total", 1)

	// A check-in: scheduled, sent (with its lateness), answered.
	h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob))))
	ci := h.waitDMs(bob, 2)[1]
	h.waitMetric(`afterglow_checkins_total{outcome="sent"}`, 1)
	up := h.invoke(h.srv.Click(bob, dm, &ci, customIDWith(ci.MessageContent, "ci1:answer:")))
	if up.Type != dt.CallbackUpdate {
		t.Fatalf("answer: %+v", up)
	}
	_, body = h.get("/metrics")
	for sample, want := range map[string]float64{
		`afterglow_checkin_schedulings_total`:                                              1,
		`afterglow_checkins_total{outcome="sent"}`:                                         1,
		`afterglow_checkins_total{outcome="answered"}`:                                     1,
		`afterglow_checkins_total{outcome="failed"}`:                                       0,
		`afterglow_checkin_delivery_lateness_seconds_count`:                                1,
		`afterglow_interactions_total{command="ci1:answer",kind="component",outcome="ok"}`: 1,
		`afterglow_interactions_total{command="partner",kind="command",outcome="ok"}`:      1,
	} {
		if v, ok := metricValue(body, sample); !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", sample, v, ok, want)
		}
	}
	requireNoUserIDs(t, body, alice, bob, carol, h.srv.BotUser())

	// Without its database the bot is unhealthy, says why, and counts the failures.
	h.store.Close()
	h.clock.Advance(probeEvery) // the last probe's answer holds for that long
	if body := h.waitHealth(http.StatusServiceUnavailable); !strings.HasPrefix(body, "database: ") || strings.Count(body, "\n") != 1 {
		t.Fatalf("with the database closed: %q", body)
	}
	h.bot.delivery.Wake() // its next claim fails
	h.waitMetric("afterglow_database_errors_total", 1)

	// A bot stops serving when it stops.
	addr := h.bot.HTTPAddr()
	h.stop()
	if h.bot.HTTPAddr() != "" {
		t.Error("HTTPAddr still set after shutdown")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("still listening after shutdown")
	}
}

func TestMetricsCountErrorsAndPanicsAndCollapseUnknownNames(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withHTTP)
	standIn(h.bot, func(_ context.Context, req commands.Request, _ commands.Handler) commands.Result {
		if req.Command == "plan" {
			panic("boom")
		}
		return commands.Result{Response: commands.Response{Type: commands.Reply, Ephemeral: true, Content: commands.MsgSomethingWrong},
			Outcome: commands.Failed}
	})
	h.reply(h.srv.SlashCommand(alice, guild, "plan", dt.SubCommand("show")))
	h.reply(h.srv.SlashCommand(alice, guild, "aftercare"))
	_, body := h.get("/metrics")
	for _, sample := range []string{
		`afterglow_interactions_total{command="plan",kind="command",outcome="panic"}`,
		`afterglow_interactions_total{command="aftercare",kind="command",outcome="error"}`,
	} {
		if v, _ := metricValue(body, sample); v != 1 {
			t.Errorf("%s = %v, want 1", sample, v)
		}
	}

	for _, tc := range []struct {
		req  commands.Request
		want string
	}{
		{commands.Request{Kind: commands.KindComponent, CustomID: "ci1:answer:12:ok"}, "ci1:answer"},
		{commands.Request{Kind: commands.KindModal, CustomID: "ci1:wordsm:12"}, "ci1:wordsm"},
		{commands.Request{Kind: commands.KindComponent, CustomID: "zz9:" + alice.ID}, "unknown"}, // digits are never a route
		{commands.Request{Kind: commands.KindComponent, CustomID: "no-colon"}, "unknown"},
		{commands.Request{Kind: commands.KindComponent, CustomID: "Ci1:Answer:1"}, "unknown"},
		{commands.Request{Kind: commands.KindCommand, Command: "made-up"}, "unknown"},
		{commands.Request{Kind: commands.KindAutocomplete, Command: "aftercare"}, "aftercare"},
	} {
		if got := nameLabel(routed(t, tc.req)); got != tc.want {
			t.Errorf("label of %+v = %q, want %q", tc.req, got, tc.want)
		}
	}
	// Made-up routes of the right shape never become labels, so they cannot grow the metrics.
	for n := range 128 {
		id := "zz1:" + strings.Repeat("a", n%16+1) + string(rune('a'+n/16))
		if got := nameLabel(routed(t, commands.Request{Kind: commands.KindComponent, CustomID: id})); got != "unknown" {
			t.Fatalf("made-up route %q became label %q", id, got)
		}
	}
	if got := nameLabel(routed(t, commands.Request{Kind: commands.KindComponent, CustomID: "zzz1:late"})); got != "unknown" {
		t.Errorf("route labels are unbounded: %q", got)
	}
}

func TestHealthFollowsTheGatewayAndCountsReconnects(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withHTTP)
	h.waitHealth(http.StatusOK)
	// The outage itself lasts only as long as a loopback reconnect, too short to catch over
	// HTTP (TestHealthHandlerReasonsAreOneLine covers its answer); what must hold is that
	// every reconnect is counted and the state ends up connected, however events interleave.
	h.srv.DropConnections()
	h.waitMetric("afterglow_gateway_reconnects_total", 1)
	if body := h.waitHealth(http.StatusOK); body != "ok\n" {
		t.Fatalf("after reconnecting: %q", body)
	}
	_, body := h.get("/metrics")
	if v, _ := metricValue(body, "afterglow_gateway_connected"); v != 1 {
		t.Errorf("afterglow_gateway_connected = %v after reconnecting", v)
	}
	if v, _ := metricValue(body, "afterglow_gateway_reconnects_total"); v != 1 {
		t.Errorf("afterglow_gateway_reconnects_total = %v after one drop", v)
	}
}

func TestHealthHandlerReasonsAreOneLine(t *testing.T) {
	for _, tc := range []struct {
		connected bool
		pingErr   error
		status    int
		body      string
	}{
		{true, nil, http.StatusOK, "ok\n"},
		{false, nil, http.StatusServiceUnavailable, "gateway not connected\n"},
		{true, errors.New("ping database:\n disk I/O error"), http.StatusServiceUnavailable, "database: ping database: disk I/O error\n"},
	} {
		rec := httptest.NewRecorder()
		ping := func(context.Context) error { return tc.pingErr }
		healthHandler(func() bool { return tc.connected }, ping, time.Now).ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		if rec.Code != tc.status || rec.Body.String() != tc.body {
			t.Errorf("connected %v, ping %v: %d %q, want %d %q", tc.connected, tc.pingErr, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
	}
}

func TestHTTPListenAddressInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := DefaultConfig()
	cfg.Discord.Token = testToken
	cfg.Discord.APIBase = "http://127.0.0.1:1/api/v10" // never reached: the listen fails first
	cfg.HTTP.Listen = busy.Addr().String()
	b, err := New(Options{Config: cfg, Content: content.MustLoad()})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Run(context.Background())
	if want := "http.listen " + busy.Addr().String() + ": address in use"; err == nil || err.Error() != want {
		t.Fatalf("Run = %v, want %q", err, want)
	}
}

// The database probe behind /healthz is a write: however fast /healthz is asked, it runs
// at most once a second on the bot's clock, and every answer in between is the last one.
func TestHealthProbeWritesAtMostOncePerSecond(t *testing.T) {
	clock := dt.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	var probes atomic.Int32
	var failing atomic.Bool
	ping := func(context.Context) error {
		probes.Add(1)
		if failing.Load() {
			return errors.New("disk full")
		}
		return nil
	}
	handler := healthHandler(func() bool { return true }, ping, clock.Now)
	ask := func(n int, want int) {
		t.Helper()
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
				if rec.Code != want {
					t.Errorf("status %d, want %d", rec.Code, want)
				}
			})
		}
		wg.Wait()
	}
	ask(100, http.StatusOK)
	if n := probes.Load(); n != 1 {
		t.Fatalf("%d probe writes for 100 requests within a second, want 1", n)
	}
	failing.Store(true)
	clock.Advance(999 * time.Millisecond)
	ask(50, http.StatusOK) // the last answer still holds
	if n := probes.Load(); n != 1 {
		t.Fatalf("%d probe writes before the second was over, want 1", n)
	}
	clock.Advance(time.Millisecond)
	ask(50, http.StatusServiceUnavailable) // a new probe, and its failure holds too
	if n := probes.Load(); n != 2 {
		t.Fatalf("%d probe writes after a second, want 2", n)
	}
}

// /healthz and /metrics are for the machine's own monitoring: listening beyond loopback is
// allowed (a container, a private network) but said at start-up, once, as a warning.
func TestHTTPListenBeyondLoopbackWarns(t *testing.T) {
	for _, tc := range []struct {
		listen string
		warns  bool
	}{
		{"127.0.0.1:0", false},
		{"localhost:0", false},
		{"0.0.0.0:0", true},
		{":0", true},
	} {
		var log dt.LockedBuffer
		cfg := DefaultConfig()
		cfg.Discord.Token = testToken
		cfg.Discord.APIBase = "http://127.0.0.1:1/api/v10" // never reached: only the HTTP server starts
		cfg.HTTP.Listen = tc.listen
		b, err := New(Options{Config: cfg, Content: content.MustLoad(), Log: slog.New(slog.NewTextHandler(&log, nil))})
		if err != nil {
			t.Fatal(err)
		}
		stop, err := b.startHTTP()
		if err != nil {
			t.Fatalf("%s: %v", tc.listen, err)
		}
		stop()
		got := log.String()
		warned := strings.Contains(got, "level=WARN") && strings.Contains(got, "not a loopback address")
		if warned != tc.warns {
			t.Errorf("http.listen %q: warned %v, want %v; the log:\n%s", tc.listen, warned, tc.warns, got)
		}
		if tc.warns && (strings.Count(got, "level=WARN") != 1 || !strings.Contains(got, "listen="+tc.listen)) {
			t.Errorf("http.listen %q: want one warning naming the setting; the log:\n%s", tc.listen, got)
		}
	}
}
