package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

// seedDue links `recipients` pairs and schedules n check-ins due one millisecond apart
// (oldest first, ending at `end`), spread round-robin over the pairs.
func seedDue(tb testing.TB, store *storage.DB, n, recipients int, end time.Time) {
	tb.Helper()
	ctx := context.Background()
	start := end.Add(-time.Duration(n) * time.Millisecond)
	byPair := make([][]storage.CheckIn, recipients)
	for i := range n {
		p := i % recipients
		byPair[p] = append(byPair[p], storage.CheckIn{SenderID: fmt.Sprintf("6%017d", p), RecipientID: fmt.Sprintf("7%017d", p),
			DueAt: start.Add(time.Duration(i) * time.Millisecond)})
	}
	for p, cs := range byPair {
		inv, err := store.CreateInvitation(ctx, cs[0].SenderID, cs[0].RecipientID, start.Add(-time.Hour), time.Hour*24, 0)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := store.AcceptInvitation(ctx, inv.ID, cs[0].RecipientID, start.Add(-time.Hour)); err != nil {
			tb.Fatal(err)
		}
		if _, err := store.ScheduleCheckIns(ctx, byPair[p], start.Add(-time.Hour), 0); err != nil {
			tb.Fatal(err)
		}
	}
}

// deliveredInOrder collects every check-in DM the stand-in holds, in the order it created
// them, and reports how many were out of due-time (that is, id) order.
func deliveredInOrder(srv *dt.Server, recipients int) (total, outOfOrder int, last time.Time) {
	var msgs []dt.Message
	for p := range recipients {
		for _, m := range srv.Messages(fmt.Sprintf("7%017d", p)) {
			if strings.HasPrefix(m.Nonce, "ag-ci-") {
				msgs = append(msgs, m)
			}
		}
	}
	// Message ids are snowflakes: their order is creation order.
	sortMessages(msgs)
	prev := int64(-1)
	for _, m := range msgs {
		id := parseBase36(strings.TrimPrefix(m.Nonce, "ag-ci-"))
		if id < prev {
			outOfOrder++
		}
		prev = id
		if m.Timestamp.After(last) {
			last = m.Timestamp
		}
	}
	return len(msgs), outOfOrder, last
}

func parseBase36(s string) int64 {
	var n int64
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n = n*36 + int64(r-'0')
		case r >= 'a' && r <= 'z':
			n = n*36 + int64(r-'a'+10)
		}
	}
	return n
}

func sortMessages(ms []dt.Message) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && snowflakeLess(ms[j].ID, ms[j-1].ID); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

func snowflakeLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// BenchmarkDeliveryThroughput delivers b.N check-ins that are all due at once through a
// stand-in allowing 50 requests a second, and reports the rate, the 429s seen and how many
// arrived out of due-time order. Run with -benchtime=10000x for the figure.
func BenchmarkDeliveryThroughput(b *testing.B) {
	const recipients = 500
	h := newHarness(b, withRateLimit(50))
	// Scheduled ahead, as check-ins are: the loop opens the DM channels while it waits.
	lead := time.Duration(min(recipients, b.N))*time.Second/dmRatePerSec + 10*time.Second // + seeding
	due := time.Now().Add(lead)
	seedDue(b, h.store, b.N, min(recipients, b.N), due)
	h.bot.delivery.Wake()
	time.Sleep(time.Until(due))
	b.ResetTimer()
	start := time.Now()
	deadline := start.Add(time.Duration(b.N)*time.Second/10 + time.Minute)
	for {
		next, ok, err := h.store.NextDue(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if (!ok || next.After(time.Now())) && !h.bot.delivery.busy.Load() {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("delivery did not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	total, outOfOrder, _ := deliveredInOrder(h.srv, min(recipients, b.N))
	if total != b.N {
		b.Fatalf("delivered %d of %d", total, b.N)
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "checkins/s")
	b.ReportMetric(float64(h.srv.RateLimited()), "429s")
	b.ReportMetric(float64(outOfOrder), "out-of-order")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkHundredDueAtOnce reports how late the last of 100 check-ins due at the same
// moment arrives (the issue asks for within 3 s).
func BenchmarkHundredDueAtOnce(b *testing.B) {
	for range b.N {
		b.StopTimer()
		h := newHarness(b, withRateLimit(50))
		due := time.Now().Add(5 * time.Second) // scheduled ahead, as check-ins are
		seedDue(b, h.store, 100, 100, due)
		h.bot.delivery.Wake()
		b.StartTimer()
		deadline := time.Now().Add(30 * time.Second)
		for {
			if n, _, _ := deliveredInOrder(h.srv, 100); n == 100 {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("not all delivered")
			}
			time.Sleep(5 * time.Millisecond)
		}
		b.StopTimer()
		_, _, last := deliveredInOrder(h.srv, 100)
		b.ReportMetric(last.Sub(due).Seconds(), "s-last-after-due")
		h.stop()
	}
}
