package bot

import (
	"sort"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// BenchmarkInteractionRoundTrip measures gateway dispatch to callback received, in process:
// the real discordgo session, the dispatcher and the router against the stand-in.
func BenchmarkInteractionRoundTrip(b *testing.B) {
	h := newHarness(b)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		i := h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "drop"))
		start := time.Now()
		h.invoke(i)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
