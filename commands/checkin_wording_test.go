package commands

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/content"
	"github.com/afterglow-bot/afterglow/storage"
)

// poolTexts collects a pool's prompts through the public API: consecutive ids walk the pool.
func poolTexts(lib *content.Library, pool content.PromptPool) []string {
	var out []string
	for id := range int64(64) {
		if p := lib.Prompt(pool, id); !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// Each kind of check-in draws its wording from its own pool, chosen by its id.
func TestCheckInDMPromptPools(t *testing.T) {
	f := newFixture(t)
	pools := map[content.PromptPool][]string{}
	for _, p := range []content.PromptPool{content.PoolPartner, content.PoolSelf, content.PoolFollowUp} {
		pools[p] = poolTexts(f.lib, p)
	}
	cases := []struct {
		name string
		ci   storage.CheckIn
		want content.PromptPool
	}{
		{"on a partner", storage.CheckIn{SenderID: alice.ID, RecipientID: bob.ID}, content.PoolPartner},
		{"to yourself", storage.CheckIn{SenderID: alice.ID, RecipientID: alice.ID}, content.PoolSelf},
		{"follow-up to yourself", storage.CheckIn{SenderID: alice.ID, RecipientID: alice.ID, ParentID: 1}, content.PoolSelf},
		{"follow-up on a partner", storage.CheckIn{SenderID: alice.ID, RecipientID: bob.ID, ParentID: 1}, content.PoolFollowUp},
	}
	for _, tc := range cases {
		for id := range int64(20) {
			tc.ci.ID = id + 2
			for _, late := range []bool{false, true} {
				msg, err := f.router.CheckInMessage(context.Background(), tc.ci, late)
				if err != nil {
					t.Fatal(err)
				}
				desc := msg.Embeds[0].Description
				if late {
					desc = strings.TrimPrefix(desc, f.lib.LatePrefix()+"\n\n")
				}
				prompt, _, _ := strings.Cut(desc, "\n")
				if prompt != f.lib.Prompt(tc.want, tc.ci.ID) {
					t.Errorf("%s, id %d: prompt %q, want %q", tc.name, tc.ci.ID, prompt, f.lib.Prompt(tc.want, tc.ci.ID))
				}
				for pool, texts := range pools {
					if pool != tc.want && slices.Contains(texts, prompt) {
						t.Errorf("%s, id %d: prompt %q comes from pool %v", tc.name, tc.ci.ID, prompt, pool)
					}
				}
			}
		}
	}
}

// The footer tells the recipient that no reply is needed, and how to stop.
func TestCheckInDMFooterSaysNoReplyNeededAndHowToStop(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other, err := f.router.CheckInMessage(ctx, storage.CheckIn{ID: 7, SenderID: alice.ID, RecipientID: bob.ID}, false)
	if err != nil {
		t.Fatal(err)
	}
	footer := strings.ToLower(other.Embeds[0].Footer)
	if !strings.Contains(footer, "no need to reply") || !strings.Contains(footer, strings.ToLower(msgLabelStop)) {
		t.Errorf("partner DM footer %q: want no need to reply, and the %q button", other.Embeds[0].Footer, msgLabelStop)
	}
	self, err := f.router.CheckInMessage(ctx, storage.CheckIn{ID: 7, SenderID: alice.ID, RecipientID: alice.ID}, false)
	if err != nil {
		t.Fatal(err)
	}
	footer = strings.ToLower(self.Embeds[0].Footer)
	if !strings.Contains(footer, "no need to reply") || !strings.Contains(footer, "/checkin cancel") {
		t.Errorf("self DM footer %q: want no need to reply, and /checkin cancel", self.Embeds[0].Footer)
	}
}

// guildCheckIn sends a check-in from alice to bob from a server and marks it delivered.
func (f *fixture) guildCheckIn(t *testing.T, guildID string) storage.CheckIn {
	t.Helper()
	f.link(t, alice, bob)
	req := sub(alice, "checkin", "send", map[string]string{"partner": bob.ID})
	req.GuildID, req.GuildInstalled = guildID, true
	if r := f.do(t, req); !strings.Contains(r.Content, "on its way") {
		t.Fatalf("send from a server: %q", r.Content)
	}
	ctx := context.Background()
	claimed, err := f.store.ClaimDue(ctx, f.now, time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].GuildID != guildID {
		t.Fatalf("claim: %v %+v", err, claimed)
	}
	if err := f.store.MarkSent(ctx, claimed[0].ID, "dm", "msg", false, f.now); err != nil {
		t.Fatal(err)
	}
	return claimed[0]
}

// The server's resources text is the admins' own words: in the recipient's DM it is quoted
// line by line, exactly, under a heading with the server's name, and the bot's own help
// line after it stays outside the quote.
func TestCheckInDMQuotesServerResourcesUnderItsName(t *testing.T) {
	const guild = "300000000000000001"
	resources := "Ask a mod in #support <@&42>\n\nOr call the line **pinned** above"
	for _, tc := range []struct {
		name, serverName, heading string
	}{
		{"known name", "Cozy *Corner*", "From the team of Cozy \\*Corner\\*:"},
		{"unknown name", "", msgServerHelp + ":"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			asked := ""
			f.router = NewRouter(Deps{Content: f.lib, Store: f.store, Clock: func() time.Time { return f.now }, DM: f.dms,
				GuildName: func(_ context.Context, id string) string { asked = id; return tc.serverName }})
			ctx := context.Background()
			if err := f.store.SaveGuildSettings(ctx, storage.GuildSettings{GuildID: guild, Resources: resources}); err != nil {
				t.Fatal(err)
			}
			ci := f.guildCheckIn(t, guild)
			r := f.do(t, click(bob, makeCustomID(routeAnswer, itoa(ci.ID), storage.AnswerCare)))
			if r.Type != Update || len(r.Embeds) != 2 {
				t.Fatalf("answer view: %+v", r)
			}
			if asked != guild {
				t.Errorf("server name asked for %q, want %q", asked, guild)
			}
			want := tc.heading + "\n> Ask a mod in #support <@&42>\n> \n> Or call the line **pinned** above\n\n" + msgAnswerHelp
			if desc := r.Embeds[1].Description; !strings.Contains(desc, want) {
				t.Errorf("answer view:\n%s\nwant it to contain:\n%s", desc, want)
			}
			checkResponseLimits(t, r)
		})
	}
}

// The /checkin send options say only what is known about drop, and advise discreet notes.
func TestCheckinOptionWording(t *testing.T) {
	f := newFixture(t)
	want := map[string]string{"followups": "when drop may come", "note": "discreet"}
	found := 0
	for _, d := range f.router.Definitions() {
		for _, sub := range d.Options {
			if d.Name != "checkin" || sub.Name != "send" {
				continue
			}
			for _, o := range sub.Options {
				if w, ok := want[o.Name]; ok {
					found++
					if !strings.Contains(o.Description, w) {
						t.Errorf("option %s: %q lacks %q", o.Name, o.Description, w)
					}
				}
			}
		}
	}
	if found != len(want) {
		t.Fatalf("found %d of the %d options", found, len(want))
	}
}

// Every answer storage accepts has its wording, and nothing else does.
func TestEveryAnswerHasItsWording(t *testing.T) {
	if len(answers) != len(storage.Answers()) {
		t.Errorf("wording for %d answers, storage knows %d", len(answers), len(storage.Answers()))
	}
	for _, a := range storage.Answers() {
		if w, ok := answers[a]; !ok || w.Label == "" || w.Emoji == "" {
			t.Errorf("answer %q has no wording", a)
		}
	}
}
