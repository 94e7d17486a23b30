package bot

// TEMPORARY: delete this file when the transport-free entry point (Bot.Respond in
// dispatch.go) lands; that one replaces it with the same signature. Until then it lets the
// HTTP interactions endpoint run on today's dispatch path.

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// Respond runs the handler chain for i and hands its interaction response to reply: the
// answer, or, for a handler slower than deferAfter, the deferred acknowledgement, after
// which it fills the answer by webhook itself.
func (b *Bot) Respond(ctx context.Context, i *discordgo.Interaction, reply func(ctx context.Context, body []byte, files []*discordgo.File) error) {
	if i == nil {
		return
	}
	b.dispatchTo(ctx, i, func(cb callbackJSON, files []*discordgo.File) error {
		body, err := json.Marshal(cb)
		if err != nil {
			return fmt.Errorf("encode interaction response: %w", err)
		}
		return reply(ctx, body, files)
	})
}
