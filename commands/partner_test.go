package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/storage"
)

func sub(caller User, name, subcommand string, opts map[string]string) Request {
	r := slash(caller, name, opts)
	r.Subcommand = subcommand
	if r.Options == nil {
		r.Options = map[string]string{}
	}
	return r
}

func click(caller User, customID string) Request {
	return Request{Kind: KindComponent, Caller: caller, CustomID: customID, Message: &MessageInfo{ID: "m", Ephemeral: false}}
}

// link makes alice and bob partners through the real flow and returns the invite DM.
func (f *fixture) link(t *testing.T, a, b User) sentDM {
	t.Helper()
	before := len(f.dms.sent)
	resp := f.do(t, sub(a, "partner", "invite", map[string]string{"user": b.ID}))
	if !strings.Contains(resp.Content, "Invitation sent") {
		t.Fatalf("invite: %+v", resp)
	}
	dm := f.dms.sent[before]
	accept := dm.Msg.Components[0].Buttons[0].CustomID
	resp = f.do(t, click(b, accept))
	if resp.Type != Update || !strings.Contains(resp.Content, "now partners") {
		t.Fatalf("accept: %+v", resp)
	}
	return dm
}

func TestInviteAcceptFlow(t *testing.T) {
	f := newFixture(t)
	dm := f.link(t, alice, bob)
	if dm.To != bob.ID || len(dm.Msg.Embeds) != 1 || !strings.Contains(dm.Msg.Embeds[0].Description, "not a record of consent") {
		t.Fatalf("invitation DM: %+v", dm)
	}
	labels := []string{}
	for _, b := range dm.Msg.Components[0].Buttons {
		labels = append(labels, b.Label)
	}
	if strings.Join(labels, "|") != "Accept|Decline|Block this person" {
		t.Fatalf("buttons: %v", labels)
	}
	last := f.dms.sent[len(f.dms.sent)-1]
	if last.To != alice.ID || !strings.Contains(last.Msg.Content, "accepted") {
		t.Fatalf("inviter should hear of the acceptance, got %+v", last)
	}
	ok, _ := f.store.ArePartners(context.Background(), alice.ID, bob.ID)
	if !ok {
		t.Fatal("not linked")
	}
}

func TestInviteRefusals(t *testing.T) {
	f := newFixture(t)
	if r := f.do(t, sub(alice, "partner", "invite", map[string]string{"user": alice.ID})); !strings.Contains(r.Content, "can't invite yourself") || !r.Ephemeral {
		t.Errorf("self: %+v", r)
	}
	botReq := sub(alice, "partner", "invite", map[string]string{"user": "300"})
	botReq.Users = map[string]User{"300": {ID: "300", Bot: true}}
	if r := f.do(t, botReq); !strings.Contains(r.Content, "Bots can't") {
		t.Errorf("bot: %+v", r)
	}
	f.do(t, sub(alice, "partner", "invite", map[string]string{"user": bob.ID}))
	if r := f.do(t, sub(alice, "partner", "invite", map[string]string{"user": bob.ID})); !strings.Contains(r.Content, "already an invitation") {
		t.Errorf("second pending: %+v", r)
	}
	for i := 0; i < 4; i++ {
		f.do(t, sub(alice, "partner", "invite", map[string]string{"user": "40000000000000000" + string(rune('1'+i))}))
	}
	if r := f.do(t, sub(alice, "partner", "invite", map[string]string{"user": "500000000000000001"})); !strings.Contains(r.Content, "daily limit") {
		t.Errorf("sixth invitation of the day: %+v", r)
	}
}

// An invitation's answer leaves the same time after the command, whatever became of it: a
// refusal (no DM attempted) must not come back sooner than closed DMs (a DM Discord
// refused) or a DM sent, or the delay would tell a block or a cooldown apart.
func TestInviteAnswersLeaveAtTheSameTime(t *testing.T) {
	ctx := context.Background()
	cases := map[string]func(f *fixture){
		"sent":       func(*fixture) {},
		"closed DMs": func(f *fixture) { f.dms.closed = map[string]bool{bob.ID: true} },
		"blocked": func(f *fixture) {
			if err := f.store.Block(ctx, bob.ID, alice.ID, f.now); err != nil {
				t.Fatal(err)
			}
		},
		"invitations off": func(f *fixture) {
			s := storage.DefaultUserSettings(bob.ID)
			s.InvitesOff = true
			if err := f.store.SaveUserSettings(ctx, s); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, setup := range cases {
		f := newFixture(t)
		f.dms.attempt = func() { f.now = f.now.Add(300 * time.Millisecond) } // Discord takes its time
		f.router = NewRouter(Deps{Content: f.lib, Store: f.store, Clock: func() time.Time { return f.now }, DM: f.dms,
			Wait: func(_ context.Context, d time.Duration) { f.now = f.now.Add(d) }})
		setup(f)
		start := f.now
		r := f.do(t, sub(alice, "partner", "invite", map[string]string{"user": bob.ID}))
		if took := f.now.Sub(start); took != inviteAnswerAfter {
			t.Errorf("%s: answered %v after the command, want %v: %q", name, took, inviteAnswerAfter, r.Content)
		}
	}
}

func TestBlockAndClosedDMsLookTheSame(t *testing.T) {
	f := newFixture(t)
	carol := User{ID: "200000000000000003", Name: "Carol"}
	// Bob blocks Alice from her first invitation.
	f.do(t, sub(alice, "partner", "invite", map[string]string{"user": bob.ID}))
	block := f.dms.sent[0].Msg.Components[0].Buttons[2].CustomID
	if r := f.do(t, click(bob, block)); !strings.Contains(r.Content, "can no longer invite you") {
		t.Fatalf("block: %+v", r)
	}
	sent := len(f.dms.sent)
	blocked := f.do(t, sub(alice, "partner", "invite", map[string]string{"user": bob.ID}))
	if len(f.dms.sent) != sent {
		t.Fatal("a blocked invitation must not DM anyone")
	}
	f.dms.closed = map[string]bool{carol.ID: true}
	closed := f.do(t, sub(alice, "partner", "invite", map[string]string{"user": carol.ID}))
	norm := func(s string) string { return strings.NewReplacer(bob.ID, "X", carol.ID, "X").Replace(s) }
	if norm(blocked.Content) != norm(closed.Content) {
		t.Fatalf("block revealed:\n%q\n%q", blocked.Content, closed.Content)
	}
	// Carol can still find the invitation without DMs.
	r := f.do(t, sub(carol, "partner", "requests", nil))
	if len(r.Embeds) != 1 || !strings.Contains(r.Embeds[0].Description, alice.ID) || len(r.Components) != 1 {
		t.Fatalf("requests: %+v", r)
	}
}

func TestInvitationExpiresAfterSevenDays(t *testing.T) {
	f := newFixture(t)
	f.do(t, sub(alice, "partner", "invite", map[string]string{"user": bob.ID}))
	accept := f.dms.sent[0].Msg.Components[0].Buttons[0].CustomID
	f.now = f.now.Add(7*24*time.Hour + time.Minute)
	if r := f.do(t, click(bob, accept)); !strings.Contains(r.Content, "expired") {
		t.Fatalf("expired accept: %+v", r)
	}
	if r := f.do(t, sub(bob, "partner", "requests", nil)); r.Content != msgRequestsNone {
		t.Fatalf("expired invitations are not listed: %+v", r)
	}
}

func TestOnlyTheInviteeCanAccept(t *testing.T) {
	f := newFixture(t)
	f.do(t, sub(alice, "partner", "invite", map[string]string{"user": bob.ID}))
	accept := f.dms.sent[0].Msg.Components[0].Buttons[0].CustomID
	mallory := User{ID: "666", Name: "M"}
	if r := f.do(t, click(mallory, accept)); strings.Contains(r.Content, "now partners") {
		t.Fatal("someone else accepted")
	}
	if ok, _ := f.store.ArePartners(context.Background(), alice.ID, mallory.ID); ok {
		t.Fatal("linked the wrong person")
	}
}

func TestPartnerListRemoveAndDecline(t *testing.T) {
	f := newFixture(t)
	f.link(t, alice, bob)
	carol := User{ID: "200000000000000003"}
	f.do(t, sub(alice, "partner", "invite", map[string]string{"user": carol.ID}))
	r := f.do(t, sub(alice, "partner", "list", nil))
	desc := r.Embeds[0].Description
	if !strings.Contains(desc, bob.ID) || !strings.Contains(desc, carol.ID) {
		t.Fatalf("list: %s", desc)
	}
	var remove, withdraw string
	for _, row := range r.Components {
		for _, b := range row.Buttons {
			if strings.HasPrefix(b.CustomID, makeCustomID(routeRemove)+":") {
				remove = b.CustomID
			}
			if strings.HasPrefix(b.CustomID, makeCustomID(routeWithdraw)+":") {
				withdraw = b.CustomID
			}
		}
	}
	r = f.do(t, click(alice, withdraw))
	if r.Type != Update || !strings.Contains(r.Content, "withdrawn") || strings.Contains(r.Embeds[0].Description, carol.ID) {
		t.Fatalf("withdraw: %+v", r)
	}
	sent := len(f.dms.sent)
	r = f.do(t, click(alice, remove))
	if !strings.Contains(r.Content, "no longer partners") {
		t.Fatalf("remove: %+v", r)
	}
	if len(f.dms.sent) != sent {
		t.Fatal("removing must be silent")
	}
	if r := f.do(t, sub(bob, "partner", "remove", map[string]string{"user": alice.ID})); !strings.Contains(r.Content, "aren't partners") {
		t.Fatalf("second remove: %+v", r)
	}
	// Decline is silent too.
	f.do(t, sub(bob, "partner", "invite", map[string]string{"user": carol.ID}))
	decline := f.dms.sent[len(f.dms.sent)-1].Msg.Components[0].Buttons[1].CustomID
	sent = len(f.dms.sent)
	if r := f.do(t, click(carol, decline)); !strings.Contains(r.Content, "declined") || len(f.dms.sent) != sent {
		t.Fatalf("decline: %+v", r)
	}
}

// inviterViews is everything alice can see of an invitation to invitee, as the exact payloads:
// the reply, /partner list, a repeat invite, and how many more invitations she may send today
// (with the reply that stops her).
func (f *fixture) inviterViews(t *testing.T, invitee User) map[string]string {
	t.Helper()
	payload := func(r Response) string {
		t.Helper()
		checkResponseLimits(t, r)
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	views := map[string]string{
		"reply":  payload(f.do(t, sub(alice, "partner", "invite", map[string]string{"user": invitee.ID}))),
		"list":   payload(f.do(t, sub(alice, "partner", "list", nil))),
		"repeat": payload(f.do(t, sub(alice, "partner", "invite", map[string]string{"user": invitee.ID}))),
	}
	for i := 1; i <= 10; i++ {
		r := f.do(t, sub(alice, "partner", "invite", map[string]string{"user": fmt.Sprintf("70000000000000000%d", i)}))
		if strings.Contains(r.Content, "daily limit") {
			views["remaining"] = fmt.Sprintf("%d, then %s", i-1, payload(r))
			break
		}
	}
	return views
}

func sameViews(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(want) != 4 {
		t.Fatalf("baseline views incomplete: %v", want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: the inviter's %s differs from closed DMs:\n got %s\nwant %s", what, k, got[k], w)
		}
	}
}

// noInvitationFor checks that invitee was never shown anything of alice's invitation.
func (f *fixture) noInvitationFor(t *testing.T, invitee User) {
	t.Helper()
	for _, dm := range f.dms.sent {
		if dm.To == invitee.ID && strings.Contains(fmt.Sprint(dm.Msg), alice.ID) {
			t.Errorf("%s got a DM about alice: %+v", invitee.ID, dm.Msg)
		}
	}
	if r := f.do(t, sub(invitee, "partner", "requests", nil)); r.Content != msgRequestsNone {
		t.Errorf("%s's requests show a refused invitation: %+v", invitee.ID, r)
	}
	if r := f.do(t, sub(invitee, "partner", "list", nil)); strings.Contains(fmt.Sprint(r), alice.ID) {
		t.Errorf("%s's list shows a refused invitation: %+v", invitee.ID, r)
	}
	// Nor can they act on it with a made-up button.
	invs, err := f.store.InvitationsFrom(context.Background(), alice.ID, f.now)
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invs {
		if inv.InviteeID != invitee.ID {
			continue
		}
		for _, route := range []string{routeAccept, routeDecline, routeBlock} {
			r := f.do(t, click(invitee, makeCustomID(route, itoa(inv.ID))))
			if r.Content != msgInviteGone || strings.Contains(fmt.Sprint(r), alice.ID) {
				t.Errorf("%s clicked %s on a refused invitation: %+v", invitee.ID, route, r)
			}
		}
	}
}

func exportOf(t *testing.T, f *fixture, u User) string {
	t.Helper()
	summary := f.do(t, slash(u, "privacy", nil))
	r := f.do(t, click(u, routeExport))
	if len(r.Files) != 1 {
		t.Fatalf("export: %+v", r)
	}
	raw, _ := json.Marshal(summary)
	return string(raw) + "\n" + string(r.Files[0].Data)
}

// A block or "no invitations" must look, to the inviter, exactly like closed DMs.
func TestRefusalLooksLikeClosedDMsToTheInviter(t *testing.T) {
	closed := newFixture(t)
	closed.dms.closed = map[string]bool{bob.ID: true}
	want := closed.inviterViews(t, bob)
	wantExport := exportOf(t, closed, alice)

	for name, refuse := range map[string]func(f *fixture){
		"blocked": func(f *fixture) {
			if err := f.store.Block(context.Background(), bob.ID, alice.ID, f.now); err != nil {
				t.Fatal(err)
			}
		},
		"invitations off": func(f *fixture) {
			if r := f.do(t, slash(bob, "settings", map[string]string{"invitations": "false"})); !strings.Contains(fmt.Sprint(r), msgSettingsSaved) {
				t.Fatalf("settings: %+v", r)
			}
		},
	} {
		f := newFixture(t)
		refuse(f)
		sameViews(t, name, f.inviterViews(t, bob), want)
		if got := exportOf(t, f, alice); got != wantExport {
			t.Errorf("%s: alice's privacy summary and export differ from closed DMs:\n got %s\nwant %s", name, got, wantExport)
		}
		f.noInvitationFor(t, bob)
	}
}

// Someone declined or removed is refused for 7 days, like any refusal; the one who declined
// or removed may invite at any time.
func TestCooldownLooksLikeClosedDMsToTheInviter(t *testing.T) {
	// Declined: compared with an invitation alice withdrew herself, then closed DMs.
	declined, withdrawn := newFixture(t), newFixture(t)
	for _, f := range []*fixture{declined, withdrawn} {
		f.do(t, sub(alice, "partner", "invite", map[string]string{"user": bob.ID}))
	}
	if r := declined.do(t, click(bob, declined.dms.sent[0].Msg.Components[0].Buttons[1].CustomID)); !strings.Contains(r.Content, "declined") {
		t.Fatalf("decline: %+v", r)
	}
	list := withdrawn.do(t, sub(alice, "partner", "list", nil))
	if r := withdrawn.do(t, click(alice, list.Components[0].Buttons[0].CustomID)); !strings.Contains(r.Content, "withdrawn") {
		t.Fatalf("withdraw: %+v", r)
	}
	withdrawn.dms.closed = map[string]bool{bob.ID: true}
	declined.dms.sent = nil
	sameViews(t, "declined", declined.inviterViews(t, bob), withdrawn.inviterViews(t, bob))
	declined.noInvitationFor(t, bob)
	if r := declined.do(t, slash(bob, "privacy", nil)); !strings.Contains(r.Embeds[0].Description, "who can't invite you for 7 days: 1") {
		t.Errorf("bob's privacy summary should show the cooldown he set: %+v", r.Embeds)
	}

	// Removed: compared with alice ending the link herself, then closed DMs.
	removed, removing := newFixture(t), newFixture(t)
	for _, f := range []*fixture{removed, removing} {
		f.link(t, alice, bob)
	}
	if r := removed.do(t, sub(bob, "partner", "remove", map[string]string{"user": alice.ID})); !strings.Contains(r.Content, "no longer partners") {
		t.Fatalf("remove: %+v", r)
	}
	if r := removing.do(t, sub(alice, "partner", "remove", map[string]string{"user": bob.ID})); !strings.Contains(r.Content, "no longer partners") {
		t.Fatalf("remove: %+v", r)
	}
	removing.dms.closed = map[string]bool{bob.ID: true}
	removed.dms.sent = nil
	sameViews(t, "removed", removed.inviterViews(t, bob), removing.inviterViews(t, bob))
	removed.noInvitationFor(t, bob)

	// The one who removed or declined may invite at once: alice's invitation above reached
	// bob's requests, and bob may invite alice.
	if r := removing.do(t, sub(bob, "partner", "requests", nil)); len(r.Embeds) != 1 || !strings.Contains(r.Embeds[0].Description, alice.ID) {
		t.Fatalf("the remover's invitation should be real: %+v", r)
	}
	if r := declined.do(t, sub(bob, "partner", "invite", map[string]string{"user": alice.ID})); !strings.HasPrefix(r.Content, "Invitation sent") {
		t.Fatalf("bob declined alice and may invite her: %+v", r)
	}
	// A week later the cooldown is over.
	declined.now = declined.now.Add(7*24*time.Hour + time.Minute)
	if r := declined.do(t, sub(alice, "partner", "invite", map[string]string{"user": bob.ID})); !strings.HasPrefix(r.Content, "Invitation sent") {
		t.Fatalf("after 7 days: %+v", r)
	}
}

// /partner block works without an invitation: on a partner it ends the link and cancels
// pending check-ins quietly, as the invitation's Block button does.
func TestPartnerBlockAndUnblockCommands(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.link(t, alice, bob)
	f.dms.sent = nil // the invitation that linked them
	if r := f.do(t, sub(alice, "checkin", "send", map[string]string{"partner": bob.ID, "in": "2h"})); !strings.Contains(r.Content, "scheduled") {
		t.Fatalf("schedule: %+v", r)
	}
	pending, err := f.store.CheckInsFrom(ctx, alice.ID, f.now.Add(-time.Hour))
	if err != nil || len(pending) != 1 {
		t.Fatalf("check-ins: %+v, %v", pending, err)
	}
	sent := len(f.dms.sent)
	robot := User{ID: "300", Bot: true}
	run := func(u User, subcommand, other string) Response {
		req := sub(u, "partner", subcommand, map[string]string{"user": other})
		req.Users = map[string]User{robot.ID: robot}
		return f.do(t, req)
	}
	block := func(u User, other string) Response {
		r := run(u, "block", other)
		checkResponseLimits(t, r)
		if !r.Ephemeral || r.Type != Reply {
			t.Errorf("block reply should be private: %+v", r)
		}
		return r
	}
	unblock := func(u User, other string) Response {
		r := run(u, "unblock", other)
		checkResponseLimits(t, r)
		if !r.Ephemeral || r.Type != Reply {
			t.Errorf("unblock reply should be private: %+v", r)
		}
		return r
	}

	if r := block(bob, alice.ID); r.Content != fmt.Sprintf(msgBlocked, mention(alice.ID)) {
		t.Fatalf("block: %+v", r)
	}
	if len(f.dms.sent) != sent {
		t.Fatalf("blocking must be silent: %+v", f.dms.sent[sent:])
	}
	if ok, _ := f.store.ArePartners(ctx, alice.ID, bob.ID); ok {
		t.Fatal("the link survived the block")
	}
	if got, _ := f.store.CheckIn(ctx, pending[0].ID); got.Status != storage.StatusCancelled {
		t.Fatalf("pending check-in is %s, want cancelled", got.Status)
	}
	if ok, _ := f.store.Blocked(ctx, bob.ID, alice.ID); !ok {
		t.Fatal("not blocked")
	}
	// Alice hears what she would hear of closed DMs, and bob sees nothing.
	if r := f.do(t, sub(alice, "partner", "invite", map[string]string{"user": bob.ID})); r.Content != fmt.Sprintf(msgInviteNotSent, mention(bob.ID)) {
		t.Fatalf("invite after block: %+v", r)
	}
	f.noInvitationFor(t, bob)

	if r := block(bob, alice.ID); r.Content != fmt.Sprintf(msgBlockAlready, mention(alice.ID)) {
		t.Errorf("block again: %+v", r)
	}
	if r := unblock(bob, alice.ID); r.Content != fmt.Sprintf(msgUnblocked, mention(alice.ID)) {
		t.Errorf("unblock: %+v", r)
	}
	if ok, _ := f.store.Blocked(ctx, bob.ID, alice.ID); ok {
		t.Fatal("still blocked")
	}
	if r := unblock(bob, alice.ID); r.Content != fmt.Sprintf(msgNotBlocked, mention(alice.ID)) {
		t.Errorf("unblock again: %+v", r)
	}
	// A stranger can be blocked too.
	carol := User{ID: "200000000000000003"}
	if r := block(bob, carol.ID); r.Content != fmt.Sprintf(msgBlocked, mention(carol.ID)) {
		t.Errorf("block a stranger: %+v", r)
	}
	if ok, _ := f.store.Blocked(ctx, bob.ID, carol.ID); !ok {
		t.Fatal("stranger not blocked")
	}

	// Bad input gets a kind answer and changes nothing.
	for _, c := range []struct {
		name string
		do   func(User, string) Response
		u    string
		want string
	}{
		{"block yourself", block, bob.ID, msgBlockSelf},
		{"unblock yourself", unblock, bob.ID, msgUnblockSelf},
		{"block a bot", block, robot.ID, msgBlockBot},
		{"unblock a bot", unblock, robot.ID, msgUnblockBot},
		{"block nobody", block, "", msgUnknownCommand},
		{"unblock nobody", unblock, "", msgUnknownCommand},
	} {
		if r := c.do(bob, c.u); r.Content != c.want {
			t.Errorf("%s: %+v", c.name, r)
		}
	}
	if c, _ := f.store.Counts(ctx, bob.ID); c.Blocks != 1 {
		t.Errorf("bob's blocks = %d, want 1 (carol)", c.Blocks)
	}
}
