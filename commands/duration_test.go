package commands

import (
	"errors"
	"testing"
	"time"
)

func TestParseDelay(t *testing.T) {
	good := map[string]time.Duration{
		"": 0, "now": 0, "NOW": 0, "0": 0, "0m": 0, "15m": 15 * time.Minute, "2h": 2 * time.Hour,
		"1h30m": 90 * time.Minute, "1h 30m": 90 * time.Minute, "1d": 24 * time.Hour, "7d": maxDelay,
		"6d23h59m60s": maxDelay, "90m": 90 * time.Minute, "45s": 45 * time.Second, "168h": maxDelay,
	}
	for in, want := range good {
		got, err := ParseDelay(in)
		if err != nil || got != want {
			t.Errorf("ParseDelay(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]error{
		"soon": errDelayForm, "15": errDelayForm, "m": errDelayForm, "30m1h": errDelayForm, "1h1h": errDelayForm,
		"-5m": errDelayForm, "1.5h": errDelayForm, "1w": errDelayForm, "8d": errDelayTooLong, "7d1s": errDelayTooLong,
		"169h": errDelayTooLong, "99999999999999999999999d": errDelayTooLong, "9223372036854775807s": errDelayTooLong,
	}
	for in, want := range bad {
		if _, err := ParseDelay(in); !errors.Is(err, want) {
			t.Errorf("ParseDelay(%q) error = %v, want %v", in, err, want)
		}
	}
}

func TestDescribeDelay(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "now", 90 * time.Minute: "1 hour 30 minutes", 49 * time.Hour: "2 days 1 hour"} {
		if got := describeDelay(d); got != want {
			t.Errorf("describeDelay(%v) = %q, want %q", d, got, want)
		}
	}
}
