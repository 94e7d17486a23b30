package storage

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// The domain's rules that ride on the stored data, beside the types that hold it: the
// check-in statuses and what they allow, the reasons a check-in failed, the answers a
// recipient can give, and when someone's quiet hours hold back a DM.

// DefaultRetentionDays is how long finished check-ins and closed invitations are kept
// unless the config says otherwise.
const DefaultRetentionDays = 30

// CheckInStatus is where a check-in is in its life.
type CheckInStatus string

// The check-in statuses. pending -> sending -> sent -> answered is the happy path; sending
// goes back to pending for a retry, or ends in failed, undeliverable or dropped.
const (
	StatusPending       CheckInStatus = "pending"
	StatusSending       CheckInStatus = "sending"
	StatusSent          CheckInStatus = "sent"
	StatusAnswered      CheckInStatus = "answered"
	StatusFailed        CheckInStatus = "failed"
	StatusUndeliverable CheckInStatus = "undeliverable"
	StatusCancelled     CheckInStatus = "cancelled"
	StatusDropped       CheckInStatus = "dropped"
)

// Answerable says whether a recipient's button may act on a check-in in this status: once
// its DM is posted, which may be a moment before its worker records it sent.
func Answerable(s CheckInStatus) bool {
	return s == StatusSending || s == StatusSent || s == StatusAnswered
}

// FailReason says why a check-in ended without being delivered: a short code, stored and
// exported as it is spelled here, never user text.
type FailReason string

// The reasons a check-in fails.
const (
	FailLinkEnded FailReason = "link-ended" // the two are no longer partners: nobody to tell
	FailTooLate   FailReason = "too-late"   // due too long ago to still send
	FailDMsClosed FailReason = "dms-closed" // Discord will not deliver to the recipient
	FailRejected  FailReason = "rejected"   // Discord refused the message for good
	FailGaveUp    FailReason = "gave-up"    // every retry failed
)

// The answers a recipient can give with the buttons.
const (
	AnswerGood  = "good"
	AnswerCare  = "care"
	AnswerTalk  = "talk"
	AnswerSpace = "space"
)

// Answers lists every answer, in the order the buttons show them.
func Answers() []string { return []string{AnswerGood, AnswerCare, AnswerTalk, AnswerSpace} }

// ValidAnswer says whether s is one of Answers.
func ValidAnswer(s string) bool { return slices.Contains(Answers(), s) }

// LoadZone reads a time zone a person chose. Only IANA names count: "Local" would mean the
// server's zone, not theirs.
func LoadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, errBadZone
	}
	return time.LoadLocation(name)
}

var errBadZone = errors.New("bad zone")

// QuietUntil says whether t falls in the person's quiet hours and, if so, when they end,
// computed in their own time zone so that daylight-saving changes move the window with
// their clock.
func (us UserSettings) QuietUntil(t time.Time) (time.Time, bool) {
	if us.QuietStart < 0 || us.QuietEnd < 0 || us.QuietStart == us.QuietEnd {
		return time.Time{}, false
	}
	loc, err := LoadZone(us.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	local := t.In(loc)
	now := local.Hour()*60 + local.Minute()
	y, m, d := local.Date()
	endOn := func(day int) time.Time {
		return time.Date(y, m, day, us.QuietEnd/60, us.QuietEnd%60, 0, 0, loc)
	}
	if us.QuietStart < us.QuietEnd { // e.g. 13:00-15:00, within one day
		if now >= us.QuietStart && now < us.QuietEnd {
			return endOn(d), true
		}
		return time.Time{}, false
	}
	switch { // wraps midnight, e.g. 23:00-08:00
	case now >= us.QuietStart:
		return endOn(d + 1), true
	case now < us.QuietEnd:
		return endOn(d), true
	}
	return time.Time{}, false
}
