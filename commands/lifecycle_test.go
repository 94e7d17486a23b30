package commands

import (
	"fmt"
	"strings"
	"testing"
)

// Every /checkin send confirmation says when, `now` included.
func TestCheckinNowConfirmationShowsTheTime(t *testing.T) {
	f := newFixture(t)
	f.link(t, alice, bob)
	for _, opts := range []map[string]string{{"partner": bob.ID}, {"partner": alice.ID}} {
		r := f.do(t, sub(alice, "checkin", "send", opts))
		if !r.Ephemeral || !strings.Contains(r.Content, "on its way") || !strings.Contains(r.Content, fmt.Sprintf("<t:%d:R>", f.now.Unix())) {
			t.Fatalf("now confirmation for %s: %q", opts["partner"], r.Content)
		}
	}
}
