package bot

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/commands"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

type captureRT struct{ got *http.Request }

func (c *captureRT) RoundTrip(r *http.Request) (*http.Response, error) {
	c.got = r
	return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
}

func TestRewriteTransport(t *testing.T) {
	rt := &captureRT{}
	tr, err := newRewriteTransport("http://127.0.0.1:9999/api/v10/", rt)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", "https://discord.com/api/v9/interactions/1/tok/callback?x=1", nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if got := rt.got.URL.String(); got != "http://127.0.0.1:9999/api/v10/interactions/1/tok/callback?x=1" {
		t.Fatalf("rewritten to %s", got)
	}
	other, _ := http.NewRequest("GET", "https://cdn.discordapp.com/x.png", nil)
	tr.RoundTrip(other)
	if rt.got.URL.Host != "cdn.discordapp.com" {
		t.Fatalf("non-API request moved to %s", rt.got.URL)
	}
}

// waitForLog polls the log until it holds s: the line comes from a bot goroutine with no
// event a test could wait on.
func waitForLog(t *testing.T, l *dt.LockedBuffer, s string) {
	t.Helper()
	if !dt.Eventually(10*time.Second, func() bool { return strings.Contains(l.String(), s) }) {
		t.Fatalf("the log never said %q; it holds:\n%s", s, l.String())
	}
}

// A callback, a follow-up and the fill of a deferred reply whose connection is reset are
// logged (at every level, down to debug) saying what failed, but never with the
// interaction's token, which would let a reader of the log answer as the bot.
func TestTransportFailuresKeepTokensOutOfTheLog(t *testing.T) {
	t.Parallel()
	var log dt.LockedBuffer
	h := newHarness(t, withDebugLog, withLog(&log))
	standIn(h.bot, func(ctx context.Context, req commands.Request, next commands.Handler) commands.Result {
		if req.Kind == commands.KindComponent || req.Command == "plan" {
			// Slow on purpose: answer only once the deferral has reached Discord.
			h.outlastDeferral(ctx, req)
			return commands.Result{Response: commands.Response{Type: commands.Reply, Ephemeral: true, Content: "Here it is."}}
		}
		return next(ctx, req)
	})
	shown := h.reply(h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "massage")))
	var tokens []string

	// The callback itself. (Should the handler be slow, the deferral is what fails: the
	// same request.)
	h.srv.ResetNext("POST /interactions/*/*/callback", 1)
	cmd := h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "chill"))
	if err := h.srv.Dispatch(h.ctx, cmd); err != nil {
		t.Fatal(err)
	}
	tokens = append(tokens, cmd.Token)
	waitForLog(t, &log, "/interactions/"+cmd.ID+"/REDACTED/callback")

	// A private reply to a slow click: a follow-up.
	h.srv.ResetNext("POST /webhooks/*/*", 1)
	click := h.srv.Click(alice, guild, shown.Message(), "ac1:home")
	if err := h.srv.Dispatch(h.ctx, click); err != nil {
		t.Fatal(err)
	}
	tokens = append(tokens, click.Token)
	waitForLog(t, &log, "send follow-up")
	waitForLog(t, &log, "/webhooks/"+h.srv.AppID()+"/REDACTED?wait=true")

	// A slow command: the edit that fills its deferred reply.
	h.srv.ResetNext("PATCH /webhooks/*/*/messages/*", 1)
	slow := h.srv.SlashCommand(alice, guild, "plan", dt.SubCommand("show"))
	if err := h.srv.Dispatch(h.ctx, slow); err != nil {
		t.Fatal(err)
	}
	tokens = append(tokens, slow.Token)
	waitForLog(t, &log, "fill deferred interaction")
	waitForLog(t, &log, "/webhooks/"+h.srv.AppID()+"/REDACTED/messages/@original")

	h.stop()
	got := log.String()
	for _, tok := range append(tokens, testToken) {
		if tok == "" {
			t.Fatal("an interaction without a token: the check would prove nothing")
		}
		if strings.Contains(got, tok) {
			t.Errorf("the log holds a token %q:\n%s", tok, got)
		}
	}
	if n := strings.Count(got, "connection reset"); n < 3 {
		t.Errorf("the log says %d time(s) that a connection was reset, want 3:\n%s", n, got)
	}
}

func TestWithoutTokenRedactsEveryRouteThatHoldsOne(t *testing.T) {
	const api = "https://discord.com/api/v9"
	for in, want := range map[string]string{
		api + "/interactions/1/tok.en-_/callback":      api + "/interactions/1/REDACTED/callback",
		api + "/webhooks/2/tok/messages/@original":     api + "/webhooks/2/REDACTED/messages/@original",
		api + "/webhooks/2/tok?wait=true":              api + "/webhooks/2/REDACTED?wait=true",
		api + "/webhooks/2/tok/messages/3?thread_id=4": api + "/webhooks/2/REDACTED/messages/3?thread_id=4",
		api + "/channels/5/messages":                   api + "/channels/5/messages", // no token: unchanged
		api + "/applications/2/commands":               api + "/applications/2/commands",
	} {
		err := fmt.Errorf("interaction callback: %w", withoutToken(&url.Error{Op: "Post", URL: in, Err: io.ErrUnexpectedEOF}))
		if got := err.Error(); got != `interaction callback: Post "`+want+`": unexpected EOF` {
			t.Errorf("%s: %s", in, got)
		}
	}
	if err := withoutToken(nil); err != nil {
		t.Errorf("withoutToken(nil) = %v", err)
	}
}
