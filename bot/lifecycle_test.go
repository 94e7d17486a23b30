package bot

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/content"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

// checkInID reads the check-in id from a check-in DM's answer buttons.
func checkInID(t testing.TB, m dt.MessageContent) int64 {
	t.Helper()
	parts := strings.Split(customIDWith(m, "ci1:answer:"), ":")
	if len(parts) != 4 {
		t.Fatalf("not a check-in DM: %q", m.CustomIDs())
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// onCheckInDM runs act once, inside the POST of the first check-in DM to user: Discord has
// stored it and the recipient sees it, but the bot does not have its response yet. The
// returned wait blocks until act has run; act reports failures with Errorf, not Fatal, as
// it runs on the stand-in's goroutine.
func (h *harness) onCheckInDM(user dt.User, act func(m dt.Message)) (wait func()) {
	var once sync.Once
	done := make(chan struct{})
	channel := h.srv.DMChannel(user.ID)
	h.srv.OnMessageCreate(func(m dt.Message) {
		if m.ChannelID == channel && customIDWith(m.MessageContent, "ci1:answer:") != "" {
			once.Do(func() {
				defer close(done)
				act(m)
			})
		}
	})
	return func() {
		h.t.Helper()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			h.t.Fatal("no check-in DM was posted")
		}
	}
}

// tryInvoke is invoke for a hook's goroutine: a failure is reported, not fatal.
func (h *harness) tryInvoke(i dt.Interaction) dt.Callback {
	cb, err := h.srv.Invoke(h.ctx, i)
	if err != nil {
		h.t.Errorf("invoke: %v", err)
	}
	return cb
}

// tryReply is reply for a hook's goroutine: a failure is reported, not fatal.
func (h *harness) tryReply(i dt.Interaction) dt.Callback {
	if err := h.srv.Dispatch(h.ctx, i); err != nil {
		h.t.Errorf("dispatch: %v", err)
		return dt.Callback{}
	}
	cb, err := h.srv.WaitReply(h.ctx, i.ID)
	if err != nil {
		h.t.Errorf("reply: %v", err)
	}
	return cb
}

// A recipient who answers the moment the DM appears, before the bot has recorded it sent,
// has their answer recorded and relayed, and the DM is updated in place.
func TestAnswerInsideTheDMPostIsRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, bob)
	aliceDMs := len(h.waitDMs(alice, 1))
	var up dt.Callback
	var dmID string
	wait := h.onCheckInDM(bob, func(m dt.Message) {
		dmID = m.ID
		id := customIDWith(m.MessageContent, "ci1:answer:")
		up = h.tryInvoke(h.srv.Click(bob, dm, &m, id[:strings.LastIndex(id, ":")]+":care"))
	})
	h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob))))
	wait()
	msg := h.waitDMs(bob, 2)[1]
	if up.Type != dt.CallbackUpdate || len(up.Embeds) != 2 || !strings.Contains(up.Embeds[1].Description, "comfort") {
		t.Fatalf("answer inside the POST: type %d %q %+v", up.Type, up.Content, up.Embeds)
	}
	relay := h.waitDMs(alice, aliceDMs+1)[aliceDMs]
	if !strings.Contains(relay.Content, "could use some care") || !strings.Contains(relay.Content, "<@"+bob.ID+">") {
		t.Fatalf("relay: %q", relay.Content)
	}
	id := checkInID(t, msg.MessageContent)
	h.waitUntil("the delivery is recorded beside the answer", func() bool {
		ci, err := h.store.CheckIn(h.ctx, id)
		return err == nil && ci.MessageID != ""
	})
	ci, _ := h.store.CheckIn(h.ctx, id)
	if ci.Status != storage.StatusAnswered || ci.Answer != storage.AnswerCare || ci.MessageID != dmID || ci.SentAt.IsZero() {
		t.Fatalf("check-in after answer then delivery: %+v", ci)
	}
	if got, ok := h.srv.Message(dmID); !ok || got.Deleted || len(got.Embeds) != 2 {
		t.Fatalf("the answered DM must stay, updated: %+v", got)
	}
}

// Words and Stop work inside the POST too; a DM stopped that way stays with its confirmation.
func TestWordsAndStopInsideTheDMPost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, bob)
	var form, stop dt.Callback
	var dmID string
	wait := h.onCheckInDM(bob, func(m dt.Message) {
		dmID = m.ID
		form = h.tryInvoke(h.srv.Click(bob, dm, &m, customIDWith(m.MessageContent, "ci1:words:")))
		stop = h.tryInvoke(h.srv.Click(bob, dm, &m, customIDWith(m.MessageContent, "ci1:stop:")))
	})
	h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob))))
	wait()
	h.waitIdle()
	if form.Type != dt.CallbackModal || form.Modal == nil {
		t.Fatalf("words inside the POST: type %d %q", form.Type, form.Content)
	}
	if stop.Type != dt.CallbackUpdate || !strings.Contains(stop.Content, "can no longer send you check-ins") {
		t.Fatalf("stop inside the POST: type %d %q", stop.Type, stop.Content)
	}
	if ok, _ := h.store.ArePartners(h.ctx, alice.ID, bob.ID); ok {
		t.Fatal("the link survived Stop")
	}
	if got, ok := h.srv.Message(dmID); !ok || got.Deleted || !strings.Contains(got.Content, "can no longer send you check-ins") {
		t.Fatalf("the stopped DM must stay with its confirmation: %+v", got)
	}
}

// A link removed while the check-in waits for its send slot behind a backlog ends it: no DM.
func TestLinkRemovedDuringTheSlotWaitLeavesNoDM(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, bob)
	bobDMs := len(h.waitDMs(bob, 1))
	// A backlog: every send slot for the next two seconds is taken.
	for range 2 * dmRatePerSec {
		h.bot.pacer.Reserve()
	}
	h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob))))
	pending, err := h.store.CheckInsFrom(h.ctx, alice.ID, time.Time{})
	if err != nil || len(pending) != 1 {
		t.Fatalf("check-ins: %v %v", pending, err)
	}
	id := pending[0].ID
	h.waitUntil("the check-in is claimed", func() bool {
		ci, err := h.store.CheckIn(h.ctx, id)
		return err == nil && ci.Status == storage.StatusSending
	})
	h.reply(h.srv.SlashCommand(bob, dm, "partner", dt.SubCommand("remove", dt.UserOption("user", alice))))
	h.clock.Advance(2 * time.Second) // the backlog's slots pass; the check-in's slot comes
	h.waitUntil("the worker is done", func() bool {
		ci, err := h.store.CheckIn(h.ctx, id)
		return err == nil && ci.Status != storage.StatusSending
	})
	h.waitIdle()
	if n := len(h.botDMs(bob)); n != bobDMs {
		t.Fatalf("bob has %d DMs from the bot, want %d: the check-in reached him after he left", n, bobDMs)
	}
	for _, r := range h.srv.RequestsTo("POST /channels/*/messages") {
		if strings.Contains(string(r.Body), "ag-ci-") {
			t.Fatalf("the check-in was posted after the link ended: %s", r.Path)
		}
	}
}

// A link that ends while the DM is being posted (after the last check) deletes that DM.
func TestLinkRemovedInsideTheDMPostDeletesIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, bob)
	bobDMs := len(h.waitDMs(bob, 1))
	var dmID string
	wait := h.onCheckInDM(bob, func(m dt.Message) {
		dmID = m.ID
		h.tryReply(h.srv.SlashCommand(bob, dm, "partner", dt.SubCommand("remove", dt.UserOption("user", alice))))
	})
	h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob))))
	wait()
	h.waitUntil("the DM is deleted", func() bool {
		m, ok := h.srv.Message(dmID)
		return ok && m.Deleted
	})
	h.waitIdle()
	if n := len(h.botDMs(bob)); n != bobDMs {
		t.Fatalf("bob has %d DMs from the bot, want %d", n, bobDMs)
	}
}

// deleteMyData runs /privacy, Delete everything, Yes, and returns the confirmation. It may
// run in a hook: failures are reported, and show in the confirmation it returns.
func (h *harness) deleteMyData(u dt.User) dt.Callback {
	summary := h.tryReply(h.srv.SlashCommand(u, dm, "privacy"))
	ask := h.tryInvoke(h.srv.Click(u, dm, summary.Message(), "pv1:delete"))
	return h.tryInvoke(h.srv.Click(u, dm, ask.Message(), "pv1:confirm"))
}

// /privacy delete also deletes the DMs Afterglow posted to that person that it still
// knows: the check-in prompts they received and the relays of answers to what they sent.
func TestPrivacyDeleteDeletesTheDMsSentToThem(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, bob)
	kept := h.waitDMs(alice, 1) // "Bob accepted": not a check-in, not known by id
	h.exchange(alice, bob, "", "care", "some words")
	h.exchange(bob, alice, "", "good", "")
	bobBefore := h.botDMs(bob)
	var known []string // alice's check-in prompt and the two relays to her
	for _, m := range h.botDMs(alice)[len(kept):] {
		known = append(known, m.ID)
	}
	if len(known) != 3 {
		t.Fatalf("alice has %d check-in DMs and relays, want 3", len(known))
	}

	done := h.deleteMyData(alice)
	if done.Type != dt.CallbackUpdate || !strings.Contains(done.Content, "everything Afterglow stored about you is deleted") ||
		!strings.Contains(done.Content, "I also deleted 3 message(s) I had sent you.") {
		t.Fatalf("confirmation: type %d %q", done.Type, done.Content)
	}
	for _, id := range known {
		if m, ok := h.srv.Message(id); !ok || !m.Deleted {
			t.Errorf("DM %s to alice was not deleted: %q", id, m.Content)
		}
	}
	if left := h.botDMs(alice); len(left) != len(kept) || left[0].ID != kept[0].ID {
		t.Fatalf("alice's DMs after deletion: %d, want only the %d not about check-ins", len(left), len(kept))
	}
	if after := h.botDMs(bob); len(after) != len(bobBefore) {
		t.Fatalf("bob's DMs went from %d to %d: only alice's are hers to delete", len(bobBefore), len(after))
	}
}

// Deleting one's data while a check-in to oneself is being posted deletes that DM too.
func TestPrivacyDeleteInsideTheDMPostDeletesIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, bob)
	before := len(h.waitDMs(bob, 1))
	var dmID, content string
	wait := h.onCheckInDM(bob, func(m dt.Message) {
		dmID = m.ID
		content = h.deleteMyData(bob).Content
	})
	h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob))))
	wait()
	h.waitUntil("the DM is deleted", func() bool {
		m, ok := h.srv.Message(dmID)
		return ok && m.Deleted
	})
	h.waitIdle()
	if !strings.Contains(content, "everything Afterglow stored about you is deleted") {
		t.Fatalf("confirmation: %q", content)
	}
	if n := len(h.botDMs(bob)); n != before {
		t.Fatalf("bob has %d DMs from the bot, want %d", n, before)
	}
}

// A DM already on the wire when the bot is told to stop is let finish and is recorded as
// sent. Left "sending", it would be posted again on the next start, and Discord's nonce
// guards a repeat for only a few minutes: a restart after that would DM it twice.
func TestShutdownRecordsTheDMOnTheWire(t *testing.T) {
	t.Parallel()
	// Discord answers each DM's POST 200 ms after it stored the message.
	h := newHarness(t, withLatency("POST /channels/*/messages", 200*time.Millisecond))
	h.linkPartners(alice, bob)
	var dmID string
	wait := h.onCheckInDM(bob, func(m dt.Message) {
		dmID = m.ID
		h.cancel() // the process is told to stop while Discord has yet to answer
	})
	due := []storage.CheckIn{{SenderID: alice.ID, RecipientID: bob.ID, DueAt: h.now()}}
	if _, err := h.store.ScheduleCheckIns(h.ctx, due, h.now(), 0); err != nil {
		t.Fatal(err)
	}
	h.bot.checkInsScheduled()
	wait()
	h.stop()
	store, err := storage.Open(context.Background(), h.dbPath, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cs, err := store.CheckInsFrom(context.Background(), alice.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Status != storage.StatusSent || cs[0].MessageID != dmID {
		t.Fatalf("after the stop, the check-in whose DM Discord stored (%s) is %+v", dmID, cs)
	}
}

// A late check-in answered the moment its DM appears keeps its apology: the DM is rebuilt
// with the answer from the stored check-in, which says it went out late even before the
// bot has its response.
func TestLateCheckInAnsweredInsideItsPostKeepsItsApology(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, bob)
	late := content.MustLoad().LatePrefix()
	var posted, up dt.Callback
	wait := h.onCheckInDM(bob, func(m dt.Message) {
		posted.MessageContent = m.MessageContent
		id := customIDWith(m.MessageContent, "ci1:answer:")
		up = h.tryInvoke(h.srv.Click(bob, dm, &m, id[:strings.LastIndex(id, ":")]+":good"))
	})
	due := []storage.CheckIn{{SenderID: alice.ID, RecipientID: bob.ID, DueAt: h.now().Add(-time.Hour)}}
	if _, err := h.store.ScheduleCheckIns(h.ctx, due, h.now().Add(-time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	h.bot.checkInsScheduled()
	wait()
	if len(posted.Embeds) == 0 || !strings.HasPrefix(posted.Embeds[0].Description, late) {
		t.Fatalf("the DM of a check-in an hour late has no apology: %+v", posted.Embeds)
	}
	if up.Type != dt.CallbackUpdate || len(up.Embeds) == 0 || !strings.HasPrefix(up.Embeds[0].Description, late) {
		t.Fatalf("answered inside its POST, the DM lost its apology: type %d %+v", up.Type, up.Embeds)
	}
}
