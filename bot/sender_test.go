package bot

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
	"github.com/afterglow-bot/afterglow/storage/pgtest"
)

func TestMain(m *testing.M) {
	dt.AllowParallel(8)
	code := m.Run()
	pgtest.StopShared() // the cluster the PostgreSQL tests started, if any
	os.Exit(code)
}

// pgDatabase is the URL of a new empty database on the test binary's throwaway cluster.
func pgDatabase(t *testing.T) string { return pgtest.NewDatabase(t, "bot") }

// gatheredValue reads the value of the metric name (with label outcome=outcome, when given)
// from h's metrics; ok is false when there is none.
func gatheredValue(t testing.TB, h *harness, name, outcome string) (v float64, ok bool) {
	t.Helper()
	families, err := h.bot.metrics.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if outcome != "" {
				found := false
				for _, l := range m.GetLabel() {
					found = found || (l.GetName() == "outcome" && l.GetValue() == outcome)
				}
				if !found {
					continue
				}
				return m.GetCounter().GetValue(), true
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// senderGauge reads afterglow_sender_active from h's metrics: 1 while h's bot is the
// sender. A missing gauge fails the test.
func senderGauge(t testing.TB, h *harness) float64 {
	t.Helper()
	v, ok := gatheredValue(t, h, "afterglow_sender_active", "")
	if !ok {
		t.Fatal("no afterglow_sender_active metric")
	}
	return v
}

// waitSender waits (real time, at most limit) until h's gauge says want, and returns how
// long that took.
func waitSender(t testing.TB, h *harness, want bool, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for (senderGauge(t, h) == 1) != want {
		if time.Since(start) > limit {
			t.Fatalf("sender_active did not become %v within %s", want, limit)
		}
		time.Sleep(5 * time.Millisecond) // polls the election; no schedule of the bot depends on it
	}
	return time.Since(start)
}

// sentCount is how many check-ins h's own bot delivered.
func sentCount(h *harness) float64 {
	v, _ := gatheredValue(h.t, h, "afterglow_checkins_total", string(storage.StatusSent))
	return v
}

// linkInStore makes a and b partners directly in the database.
func linkInStore(t testing.TB, store *storage.DB, a, b dt.User, now time.Time) {
	t.Helper()
	ctx := context.Background()
	inv, err := store.CreateInvitation(ctx, a.ID, b.ID, now, time.Hour, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.AcceptInvitation(ctx, inv.ID, b.ID, now); err != nil {
		t.Fatal(err)
	}
}

// terminateBackends ends, from the server's side, every session of the client connected
// as appName: what PostgreSQL sees when that process is killed with SIGKILL (its TCP
// connections close at once), so its session locks are released.
func terminateBackends(t testing.TB, url, appName string) int {
	t.Helper()
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRow("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", appName).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOneSenderAndTakeoverMidBatchDeliversEachCheckInOnce(t *testing.T) {
	url := pgDatabase(t)
	a := newHarness(t, withHTTPInteractions, withPostgres(url+"&application_name=replica_a"))
	waitSender(t, a, true, 5*time.Second)
	b := a.replica(url + "&application_name=replica_b")
	ctx := context.Background()

	// 50 check-ins to 10 recipients: Discord limits each DM channel to 5 messages a second.
	now := a.now()
	var recipients []dt.User
	for i := range 10 {
		r := dt.User{ID: fmt.Sprintf("3000000000000001%02d", i), Username: fmt.Sprintf("r%d", i)}
		recipients = append(recipients, r)
		linkInStore(t, a.store, alice, r, now.Add(-time.Minute))
	}
	const n = 50
	var scheduled []storage.CheckIn
	for _, r := range recipients {
		var batch []storage.CheckIn
		for range n / len(recipients) {
			batch = append(batch, storage.CheckIn{SenderID: alice.ID, RecipientID: r.ID, DueAt: now})
		}
		cs, err := b.store.ScheduleCheckIns(ctx, batch, now, 0)
		if err != nil {
			t.Fatal(err)
		}
		scheduled = append(scheduled, cs...)
	}
	dms := func() []dt.Message {
		var all []dt.Message
		for _, r := range recipients {
			all = append(all, a.botDMs(r)...)
		}
		return all
	}
	b.bot.checkInsScheduled() // scheduled on the replica that is not the sender: it must wake a

	// On the real clock: the retries of what a's end disturbs must come due by themselves.
	// Mid-batch, a "dies" as with kill -9: every one of its database sessions is ended from
	// the server's side (the lock goes with its session), and at the same moment its Run is
	// cancelled, which aborts its sends in flight; it never releases the lock itself.
	deadline := time.Now().Add(10 * time.Second)
	for len(dms()) < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("a delivered %d check-ins in 10 s", len(dms()))
		}
		time.Sleep(time.Millisecond) // polls the stand-in's record
	}
	if senderGauge(t, b) != 0 || sentCount(b) != 0 {
		t.Fatalf("b delivered %v check-ins (sender_active %v) while a was the sender", sentCount(b), senderGauge(t, b))
	}
	killedAt := time.Now()
	if terminateBackends(t, url, "replica_a") == 0 {
		t.Fatal("a had no session to end")
	}
	a.cancel()
	takeover := waitSender(t, b, true, 5*time.Second)
	waitSender(t, a, false, 5*time.Second)
	t.Logf("takeover: b became the sender %s after a's sessions ended (a had sent %d of %d)", takeover.Round(time.Millisecond), int(sentCount(a)), n)

	for sentCount(b) == 0 {
		if time.Since(killedAt) > 5*time.Second {
			t.Fatal("b delivered nothing within 5 s of a's death")
		}
		time.Sleep(5 * time.Millisecond) // polls b's metrics
	}
	t.Logf("b's first delivery %s after a's sessions ended (after its %s handover wait)", time.Since(killedAt).Round(time.Millisecond), senderHandover)
	for _, c := range scheduled {
		for {
			got, err := b.store.CheckIn(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status == storage.StatusSent {
				break
			}
			if time.Since(killedAt) > 15*time.Second {
				t.Fatalf("check-in %d is %s 15 s after the takeover", c.ID, got.Status)
			}
			time.Sleep(5 * time.Millisecond) // polls the database
		}
	}
	t.Logf("every check-in sent %s after a's sessions ended", time.Since(killedAt).Round(time.Millisecond))
	// Exactly once, as the recipients see it: one DM per check-in, to its recipient, under its nonce.
	perNonce := map[string]int{}
	for _, m := range dms() {
		perNonce[m.ChannelID+" "+m.Nonce]++
	}
	for _, c := range scheduled {
		ch, _ := a.bot.dmChannelRaw(ctx, c.RecipientID)
		if got := perNonce[ch+" "+checkInNonce(c.ID)]; got != 1 {
			t.Errorf("check-in %d: its recipient got %d DMs", c.ID, got)
		}
	}
	if len(perNonce) != n || len(dms()) != n {
		t.Errorf("%d DMs under %d nonces, want %d", len(dms()), len(perNonce), n)
	}
	posts := len(a.srv.RequestsTo("POST /channels/*/messages"))
	t.Logf("%d POSTs for %d check-ins (a repeat is answered by the nonce with the first message); a sent %v, b sent %v",
		posts, n, sentCount(a), sentCount(b))
	if sentCount(b) == 0 {
		t.Error("b delivered nothing after the takeover")
	}
}

func TestCheckInScheduledOnAnotherReplicaWakesTheSender(t *testing.T) {
	url := pgDatabase(t)
	sender := newHarness(t, withHTTPInteractions, withHTTP, withPostgres(url))
	waitSender(t, sender, true, 5*time.Second)
	sender.waitIdle()           // asleep until the idle recheck, an hour away
	other := sender.replica("") // interactions now reach this replica
	linkInStore(t, other.store, alice, bob, other.now().Add(-time.Minute))

	cb := other.reply(other.srv.SlashCommand(alice, dm, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob))))
	if !strings.Contains(strings.ToLower(cb.Content), "check-in") {
		t.Fatalf("/checkin send: %q", cb.Content)
	}
	// No clock moves and nobody wakes the sender's loop here: only the notification can.
	deadline := time.Now().Add(3 * time.Second)
	for len(sender.botDMs(bob)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the sender did not deliver a check-in scheduled on another replica within 3 s")
		}
		time.Sleep(2 * time.Millisecond) // polls the stand-in's record
	}
	if senderGauge(t, other) != 0 || sentCount(other) != 0 {
		t.Fatalf("the replica that is not the sender delivered %v", sentCount(other))
	}
	// Delivery elsewhere is fine: the replica that is not the sender is healthy, and its
	// /metrics says it is not the sender.
	if status, body := other.get("/healthz"); status != 200 {
		t.Fatalf("/healthz on the replica that is not the sender: %d %q", status, body)
	}
	other.waitMetric("afterglow_sender_active", 0)
	sender.waitMetric("afterglow_sender_active", 1)
}

// TestSenderThatLosesItsLockStopsDelivering: a sender whose lock's session ends while it
// keeps running (cut off, or its session killed on the server) must stop delivering once
// its check fails, since another process may hold the lock by then; here one does.
func TestSenderThatLosesItsLockStopsDelivering(t *testing.T) {
	url := pgDatabase(t)
	a := newHarness(t, withHTTPInteractions, withPostgres(url+"&application_name=replica_a"))
	waitSender(t, a, true, 5*time.Second)
	linkInStore(t, a.store, alice, bob, a.now().Add(-time.Minute))

	// Another process takes the lock the moment a's session ends.
	rival, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer rival.Close()
	conn, err := rival.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	lostAt := time.Now()
	terminateBackends(t, url, "replica_a")
	for held := false; !held; {
		if err := conn.QueryRowContext(context.Background(), "SELECT pg_try_advisory_lock(hashtext(current_schema()), 2)").Scan(&held); err != nil {
			t.Fatal(err)
		}
		if time.Since(lostAt) > 5*time.Second {
			t.Fatal("the lock was not freed when a's session ended")
		}
	}
	// The gauge drops only once a's delivery loop has returned.
	stopped := waitSender(t, a, false, 3*time.Second)
	t.Logf("a stopped being the sender %s after its session ended", stopped.Round(time.Millisecond))
}
