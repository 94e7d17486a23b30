package storage

import (
	"testing"
	"time"
)

func TestQuietUntilAcrossDST(t *testing.T) {
	us := UserSettings{TimeZone: "Europe/Berlin", QuietStart: 23 * 60, QuietEnd: 8 * 60}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	// The night clocks go forward (29 March 2026, 02:00 -> 03:00).
	at := time.Date(2026, 3, 28, 23, 30, 0, 0, berlin)
	end, quiet := us.QuietUntil(at)
	if !quiet || !end.Equal(time.Date(2026, 3, 29, 8, 0, 0, 0, berlin)) {
		t.Fatalf("got %v %v", end, quiet)
	}
	if end.Sub(at) != 7*time.Hour+30*time.Minute {
		t.Fatalf("the short night is 7h30, got %v", end.Sub(at))
	}
	// And back (25 October 2026).
	at = time.Date(2026, 10, 24, 23, 30, 0, 0, berlin)
	end, _ = us.QuietUntil(at)
	if end.Sub(at) != 9*time.Hour+30*time.Minute {
		t.Fatalf("the long night is 9h30, got %v", end.Sub(at))
	}
	if _, quiet := us.QuietUntil(time.Date(2026, 3, 29, 12, 0, 0, 0, berlin)); quiet {
		t.Fatal("noon is not quiet")
	}
	us.QuietStart, us.QuietEnd = -1, -1
	if _, quiet := us.QuietUntil(at); quiet {
		t.Fatal("no quiet hours set")
	}
}

// A stored reason or answer is read back as the same constant the code compares with.
func TestFailReasonsAndAnswersKeepTheirStoredSpelling(t *testing.T) {
	for r, want := range map[FailReason]string{FailLinkEnded: "link-ended", FailTooLate: "too-late",
		FailDMsClosed: "dms-closed", FailRejected: "rejected", FailGaveUp: "gave-up"} {
		if string(r) != want {
			t.Errorf("reason %q, stored rows say %q", r, want)
		}
	}
	if got := Answers(); len(got) != 4 || got[0] != "good" || got[1] != "care" || got[2] != "talk" || got[3] != "space" {
		t.Errorf("answers %q", got)
	}
	if ValidAnswer("Good") || ValidAnswer("") || !ValidAnswer(AnswerSpace) {
		t.Error("ValidAnswer")
	}
}
