package bot

import (
	"context"
	"errors"
	"time"

	"github.com/afterglow-bot/afterglow/storage"
)

// Sender election. Every replica answers interactions; one at a time delivers check-ins:
// the one holding the sender lock (a PostgreSQL session advisory lock; on SQLite the file
// lock taken at start-up, so the one process always holds it).
const (
	// senderRetry is how often a replica that is not the sender tries to become it, and
	// senderCheck how often the sender makes sure its lock's connection is alive. Together
	// they bound a takeover: the server drops a dead process's lock when its connection
	// closes, and the next try within senderRetry takes it, well within 5 s.
	senderRetry = time.Second
	senderCheck = time.Second
	// senderHandover is how long a new sender waits before it delivers, when the lock is
	// shared. The lock is free as soon as the previous sender's connection is gone, but
	// that sender may still run (cut off from the database, or its lock's session ended by
	// the server): it notices within two checks (one interval, one timeout) and cancels
	// its sends, and then writes at most the outcomes of sends already answered. Only after
	// that are its leases truly abandoned, and safe to hand out again (see delivery.run);
	// an outcome it writes later still is refused, as it names a claim no longer current
	// (storage's updateSending), except that a DM sent is recorded: it is the same message.
	senderHandover = 2*senderCheck + time.Second
)

// errLockLost ends a sender term whose lock is gone (context.Cause of the term's context).
var errLockLost = errors.New("the sender lock was lost")

// wallClock times the election and the bounds on shutdown on the wall clock, not the
// bot's: they measure how long other processes, the database and Discord take, which a
// test cannot move.
var wallClock Clock = RealClock{}

// senderLoop tries to become the sender now and then every senderRetry, and delivers for
// as long as it is, until ctx ends.
func (b *Bot) senderLoop(ctx context.Context) {
	for ctx.Err() == nil {
		lock, err := b.store.TakeSenderLock(ctx)
		switch {
		case err != nil:
			b.storeFailed(b.log, "try to become the sender", err)
		case lock != nil:
			b.senderTerm(ctx, lock)
			continue // the lock was lost: try again at once, it may be free
		}
		if !sleepCtx(ctx, wallClock, senderRetry) {
			return
		}
	}
}

// senderTerm delivers while lock holds: it listens for check-ins scheduled on other
// replicas, runs the delivery loop, and pings the lock's connection every senderCheck.
// When the ping fails, delivery stops at once (in-flight sends are cancelled, with
// errLockLost as the cause; what they leave leased is released by the next sender), and
// the lock is let go.
func (b *Bot) senderTerm(ctx context.Context, lock *storage.SenderLock) {
	defer lock.Release()
	termCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	b.senderActive.Store(true)
	b.log.Info("this process is now the sender: it delivers check-ins")
	// Listen before the first claim, so that nothing scheduled meanwhile goes unseen.
	if wake, err := b.store.ListenScheduled(termCtx); err != nil {
		b.storeFailed(b.log, "listen for check-ins scheduled elsewhere", err)
	} else {
		go func() {
			for range chanUntil(termCtx, wake) {
				b.delivery.Wake()
			}
		}()
	}
	delivering := make(chan struct{})
	go func() {
		defer close(delivering)
		if lock.Shared() && !sleepCtx(termCtx, wallClock, senderHandover) {
			return
		}
		b.delivery.run(termCtx)
	}()
	ticker := time.NewTicker(senderCheck)
	defer ticker.Stop()
	var lost error // stays nil when the process is shutting down
	for lost == nil && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-ticker.C:
			check, cancel := context.WithTimeout(termCtx, senderCheck)
			err := lock.Check(check)
			cancel()
			if err != nil && ctx.Err() == nil {
				b.log.Warn("lost the sender lock: stopping delivery; another replica may take over", "err", err)
				lost = errLockLost
			}
		}
	}
	stop(lost)
	<-delivering
	b.senderActive.Store(false)
	b.log.Info("this process is no longer the sender")
}

// chanUntil yields what arrives on c until ctx ends.
func chanUntil(ctx context.Context, c <-chan struct{}) func(func(struct{}) bool) {
	return func(yield func(struct{}) bool) {
		for {
			select {
			case <-ctx.Done():
				return
			case v := <-c:
				if !yield(v) {
					return
				}
			}
		}
	}
}
