package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	_ "time/tzdata" // time zones work the same on every machine, with or without system tzdata

	"github.com/afterglow-bot/afterglow/storage"
)

// settingsFeature answers /settings: with no options it shows them, otherwise it changes them.
func settingsFeature(d Deps) ([]Command, map[string]HandlerFunc) {
	s := userSettings{d}
	cmd := Command{
		Definition: Definition{Name: "settings", Description: descSettings, Options: []OptionDef{
			{Type: OptionString, Name: "timezone", Description: descSettingsTimezone, Autocomplete: true, MaxLength: 64},
			{Type: OptionString, Name: "quiet_hours", Description: descSettingsQuiet, MaxLength: 32},
			{Type: OptionBoolean, Name: "invitations", Description: descSettingsInvitations},
			{Type: OptionBoolean, Name: "followups", Description: descSettingsFollowups},
		}},
		Handle:       s.command,
		Autocomplete: s.autocomplete,
	}
	return []Command{cmd}, nil
}

type userSettings struct{ Deps }

func (s userSettings) command(ctx context.Context, req Request) (Response, error) {
	us, err := s.Store.UserSettings(ctx, req.Caller.ID)
	if err != nil {
		return Response{}, fmt.Errorf("read settings: %w", err)
	}
	changed := false
	if tz, ok := req.Options["timezone"]; ok {
		loc, err := storage.LoadZone(tz)
		if err != nil {
			return privateText(msgBadTimezone), nil
		}
		us.TimeZone, changed = loc.String(), true
	}
	if q, ok := req.Options["quiet_hours"]; ok {
		start, end, err := parseQuietHours(q)
		if err != nil {
			return privateText(msgBadQuiet), nil
		}
		us.QuietStart, us.QuietEnd, changed = start, end, true
	}
	if _, ok := req.Options["invitations"]; ok {
		us.InvitesOff, changed = !req.BoolOption("invitations"), true
	}
	if _, ok := req.Options["followups"]; ok {
		us.FollowupsDefault, changed = req.BoolOption("followups"), true
	}
	notice := ""
	if changed {
		us.UserID = req.Caller.ID
		if err := s.Store.SaveUserSettings(ctx, us); err != nil {
			return Response{}, fmt.Errorf("save settings: %w", err)
		}
		notice = msgSettingsSaved
	}
	resp := privateEmbed(Embed{Title: msgSettingsTitle, Color: colorNotice, Footer: msgSettingsHow, Fields: []Field{
		{Name: msgSettingsTZ, Value: us.TimeZone, Inline: true},
		{Name: msgSettingsQuiet, Value: formatQuietHours(us.QuietStart, us.QuietEnd), Inline: true},
		{Name: msgSettingsInvites, Value: onOff(!us.InvitesOff), Inline: true},
		{Name: msgSettingsFollow, Value: onOff(us.FollowupsDefault), Inline: true},
	}})
	resp.Content = notice
	return resp, nil
}

func onOff(b bool) string {
	if b {
		return msgOn
	}
	return msgOff
}

func (s userSettings) autocomplete(_ context.Context, req Request) (Response, error) {
	if req.Focused != "timezone" {
		return Response{Type: Choices}, nil
	}
	typed := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(req.Option("timezone")), " ", "_"))
	var choices []Choice
	for _, z := range commonZones {
		if typed == "" || strings.Contains(strings.ToLower(z), typed) {
			choices = append(choices, Choice{Name: z, Value: z})
			if len(choices) == maxChoices {
				break
			}
		}
	}
	// Any valid IANA name works, listed or not.
	if len(choices) == 0 {
		if loc, err := storage.LoadZone(req.Option("timezone")); err == nil {
			choices = append(choices, Choice{Name: loc.String(), Value: loc.String()})
		}
	}
	return Response{Type: Choices, Choices: choices}, nil
}

// parseQuietHours reads "23:00-08:00" (or "23-8", or with an en dash) into minutes after
// midnight; "off" gives -1, -1.
func parseQuietHours(s string) (int, int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "off" || s == "none" {
		return -1, -1, nil
	}
	s = strings.NewReplacer("–", "-", "—", "-", " to ", "-", " ", "").Replace(s)
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("no range")
	}
	start, err1 := parseClock(a)
	end, err2 := parseClock(b)
	if err1 != nil || err2 != nil || start == end {
		return 0, 0, fmt.Errorf("bad range")
	}
	return start, end, nil
}

func parseClock(s string) (int, error) {
	h, m, hasMin := strings.Cut(s, ":")
	hour, err := strconv.Atoi(h)
	if err != nil || hour < 0 || hour > 23 || len(h) > 2 {
		return 0, fmt.Errorf("bad hour")
	}
	minute := 0
	if hasMin {
		if minute, err = strconv.Atoi(m); err != nil || minute < 0 || minute > 59 || len(m) != 2 {
			return 0, fmt.Errorf("bad minute")
		}
	}
	return hour*60 + minute, nil
}

func formatQuietHours(start, end int) string {
	if start < 0 || end < 0 {
		return msgQuietNone
	}
	return fmt.Sprintf("%02d:%02d–%02d:%02d", start/60, start%60, end/60, end%60)
}

// commonZones are offered by autocomplete; any other IANA name is accepted when typed.
var commonZones = []string{
	"UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam",
	"Europe/Brussels", "Europe/Madrid", "Europe/Rome", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm",
	"Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Budapest",
	"Europe/Athens", "Europe/Bucharest", "Europe/Istanbul", "Europe/Kyiv", "Europe/Moscow",
	"America/New_York", "America/Toronto", "America/Chicago", "America/Denver", "America/Phoenix",
	"America/Los_Angeles", "America/Vancouver", "America/Anchorage", "Pacific/Honolulu", "America/Halifax",
	"America/St_Johns", "America/Mexico_City", "America/Bogota", "America/Lima", "America/Santiago",
	"America/Buenos_Aires", "America/Sao_Paulo", "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi",
	"Africa/Johannesburg", "Asia/Dubai", "Asia/Tehran", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka",
	"Asia/Bangkok", "Asia/Jakarta", "Asia/Singapore", "Asia/Manila", "Asia/Hong_Kong", "Asia/Shanghai",
	"Asia/Taipei", "Asia/Seoul", "Asia/Tokyo", "Australia/Perth", "Australia/Adelaide", "Australia/Brisbane",
	"Australia/Sydney", "Australia/Melbourne", "Pacific/Auckland",
}
