package content

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// crisisWords are the words of someone in crisis; a topic that uses any of them must give
// the way to the crisis wording, whatever else it says.
var crisisWords = []string{"suicid", "self-harm", "hurting yourself", "hurt yourself", "crisis", "unsafe", "in danger"}

const (
	resourcesCommand = "/aftercare topic:resources"
	boundaryID       = "boundary"
)

func TestCrisisWordsPointToResources(t *testing.T) {
	lib := loadEmbedded(t)
	found := 0
	for _, topic := range lib.Topics() {
		body := strings.ToLower(topic.Body)
		i := slices.IndexFunc(crisisWords, func(w string) bool { return strings.Contains(body, w) })
		if i < 0 || topic.ID == "resources" {
			continue
		}
		found++
		if !strings.Contains(topic.Body, resourcesCommand) {
			t.Errorf("%s mentions %q but does not point to %s", topic.ID, crisisWords[i], resourcesCommand)
		}
	}
	// The echo of the crisis line: these three are where a low mood is most likely read.
	for _, id := range []string{"pcd", "drop", "solo"} {
		body := strings.ToLower(mustTopic(t, lib, id).Body)
		if !slices.ContainsFunc(crisisWords, func(w string) bool { return strings.Contains(body, w) }) ||
			!strings.Contains(body, resourcesCommand) {
			t.Errorf("%s lacks the short crisis line pointing to %s", id, resourcesCommand)
		}
	}
	if found < 3 {
		t.Errorf("only %d topics mention crisis words; has the wording changed?", found)
	}
}

// The crisis path never depends on server setup: the topic itself carries it.
func TestResourcesCarriesTheCrisisPath(t *testing.T) {
	lib := loadEmbedded(t)
	res := mustTopic(t, lib, "resources")
	body := strings.ToLower(res.Body)
	for _, want := range []string{"hurting yourself", "unsafe", "emergency services", "crisis line",
		"112", "911", "999", "988", "samaritans", "116 123", "example", "your server"} {
		if !strings.Contains(body, want) {
			t.Errorf("resources does not mention %q", want)
		}
	}
	for _, kw := range []string{"suicidal", "self-harm", "crisis", "unsafe", "emergency"} {
		if !slices.Contains(res.Keywords, kw) {
			t.Errorf("resources lacks keyword %q", kw)
		}
		if got := ids(lib.Search(kw, 25)); !slices.Contains(got, "resources") {
			t.Errorf("Search(%q) = %v, missing resources", kw, got)
		}
	}
}

func TestBoundaryTopic(t *testing.T) {
	lib := loadEmbedded(t)
	b := mustTopic(t, lib, boundaryID)
	if n := utf8.RuneCountInString(b.Title) + utf8.RuneCountInString(b.Body); n > maxEmbedText || utf8.RuneCountInString(b.Body) > maxBody {
		t.Errorf("%s does not fit one embed: %d characters", boundaryID, n)
	}
	for _, kw := range []string{"consent", "boundary", "safeword", "assault", "violated"} {
		if !slices.Contains(b.Keywords, kw) {
			t.Errorf("%s lacks keyword %q", boundaryID, kw)
		}
		if got := lib.Search(kw, 25); len(got) == 0 || got[0].ID != boundaryID {
			t.Errorf("Search(%q) = %v, want %s first", kw, ids(got), boundaryID)
		}
	}
	body := strings.ToLower(b.Body)
	for _, want := range []string{"not your fault", "safety", "medical", "moderators", "you decide",
		"stop", "listen", "argue", "space", "responsibility", "before playing again"} {
		if !strings.Contains(body, want) {
			t.Errorf("%s does not mention %q", boundaryID, want)
		}
	}
}

// The safety topics come right after the overview, so a menu shows them without scrolling.
func TestMenuOrderPutsSafetyFirst(t *testing.T) {
	got := ids(loadEmbedded(t).Topics())
	want := []string{"overview", "red-flags", "resources", boundaryID}
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("menu starts %v, want %v", got[:min(len(got), len(want))], want)
	}
}

// Every cross-reference is a command a person can type, naming a real topic; a bare bold
// title cannot be typed or clicked.
var (
	commandReference = regexp.MustCompile("`/aftercare topic:([a-z0-9-]+)`")
	titleReference   = regexp.MustCompile(`(?i)see \*\*[^*]+\*\*`)
)

func TestCrossReferencesAreCommands(t *testing.T) {
	lib := loadEmbedded(t)
	found := 0
	for _, topic := range lib.Topics() {
		if m := titleReference.FindString(topic.Body); m != "" {
			t.Errorf("%s points to a topic by its bold title (%q); use `/aftercare topic:<id>`", topic.ID, m)
		}
		for _, match := range commandReference.FindAllStringSubmatch(topic.Body, -1) {
			found++
			if _, ok := lib.Topic(match[1]); !ok {
				t.Errorf("%s points to %q, which is no topic's id", topic.ID, match[1])
			}
		}
	}
	if found < 5 {
		t.Errorf("only %d command cross-references found; has the wording changed?", found)
	}
}

// The texts say only what is known, and say it with care.
func TestCarefulClaims(t *testing.T) {
	lib := loadEmbedded(t)
	why := strings.ToLower(mustTopic(t, lib, "why").Body)
	if !strings.Contains(why, "researchers think hormones may play a part") || strings.Contains(why, "hormone levels fall") {
		t.Error("why: the hormone line must be a hedge")
	}
	pcd := mustTopic(t, lib, "pcd").Body
	for _, want := range []string{"230 female university students", "1,208 men", "online", "convenience sample", "46%"} {
		if !strings.Contains(pcd, want) {
			t.Errorf("pcd does not name %q", want)
		}
	}
	if strings.Contains(pcd, " %") {
		t.Error("pcd: a percentage is split from its sign")
	}
	drop := mustTopic(t, lib, "drop").Body
	if !strings.Contains(drop, "/aftercare topic:"+boundaryID) {
		t.Error("drop does not point to the boundary topic for a scene that did not go as agreed")
	}
	if i := strings.Index(drop, "You did nothing wrong"); i >= 0 && !strings.Contains(drop[max(0, i-120):i], "as agreed") {
		t.Error("drop: \"You did nothing wrong\" only where the scene went as agreed")
	}
	overview := strings.ToLower(mustTopic(t, lib, "overview").Body)
	if strings.Contains(overview, "ask about") {
		t.Error("overview suggests the bot answers free questions")
	}
	redFlags := strings.ToLower(mustTopic(t, lib, "red-flags").Body)
	for _, want := range []string{"headache", "confusion", "speaking", "numbness on one side", "drooping",
		"bleeding", "infection", "fever", "fainted", "leave them alone", "dark", "same day"} {
		if !strings.Contains(redFlags, want) {
			t.Errorf("red-flags does not mention %q", want)
		}
	}
	checkIn := strings.ToLower(mustTopic(t, lib, "check-in").Body)
	if !strings.Contains(checkIn, "discreet") {
		t.Error("check-in does not advise keeping notes discreet")
	}
}

// One phrase for partners, and the comfort list said once, in the comfort topic.
func TestConsistentWording(t *testing.T) {
	for _, topic := range loadEmbedded(t).Topics() {
		body := strings.ToLower(topic.Body)
		if all, plural := strings.Count(body, "your partner"), strings.Count(body, "your partner(s)"); all != plural {
			t.Errorf("%s: %d of %d mentions of your partner lack \"(s)\"", topic.ID, all-plural, all)
		}
		// Kink and solo care name physical care in their own setting; elsewhere, point to comfort.
		if strings.Contains(body, "water") && strings.Contains(body, "blanket") &&
			!slices.Contains([]string{"comfort", "kink", "solo"}, topic.ID) {
			t.Errorf("%s repeats the comfort list (water, blanket); point to /aftercare topic:comfort", topic.ID)
		}
	}
}
