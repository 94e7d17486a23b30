package commands

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Colours of Afterglow's embeds: one warm hue for guidance, a softer one for notices.
const (
	colorGuide  = 0xF4A261
	colorNotice = 0x9D8DF1
)

// privateText is an ephemeral plain reply: confirmations and errors.
func privateText(text string) Response {
	return Response{Type: Reply, Ephemeral: true, Content: text}
}

// privateEmbed is an ephemeral reply with one embed and optional rows.
func privateEmbed(e Embed, rows ...Row) Response {
	return Response{Type: Reply, Ephemeral: true, Embeds: []Embed{e}, Components: rows}
}

// quote shows user-written text exactly as written, as a Markdown block quote: "> " for
// one line, ">>> " (which quotes to the end of the text) for several, so the overhead stays
// four characters whatever the text. Callers put it last in its text block. Mentions in it
// stay inert because every message goes out with allowed_mentions empty.
func quote(text string) string {
	if strings.Contains(text, "\n") {
		return ">>> " + text
	}
	return "> " + text
}

// quotePreview is a one-line, visibly shortened quote for lists; the full text is shown
// where the list entry leads (the DM, the export).
func quotePreview(text string, limit int) string {
	return "> " + clip(strings.Join(strings.Fields(text), " "), limit)
}

// runeLen counts characters the way Discord's limits do.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// clip shortens text that the bot itself composed (titles, labels) to fit a limit.
// User-written text is never clipped: it is refused with the limit named instead.
func clip(s string, limit int) string {
	if runeLen(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit-1]) + "…"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// mention shows a user as a mention; it renders as their name and, with allowed_mentions
// empty on every message, never pings them.
func mention(userID string) string { return "<@" + userID + ">" }

// timestamp is a Discord timestamp that each reader sees in their own time zone.
func timestamp(t time.Time, style string) string {
	return "<t:" + itoa(t.Unix()) + ":" + style + ">"
}

// parseID reads a numeric id from a custom_id argument or option.
func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}
