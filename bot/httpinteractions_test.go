package bot

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// testSigner signs as Discord does, with a fixed key.
var testSigner = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

func testPublicKey() ed25519.PublicKey { return testSigner.Public().(ed25519.PublicKey) }

func sign(at time.Time, body []byte) (signature, timestamp string) {
	timestamp = strconv.FormatInt(at.Unix(), 10)
	return hex.EncodeToString(ed25519.Sign(testSigner, append([]byte(timestamp), body...))), timestamp
}

var sigNow = time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)

func TestVerifySignatureRefusesEveryChangedBit(t *testing.T) {
	body := []byte(`{"type":2,"id":"1","token":"t"}`)
	sig, ts := sign(sigNow, body)
	if err := verifySignature(testPublicKey(), sigNow, sig, ts, body); err != nil {
		t.Fatalf("a good signature was refused: %v", err)
	}
	flips := 0
	for _, part := range []string{"body", "timestamp", "signature"} {
		src := map[string][]byte{"body": body, "timestamp": []byte(ts), "signature": []byte(sig)}[part]
		for i := range len(src) * 8 {
			changed := bytes.Clone(src)
			changed[i/8] ^= 1 << (i % 8)
			b, s, stamp := body, sig, ts
			switch part {
			case "body":
				b = changed
			case "timestamp":
				stamp = string(changed)
			case "signature":
				s = string(changed)
			}
			if err := verifySignature(testPublicKey(), sigNow, s, stamp, b); err == nil {
				t.Fatalf("%s with bit %d flipped was accepted", part, i)
			}
			flips++
		}
	}
	if flips != (len(body)+len(ts)+len(sig))*8 {
		t.Fatalf("tried %d flips", flips)
	}
}

func TestVerifySignatureTimeWindow(t *testing.T) {
	body := []byte(`{"type":1}`)
	cases := []struct {
		signedAt time.Time
		want     error
	}{
		{sigNow, nil},
		{sigNow.Add(-signatureMaxAge), nil},
		{sigNow.Add(signatureMaxAge), nil},
		{sigNow.Add(-signatureMaxAge - time.Second), errStale}, // a replay of a request older than 5 minutes
		{sigNow.Add(-time.Hour), errStale},
		{sigNow.Add(signatureMaxAge + time.Second), errStale},
	}
	for _, c := range cases {
		sig, ts := sign(c.signedAt, body)
		if err := verifySignature(testPublicKey(), sigNow, sig, ts, body); !errors.Is(err, c.want) {
			t.Errorf("signed %v from now: %v, want %v", c.signedAt.Sub(sigNow), err, c.want)
		}
	}
	sig, ts := sign(sigNow, body)
	for name, h := range map[string][2]string{
		"no signature":         {"", ts},
		"no timestamp":         {sig, ""},
		"upper-case signature": {strings.ToUpper(sig), ts},
		"short signature":      {sig[:126], ts},
		"timestamp with sign":  {sig, "+" + ts},
		"timestamp with space": {sig, ts + " "},
	} {
		if err := verifySignature(testPublicKey(), sigNow, h[0], h[1], body); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzInteractionSignature: whatever the body and the age, a signature checks out only
// unchanged and inside the window, and one changed bit in the body, the timestamp or the
// signature is always refused.
func FuzzInteractionSignature(f *testing.F) {
	f.Add([]byte(`{"type":1}`), int64(0), uint(0), uint8(0))
	f.Add([]byte(`{"type":2,"data":{"name":"aftercare"}}`), int64(-301), uint(17), uint8(1))
	f.Add([]byte{}, int64(299), uint(900), uint8(2))
	f.Add([]byte("\x00\xff"), int64(-299), uint(3), uint8(2))
	f.Fuzz(func(t *testing.T, body []byte, ageSeconds int64, bit uint, part uint8) {
		if ageSeconds > 1e9 || ageSeconds < -1e9 {
			return
		}
		sig, ts := sign(sigNow.Add(-time.Duration(ageSeconds)*time.Second), body)
		err := verifySignature(testPublicKey(), sigNow, sig, ts, body)
		inWindow := ageSeconds >= -300 && ageSeconds <= 300
		if inWindow != (err == nil) {
			t.Fatalf("age %ds: err %v", ageSeconds, err)
		}
		b, s, stamp := bytes.Clone(body), []byte(sig), []byte(ts)
		target := [][]byte{b, stamp, s}[part%3]
		if len(target) == 0 {
			return
		}
		target[bit/8%uint(len(target))] ^= 1 << (bit % 8)
		if err := verifySignature(testPublicKey(), sigNow, string(s), string(stamp), b); err == nil {
			t.Fatalf("part %d bit %d flipped: accepted", part%3, bit)
		}
	})
}

// fakeResponder answers every interaction with body (and files).
type fakeResponder struct {
	body  []byte
	files []*discordgo.File
	mu    sync.Mutex
	got   []*discordgo.Interaction
	err   error // what reply returned
}

func (f *fakeResponder) Respond(ctx context.Context, i *discordgo.Interaction, reply func(context.Context, []byte, []*discordgo.File) error) {
	f.mu.Lock()
	f.got = append(f.got, i)
	f.mu.Unlock()
	err := reply(ctx, f.body, f.files)
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

type endpointFixture struct {
	srv      *httptest.Server
	resp     *fakeResponder
	now      time.Time
	withFile []string // interaction ids sent by REST with files
	left     []string
	leftErr  error
	inflight sync.WaitGroup
}

func newEndpointFixture(t *testing.T) *endpointFixture {
	fx := &endpointFixture{resp: &fakeResponder{body: []byte(`{"type":4,"data":{"content":"hi"}}`)}, now: sigNow}
	var mu sync.Mutex
	e := &interactionsEndpoint{key: testPublicKey(), now: func() time.Time { return fx.now }, log: slog.New(slog.DiscardHandler),
		ctx: context.Background(), respond: fx.resp, inflight: &fx.inflight,
		withFiles: func(_ context.Context, i *discordgo.Interaction, _ []byte, _ []*discordgo.File) error {
			mu.Lock()
			defer mu.Unlock()
			fx.withFile = append(fx.withFile, i.ID)
			return nil
		},
		userLeft: func(_ context.Context, id string) error {
			mu.Lock()
			defer mu.Unlock()
			fx.left = append(fx.left, id)
			return fx.leftErr
		},
	}
	fx.srv = httptest.NewServer(e.handler())
	t.Cleanup(fx.srv.Close)
	t.Cleanup(fx.inflight.Wait)
	return fx
}

// post sends body to path signed at signedAt; mutate may spoil the request first.
func (fx *endpointFixture) post(t *testing.T, path string, body []byte, signedAt time.Time, mutate func(h http.Header)) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, fx.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sig, ts := sign(signedAt, body)
	req.Header.Set("X-Signature-Ed25519", sig)
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("Content-Type", "application/json")
	if mutate != nil {
		mutate(req.Header)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, out
}

func TestInteractionsEndpointRefusesWhatDiscordDidNotSign(t *testing.T) {
	fx := newEndpointFixture(t)
	body := []byte(`{"type":2,"id":"5","application_id":"1","token":"tok","data":{"name":"aftercare"}}`)
	cases := map[string]struct {
		at     time.Time
		mutate func(h http.Header)
	}{
		"no signature":  {sigNow, func(h http.Header) { h.Del("X-Signature-Ed25519") }},
		"no timestamp":  {sigNow, func(h http.Header) { h.Del("X-Signature-Timestamp") }},
		"not hex":       {sigNow, func(h http.Header) { h.Set("X-Signature-Ed25519", "zz") }},
		"other key":     {sigNow, func(h http.Header) { h.Set("X-Signature-Ed25519", strings.Repeat("ab", 64)) }},
		"other time":    {sigNow, func(h http.Header) { h.Set("X-Signature-Timestamp", strconv.FormatInt(sigNow.Unix()-1, 10)) }},
		"replayed":      {sigNow.Add(-6 * time.Minute), nil},
		"from a future": {sigNow.Add(6 * time.Minute), nil},
	}
	for name, c := range cases {
		for _, path := range []string{interactionsPath, eventsPath} {
			res, _ := fx.post(t, path, body, c.at, c.mutate)
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s: status %d, want 401", name, path, res.StatusCode)
			}
		}
	}
	if len(fx.resp.got) != 0 || len(fx.left) != 0 {
		t.Fatalf("a refused request reached the bot: %d interactions, %d events", len(fx.resp.got), len(fx.left))
	}
	// The injected clock decides what is stale: the same request is fine an hour earlier.
	fx.now = sigNow.Add(-time.Hour)
	if res, _ := fx.post(t, interactionsPath, body, sigNow.Add(-time.Hour), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("signed on the bot's clock: status %d", res.StatusCode)
	}
}

func TestInteractionsEndpointPingAndAnswers(t *testing.T) {
	fx := newEndpointFixture(t)
	res, out := fx.post(t, interactionsPath, []byte(`{"type":1,"id":"1","application_id":"1","token":"t","version":1}`), sigNow, nil)
	if res.StatusCode != http.StatusOK || string(out) != `{"type":1}` || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("PING: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), out)
	}
	if len(fx.resp.got) != 0 {
		t.Fatal("PING went to the handlers")
	}
	cmd := []byte(`{"type":2,"id":"5","application_id":"1","token":"tok","data":{"name":"aftercare"}}`)
	res, out = fx.post(t, interactionsPath, cmd, sigNow, nil)
	if res.StatusCode != http.StatusOK || !bytes.Equal(out, fx.resp.body) || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("command: %d %q", res.StatusCode, out)
	}
	fx.inflight.Wait()
	if fx.resp.err != nil || len(fx.resp.got) != 1 || fx.resp.got[0].ID != "5" || fx.resp.got[0].Token != "tok" {
		t.Fatalf("responder saw %+v, reply returned %v", fx.resp.got, fx.resp.err)
	}
	// A response with files goes by the callback endpoint, and Discord is told 202.
	fx.resp.files = []*discordgo.File{{Name: "export.json", Reader: strings.NewReader("{}")}}
	res, out = fx.post(t, interactionsPath, []byte(`{"type":3,"id":"6","application_id":"1","token":"tok2","data":{"custom_id":"x","component_type":2}}`), sigNow, nil)
	if res.StatusCode != http.StatusAccepted || len(out) != 0 || len(fx.withFile) != 1 || fx.withFile[0] != "6" {
		t.Fatalf("with files: %d %q, sent by REST %v", res.StatusCode, out, fx.withFile)
	}
	// Not JSON, though signed: 400, and no handler runs.
	if res, _ := fx.post(t, interactionsPath, []byte(`not json`), sigNow, nil); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("garbage: %d", res.StatusCode)
	}
}

func TestInteractionsEndpointRefusesAnOversizedBody(t *testing.T) {
	fx := newEndpointFixture(t)
	big := append([]byte(`{"type":2,"x":"`), bytes.Repeat([]byte("a"), maxRequestBody)...)
	big = append(big, `"}`...)
	if res, _ := fx.post(t, interactionsPath, big, sigNow, nil); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d, want 413", res.StatusCode)
	}
	// Without a Content-Length (chunked), the limit holds while reading.
	req, _ := http.NewRequest(http.MethodPost, fx.srv.URL+interactionsPath, io.MultiReader(bytes.NewReader(big)))
	sig, ts := sign(sigNow, big)
	req.Header.Set("X-Signature-Ed25519", sig)
	req.Header.Set("X-Signature-Timestamp", ts)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || len(fx.resp.got) != 0 {
		t.Fatalf("oversized chunked body: %d, want 413", res.StatusCode)
	}
}

func TestWebhookEvents(t *testing.T) {
	fx := newEndpointFixture(t)
	if res, out := fx.post(t, eventsPath, []byte(`{"version":1,"application_id":"1","type":0}`), sigNow, nil); res.StatusCode != http.StatusNoContent || len(out) != 0 {
		t.Fatalf("event PING: %d %q", res.StatusCode, out)
	}
	other := `{"version":1,"application_id":"1","type":1,"event":{"type":"APPLICATION_AUTHORIZED","timestamp":"2024-10-18T14:42:53.064834","data":{"user":{"id":"42"}}}}`
	if res, _ := fx.post(t, eventsPath, []byte(other), sigNow, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("other event: %d", res.StatusCode)
	}
	left := `{"version":1,"application_id":"1","type":1,"event":{"type":"APPLICATION_DEAUTHORIZED","timestamp":"2024-10-18T14:42:53.064834","data":{"user":{"id":"42","username":"x"}}}}`
	if res, _ := fx.post(t, eventsPath, []byte(left), sigNow, nil); res.StatusCode != http.StatusNoContent || len(fx.left) != 1 || fx.left[0] != "42" {
		t.Fatalf("APPLICATION_DEAUTHORIZED: %d, ended %v", res.StatusCode, fx.left)
	}
	// A failure asks Discord to send it again.
	fx.leftErr = errors.New("database is locked")
	if res, _ := fx.post(t, eventsPath, []byte(left), sigNow, nil); res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("failed APPLICATION_DEAUTHORIZED: %d", res.StatusCode)
	}
	if res, _ := fx.post(t, eventsPath, []byte(`{"type":1,"event":{"type":"APPLICATION_DEAUTHORIZED","data":{"user":{"id":"x"}}}}`), sigNow, nil); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("no user id: %d", res.StatusCode)
	}
}

// dialShortLimits serves h with short limits on loopback and dials it.
func dialShortLimits(t *testing.T, h http.Handler) net.Conn {
	t.Helper()
	limits := serverTimeouts{readHeader: 200 * time.Millisecond, read: 400 * time.Millisecond, write: time.Second, idle: time.Second, maxHeaderBytes: 4 << 10}
	srv := newInteractionsServer(h, limits, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestInteractionsServerCutsSlowClients(t *testing.T) {
	// Headers a byte at a time, slower than the limit allows: the server hangs up.
	conn := dialShortLimits(t, http.NotFoundHandler())
	start := time.Now()
	cut := make(chan time.Duration, 1)
	go func() {
		_, _ = io.Copy(io.Discard, conn) // returns when the server closes the connection
		cut <- time.Since(start)
	}()
	header := "POST /interactions HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 100)
	for i := 0; i < len(header); i++ {
		if _, err := conn.Write([]byte{header[i]}); err != nil {
			break // cut already
		}
		select {
		case d := <-cut:
			if d > 2*time.Second {
				t.Fatalf("slow headers held the connection for %v", d)
			}
			return
		case <-time.After(20 * time.Millisecond): // the slow client's pace
		}
	}
	select {
	case d := <-cut:
		if d > 2*time.Second {
			t.Fatalf("slow headers held the connection for %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a client sending headers slowly was never cut")
	}
}

func TestInteractionsServerCutsASlowBody(t *testing.T) {
	fx := newEndpointFixture(t)
	conn := dialShortLimits(t, fx.srv.Config.Handler)
	sig, ts := sign(sigNow, []byte("{}"))
	start := time.Now()
	_, _ = conn.Write([]byte("POST /interactions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nX-Signature-Ed25519: " + sig + "\r\nX-Signature-Timestamp: " + ts + "\r\n\r\n{"))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Fatalf("a body that never came: status %d", res.StatusCode)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("a body that never came held the connection for %v", d)
	}
	if len(fx.resp.got) != 0 {
		t.Fatal("a partial body reached the handlers")
	}
}

func TestInteractionsConfig(t *testing.T) {
	key := hex.EncodeToString(testPublicKey())
	cfg, err := LoadConfig("", envFrom(map[string]string{"AFTERGLOW_INTERACTIONS_LISTEN": "127.0.0.1:8080",
		"AFTERGLOW_DISCORD_PUBLIC_KEY": key, "AFTERGLOW_DISCORD_GATEWAY": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Interactions.Listen != "127.0.0.1:8080" || cfg.Discord.Gateway || cfg.Discord.PublicKey != key || !DefaultConfig().Discord.Gateway {
		t.Fatalf("got %+v", cfg)
	}
	if k, err := cfg.InteractionsKey(); err != nil || !k.Equal(testPublicKey()) {
		t.Fatalf("key: %v", err)
	}
	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"short key":          {map[string]string{"AFTERGLOW_DISCORD_PUBLIC_KEY": key[:62]}, "discord.public_key"},
		"not hex":            {map[string]string{"AFTERGLOW_DISCORD_PUBLIC_KEY": strings.Repeat("g", 64)}, "discord.public_key"},
		"listen without key": {map[string]string{"AFTERGLOW_INTERACTIONS_LISTEN": ":8080"}, "discord.public_key is empty"},
		"nothing to hear":    {map[string]string{"AFTERGLOW_DISCORD_GATEWAY": "false"}, "interactions.listen is empty"},
	} {
		if _, err := LoadConfig("", envFrom(c.env)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
}
