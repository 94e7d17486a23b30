package bot

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/commands"
	"github.com/afterglow-bot/afterglow/storage"
)

// Delivery timing, from the behaviour contract.
const (
	leaseFor      = time.Minute      // a claimed check-in is ours this long; a send never takes longer
	claimBatch    = 50               // check-ins claimed per transaction
	workers       = 4                // sends in flight at once; the pacer keeps them in order
	lateAfter     = 10 * time.Minute // later than this past its time, a DM says sorry
	dropAfter     = 72 * time.Hour   // later than this, it is not sent at all
	retryCap      = 60 * time.Second
	retryBudget   = time.Hour // give up after retrying this long
	idleRecheck   = time.Hour // wake at least this often even with nothing due
	dmRatePerSec  = 48        // below Discord's global 50/s
	prefetchAhead = 30 * time.Second
	prefetchMax   = 30 * dmRatePerSec // as many channels as the lookahead has send slots for
	unknownChanel = 10003
)

// delivery sends due check-ins by DM: never lost (they live in SQLite until an outcome is
// recorded) and never doubled (a lease per claim, a nonce per check-in).
type delivery struct {
	b    *Bot
	log  *slog.Logger
	wake chan struct{}
	// busy is set while the loop is awake: claiming, delivering or deciding how long to sleep.
	busy atomic.Bool
}

func newDelivery(b *Bot) *delivery {
	d := &delivery{b: b, log: b.log.With("part", "delivery"), wake: make(chan struct{}, 1)}
	d.busy.Store(true)
	return d
}

// Wake makes the loop look again now: a check-in was scheduled.
func (d *delivery) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run loops until ctx ends: deliver what is due, then sleep until the next due time. It
// runs for one sender term (see senderTerm): ctx ends when the term does.
func (d *delivery) run(ctx context.Context) {
	// Every lease left is abandoned, so it is released at once rather than after its minute:
	// only the holder of the sender lock claims, and we hold it, so the leases are a
	// previous sender's. That sender is gone (killed: the server freed its lock with its
	// connection) or has stopped: senderTerm waited senderHandover before this, longer than
	// a sender that still runs takes to notice its lock is gone and cancel its sends. A DM
	// it had already posted is not sent twice: the resend carries the same nonce, Discord
	// answers with the first message, and MarkSent accepts that same message again. On
	// SQLite the file lock makes this process the only one, and leases left are a crash's.
	if n, err := d.b.store.ReleaseLeases(ctx); err != nil {
		d.b.storeFailed(d.log, "release leases", err)
	} else if n > 0 {
		d.log.Info("resuming check-ins a previous run had claimed", "count", n)
	}
	d.tellUntold(ctx)
	for ctx.Err() == nil {
		batch, err := d.b.store.ClaimDue(ctx, d.b.clock.Now(), leaseFor, claimBatch)
		if err != nil {
			d.b.storeFailed(d.log, "claim due check-ins", err)
			d.sleep(ctx, time.Second)
			continue
		}
		if len(batch) > 0 {
			d.deliverAll(ctx, batch)
			continue
		}
		wait := idleRecheck
		next, ok, err := d.b.store.NextDue(ctx)
		if err != nil {
			d.b.storeFailed(d.log, "find next due check-in", err)
			wait = time.Second
		} else if ok {
			wait = min(next.Sub(d.b.clock.Now()), idleRecheck)
		}
		if wait > 0 && wait <= prefetchAhead && d.prefetchChannels(ctx, wait) {
			continue // that took time, or a wake-up cut it short: look again
		}
		if wait > 0 {
			d.sleep(ctx, wait)
		}
	}
}

// prefetchChannels opens the DM channels of recipients due within prefetchAhead, spending
// at most the time until the next check-in is due, so that a crowd of check-ins due at one
// moment then needs one request each. It reports whether it did anything (so the wait must
// be worked out again) or was cut short by a wake-up.
func (d *delivery) prefetchChannels(ctx context.Context, until time.Duration) (acted bool) {
	ids, err := d.b.store.UpcomingRecipients(ctx, d.b.clock.Now().Add(prefetchAhead), prefetchMax)
	if err != nil {
		d.b.storeFailed(d.log, "list upcoming recipients", err)
		return false
	}
	// Bounded on the bot's clock, like the sleep it stands in for.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer d.b.clock.AfterFunc(until, cancel).Stop()
	for _, id := range ids {
		select {
		case <-d.wake:
			return true
		default:
		}
		if ctx.Err() != nil {
			return false
		}
		if d.b.hasDMChannel(id) {
			continue
		}
		acted = true
		if _, err := d.b.dmChannelRaw(ctx, id); err != nil && ctx.Err() == nil {
			d.log.Debug("open DM channel ahead", "err", err)
		}
	}
	return acted
}

// sleep waits for d, a wake-up, or the end.
func (d *delivery) sleep(ctx context.Context, wait time.Duration) {
	d.busy.Store(false)
	defer d.busy.Store(true)
	c, t := d.b.clock.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-d.wake:
	case <-c:
	}
}

// deliverAll sends a batch with a few workers; the pacer hands out send slots in order.
func (d *delivery) deliverAll(ctx context.Context, batch []storage.CheckIn) {
	type job struct {
		c    storage.CheckIn
		slot time.Time // its send slot, reserved in due order
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range min(workers, len(batch)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				d.deliver(ctx, j.c, j.slot)
			}
		}()
	}
	for _, c := range batch {
		if ctx.Err() != nil {
			break // shutting down: the next start releases the rest of the batch's leases
		}
		jobs <- job{c, d.b.pacer.Reserve()}
	}
	close(jobs)
	wg.Wait()
}

// deliver takes one claimed check-in to an outcome: sent, rescheduled, or ended (and the
// sender told where they should be).
func (d *delivery) deliver(ctx context.Context, c storage.CheckIn, slot time.Time) {
	log := d.log.With("checkin", c.ID)
	store := d.b.store
	now := d.b.clock.Now()
	if ok, err := store.Deliverable(ctx, c.ID); err != nil {
		d.b.storeFailed(log, "re-check link", err)
		d.retry(ctx, c, log)
		return
	} else if !ok {
		// The link ended after scheduling; the ending is silent, so is this.
		d.end(ctx, c, storage.StatusDropped, storage.FailLinkEnded, false, log)
		return
	}
	if now.Sub(c.DueAt) > dropAfter {
		d.end(ctx, c, storage.StatusDropped, storage.FailTooLate, true, log)
		return
	}
	us, err := store.UserSettings(ctx, c.RecipientID)
	if err != nil {
		d.b.storeFailed(log, "read recipient settings", err)
		d.retry(ctx, c, log)
		return
	}
	if until, quiet := us.QuietUntil(now); quiet {
		d.reschedule(ctx, c, until, c.Attempts, "wait for quiet hours", log)
		return
	}
	planned := c.DueAt
	if c.Attempts == 0 && c.NextAttemptAt.After(planned) {
		planned = c.NextAttemptAt // moved by quiet hours: that is not lateness
	}
	late := now.Sub(planned) > lateAfter
	if late {
		if err := store.MarkLate(ctx, c); errors.Is(err, storage.ErrNotFound) {
			log.Info(endedElsewhere)
			return
		} else if err != nil {
			d.b.storeFailed(log, "record lateness", err)
			d.retry(ctx, c, log)
			return
		}
	}
	msg, err := d.b.router.CheckInMessage(ctx, c, late)
	if err != nil {
		log.Error("build check-in message", "err", err)
		d.retry(ctx, c, log)
		return
	}
	channelID, messageID, err := d.send(ctx, c, msg, slot)
	if err != nil && ctx.Err() != nil {
		// Shutting down mid-send: the next start resends under the same nonce.
		return
	}
	running := ctx
	// Outcomes are recorded even while shutting down: a sent DM must be marked sent.
	ctx = context.WithoutCancel(ctx)
	switch {
	case err == nil:
		err := d.record(running, log, "record delivery", func(ctx context.Context) error {
			return store.MarkSent(ctx, c.ID, channelID, messageID, late, d.b.clock.Now())
		})
		if errors.Is(err, storage.ErrNotFound) {
			// Cancelled (a link ended, a block) or deleted (/privacy delete) while its DM was
			// on the way, after the last check: leaving is final, so the DM goes too.
			if err := d.b.DeleteDM(ctx, channelID, messageID); err != nil {
				log.Warn("delete the DM of a check-in that ended while it was sent", "err", err)
			} else {
				log.Info("check-in ended while it was being sent; its DM is deleted")
			}
			return
		}
		d.b.metrics.sent(d.b.clock.Now().Sub(planned))
	case errors.Is(err, errNotDeliverable):
		// Found just before posting, after the waits: as at the start, silent.
		d.end(ctx, c, storage.StatusDropped, storage.FailLinkEnded, false, log)
	case restCode(err) == codeCannotDM:
		d.end(ctx, c, storage.StatusUndeliverable, storage.FailDMsClosed, true, log)
	case restStatus(err) == http.StatusTooManyRequests:
		after := retryAfter(err)
		d.b.metrics.rateLimited()
		d.reschedule(ctx, c, d.b.clock.Now().Add(after), c.Attempts, "reschedule after 429", log)
		d.Wake()
	case transient(err):
		log.Warn("send failed; will retry", "err", err, "attempt", c.Attempts+1)
		d.retry(ctx, c, log)
	default:
		log.Error("Discord refused the check-in", "err", err)
		d.end(ctx, c, storage.StatusFailed, storage.FailRejected, true, log)
	}
}

// recordRetryFor bounds how long a refused outcome write (database locked past its busy
// timeout, disk full) is tried again. By then the lease has nearly run out, and the next
// claim resends under the same nonce, which Discord answers with the message already sent.
const recordRetryFor = leaseFor / 2

// record runs write until the database takes it, so that a DM that went out is marked sent
// now rather than after its lease ran out. An attempt runs to its end even while shutting
// down; between attempts, shutting down (ctx) stops trying: the next start resends under
// the nonce. It returns the last error; ErrNotFound (the row is gone) is not retried.
func (d *delivery) record(ctx context.Context, log *slog.Logger, what string, write func(context.Context) error) error {
	deadline := d.b.clock.Now().Add(recordRetryFor)
	wait := d.b.retryBase
	for {
		err := write(context.WithoutCancel(ctx))
		if err == nil || errors.Is(err, storage.ErrNotFound) {
			return err
		}
		retrying := d.b.clock.Now().Add(wait).Before(deadline) && ctx.Err() == nil
		d.b.storeFailed(log, what, err, "retrying", retrying)
		if !retrying {
			return err
		}
		sleepCtx(ctx, d.b.clock, wait)
		wait = min(2*wait, 5*time.Second)
	}
}

// retry puts the check-in back with capped exponential backoff, or gives up after an hour.
func (d *delivery) retry(ctx context.Context, c storage.CheckIn, log *slog.Logger) {
	attempts := c.Attempts + 1
	if retryElapsed(time.Second, attempts) >= retryBudget {
		d.end(ctx, c, storage.StatusFailed, storage.FailGaveUp, true, log)
		return
	}
	base := d.b.retryBase
	jitter := time.Duration(rand.Int64N(int64(base / 2)))
	d.reschedule(ctx, c, d.b.clock.Now().Add(backoff(base, attempts)+jitter), attempts, "reschedule retry", log)
}

// endedElsewhere is logged when an outcome finds its check-in no longer being sent.
const endedElsewhere = "check-in ended elsewhere while it was being sent"

// reschedule puts the check-in back to pending for next. One that ended meanwhile (cancelled,
// deleted, or answered from a DM that went out though its POST failed) stays as it is.
func (d *delivery) reschedule(ctx context.Context, c storage.CheckIn, next time.Time, attempts int, what string, log *slog.Logger) {
	err := d.b.store.Reschedule(ctx, c, next, attempts)
	if errors.Is(err, storage.ErrNotFound) {
		log.Info(endedElsewhere)
	} else if err != nil {
		d.b.storeFailed(log, what, err)
	}
}

// backoff is the wait before attempt n+1: base, 2×base, 4×base … capped at 60 s.
func backoff(base time.Duration, attempts int) time.Duration {
	if attempts > 16 {
		return retryCap
	}
	return min(base<<(attempts-1), retryCap)
}

// retryElapsed is how long retries at the real pace (1 s first) would have waited in all
// after this many attempts; the budget counts attempts, so shortened test delays give up
// after the same number of tries.
func retryElapsed(base time.Duration, attempts int) time.Duration {
	var total time.Duration
	for n := 1; n < attempts; n++ {
		total += backoff(base, n)
	}
	return total
}

// end records a final outcome and, where the sender should know, tells them privately.
func (d *delivery) end(ctx context.Context, c storage.CheckIn, status storage.CheckInStatus, reason storage.FailReason, tell bool, log *slog.Logger) {
	if err := d.b.store.MarkFailed(ctx, c, status, reason, d.b.clock.Now()); errors.Is(err, storage.ErrNotFound) {
		log.Info(endedElsewhere) // cancelled or deleted: nothing to tell
		return
	} else if err != nil {
		d.b.storeFailed(log, "record outcome", err, "status", status)
		return
	}
	log.Info("check-in not delivered", "status", status, "reason", reason)
	d.b.metrics.notDelivered(status)
	if !tell {
		return
	}
	c.Status = status
	if err := d.b.SendDM(ctx, c.SenderID, d.b.router.SenderNotice(c)); err != nil {
		if !errors.Is(err, commands.ErrDMClosed) {
			log.Warn("tell sender", "err", err)
		}
		return // /checkin list shows it either way
	}
	if err := d.b.store.MarkSenderNotified(ctx, c.ID); err != nil {
		d.b.storeFailed(log, "record sender told", err)
	}
}

// send posts the DM with a nonce derived from the check-in id and enforce_nonce, so that a
// resend after a crash returns the first message instead of posting a second one.
func (d *delivery) send(ctx context.Context, c storage.CheckIn, msg commands.Message, slot time.Time) (string, string, error) {
	cached := d.b.hasDMChannel(c.RecipientID)
	channelID, err := d.b.dmChannelRaw(ctx, c.RecipientID)
	if err != nil {
		return "", "", err
	}
	if !cached {
		// Opening the channel took a paced request of its own; the message needs another slot.
		slot = d.b.pacer.Reserve()
	}
	body := toMessage(msg.Content, msg.Embeds, msg.Components)
	body.Nonce, body.EnforceNonce = checkInNonce(c.ID), true
	if err := d.b.pacer.WaitUntil(ctx, slot); err != nil {
		return "", "", err
	}
	// The recheck runs on ctx: once delivery is stopping, no POST leaves. One that has left
	// runs on wire.
	wire, done := onTheWire(ctx)
	defer done()
	var stopped error
	raw, err := d.b.postDM(c.RecipientID, channelID, body, append(noRetry(wire), d.recheck(ctx, c.ID, &stopped))...)
	if stopped != nil {
		return "", "", stopped
	}
	if err != nil {
		return "", "", err
	}
	id, err := messageID(raw)
	return channelID, id, err
}

// sendGrace is how long a DM's POST already on the wire may still take when the process
// shuts down: long enough for Discord to answer, so that a DM it created is recorded as
// sent rather than posted again on the next start (its nonce guards a repeat for only a
// few minutes); short enough that shutdown stays prompt.
const sendGrace = 2 * time.Second

// onTheWire is the context of a POST that left under ctx, a sender term's. When the term
// ends because the process shuts down, the POST keeps sendGrace (wall clock) to be
// answered; when it ends because the sender lock was lost, the POST is cancelled at once,
// as the next sender's handover counts on (see senderHandover).
func onTheWire(ctx context.Context) (context.Context, context.CancelFunc) {
	wire, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(context.Cause(ctx), errLockLost) {
			cancel()
			return
		}
		wallClock.AfterFunc(sendGrace, cancel)
	})
	return wire, func() {
		stop()
		cancel()
	}
}

// errNotDeliverable stops a check-in's POST: it was cancelled or deleted, or its link
// ended, while it waited for its channel or its send slot.
var errNotDeliverable = errors.New("check-in no longer deliverable")

// recheck is a request option: discordgo applies it once it holds the route's bucket, just
// before each attempt leaves, so the check comes after every wait (the DM channel, the send
// slot, discordgo's own rate limit). When the check-in may no longer be posted, or the check
// fails, the attempt is refused without a request, and *stopped says why.
func (d *delivery) recheck(ctx context.Context, id int64, stopped *error) discordgo.RequestOption {
	return func(cfg *discordgo.RequestConfig) {
		ok, err := d.b.store.Deliverable(ctx, id)
		if err == nil && !ok {
			err = errNotDeliverable
		}
		*stopped = err
		if err != nil {
			cfg.Client = &http.Client{Transport: refuse{err}}
		}
	}
}

// refuse is a transport that sends nothing and fails with its error.
type refuse struct{ err error }

func (r refuse) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return nil, r.err
}

// checkInNonce fits Discord's 25-character nonce limit for any int64 id.
func checkInNonce(id int64) string { return "ag-ci-" + strconv.FormatInt(id, 36) }

// noRetry makes discordgo hand 429s and 5xx back to the delivery loop, which owns retries.
func noRetry(ctx context.Context) []discordgo.RequestOption {
	return []discordgo.RequestOption{discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0)}
}

// transient errors are worth retrying: network trouble and Discord's 5xx.
func transient(err error) bool {
	s := restStatus(err)
	return s == 0 || s >= 500
}

func retryAfter(err error) time.Duration {
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		return rl.RetryAfter
	}
	return time.Second
}

// tellUntold tells senders about failures recorded just before a crash, before they could be told.
func (d *delivery) tellUntold(ctx context.Context) {
	untold, err := d.b.store.UnnotifiedFailures(ctx, 1000)
	if err != nil {
		d.b.storeFailed(d.log, "find untold failures", err)
		return
	}
	for _, c := range untold {
		if c.FailReason == storage.FailLinkEnded {
			continue
		}
		if err := d.b.SendDM(ctx, c.SenderID, d.b.router.SenderNotice(c)); err == nil || errors.Is(err, commands.ErrDMClosed) {
			if err := d.b.store.MarkSenderNotified(ctx, c.ID); err != nil {
				d.b.storeFailed(d.log, "record sender told", err, "checkin", c.ID)
			}
		}
	}
}
