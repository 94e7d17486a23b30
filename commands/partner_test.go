package commands

import (
	"context"
	"strings"
	"testing"
	"time"
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
			if strings.HasPrefix(b.CustomID, routeRemove) {
				remove = b.CustomID
			}
			if strings.HasPrefix(b.CustomID, routeWithdraw) {
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
