package bot

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/afterglow-bot/afterglow/commands"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// BenchmarkInteractionRoundTrip measures /aftercare in process: the real discordgo session,
// the dispatcher and the router against the stand-in. answer and roundtrip are as in the
// root package's BenchmarkEndToEnd.
func BenchmarkInteractionRoundTrip(b *testing.B) {
	h := newHarness(b)
	b.ReportAllocs()
	h.srv.TimeInvocations(b, func() dt.Interaction {
		return h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "drop"))
	})
}

// BenchmarkCallbackEncoding measures turning /aftercare's answer into the JSON body of its
// interaction callback: the bot's last step before the wire.
func BenchmarkCallbackEncoding(b *testing.B) {
	h := newHarness(b)
	req := commands.Request{Kind: commands.KindCommand, InteractionID: "1", GuildID: dt.DefaultGuildID, ChannelID: dt.DefaultChannelID,
		Caller: commands.User{ID: alice.ID, Name: alice.Username}, Command: "aftercare", Options: map[string]string{"topic": "drop"}}
	resp := h.bot.Router().Handle(context.Background(), req).Response
	if len(resp.Embeds) != 1 {
		b.Fatalf("no topic: %+v", resp)
	}
	b.ReportAllocs()
	for b.Loop() {
		cb, _ := toCallback(resp)
		if body, err := json.Marshal(cb); err != nil || len(body) < 1000 {
			b.Fatal(err, len(body))
		}
	}
}
