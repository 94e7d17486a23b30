package bot

import (
	"testing"
	"time"
)

func TestBackoffStartsFastCapsAndGivesUpAfterAnHour(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 60 * time.Second, 60 * time.Second}
	for i, w := range want {
		if got := backoff(time.Second, i+1); got != w {
			t.Errorf("attempt %d: %v, want %v", i+1, got, w)
		}
	}
	if backoff(time.Second, 1000) != retryCap {
		t.Error("large attempt counts must not overflow")
	}
	n := 1
	for retryElapsed(time.Second, n) < retryBudget {
		n++
	}
	// 1+2+…+32 = 63 s, then 60 s steps: the hour is reached after 61 more.
	if n < 60 || n > 70 {
		t.Fatalf("gives up after %d attempts", n)
	}
	if got := retryElapsed(time.Second, n); got < time.Hour || got > time.Hour+time.Minute {
		t.Fatalf("gives up after %v of retries", got)
	}
}

func TestCheckInNonceFitsDiscordLimit(t *testing.T) {
	for _, id := range []int64{1, 1 << 40, 1<<63 - 1} {
		if n := checkInNonce(id); len(n) > 25 || len(n) == 0 {
			t.Errorf("nonce %q for %d", n, id)
		}
	}
	if checkInNonce(1) == checkInNonce(2) {
		t.Error("nonces must differ per check-in")
	}
}
