package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/commands"
)

// manageServer is Discord's MANAGE_GUILD permission bit, the default for admin commands.
const manageServer int64 = 1 << 5

// applicationCommands converts the router's definitions into Discord's command objects:
// usable in servers, the bot's DM and other DMs, for server and user installs alike.
func applicationCommands(defs []commands.Definition, nsfw bool) []*discordgo.ApplicationCommand {
	contexts := []discordgo.InteractionContextType{
		discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM, discordgo.InteractionContextPrivateChannel,
	}
	installs := []discordgo.ApplicationIntegrationType{
		discordgo.ApplicationIntegrationGuildInstall, discordgo.ApplicationIntegrationUserInstall,
	}
	out := make([]*discordgo.ApplicationCommand, 0, len(defs))
	for _, d := range defs {
		c := &discordgo.ApplicationCommand{
			Type:             discordgo.ChatApplicationCommand,
			Name:             d.Name,
			Description:      d.Description,
			Options:          toCommandOptions(d.Options),
			NSFW:             &nsfw,
			Contexts:         &contexts,
			IntegrationTypes: &installs,
		}
		if d.AdminOnly {
			perm := manageServer
			c.DefaultMemberPermissions = &perm
			guildOnly := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
			guildInstall := []discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall}
			c.Contexts, c.IntegrationTypes = &guildOnly, &guildInstall
		}
		out = append(out, c)
	}
	return out
}

func toCommandOptions(opts []commands.OptionDef) []*discordgo.ApplicationCommandOption {
	out := make([]*discordgo.ApplicationCommandOption, 0, len(opts))
	for _, o := range opts {
		co := &discordgo.ApplicationCommandOption{
			Type:         discordgo.ApplicationCommandOptionType(o.Type),
			Name:         o.Name,
			Description:  o.Description,
			Required:     o.Required,
			Autocomplete: o.Autocomplete,
			MaxLength:    o.MaxLength,
			Options:      toCommandOptions(o.Options),
		}
		for _, c := range o.Choices {
			co.Choices = append(co.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c.Name, Value: c.Value})
		}
		out = append(out, co)
	}
	return out
}

// commandSet is what would be registered, with the hash that identifies it.
func (b *Bot) commandSet() ([]*discordgo.ApplicationCommand, string, error) {
	cmds := applicationCommands(b.router.Definitions(), b.cfg.Discord.AgeRestricted)
	raw, err := json.Marshal(cmds)
	if err != nil {
		return nil, "", fmt.Errorf("encode commands: %w", err)
	}
	sum := sha256.Sum256(append([]byte(b.cfg.Discord.GuildID+"\n"), raw...))
	return cmds, hex.EncodeToString(sum[:]), nil
}

// metaCommandHash keys the hash of the last registered command set in storage.
const metaCommandHash = "commands_hash"

// syncCommands bulk-overwrites the commands (globally, or in the configured guild) when
// force is set or the definitions changed since the last successful registration.
func (b *Bot) syncCommands(ctx context.Context, force bool) error {
	appID := b.applicationID()
	if appID == "" {
		return errors.New("register commands: no application id (set discord.application_id)")
	}
	cmds, hash, err := b.commandSet()
	if err != nil {
		return err
	}
	if !force {
		old, ok, err := b.store.Meta(ctx, metaCommandHash)
		if err != nil {
			return fmt.Errorf("read registered commands hash: %w", err)
		}
		if ok && old == hash {
			b.log.Info("commands unchanged; not registering", "count", len(cmds))
			return nil
		}
	}
	if _, err := b.callbacks.ApplicationCommandBulkOverwrite(appID, b.cfg.Discord.GuildID, cmds, discordgo.WithContext(ctx)); err != nil {
		return fmt.Errorf("register commands: %w", err)
	}
	// Discord has the commands now: record that even if shutdown began meanwhile.
	if err := b.store.SetMeta(context.WithoutCancel(ctx), metaCommandHash, hash); err != nil {
		return fmt.Errorf("save registered commands hash: %w", err)
	}
	scope := "global"
	if b.cfg.Discord.GuildID != "" {
		scope = "guild " + b.cfg.Discord.GuildID
	}
	b.log.Info("registered commands", "count", len(cmds), "scope", scope)
	return nil
}

// Register overwrites the command set now, without connecting to the gateway. Without a
// configured application id it asks Discord which application the token belongs to.
func (b *Bot) Register(ctx context.Context) error {
	if b.applicationID() == "" {
		if err := b.lookUpApplicationID(ctx); err != nil {
			return err
		}
	}
	return b.syncCommands(ctx, true)
}

// lookUpApplicationID asks Discord which application the token belongs to.
func (b *Bot) lookUpApplicationID(ctx context.Context) error {
	body, err := b.callbacks.RequestWithBucketID("GET", discordgo.EndpointApplication("@me"), nil,
		discordgo.EndpointApplication(""), discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("look up the application: %w", err)
	}
	var app discordgo.Application
	if err := json.Unmarshal(body, &app); err != nil || app.ID == "" {
		return fmt.Errorf("look up the application: unexpected answer")
	}
	b.appID.Store(app.ID)
	return nil
}
