package bot

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// An unknown gateway event is logged by discordgo with its whole payload, which can hold
// what users wrote; only its name and sequence number reach the bot's log.
func TestLibraryLogsLeaveGatewayPayloadsOut(t *testing.T) {
	var log dt.LockedBuffer
	saved := discordgo.Logger
	t.Cleanup(func() { discordgo.Logger = saved }) // after the bot below has stopped
	RouteLibraryLogs(slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	h := newHarness(t, withDebugLog)
	const private = "something-a-user-wrote"
	if err := h.srv.DispatchEvent(h.ctx, "AFTERGLOW_UNKNOWN_EVENT", map[string]any{"content": private}); err != nil {
		t.Fatal(err)
	}
	waitForLog(t, &log, "AFTERGLOW_UNKNOWN_EVENT")
	h.stop()
	got := log.String()
	if !strings.Contains(got, "unknown event") || !strings.Contains(got, "source=discordgo") {
		t.Errorf("the warning no longer says what happened:\n%s", got)
	}
	if strings.Contains(got, private) {
		t.Errorf("the gateway payload reached the log:\n%s", got)
	}
}

// Every discordgo v0.29 warning that prints a gateway payload, and one that does not.
func TestWithoutPayloads(t *testing.T) {
	const payload = `{"content":"private"}`
	for _, tc := range []struct {
		format string
		args   []any
		want   string
	}{
		{"unknown event: Op: %d, Seq: %d, Type: %s, Data: %s", []any{0, 7, "X", payload},
			"unknown event: Op: 0, Seq: 7, Type: X, Data: (omitted)"},
		{"unknown Op: %d, Seq: %d, Type: %s, Data: %s, message: %s", []any{12, 7, "X", payload, payload},
			"unknown Op: 12, Seq: 7, Type: X, Data: (omitted), message: (omitted)"},
		{"Expected READY/RESUMED, instead got:\n%#v\n", []any{&discordgo.Event{RawData: []byte(payload)}},
			"Expected READY/RESUMED, instead got:\n(omitted)\n"},
		{"error reading from gateway %s websocket, %s", []any{"wss://x", "EOF"},
			"error reading from gateway wss://x websocket, EOF"},
		{"100%% of %d", []any{3}, "100% of 3"},
	} {
		format, args := withoutPayloads(tc.format, tc.args)
		if got := fmt.Sprintf(format, args...); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.format, got, tc.want)
		}
	}
}
