package content

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// requiredIDs are the topics the commands and the issue name; each must ship.
var requiredIDs = []string{
	"overview", "comfort", "touch", "communication", "check-in", "debrief", "cuddle",
	"massage", "chill", "shower", "pillow-talk", "why", "pcd", "drop", "kink", "negotiate",
	"solo", "long-distance", "space", "routine", "red-flags", "resources", "boundary",
}

func loadEmbedded(t testing.TB) *Library {
	t.Helper()
	lib, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return lib
}

func mustTopic(t *testing.T, lib *Library, id string) Topic {
	t.Helper()
	topic, ok := lib.Topic(id)
	if !ok {
		t.Fatalf("topic %q missing", id)
	}
	return topic
}

func TestEmbeddedTopicsLoad(t *testing.T) {
	lib := loadEmbedded(t)
	for _, id := range requiredIDs {
		topic := mustTopic(t, lib, id)
		if topic.ID != id {
			t.Errorf("Topic(%q) returned id %q", id, topic.ID)
		}
	}
	if _, ok := lib.Topic("no-such-topic"); ok {
		t.Error("Topic found an id that does not exist")
	}
	topics := lib.Topics()
	if len(topics) != len(requiredIDs) {
		t.Errorf("got %d topics, want %d", len(topics), len(requiredIDs))
	}
	if topics[0].ID != "overview" {
		t.Errorf("first topic is %q, want overview", topics[0].ID)
	}
	if !slices.IsSortedFunc(topics, func(a, b Topic) int { return a.Order - b.Order }) {
		t.Error("Topics not sorted by Order")
	}
}

func TestMustLoadMatchesLoad(t *testing.T) {
	if got, want := len(MustLoad().Topics()), len(loadEmbedded(t).Topics()); got != want {
		t.Errorf("MustLoad gave %d topics, Load %d", got, want)
	}
}

func TestTopicsReturnsACopy(t *testing.T) {
	lib := loadEmbedded(t)
	lib.Topics()[0].Title = "changed"
	if lib.Topics()[0].Title == "changed" {
		t.Error("changing the result of Topics changed the library")
	}
}

func TestTopicsFitDiscordLimits(t *testing.T) {
	// Phone-sized: the brief asks for about 1,500 characters; Discord's hard limit is 4,096.
	const phoneBody = 1500
	for _, topic := range loadEmbedded(t).Topics() {
		title := utf8.RuneCountInString(topic.Title)
		summary := utf8.RuneCountInString(topic.Summary)
		body := utf8.RuneCountInString(topic.Body)
		switch {
		case title < 1 || title > 100:
			t.Errorf("%s: title %d characters, want 1..100 (autocomplete name limit)", topic.ID, title)
		case summary < 1 || summary > 100:
			t.Errorf("%s: summary %d characters, want 1..100", topic.ID, summary)
		case body < 1 || body > phoneBody:
			t.Errorf("%s: body %d characters, want 1..%d", topic.ID, body, phoneBody)
		case title+body > 6000:
			t.Errorf("%s: title+body %d characters, over 6000", topic.ID, title+body)
		case len(topic.Keywords) == 0:
			t.Errorf("%s: no keywords", topic.ID)
		}
	}
}

func TestEveryTopicReachableByAutocomplete(t *testing.T) {
	lib := loadEmbedded(t)
	for _, topic := range lib.Topics() {
		for _, q := range []string{topic.Title, topic.ID, strings.ToUpper(topic.Title)} {
			if got := lib.Search(q, 25); len(got) == 0 || got[0].ID != topic.ID {
				t.Errorf("Search(%q): first result %v, want %s", q, ids(got), topic.ID)
			}
		}
		for _, kw := range topic.Keywords {
			if got := lib.Search(kw, 25); !slices.Contains(ids(got), topic.ID) {
				t.Errorf("Search(keyword %q) = %v, missing %s", kw, ids(got), topic.ID)
			}
		}
	}
}

// The overview is the hub: its related list names every other topic, so one click from it
// reaches anything.
func TestOverviewReachesEveryTopic(t *testing.T) {
	lib := loadEmbedded(t)
	overview := mustTopic(t, lib, "overview")
	for _, topic := range lib.Topics() {
		if topic.ID != "overview" && !slices.Contains(overview.Related, topic.ID) {
			t.Errorf("overview does not link %s", topic.ID)
		}
	}
	body := strings.ToLower(overview.Body)
	for _, practice := range []string{"comfort", "touch", "communication", "check-in", "debrief",
		"cuddle", "massage", "chill", "shower", "pillow talk"} {
		if !strings.Contains(body, practice) {
			t.Errorf("overview body does not mention %q", practice)
		}
	}
}

func TestRequiredFacts(t *testing.T) {
	lib := loadEmbedded(t)
	want := map[string][]string{
		"pcd": {"46", "41", "2015", "2019", "2020", "Schweitzer", "Burri", "Hilpert",
			"Sexual Medicine", "Journal of Sex & Marital Therapy", "Journal of Sexual Medicine",
			"masturbation", "not a sign of bad sex"},
		"drop":      {"three days", "top drop", "sub drop", "report", "/checkin", "follow-up"},
		"red-flags": {"neck", "swallowing", "numbness", "tingling", "weakness", "bondage", "fainting", "red spots", "days later", "bruises", "out of proportion", "emergency", "medical", "not medical advice"},
		"resources": {"emergency services", "doctor"},
		"routine":   {"/plan"},
		"negotiate": {"before", "/plan"},
		"overview":  {"everyone", "cool-down"},
	}
	for id, phrases := range want {
		body := strings.ToLower(mustTopic(t, lib, id).Body)
		for _, phrase := range phrases {
			if !strings.Contains(body, strings.ToLower(phrase)) {
				t.Errorf("%s does not mention %q", id, phrase)
			}
		}
	}
}

// negatedAdvice matches "medical advice" only where the text says it is not given.
var negatedAdvice = regexp.MustCompile(`(?i)(not|cannot give|can't give|cannot offer)( any)? medical advice`)

func TestNoLinksBrandsOrAdviceClaims(t *testing.T) {
	for _, topic := range loadEmbedded(t).Topics() {
		text := strings.ToLower(topic.Title + "\n" + topic.Summary + "\n" + topic.Body)
		for _, banned := range []string{"http", "www.", ".com", "record consent", "proof of consent", "proves consent"} {
			if strings.Contains(text, banned) {
				t.Errorf("%s contains %q", topic.ID, banned)
			}
		}
		all := strings.Count(text, "medical advice")
		if negated := len(negatedAdvice.FindAllString(text, -1)); negated != all {
			t.Errorf("%s: %d of %d mentions of medical advice are not disclaimers", topic.ID, all-negated, all)
		}
	}
}

func TestPrompts(t *testing.T) {
	lib := loadEmbedded(t)
	total := 0
	for _, pool := range allPools {
		prompts := lib.pools[pool]
		total += len(prompts)
		if len(prompts) == 0 {
			t.Fatalf("pool %v has no prompts", pool)
		}
		for _, id := range []int64{-1, math.MinInt64, math.MaxInt64, 1 << 40} {
			if lib.Prompt(pool, id) == "" {
				t.Errorf("Prompt(%v, %d) empty", pool, id)
			}
		}
	}
	if total < 8 {
		t.Errorf("got %d prompts, want at least 8", total)
	}
	late := lib.LatePrefix()
	if late == "" || strings.Contains(late, "\n") || !strings.Contains(strings.ToLower(late), "sorry") {
		t.Errorf("LatePrefix = %q, want one line of apology", late)
	}
}

func TestConcurrentReads(t *testing.T) {
	lib := loadEmbedded(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 200 {
				lib.Search("drop", 25)
				lib.Closest("drp", 3)
				lib.Topic("pcd")
				lib.Prompt(PoolPartner, int64(i))
			}
		})
	}
	wg.Wait()
}

func ids(topics []Topic) []string {
	out := make([]string, len(topics))
	for i, t := range topics {
		out[i] = t.ID
	}
	return out
}
