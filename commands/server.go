package commands

import (
	"context"
	"fmt"
	"strings"
)

// Permission bits Discord sends with a member.
const (
	permAdministrator int64 = 1 << 3
	permManageServer  int64 = 1 << 5

	maxResources = 1000
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

type serverSetup struct{ Deps }

func serverFeature(d Deps) ([]Command, map[string]HandlerFunc) {
	s := serverSetup{d}
	return []Command{
		{Definition: Definition{Name: "server-setup", Description: descServerSetup, AdminOnly: true, Options: []OptionDef{
			{Type: OptionString, Name: "resources", Description: descServerResources, MaxLength: maxResources},
			{Type: OptionBoolean, Name: "checkins", Description: descServerCheckins},
			{Type: OptionBoolean, Name: "public_aftercare", Description: descServerPublic},
		}}, Handle: s.command},
		{Definition: Definition{Name: "about", Description: descAbout}, Handle: s.about},
	}, nil
}

func (s serverSetup) command(ctx context.Context, req Request) (Response, error) {
	switch {
	case req.GuildID == "":
		return privateText(msgServerOnly), nil
	case !req.GuildInstalled:
		return privateText(msgServerNotInstalled), nil
	case req.Permissions&(permManageServer|permAdministrator) == 0:
		// Discord hides the command from others by default; admins can change that, so re-check.
		return privateText(msgServerNeedsPermission), nil
	}
	gs, err := s.Store.GuildSettings(ctx, req.GuildID)
	if err != nil {
		return Response{}, fmt.Errorf("guild settings: %w", err)
	}
	changed := false
	if r, ok := req.Options["resources"]; ok {
		r = strings.TrimSpace(r)
		if n := runeLen(r); n > maxResources {
			return privateText(fmt.Sprintf(msgServerTooLong, n, maxResources)), nil
		}
		if strings.EqualFold(r, "clear") {
			r = ""
		}
		gs.Resources, changed = r, true
	}
	if _, ok := req.Options["checkins"]; ok {
		gs.CheckInsOff, changed = !req.BoolOption("checkins"), true
	}
	if _, ok := req.Options["public_aftercare"]; ok {
		gs.PublicAftercare, changed = req.BoolOption("public_aftercare"), true
	}
	notice := ""
	if changed {
		gs.GuildID = req.GuildID
		if err := s.Store.SaveGuildSettings(ctx, gs); err != nil {
			return Response{}, fmt.Errorf("save guild settings: %w", err)
		}
		notice = msgSettingsSaved
	}
	resources := msgServerNoResources
	if gs.Resources != "" {
		resources = quote(gs.Resources)
	}
	public := msgServerPublicOff
	if gs.PublicAftercare {
		public = msgServerPublicOn
	}
	resp := privateEmbed(Embed{Title: msgServerTitle, Color: colorNotice, Footer: msgServerHow, Fields: []Field{
		{Name: msgServerResources, Value: resources},
		{Name: msgServerCheckins, Value: onOff(!gs.CheckInsOff), Inline: true},
		{Name: msgServerPublic, Value: public, Inline: true},
	}})
	resp.Content = notice
	return resp, nil
}

func (s serverSetup) about(context.Context, Request) (Response, error) {
	v := s.Version
	if v == "" {
		v = "dev"
	}
	return privateEmbed(Embed{Title: msgAboutT, Description: fmt.Sprintf(msgAbout, v, issueTracker), Color: colorGuide}), nil
}
