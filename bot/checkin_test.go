package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

// linkPartners runs the invitation flow over the wire: invite, DM, accept.
func (h *harness) linkPartners(a, b dt.User) {
	h.t.Helper()
	before := len(h.botDMs(b))
	cb := h.reply(h.srv.SlashCommand(a, guild, "partner", dt.SubCommand("invite", dt.UserOption("user", b))))
	if !strings.Contains(cb.Content, "Invitation sent") {
		h.t.Fatalf("invite: %q", cb.Content)
	}
	invite := h.waitDMs(b, before+1)[before]
	accept := ""
	for _, id := range invite.CustomIDs() {
		if strings.HasPrefix(id, "pt1:accept:") {
			accept = id
		}
	}
	up := h.invoke(h.srv.Click(b, dm, &invite, accept))
	if up.Type != dt.CallbackUpdate || !strings.Contains(up.Content, "now partners") {
		h.h().Fatalf("accept: %+v", up)
	}
}

func (h *harness) h() testing.TB { return h.t }

func customIDWith(m dt.MessageContent, prefix string) string {
	for _, id := range m.CustomIDs() {
		if strings.HasPrefix(id, prefix) {
			return id
		}
	}
	return ""
}

func TestCheckInNowAnswerAndRelay(t *testing.T) { eachTransport(t, testCheckInNowAnswerAndRelay) }

func testCheckInNowAnswerAndRelay(t *testing.T, opts ...harnessOption) {
	h := newHarness(t, opts...)
	h.linkPartners(alice, bob)
	aliceDMs := len(h.waitDMs(alice, 1)) // "Bob accepted"
	note := "thinking of you <@everyone> @here"
	cb := h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob), dt.StringOption("note", note))))
	if !cb.Ephemeral() || !strings.Contains(cb.Content, "on its way") {
		t.Fatalf("confirmation: %+v", cb)
	}
	msgs := h.waitDMs(bob, 2)
	ci := msgs[1]
	if !strings.HasPrefix(ci.Nonce, "ag-ci-") || len(ci.Embeds) != 1 || !strings.Contains(ci.Embeds[0].Description, "> "+note) {
		t.Fatalf("check-in DM: nonce %q embeds %+v", ci.Nonce, ci.Embeds)
	}
	if !strings.Contains(ci.Embeds[0].Description, "<@"+alice.ID+">") {
		t.Fatal("the DM must say who sent it")
	}
	talk := customIDWith(ci.MessageContent, "ci1:answer:")
	talk = talk[:strings.LastIndex(talk, ":")] + ":talk"
	up := h.invoke(h.srv.Click(bob, dm, &ci, talk))
	if up.Type != dt.CallbackUpdate || len(up.Embeds) != 2 || !strings.Contains(up.Embeds[1].Description, "emergency") {
		t.Fatalf("answer update: %+v", up)
	}
	relay := h.waitDMs(alice, aliceDMs+1)[aliceDMs]
	if !strings.Contains(relay.Content, "🧡 can we talk?") || !strings.Contains(relay.Content, "<@"+bob.ID+">") {
		t.Fatalf("relay: %q", relay.Content)
	}
	// Words through the modal reach Alice quoted.
	modal := h.invoke(h.srv.Click(bob, dm, &ci, customIDWith(ci.MessageContent, "ci1:words:")))
	if modal.Type != dt.CallbackModal {
		t.Fatalf("words: type %d", modal.Type)
	}
	sub := h.invoke(h.srv.SubmitModal(bob, dm, &ci, modal.Modal.CustomID, map[string]string{"words": "a call tonight? <@&1>"}))
	if sub.Type != dt.CallbackUpdate {
		t.Fatalf("words submit: %+v", sub)
	}
	words := h.waitDMs(alice, aliceDMs+2)[aliceDMs+1]
	if !strings.Contains(words.Content, "> a call tonight? <@&1>") {
		t.Fatalf("words relay: %q", words.Content)
	}
}

func TestScheduledCheckInWaitsForItsTimeAndSurvivesRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, bob)
	h.reply(h.srv.SlashCommand(alice, dm, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob), dt.StringOption("in", "2h"), dt.BooleanOption("followups", true))))
	// Nothing goes out before its time, across a restart.
	h.stop()
	h.start(h.bot.cfg)
	if n := len(h.botDMs(bob)); n != 1 {
		t.Fatalf("bob got %d DMs before the due time", n)
	}
	h.clock.Advance(2*time.Hour + time.Second)
	h.bot.delivery.Wake()
	msgs := h.waitDMs(bob, 2)
	if strings.Contains(msgs[1].Embeds[0].Description, "late") {
		t.Fatal("an on-time check-in must not apologise")
	}
	// Follow-ups come a day and three days later.
	h.clock.Advance(24 * time.Hour)
	h.bot.delivery.Wake()
	h.waitDMs(bob, 3)
	h.clock.Advance(48 * time.Hour)
	h.bot.delivery.Wake()
	h.waitDMs(bob, 4)
	if n := len(h.botDMs(bob)); n != 4 {
		t.Fatalf("bob got %d DMs, want invitation + 3 check-ins", n)
	}
}

func TestLateAndTooLateCheckIns(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, bob)
	h.linkPartners(alice, carol)
	h.stop() // the bot is down while check-ins fall due
	now := h.clock.Now()
	ctx := context.Background()
	store, err := storage.Open(ctx, h.dbPath, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []storage.CheckIn{{SenderID: alice.ID, RecipientID: bob.ID, DueAt: now.Add(-5 * time.Hour)}, {SenderID: alice.ID, RecipientID: carol.ID, DueAt: now.Add(-4 * 24 * time.Hour)}} {
		if _, err := store.ScheduleCheckIns(ctx, []storage.CheckIn{c}, c.DueAt, 10); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	aliceDMs := len(h.botDMs(alice))
	h.start(h.bot.cfg)
	late := h.waitDMs(bob, 2)[1]
	if !strings.Contains(strings.ToLower(late.Embeds[0].Description), "late") {
		t.Fatalf("a late check-in says sorry: %q", late.Embeds[0].Description)
	}
	told := h.waitDMs(alice, aliceDMs+1)[aliceDMs]
	if !strings.Contains(told.Content, "<@"+carol.ID+">") || !strings.Contains(told.Content, "3 days") {
		t.Fatalf("sender told of the dropped check-in: %q", told.Content)
	}
	if n := len(h.botDMs(carol)); n != 1 {
		t.Fatalf("carol got %d DMs; the too-late check-in must not be sent", n)
	}
}

func TestClosedDMsTellTheSenderAndShowInList(t *testing.T) {
	eachTransport(t, testClosedDMsTellTheSenderAndShowInList)
}

func testClosedDMsTellTheSenderAndShowInList(t *testing.T, opts ...harnessOption) {
	h := newHarness(t, opts...)
	h.linkPartners(alice, bob)
	aliceDMs := len(h.waitDMs(alice, 1))
	h.srv.CloseDMs(bob.ID)
	h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob))))
	told := h.waitDMs(alice, aliceDMs+1)[aliceDMs]
	if !strings.Contains(told.Content, "<@"+bob.ID+">") || !strings.Contains(told.Content, "DM") {
		t.Fatalf("sender notice: %q", told.Content)
	}
	list := h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("list")))
	if !strings.Contains(list.Embeds[0].Description, "not delivered") {
		t.Fatalf("list: %q", list.Embeds[0].Description)
	}
}

func TestServerErrorsAndRateLimitsAreRetriedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, bob)
	h.srv.FailNext("POST /channels/*/messages", 503, 3)
	h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob))))
	h.waitDMs(bob, 2)
	h.srv.InjectFault("POST /channels/*/messages", 2, dt.Fault{Status: 429, RetryAfter: 20 * time.Millisecond, Global: true})
	h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob))))
	h.waitDMs(bob, 3)
	// Give any stray duplicate a moment to show up.
	h.reply(h.srv.SlashCommand(alice, guild, "aftercare"))
	if n := len(h.botDMs(bob)); n != 3 {
		t.Fatalf("bob has %d DMs, want exactly 3 (invite + 2 check-ins)", n)
	}
	pending, _ := h.store.PendingFrom(context.Background(), alice.ID)
	if len(pending) != 0 {
		t.Fatalf("%d check-ins still pending", len(pending))
	}
}

func TestRemovedPartnerIsNeverDMed(t *testing.T) { eachTransport(t, testRemovedPartnerIsNeverDMed) }

func testRemovedPartnerIsNeverDMed(t *testing.T, opts ...harnessOption) {
	h := newHarness(t, opts...)
	h.linkPartners(alice, bob)
	h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob), dt.StringOption("in", "1h"))))
	h.reply(h.srv.SlashCommand(bob, dm, "partner", dt.SubCommand("remove", dt.UserOption("user", alice))))
	h.clock.Advance(2 * time.Hour)
	h.bot.delivery.Wake()
	h.reply(h.srv.SlashCommand(alice, guild, "aftercare"))
	if n := len(h.botDMs(bob)); n != 1 {
		t.Fatalf("bob got %d DMs after leaving; only the invitation is allowed", n)
	}
}

func TestQuietHoursHoldACheckInUntilTheyEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, bob)
	// Bob's quiet hours cover the next hour of the harness clock, in his own time zone.
	berlin, _ := time.LoadLocation("Europe/Berlin")
	local := h.clock.Now().In(berlin)
	from, to := local.Add(-time.Hour), local.Add(time.Hour)
	quiet := fmt.Sprintf("%02d:%02d-%02d:%02d", from.Hour(), from.Minute(), to.Hour(), to.Minute())
	set := h.reply(h.srv.SlashCommand(bob, dm, "settings", dt.StringOption("timezone", "Europe/Berlin"), dt.StringOption("quiet_hours", quiet)))
	if !strings.Contains(set.Content, "Saved") {
		t.Fatalf("settings: %+v", set)
	}
	h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob))))
	h.waitIdle()
	if n := len(h.botDMs(bob)); n != 1 {
		t.Fatalf("bob got %d DMs during quiet hours; only the invitation is allowed", n)
	}
	h.clock.Advance(61 * time.Minute)
	h.bot.delivery.Wake()
	msgs := h.waitDMs(bob, 2)
	if strings.Contains(strings.ToLower(msgs[1].Embeds[0].Description), "late") {
		t.Fatal("waiting out quiet hours is not lateness")
	}
}

func TestSelfCheckIn(t *testing.T) { eachTransport(t, testSelfCheckIn) }

func testSelfCheckIn(t *testing.T, opts ...harnessOption) {
	h := newHarness(t, opts...)
	cb := h.reply(h.srv.SlashCommand(alice, dm, "checkin", dt.SubCommand("send", dt.UserOption("partner", alice), dt.StringOption("in", "30m"))))
	if !strings.Contains(cb.Content, "yourself") {
		t.Fatalf("confirmation: %q", cb.Content)
	}
	h.clock.Advance(31 * time.Minute)
	h.bot.delivery.Wake()
	msg := h.waitDMs(alice, 1)[0]
	if !strings.Contains(msg.Embeds[0].Description, "for yourself") || customIDWith(msg.MessageContent, "ci1:stop:") != "" {
		t.Fatalf("self check-in DM: %+v", msg.MessageContent)
	}
	good := customIDWith(msg.MessageContent, "ci1:answer:")
	up := h.invoke(h.srv.Click(alice, dm, &msg, good))
	if up.Type != dt.CallbackUpdate || !strings.Contains(up.Embeds[1].Description, "checking in with yourself") {
		t.Fatalf("self answer: %+v", up.MessageContent)
	}
	if n := len(h.botDMs(alice)); n != 1 {
		t.Fatalf("a self check-in relays nothing; alice has %d DMs", n)
	}
}
