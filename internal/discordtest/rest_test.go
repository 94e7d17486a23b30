package discordtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

func TestIdentityRoutes(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Token: testToken})
	dg := newSession(t, srv)
	gw, err := dg.GatewayBot()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(gw.URL, "ws://127.0.0.1:") || gw.Shards != 1 {
		t.Fatalf("gateway/bot %+v", gw)
	}
	me, err := dg.User("@me")
	if err != nil || me.ID != DefaultBotUserID || !me.Bot {
		t.Fatalf("users/@me %+v, %v", me, err)
	}
	app, err := dg.Application("@me")
	if err != nil || app.ID != DefaultAppID {
		t.Fatalf("applications/@me %+v, %v", app, err)
	}
	if resp := rawRequest(t, srv, "GET", "/users/@me", ""); resp.Header.Get("X-RateLimit-Bucket") == "" || resp.Header.Get("X-RateLimit-Limit") == "" {
		t.Fatalf("no rate-limit headers: %v", resp.Header)
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("Authorization") != "" {
			t.Fatalf("request %s %s kept its Authorization header", r.Method, r.Path)
		}
	}
}

func TestDMsMessagesAndClosedDMs(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Token: testToken})
	dg := newSession(t, srv)

	ch, err := dg.UserChannelCreate(alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	again, err := dg.UserChannelCreate(alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Type != discordgo.ChannelTypeDM || ch.ID != again.ID || ch.ID != srv.DMChannel(alice.ID) || ch.Recipients[0].ID != alice.ID {
		t.Fatalf("DM channel %+v, again %+v", ch, again)
	}

	sent, err := dg.ChannelMessageSendComplex(ch.ID, &discordgo.MessageSend{
		Content:         "How are you feeling?",
		AllowedMentions: noMentions(),
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Good", CustomID: "ci1:answer:9:good"},
			discordgo.Button{Label: "Need you", CustomID: "ci1:answer:9:need", Style: discordgo.DangerButton},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent.Author == nil || sent.Author.ID != DefaultBotUserID || sent.Timestamp.IsZero() || len(sent.Components) != 1 {
		t.Fatalf("sent message %+v", sent)
	}
	msgs := srv.Messages(alice.ID)
	if len(msgs) != 1 || msgs[0].ID != sent.ID || msgs[0].Content != "How are you feeling?" || srv.MessageCount() != 1 {
		t.Fatalf("stored messages %+v, count %d", msgs, srv.MessageCount())
	}
	if r := srv.DMRecipients(); len(r) != 1 || r[0] != alice.ID {
		t.Fatalf("recipients %v", r)
	}

	// A click on a DM message is a DM interaction by its recipient.
	click := srv.Click(alice, Where{}, &msgs[0], "ci1:answer:9:need")
	if click.Payload["context"] != ContextBotDM || click.Payload["member"] != nil || click.Payload["user"] == nil || click.Payload["channel_id"] != ch.ID {
		t.Fatalf("click on a DM message: %v", click.Payload)
	}

	content := "Thanks for answering."
	edited, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: sent.ID, Channel: ch.ID, Content: &content, Components: &[]discordgo.MessageComponent{}, AllowedMentions: noMentions()})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := srv.Message(sent.ID)
	if edited.EditedTimestamp == nil || stored.Content != content || len(stored.CustomIDs()) != 0 {
		t.Fatalf("edited %+v, stored %+v", edited, stored)
	}

	// An edit changes only the fields it names, and null clears one.
	route := discordgo.EndpointChannelMessage(ch.ID, sent.ID)
	quiet := map[string]any{"parse": []string{}}
	if _, err := dg.RequestWithBucketID(http.MethodPatch, route, map[string]any{"embeds": []map[string]any{{"title": "Later"}}, "allowed_mentions": quiet}, route); err != nil {
		t.Fatal(err)
	}
	if stored, _ = srv.Message(sent.ID); stored.Content != content || len(stored.Embeds) != 1 || stored.Embeds[0].Title != "Later" {
		t.Fatalf("after an edit naming only embeds: %+v", stored.MessageContent)
	}
	if _, err := dg.RequestWithBucketID(http.MethodPatch, route, map[string]any{"content": nil, "allowed_mentions": quiet}, route); err != nil {
		t.Fatal(err)
	}
	if stored, _ = srv.Message(sent.ID); stored.Content != "" || len(stored.Embeds) != 1 {
		t.Fatalf("after an edit setting content to null: %+v", stored.MessageContent)
	}

	// Closed DMs: the channel opens, the message is refused with 50007.
	srv.CloseDMs(bob.ID)
	bobCh, err := dg.UserChannelCreate(bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dg.ChannelMessageSendComplex(bobCh.ID, &discordgo.MessageSend{Content: "hello", AllowedMentions: noMentions()})
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50007 || re.Response.StatusCode != http.StatusForbidden {
		t.Fatalf("closed DMs: %v", err)
	}
	if len(srv.Messages(bob.ID)) != 0 || srv.MessageCount() != 1 || len(srv.Violations()) != 0 {
		t.Fatalf("closed DM stored something: %v, violations %q", srv.Messages(bob.ID), srv.Violations())
	}
}

func TestEnforcedNonceReturnsTheFirstMessage(t *testing.T) {
	t.Parallel()
	clk := NewClock(time.Date(2025, 3, 1, 20, 0, 0, 0, time.UTC))
	srv := New(t, Options{Token: testToken, Now: clk.Now})
	dg := newSession(t, srv)
	ch := srv.DMChannel(alice.ID)
	send := func(nonce string, enforce bool, opts ...discordgo.RequestOption) (string, error) {
		body := map[string]any{"content": "Check-in", "nonce": nonce, "enforce_nonce": enforce, "allowed_mentions": map[string]any{"parse": []string{}}}
		out, err := dg.RequestWithBucketID("POST", discordgo.EndpointChannelMessages(ch), body, discordgo.EndpointChannelMessages(ch), opts...)
		if err != nil {
			return "", err
		}
		var m discordgo.Message
		return m.ID, json.Unmarshal(out, &m)
	}
	must := func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}

	first := must(send("ci-42", true))
	if again := must(send("ci-42", true)); again != first || srv.MessageCount() != 1 {
		t.Fatalf("repeat nonce created %s (first %s), count %d", again, first, srv.MessageCount())
	}
	if plain := must(send("ci-42", false)); plain == first || srv.MessageCount() != 2 {
		t.Fatalf("without enforce_nonce: %s, count %d", plain, srv.MessageCount())
	}
	clk.Advance(nonceWindow + time.Second)
	if later := must(send("ci-42", true)); later == first || srv.MessageCount() != 3 {
		t.Fatalf("nonce past its window: %s, count %d", later, srv.MessageCount())
	}

	// A slow Discord: the client gives up, but the message exists; the retry finds it.
	srv.SetLatency("POST /channels/*/messages", 2*time.Second)
	dg.Client.Timeout = 100 * time.Millisecond
	if _, err := send("ci-43", true); err == nil {
		t.Fatal("expected a client timeout")
	}
	srv.SetLatency("POST /channels/*/messages", 0)
	dg.Client.Timeout = 5 * time.Second
	retried := must(send("ci-43", true))
	msgs := srv.Messages(alice.ID)
	if srv.MessageCount() != 4 || msgs[len(msgs)-1].ID != retried || msgs[len(msgs)-1].Nonce != "ci-43" {
		t.Fatalf("after timeout and retry: count %d, last %+v, retry %s", srv.MessageCount(), msgs[len(msgs)-1], retried)
	}
}

func TestRefusedPayloadsAreRecorded(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Token: testToken})
	srv.ExpectViolations()
	dg := newSession(t, srv)
	ch := srv.DMChannel(alice.ID)

	body := map[string]any{"content": "x", "nonce": strings.Repeat("n", 26), "allowed_mentions": map[string]any{"parse": []string{}}}
	_, err := dg.RequestWithBucketID("POST", discordgo.EndpointChannelMessages(ch), body, "")
	if restCode(err) != 50035 {
		t.Fatalf("26-character nonce: %v", err)
	}
	_, err = dg.ChannelMessageSendComplex(ch, &discordgo.MessageSend{
		Embeds:          []*discordgo.MessageEmbed{{Title: strings.Repeat("t", 257)}},
		AllowedMentions: noMentions(),
	})
	if restCode(err) != 50035 {
		t.Fatalf("long embed title: %v", err)
	}
	_, err = dg.ChannelMessageSendComplex(ch, &discordgo.MessageSend{Content: "no allowed_mentions"})
	if restCode(err) != 50035 {
		t.Fatalf("missing allowed_mentions: %v", err)
	}
	_, err = dg.ChannelMessageSendComplex(ch, &discordgo.MessageSend{AllowedMentions: noMentions()})
	if restCode(err) != 50006 {
		t.Fatalf("empty message: %v", err)
	}
	v := srv.Violations()
	want := []string{"nonce: 26 characters, limit 25", "embeds[0].title: 257 characters, limit 256", "allowed_mentions: missing", "empty message"}
	if len(v) != len(want) {
		t.Fatalf("violations %q", v)
	}
	for i, w := range want {
		if !strings.Contains(v[i], w) || !strings.HasPrefix(v[i], "POST /channels/") {
			t.Errorf("violation %d = %q, want it to mention %q", i, v[i], w)
		}
	}
	if srv.MessageCount() != 0 {
		t.Fatalf("refused payloads created %d messages", srv.MessageCount())
	}
}

func TestGlobalRateLimit(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Token: testToken, GlobalRateLimit: 2})
	for range 2 {
		if resp := rawRequest(t, srv, "GET", "/users/@me", ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("within the limit: %s", resp.Status)
		}
	}
	resp := rawRequest(t, srv, "GET", "/users/@me", "")
	var body struct {
		RetryAfter float64 `json:"retry_after"`
		Global     bool    `json:"global"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	retryAfter, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || !body.Global || body.RetryAfter <= 0 || body.RetryAfter > 1 || retryAfter < 1 {
		t.Fatalf("over the limit: %s %+v Retry-After %q", resp.Status, body, resp.Header.Get("Retry-After"))
	}
	if resp.Header.Get("X-RateLimit-Global") != "true" || resp.Header.Get("X-RateLimit-Scope") != "global" {
		t.Fatalf("429 headers %v", resp.Header)
	}
	// Interaction webhooks are outside the global limit: this one fails for its token, not a 429.
	resp = rawRequest(t, srv, "GET", "/webhooks/"+DefaultAppID+"/no-such-token/messages/@original", "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("webhook under a global limit: %s", resp.Status)
	}
	// discordgo waits out the 429 and retries.
	me, err := newSession(t, srv).User("@me")
	if err != nil || me.ID != DefaultBotUserID {
		t.Fatalf("discordgo after 429: %+v %v", me, err)
	}
	if n := srv.RateLimited(); n < 1 || n > 2 {
		t.Fatalf("rate limited %d times", n)
	}
}

func TestRouteBucketsAreAnnouncedAndEnforced(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Token: testToken})
	path := "/channels/" + srv.DMChannel(alice.ID) + "/messages"
	msg := `{"content":"hi","allowed_mentions":{"parse":[]}}`
	var bucket string
	for i := range messageBucketLimit {
		resp := rawRequest(t, srv, "POST", path, msg)
		after, _ := strconv.ParseFloat(resp.Header.Get("X-RateLimit-Reset-After"), 64)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-RateLimit-Remaining") != strconv.Itoa(messageBucketLimit-1-i) || after <= 0 || after > 1 {
			t.Fatalf("message %d: %s headers %v", i, resp.Status, resp.Header)
		}
		if i > 0 && resp.Header.Get("X-RateLimit-Bucket") != bucket {
			t.Fatalf("bucket changed from %q to %q", bucket, resp.Header.Get("X-RateLimit-Bucket"))
		}
		bucket = resp.Header.Get("X-RateLimit-Bucket")
	}
	resp := rawRequest(t, srv, "POST", path, msg)
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-RateLimit-Scope") != "user" || !strings.Contains(string(data), `"global":false`) {
		t.Fatalf("over the bucket: %s %s %v", resp.Status, data, resp.Header)
	}
	// discordgo honours the headers: seven messages to one channel, no 429.
	dg := newSession(t, srv)
	before := srv.RateLimited()
	bobCh := srv.DMChannel(bob.ID)
	for i := range messageBucketLimit + 2 {
		if _, err := dg.ChannelMessageSendComplex(bobCh, &discordgo.MessageSend{Content: fmt.Sprint(i), AllowedMentions: noMentions()}); err != nil {
			t.Fatal(err)
		}
	}
	if srv.RateLimited() != before || len(srv.Messages(bob.ID)) != messageBucketLimit+2 {
		t.Fatalf("discordgo hit %d 429s, sent %d", srv.RateLimited()-before, len(srv.Messages(bob.ID)))
	}
}

func TestFaultsUnknownRoutesAndAuth(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Token: testToken})
	dg := newSession(t, srv)
	ch := srv.DMChannel(alice.ID)
	send := func() error {
		_, err := dg.ChannelMessageSendComplex(ch, &discordgo.MessageSend{Content: "hi", AllowedMentions: noMentions()})
		return err
	}

	srv.FailNext("POST /channels/*/messages", http.StatusInternalServerError, 1)
	var re *discordgo.RESTError
	if err := send(); !errors.As(err, &re) || re.Response.StatusCode != http.StatusInternalServerError {
		t.Fatalf("injected 500: %v", err)
	}
	if err := send(); err != nil {
		t.Fatalf("after the fault: %v", err)
	}
	srv.FailNext("POST /channels/*/messages", http.StatusBadGateway, 1)
	if err := send(); err != nil { // discordgo retries a 502 itself
		t.Fatalf("after an injected 502: %v", err)
	}
	srv.InjectFault("POST /channels/"+ch+"/messages", 1, Fault{Status: http.StatusTooManyRequests, RetryAfter: 20 * time.Millisecond})
	if err := send(); err != nil {
		t.Fatalf("after an injected 429: %v", err)
	}
	var statuses []int
	for _, r := range srv.RequestsTo("POST /channels/*/messages") {
		statuses = append(statuses, r.Status)
	}
	if fmt.Sprint(statuses) != "[500 200 502 200 429 200]" || srv.RateLimited() != 1 || srv.MessageCount() != 3 {
		t.Fatalf("statuses %v, rate limited %d, messages %d", statuses, srv.RateLimited(), srv.MessageCount())
	}

	resp := rawRequest(t, srv, "GET", "/guilds/1/members", "")
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(data), `"code":0`) {
		t.Fatalf("unknown route: %s %s", resp.Status, data)
	}
	if u := srv.Unexpected(); len(u) != 1 || u[0].Path != "/guilds/1/members" || u[0].Route != "" {
		t.Fatalf("unexpected %+v", u)
	}

	req, _ := http.NewRequest("GET", srv.APIBase()+"/users/@me", nil)
	req.Header.Set("Authorization", "Bot wrong")
	wrong, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	wrong.Body.Close()
	if wrong.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: %s", wrong.Status)
	}
	if len(srv.Violations()) != 0 {
		t.Fatalf("violations %q", srv.Violations())
	}
}

func TestCommandRegistrationAndInvocationChecks(t *testing.T) {
	t.Parallel()
	rec := &recordingTB{TB: t}
	srv := New(rec, Options{Token: testToken})
	dg := newSession(t, srv)
	cmds := []*discordgo.ApplicationCommand{
		{Name: "aftercare", Description: "Aftercare guidance", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "What you need", Autocomplete: true},
		}},
		{Name: "checkin", Description: "Check in on a partner",
			Contexts:         &[]discordgo.InteractionContextType{0, 1},
			IntegrationTypes: &[]discordgo.ApplicationIntegrationType{0},
			Options: []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionSubCommand, Name: "send", Description: "Send a check-in",
				Options: []*discordgo.ApplicationCommandOption{
					{Type: discordgo.ApplicationCommandOptionUser, Name: "partner", Description: "Who", Required: true},
					{Type: discordgo.ApplicationCommandOptionString, Name: "in", Description: "When", Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "now", Value: "now"}}},
				},
			}},
		},
	}
	first, err := dg.ApplicationCommandBulkOverwrite(DefaultAppID, "", cmds)
	if err != nil {
		t.Fatal(err)
	}
	second, err := dg.ApplicationCommandBulkOverwrite(DefaultAppID, "", cmds)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := dg.ApplicationCommands(DefaultAppID, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || first[0].ID == "" || first[0].ID != second[0].ID || first[1].ID != second[1].ID || len(listed) != 2 || srv.CommandOverwrites() != 2 {
		t.Fatalf("registered %+v then %+v, listed %d, overwrites %d", first, second, len(listed), srv.CommandOverwrites())
	}
	if got := srv.Commands(""); got[1].Name != "checkin" || got[1].Options[0].Options[0].Name != "partner" || !got[1].Options[0].Options[0].Required {
		t.Fatalf("stored commands %+v", got)
	}

	ok := srv.SlashCommand(alice, Where{}, "checkin", SubCommand("send", UserOption("partner", bob), StringOption("in", "now")))
	if ok.Payload["data"].(map[string]any)["id"] != first[1].ID || len(rec.errors()) != 0 {
		t.Fatalf("valid invocation: data %v, errors %q", ok.Payload["data"], rec.errors())
	}
	srv.SlashCommand(alice, Where{}, "checkin", SubCommand("send", StringOption("in", "soon")))
	srv.SlashCommand(alice, Where{PrivateChannel: true}, "checkin", SubCommand("send", UserOption("partner", bob)))
	srv.SlashCommand(alice, Where{}, "nosuch")
	srv.Autocomplete(alice, Where{}, "aftercare", StringOption("topic", "dr")) // partial: fine
	msg := &Message{ID: "300", ChannelID: DefaultChannelID, MessageContent: MessageContent{Components: []Component{{Type: 1, Components: []Component{{Type: 2, Style: 1, Label: "A", CustomID: "a"}}}}}}
	srv.Click(alice, Where{}, msg, "b")
	errs := strings.Join(rec.errors(), "\n")
	for _, want := range []string{`value soon is not one of the declared choices`, `missing required option "partner"`, "not offered in context 2", "/nosuch is not registered", `no component with that custom_id`} {
		if !strings.Contains(errs, want) {
			t.Errorf("misuse report lacks %q:\n%s", want, errs)
		}
	}
	if n := len(rec.errors()); n != 5 {
		t.Errorf("%d misuse reports, want 5:\n%s", n, errs)
	}

	// An invalid command is refused and recorded.
	_, err = dg.ApplicationCommandBulkOverwrite(DefaultAppID, DefaultGuildID, []*discordgo.ApplicationCommand{{Name: "Aftercare", Description: "x"}})
	if restCode(err) != 50035 || len(srv.Violations()) != 1 || !strings.Contains(srv.Violations()[0], "[0].name") {
		t.Fatalf("upper-case command name: %v, violations %q", err, srv.Violations())
	}
	srv.ExpectViolations()
}

// recordingTB keeps Errorf reports instead of failing, to test misuse reports.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recordingTB) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}
