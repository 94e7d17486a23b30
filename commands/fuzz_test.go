package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for the parsers that read what people type or click. The seeds below run as
// ordinary tests; testdata/fuzz/<Name>/ holds the committed corpus, including every input
// that once failed.

func FuzzParseCustomID(f *testing.F) {
	for _, seed := range []string{
		"ac1:home", "ac1:topic", "ci1:answer:42:good", "pt1:accept:7", "a:b:", "a:b::", ":b", "a:", "a",
		"", ":", "::", "ci1:answer:" + strings.Repeat("9", 89), strings.Repeat("x:", 51), "é:ü:ß", "\xff:\xfe",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseCustomID(s)
		parts := strings.Split(s, ":")
		readable := s != "" && len(s) <= maxCustomID && len(parts) >= 2 && parts[0] != "" && parts[1] != ""
		if (err == nil) != readable {
			t.Fatalf("parseCustomID(%q) error = %v; want an error: %v", s, err, !readable)
		}
		if err != nil {
			if id.Route != "" || id.Args != nil {
				t.Errorf("parseCustomID(%q) failed but returned %+v", s, id)
			}
			return
		}
		route, action, ok := strings.Cut(id.Route, ":")
		if !ok || route == "" || action == "" || strings.Contains(action, ":") {
			t.Errorf("parseCustomID(%q).Route = %q, want <feature>:<action>", s, id.Route)
		}
		for _, a := range id.Args {
			if strings.Contains(a, ":") {
				t.Errorf("parseCustomID(%q): argument %q holds a ':'", s, a)
			}
		}
		if back := joinCustomID(id.Route, id.Args...); back != s {
			t.Errorf("joinCustomID(%q, %q) = %q, want the parsed id %q back", id.Route, id.Args, back, s)
		}
	})
}

// delayGrammar is ParseDelay's accepted form once spaces and case are set aside.
var delayGrammar = regexp.MustCompile(`^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$`)

// referenceDelay is an independent reading of the `in:` grammar with unbounded numbers:
// ok says whether s has the accepted form, and value is what it means (any size).
func referenceDelay(s string) (value *big.Int, ok bool) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if s == "" || s == "now" || s == "0" {
		return new(big.Int), true
	}
	m := delayGrammar.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	total := new(big.Int)
	for i, size := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		n, _ := new(big.Int).SetString(m[i+1], 10)
		total.Add(total, n.Mul(n, big.NewInt(int64(size))))
	}
	return total, true
}

// compactDelay writes d in ParseDelay's own compact form, e.g. "1d2h3m4s".
func compactDelay(d time.Duration) string {
	if d == 0 {
		return "now"
	}
	var b strings.Builder
	for _, u := range []struct {
		size time.Duration
		unit string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.size; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.unit)
			d -= n * u.size
		}
	}
	return b.String()
}

// sumDescribed reads describeDelay's words ("1 day 2 hours") back into a duration.
func sumDescribed(text string) (time.Duration, error) {
	if text == "now" {
		return 0, nil
	}
	sizes := map[string]time.Duration{"day": 24 * time.Hour, "hour": time.Hour, "minute": time.Minute, "second": time.Second}
	words := strings.Fields(text)
	if len(words) == 0 || len(words)%2 != 0 {
		return 0, fmt.Errorf("%q is not <number> <unit> pairs", text)
	}
	var total time.Duration
	for i := 0; i < len(words); i += 2 {
		n, err := strconv.ParseInt(words[i], 10, 64)
		unit := words[i+1]
		if n != 1 {
			unit = strings.TrimSuffix(unit, "s")
		}
		size, known := sizes[unit]
		if err != nil || !known || n < 1 {
			return 0, fmt.Errorf("%q: bad pair %q %q", text, words[i], words[i+1])
		}
		total += time.Duration(n) * size
	}
	return total, nil
}

func FuzzParseDelay(f *testing.F) {
	for _, seed := range []string{
		"", "now", "NOW", " now ", "0", "00", "0m", "15m", "2h", "1h30m", "1h 30m", "1d", "7d", "6d23h59m60s", "168h",
		"8d", "7d1s", "169h", "604800s", "604801s", "30m1h", "1h1h", "-5m", "1.5h", "1w", "m", "15",
		"99999999999999999999999d", "9223372036854775807s", "0000000000000000000000001s", "1d\t2h", "１h", "\xffh",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDelay(s)
		want, grammatical := referenceDelay(s)
		within := grammatical && want.Cmp(big.NewInt(int64(maxDelay))) <= 0
		switch {
		case within && err != nil:
			t.Fatalf("ParseDelay(%q) = %v, want %v", s, err, want)
		case !within && err == nil:
			t.Fatalf("ParseDelay(%q) = %v, want an error (grammatical: %v, value %v)", s, got, grammatical, want)
		case grammatical && !within && !errors.Is(err, errDelayTooLong):
			t.Fatalf("ParseDelay(%q) error = %v, want %v", s, err, errDelayTooLong)
		case err != nil:
			if !errors.Is(err, errDelayForm) && !errors.Is(err, errDelayTooLong) {
				t.Fatalf("ParseDelay(%q) error = %v, not one of the two refusals", s, err)
			}
			return
		}
		if got < 0 || got > maxDelay || big.NewInt(int64(got)).Cmp(want) != 0 {
			t.Fatalf("ParseDelay(%q) = %v, want %v within [0, %v]", s, got, want, maxDelay)
		}
		words := describeDelay(got)
		if back, err := sumDescribed(words); err != nil || back != got {
			t.Errorf("describeDelay(%v) = %q, which reads back as %v (%v)", got, words, back, err)
		}
		if (words == "now") != (got == 0) {
			t.Errorf("describeDelay(%v) = %q: \"now\" is for zero alone", got, words)
		}
		if again, err := ParseDelay(compactDelay(got)); err != nil || again != got {
			t.Errorf("ParseDelay(%q) = %v, %v; want %v back", compactDelay(got), again, err, got)
		}
	})
}

// errorsTo is a logger that writes only error records, the ones a test treats as failures.
func errorsTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelError}))
}

func FuzzParseCommandLine(f *testing.F) {
	for _, seed := range []string{
		"/aftercare", `/aftercare topic:"sub drop" share:true`, "/aftercare topic:drop share:maybe", "/aftercare topic:a topic:b",
		`/aftercare topic:"open`, "/aftercare topic", "/about", "/privacy", "/settings timezone:Europe/Berlin quiet_hours:22-08",
		"/settings invitations:false followups:true", "/checkin list", "/checkin send partner:<@!200000000000000002> in:1h30m note:'take care'",
		"/checkin send partner:100000000000000100 in:now followups:true", "/checkin send partner:1 in:8d", "/checkin cancel id:1",
		"/checkin cancel id:-1", "/partner invite user:<@200000000000000002>", "/partner invite user:100000000000000100",
		"/partner requests", "/partner list", "/partner remove user:5", "/partner block user:5", "/partner unblock user:<@200000000000000002>", "/plan edit", "/plan show user:200000000000000002",
		"/server-setup resources:\"call 112\" checkins:true public_aftercare:true", "/nope", "/", "", "  \t\n",
		"/checkin", "/checkin topic:x", "/checkin nope", "/aftercare topic:" + strings.Repeat("ü", 101), "/aftercare :x",
	} {
		f.Add(seed)
	}
	fx := newFixture(f)
	// A handler that panics or fails is a bug even though Handle answers politely: the
	// router's error records say so.
	var failures bytes.Buffer
	router := NewRouter(Deps{Content: fx.lib, Store: fx.store, Clock: func() time.Time { return fx.now }, DM: fx.dms, Log: errorsTo(&failures)})
	defs := router.Definitions()
	f.Fuzz(func(t *testing.T, line string) {
		req, err := ParseCommandLine(defs, line)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseCommandLine(%q) failed with an empty message", line)
			}
			return
		}
		checkParsedAgainstDefinitions(t, defs, line, req)
		fx.dms.sent = nil
		resp := router.Handle(context.Background(), req).Response
		if failures.Len() > 0 {
			t.Errorf("%q: the router logged an error:\n%s", line, failures.String())
			failures.Reset()
		}
		checkResponseLimits(t, resp)
		for _, dm := range fx.dms.sent {
			for _, p := range messageProblems(dm.Msg) {
				t.Errorf("%q: DM to %s: %s", line, dm.To, p)
			}
		}
		_ = Render(resp)
	})
}

// checkParsedAgainstDefinitions asserts that req is something Discord itself could send for defs.
func checkParsedAgainstDefinitions(t *testing.T, defs []Definition, line string, req Request) {
	t.Helper()
	var def *Definition
	for i := range defs {
		if defs[i].Name == req.Command {
			def = &defs[i]
		}
	}
	if def == nil || req.Kind != KindCommand {
		t.Fatalf("ParseCommandLine(%q) = command %q of kind %v: not a defined command", line, req.Command, req.Kind)
	}
	opts := def.Options
	if hasSubcommands(opts) {
		sub := findOption(opts, req.Subcommand)
		if sub == nil || sub.Type != OptionSubcommand {
			t.Fatalf("ParseCommandLine(%q): /%s has no subcommand %q", line, req.Command, req.Subcommand)
		}
		opts = sub.Options
	} else if req.Subcommand != "" {
		t.Fatalf("ParseCommandLine(%q): /%s has no subcommands, got %q", line, req.Command, req.Subcommand)
	}
	for name, value := range req.Options {
		o := findOption(opts, name)
		if o == nil || o.Type == OptionSubcommand {
			t.Fatalf("ParseCommandLine(%q): option %q is not defined", line, name)
		}
		if problem := optionValueProblem(*o, value); problem != "" {
			t.Errorf("ParseCommandLine(%q): option %q = %q: %s", line, name, value, problem)
		}
	}
	for _, o := range opts {
		if _, given := req.Options[o.Name]; o.Required && !given {
			t.Errorf("ParseCommandLine(%q): required option %q is missing", line, o.Name)
		}
	}
}

// optionValueProblem says how a value breaks what Discord guarantees for its option type.
func optionValueProblem(o OptionDef, v string) string {
	switch o.Type {
	case OptionBoolean:
		if v != "true" && v != "false" {
			return "not true or false"
		}
	case OptionInteger:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "not a whole number"
		}
	case OptionUser:
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			return "not a user id"
		}
	case OptionString:
		if o.MaxLength > 0 && runeLen(v) > o.MaxLength {
			return fmt.Sprintf("longer than %d characters", o.MaxLength)
		}
	}
	return ""
}

func TestHandleRefusesARequestWithoutCaller(t *testing.T) {
	// Found through the bot's FuzzInteractionDecode: a modal submit with no member and no
	// user reached the plan handler, which then failed to save a plan for user "".
	fx := newFixture(t)
	var failures bytes.Buffer
	router := NewRouter(Deps{Content: fx.lib, Store: fx.store, Clock: func() time.Time { return fx.now },
		Log: errorsTo(&failures)})
	resp := router.Handle(context.Background(), Request{Kind: KindModal, InteractionID: "1", CustomID: routePlanModal,
		Fields: map[string]string{"needs": "water"}})
	if resp.Content != msgSomethingWrong || !resp.Ephemeral {
		t.Errorf("got %+v, want a private error", resp)
	}
	if failures.Len() > 0 {
		t.Errorf("a request without a caller reached a handler:\n%s", failures.String())
	}
}
