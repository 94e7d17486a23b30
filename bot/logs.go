package bot

import (
	"context"
	"fmt"
	"log/slog"

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
		log.Log(context.Background(), l, fmt.Sprintf(format, a...), "source", "discordgo")
	}
}
