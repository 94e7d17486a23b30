package bot

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/commands"
	"github.com/afterglow-bot/afterglow/content"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

func TestRegistersCommandsForEveryContextOnceByHash(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cmds := h.srv.Commands("")
	names := map[string]dt.Command{}
	for _, c := range cmds {
		names[c.Name] = c
	}
	for _, want := range []string{"aftercare", "partner", "checkin", "plan", "settings", "privacy", "server-setup", "about"} {
		if _, ok := names[want]; !ok {
			t.Errorf("command %s not registered", want)
		}
	}
	ac := names["aftercare"]
	if len(ac.Contexts) != 3 || len(ac.IntegrationTypes) != 2 || !strings.Contains(string(ac.Raw), `"nsfw":true`) {
		t.Fatalf("aftercare registration: %s", ac.Raw)
	}
	if setup := names["server-setup"]; setup.DefaultMemberPermissions != "32" {
		t.Fatalf("server-setup defaults to Manage Server, got %q", setup.DefaultMemberPermissions)
	}
	if h.srv.CommandOverwrites() != 1 {
		t.Fatalf("overwrites: %d", h.srv.CommandOverwrites())
	}
	// A restart with the same definitions does not register again.
	h.stop()
	cfg := h.bot.cfg
	h.start(cfg)
	if h.srv.CommandOverwrites() != 1 {
		t.Fatalf("re-registered unchanged commands: %d overwrites", h.srv.CommandOverwrites())
	}
}

// A bot stopped while Discord has not yet answered its command registration has nothing
// to report as an error: the next start registers again, since it never learnt that the
// first attempt worked.
func TestShutdownDuringRegistrationIsNotAnError(t *testing.T) {
	t.Parallel()
	var logs dt.LockedBuffer
	h := newHarness(t, withLatency("PUT /applications/*/commands", 2*time.Second), withLog(&logs))
	h.stop() // the stand-in holds the commands; its answer is still 2 s away
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("a shutdown logged an error:\n%s", logs.String())
	}
	h.srv.SetLatency("PUT /applications/*/commands", 0)
	h.start(h.bot.cfg)
	// The stand-in already lists the commands, so start does not wait for this overwrite.
	if !dt.Eventually(5*time.Second, func() bool { return h.srv.CommandOverwrites() >= 2 }) {
		t.Fatal("the restart never registered the commands again")
	}
}

func TestGuildRegistration(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withGuild(dt.DefaultGuildID))
	if len(h.srv.Commands(dt.DefaultGuildID)) == 0 || len(h.srv.Commands("")) != 0 {
		t.Fatal("commands should be registered in the configured guild only")
	}
}

func TestAftercareEveryTopicInServerAndDM(t *testing.T) {
	eachTransport(t, testAftercareEveryTopicInServerAndDM)
}

func testAftercareEveryTopicInServerAndDM(t *testing.T, opts ...harnessOption) {
	h := newHarness(t, opts...)
	lib := content.MustLoad()
	for _, topic := range lib.Topics() {
		for _, where := range []dt.Where{guild, dm} {
			cb := h.invoke(h.srv.SlashCommand(alice, where, "aftercare", dt.StringOption("topic", topic.ID)))
			if cb.Type != dt.CallbackMessage || !cb.Ephemeral() {
				t.Fatalf("%s: type %d ephemeral %v", topic.ID, cb.Type, cb.Ephemeral())
			}
			if len(cb.Embeds) != 1 || cb.Embeds[0].Title != topic.Title {
				t.Fatalf("%s: embeds %+v", topic.ID, cb.Embeds)
			}
			var data struct {
				AllowedMentions struct {
					Parse []string `json:"parse"`
				} `json:"allowed_mentions"`
			}
			if err := json.Unmarshal(cb.Raw, &struct {
				Data any `json:"data"`
			}{&data}); err != nil || data.AllowedMentions.Parse == nil || len(data.AllowedMentions.Parse) != 0 {
				t.Fatalf("allowed_mentions must be an empty list: %s", cb.Raw)
			}
		}
	}
}

func TestAftercareNavigationAndShare(t *testing.T) { eachTransport(t, testAftercareNavigationAndShare) }

func testAftercareNavigationAndShare(t *testing.T, opts ...harnessOption) {
	h := newHarness(t, opts...)
	cb := h.invoke(h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "drop"), dt.BooleanOption("share", true)))
	if cb.Ephemeral() {
		t.Fatal("share:true must be public")
	}
	shared := cb.Message()
	// Someone else's menu choice is answered privately; the public message stays.
	other := h.invoke(h.srv.Select(bob, guild, shared, "ac1:topic", "pcd"))
	if other.Type != dt.CallbackMessage || !other.Ephemeral() || other.Embeds[0].Title == cb.Embeds[0].Title {
		t.Fatalf("other person's select: type %d ephemeral %v", other.Type, other.Ephemeral())
	}
	// The sharer's own choice updates the shared message.
	own := h.invoke(h.srv.Select(alice, guild, shared, "ac1:topic", "pcd"))
	if own.Type != dt.CallbackUpdate {
		t.Fatalf("sharer's select: type %d", own.Type)
	}
	// Back to the overview on a private reply.
	priv := h.invoke(h.srv.SlashCommand(alice, dm, "aftercare", dt.StringOption("topic", "massage")))
	home := h.invoke(h.srv.Click(alice, dm, priv.Message(), "ac1:home"))
	overview, _ := content.MustLoad().Topic("overview")
	if home.Type != dt.CallbackUpdate || home.Embeds[0].Title != overview.Title {
		t.Fatalf("home: %+v", home)
	}
}

func TestAutocompleteOverTheWire(t *testing.T) { eachTransport(t, testAutocompleteOverTheWire) }

func testAutocompleteOverTheWire(t *testing.T, opts ...harnessOption) {
	h := newHarness(t, opts...)
	cb := h.invoke(h.srv.Autocomplete(alice, guild, "aftercare", dt.Focused(dt.StringOption("topic", "sub dr"))))
	if cb.Type != dt.CallbackAutocomplete || len(cb.Choices) == 0 || cb.Choices[0].Value != "drop" {
		t.Fatalf("choices: %+v", cb.Choices)
	}
}

func TestUnknownTopicAndStaleButtons(t *testing.T) { eachTransport(t, testUnknownTopicAndStaleButtons) }

func testUnknownTopicAndStaleButtons(t *testing.T, opts ...harnessOption) {
	h := newHarness(t, opts...)
	cb := h.invoke(h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "zzz")))
	if !cb.Ephemeral() || !strings.Contains(cb.Content, "don't have that topic") {
		t.Fatalf("unknown topic: %+v", cb)
	}
	// A button from an older version of the bot.
	old := cb.Message()
	old.Components = []dt.Component{{Type: 1, Components: []dt.Component{{Type: 2, Style: 1, Label: "old", CustomID: "v0:gone:1"}}}}
	stale := h.invoke(h.srv.Click(alice, guild, old, "v0:gone:1"))
	if !stale.Ephemeral() || !strings.Contains(stale.Content, "no longer available") {
		t.Fatalf("stale button: %+v", stale)
	}
}

// standIn puts f in the router's chain in front of the handlers (inside recover, log and
// metrics), for a test to stand in for them; next runs the real handler. Call it before
// the bot's first interaction.
func standIn(b *Bot, f func(ctx context.Context, req commands.Request, next commands.Handler) commands.Result) {
	b.router.Use(func(next commands.Handler) commands.Handler {
		return func(ctx context.Context, req commands.Request) commands.Result { return f(ctx, req, next) }
	})
}

func TestDispatcherRecoversPanicsAndAnswers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var panicked atomic.Bool
	standIn(h.bot, func(ctx context.Context, req commands.Request, next commands.Handler) commands.Result {
		if !panicked.Swap(true) {
			panic("boom")
		}
		return next(ctx, req)
	})
	cb := h.invoke(h.srv.SlashCommand(alice, guild, "aftercare"))
	if !cb.Ephemeral() || !strings.Contains(cb.Content, "something went wrong") {
		t.Fatalf("panic answer: %+v", cb)
	}
	// The bot is still alive.
	if cb := h.invoke(h.srv.SlashCommand(alice, guild, "aftercare")); len(cb.Embeds) != 1 {
		t.Fatal("bot died after a panic")
	}
}

func TestSlowHandlerIsDeferredThenFilled(t *testing.T) {
	eachTransport(t, testSlowHandlerIsDeferredThenFilled)
}

func testSlowHandlerIsDeferredThenFilled(t *testing.T, opts ...harnessOption) {
	h := newHarness(t, opts...)
	var calls atomic.Int32
	standIn(h.bot, func(ctx context.Context, req commands.Request, next commands.Handler) commands.Result {
		calls.Add(1)
		h.outlastDeferral(ctx, req) // stands for slow work
		return next(ctx, req)
	})
	i := h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "chill"))
	cb := h.reply(i)
	first, _ := h.srv.WaitCallback(h.ctx, i.ID)
	if first.Type != dt.CallbackDeferredMessage || !first.Ephemeral() {
		t.Fatalf("first answer should be a private deferral, got type %d", first.Type)
	}
	if cb.Edits != 1 || len(cb.Embeds) != 1 || !strings.Contains(cb.Embeds[0].Title, "Chill") {
		t.Fatalf("filled reply: edits %d embeds %+v", cb.Edits, cb.Embeds)
	}
	// A slow click is deferred as an update.
	priv := h.reply(h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "massage")))
	click := h.srv.Click(alice, guild, priv.Message(), "ac1:home")
	h.reply(click)
	first, _ = h.srv.WaitCallback(h.ctx, click.ID)
	if first.Type != dt.CallbackDeferredUpdate {
		t.Fatalf("slow click: type %d", first.Type)
	}
}

// A handler that finishes right after its deferral went out as the HTTP response still has
// its answer filled in: Discord may take a moment to take in the deferral, and a fill that
// comes first finds no message to edit.
func TestAnswerRightAfterAnHTTPDeferralIsFilled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withHTTPInteractions, withAnswerLag(300*time.Millisecond))
	standIn(h.bot, func(ctx context.Context, req commands.Request, next commands.Handler) commands.Result {
		h.clock.Advance(h.bot.deferAfter)
		if err := h.srv.WaitAnswerRead(ctx, req.InteractionID); err != nil {
			t.Errorf("no deferral: %v", err)
		}
		return next(ctx, req) // before Discord took in the deferral
	})
	i := h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "chill"))
	if err := h.srv.Dispatch(h.ctx, i); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	cb, err := h.srv.WaitReply(ctx, i.ID)
	if err != nil {
		t.Fatalf("the deferred reply was never filled: %v", err)
	}
	first, _ := h.srv.WaitCallback(h.ctx, i.ID)
	if first.Type != dt.CallbackDeferredMessage || cb.Edits != 1 || len(cb.Embeds) != 1 || !strings.Contains(cb.Embeds[0].Title, "Chill") {
		t.Fatalf("first answer type %d; filled reply: edits %d embeds %+v", first.Type, cb.Edits, cb.Embeds)
	}
}

// outlastDeferral is a handler's slow work: it moves the clock past the bot's deferral
// and returns once the deferral has reached Discord. The deferral waits on the bot's
// clock, so it comes well within the real time it would take on the wall clock.
func (h *harness) outlastDeferral(ctx context.Context, req commands.Request) {
	h.clock.Advance(h.bot.deferAfter)
	ctx, cancel := context.WithTimeout(ctx, h.bot.deferAfter/2)
	defer cancel()
	if _, err := h.srv.WaitCallback(ctx, req.InteractionID); err != nil {
		h.t.Errorf("no deferral: %v", err)
	}
}

// A slow click answered with a private reply gets a follow-up (with its file), and the
// clicked message stays as it was.
func TestSlowClickWithAPrivateReplyGetsAFollowUp(t *testing.T) {
	eachTransport(t, testSlowClickWithAPrivateReplyGetsAFollowUp)
}

func testSlowClickWithAPrivateReplyGetsAFollowUp(t *testing.T, opts ...harnessOption) {
	h := newHarness(t, opts...)
	standIn(h.bot, func(ctx context.Context, req commands.Request, next commands.Handler) commands.Result {
		h.outlastDeferral(ctx, req)
		if req.Kind != commands.KindComponent {
			return next(ctx, req)
		}
		return commands.Result{Response: commands.Response{Type: commands.Reply, Ephemeral: true, Content: "Here it is.",
			Files: []commands.File{{Name: "notes.json", ContentType: "application/json", Data: []byte(`{"a":1}`)}}}}
	})
	shown := h.reply(h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "massage")))
	click := h.srv.Click(alice, guild, shown.Message(), "ac1:home")
	after := h.reply(click)
	if first, _ := h.srv.WaitCallback(h.ctx, click.ID); first.Type != dt.CallbackDeferredUpdate {
		t.Fatalf("slow click: type %d", first.Type)
	}
	if after.Text() != shown.Text() {
		t.Fatalf("the clicked message changed: %q", after.Text())
	}
	fs := h.srv.Followups(click.ID)
	if len(fs) != 1 || fs[0].Content != "Here it is." || !fs[0].Ephemeral() || len(fs[0].Files) != 1 || string(fs[0].Files[0].Data) != `{"a":1}` {
		t.Fatalf("follow-ups: %+v", fs)
	}
}

func TestUnhandledInteractionTypeGetsAnAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	i := h.srv.SlashCommand(alice, guild, "aftercare")
	i.Payload["type"] = 42
	cb := h.invoke(i)
	if !cb.Ephemeral() || !strings.Contains(cb.Content, "can't handle") {
		t.Fatalf("unknown type: %+v", cb)
	}
}

func TestShutdownIsPrompt(t *testing.T) {
	h := newHarness(t)
	start := time.Now()
	h.stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
}
