package commands

import (
	"context"
	"fmt"
)

// guildResources reads a server's own support text and its /aftercare default; outside a
// server, or without a store, there is neither.
func guildResources(d Deps) func(ctx context.Context, guildID string) (string, bool, error) {
	return func(ctx context.Context, guildID string) (string, bool, error) {
		if guildID == "" || d.Store == nil {
			return "", false, nil
		}
		gs, err := d.Store.GuildSettings(ctx, guildID)
		if err != nil {
			return "", false, fmt.Errorf("guild settings: %w", err)
		}
		return gs.Resources, gs.PublicAftercare, nil
	}
}
