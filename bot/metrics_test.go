package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/afterglow-bot/afterglow/commands"
	"github.com/afterglow-bot/afterglow/content"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// A custom_id a client made up never becomes a metric label, however well it looks like
// one of ours: only the routes the router answers do.
func TestMetricLabelsOnlyFromRoutesTheRouterKnows(t *testing.T) {
	t.Parallel()
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
	for _, id := range []string{"ac1:home", "ac1:topic", "ci1:answer:1:good", "ci1:wordsm:1", "pt1:remove:2", "pl1:share:on", "pv1:export"} {
		route := strings.Join(strings.SplitN(id, ":", 3)[:2], ":")
		if got := nameLabel(routed(t, commands.Request{Kind: commands.KindComponent, CustomID: id})); got != route {
			t.Errorf("label of known route %q = %q", id, got)
		}
	}
}

// routed is req as the router's chain sees it, with the route the router found; no handler
// runs.
func routed(t testing.TB, req commands.Request) commands.Request {
	t.Helper()
	r := commands.NewRouter(commands.Deps{Content: content.MustLoad()})
	var seen commands.Request
	r.Use(func(commands.Handler) commands.Handler {
		return func(_ context.Context, req commands.Request) commands.Result {
			seen = req
			return commands.Result{}
		}
	})
	r.Handle(context.Background(), req)
	return seen
}
