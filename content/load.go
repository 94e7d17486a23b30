package content

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/afterglow-bot/afterglow/internal/discordlimits"
)

// Limits come from Discord (see discord-limits.md): a text over them makes Discord refuse
// the whole reply, so they are checked when the texts load rather than when a user asks.
const (
	// maxTopics: a select menu holds at most 25 options and autocomplete shows at most 25
	// choices, so more topics could not all be offered.
	maxTopics = discordlimits.SelectOptions
	// maxTitle: titles double as autocomplete choice names and select option labels (100),
	// stricter than the embed title limit (256).
	maxTitle = discordlimits.ChoiceText
	// maxSummary: summaries are select option descriptions.
	maxSummary = discordlimits.SelectText
	// maxBody: the body is an embed description.
	maxBody = discordlimits.EmbedDescription
	// maxEmbedText: all embed text in one message together. maxTitle+maxBody stays below
	// it (checked at compile time below), so a topic's own embed always fits; code that
	// adds fields or appends text must keep its own total.
	maxEmbedText = discordlimits.EmbedTotal
	// maxID keeps room for a prefix when an id is carried inside a 100-character custom_id.
	maxID = 32
	// maxMessage: a check-in prompt, with the late prefix, is sent as message content.
	maxMessage = discordlimits.Content
)

// Fails to compile if a topic at its limits could overflow one message's embed text.
const _ = uint(maxEmbedText - maxTitle - maxBody)

const (
	topicsDir  = "topics"
	lateFile   = "prompts/late.txt"
	frontFence = "---"
)

// promptFiles holds each pool's prompts, one a line.
var promptFiles = [numPools]string{
	PoolPartner:  "prompts/partner.txt",
	PoolSelf:     "prompts/self.txt",
	PoolFollowUp: "prompts/followup.txt",
}

// Problems LoadFS reports; each is wrapped with the file it was found in.
var (
	errUnexpectedFile = errors.New("unexpected file (want topics/<id>.md)")
	errFrontMatter    = errors.New("malformed front matter")
	errBadID          = errors.New("invalid id (want 1-32 of a-z, 0-9, '-')")
	errIDMismatch     = errors.New("id does not match file name")
	errDuplicateID    = errors.New("duplicate id")
	errDuplicateTitle = errors.New("duplicate title")
	errDuplicateOrder = errors.New("duplicate order")
	errUnknownRelated = errors.New("related topic does not exist")
	errSelfRelated    = errors.New("topic is related to itself")
	errTitleLength    = errors.New("title length out of range")
	errSummaryLength  = errors.New("summary length out of range")
	errBodyLength     = errors.New("body length out of range")
	errNoKeywords     = errors.New("no keywords")
	errNoTopics       = errors.New("no topics")
	errTooManyTopics  = errors.New("too many topics")
	errNoPrompts      = errors.New("no prompts")
	errPromptLength   = errors.New("prompt too long")
	errLateMalformed  = errors.New("late prefix must be exactly one non-empty line")
)

// loadTopics reads and checks every topic file, collecting all problems.
func loadTopics(fsys fs.FS) ([]Topic, error) {
	entries, err := fs.ReadDir(fsys, topicsDir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", topicsDir, err)
	}
	var problems []error
	topics := make([]Topic, 0, len(entries))
	files := make([]string, 0, len(entries)) // parallel to topics, for messages
	for _, entry := range entries {
		file := path.Join(topicsDir, entry.Name())
		id, isTopic := strings.CutSuffix(entry.Name(), ".md")
		if entry.IsDir() || !isTopic {
			problems = append(problems, fmt.Errorf("%s: %w", file, errUnexpectedFile))
			continue
		}
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			problems = append(problems, fmt.Errorf("read %s: %w", file, err))
			continue
		}
		topic, err := parseTopic(data)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", file, err))
			continue
		}
		if err := checkTopic(topic, id); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", file, err))
		}
		topics = append(topics, topic)
		files = append(files, file)
	}
	switch {
	case len(entries) == 0:
		problems = append(problems, fmt.Errorf("%s: %w", topicsDir, errNoTopics))
	case len(entries) > maxTopics:
		problems = append(problems, fmt.Errorf("%s: %w: %d files, limit %d", topicsDir, errTooManyTopics, len(entries), maxTopics))
	}
	problems = append(problems, checkAcrossTopics(topics, files)...)
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return topics, nil
}

// parseTopic splits a file into its front matter and body. The front matter is a block of
// "key: value" lines between two "---" lines; lists are comma-separated.
func parseTopic(data []byte) (Topic, error) {
	text := strings.TrimPrefix(string(data), "\uFEFF")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	first, rest, ok := strings.Cut(text, "\n")
	if !ok || strings.TrimSpace(first) != frontFence {
		return Topic{}, fmt.Errorf("%w: first line must be %q", errFrontMatter, frontFence)
	}
	header, body, ok := cutFence(rest)
	if !ok {
		return Topic{}, fmt.Errorf("%w: no closing %q line", errFrontMatter, frontFence)
	}
	fields, err := parseFields(header)
	if err != nil {
		return Topic{}, err
	}
	for _, key := range []string{"id", "title", "summary", "keywords", "order"} {
		if _, ok := fields[key]; !ok {
			return Topic{}, fmt.Errorf("%w: missing key %q", errFrontMatter, key)
		}
	}
	order, err := strconv.Atoi(fields["order"])
	if err != nil {
		return Topic{}, fmt.Errorf("%w: order %q is not a whole number", errFrontMatter, fields["order"])
	}
	keywords, err := splitList(fields["keywords"])
	if err != nil {
		return Topic{}, fmt.Errorf("keywords: %w", err)
	}
	related, err := splitList(fields["related"])
	if err != nil {
		return Topic{}, fmt.Errorf("related: %w", err)
	}
	return Topic{
		ID:       fields["id"],
		Title:    fields["title"],
		Summary:  fields["summary"],
		Keywords: keywords,
		Related:  related,
		Order:    order,
		Body:     strings.TrimSpace(body),
	}, nil
}

// cutFence splits text at the first line that is only the fence.
func cutFence(text string) (before, after string, found bool) {
	offset := 0
	for offset <= len(text) {
		line, _, _ := strings.Cut(text[offset:], "\n")
		end := offset + len(line)
		if strings.TrimSpace(line) == frontFence {
			if end < len(text) {
				end++ // skip the newline after the fence
			}
			return text[:offset], text[end:], true
		}
		offset = end + 1
	}
	return "", "", false
}

// parseFields reads "key: value" lines; blank lines are allowed, unknown or repeated keys are not.
func parseFields(header string) (map[string]string, error) {
	known := map[string]bool{"id": true, "title": true, "summary": true, "keywords": true, "related": true, "order": true}
	fields := make(map[string]string, len(known))
	for n, line := range strings.Split(header, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		key = strings.TrimSpace(key)
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: line %d is not \"key: value\"", errFrontMatter, n+2)
		case !known[key]:
			return nil, fmt.Errorf("%w: line %d: unknown key %q", errFrontMatter, n+2, key)
		}
		if _, seen := fields[key]; seen {
			return nil, fmt.Errorf("%w: line %d: key %q repeated", errFrontMatter, n+2, key)
		}
		fields[key] = strings.TrimSpace(value)
	}
	return fields, nil
}

// splitList splits a comma-separated value; an empty value is an empty list, an empty item
// (e.g. "a,,b") is a mistake.
func splitList(value string) ([]string, error) {
	if value == "" {
		return nil, nil
	}
	items := strings.Split(value, ",")
	for i, item := range items {
		items[i] = strings.TrimSpace(item)
		if items[i] == "" {
			return nil, fmt.Errorf("%w: empty item in list %q", errFrontMatter, value)
		}
	}
	return items, nil
}

// checkTopic checks one topic on its own: id, lengths and keywords.
func checkTopic(t Topic, fileID string) error {
	var problems []error
	if !validID(t.ID) {
		problems = append(problems, fmt.Errorf("%w: %q", errBadID, t.ID))
	}
	if t.ID != fileID {
		problems = append(problems, fmt.Errorf("%w: id %q in file for %q", errIDMismatch, t.ID, fileID))
	}
	problems = append(problems,
		checkLength(errTitleLength, t.Title, maxTitle),
		checkLength(errSummaryLength, t.Summary, maxSummary),
		checkLength(errBodyLength, t.Body, maxBody),
	)
	if len(t.Keywords) == 0 {
		problems = append(problems, errNoKeywords)
	}
	if slices.Contains(t.Related, t.ID) {
		problems = append(problems, errSelfRelated)
	}
	return errors.Join(problems...)
}

// checkLength reports text that is empty or longer than limit characters. Discord counts
// characters, not bytes, so this counts runes.
func checkLength(problem error, text string, limit int) error {
	if n := utf8.RuneCountInString(text); n == 0 || n > limit {
		return fmt.Errorf("%w: %d characters, want 1 to %d", problem, n, limit)
	}
	return nil
}

func validID(id string) bool {
	if id == "" || len(id) > maxID {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// checkAcrossTopics checks what needs every topic at once: unique ids, titles and orders,
// and related links that lead somewhere.
func checkAcrossTopics(topics []Topic, files []string) []error {
	var problems []error
	ids := make(map[string]string, len(topics))    // id -> file
	titles := make(map[string]string, len(topics)) // normalized title -> file
	orders := make(map[int]string, len(topics))    // order -> file
	for i, t := range topics {
		if other, dup := claim(ids, t.ID, files[i]); dup {
			problems = append(problems, fmt.Errorf("%s: %w: %q also in %s", files[i], errDuplicateID, t.ID, other))
		}
		// Normalized, because titles that differ only in case or punctuation would tie for
		// the top autocomplete spot.
		if other, dup := claim(titles, normalize(t.Title), files[i]); dup {
			problems = append(problems, fmt.Errorf("%s: %w: %q also in %s", files[i], errDuplicateTitle, t.Title, other))
		}
		if other, dup := claim(orders, t.Order, files[i]); dup {
			problems = append(problems, fmt.Errorf("%s: %w: %d also in %s", files[i], errDuplicateOrder, t.Order, other))
		}
	}
	for i, t := range topics {
		for _, rel := range t.Related {
			if _, ok := ids[rel]; !ok {
				problems = append(problems, fmt.Errorf("%s: %w: %q", files[i], errUnknownRelated, rel))
			}
		}
	}
	return problems
}

// claim records that file uses key, or reports the file that already did.
func claim[K comparable](seen map[K]string, key K, file string) (other string, dup bool) {
	if other, dup := seen[key]; dup {
		return other, true
	}
	seen[key] = file
	return "", false
}

// loadPrompts reads each pool's prompts (one per line, blank lines ignored) and the late prefix.
func loadPrompts(fsys fs.FS) (pools [numPools][]string, late string, err error) {
	data, err := fs.ReadFile(fsys, lateFile)
	if err != nil {
		return pools, "", fmt.Errorf("read %s: %w", lateFile, err)
	}
	lateLines := nonBlankLines(string(data))
	if len(lateLines) != 1 {
		return pools, "", fmt.Errorf("%s: %w: found %d lines", lateFile, errLateMalformed, len(lateLines))
	}
	late = lateLines[0]
	var problems []error
	for pool, file := range promptFiles {
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			problems = append(problems, fmt.Errorf("read %s: %w", file, err))
			continue
		}
		pools[pool] = nonBlankLines(string(data))
		if len(pools[pool]) == 0 {
			problems = append(problems, fmt.Errorf("%s: %w", file, errNoPrompts))
		}
		// A late delivery sends "<late> <prompt>", so each pair must fit in one message.
		for n, p := range pools[pool] {
			if total := utf8.RuneCountInString(late) + 1 + utf8.RuneCountInString(p); total > maxMessage {
				problems = append(problems, fmt.Errorf("%s: prompt %d: %w: %d characters with the late prefix, limit %d", file, n+1, errPromptLength, total, maxMessage))
			}
		}
	}
	if err := errors.Join(problems...); err != nil {
		return [numPools][]string{}, "", err
	}
	return pools, late, nil
}

func nonBlankLines(text string) []string {
	var lines []string
	for line := range strings.Lines(text) {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}
