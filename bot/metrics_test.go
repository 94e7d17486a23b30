package bot

import (
	"slices"
	"strings"
	"testing"

	"github.com/afterglow-bot/afterglow/commands"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// A custom_id a client made up never becomes a metric label, however well it looks like
// one of ours: only the routes the router answers do.
func TestMetricLabelsOnlyFromRoutesTheRouterKnows(t *testing.T) {
	h := newHarness(t, withHTTP)
	shown := h.reply(h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "massage")))
	h.reply(h.srv.Click(alice, guild, shown.Message(), "ac1:home"))
	// Well-shaped and the first of its kind, as a modified client can send: still made up.
	for _, id := range []string{"ac1:forged", "zz1:madeup:1"} {
		forged := shown.Message()
		forged.Components = []dt.Component{{Type: 1, Components: []dt.Component{{Type: 2, Style: 1, Label: "x", CustomID: id}}}}
		h.reply(h.srv.Click(alice, guild, forged, id))
	}
	_, body := h.get("/metrics")
	for sample, want := range map[string]float64{
		`afterglow_interactions_total{command="ac1:home",kind="component",outcome="ok"}`: 1,
		`afterglow_interactions_total{command="unknown",kind="component",outcome="ok"}`:  2,
	} {
		if v, ok := metricValue(body, sample); !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", sample, v, ok, want)
		}
	}
	for _, madeUp := range []string{"ac1:forged", "zz1:madeup"} {
		if strings.Contains(body, madeUp) {
			t.Errorf("the metrics hold the made-up route %q", madeUp)
		}
	}

	// Every route the router answers is a label of its own.
	m := h.bot.metrics
	routes := h.bot.router.Routes()
	if !slices.Contains(routes, answerRoute) || !slices.Contains(routes, "ci1:wordsm") {
		t.Fatalf("the router lists routes %q", routes)
	}
	for _, route := range routes {
		if got := m.nameLabel(commands.Request{Kind: commands.KindComponent, CustomID: route + ":1"}); got != route {
			t.Errorf("label of known route %q = %q", route, got)
		}
	}
}
