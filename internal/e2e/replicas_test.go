package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
	"github.com/afterglow-bot/afterglow/storage/pgtest"
)

// Replicas: several built binaries on one PostgreSQL database, with no gateway, each
// answering HTTP interactions on its own loopback port, all against one stand-in.

// postgresURL creates an empty database on the throwaway cluster the package shares (see
// TestMain) and returns its URL.
func postgresURL(tb testing.TB) string { return pgtest.NewDatabase(tb, "e2e") }

// openPostgres opens url beside the replicas with the tests' key.
func openPostgres(tb testing.TB, url string) *storage.DB {
	tb.Helper()
	key, _ := hex.DecodeString(e2eKey)
	db, err := storage.OpenPostgres(context.Background(), url, key)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// replica is one running binary of a set and its interactions endpoint.
type replica struct {
	*process
	base   string // http://host:port of its interactions endpoint
	killed bool
}

var servingRE = regexp.MustCompile(`msg="serving HTTP interactions" addr=(\S+)`)

// startReplicas starts n binaries on the database at url, one after another (the first
// migrates the database; each is up once it serves interactions), with env added.
func startReplicas(tb testing.TB, srv *dt.Server, url string, n int, env ...string) []*replica {
	tb.Helper()
	rs := make([]*replica, n)
	for i := range rs {
		p := startBinary(tb, srv, tb.TempDir(), append([]string{
			"AFTERGLOW_STORAGE_DRIVER=postgres", "AFTERGLOW_STORAGE_URL=" + url,
			"AFTERGLOW_STORAGE_ENCRYPTION_KEY=" + e2eKey,
			"AFTERGLOW_DISCORD_GATEWAY=false", "AFTERGLOW_DISCORD_PUBLIC_KEY=" + srv.PublicKey(),
			"AFTERGLOW_INTERACTIONS_LISTEN=127.0.0.1:0",
		}, env...)...)
		var addr []string
		if !dt.Eventually(20*time.Second, func() bool {
			addr = servingRE.FindStringSubmatch(p.out.String())
			return addr != nil
		}) {
			tb.Fatalf("replica %d never served interactions:\n%s", i, p.out)
		}
		rs[i] = &replica{process: p, base: "http://" + addr[1]}
	}
	return rs
}

// isSender says whether r is alive and says in its log that it is the sender now.
func (r *replica) isSender() bool {
	out := r.out.String()
	return !r.killed && strings.Count(out, "this process is now the sender") > strings.Count(out, "this process is no longer the sender")
}

// kill sends SIGKILL to r and waits until it is gone.
func (r *replica) kill(tb testing.TB) {
	tb.Helper()
	if err := r.cmd.Process.Kill(); err != nil {
		tb.Fatal(err)
	}
	<-r.done
	r.killed = true
}

// waitSender waits until exactly one live replica is the sender, and returns it.
func waitSender(tb testing.TB, rs []*replica) *replica {
	tb.Helper()
	var sender *replica
	if !dt.Eventually(15*time.Second, func() bool {
		sender = nil
		for _, r := range rs {
			if r.isSender() {
				if sender != nil {
					return false
				}
				sender = r
			}
		}
		return sender != nil
	}) {
		var logs strings.Builder
		for i, r := range rs {
			fmt.Fprintf(&logs, "--- replica %d (killed %v):\n%s\n", i, r.killed, r.out)
		}
		tb.Fatalf("no single sender among the live replicas\n%s", &logs)
	}
	return sender
}

// dmLog records when each check-in DM was created on the stand-in, in order, and can
// hold one inside its POST: stored, so its recipient has it, but not yet answered.
type dmLog struct {
	mu    sync.Mutex
	at    []time.Time
	holds map[int]dmHold // by DM number, from 1
}

// dmHold is one DM held inside its POST: held closes once it is, and the POST answers
// when release closes.
type dmHold struct{ held, release chan struct{} }

func watchCheckInDMs(srv *dt.Server) *dmLog {
	l := &dmLog{holds: map[int]dmHold{}}
	srv.OnMessageCreate(func(m dt.Message) {
		if !strings.HasPrefix(m.Nonce, "ag-ci-") {
			return
		}
		l.mu.Lock()
		l.at = append(l.at, time.Now())
		h, ok := l.holds[len(l.at)]
		l.mu.Unlock()
		if ok {
			close(h.held)
			<-h.release
		}
	})
	return l
}

func (l *dmLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.at)
}

// after returns when DM number n+1 was created, if it was.
func (l *dmLog) after(n int) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.at) <= n {
		return time.Time{}, false
	}
	return l.at[n], true
}

// holdAt holds DM number n inside its POST: held closes when it is stored, and its POST
// answers once release is called (at the latest when the test ends).
func (l *dmLog) holdAt(tb testing.TB, n int) (held <-chan struct{}, release func()) {
	h := dmHold{held: make(chan struct{}), release: make(chan struct{})}
	l.mu.Lock()
	l.holds[n] = h
	l.mu.Unlock()
	release = sync.OnceFunc(func() { close(h.release) })
	tb.Cleanup(release)
	return h.held, release
}

// TestReplicasSenderKilledTwiceDeliversEachCheckInOnce: three binaries on one PostgreSQL
// database, 1,000 check-ins due (seeded through storage with the tests' key, before the
// replicas start); the sender is killed with SIGKILL mid-delivery, DMs in flight, then
// the one that took over too. The last replica delivers the rest: every check-in arrives
// exactly once and every row ends sent. Each takeover (kill to the first DM from the new
// sender) is within the 5 s of the issue and logged.
func TestReplicasSenderKilledTwiceDeliversEachCheckInOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("three binaries and PostgreSQL; skipped with -short")
	}
	const pairs, perPair = 50, 20 // 50 channels: the stand-in allows 5 DMs a second in each
	const total = pairs * perPair
	srv := dt.New(t, dt.Options{Token: e2eToken})
	url := postgresURL(t)
	db := openPostgres(t, url)
	recipients := seedCheckInsIn(t, db, pairs, perPair)
	dms := watchCheckInDMs(srv)
	rs := startReplicas(t, srv, url, 3, "AFTERGLOW_LOG_LEVEL=info", "AFTERGLOW_CHECKINS_PER_PARTNER_PER_DAY=1000")

	for round, at := range []int{total / 5, total / 2} {
		sender := waitSender(t, rs)
		// Each kill finds a DM on the wire, stored but unanswered: the new sender must
		// resend it under its nonce, and the test sees whether that doubles it.
		held, release := dms.holdAt(t, at)
		select {
		case <-held:
		case <-time.After(30 * time.Second):
			t.Fatalf("after 30 s, %d check-in DMs of %d\n%s", dms.count(), at, sender.out)
		}
		killed := time.Now()
		sender.kill(t)
		release()
		next := waitSender(t, rs)
		// A DM the dead sender had on the wire before it died lands within milliseconds;
		// the new sender waits out the handover (seconds) before its first. Count from
		// the moment the new one says it is the sender.
		before := dms.count()
		var first time.Time
		eventually(t, 10*time.Second, next.process, "a DM from the new sender", func() bool {
			var ok bool
			first, ok = dms.after(before)
			return ok
		})
		took := first.Sub(killed)
		t.Logf("round %d: killed the sender after %d DMs; the next DM came %v later", round+1, before, took.Round(time.Millisecond))
		if took > 5*time.Second {
			t.Errorf("round %d: takeover took %v, want within 5 s", round+1, took)
		}
	}

	last := waitSender(t, rs)
	// Not eventually: a shortfall is reported below, with what arrived twice.
	dt.Eventually(60*time.Second, func() bool { return dms.count() >= total })
	requireEachOnce(t, srv, recipients, perPair, last.out)
	if resent := resentNonces(srv); resent == 0 {
		t.Error("no check-in was resent: the kills found none in flight, and exactly once went untested")
	} else {
		t.Logf("%d check-ins were sent again after a kill; the nonce kept each to one DM", resent)
	}
	// The rows: each sent, with its message id, once the last sender has recorded them.
	eventually(t, 10*time.Second, last.process, "every check-in recorded as sent", func() bool {
		for p := range pairs {
			cs, err := db.CheckInsFrom(context.Background(), seededSender(p), time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != perPair {
				t.Fatalf("pair %d: %d check-ins in the database, want %d", p, len(cs), perPair)
			}
			for _, c := range cs {
				if c.Status != storage.StatusSent || c.MessageID == "" {
					return false
				}
			}
		}
		return true
	})
}
