package content

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// rankingFixture has one topic per search tier for the query "drop", with Orders running
// against the ranking so a result ordered by Order alone would fail.
func rankingFixture(t *testing.T) *Library {
	t.Helper()
	fsys := fstest.MapFS{
		"prompts/partner.txt":  file("Hi.\n"),
		"prompts/self.txt":     file("Hi, me.\n"),
		"prompts/followup.txt": file("Hi again.\n"),
		"prompts/late.txt":     file("Sorry.\n"),
	}
	for _, f := range []fixtureTopic{
		{"drop", "Something else", "S.", "k", "", 70, "B."},                  // exact id
		{"dropping", "Dropping by", "S.", "k", "", 60, "B."},                 // title prefix
		{"sub", "Sub drop", "S.", "k", "", 50, "B."},                         // title word
		{"kw", "Keyword", "S.", "drop", "", 40, "B."},                        // keyword
		{"kw-word", "Keyword word", "S.", "top drop", "", 30, "B."},          // keyword word
		{"summary", "In summary", "A backdrop.", "k", "", 20, "B."},          // substring
		{"body-only", "Body only", "S.", "k", "", 10, "drop drop."},          // body is not searched
		{"second-sub", "Another drop", "S.", "k", "", 55, "B."},              // title word, later Order
		{"first-sub", "First drop", "S.", "k", "", 45, "B."},                 // title word, earlier Order
		{"words", "Words apart", "Drop in, we are apart.", "k", "", 5, "B."}, // substring
	} {
		fsys["topics/"+f.id+".md"] = file(f.text())
	}
	lib, err := LoadFS(fsys)
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	return lib
}

func TestSearchRanking(t *testing.T) {
	lib := rankingFixture(t)
	cases := []struct {
		query string
		want  []string
	}{
		{"drop", []string{"drop", "dropping", "first-sub", "sub", "second-sub", "kw", "kw-word", "words", "summary"}},
		{"  DROP!! ", []string{"drop", "dropping", "first-sub", "sub", "second-sub", "kw", "kw-word", "words", "summary"}},
		{"sub drop", []string{"sub", "first-sub", "second-sub"}},  // exact title, then all words
		{"drop  sub", []string{"first-sub", "sub", "second-sub"}}, // all words, any order
		{"apart drop", []string{"words"}},                         // all words, any order
		{"body only", []string{"body-only"}},
		{"nothing like it", nil},
	}
	for _, tc := range cases {
		if got := ids(lib.Search(tc.query, 25)); !slices.Equal(got, tc.want) {
			t.Errorf("Search(%q) = %v, want %v", tc.query, got, tc.want)
		}
	}
}

func TestSearchEmptyQueryListsInOrder(t *testing.T) {
	lib := loadEmbedded(t)
	all := ids(lib.Topics())
	for _, q := range []string{"", "   ", "?!"} {
		if got := ids(lib.Search(q, 25)); !slices.Equal(got, all) {
			t.Errorf("Search(%q) = %v, want every topic in Order", q, got)
		}
	}
	if got := ids(lib.Search("", 3)); !slices.Equal(got, all[:3]) {
		t.Errorf("Search(\"\", 3) = %v, want %v", got, all[:3])
	}
}

func TestSearchLimit(t *testing.T) {
	lib := loadEmbedded(t)
	for _, limit := range []int{-1, 0} {
		if got := lib.Search("a", limit); len(got) != 0 {
			t.Errorf("Search limit %d returned %d topics", limit, len(got))
		}
	}
	full := lib.Search("a", 25)
	if len(full) < 3 {
		t.Fatalf("Search(\"a\") found only %v", ids(full))
	}
	if got := lib.Search("a", 2); !slices.Equal(ids(got), ids(full[:2])) {
		t.Errorf("Search limit 2 = %v, want the best two %v", ids(got), ids(full[:2]))
	}
}

func TestSearchEmbeddedExamples(t *testing.T) {
	lib := loadEmbedded(t)
	first := map[string]string{
		"sub drop":   "drop",
		"top drop":   "drop",
		"check in":   "check-in",
		"checkin":    "check-in",
		"bath":       "shower",
		"neck":       "red-flags",
		"bdsm":       "kink",
		"aftercare":  "overview",
		"sad":        "pcd",
		"myself":     "solo",
		"pillow":     "pillow-talk",
		"medical":    "red-flags",
		"alone":      "space",
		"my plan":    "routine",
		"emergency":  "red-flags",
		"distance":   "long-distance",
		"negotiate":  "negotiate",
		"resources":  "resources",
		"postcoital": "pcd",
	}
	for q, want := range first {
		if got := lib.Search(q, 25); len(got) == 0 || got[0].ID != want {
			t.Errorf("Search(%q) = %v, want %s first", q, ids(got), want)
		}
	}
}

func TestClosest(t *testing.T) {
	lib := loadEmbedded(t)
	cases := map[string]string{
		"drp":        "drop",
		"chek-in":    "check-in",
		"masage":     "massage",
		"pillowtalk": "pillow-talk",
		"redflags":   "red-flags",
		"overveiw":   "overview",
	}
	for q, want := range cases {
		if got := lib.Closest(q, 3); len(got) != 3 || got[0].ID != want {
			t.Errorf("Closest(%q, 3) = %v, want %s first", q, ids(got), want)
		}
	}
	total := len(lib.Topics())
	for _, q := range []string{"", "zzzzzz", "\xff\xfe", strings.Repeat("ж", 5000)} {
		for _, n := range []int{1, 5, total} {
			if got := lib.Closest(q, n); len(got) != n {
				t.Errorf("Closest(%.10q, %d) returned %d topics", q, n, len(got))
			}
		}
	}
	if got := lib.Closest("drop", total+10); len(got) != total {
		t.Errorf("Closest with n over the topic count returned %d, want %d", len(got), total)
	}
	if got := lib.Closest("drop", 0); len(got) != 0 {
		t.Errorf("Closest n=0 returned %v", ids(got))
	}
	// Distinct topics: "did you mean" must not suggest the same one twice.
	got := ids(lib.Closest("x", total))
	slices.Sort(got)
	if len(slices.Compact(got)) != total {
		t.Errorf("Closest returned duplicates: %v", got)
	}
}

func TestEditDistance(t *testing.T) {
	var row []int
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"drop", "drop", 0},
		{"drp", "drop", 1}, {"kitten", "sitting", 3}, {"über", "uber", 1},
	} {
		if got := editDistance([]rune(tc.a), []rune(tc.b), &row); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func FuzzSearch(f *testing.F) {
	for _, seed := range []string{"", "drop", "SUB DROP", "check-in", "\xff\xfe\xfd", "ǅ", "\u0301",
		"   ", "a b c d e f", strings.Repeat("drop ", 200), "| drop |", "💜 aftercare"} {
		f.Add(seed, 25)
	}
	f.Add("a", -3)
	f.Add("a", 1)
	lib := loadEmbedded(f)
	total := len(lib.Topics())
	f.Fuzz(func(t *testing.T, query string, limit int) {
		got := lib.Search(query, limit)
		if len(got) > max(limit, 0) {
			t.Errorf("Search(%q, %d) returned %d topics", query, limit, len(got))
		}
		n := min(max(limit, 0), total)
		if closest := lib.Closest(query, limit); len(closest) != n {
			t.Errorf("Closest(%q, %d) returned %d topics, want %d", query, limit, len(closest), n)
		}
	})
}

func BenchmarkSearch(b *testing.B) {
	lib := loadEmbedded(b)
	queries := []string{"", "d", "drop", "sub drop", "check in", "nothing matches this", "after"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		lib.Search(queries[i%len(queries)], 25)
	}
}

func BenchmarkTopic(b *testing.B) {
	lib := loadEmbedded(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := lib.Topic("red-flags"); !ok {
			b.Fatal("red-flags missing")
		}
	}
}

func BenchmarkClosest(b *testing.B) {
	lib := loadEmbedded(b)
	b.ReportAllocs()
	for b.Loop() {
		lib.Closest("chek-inn", 3)
	}
}
