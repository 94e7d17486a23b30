package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

// seedPending stores n pending check-ins due next week, for one linked pair.
func seedPending(b *testing.B, dbPath string, n int) {
	b.Helper()
	ctx := context.Background()
	db := openE2EDB(b, dbPath)
	defer db.Close()
	now := time.Now().UTC()
	linkPair(b, db, "800000000000000001", "800000000000000002", now)
	const batch = 100_000
	for done := 0; done < n; done += batch {
		cs := make([]storage.CheckIn, min(batch, n-done))
		for i := range cs {
			cs[i] = storage.CheckIn{SenderID: "800000000000000001", RecipientID: "800000000000000002",
				DueAt: now.Add(6*24*time.Hour + time.Duration(done+i)*time.Millisecond)}
		}
		if _, err := db.ScheduleCheckIns(ctx, cs, now, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// rssKiB reads a process's resident set size from /proc.
func rssKiB(pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return -1
}

// BenchmarkStartup measures, for an empty database and one with a million pending
// check-ins: process start to gateway IDENTIFY (the database opened and checked, leases
// released), and the resident memory once idle.
func BenchmarkStartup(b *testing.B) {
	for _, pending := range []int{0, 1_000_000} {
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			dir := b.TempDir()
			seedPending(b, filepath.Join(dir, "afterglow.db"), pending)
			var total time.Duration
			var rss int
			b.ResetTimer()
			for range b.N {
				srv := dt.New(b, dt.Options{Token: e2eToken})
				start := time.Now()
				p := startBinary(b, srv, dir, "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey, "AFTERGLOW_LOG_LEVEL=warn")
				if err := srv.WaitIdentifies(context.Background(), 1); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
				b.StopTimer()
				if err := srv.WaitReady(context.Background()); err != nil { // commands are registered once: no waitUp
					b.Fatal(err)
				}
				time.Sleep(2 * time.Second) // let start-up work (purge, lease release) finish
				rss = max(rss, rssKiB(p.cmd.Process.Pid))
				p.stop(b)
				srv.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-identify")
			b.ReportMetric(float64(rss)/1024, "MiB-RSS")
			b.ReportMetric(0, "ns/op")
		})
	}
}
