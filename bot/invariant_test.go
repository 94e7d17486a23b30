package bot

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// pairKey names an unordered pair of users.
func pairKey(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "|" + b
}

var (
	fromMention  = regexp.MustCompile(`From <@(\d+)>`)
	relayMention = regexp.MustCompile(`^<@(\d+)> (answered|added a few words)`)
	nowPartners  = regexp.MustCompile(`You and <@(\d+)> are now partners`)
)

// TestNoDMWithoutAcceptedLink runs 1,000 random actions by 20 users through the real
// session and checks, after each, that every check-in DM and every relayed answer went
// between two people who had accepted a link (or to oneself), per a model kept from what
// the users saw: accepts add a link; removes, stops, blocks and deletions end it.
func TestNoDMWithoutAcceptedLink(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("1,000 interactions; skipped with -short")
	}
	h := newHarness(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("AFTERGLOW_INVARIANT_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("AFTERGLOW_INVARIANT_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(7, seed))
	var history []string
	users := make([]dt.User, 20)
	for i := range users {
		users[i] = dt.User{ID: fmt.Sprintf("5%017d", i), Username: fmt.Sprintf("u%d", i)}
	}
	linked := map[string]bool{}
	seen := map[string]bool{} // ids of the messages checked so far (deleting their data deletes some)

	checkNewDMs := func(step int, action string) {
		for _, u := range users {
			for _, m := range h.botDMs(u) {
				if seen[m.ID] {
					continue
				}
				seen[m.ID] = true
				var from string
				if strings.HasPrefix(m.Nonce, "ag-ci-") {
					if len(m.Embeds) == 0 {
						t.Fatalf("step %d: check-in DM without embed", step)
					}
					if mm := fromMention.FindStringSubmatch(m.Embeds[0].Description); mm != nil {
						from = mm[1]
					} else {
						from = u.ID // a check-in to oneself names no sender
					}
				} else if mm := relayMention.FindStringSubmatch(m.Content); mm != nil {
					from = mm[1]
				} else {
					continue // invitations, acceptance and delivery notices
				}
				if from != u.ID && !linked[pairKey(from, u.ID)] {
					for _, line := range history {
						if strings.Contains(line, from[len(from)-2:]) && strings.Contains(line, u.ID[len(u.ID)-2:]) {
							t.Log(line)
						}
					}
					t.Fatalf("step %d (%s): DM to %s from %s without an accepted link:\n%+v", step, action, u.ID, from, m.MessageContent)
				}
			}
		}
	}
	// settle waits until nothing is due or being sent, so each step's DMs are out before
	// the next step.
	settle := h.waitIdle
	byID := map[string]dt.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	// pick mostly chooses partners, so links are used and ended while check-ins wait.
	pick := func() (dt.User, dt.User) {
		a := users[rng.IntN(len(users))]
		var partners []dt.User
		for _, k := range slices.Sorted(maps.Keys(linked)) { // sorted: a seed replays exactly
			x, y, _ := strings.Cut(k, "|")
			if x == a.ID {
				partners = append(partners, byID[y])
			} else if y == a.ID {
				partners = append(partners, byID[x])
			}
		}
		if len(partners) > 0 && rng.IntN(10) < 7 {
			return a, partners[rng.IntN(len(partners))]
		}
		return a, users[rng.IntN(len(users))]
	}
	for step := range 1000 {
		// Ten minutes a step: daily limits reset and invitations expire as in a real week.
		h.clock.Advance(10 * time.Minute) // fires the delivery loop's timer if a check-in fell due
		settle()                          // what fell due goes out before anyone acts
		checkNewDMs(step, "time passes")
		a, b := pick()
		var action string
		switch r := rng.IntN(100); {
		case r < 20:
			action = "invite"
			h.reply(h.srv.SlashCommand(a, guild, "partner", dt.SubCommand("invite", dt.UserOption("user", b))))
		case r < 40:
			action = "answer invitation"
			reqs := h.reply(h.srv.SlashCommand(b, guild, "partner", dt.SubCommand("requests")))
			if len(reqs.Components) == 0 {
				break
			}
			ids := reqs.CustomIDs()
			choice := ids[[]int{0, 0, 0, 1, 2}[rng.IntN(5)]] // mostly accept; sometimes decline or block
			up := h.invoke(h.srv.Click(b, guild, reqs.Message(), choice))
			if mm := nowPartners.FindStringSubmatch(up.Content); mm != nil {
				linked[pairKey(b.ID, mm[1])] = true
			}
			if strings.Contains(up.Content, "can no longer invite you") {
				inviter := regexp.MustCompile(`<@(\d+)>`).FindStringSubmatch(up.Content)[1]
				delete(linked, pairKey(b.ID, inviter))
			}
		case r < 60:
			// Some later: links may end before they fall due, and delivery must notice.
			in := []string{"now", "15m", "30m"}[rng.IntN(3)]
			action = "check-in " + in
			h.reply(h.srv.SlashCommand(a, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", b), dt.StringOption("in", in))))
		case r < 70:
			action = "remove"
			up := h.reply(h.srv.SlashCommand(a, guild, "partner", dt.SubCommand("remove", dt.UserOption("user", b))))
			if strings.Contains(up.Content, "no longer partners") {
				delete(linked, pairKey(a.ID, b.ID))
			}
		case r < 85:
			action = "answer check-in"
			msgs := h.botDMs(b)
			var cis []dt.Message
			for _, m := range msgs {
				if strings.HasPrefix(m.Nonce, "ag-ci-") {
					cis = append(cis, m)
				}
			}
			if len(cis) == 0 {
				break
			}
			m := cis[rng.IntN(len(cis))]
			current, ok := h.srv.Message(m.ID)
			if !ok || len(current.Components) == 0 {
				break
			}
			ids := current.CustomIDs()
			id := ids[rng.IntN(len(ids))]
			if strings.HasPrefix(id, "ci1:words:") {
				break // modal flows are covered elsewhere
			}
			up := h.invoke(h.srv.Click(b, dm, &current, id))
			if strings.Contains(up.Content, "can no longer send you check-ins") {
				sender := regexp.MustCompile(`<@(\d+)>`).FindStringSubmatch(up.Content)[1]
				delete(linked, pairKey(b.ID, sender))
			}
		case r < 92:
			action = "invitations setting"
			h.reply(h.srv.SlashCommand(a, guild, "settings", dt.BooleanOption("invitations", rng.IntN(2) == 0)))
		default:
			action = "delete my data"
			priv := h.reply(h.srv.SlashCommand(a, guild, "privacy"))
			ask := h.invoke(h.srv.Click(a, guild, priv.Message(), "pv1:delete"))
			h.invoke(h.srv.Click(a, guild, ask.Message(), "pv1:confirm"))
			for k := range linked {
				if strings.Contains(k, a.ID) {
					delete(linked, k)
				}
			}
		}
		settle()
		history = append(history, fmt.Sprintf("step %d: %s a=%s b=%s", step, action, a.ID[len(a.ID)-2:], b.ID[len(b.ID)-2:]))
		checkNewDMs(step, action)
	}
	total := len(seen)
	t.Logf("%d bot DMs checked, %d links at the end", total, len(linked))
	if total < 100 {
		t.Fatalf("only %d DMs: the random walk did not exercise delivery", total)
	}
}
