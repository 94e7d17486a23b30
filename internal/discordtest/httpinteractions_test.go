package discordtest

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// signedEndpoint is a minimal interactions endpoint: it checks the stand-in's signature
// and answers with answer(payload), recording what it received.
type signedEndpoint struct {
	mu       sync.Mutex
	payloads []map[string]any
	bad      int
}

func (e *signedEndpoint) serve(t *testing.T, srv *Server, answer func(p map[string]any) (int, string)) *httptest.Server {
	key, err := hex.DecodeString(srv.PublicKey())
	if err != nil || len(key) != ed25519.PublicKeySize {
		t.Fatalf("PublicKey %q", srv.PublicKey())
	}
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts := r.Header.Get("X-Signature-Timestamp")
		sig, _ := hex.DecodeString(r.Header.Get("X-Signature-Ed25519"))
		secs, _ := strconv.ParseInt(ts, 10, 64)
		if !ed25519.Verify(key, append([]byte(ts), body...), sig) || srv.now().Unix() != secs {
			e.mu.Lock()
			e.bad++
			e.mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p map[string]any
		_ = json.Unmarshal(body, &p)
		e.mu.Lock()
		e.payloads = append(e.payloads, p)
		e.mu.Unlock()
		status, out := answer(p)
		if out != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, out)
	}))
	t.Cleanup(h.Close)
	return h
}

func TestHTTPInteractionsModeSignsAndReadsTheResponseAsTheCallback(t *testing.T) {
	clock := NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := New(t, Options{Token: testToken, Now: clock.Now})
	var e signedEndpoint
	bot := e.serve(t, srv, func(map[string]any) (int, string) {
		return http.StatusOK, `{"type":4,"data":{"content":"hello","flags":64,"allowed_mentions":{"parse":[]}}}`
	})
	srv.UseHTTPInteractions(bot.URL)
	ctx := testContext(t)
	i := srv.SlashCommand(alice, Where{DM: true}, "aftercare")
	cb, err := srv.Invoke(ctx, i)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Type != CallbackMessage || cb.Content != "hello" || !cb.Ephemeral() {
		t.Fatalf("callback %+v", cb)
	}
	if r, err := srv.WaitReply(ctx, i.ID); err != nil || r.Content != "hello" {
		t.Fatalf("WaitReply: %+v %v", r, err)
	}
	if _, ok := srv.ResponseTime(i.ID); !ok {
		t.Fatal("no response time")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.bad != 0 || len(e.payloads) != 1 || e.payloads[0]["id"] != i.ID || e.payloads[0]["token"] != i.Token {
		t.Fatalf("endpoint saw %d bad, payloads %v", e.bad, e.payloads)
	}
	if len(srv.Unexpected()) != 0 {
		t.Fatalf("unexpected requests %v", srv.Unexpected())
	}
}

func TestHTTPInteractionsModeReportsRefusalsAndBadResponses(t *testing.T) {
	srv := New(t, Options{Token: testToken})
	srv.ExpectViolations()
	var e signedEndpoint
	calls := 0
	bot := e.serve(t, srv, func(map[string]any) (int, string) {
		calls++
		if calls == 1 {
			return http.StatusInternalServerError, ""
		}
		return http.StatusOK, `{"type":4,"data":{"content":"no allowed_mentions"}}`
	})
	srv.UseHTTPInteractions(bot.URL)
	ctx := testContext(t)
	for n := 1; n <= 2; n++ {
		if err := srv.Dispatch(ctx, srv.SlashCommand(alice, Where{}, "aftercare")); err != nil {
			t.Fatal(err)
		}
		if err := srv.waitFor(ctx, "a violation", func() bool { return len(srv.Violations()) >= n }); err != nil {
			t.Fatal(err)
		}
	}
	v := srv.Violations()
	if len(v) < 2 || !strings.Contains(v[0], "answered 500") || !strings.Contains(strings.Join(v[1:], "\n"), "allowed_mentions") {
		t.Fatalf("violations %q", v)
	}
}

func TestWebhookEventsAreSignedInDiscordsShape(t *testing.T) {
	srv := New(t, Options{Token: testToken})
	var e signedEndpoint
	bot := e.serve(t, srv, func(map[string]any) (int, string) { return http.StatusNoContent, "" })
	ctx := testContext(t)
	if status, err := srv.SendEvent(ctx, bot.URL, "", nil); err != nil || status != http.StatusNoContent {
		t.Fatalf("PING: %d %v", status, err)
	}
	if status, err := srv.Deauthorize(ctx, bot.URL, bob); err != nil || status != http.StatusNoContent {
		t.Fatalf("APPLICATION_DEAUTHORIZED: %d %v", status, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.bad != 0 || len(e.payloads) != 2 {
		t.Fatalf("bad %d, payloads %v", e.bad, e.payloads)
	}
	if p := e.payloads[0]; p["type"] != float64(WebhookPing) || p["application_id"] != DefaultAppID || p["event"] != nil {
		t.Fatalf("PING %v", p)
	}
	p := e.payloads[1]
	ev, _ := p["event"].(map[string]any)
	data, _ := ev["data"].(map[string]any)
	user, _ := data["user"].(map[string]any)
	if p["type"] != float64(WebhookEvent) || p["version"] != float64(1) || ev["type"] != "APPLICATION_DEAUTHORIZED" || user["id"] != bob.ID || ev["timestamp"] == "" {
		t.Fatalf("event %v", p)
	}
}
