package discordtest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

func receive[T any](t *testing.T, ctx context.Context, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		var zero T
		t.Fatalf("timed out waiting for %T", zero)
		return zero
	}
}

// gatewayBot is a real discordgo session connected to the stand-in, with its events.
type gatewayBot struct {
	dg      *discordgo.Session
	readies chan *discordgo.Ready
	events  chan *discordgo.InteractionCreate
}

func openBot(t *testing.T, srv *Server) *gatewayBot {
	t.Helper()
	b := &gatewayBot{
		dg:      newSession(t, srv),
		readies: make(chan *discordgo.Ready, 8),
		events:  make(chan *discordgo.InteractionCreate, 8),
	}
	b.dg.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) { b.readies <- r })
	b.dg.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) { b.events <- i })
	if err := b.dg.Open(); err != nil {
		t.Fatalf("open gateway: %v", err)
	}
	t.Cleanup(func() { _ = b.dg.Close() })
	return b
}

// next receives the next interaction and checks it is the one dispatched.
func (b *gatewayBot) next(t *testing.T, ctx context.Context, want Interaction) *discordgo.InteractionCreate {
	t.Helper()
	ev := receive(t, ctx, b.events)
	if ev.ID != want.ID || ev.Token != want.Token {
		t.Fatalf("received interaction %s, want %s", ev.ID, want.ID)
	}
	return ev
}

func (b *gatewayBot) respond(t *testing.T, ev *discordgo.InteractionCreate, resp *discordgo.InteractionResponse) {
	t.Helper()
	if err := b.dg.InteractionRespond(ev.Interaction, resp); err != nil {
		t.Fatalf("respond: %v", err)
	}
}

func TestGatewayReadyHeartbeatAndSlashCommand(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Token: testToken, HeartbeatInterval: 100 * time.Millisecond})
	ctx := testContext(t)
	bot := openBot(t, srv)

	ready := receive(t, ctx, bot.readies)
	if ready.User == nil || ready.User.ID != DefaultBotUserID || !ready.User.Bot || ready.SessionID == "" {
		t.Fatalf("READY user %+v session %q", ready.User, ready.SessionID)
	}
	if ready.Application == nil || ready.Application.ID != DefaultAppID {
		t.Fatalf("READY application %+v", ready.Application)
	}
	if err := srv.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}

	// The heartbeat loop starts at once; an ACK moves LastHeartbeatAck past its HELLO value.
	bot.dg.RLock()
	helloAck := bot.dg.LastHeartbeatAck
	bot.dg.RUnlock()
	waitUntil(t, ctx, "a heartbeat ACK", func() bool {
		bot.dg.RLock()
		defer bot.dg.RUnlock()
		return bot.dg.LastHeartbeatAck.After(helloAck)
	})

	in := srv.SlashCommand(alice, Where{}, "checkin", SubCommand("send", UserOption("partner", bob), StringOption("in", "15m")))
	before := time.Now()
	if err := srv.Dispatch(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.ResponseTime(in.ID); ok {
		t.Fatal("a response time before any callback")
	}
	ev := bot.next(t, ctx, in)
	time.Sleep(30 * time.Millisecond) // the bot takes its time to answer
	if ev.Type != discordgo.InteractionApplicationCommand || ev.Member == nil || ev.Member.User.ID != alice.ID || ev.User != nil {
		t.Fatalf("guild command: type %v member %+v user %+v", ev.Type, ev.Member, ev.User)
	}
	if ev.GuildID != DefaultGuildID || ev.ChannelID != DefaultChannelID || ev.Context != discordgo.InteractionContextGuild || ev.Version != 1 {
		t.Fatalf("guild command place: guild %q channel %q context %v version %d", ev.GuildID, ev.ChannelID, ev.Context, ev.Version)
	}
	if ev.Member.Permissions != MemberPermissions || ev.AppPermissions != BotPermissions || !ev.Member.JoinedAt.IsZero() {
		t.Fatalf("permissions member %d app %d joined %v", ev.Member.Permissions, ev.AppPermissions, ev.Member.JoinedAt)
	}
	data := ev.ApplicationCommandData()
	sub := data.GetOption("send")
	if data.Name != "checkin" || sub == nil || sub.GetOption("partner").UserValue(nil).ID != bob.ID || sub.GetOption("in").StringValue() != "15m" {
		t.Fatalf("command data %+v", data)
	}
	if data.Resolved == nil || data.Resolved.Users[bob.ID] == nil || data.Resolved.Users[bob.ID].Username != "bob" {
		t.Fatalf("resolved %+v", data.Resolved)
	}

	bot.respond(t, ev, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content:         "Check-in planned.",
			Flags:           discordgo.MessageFlagsEphemeral,
			AllowedMentions: noMentions(),
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.Button{Label: "Cancel", CustomID: "ci1:cancel:7", Style: discordgo.DangerButton},
			}}},
		},
	})
	cb, err := srv.WaitCallback(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Type != CallbackMessage || !cb.Ephemeral() || cb.Content != "Check-in planned." || strings.Join(cb.CustomIDs(), ",") != "ci1:cancel:7" {
		t.Fatalf("callback %+v", cb)
	}
	if took, ok := srv.ResponseTime(in.ID); !ok || took < 30*time.Millisecond || took > time.Since(before) {
		t.Fatalf("response time %v (%v), want between 30 ms and %v", took, ok, time.Since(before))
	}

	// A second answer to the same interaction is refused like Discord does.
	err = bot.dg.InteractionRespond(ev.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
	if code := restCode(err); code != 40060 {
		t.Fatalf("second callback: %v (code %d), want 40060", err, code)
	}
	if v := srv.Violations(); len(v) != 1 || !strings.Contains(v[0], "already acknowledged") {
		t.Fatalf("violations %q", v)
	}
	srv.ExpectViolations()

	// Clicking the reply's button carries the message and its original invoker.
	click := srv.Click(alice, Where{}, cb.Message(), "ci1:cancel:7")
	if err := srv.Dispatch(ctx, click); err != nil {
		t.Fatal(err)
	}
	ev = bot.next(t, ctx, click)
	if ev.Type != discordgo.InteractionMessageComponent || ev.Message == nil || ev.Message.ID != cb.Message().ID {
		t.Fatalf("click: type %v message %+v", ev.Type, ev.Message)
	}
	if ev.Message.Flags&discordgo.MessageFlagsEphemeral == 0 || ev.Message.InteractionMetadata == nil || ev.Message.InteractionMetadata.User.ID != alice.ID {
		t.Fatalf("clicked message flags %d metadata %+v", ev.Message.Flags, ev.Message.InteractionMetadata)
	}
	if ev.Message.Author == nil || ev.Message.Author.ID != DefaultBotUserID || ev.MessageComponentData().CustomID != "ci1:cancel:7" {
		t.Fatalf("clicked message author %+v data %+v", ev.Message.Author, ev.MessageComponentData())
	}
	bot.respond(t, ev, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseUpdateMessage,
		Data: &discordgo.InteractionResponseData{Content: "Cancelled.", Components: []discordgo.MessageComponent{}, AllowedMentions: noMentions()},
	})
	reply, err := srv.WaitReply(ctx, click.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := srv.Message(cb.Message().ID)
	if reply.Content != "Cancelled." || len(reply.CustomIDs()) != 0 || !reply.Ephemeral() || stored.Content != "Cancelled." {
		t.Fatalf("updated reply %+v, stored %+v", reply.MessageContent, stored.MessageContent)
	}
}

func TestInteractionsInDMsWithFilesModalsAndAutocomplete(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Token: testToken})
	ctx := testContext(t)
	bot := openBot(t, srv)

	// In the bot's DM an interaction carries user and no member.
	in := srv.SlashCommand(alice, Where{DM: true}, "privacy")
	if err := srv.Dispatch(ctx, in); err != nil {
		t.Fatal(err)
	}
	ev := bot.next(t, ctx, in)
	if ev.User == nil || ev.User.ID != alice.ID || ev.Member != nil || ev.GuildID != "" {
		t.Fatalf("DM command: user %+v member %+v guild %q", ev.User, ev.Member, ev.GuildID)
	}
	if ev.Context != discordgo.InteractionContextBotDM || ev.ChannelID != srv.DMChannel(alice.ID) {
		t.Fatalf("DM command context %v channel %q", ev.Context, ev.ChannelID)
	}
	// Defer, then fill the reply with an attached file (multipart PATCH).
	bot.respond(t, ev, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
	})
	content := "Your data is attached."
	_, err := bot.dg.InteractionResponseEdit(ev.Interaction, &discordgo.WebhookEdit{
		Content:         &content,
		AllowedMentions: noMentions(),
		Files:           []*discordgo.File{{Name: "export.json", ContentType: "application/json", Reader: strings.NewReader(`{"rows":[]}`)}},
	})
	if err != nil {
		t.Fatalf("edit original: %v", err)
	}
	reply, err := srv.WaitReply(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if reply.Type != CallbackDeferredMessage || reply.Edits != 1 || !reply.Ephemeral() || reply.Content != content {
		t.Fatalf("deferred reply %+v", reply)
	}
	if len(reply.Files) != 1 || reply.Files[0].Name != "export.json" || string(reply.Files[0].Data) != `{"rows":[]}` || len(reply.Attachments) != 1 {
		t.Fatalf("reply files %+v attachments %+v", reply.Files, reply.Attachments)
	}

	// Follow-ups: the first after a deferral fills it; later ones are new messages.
	in = srv.SlashCommand(alice, Where{}, "checkin")
	if err := srv.Dispatch(ctx, in); err != nil {
		t.Fatal(err)
	}
	ev = bot.next(t, ctx, in)
	bot.respond(t, ev, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
	filled, err := bot.dg.FollowupMessageCreate(ev.Interaction, true, &discordgo.WebhookParams{Content: "Filled.", AllowedMentions: noMentions()})
	if err != nil {
		t.Fatal(err)
	}
	more, err := bot.dg.FollowupMessageCreate(ev.Interaction, true, &discordgo.WebhookParams{Content: "More.", Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()})
	if err != nil {
		t.Fatal(err)
	}
	edited := "More, edited."
	if _, err := bot.dg.FollowupMessageEdit(ev.Interaction, more.ID, &discordgo.WebhookEdit{Content: &edited, AllowedMentions: noMentions()}); err != nil {
		t.Fatal(err)
	}
	reply, err = srv.WaitReply(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	followups := srv.Followups(in.ID)
	if reply.Content != "Filled." || reply.Message().ID != filled.ID || reply.Ephemeral() || len(followups) != 1 || followups[0].ID != more.ID || followups[0].Content != edited || !followups[0].Ephemeral() {
		t.Fatalf("follow-ups: reply %+v (message %s, first follow-up %s), follow-ups %+v", reply.MessageContent, reply.Message().ID, filled.ID, followups)
	}

	// A multipart callback keeps its file bytes.
	in = srv.SlashCommand(bob, Where{PrivateChannel: true}, "aftercare")
	if err := srv.Dispatch(ctx, in); err != nil {
		t.Fatal(err)
	}
	ev = bot.next(t, ctx, in)
	if ev.Context != discordgo.InteractionContextPrivateChannel || ev.User == nil || ev.AuthorizingIntegrationOwners[discordgo.ApplicationIntegrationUserInstall] != bob.ID {
		t.Fatalf("private channel command: context %v owners %v", ev.Context, ev.AuthorizingIntegrationOwners)
	}
	bot.respond(t, ev, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content: "Here you go.", AllowedMentions: noMentions(), Flags: discordgo.MessageFlagsEphemeral,
			Files: []*discordgo.File{{Name: "card.txt", Reader: bytes.NewReader([]byte("be gentle"))}},
		},
	})
	cb, err := srv.WaitCallback(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cb.Files) != 1 || cb.Files[0].Field != "files[0]" || string(cb.Files[0].Data) != "be gentle" || cb.Content != "Here you go." {
		t.Fatalf("multipart callback %+v", cb)
	}

	// Autocomplete: the focused option arrives and choices come back.
	in = srv.Autocomplete(alice, Where{}, "aftercare", StringOption("topic", "dri"))
	cb = invokeAndRespond(t, ctx, srv, bot, in, func(ev *discordgo.InteractionCreate) *discordgo.InteractionResponse {
		opt := ev.ApplicationCommandData().Options[0]
		if ev.Type != discordgo.InteractionApplicationCommandAutocomplete || !opt.Focused || opt.StringValue() != "dri" {
			t.Errorf("autocomplete type %v option %+v", ev.Type, opt)
		}
		return &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "Drinks and snacks", Value: "drinks"}}},
		}
	})
	if len(cb.Choices) != 1 || cb.Choices[0].Value != "drinks" {
		t.Fatalf("choices %+v", cb.Choices)
	}

	// A modal, then its submission with the typed text.
	in = srv.SlashCommand(alice, Where{DM: true}, "note")
	cb = invokeAndRespond(t, ctx, srv, bot, in, func(*discordgo.InteractionCreate) *discordgo.InteractionResponse {
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal, Data: &discordgo.InteractionResponseData{
			CustomID: "note1:add", Title: "Add a note",
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.TextInput{CustomID: "text", Label: "Note", Style: discordgo.TextInputParagraph, Required: true, MaxLength: 1000},
			}}},
		}}
	})
	if cb.Modal == nil || cb.Modal.Title != "Add a note" || len(cb.Modal.Inputs()) != 1 {
		t.Fatalf("modal %+v", cb.Modal)
	}
	in = srv.SubmitModal(alice, Where{DM: true}, nil, "note1:add", map[string]string{"text": "water & a blanket"})
	invokeAndRespond(t, ctx, srv, bot, in, func(ev *discordgo.InteractionCreate) *discordgo.InteractionResponse {
		data := ev.ModalSubmitData()
		input := data.Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.TextInput)
		if data.CustomID != "note1:add" || input.CustomID != "text" || input.Value != "water & a blanket" {
			t.Errorf("modal submit %+v input %+v", data, input)
		}
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "Saved.", Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()}}
	})
}

func TestLateUnknownAndExpiredAnswersAreRefused(t *testing.T) {
	t.Parallel()
	clk := NewClock(time.Date(2025, 3, 1, 20, 0, 0, 0, time.UTC))
	srv := New(t, Options{Token: testToken, Now: clk.Now})
	srv.ExpectViolations()
	ctx := testContext(t)
	bot := openBot(t, srv)
	message := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "ok", AllowedMentions: noMentions()}}

	in := srv.SlashCommand(alice, Where{}, "aftercare")
	if err := srv.Dispatch(ctx, in); err != nil {
		t.Fatal(err)
	}
	ev := bot.next(t, ctx, in)
	bot.respond(t, ev, message)

	// An interaction the stand-in never dispatched is unknown.
	forged := *ev.Interaction
	forged.ID = "123456789012345678"
	if err := bot.dg.InteractionRespond(&forged, message); restCode(err) != 10062 {
		t.Fatalf("forged interaction: %v", err)
	}
	// After 15 minutes the token no longer edits the reply.
	clk.Advance(tokenLifetime + time.Second)
	content := "too late"
	if _, err := bot.dg.InteractionResponseEdit(ev.Interaction, &discordgo.WebhookEdit{Content: &content, AllowedMentions: noMentions()}); restCode(err) != 50027 {
		t.Fatalf("edit with an expired token: %v", err)
	}
	if v := srv.Violations(); len(v) != 1 || !strings.Contains(v[0], "unknown interaction") {
		t.Fatalf("violations %q", v)
	}
}

func TestAnswersAfterTheDeadlineAreRefused(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Token: testToken, CallbackDeadline: time.Nanosecond})
	srv.ExpectViolations()
	ctx := testContext(t)
	bot := openBot(t, srv)
	in := srv.SlashCommand(alice, Where{}, "aftercare")
	if err := srv.Dispatch(ctx, in); err != nil {
		t.Fatal(err)
	}
	ev := bot.next(t, ctx, in)
	err := bot.dg.InteractionRespond(ev.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
	if restCode(err) != 10062 {
		t.Fatalf("late answer: %v", err)
	}
	if _, answered := srv.Reply(in.ID); answered {
		t.Fatal("a refused answer was recorded as the reply")
	}
	if v := srv.Violations(); len(v) != 1 || !strings.Contains(v[0], "Discord gives up after") {
		t.Fatalf("violations %q", v)
	}
}

// invokeAndRespond dispatches in, answers it with respond and returns the callback.
func invokeAndRespond(t *testing.T, ctx context.Context, srv *Server, bot *gatewayBot, in Interaction, respond func(*discordgo.InteractionCreate) *discordgo.InteractionResponse) Callback {
	t.Helper()
	if err := srv.Dispatch(ctx, in); err != nil {
		t.Fatal(err)
	}
	ev := bot.next(t, ctx, in)
	bot.respond(t, ev, respond(ev))
	cb, err := srv.WaitCallback(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

func TestGatewayFaultsReconnectAndResume(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Token: testToken, HeartbeatInterval: 100 * time.Millisecond})
	ctx := testContext(t)
	bot := openBot(t, srv)
	first := receive(t, ctx, bot.readies)

	// Dropped sockets: discordgo resumes and gets the dispatch it missed.
	srv.DropConnections()
	in := srv.SlashCommand(alice, Where{}, "aftercare")
	if err := srv.Dispatch(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitResumes(ctx, 1); err != nil {
		t.Fatal(err)
	}
	bot.next(t, ctx, in)

	// Op 7: discordgo closes with 1012 and resumes.
	srv.SendReconnect()
	if err := srv.WaitResumes(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if srv.Identifies() != 1 {
		t.Fatalf("identifies %d after resumes, want 1", srv.Identifies())
	}

	// Op 9 (not resumable): discordgo identifies again and gets a new session.
	srv.InvalidateSession(false)
	second := receive(t, ctx, bot.readies)
	if second.SessionID == first.SessionID || srv.Identifies() != 2 || srv.Resumes() != 2 {
		t.Fatalf("after op 9: session %q (was %q), identifies %d, resumes %d", second.SessionID, first.SessionID, srv.Identifies(), srv.Resumes())
	}
	in = srv.SlashCommand(alice, Where{}, "aftercare")
	if err := srv.Dispatch(ctx, in); err != nil {
		t.Fatal(err)
	}
	bot.next(t, ctx, in)
}

func TestMissingHeartbeatACKsMakeDiscordgoReconnect(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Token: testToken, HeartbeatInterval: 100 * time.Millisecond})
	ctx := testContext(t)
	bot := openBot(t, srv)
	receive(t, ctx, bot.readies)

	// discordgo gives up after five silent intervals. It closes with 1000, which ends the
	// session on Discord's side, so it identifies anew.
	srv.StopHeartbeatACKs(true)
	if err := srv.WaitIdentifies(ctx, 2); err != nil {
		t.Fatal(err)
	}
	srv.StopHeartbeatACKs(false)
	receive(t, ctx, bot.readies)
	in := srv.SlashCommand(alice, Where{}, "aftercare")
	if err := srv.Dispatch(ctx, in); err != nil {
		t.Fatal(err)
	}
	bot.next(t, ctx, in)
}

// waitUntil polls a condition the stand-in cannot signal (discordgo's own state).
func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// restCode is the Discord JSON error code of a discordgo REST error, or 0.
func restCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return 0
}

func TestDispatchEventReachesTheSession(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{Token: testToken})
	ctx := testContext(t)
	bot := openBot(t, srv)
	deleted := make(chan *discordgo.GuildDelete, 4)
	bot.dg.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildDelete) { deleted <- g })
	receive(t, ctx, bot.readies)

	if err := srv.DispatchEvent(ctx, "GUILD_DELETE", map[string]any{"id": "300000000000000001", "unavailable": false}); err != nil {
		t.Fatal(err)
	}
	if err := srv.DispatchEvent(ctx, "GUILD_DELETE", map[string]any{"id": "300000000000000002", "unavailable": true}); err != nil {
		t.Fatal(err)
	}
	removed, outage := receive(t, ctx, deleted), receive(t, ctx, deleted)
	// discordgo runs each handler in its own goroutine, so the two may arrive either way
	// round; the stand-in's order is what the sequence numbers fix, not the handlers'.
	if removed.Guild != nil && removed.ID == "300000000000000002" {
		removed, outage = outage, removed
	}
	if removed.Guild == nil || removed.ID != "300000000000000001" || removed.Unavailable {
		t.Fatalf("first GUILD_DELETE: %+v", removed.Guild)
	}
	if outage.Guild == nil || outage.ID != "300000000000000002" || !outage.Unavailable {
		t.Fatalf("second GUILD_DELETE: %+v", outage.Guild)
	}
	// The session goes on receiving interactions after them.
	i := srv.SlashCommand(alice, Where{}, "ping")
	if err := srv.Dispatch(ctx, i); err != nil {
		t.Fatal(err)
	}
	bot.next(t, ctx, i)

	for _, name := range []string{"", "INTERACTION_CREATE", "READY"} {
		if err := srv.DispatchEvent(ctx, name, map[string]any{}); err == nil {
			t.Errorf("DispatchEvent(%q) should be refused", name)
		}
	}
}
