// Package content loads, checks and searches Afterglow's embedded guidance texts and check-in prompts.
package content

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
)

// embedded holds the texts shipped in the binary: topics/<id>.md and prompts/*.txt.
//
//go:embed topics/*.md prompts/*.txt
var embedded embed.FS

// Topic is one guidance text, shown as one embed.
type Topic struct {
	ID       string
	Title    string
	Summary  string   // one sentence; doubles as a select-menu option description
	Keywords []string // extra words autocomplete matches on
	Related  []string // ids of topics worth reading next
	Order    int      // position in menus; lower comes first
	Body     string   // Markdown
}

// Library is the checked set of topics and prompts. It is never changed after loading, so
// any number of goroutines may read it at once. Slices inside the Topics it returns are
// shared: treat them as read-only.
type Library struct {
	topics []Topic        // sorted by Order
	byID   map[string]int // id -> index in topics
	index  []searchEntry  // parallel to topics
	pools  [numPools][]string
	late   string
}

// PromptPool is the kind of check-in a prompt is written for. Each has its own wording, so
// a check-in to yourself never asks what you need "from me", and one days later never says
// "earlier".
type PromptPool int

const (
	PoolPartner  PromptPool = iota // a check-in on someone else, soon after
	PoolSelf                       // a check-in someone scheduled for themselves
	PoolFollowUp                   // a follow-up on someone else, a day or days later
	numPools
)

// allPools lists every pool, in the order of promptFiles.
var allPools = []PromptPool{PoolPartner, PoolSelf, PoolFollowUp}

func (p PromptPool) String() string { return promptFiles[p] }

// Load parses and checks the texts embedded in the binary.
func Load() (*Library, error) {
	return LoadFS(embedded)
}

// MustLoad is Load for callers that cannot go on without the texts; it panics on error.
// The embedded texts are checked by this package's tests, so a panic means a broken build.
func MustLoad() *Library {
	lib, err := Load()
	if err != nil {
		panic(fmt.Sprintf("content: %v", err))
	}
	return lib
}

// LoadFS parses and checks topics/<id>.md and prompts/{partner,self,followup,late}.txt from fsys.
// The error names every file and problem found, not just the first.
func LoadFS(fsys fs.FS) (*Library, error) {
	topics, err := loadTopics(fsys)
	if err != nil {
		return nil, fmt.Errorf("load topics: %w", err)
	}
	pools, late, err := loadPrompts(fsys)
	if err != nil {
		return nil, fmt.Errorf("load prompts: %w", err)
	}
	slices.SortFunc(topics, func(a, b Topic) int { return a.Order - b.Order })
	lib := &Library{
		topics: topics,
		byID:   make(map[string]int, len(topics)),
		index:  make([]searchEntry, len(topics)),
		pools:  pools,
		late:   late,
	}
	for i, t := range topics {
		lib.byID[t.ID] = i
		lib.index[i] = newSearchEntry(t)
	}
	return lib, nil
}

// Topic returns the topic with the given id.
func (l *Library) Topic(id string) (Topic, bool) {
	i, ok := l.byID[id]
	if !ok {
		return Topic{}, false
	}
	return l.topics[i], true
}

// Topics returns every topic sorted by Order, the overview first.
func (l *Library) Topics() []Topic {
	return slices.Clone(l.topics)
}

// Prompt returns the check-in prompt for a check-in, from its pool. The same id always gets
// the same wording, so a retried delivery reads exactly like the first attempt.
func (l *Library) Prompt(pool PromptPool, checkInID int64) string {
	prompts := l.pools[pool]
	// Through uint64 so that negative ids still give a valid index.
	return prompts[uint64(checkInID)%uint64(len(prompts))]
}

// LatePrefix is the apology put before a check-in that is delivered later than planned.
func (l *Library) LatePrefix() string {
	return l.late
}
