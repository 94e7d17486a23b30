package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

// seedCheckIns links pairs of users and schedules perPair check-ins for each pair, due
// now, interleaved across pairs as real traffic would be.
func seedCheckIns(t *testing.T, dbPath string, pairs, perPair int) []string {
	t.Helper()
	db := openE2EDB(t, dbPath)
	defer db.Close()
	return seedCheckInsIn(t, db, pairs, perPair)
}

// seedCheckInsIn is seedCheckIns on an open database, of either driver.
func seedCheckInsIn(t *testing.T, db *storage.DB, pairs, perPair int) []string {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	recipients := make([]string, pairs)
	for p := range pairs {
		recipients[p] = seededRecipient(p)
		linkPair(t, db, seededSender(p), recipients[p], now)
	}
	for range perPair {
		for p := range pairs {
			c := storage.CheckIn{SenderID: seededSender(p), RecipientID: recipients[p], DueAt: now}
			if _, err := db.ScheduleCheckIns(ctx, []storage.CheckIn{c}, now, perPair); err != nil {
				t.Fatal(err)
			}
		}
	}
	return recipients
}

// openE2EDB opens a binary test's database, beside the running binary or after it, with
// the tests' key.
func openE2EDB(tb testing.TB, path string) *storage.DB {
	tb.Helper()
	key, _ := hex.DecodeString(e2eKey)
	db, err := storage.Open(context.Background(), path, key)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// linkPair makes two users partners the way the bot does: an invitation, accepted.
func linkPair(tb testing.TB, db *storage.DB, inviter, invitee string, now time.Time) {
	tb.Helper()
	ctx := context.Background()
	inv, err := db.CreateInvitation(ctx, inviter, invitee, now, time.Hour, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.AcceptInvitation(ctx, inv.ID, invitee, now); err != nil {
		tb.Fatal(err)
	}
}

// seededSender and seededRecipient are the two users of seeded pair p.
func seededSender(p int) string    { return fmt.Sprintf("3%017d", p) }
func seededRecipient(p int) string { return fmt.Sprintf("4%017d", p) }

// checkInDMs counts, over all recipients, the check-in messages the stand-in created and
// the distinct nonces among them.
func checkInDMs(srv *dt.Server, recipients []string) (messages int, nonces map[string]int) {
	nonces = map[string]int{}
	for _, r := range recipients {
		for _, m := range srv.Messages(r) {
			if strings.HasPrefix(m.Nonce, "ag-ci-") {
				messages++
				nonces[m.Nonce]++
			}
		}
	}
	return messages, nonces
}

// TestBinaryKilledRepeatedlyDeliversEachCheckInOnce kills the binary with SIGKILL at random
// moments while 500 check-ins are due, five times, then lets it finish: every check-in
// arrives exactly once (the stand-in enforces nonces like Discord and counts messages).
func TestBinaryKilledRepeatedlyDeliversEachCheckInOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills and restarts the binary; skipped with -short")
	}
	const pairs, perPair = 50, 10
	srv := dt.New(t, dt.Options{Token: e2eToken})
	dir := t.TempDir()
	recipients := seedCheckIns(t, filepath.Join(dir, "afterglow.db"), pairs, perPair)
	env := []string{"AFTERGLOW_STORAGE_ENCRYPTION_KEY=" + e2eKey, "AFTERGLOW_LOG_LEVEL=info"}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for round := range 5 {
		p := startBinary(t, srv, dir, env...)
		waitUp(t, srv, p)
		time.Sleep(time.Duration(50+rng.IntN(1500)) * time.Millisecond) // a random moment mid-delivery
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.done
		n, _ := checkInDMs(srv, recipients)
		t.Logf("round %d: killed with %d check-ins delivered", round+1, n)
	}
	p := startBinary(t, srv, dir, env...)
	// Not eventually: a shortfall is reported below, with what arrived twice.
	dt.Eventually(90*time.Second, func() bool { n, _ := checkInDMs(srv, recipients); return n >= pairs*perPair })
	if err, _ := p.stop(t); err != nil {
		t.Fatalf("final run: %v\n%s", err, p.out)
	}
	requireEachOnce(t, srv, recipients, perPair, p.out)
	db := openE2EDB(t, filepath.Join(dir, "afterglow.db"))
	defer db.Close()
	for p := range pairs {
		cs, err := db.CheckInsFrom(context.Background(), seededSender(p), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Status != storage.StatusSent || c.MessageID == "" {
				t.Fatalf("check-in %d ended %s (message %q)", c.ID, c.Status, c.MessageID)
			}
		}
	}
	if res, err := db.IntegrityCheck(context.Background()); err != nil || res != "ok" {
		t.Fatalf("integrity: %v %s", err, res)
	}
}

// requireEachOnce checks that every recipient got exactly perRecipient check-in DMs, each
// under its own nonce, posted once: nothing lost, nothing doubled. out is the log to show.
func requireEachOnce(t *testing.T, srv *dt.Server, recipients []string, perRecipient int, out fmt.Stringer) {
	t.Helper()
	total := len(recipients) * perRecipient
	n, nonces := checkInDMs(srv, recipients)
	if n != total || len(nonces) != total {
		t.Fatalf("%d check-in messages with %d distinct nonces, want %d of each\n%s", n, len(nonces), total, out)
	}
	for nonce, c := range nonces {
		if c != 1 {
			t.Fatalf("nonce %s posted %d times", nonce, c)
		}
	}
	for _, r := range recipients {
		if got := len(srv.Messages(r)); got != perRecipient {
			t.Fatalf("recipient %s got %d messages, want %d", r, got, perRecipient)
		}
	}
}
