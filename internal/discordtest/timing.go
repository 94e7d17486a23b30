package discordtest

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TimeInvocations invokes b.N interactions made by next, one after another, and reports
// the median and 99th percentile of two times in microseconds: "answer", Discord's view
// (ResponseTime), and "roundtrip", the caller's, which adds the stand-in checking and
// recording each callback and the caller waking up.
func (s *Server) TimeInvocations(b *testing.B, next func() Interaction) {
	b.Helper()
	ctx := context.Background()
	answer, roundtrip := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		i := next()
		start := time.Now()
		if _, err := s.Invoke(ctx, i); err != nil {
			b.Fatal(err)
		}
		roundtrip = append(roundtrip, time.Since(start))
		took, ok := s.ResponseTime(i.ID)
		if !ok {
			b.Fatal("discordtest: no response time for interaction " + i.ID)
		}
		answer = append(answer, took)
	}
	b.StopTimer()
	reportPercentiles(b, "answer", answer)
	reportPercentiles(b, "roundtrip", roundtrip)
}

// reportPercentiles reports the median and the 99th percentile of d in microseconds.
func reportPercentiles(b *testing.B, name string, d []time.Duration) {
	slices.Sort(d)
	at := func(p float64) float64 { return float64(d[int(float64(len(d)-1)*p)].Microseconds()) }
	b.ReportMetric(at(0.50), name+"-p50-µs")
	b.ReportMetric(at(0.99), name+"-p99-µs")
}
