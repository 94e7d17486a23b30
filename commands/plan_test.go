package commands

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/afterglow-bot/afterglow/storage"
)

func TestPlanEditShowAndShare(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, sub(alice, "plan", "edit", nil))
	if !r.Ephemeral || r.Components[0].Select == nil || len(r.Components[0].Select.Options) < 13 {
		t.Fatalf("editor: %+v", r)
	}
	// Picking items saves them and opens the notes form.
	r = f.do(t, Request{Kind: KindComponent, Caller: alice, CustomID: routePlanItems, Values: []string{"water", "cuddle"}})
	if r.Type != ShowModal || len(r.Modal.Inputs) != 3 || r.Modal.Inputs[0].MaxLength != 1000 {
		t.Fatalf("notes form: %+v", r)
	}
	long := Request{Kind: KindModal, Caller: alice, CustomID: routePlanModal, Fields: map[string]string{"helps": strings.Repeat("a", 1001)}}
	if r := f.do(t, long); !strings.Contains(r.Content, "1001 characters; the limit is 1000") {
		t.Fatalf("long text: %+v", r)
	}
	r = f.do(t, Request{Kind: KindModal, Caller: alice, CustomID: routePlanModal, Fields: map[string]string{"helps": "a warm blanket", "avoid": "bright lights", "other": ""}})
	if r.Type != Update || !strings.Contains(embedText(r.Embeds[0]), "> a warm blanket") || !strings.Contains(embedText(r.Embeds[0]), "Water and a snack") {
		t.Fatalf("saved view: %+v", r)
	}
	// Private by default: a partner sees nothing, in the same words as a stranger would.
	f.link(t, alice, bob)
	if r := f.do(t, sub(bob, "plan", "show", map[string]string{"user": alice.ID})); !strings.Contains(r.Content, "don't have a shared plan") {
		t.Fatalf("private plan shown: %+v", r)
	}
	f.do(t, Request{Kind: KindComponent, Caller: alice, CustomID: makeCustomID(routePlanShare, "on")})
	r = f.do(t, sub(bob, "plan", "show", map[string]string{"user": alice.ID}))
	if len(r.Embeds) != 1 || !strings.Contains(embedText(r.Embeds[0]), "bright lights") {
		t.Fatalf("shared plan: %+v", r)
	}
	stranger := User{ID: "999"}
	if r := f.do(t, sub(stranger, "plan", "show", map[string]string{"user": alice.ID})); !strings.Contains(r.Content, "don't have a shared plan") {
		t.Fatalf("stranger saw the plan: %+v", r)
	}
	// The check-in confirmation shows the partner's shared plan; the DM reminds of one's own.
	r = f.do(t, sub(bob, "checkin", "send", map[string]string{"partner": alice.ID}))
	if len(r.Embeds) != 1 || !strings.Contains(embedText(r.Embeds[0]), "a warm blanket") {
		t.Fatalf("confirmation lacks the shared plan: %+v", r)
	}
	claimed, _ := f.store.ClaimDue(context.Background(), f.now, 60e9, 10)
	msg, _ := f.router.CheckInMessage(context.Background(), claimed[0], false)
	if !strings.Contains(embedText(msg.Embeds[0]), "Water and a snack") || strings.Contains(embedText(msg.Embeds[0]), "a warm blanket") {
		t.Fatalf("DM plan reminder should list items only: %+v", msg.Embeds[0])
	}
}

func embedText(e Embed) string {
	s := e.Title + "\n" + e.Description
	for _, f := range e.Fields {
		s += "\n" + f.Name + "\n" + f.Value
	}
	return s
}

func TestSettings(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, slash(alice, "settings", map[string]string{"timezone": "Europe/Berlin", "quiet_hours": "23:00-08:00", "invitations": "false", "followups": "true"}))
	text := embedText(r.Embeds[0])
	for _, want := range []string{"Europe/Berlin", "23:00–08:00"} {
		if !strings.Contains(text, want) {
			t.Errorf("settings view lacks %q: %s", want, text)
		}
	}
	us, _ := f.store.UserSettings(context.Background(), alice.ID)
	if us.TimeZone != "Europe/Berlin" || us.QuietStart != 23*60 || us.QuietEnd != 8*60 || !us.InvitesOff || !us.FollowupsDefault {
		t.Fatalf("stored: %+v", us)
	}
	if r := f.do(t, slash(alice, "settings", map[string]string{"timezone": "Mars/Olympus"})); r.Content != msgBadTimezone {
		t.Errorf("bad zone: %q", r.Content)
	}
	for _, q := range []string{"late", "25:00-08:00", "08:00-08:00", "8:5-9:00"} {
		if r := f.do(t, slash(alice, "settings", map[string]string{"quiet_hours": q})); r.Content != msgBadQuiet {
			t.Errorf("quiet %q: %q", q, r.Content)
		}
	}
	ac := f.do(t, Request{Kind: KindAutocomplete, Caller: alice, Command: "settings", Focused: "timezone", Options: map[string]string{"timezone": "new y"}})
	if len(ac.Choices) != 1 || ac.Choices[0].Value != "America/New_York" {
		t.Fatalf("zone autocomplete: %+v", ac.Choices)
	}
	// Invitations off looks like any undeliverable invitation to the inviter.
	r = f.do(t, sub(bob, "partner", "invite", map[string]string{"user": alice.ID}))
	if !strings.Contains(r.Content, "couldn't deliver") || len(f.dms.sent) != 0 {
		t.Fatalf("invitations off: %+v", r)
	}
	// Follow-ups by default.
	f.do(t, sub(alice, "checkin", "send", map[string]string{"partner": alice.ID}))
	pending, _ := f.store.PendingFrom(context.Background(), alice.ID)
	if len(pending) != 3 {
		t.Fatalf("follow-ups by default: %d pending", len(pending))
	}
}

func TestPrivacyExportAndDelete(t *testing.T) {
	f := newFixture(t)
	f.link(t, alice, bob)
	f.do(t, sub(bob, "checkin", "send", map[string]string{"partner": alice.ID, "note": "bob's note"}))
	r := f.do(t, slash(alice, "privacy", nil))
	if !r.Ephemeral || !strings.Contains(r.Embeds[0].Description, "partner links: 1") {
		t.Fatalf("summary: %+v", r)
	}
	r = f.do(t, click(alice, routeExport))
	if len(r.Files) != 1 || !r.Ephemeral || r.Type != Reply {
		t.Fatalf("export: %+v", r)
	}
	var exp storage.Export
	if err := json.Unmarshal(r.Files[0].Data, &exp); err != nil || exp.UserID != alice.ID || len(exp.Partners) != 1 || len(exp.CheckInsReceived) != 1 {
		t.Fatalf("export content: %v %+v", err, exp)
	}
	if r := f.do(t, click(alice, routeDelete)); !strings.Contains(r.Content, "Are you sure") || len(r.Components[0].Buttons) != 2 {
		t.Fatalf("confirm step: %+v", r)
	}
	if r := f.do(t, click(alice, routeDeleteKeep)); r.Content != msgDeleteKept {
		t.Fatalf("keep: %+v", r)
	}
	if r := f.do(t, click(alice, routeDeleteConfirm)); r.Content != msgDeleteDone {
		t.Fatalf("delete: %+v", r)
	}
	if r := f.do(t, click(alice, routeDeleteConfirm)); r.Content != msgDeleteNothing {
		t.Fatalf("second delete: %+v", r)
	}
	if ok, _ := f.store.ArePartners(context.Background(), alice.ID, bob.ID); ok {
		t.Fatal("link survived delete")
	}
}

func TestServerSetup(t *testing.T) {
	f := newFixture(t)
	admin := slash(alice, "server-setup", map[string]string{"resources": "Ping the mods in #support", "checkins": "false", "public_aftercare": "true"})
	admin.GuildID, admin.GuildInstalled, admin.Permissions = "42", true, permManageServer
	if r := f.do(t, admin); !strings.Contains(embedText(r.Embeds[0]), "> Ping the mods in #support") {
		t.Fatalf("setup: %+v", r)
	}
	member := admin
	member.Permissions = 0
	if r := f.do(t, member); r.Content != msgServerNeedsPermission {
		t.Fatalf("member: %+v", r)
	}
	dm := admin
	dm.GuildID = ""
	if r := f.do(t, dm); r.Content != msgServerOnly {
		t.Fatalf("dm: %+v", r)
	}
	notInstalled := admin
	notInstalled.GuildInstalled = false
	if r := f.do(t, notInstalled); r.Content != msgServerNotInstalled {
		t.Fatalf("not installed: %+v", r)
	}
	long := admin
	long.Options = map[string]string{"resources": strings.Repeat("r", 1001)}
	if r := f.do(t, long); !strings.Contains(r.Content, "1001 characters; the limit is 1000") {
		t.Fatalf("long: %+v", r)
	}
	// Resources show in red-flags and resources; public by default; check-ins off here.
	for _, topic := range []string{"red-flags", "resources"} {
		req := slash(bob, "aftercare", map[string]string{"topic": topic})
		req.GuildID = "42"
		r := f.do(t, req)
		if r.Ephemeral || !strings.Contains(embedText(r.Embeds[0]), "Ping the mods") {
			t.Fatalf("%s in server: %+v", topic, r)
		}
	}
	send := sub(bob, "checkin", "send", map[string]string{"partner": bob.ID})
	send.GuildID = "42"
	if r := f.do(t, send); r.Content != msgCheckinsOffHere {
		t.Fatalf("check-ins off: %+v", r)
	}
	if r := f.do(t, slash(bob, "about", nil)); !strings.Contains(r.Embeds[0].Description, issueTracker) {
		t.Fatalf("about: %+v", r)
	}
}

func TestExportTooLargeForDiscordIsRefusedKindly(t *testing.T) {
	f := newFixture(t)
	f.do(t, sub(alice, "checkin", "send", map[string]string{"partner": alice.ID, "note": strings.Repeat("n", 300)}))
	defer func(old int) { maxAttachment = old }(maxAttachment)
	maxAttachment = 200
	r := f.do(t, click(alice, routeExport))
	if len(r.Files) != 0 || !r.Ephemeral || !strings.Contains(r.Content, "larger than Discord lets me attach") {
		t.Fatalf("oversized export: %+v", r)
	}
}
