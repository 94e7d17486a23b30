package e2e

// Fault injection: the built binary against the stand-in while the gateway, Discord's REST
// API, the process itself and the database misbehave. Every scenario in which the bot runs
// ends with the same check (faultRig.verify): each check-in delivered exactly once or
// reported to its sender, no DM to anyone outside a linked pair, and a database that
// passes its integrity check.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/commands"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

// messagesRoute is where every DM is posted.
const messagesRoute = "POST /channels/*/messages"

// faultRig is one afterglow under test: a stand-in, and a data directory whose database
// holds linked pairs (seedCheckIns) with check-ins due now. Only seeded pairs are linked,
// so a check-in DM to anyone else is a failure.
type faultRig struct {
	t      *testing.T
	srv    *dt.Server
	dir    string
	pairs  int
	env    []string
	closed map[string]bool // recipients whose DMs are closed to the bot
}

func newFaultRig(t *testing.T, opts dt.Options, pairs, perPair int, env ...string) *faultRig {
	t.Helper()
	return newFaultRigIn(t, t.TempDir(), opts, pairs, perPair, env...)
}

// newFaultRigIn is newFaultRig with its data directory in dir.
func newFaultRigIn(t *testing.T, dir string, opts dt.Options, pairs, perPair int, env ...string) *faultRig {
	t.Helper()
	opts.Token = e2eToken
	r := &faultRig{t: t, srv: dt.New(t, opts), dir: dir, pairs: pairs, closed: map[string]bool{}}
	seedCheckIns(t, r.dbPath(), pairs, perPair)
	// The seeded check-ins count against the daily limit; scenarios that schedule more
	// through /checkin send lower it again where they mean to.
	r.env = append([]string{"AFTERGLOW_STORAGE_ENCRYPTION_KEY=" + e2eKey, "AFTERGLOW_LOG_LEVEL=info",
		"AFTERGLOW_CHECKINS_PER_PARTNER_PER_DAY=1000"}, env...)
	return r
}

func (r *faultRig) dbPath() string { return filepath.Join(r.dir, "afterglow.db") }

// start runs the binary and waits until this process, not an earlier one, is connected
// and the commands are registered.
func (r *faultRig) start() *process {
	r.t.Helper()
	before := r.srv.Identifies()
	p := startBinary(r.t, r.srv, r.dir, r.env...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.srv.WaitIdentifies(ctx, before+1); err != nil {
		r.t.Fatalf("afterglow never identified: %v\n%s", err, p.out)
	}
	waitUp(r.t, r.srv, p)
	return p
}

// closeDMs makes the stand-in refuse DMs to pair p's recipient (50007).
func (r *faultRig) closeDMs(p int) {
	r.closed[seededRecipient(p)] = true
	r.srv.CloseDMs(seededRecipient(p))
}

// delivered counts the check-in DMs the stand-in holds for the seeded recipients.
func (r *faultRig) delivered() int {
	n, _ := checkInDMs(r.srv, r.recipients())
	return n
}

func (r *faultRig) recipients() []string {
	out := make([]string, r.pairs)
	for p := range out {
		out[p] = seededRecipient(p)
	}
	return out
}

// command is pair p's sender using a slash command in their DM with the bot.
func (r *faultRig) command(p int, name string, opts ...dt.Option) dt.Interaction {
	return r.srv.SlashCommand(dt.User{ID: seededSender(p), Username: fmt.Sprintf("sender%d", p)}, dt.Where{DM: true}, name, opts...)
}

// checkinSendCommand is pair p's sender asking for a check-in to their partner.
func (r *faultRig) checkinSendCommand(p int, opts ...dt.Option) dt.Interaction {
	partner := dt.User{ID: seededRecipient(p), Username: fmt.Sprintf("partner%d", p)}
	return r.command(p, "checkin", dt.SubCommand("send", append([]dt.Option{dt.UserOption("partner", partner)}, opts...)...))
}

// checkinSend sends checkinSendCommand and returns the bot's first answer.
func (r *faultRig) checkinSend(ctx context.Context, p int, in string) (dt.Callback, error) {
	return r.srv.Invoke(ctx, r.checkinSendCommand(p, dt.StringOption("in", in)))
}

// scheduledID is the check-in a /checkin send reply confirmed (its cancel button), or 0.
func scheduledID(c dt.Callback) int64 {
	for _, id := range c.CustomIDs() {
		if rest, ok := strings.CutPrefix(id, "ci1:cancel:"); ok {
			n, _ := strconv.ParseInt(rest, 10, 64)
			return n
		}
	}
	return 0
}

// eventually polls cond on the stand-in's records until it holds, or fails the test
// after within with what the binary logged.
func eventually(t *testing.T, within time.Duration, p *process, what string, cond func() bool) {
	t.Helper()
	if !dt.Eventually(within, cond) {
		t.Fatalf("after %v still waiting for %s\n%s", within, what, p.out)
	}
}

// waitDMs waits until the seeded recipients hold at least n check-in DMs: delivery is under way.
func (r *faultRig) waitDMs(p *process, n int) {
	r.t.Helper()
	eventually(r.t, 20*time.Second, p, fmt.Sprintf("%d check-in DMs", n), func() bool { return r.delivered() >= n })
}

// waitSettled waits until the database holds want check-ins and each has its outcome
// recorded: none waiting or being sent, and the sender of every one not sent told. A DM on
// the stand-in is not enough: a send that timed out on the client is there before the bot
// knows. The database is read beside the running bot, as WAL allows.
func (r *faultRig) waitSettled(p *process, want int, within time.Duration) {
	r.t.Helper()
	db := openE2EDB(r.t, r.dbPath())
	defer db.Close()
	eventually(r.t, within, p, fmt.Sprintf("%d check-ins with their outcome recorded", want), func() bool {
		cs := r.checkIns(db)
		for _, c := range cs {
			if c.Status == storage.StatusPending || c.Status == storage.StatusSending || (c.Status != storage.StatusSent && !c.SenderNotified) {
				return false
			}
		}
		return len(cs) == want
	})
}

// stopCleanly sends SIGTERM and requires exit status 0 within 5 s.
func stopCleanly(t *testing.T, p *process) {
	t.Helper()
	err, took := p.stop(t)
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.out)
	}
	if took > 5*time.Second {
		t.Fatalf("took %v to exit after SIGTERM", took)
	}
}

// checkIns lists every check-in of the seeded pairs.
func (r *faultRig) checkIns(db *storage.DB) []storage.CheckIn {
	r.t.Helper()
	var all []storage.CheckIn
	for p := range r.pairs {
		cs, err := db.CheckInsFrom(context.Background(), seededSender(p), time.Time{})
		if err != nil {
			r.t.Fatal(err)
		}
		all = append(all, cs...)
	}
	return all
}

// verify checks, with the binary stopped, what every scenario must leave behind: each
// check-in in the database sent exactly once (one DM under its nonce, and the row holding
// that message's id) or, for a recipient with closed DMs, undeliverable with its sender
// told by one DM that names the recipient; no DM to anyone outside the seeded pairs and no
// check-in DM to a sender; a database that passes its integrity check. It returns the
// check-ins by id.
func (r *faultRig) verify(p *process) map[int64]storage.CheckIn {
	t := r.t
	t.Helper()
	seeded := map[string]bool{}
	for i := range r.pairs {
		seeded[seededSender(i)], seeded[seededRecipient(i)] = true, true
	}
	for _, u := range r.srv.DMRecipients() {
		if !seeded[u] {
			t.Fatalf("a DM went to %s, who has no accepted link", u)
		}
	}
	db := openE2EDB(t, r.dbPath())
	defer db.Close()
	byID := map[int64]storage.CheckIn{}
	for i := range r.pairs {
		sender, recipient := seededSender(i), seededRecipient(i)
		for _, m := range r.srv.Messages(sender) {
			if strings.HasPrefix(m.Nonce, "ag-ci-") {
				t.Fatalf("a check-in DM (%s) went to sender %s", m.Nonce, sender)
			}
		}
		byNonce := map[string][]dt.Message{}
		for _, m := range r.srv.Messages(recipient) {
			if strings.HasPrefix(m.Nonce, "ag-ci-") {
				byNonce[m.Nonce] = append(byNonce[m.Nonce], m)
			}
		}
		cs, err := db.CheckInsFrom(context.Background(), sender, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		sent, undeliverable := 0, 0
		for _, c := range cs {
			byID[c.ID] = c
			if c.RecipientID != recipient {
				t.Fatalf("check-in %d from %s to %s: not a seeded pair", c.ID, sender, c.RecipientID)
			}
			dms := byNonce["ag-ci-"+strconv.FormatInt(c.ID, 36)]
			switch {
			case r.closed[recipient]:
				if c.Status != storage.StatusUndeliverable || !c.SenderNotified || len(dms) != 0 {
					t.Fatalf("check-in %d to closed DMs: status %s, sender told %v, %d DMs", c.ID, c.Status, c.SenderNotified, len(dms))
				}
				undeliverable++
			case c.Status != storage.StatusSent:
				t.Fatalf("check-in %d ended %s (%s), want sent\n%s", c.ID, c.Status, c.FailReason, p.out)
			case len(dms) != 1 || dms[0].ID != c.MessageID:
				t.Fatalf("check-in %d: %d DMs under its nonce, row says message %q", c.ID, len(dms), c.MessageID)
			default:
				sent++
			}
		}
		if len(byNonce) != sent {
			t.Fatalf("recipient %s holds %d check-in DMs for %d sent check-ins", recipient, len(byNonce), sent)
		}
		if told := r.toldAbout(i); told != undeliverable {
			t.Fatalf("sender %s was told %d times about %d undeliverable check-ins", sender, told, undeliverable)
		}
	}
	if res, err := db.IntegrityCheck(context.Background()); err != nil || res != "ok" {
		t.Fatalf("integrity check: %v %s", err, res)
	}
	return byID
}

// TestFaultGateway breaks the gateway connection in each way Discord can, as soon as the
// delivery of 100 due check-ins is under way: the bot resumes or identifies again, delivery
// (REST only) goes on meanwhile, and an interaction after the reconnect is answered.
func TestFaultGateway(t *testing.T) {
	t.Parallel()
	faults := []struct {
		name   string
		inject func(t *testing.T, r *faultRig, p *process)
	}{
		{"connection dropped", func(_ *testing.T, r *faultRig, _ *process) { r.srv.DropConnections() }},
		{"op 7 reconnect", func(_ *testing.T, r *faultRig, _ *process) { r.srv.SendReconnect() }},
		{"op 9 not resumable", func(_ *testing.T, r *faultRig, _ *process) { r.srv.InvalidateSession(false) }},
		{"op 9 resumable", func(_ *testing.T, r *faultRig, _ *process) { r.srv.InvalidateSession(true) }},
		{"heartbeat ACKs stopped", func(t *testing.T, r *faultRig, p *process) {
			sessions, before := r.srv.Identifies()+r.srv.Resumes(), r.delivered()
			r.srv.StopHeartbeatACKs(true)
			// discordgo gives up on the connection after five intervals without an ACK.
			eventually(t, 10*time.Second, p, "a new gateway session without heartbeat ACKs", func() bool {
				return r.srv.Identifies()+r.srv.Resumes() > sessions
			})
			r.srv.StopHeartbeatACKs(false)
			if after := r.delivered(); after <= before {
				t.Fatalf("no check-in was delivered while the gateway was failing (%d before, %d after)", before, after)
			}
		}},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			const pairs, perPair = 10, 10
			r := newFaultRig(t, dt.Options{HeartbeatInterval: 200 * time.Millisecond}, pairs, perPair)
			p := r.start()
			r.waitDMs(p, 10) // mid-delivery
			sessions, atFault := r.srv.Identifies()+r.srv.Resumes(), r.delivered()
			f.inject(t, r, p)
			eventually(t, 10*time.Second, p, "a resume or a new identify", func() bool {
				return r.srv.Identifies()+r.srv.Resumes() > sessions
			})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := r.srv.WaitReady(ctx); err != nil {
				t.Fatalf("gateway not back: %v\n%s", err, p.out)
			}
			cb, err := r.checkinSend(ctx, 0, "now")
			if err != nil || !cb.Ephemeral() || scheduledID(cb) == 0 {
				t.Fatalf("/checkin send after the reconnect: %v %+v\n%s", err, cb.MessageContent, p.out)
			}
			r.waitSettled(p, pairs*perPair+1, 20*time.Second)
			stopCleanly(t, p)
			if got := len(r.verify(p)); got != pairs*perPair+1 {
				t.Fatalf("%d check-ins, want %d", got, pairs*perPair+1)
			}
			if atFault >= pairs*perPair {
				t.Fatalf("the fault came after delivery had ended (%d delivered): it proved nothing", atFault)
			}
			t.Logf("fault at %d/%d delivered; identifies %d, resumes %d", atFault, pairs*perPair, r.srv.Identifies(), r.srv.Resumes())
		})
	}
}

// TestFaultREST makes Discord's REST API fail in each way it does while 100 check-ins are
// being delivered: nothing is lost, nothing is posted twice, and where a recipient's DMs
// are closed the sender is told and the check-in ends undeliverable.
func TestFaultREST(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		env    []string
		before func(r *faultRig)
		inject func(t *testing.T, r *faultRig, p *process)
		after  func(t *testing.T, r *faultRig) // once verified
	}{
		{name: "429 storm on the route", inject: func(t *testing.T, r *faultRig, p *process) {
			r.srv.InjectFault(messagesRoute, 40, dt.Fault{Status: 429, RetryAfter: 300 * time.Millisecond})
			eventually(t, 20*time.Second, p, "40 rate-limited sends", func() bool { return r.srv.RateLimited() >= 40 })
		}},
		{name: "429 storm global", inject: func(t *testing.T, r *faultRig, p *process) {
			r.srv.InjectFault(messagesRoute, 40, dt.Fault{Status: 429, RetryAfter: 300 * time.Millisecond, Global: true})
			eventually(t, 20*time.Second, p, "the first global 429", func() bool { return r.srv.RateLimited() >= 1 })
			// Interaction callbacks are outside the global limit: a global 429 on DMs must not hold them.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			cb, err := r.srv.Invoke(ctx, r.command(0, "aftercare", dt.StringOption("topic", "drop")))
			if err != nil || len(cb.Embeds) != 1 || time.Since(start) > 2500*time.Millisecond {
				t.Fatalf("/aftercare during a global 429 storm: %v after %v\n%s", err, time.Since(start), p.out)
			}
			eventually(t, 20*time.Second, p, "40 rate-limited sends", func() bool { return r.srv.RateLimited() >= 40 })
		}},
		{name: "5xx bursts", inject: func(t *testing.T, r *faultRig, p *process) {
			for _, status := range []int{500, 502, 503} {
				r.srv.FailNext(messagesRoute, status, 4)
			}
			r.srv.FailNext("POST /users/@me/channels", 503, 2)
			eventually(t, 20*time.Second, p, "the 12 failed sends", func() bool {
				failed := 0
				for _, q := range r.srv.RequestsTo(messagesRoute) {
					if q.Status >= 500 {
						failed++
					}
				}
				return failed >= 12
			})
		}},
		{name: "slower than the client timeout", env: []string{"AFTERGLOW_DISCORD_HTTP_TIMEOUT_SECONDS=1"},
			inject: func(t *testing.T, r *faultRig, p *process) {
				// Each slow send is created on the stand-in but answered after the client gave up.
				sent := len(r.srv.RequestsTo(messagesRoute))
				r.srv.SetLatency(messagesRoute, 1500*time.Millisecond)
				eventually(t, 20*time.Second, p, "8 sends that timed out", func() bool { return len(r.srv.RequestsTo(messagesRoute)) >= sent+8 })
				r.srv.SetLatency(messagesRoute, 0)
				if !strings.Contains(p.out.String(), "Client.Timeout") {
					t.Fatalf("no send timed out on the client\n%s", p.out)
				}
			},
			after: func(t *testing.T, r *faultRig) {
				// verify found one DM per check-in; here the bot did post some of them twice.
				if resentNonces(r.srv) == 0 {
					t.Fatal("no check-in was posted again after a timeout: the scenario proved nothing")
				}
			}},
		{name: "closed DMs", before: func(r *faultRig) {
			for p := range 3 {
				r.closeDMs(p)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			const pairs, perPair = 10, 10
			r := newFaultRig(t, dt.Options{}, pairs, perPair, c.env...)
			if c.before != nil {
				c.before(r)
			}
			p := r.start()
			if c.inject != nil {
				c.inject(t, r, p)
			}
			r.waitSettled(p, pairs*perPair, 30*time.Second)
			stopCleanly(t, p)
			if got := len(r.verify(p)); got != pairs*perPair {
				t.Fatalf("%d check-ins, want %d", got, pairs*perPair)
			}
			if c.after != nil {
				c.after(t, r)
			}
		})
	}
}

// toldAbout counts the DMs (not interaction replies) pair p's sender got that name the
// recipient: the notices of undeliverable check-ins.
func (r *faultRig) toldAbout(p int) int {
	n := 0
	for _, m := range r.srv.Messages(seededSender(p)) {
		if m.Interaction == nil && strings.Contains(m.Content, "<@"+seededRecipient(p)+">") {
			n++
		}
	}
	return n
}

// resentNonces counts the check-in nonces posted more than once (a retry after a timeout).
func resentNonces(srv *dt.Server) int {
	posts := map[string]int{}
	for _, q := range srv.RequestsTo(messagesRoute) {
		var body struct {
			Nonce string `json:"nonce"`
		}
		if err := json.Unmarshal(q.Body, &body); err == nil && strings.HasPrefix(body.Nonce, "ag-ci-") {
			posts[body.Nonce]++
		}
	}
	n := 0
	for _, c := range posts {
		if c > 1 {
			n++
		}
	}
	return n
}

// TestFaultKillDuringSchedulingAndDelivery kills the binary with SIGKILL at 20 random
// moments while people schedule check-ins through /checkin send and due ones are being
// delivered. Afterwards every check-in the database holds, including every one a sender
// was told is on its way, arrives exactly once.
func TestFaultKillDuringSchedulingAndDelivery(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills and restarts the binary 20 times; skipped with -short")
	}
	const pairs, seeded, rounds = 20, 5, 20
	// A daily limit of 15 bounds the scheduling to 10 more per pair, so the final run drains fast.
	r := newFaultRig(t, dt.Options{HeartbeatInterval: time.Second}, pairs, seeded, "AFTERGLOW_CHECKINS_PER_PARTNER_PER_DAY=15")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	stop := make(chan struct{})
	var schedulers sync.WaitGroup
	stopScheduling := sync.OnceFunc(func() { close(stop); schedulers.Wait() })
	defer stopScheduling() // also when a round fails
	for w := range 2 {
		schedulers.Add(1)
		go func() {
			defer schedulers.Done()
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			delays := []string{"now", "now", "1s", "2s"}
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				// An interaction sent while the bot is down is never answered, as on Discord.
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_, _ = r.checkinSend(ctx, rng.IntN(pairs), delays[rng.IntN(len(delays))])
				cancel()
			}
		}()
	}
	var p *process
	for round := range rounds {
		p = r.start()
		time.Sleep(time.Duration(50+rng.IntN(450)) * time.Millisecond) // a random moment
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.done
		t.Logf("round %d: killed with %d check-in DMs delivered", round+1, r.delivered())
	}
	stopScheduling()

	db := openE2EDB(t, r.dbPath())
	total := len(r.checkIns(db))
	db.Close()
	p = r.start()
	r.waitSettled(p, total, 30*time.Second)
	stopCleanly(t, p)
	rows := r.verify(p)
	confirmed := 0
	for _, cb := range r.srv.Callbacks() {
		reply, _ := r.srv.Reply(cb.InteractionID)
		if id := scheduledID(reply); id != 0 {
			confirmed++
			if _, ok := rows[id]; !ok {
				t.Fatalf("check-in %d was confirmed to its sender but is not in the database", id)
			}
		}
	}
	if confirmed == 0 || total <= pairs*seeded {
		t.Fatalf("%d check-ins confirmed through /checkin send, %d in all: the scheduling never happened", confirmed, total)
	}
	t.Logf("%d check-ins (%d seeded, %d confirmed through /checkin send), each delivered once", total, pairs*seeded, confirmed)
}

// TestFaultSIGTERMDuringDelivery stops the binary with SIGTERM while it delivers: it exits
// 0 within 5 s, and after a restart every check-in has arrived exactly once.
func TestFaultSIGTERMDuringDelivery(t *testing.T) {
	t.Parallel()
	const pairs, perPair = 10, 10
	r := newFaultRig(t, dt.Options{}, pairs, perPair)
	p := r.start()
	r.waitDMs(p, 10)
	stopCleanly(t, p)
	if n := r.delivered(); n >= pairs*perPair {
		t.Fatalf("all %d delivered before SIGTERM: the scenario proved nothing", n)
	}
	if logHas(p, "level=ERROR") {
		t.Fatalf("a clean stop logged errors\n%s", p.out)
	}
	p = r.start()
	r.waitSettled(p, pairs*perPair, 20*time.Second)
	stopCleanly(t, p)
	if got := len(r.verify(p)); got != pairs*perPair {
		t.Fatalf("%d check-ins, want %d", got, pairs*perPair)
	}
}

// TestFaultDatabaseLocked holds a write lock on the database from another connection for
// longer than the bot's 5 s busy timeout, while /settings and /checkin send want to write and
// check-ins are being delivered: the users get a kind private error in time (never "the
// application did not respond"), nothing is half-written, and once the lock is gone
// everything proceeds.
func TestFaultDatabaseLocked(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("holds a lock past the 5 s busy timeout; skipped with -short")
	}
	const pairs, perPair = 10, 10
	r := newFaultRig(t, dt.Options{}, pairs, perPair)
	p := r.start()
	r.waitDMs(p, 5)

	ctx := context.Background()
	other, err := sql.Open("sqlite3", r.dbPath()) // the driver is registered by storage
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	lockedAt := time.Now()

	berlin := dt.StringOption("timezone", "Europe/Berlin")
	var wg sync.WaitGroup
	answers := make([]dt.Callback, 2)
	for i, in := range []dt.Interaction{r.command(0, "settings", berlin), r.checkinSendCommand(0, dt.StringOption("in", "now"))} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			if err := r.srv.Dispatch(ctx, in); err != nil {
				t.Error(err)
				return
			}
			first, err := r.srv.WaitCallback(ctx, in.ID)
			if err != nil || first.Type != dt.CallbackDeferredMessage || !first.Ephemeral() {
				t.Errorf("first answer while locked: %v type %d", err, first.Type)
			}
			answers[i], err = r.srv.WaitReply(ctx, in.ID)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, a := range answers {
		if a.Content != commands.MsgSomethingWrong || !a.Ephemeral() {
			t.Fatalf("answer while locked: %q ephemeral=%v\n%s", a.Content, a.Ephemeral(), p.out)
		}
	}
	if time.Since(lockedAt) < 5*time.Second {
		t.Fatalf("answered after %v: the bot never waited out its busy timeout", time.Since(lockedAt))
	}
	duringLock := r.delivered()
	time.Sleep(time.Until(lockedAt.Add(6 * time.Second))) // hold the lock past the busy timeout
	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	lock.Close()
	other.Close()

	// Nothing of the failed writes is there; the same requests now succeed.
	db := openE2EDB(t, r.dbPath())
	us, err := db.UserSettings(ctx, seededSender(0))
	n := len(r.checkIns(db))
	db.Close()
	if err != nil || us.TimeZone == "Europe/Berlin" || n != pairs*perPair {
		t.Fatalf("after the failed writes: time zone %q, %d check-ins (want %d), %v", us.TimeZone, n, pairs*perPair, err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	saved, err := r.srv.Invoke(sctx, r.command(0, "settings", berlin))
	if err != nil || !strings.Contains(saved.Text(), "Europe/Berlin") {
		t.Fatalf("/settings after the lock: %v %q", err, saved.Text())
	}
	if cb, err := r.checkinSend(sctx, 0, "now"); err != nil || scheduledID(cb) == 0 {
		t.Fatalf("/checkin send after the lock: %v %q", err, cb.Content)
	}
	r.waitSettled(p, pairs*perPair+1, 30*time.Second)
	stopCleanly(t, p)
	if got := len(r.verify(p)); got != pairs*perPair+1 {
		t.Fatalf("%d check-ins, want %d", got, pairs*perPair+1)
	}
	if !logHas(p, `msg="handler failed"`, "command=settings", "database is locked") {
		t.Fatalf("the log does not say the database was locked\n%s", p.out)
	}
	t.Logf("%d check-ins delivered before the lock was released", duringLock)
}

// readOnlyWrapper makes the database file read-only for the binary: by its mode for an
// ordinary user, and for root (whom modes do not stop) by a read-only bind mount in a
// private mount namespace, through a wrapper for startWrapped. Without either it skips.
// undo makes the file writable again.
func readOnlyWrapper(t *testing.T, path string) (wrapper []string, undo func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(path, 0o444); err != nil {
			t.Fatal(err)
		}
		// SQLite gives the -wal and -shm files it creates the database file's mode.
		return nil, func() {
			for _, f := range []string{path, path + "-wal", path + "-shm"} {
				_ = os.Chmod(f, 0o600)
			}
		}
	}
	if out, err := exec.Command("unshare", "-m", "sh", "-c", "mount -t tmpfs none /mnt").CombinedOutput(); err != nil {
		t.Skipf("running as root, and no private mount namespace for a read-only mount (unshare -m: %v %s)", err, out)
	}
	mount := fmt.Sprintf("mount --bind %[1]q %[1]q && mount -o remount,bind,ro %[1]q", path)
	return []string{"unshare", "-m", "sh", "-c", mount + ` && exec "$0" "$@"`}, func() {} // the mount ends with the process
}

// TestFaultDatabaseReadOnly starts the binary on a read-only database file. SQLite would
// open it read-only without a word and fail every write later; the bot must refuse to
// start, saying why, before connecting to Discord, and leave the file as it was.
func TestFaultDatabaseReadOnly(t *testing.T) {
	t.Parallel()
	r := newFaultRig(t, dt.Options{}, 2, 2)
	wrapper, undo := readOnlyWrapper(t, r.dbPath())
	defer undo()
	p := startWrapped(t, r.srv, r.dir, wrapper, r.env...)
	select {
	case err := <-p.done:
		if err == nil {
			t.Fatalf("exit 0 on a read-only database\n%s", p.out)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("still running on a read-only database\n%s", p.out)
	}
	lines := strings.Split(strings.TrimSpace(p.out.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "afterglow: ") || !strings.Contains(last, r.dbPath()) || !strings.Contains(last, storage.ErrReadOnly.Error()) {
		t.Fatalf("last line %q does not say the database is read-only", last)
	}
	if r.srv.Identifies() != 0 {
		t.Fatal("it connected to Discord before refusing")
	}
	t.Log(last)
	undo()
	db := openE2EDB(t, r.dbPath())
	defer db.Close()
	for _, c := range r.checkIns(db) {
		if c.Status != storage.StatusPending {
			t.Fatalf("check-in %d is %s after the refused start", c.ID, c.Status)
		}
	}
}

// logHas tells whether one line of the binary's log holds every part.
func logHas(p *process, parts ...string) bool {
	for _, line := range strings.Split(p.out.String(), "\n") {
		all := true
		for _, part := range parts {
			all = all && strings.Contains(line, part)
		}
		if all {
			return true
		}
	}
	return false
}

// setFileSizeLimit sets the soft RLIMIT_FSIZE of a running process ("unlimited" lifts it).
// Past it a write fails with EFBIG, as on a full disk; Go ignores the SIGXFSZ that comes with it.
func setFileSizeLimit(t *testing.T, pid int, limit string) {
	t.Helper()
	out, err := exec.Command("prlimit", "--pid", strconv.Itoa(pid), "--fsize="+limit+":").CombinedOutput()
	if err != nil {
		t.Fatalf("prlimit --fsize=%s: %v %s", limit, err, out)
	}
}

// TestFaultDatabaseDiskFull stops the running binary from writing any file (a file size
// limit of one byte) while a check-in is about to come due and people schedule check-ins
// and change settings: each gets a kind private error, the log says why, nothing is
// half-written or sent, and once writing works again everything proceeds without a restart.
func TestFaultDatabaseDiskFull(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("needs prlimit (util-linux) to limit the running binary's file size")
	}
	const pairs, perPair = 3, 2
	r := newFaultRig(t, dt.Options{}, pairs, perPair, "AFTERGLOW_HTTP_LISTEN=127.0.0.1:0")
	p := r.start()
	r.waitSettled(p, pairs*perPair, 20*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if cb, err := r.checkinSend(ctx, 1, "2s"); err != nil || scheduledID(cb) == 0 {
		t.Fatalf("/checkin send before the disk filled: %v %q", err, cb.Content)
	}

	setFileSizeLimit(t, p.cmd.Process.Pid, "1")
	if status, body := healthz(t, p); status != http.StatusServiceUnavailable || !strings.Contains(body, "file too large") {
		t.Fatalf("/healthz while the disk is full: %d %q", status, body)
	}
	for _, in := range []dt.Interaction{
		r.checkinSendCommand(0, dt.StringOption("in", "now"), dt.BooleanOption("followups", true)),
		r.command(0, "settings", dt.StringOption("timezone", "Europe/Berlin")),
	} {
		if err := r.srv.Dispatch(ctx, in); err != nil {
			t.Fatal(err)
		}
		answer, err := r.srv.WaitReply(ctx, in.ID)
		if err != nil || answer.Content != commands.MsgSomethingWrong || !answer.Ephemeral() {
			t.Fatalf("answer while the disk is full: %v %q\n%s", err, answer.Content, p.out)
		}
	}
	// The check-in scheduled before comes due now, and cannot even be claimed.
	eventually(t, 10*time.Second, p, "a failed claim in the log", func() bool {
		return logHas(p, `msg="claim due check-ins"`, "file too large")
	})
	if !logHas(p, `msg="handler failed"`, "command=checkin", "file too large") || !logHas(p, `msg="handler failed"`, "command=settings", "file too large") {
		t.Fatalf("the log does not say why the commands failed\n%s", p.out)
	}
	if n := r.delivered(); n != pairs*perPair {
		t.Fatalf("%d check-in DMs while nothing could be recorded, want %d", n, pairs*perPair)
	}

	setFileSizeLimit(t, p.cmd.Process.Pid, "unlimited")
	if status, body := healthz(t, p); status != http.StatusOK {
		t.Fatalf("/healthz once the disk has room: %d %q", status, body)
	}
	if cb, err := r.checkinSend(ctx, 0, "now"); err != nil || scheduledID(cb) == 0 {
		t.Fatalf("/checkin send once the disk has room: %v %q\n%s", err, cb.Content, p.out)
	}
	r.waitSettled(p, pairs*perPair+2, 20*time.Second)
	stopCleanly(t, p)
	r.verify(p)
	db := openE2EDB(t, r.dbPath())
	defer db.Close()
	if us, err := db.UserSettings(ctx, seededSender(0)); err != nil || us.TimeZone == "Europe/Berlin" {
		t.Fatalf("the settings refused while the disk was full were saved: %q %v", us.TimeZone, err)
	}
}

// healthz asks the binary's /healthz (AFTERGLOW_HTTP_LISTEN=127.0.0.1:0), at the address
// it logged.
func healthz(t *testing.T, p *process) (int, string) {
	t.Helper()
	var addr string
	for _, line := range strings.Split(p.out.String(), "\n") {
		if strings.Contains(line, `msg="serving health and metrics"`) {
			if _, rest, found := strings.Cut(line, " addr="); found {
				addr, _, _ = strings.Cut(rest, " ")
			}
		}
	}
	if addr == "" {
		t.Fatalf("the binary never said where it serves /healthz\n%s", p.out)
	}
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(body))
}

// failingDisk mounts a small ext4 filesystem for a data directory, with errors=remount-ro as
// servers mount their disks; fail makes the kernel turn it read-only under the running bot,
// as it does after a disk error. repair unmounts it, checks it with e2fsck and mounts it
// writable again. It needs root, loop devices and ext4's trigger_fs_error, else it skips.
func failingDisk(t *testing.T) (dir string, fail, repair func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a filesystem that can be made to fail")
	}
	for _, tool := range []string{"mkfs.ext4", "e2fsck", "mount", "umount", "findmnt"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	run := func(name string, args ...string) error {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
		}
		return nil
	}
	base := t.TempDir()
	img, dir := filepath.Join(base, "disk.img"), filepath.Join(base, "mnt")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 64<<20); err != nil {
		t.Fatal(err)
	}
	if err := run("mkfs.ext4", "-q", "-F", img); err != nil {
		t.Fatal(err)
	}
	mount := func() error { return run("mount", "-o", "loop,errors=remount-ro", img, dir) }
	if err := mount(); err != nil {
		t.Skipf("cannot mount a loop device here: %v", err)
	}
	mounted := true
	t.Cleanup(func() {
		if mounted && run("umount", dir) != nil {
			_ = run("umount", "-l", dir)
		}
	})
	out, err := exec.Command("findmnt", "-n", "-o", "SOURCE", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	trigger := filepath.Join("/sys/fs/ext4", filepath.Base(strings.TrimSpace(string(out))), "trigger_fs_error")
	if _, err := os.Stat(trigger); err != nil {
		t.Skipf("this kernel has no %s", trigger)
	}
	options := func() string {
		out, _ := exec.Command("findmnt", "-n", "-o", "OPTIONS", dir).Output()
		return string(out)
	}
	fail = func() {
		if err := os.WriteFile(trigger, []byte("afterglow test\n"), 0o200); err != nil {
			t.Fatal(err)
		}
		// Newer kernels mark the mount emergency_ro rather than ro.
		if opts := options(); !strings.HasPrefix(opts, "ro") && !strings.Contains(opts, "emergency_ro") {
			t.Fatalf("the filesystem is still mounted %q after the error", opts)
		}
	}
	repair = func() {
		if err := run("umount", dir); err != nil {
			t.Fatal(err)
		}
		mounted = false
		// e2fsck exits 1 when it fixed something, as it may after an error.
		if err := exec.Command("e2fsck", "-f", "-y", img).Run(); err != nil {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
				t.Fatalf("e2fsck: %v", err)
			}
		}
		if err := mount(); err != nil {
			t.Fatal(err)
		}
		mounted = true
	}
	return dir, fail, repair
}

// TestFaultDiskTurnsReadOnlyWhileRunning makes the disk under the running binary go
// read-only, as a server's disk does after an error, while a check-in is about to come due
// and people change things: reading still works, every write gets a kind private error,
// /healthz says why, and nothing is sent. Once the disk is repaired and the bot restarted,
// the check-in that came due is delivered exactly once and nothing refused was saved.
func TestFaultDiskTurnsReadOnlyWhileRunning(t *testing.T) {
	t.Parallel()
	dir, fail, repair := failingDisk(t)
	const pairs, perPair = 3, 2
	r := newFaultRigIn(t, dir, dt.Options{}, pairs, perPair, "AFTERGLOW_HTTP_LISTEN=127.0.0.1:0")
	p := r.start()
	r.waitSettled(p, pairs*perPair, 20*time.Second)
	if status, body := healthz(t, p); status != http.StatusOK {
		t.Fatalf("/healthz before the failure: %d %q", status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if cb, err := r.checkinSend(ctx, 1, "3s"); err != nil || scheduledID(cb) == 0 {
		t.Fatalf("/checkin send before the failure: %v %q", err, cb.Content)
	}

	fail()
	for _, in := range []dt.Interaction{
		r.checkinSendCommand(0, dt.StringOption("in", "now")),
		r.command(0, "settings", dt.StringOption("timezone", "Europe/Berlin")),
	} {
		if err := r.srv.Dispatch(ctx, in); err != nil {
			t.Fatal(err)
		}
		answer, err := r.srv.WaitReply(ctx, in.ID)
		if err != nil || answer.Content != commands.MsgSomethingWrong || !answer.Ephemeral() {
			t.Fatalf("answer on a read-only disk: %v %q\n%s", err, answer.Content, p.out)
		}
	}
	if cb, err := r.srv.Invoke(ctx, r.command(0, "aftercare", dt.StringOption("topic", "drop"))); err != nil || len(cb.Embeds) != 1 {
		t.Fatalf("/aftercare, which only reads, on a read-only disk: %v %+v\n%s", err, cb.MessageContent, p.out)
	}
	// /healthz probes the database at most once a second, so the failure shows within one.
	var status int
	var body string
	eventually(t, 3*time.Second, p, "/healthz to report the read-only disk", func() bool {
		status, body = healthz(t, p)
		return status != http.StatusOK
	})
	if status != http.StatusServiceUnavailable || !strings.HasPrefix(body, "database: ") {
		t.Fatalf("/healthz on a read-only disk: %d %q", status, body)
	}
	t.Logf("/healthz: %d %s", status, body)
	// The check-in scheduled before comes due now and cannot even be claimed.
	eventually(t, 15*time.Second, p, "a failed claim in the log", func() bool { return logHas(p, `msg="claim due check-ins"`) })
	if !logHas(p, `msg="handler failed"`, "command=settings") {
		t.Fatalf("the log does not say why /settings failed\n%s", p.out)
	}
	if n := r.delivered(); n != pairs*perPair {
		t.Fatalf("%d check-in DMs while nothing could be recorded, want %d", n, pairs*perPair)
	}
	err, took := p.stop(t)
	t.Logf("after SIGTERM on a read-only disk: exit %v in %v; last line %q", err, took, lastLine(p))
	if took > 5*time.Second {
		t.Fatalf("took %v to exit after SIGTERM", took)
	}

	repair()
	p = r.start()
	r.waitSettled(p, pairs*perPair+1, 30*time.Second)
	stopCleanly(t, p)
	r.verify(p)
	db := openE2EDB(t, r.dbPath())
	defer db.Close()
	if us, err := db.UserSettings(ctx, seededSender(0)); err != nil || us.TimeZone == "Europe/Berlin" {
		t.Fatalf("the settings refused on the read-only disk were saved: %q %v", us.TimeZone, err)
	}
}

// lastLine is the last line the binary wrote.
func lastLine(p *process) string {
	lines := strings.Split(strings.TrimSpace(p.out.String()), "\n")
	return lines[len(lines)-1]
}
