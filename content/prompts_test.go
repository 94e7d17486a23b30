package content

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// discreetWords must never appear in a check-in prompt or the late prefix: a DM preview can
// show on a lock screen or a shared phone, and none may hint at sex, marks, a scene or a
// meeting, or press for an answer.
var discreetWords = []string{"sex", "sexy", "sexual", "scene", "scenes", "mark", "marks", "bruise",
	"bruises", "sore", "ache", "aches", "body", "together", "night", "tonight", "bed", "date", "meet",
	"met", "play", "played", "intimate", "kink", "hurt", "honestly", "honest", "must", "owe"}

var wordRE = regexp.MustCompile(`[\p{L}']+`)

func TestPromptsAreDiscreet(t *testing.T) {
	lib := loadEmbedded(t)
	texts := []string{lib.LatePrefix()}
	for _, pool := range allPools {
		texts = append(texts, lib.pools[pool]...)
	}
	for _, text := range texts {
		for _, w := range wordRE.FindAllString(strings.ToLower(text), -1) {
			if slices.Contains(discreetWords, strings.TrimSuffix(w, "'s")) {
				t.Errorf("prompt %q contains %q", text, w)
			}
		}
	}
}

func TestPromptPools(t *testing.T) {
	lib := loadEmbedded(t)
	// Words that would be wrong in a pool: a self check-in has no one to ask things of, and a
	// follow-up days later is not about "earlier".
	wrong := map[PromptPool][]string{
		PoolSelf:     {"from me", " me ", " me.", " me?", "earlier", "i'm here", "i wanted", "you matter to me"},
		PoolFollowUp: {"earlier", "right now", "this morning", "tonight", "today's"},
	}
	for _, pool := range allPools {
		prompts := lib.pools[pool]
		if len(prompts) < 4 {
			t.Errorf("pool %v has %d prompts, want at least 4", pool, len(prompts))
		}
		for _, p := range prompts {
			for _, w := range wrong[pool] {
				if strings.Contains(" "+strings.ToLower(p), w) {
					t.Errorf("pool %v: %q contains %q", pool, p, w)
				}
			}
		}
		seen := map[string]bool{}
		for id := range int64(2 * len(prompts)) {
			p := lib.Prompt(pool, id)
			if !slices.Contains(prompts, p) {
				t.Errorf("Prompt(%v, %d) = %q, not from its own pool", pool, id, p)
			}
			if again := lib.Prompt(pool, id); again != p {
				t.Errorf("Prompt(%v, %d) changed from %q to %q", pool, id, p, again)
			}
			seen[p] = true
		}
		if len(seen) != len(prompts) {
			t.Errorf("pool %v: consecutive ids gave %d distinct prompts, want %d", pool, len(seen), len(prompts))
		}
	}
	for i, a := range allPools {
		for _, b := range allPools[i+1:] {
			for _, p := range lib.pools[a] {
				if slices.Contains(lib.pools[b], p) {
					t.Errorf("%q is in pools %v and %v", p, a, b)
				}
			}
		}
	}
}
