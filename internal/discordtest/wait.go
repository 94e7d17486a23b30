package discordtest

import (
	"bytes"
	"flag"
	"strconv"
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

// AllowParallel lets up to n tests that call t.Parallel run at once, unless the command
// line sets -parallel, or -fuzz (where -parallel counts fuzzing workers, which work the
// CPU). Call it from TestMain before m.Run. Tests against the stand-in spend most of their
// time waiting (on sockets, on processes, on discordgo's one-second close), so the
// default of one per CPU would leave the CPUs idle.
func AllowParallel(n int) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" || f.Name == "test.fuzz" })
	if !set {
		if err := flag.Set("test.parallel", strconv.Itoa(n)); err != nil {
			panic(err) // only if the testing package renamed its flag
		}
	}
}
