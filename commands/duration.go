package commands

import (
	"errors"
	"strings"
	"time"
)

// maxDelay is the furthest ahead a check-in can be scheduled.
const maxDelay = 7 * 24 * time.Hour

var (
	errDelayForm    = errors.New("unrecognised delay")
	errDelayTooLong = errors.New("delay over 7 days")
)

// ParseDelay reads the `in:` option: "now", or whole numbers with units d, h, m, s combined
// once each in that order, like "15m", "2h", "1h30m", "1d". It never overflows: every
// number is bounded before it is multiplied.
func ParseDelay(s string) (time.Duration, error) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if s == "" || s == "now" || s == "0" {
		return 0, nil
	}
	units := []struct {
		suffix byte
		size   time.Duration
	}{{'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}}
	var total time.Duration
	next := 0 // units must come in order and at most once
	for len(s) > 0 {
		n, digits := 0, 0
		for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
			if n > int(maxDelay/time.Second) {
				return 0, errDelayTooLong
			}
			n = n*10 + int(s[digits]-'0')
			digits++
		}
		if digits == 0 || digits == len(s) {
			return 0, errDelayForm
		}
		u := next
		for u < len(units) && units[u].suffix != s[digits] {
			u++
		}
		if u == len(units) {
			return 0, errDelayForm
		}
		if time.Duration(n) > maxDelay/units[u].size {
			return 0, errDelayTooLong
		}
		total += time.Duration(n) * units[u].size
		if total > maxDelay {
			return 0, errDelayTooLong
		}
		next = u + 1
		s = s[digits+1:]
	}
	return total, nil
}

// describeDelay writes a delay in words, e.g. "1 hour 30 minutes".
func describeDelay(d time.Duration) string {
	if d <= 0 {
		return "now"
	}
	parts := []string{}
	for _, u := range []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}} {
		if n := d / u.size; n > 0 {
			name := u.name
			if n > 1 {
				name += "s"
			}
			parts = append(parts, itoa(int64(n))+" "+name)
			d -= n * u.size
		}
	}
	return strings.Join(parts, " ")
}
