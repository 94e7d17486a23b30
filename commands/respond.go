package commands

import "unicode/utf8"

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

// quote shows user-written text exactly as written, as a Markdown block quote. Mentions in
// it stay inert because every message goes out with allowed_mentions empty.
func quote(text string) string {
	out := make([]byte, 0, len(text)+8)
	out = append(out, "> "...)
	for i := 0; i < len(text); i++ {
		out = append(out, text[i])
		if text[i] == '\n' {
			out = append(out, "> "...)
		}
	}
	return string(out)
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
