package content

import (
	"slices"
	"strings"
	"unicode"
)

// Search ranks, best first. A topic matches at the first tier that fits; topics in the same
// tier keep their Order.
const (
	tierExact       = iota // query is the id or the title
	tierTitlePrefix        // title or id starts with the query
	tierTitleWord          // a word in the title starts with the query
	tierKeyword            // query is one of the keywords
	tierKeywordWord        // a word in a keyword starts with the query
	tierSubstring          // query appears in id, title, keywords or summary
	tierAllWords           // every query word starts a word somewhere in those fields
	tierNone               // no match
)

// maxClosestRunes bounds the edit-distance work for a long or garbage query; ids and
// titles are far shorter, so longer input cannot be "near" anything anyway.
const maxClosestRunes = 48

// searchEntry is a topic's searchable text, normalized once at load so a search only compares.
// Fields are joined with " | " and start with "| ": the separator never survives normalize,
// so a query cannot match across two fields, and " "+word finds a word start anywhere.
type searchEntry struct {
	id, title  string
	titleWords string   // " " + title
	keywords   string   // "| kw1 | kw2 |"
	fields     string   // "| id | title | kw1 | … | summary |"
	candidates [][]rune // id, title and keywords, for edit distance
}

func newSearchEntry(t Topic) searchEntry {
	e := searchEntry{id: normalize(t.ID), title: normalize(t.Title)}
	e.titleWords = " " + e.title
	keywords := make([]string, len(t.Keywords))
	e.candidates = [][]rune{[]rune(e.id), []rune(e.title)}
	for i, k := range t.Keywords {
		keywords[i] = normalize(k)
		e.candidates = append(e.candidates, []rune(keywords[i]))
	}
	e.keywords = joinFields(keywords...)
	e.fields = joinFields(append([]string{e.id, e.title, normalize(t.Summary)}, keywords...)...)
	return e
}

func joinFields(parts ...string) string {
	return "| " + strings.Join(parts, " | ") + " |"
}

// normalize lower-cases s and turns every run of anything but letters, digits and combining
// marks into one space, trimmed. So "Check-in", "check in" and "CHECK IN!" compare equal.
// Invalid UTF-8 decodes as U+FFFD, which is not a letter, so garbage just becomes spaces.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	gap := false
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte(' ')
		}
		gap = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// query is a normalized search query with the variants the tiers look for, built once per search.
type query struct {
	text      string
	wordStart string   // " " + text
	keyword   string   // "| " + text + " |"
	words     []string // " " + each word, when there is more than one word
}

func newQuery(text string) query {
	q := query{text: text, wordStart: " " + text, keyword: "| " + text + " |"}
	if strings.Contains(text, " ") {
		for w := range strings.SplitSeq(text, " ") {
			q.words = append(q.words, " "+w)
		}
	}
	return q
}

func (e *searchEntry) tier(q *query) int {
	switch {
	case q.text == e.id || q.text == e.title:
		return tierExact
	case strings.HasPrefix(e.title, q.text) || strings.HasPrefix(e.id, q.text):
		return tierTitlePrefix
	case strings.Contains(e.titleWords, q.wordStart):
		return tierTitleWord
	case strings.Contains(e.keywords, q.keyword):
		return tierKeyword
	case strings.Contains(e.keywords, q.wordStart):
		return tierKeywordWord
	case strings.Contains(e.fields, q.text):
		return tierSubstring
	case len(q.words) > 0 && e.hasAllWords(q.words):
		return tierAllWords
	}
	return tierNone
}

func (e *searchEntry) hasAllWords(words []string) bool {
	for _, w := range words {
		if !strings.Contains(e.fields, w) {
			return false
		}
	}
	return true
}

// Search returns up to limit topics matching query, best first, for autocomplete. Matching
// ignores case and punctuation. An empty query lists topics in Order. Ranking: exact id or
// title, then title prefix, then a title word prefix, then keyword, then a word in a
// keyword, then any substring of id/title/keywords/summary (never the body), then all
// query words found in any order; ties keep Order.
func (l *Library) Search(query string, limit int) []Topic {
	if limit <= 0 {
		return nil
	}
	text := normalize(query)
	if text == "" {
		return slices.Clone(l.topics[:min(limit, len(l.topics))])
	}
	q := newQuery(text)
	var tiers [maxTopics]int // LoadFS guarantees len(l.topics) <= maxTopics
	worst := tierExact
	for i := range l.index {
		tiers[i] = l.index[i].tier(&q)
		if tiers[i] != tierNone {
			worst = max(worst, tiers[i])
		}
	}
	// Topics are already in Order, so walking tier by tier gives the ranking without a sort.
	var found []Topic
	for tier := tierExact; tier <= worst && len(found) < limit; tier++ {
		for i := range l.index {
			if tiers[i] == tier && len(found) < limit {
				if found == nil {
					found = make([]Topic, 0, min(limit, len(l.topics)))
				}
				found = append(found, l.topics[i])
			}
		}
	}
	return found
}

// Closest returns the n topics whose id, title or a keyword is nearest to query by edit
// distance, nearest first, ties in Order: a "did you mean" for an id that does not exist.
// It always returns min(n, number of topics) topics, whatever the query.
func (l *Library) Closest(query string, n int) []Topic {
	n = min(n, len(l.topics))
	if n <= 0 {
		return nil
	}
	q := []rune(normalize(query))
	q = q[:min(len(q), maxClosestRunes)]
	row := make([]int, 0, 128)
	distance := make([]int, len(l.topics))
	for i := range l.index {
		distance[i] = -1
		for _, c := range l.index[i].candidates {
			d := editDistance(q, c, &row)
			if distance[i] < 0 || d < distance[i] {
				distance[i] = d
			}
		}
	}
	order := make([]int, len(l.topics))
	for i := range order {
		order[i] = i
	}
	// Stable, so equal distances keep Order.
	slices.SortStableFunc(order, func(a, b int) int { return distance[a] - distance[b] })
	closest := make([]Topic, n)
	for i := range closest {
		closest[i] = l.topics[order[i]]
	}
	return closest
}

// editDistance is the Levenshtein distance between a and b, using *row as scratch space.
func editDistance(a, b []rune, row *[]int) int {
	r := slices.Grow((*row)[:0], len(b)+1)[:len(b)+1]
	*row = r
	for j := range r {
		r[j] = j
	}
	for i := 1; i <= len(a); i++ {
		diagonal := r[0] // distance(a[:i-1], b[:j-1])
		r[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			above := r[j]
			r[j] = min(above+1, r[j-1]+1, diagonal+cost)
			diagonal = above
		}
	}
	return r[len(b)]
}
