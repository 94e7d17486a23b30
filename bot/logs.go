package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// RouteLibraryLogs sends discordgo's own log lines (warnings and errors only: its debug
// lines would hold payloads and the token) into the bot's structured log. discordgo keeps
// its logger in a package variable, so only main calls this, once.
func RouteLibraryLogs(log *slog.Logger) {
	discordgo.Logger = func(level, _ int, format string, a ...any) {
		l := slog.LevelWarn
		if level == discordgo.LogError {
			l = slog.LevelError
		}
		if level > discordgo.LogWarning {
			return
		}
		format, a = withoutPayloads(format, a)
		log.Log(context.Background(), l, fmt.Sprintf(format, a...), "source", "discordgo")
	}
}

// payloadLabels end the text that discordgo puts before a raw gateway payload in its
// warnings ("unknown event: … Data: %s", "unknown Op: … message: %s", "Expected
// READY/RESUMED, instead got:\n%#v"). A payload can hold what users wrote.
var payloadLabels = []string{"Data:", "message:", "instead got:"}

// payloadOmitted stands in the log for a payload left out.
const payloadOmitted = "(omitted)"

// withoutPayloads replaces every argument that a payload label introduces in a
// discordgo log format with payloadOmitted, so the rest of the line still says what happened.
func withoutPayloads(format string, args []any) (string, []any) {
	var out strings.Builder
	var kept []any
	n := 0 // the argument the next verb prints
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			out.WriteByte(c)
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			out.WriteString("%%")
			i++
			continue
		}
		end := i + 1 // the verb letter, after any flags, width and precision
		for end < len(format) && !isVerbLetter(format[end]) {
			end++
		}
		verb := format[i:min(end+1, len(format))]
		if n < len(args) && introducesPayload(format[:i]) {
			if kept == nil {
				kept = append([]any(nil), args...)
			}
			kept[n], verb = payloadOmitted, "%s"
		}
		out.WriteString(verb)
		n++
		i = end
	}
	if kept == nil {
		return format, args
	}
	return out.String(), kept
}

func isVerbLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// introducesPayload reports whether the format text before a verb ends with a payload label.
func introducesPayload(before string) bool {
	before = strings.TrimRight(before, " \n")
	for _, label := range payloadLabels {
		if strings.HasSuffix(before, label) {
			return true
		}
	}
	return false
}
