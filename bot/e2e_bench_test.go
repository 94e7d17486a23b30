package bot

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/commands"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// BenchmarkInteractionRoundTrip measures /aftercare in process: the real discordgo session,
// the dispatcher and the router against the stand-in. answer and roundtrip are as in the
// root package's BenchmarkEndToEnd.
func BenchmarkInteractionRoundTrip(b *testing.B) {
	h := newHarness(b)
	answer, roundtrip := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		i := h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "drop"))
		start := time.Now()
		h.invoke(i)
		roundtrip = append(roundtrip, time.Since(start))
		took, ok := h.srv.ResponseTime(i.ID)
		if !ok {
			b.Fatal("no response time")
		}
		answer = append(answer, took)
	}
	b.StopTimer()
	for name, d := range map[string][]time.Duration{"answer": answer, "roundtrip": roundtrip} {
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Microseconds()), name+"-p50-µs")
		b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), name+"-p99-µs")
	}
}

// BenchmarkCallbackEncoding measures turning /aftercare's answer into the JSON body of its
// interaction callback: the bot's last step before the wire.
func BenchmarkCallbackEncoding(b *testing.B) {
	h := newHarness(b)
	req := commands.Request{Kind: commands.KindCommand, InteractionID: "1", GuildID: dt.DefaultGuildID, ChannelID: dt.DefaultChannelID,
		Caller: commands.User{ID: alice.ID, Name: alice.Username}, Command: "aftercare", Options: map[string]string{"topic": "drop"}}
	resp := h.bot.Router().Handle(context.Background(), req)
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
