package bot

import (
	"net/http"
	"strings"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

// The bot on HTTP interactions alone, against the stand-in in its HTTP mode.

func (h *harness) interactionsURL(path string) string {
	return "http://" + h.bot.InteractionsAddr() + path
}

func TestHTTPInteractionsWithoutAGateway(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withHTTPInteractions)
	// Commands were registered over REST (newHarness waited for them), with no gateway.
	if n := h.srv.Identifies(); n != 0 {
		t.Fatalf("%d gateway connections with discord.gateway = false", n)
	}
	ping := []byte(`{"type":1,"id":"1","application_id":"` + dt.DefaultAppID + `","token":"t","version":1}`)
	status, body, err := h.srv.PostSigned(h.ctx, h.interactionsURL(interactionsPath), ping, h.now())
	if err != nil || status != http.StatusOK || string(body) != `{"type":1}` {
		t.Fatalf("PING: %d %q %v", status, body, err)
	}
	// A request recorded and sent again more than 5 minutes later is refused.
	sent := h.now()
	h.clock.Advance(5*time.Minute + time.Second)
	if status, _, _ := h.srv.PostSigned(h.ctx, h.interactionsURL(interactionsPath), ping, sent); status != http.StatusUnauthorized {
		t.Fatalf("replayed PING: %d, want 401", status)
	}
	if status, _ := h.srv.SendEvent(h.ctx, h.interactionsURL(eventsPath), "", nil); status != http.StatusNoContent {
		t.Fatalf("webhook event PING: %d, want 204", status)
	}
	// The answer travels in the HTTP response: no callback by REST.
	cb := h.reply(h.srv.SlashCommand(alice, dm, "aftercare", dt.StringOption("topic", "drop")))
	if cb.Type != dt.CallbackMessage || len(cb.Embeds) != 1 || !cb.Ephemeral() {
		t.Fatalf("aftercare over HTTP: %+v", cb)
	}
	if rest := h.srv.RequestsTo("POST /interactions/*/*/callback"); len(rest) != 0 {
		t.Fatalf("%d callbacks by REST; the HTTP response should carry the answer", len(rest))
	}
	// /healthz does not wait for a gateway that is off.
	if !h.bot.connected() {
		t.Fatal("health reports no connection with the gateway off")
	}
}

func TestApplicationDeauthorizedEndsLinksQuietly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withHTTPInteractions)
	h.linkPartners(alice, bob)
	h.linkPartners(carol, alice)
	h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob), dt.StringOption("in", "1h"))))
	h.reply(h.srv.SlashCommand(carol, dm, "checkin", dt.SubCommand("send", dt.UserOption("partner", alice), dt.StringOption("in", "2h"))))
	before := map[string]int{}
	for _, u := range []dt.User{alice, bob, carol} {
		before[u.ID] = len(h.srv.Messages(u.ID))
	}

	status, err := h.srv.Deauthorize(h.ctx, h.interactionsURL(eventsPath), alice)
	if err != nil || status != http.StatusNoContent {
		t.Fatalf("APPLICATION_DEAUTHORIZED: %d %v", status, err)
	}
	for _, other := range []dt.User{bob, carol} {
		if ok, err := h.store.ArePartners(h.ctx, alice.ID, other.ID); err != nil || ok {
			t.Fatalf("alice and %s still linked (%v)", other.Username, err)
		}
	}
	for _, sender := range []dt.User{alice, carol} {
		cs, err := h.store.CheckInsFrom(h.ctx, sender.ID, time.Time{})
		if err != nil || len(cs) != 1 || cs[0].Status != storage.StatusCancelled {
			t.Fatalf("check-ins from %s: %+v %v", sender.Username, cs, err)
		}
	}
	// Their time comes and goes: nobody gets a DM, about the check-ins or the leaving.
	h.clock.Advance(3 * time.Hour)
	h.bot.delivery.Wake()
	h.waitIdle()
	h.reply(h.srv.SlashCommand(bob, guild, "aftercare")) // one more round trip through the bot
	for _, u := range []dt.User{alice, bob, carol} {
		if got := len(h.srv.Messages(u.ID)); got != before[u.ID] {
			t.Errorf("%s got %d new messages after alice left", u.Username, got-before[u.ID])
		}
	}
	// Bob's view says so plainly: no partners.
	if cb := h.reply(h.srv.SlashCommand(bob, dm, "partner", dt.SubCommand("list"))); strings.Contains(string(cb.Raw), alice.ID) {
		t.Fatalf("bob's list still names alice: %s", cb.Raw)
	}
}
