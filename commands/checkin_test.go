package commands

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/storage"
)

func TestCheckinSendValidation(t *testing.T) {
	f := newFixture(t)
	cases := map[string]struct {
		opts map[string]string
		want string
	}{
		"not partners": {map[string]string{"partner": bob.ID}, "aren't partners"},
		"bad delay":    {map[string]string{"partner": alice.ID, "in": "soon"}, "`15m`"},
		"too far":      {map[string]string{"partner": alice.ID, "in": "8d"}, "more than 7 days"},
		"long note":    {map[string]string{"partner": alice.ID, "note": strings.Repeat("é", 301)}, "301 characters; the limit is 300"},
	}
	for name, c := range cases {
		r := f.do(t, sub(alice, "checkin", "send", c.opts))
		if !r.Ephemeral || !strings.Contains(r.Content, c.want) {
			t.Errorf("%s: got %q", name, r.Content)
		}
	}
	pending, _ := f.store.PendingFrom(context.Background(), alice.ID)
	if len(pending) != 0 {
		t.Fatalf("refused check-ins must not be stored: %d", len(pending))
	}
}

func TestCheckinScheduleListCancel(t *testing.T) {
	f := newFixture(t)
	woke := 0
	f.router = NewRouter(Deps{Content: f.lib, Store: f.store, Clock: func() time.Time { return f.now }, DM: f.dms, Wake: func() { woke++ }})
	f.link(t, alice, bob)
	r := f.do(t, sub(alice, "checkin", "send", map[string]string{"partner": bob.ID, "in": "1h30m", "note": "thinking of you <@everyone>", "followups": "true"}))
	due := f.now.Add(90 * time.Minute)
	if !r.Ephemeral || !strings.Contains(r.Content, fmt.Sprintf("<t:%d:R>", due.Unix())) || !strings.Contains(r.Content, "Follow-ups") {
		t.Fatalf("confirmation: %q", r.Content)
	}
	if woke != 1 {
		t.Fatalf("delivery loop woken %d times", woke)
	}
	pending, _ := f.store.PendingFrom(context.Background(), alice.ID)
	if len(pending) != 3 {
		t.Fatalf("want 3 pending (first + 2 follow-ups), got %d", len(pending))
	}
	wantDue := map[int64]bool{due.Unix(): true, due.Add(24 * time.Hour).Unix(): true, due.Add(72 * time.Hour).Unix(): true}
	for _, p := range pending {
		if !wantDue[p.DueAt.Unix()] {
			t.Errorf("unexpected due time %v", p.DueAt)
		}
	}
	list := f.do(t, sub(alice, "checkin", "list", nil))
	if len(list.Embeds) != 1 || strings.Count(list.Embeds[0].Description, "⏳") != 3 {
		t.Fatalf("list: %+v", list)
	}
	cancel := r.Components[0].Buttons[0].CustomID
	r = f.do(t, click(alice, cancel))
	if !strings.Contains(r.Content, "3 check-in(s)") {
		t.Fatalf("cancel series: %q", r.Content)
	}
	if r = f.do(t, click(alice, cancel)); r.Content != msgCancelGone {
		t.Fatalf("second cancel: %q", r.Content)
	}
}

func TestCheckinSelfAndLimit(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, sub(alice, "checkin", "send", map[string]string{"partner": alice.ID}))
	if !strings.Contains(r.Content, "yourself") {
		t.Fatalf("self: %q", r.Content)
	}
	for i := 1; i < 10; i++ {
		f.do(t, sub(alice, "checkin", "send", map[string]string{"partner": alice.ID, "in": "1h"}))
	}
	r = f.do(t, sub(alice, "checkin", "send", map[string]string{"partner": alice.ID}))
	if !strings.Contains(r.Content, "daily limit") {
		t.Fatalf("11th: %q", r.Content)
	}
}

func TestCheckinCancelByIDAndAutocomplete(t *testing.T) {
	f := newFixture(t)
	f.do(t, sub(alice, "checkin", "send", map[string]string{"partner": alice.ID, "in": "2h"}))
	ac := f.do(t, Request{Kind: KindAutocomplete, Caller: alice, Command: "checkin", Subcommand: "cancel", Focused: "id", Options: map[string]string{"id": ""}})
	if len(ac.Choices) != 1 {
		t.Fatalf("choices: %+v", ac.Choices)
	}
	other := f.do(t, sub(bob, "checkin", "cancel", map[string]string{"id": ac.Choices[0].Value}))
	if other.Content != msgCancelGone {
		t.Fatalf("someone else cancelled: %q", other.Content)
	}
	r := f.do(t, sub(alice, "checkin", "cancel", map[string]string{"id": ac.Choices[0].Value}))
	if !strings.Contains(r.Content, "Cancelled") {
		t.Fatalf("cancel: %q", r.Content)
	}
	if r := f.do(t, sub(alice, "checkin", "cancel", map[string]string{"id": "abc"})); r.Content != msgCancelBadID {
		t.Fatalf("bad id: %q", r.Content)
	}
	in := f.do(t, Request{Kind: KindAutocomplete, Caller: alice, Command: "checkin", Subcommand: "send", Focused: "in", Options: map[string]string{"in": "1h30m"}})
	if in.Choices[0].Value != "1h30m" || in.Choices[0].Name != "in 1 hour 30 minutes" || len(in.Choices) > 25 {
		t.Fatalf("in choices: %+v", in.Choices)
	}
}

// sentCheckIn schedules a check-in from alice to bob and marks it delivered, as the bot would.
func (f *fixture) sentCheckIn(t *testing.T, note string) (storage.CheckIn, Message) {
	t.Helper()
	f.link(t, alice, bob)
	f.do(t, sub(alice, "checkin", "send", map[string]string{"partner": bob.ID, "note": note}))
	ctx := context.Background()
	claimed, err := f.store.ClaimDue(ctx, f.now, time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %d", err, len(claimed))
	}
	msg, err := f.router.CheckInMessage(ctx, claimed[0], false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkSent(ctx, claimed[0].ID, "dm", "msg", false, f.now); err != nil {
		t.Fatal(err)
	}
	return claimed[0], msg
}

func buttonByPrefix(t *testing.T, msg Message, prefix string) string {
	t.Helper()
	for _, row := range msg.Components {
		for _, b := range row.Buttons {
			if strings.HasPrefix(b.CustomID, prefix) {
				return b.CustomID
			}
		}
	}
	t.Fatalf("no button %s", prefix)
	return ""
}

func TestCheckInDMAnswerAndRelay(t *testing.T) {
	f := newFixture(t)
	c, msg := f.sentCheckIn(t, "multi\nline <@&123>")
	desc := msg.Embeds[0].Description
	if !strings.Contains(desc, mention(alice.ID)) || !strings.Contains(desc, ">>> multi\nline <@&123>") {
		t.Fatalf("DM body: %q", desc)
	}
	if got := len(msg.Components[0].Buttons) + len(msg.Components[1].Buttons); got != 6 {
		t.Fatalf("want 4 answers + words + stop, got %d", got)
	}
	careID := makeCustomID(routeAnswer, itoa(c.ID), storage.AnswerCare)
	if r := f.do(t, click(alice, careID)); r.Content != msgAnswerNotYours {
		t.Fatalf("sender clicking the recipient's button: %+v", r)
	}
	r := f.do(t, click(bob, careID))
	if r.Type != Update || len(r.Embeds) != 2 || !strings.Contains(r.Embeds[1].Description, "comfort") || !strings.Contains(r.Embeds[1].Description, "emergency") {
		t.Fatalf("answer view: %+v", r)
	}
	relay := f.dms.sent[len(f.dms.sent)-1]
	if relay.To != alice.ID || !strings.Contains(relay.Msg.Content, "💛 could use some care") {
		t.Fatalf("relay: %+v", relay)
	}
	// Change of mind within the hour replaces the answer.
	f.now = f.now.Add(30 * time.Minute)
	f.do(t, click(bob, makeCustomID(routeAnswer, itoa(c.ID), storage.AnswerGood)))
	got, _ := f.store.CheckIn(context.Background(), c.ID)
	if got.Answer != storage.AnswerGood {
		t.Fatalf("answer not replaced: %q", got.Answer)
	}
	// Words through the modal.
	words := buttonByPrefix(t, msg, makeCustomID(routeWords)+":")
	m := f.do(t, click(bob, words))
	if m.Type != ShowModal || m.Modal.Inputs[0].MaxLength != 500 {
		t.Fatalf("modal: %+v", m)
	}
	submit := Request{Kind: KindModal, Caller: bob, CustomID: m.Modal.CustomID, Fields: map[string]string{wordsField: strings.Repeat("x", 501)}}
	if r := f.do(t, submit); !strings.Contains(r.Content, "501 characters; the limit is 500") {
		t.Fatalf("long words: %+v", r)
	}
	submit.Fields[wordsField] = "a bit wobbly, call me?"
	r = f.do(t, submit)
	if r.Type != Update || !strings.Contains(r.Embeds[1].Description, "> a bit wobbly, call me?") {
		t.Fatalf("words view: %+v", r)
	}
	relay = f.dms.sent[len(f.dms.sent)-1]
	if relay.To != alice.ID || !strings.Contains(relay.Msg.Content, "> a bit wobbly, call me?") {
		t.Fatalf("words relay: %+v", relay)
	}
	list := f.do(t, sub(alice, "checkin", "list", nil))
	if !strings.Contains(list.Embeds[0].Description, "I'm good") || !strings.Contains(list.Embeds[0].Description, "a bit wobbly") {
		t.Fatalf("list keeps the answer: %s", list.Embeds[0].Description)
	}
	// Past the window the check-in is closed.
	f.now = f.now.Add(2 * time.Hour)
	if r := f.do(t, click(bob, careID)); r.Content != msgAnswerClosed {
		t.Fatalf("late answer: %+v", r)
	}
}

func TestStopCheckInsEndsTheLinkSilently(t *testing.T) {
	f := newFixture(t)
	c, msg := f.sentCheckIn(t, "")
	sent := len(f.dms.sent)
	r := f.do(t, click(bob, buttonByPrefix(t, msg, makeCustomID(routeStop)+":")))
	if r.Type != Update || !strings.Contains(r.Content, "can no longer send you check-ins") || len(r.Components) != 0 {
		t.Fatalf("stop: %+v", r)
	}
	if len(f.dms.sent) != sent {
		t.Fatal("stop must be silent")
	}
	if ok, _ := f.store.ArePartners(context.Background(), alice.ID, bob.ID); ok {
		t.Fatal("link survived")
	}
	if r := f.do(t, sub(alice, "checkin", "send", map[string]string{"partner": bob.ID})); !strings.Contains(r.Content, "aren't partners") {
		t.Fatalf("after stop: %q", r.Content)
	}
	if r := f.do(t, click(bob, makeCustomID(routeAnswer, itoa(c.ID), storage.AnswerGood))); r.Content != msgAnswerUnlinked {
		t.Fatalf("answer after the link ended: %+v", r)
	}
}
