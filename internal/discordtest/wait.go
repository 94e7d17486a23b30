package discordtest

import (
	"bytes"
	"sync"
	"time"
)

// Eventually polls cond every couple of milliseconds until it holds, and reports whether
// it did within the given time. It is the one way tests wait for work on other goroutines
// or processes (a log line, a row, a message the stand-in recorded); a wait for the bot's
// own schedule moves the test Clock instead.
func Eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond) // a poll interval, not a schedule
	}
	return true
}

// LockedBuffer is a log sink that tests read while the code under test may still write.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
