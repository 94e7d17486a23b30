package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/afterglow-bot/afterglow/internal/discordlimits"
	"github.com/afterglow-bot/afterglow/storage"
)

const (
	routeCancel     = "ci1:cancel/{id}"          // on the confirmation
	routeListCancel = "ci1:lcancel/{id}"         // on /checkin list
	routeAnswer     = "ci1:answer/{id}/{choice}" // the answer buttons of a check-in DM
	routeWords      = "ci1:words/{id}"           // opens the modal
	routeWordsModal = "ci1:wordsm/{id}"          // the modal's submit
	routeStop       = "ci1:stop/{id}"

	maxNoteLen  = 300
	maxWordsLen = 500
	// listWindow is how far back /checkin list looks.
	listWindow = 7 * 24 * time.Hour
	// maxListed keeps /checkin list within one embed.
	maxListed  = 20
	wordsField = "words"
	// wordsPreview is how much of an answer's words /checkin list shows.
	wordsPreview = 150
)

// followupDelays are when follow-ups come after the first check-in: drop can hit days later.
var followupDelays = []time.Duration{24 * time.Hour, 72 * time.Hour}

// checkins answers /checkin and the buttons on check-in DMs.
type checkins struct{ Deps }

func checkinFeature(d Deps) ([]Command, map[string]HandlerFunc) {
	c := checkins{d}
	cmd := Command{
		Definition: Definition{Name: "checkin", Description: descCheckin, Options: []OptionDef{
			{Type: OptionSubcommand, Name: "send", Description: descCheckinSend, Options: []OptionDef{
				{Type: OptionUser, Name: "partner", Description: descCheckinPartner, Required: true},
				{Type: OptionString, Name: "in", Description: descCheckinIn, Autocomplete: true, MaxLength: 32},
				{Type: OptionString, Name: "note", Description: descCheckinNote, MaxLength: maxNoteLen},
				{Type: OptionBoolean, Name: "followups", Description: descCheckinFollowups},
			}},
			{Type: OptionSubcommand, Name: "list", Description: descCheckinList},
			{Type: OptionSubcommand, Name: "cancel", Description: descCheckinCancel, Options: []OptionDef{
				{Type: OptionString, Name: "id", Description: descCheckinCancelID, Required: true, Autocomplete: true, MaxLength: 20},
			}},
		}},
		Handle:       c.command,
		Autocomplete: c.autocomplete,
	}
	return []Command{cmd}, map[string]HandlerFunc{
		routeCancel: c.cancelClick, routeListCancel: c.listCancelClick,
		routeAnswer: c.answer, routeWords: c.wordsButton, routeWordsModal: c.wordsSubmit, routeStop: c.stop,
	}
}

func (c checkins) command(ctx context.Context, req Request) (Response, error) {
	switch req.Subcommand {
	case "send":
		return c.send(ctx, req)
	case "list":
		return c.list(ctx, req.Caller.ID, "")
	case "cancel":
		id, ok := parseID(strings.TrimPrefix(strings.TrimSpace(req.Option("id")), "#"))
		if !ok {
			return privateText(msgCancelBadID), nil
		}
		text, err := c.cancelSeries(ctx, req.Caller.ID, id)
		return privateText(text), err
	}
	return privateText(msgUnknownCommand), nil
}

func (c checkins) send(ctx context.Context, req Request) (Response, error) {
	partnerID := req.Option("partner")
	if partnerID == "" {
		return privateText(msgUnknownCommand), nil
	}
	if req.Users[partnerID].Bot {
		return privateText(msgCheckinBot), nil
	}
	delay, err := ParseDelay(req.Option("in"))
	switch {
	case errors.Is(err, errDelayTooLong):
		return privateText(msgDelayTooLong), nil
	case err != nil:
		return privateText(msgDelayForm), nil
	}
	note := strings.TrimSpace(req.Option("note"))
	if n := runeLen(note); n > maxNoteLen {
		return privateText(fmt.Sprintf(msgNoteTooLong, n, maxNoteLen)), nil
	}
	if req.GuildID != "" {
		gs, err := c.Store.GuildSettings(ctx, req.GuildID)
		if err != nil {
			return Response{}, fmt.Errorf("guild settings: %w", err)
		}
		if gs.CheckInsOff {
			return privateText(msgCheckinsOffHere), nil
		}
	}
	followups := req.BoolOption("followups")
	if _, given := req.Options["followups"]; !given {
		us, err := c.Store.UserSettings(ctx, req.Caller.ID)
		if err != nil {
			return Response{}, fmt.Errorf("user settings: %w", err)
		}
		followups = us.FollowupsDefault
	}

	now := c.Clock()
	due := now.Add(delay)
	series := []storage.CheckIn{{SenderID: req.Caller.ID, RecipientID: partnerID, GuildID: req.GuildID, Note: note, DueAt: due}}
	if followups {
		for _, d := range followupDelays {
			series = append(series, storage.CheckIn{SenderID: req.Caller.ID, RecipientID: partnerID, GuildID: req.GuildID, DueAt: due.Add(d)})
		}
	}
	lim := c.Limits.withDefaults()
	saved, err := c.Store.ScheduleCheckIns(ctx, series, now, lim.CheckInsPerPartnerPerDay)
	switch {
	case errors.Is(err, storage.ErrNotPartners):
		return privateText(fmt.Sprintf(msgCheckinNotLinked, mention(partnerID))), nil
	case errors.Is(err, storage.ErrCheckInLimit):
		return privateText(fmt.Sprintf(msgCheckinLimit, lim.CheckInsPerPartnerPerDay, whom(req.Caller.ID, partnerID))), nil
	case err != nil:
		return Response{}, fmt.Errorf("schedule check-in: %w", err)
	}
	if c.Wake != nil {
		c.Wake()
	}

	text := fmt.Sprintf(msgCheckinScheduled, whom(req.Caller.ID, partnerID), timestamp(due, "R"), timestamp(due, "f"))
	if delay == 0 {
		text = fmt.Sprintf(msgCheckinNow, whom(req.Caller.ID, partnerID), timestamp(due, "R"))
	}
	if len(saved) > 1 {
		var when []string
		for _, s := range saved[1:] {
			when = append(when, timestamp(s.DueAt, "R"))
		}
		text += " " + fmt.Sprintf(msgCheckinFollowups, strings.Join(when, ", "))
	}
	resp := privateText(text)
	resp.Components = []Row{{Buttons: []Button{{Label: msgLabelCancel, Style: Secondary, CustomID: makeCustomID(routeCancel, itoa(saved[0].ID))}}}}
	if partnerID != req.Caller.ID {
		if e, ok, err := sharedPlan(ctx, c.Deps, req.Caller.ID, partnerID); err != nil {
			return Response{}, err
		} else if ok {
			resp.Embeds = []Embed{e}
		}
	}
	return resp, nil
}

// whom names the recipient of a check-in as its sender sees it.
func whom(senderID, recipientID string) string {
	if senderID == recipientID {
		return msgCheckinSelf
	}
	return mention(recipientID)
}

// cancelSeries cancels a check-in and its follow-ups that are still waiting.
func (c checkins) cancelSeries(ctx context.Context, senderID string, id int64) (string, error) {
	now := c.Clock()
	n := 0
	if _, err := c.Store.CancelCheckIn(ctx, id, senderID, now); err == nil {
		n++
	} else if !errors.Is(err, storage.ErrNotFound) {
		return "", fmt.Errorf("cancel check-in: %w", err)
	}
	pending, err := c.Store.PendingFrom(ctx, senderID)
	if err != nil {
		return "", fmt.Errorf("list pending check-ins: %w", err)
	}
	for _, p := range pending {
		if p.ParentID != id {
			continue
		}
		if _, err := c.Store.CancelCheckIn(ctx, p.ID, senderID, now); err == nil {
			n++
		} else if !errors.Is(err, storage.ErrNotFound) {
			return "", fmt.Errorf("cancel follow-up: %w", err)
		}
	}
	if n == 0 {
		return msgCancelGone, nil
	}
	return fmt.Sprintf(msgCancelled, n), nil
}

func (c checkins) cancelClick(ctx context.Context, req Request) (Response, error) {
	id, ok := parseID(req.Args["id"])
	if !ok {
		return privateText(msgNoLongerAvailable), nil
	}
	text, err := c.cancelSeries(ctx, req.Caller.ID, id)
	return Response{Type: Update, Ephemeral: true, Content: text, Components: []Row{}}, err
}

func (c checkins) listCancelClick(ctx context.Context, req Request) (Response, error) {
	id, ok := parseID(req.Args["id"])
	if !ok {
		return privateText(msgNoLongerAvailable), nil
	}
	text, err := c.cancelSeries(ctx, req.Caller.ID, id)
	if err != nil {
		return Response{}, err
	}
	resp, err := c.list(ctx, req.Caller.ID, text)
	resp.Type = Update
	return resp, err
}

// list shows the caller's check-ins of the last week, answers included, so an answer is
// never lost to closed DMs.
func (c checkins) list(ctx context.Context, userID, notice string) (Response, error) {
	now := c.Clock()
	cs, err := c.Store.CheckInsFrom(ctx, userID, now.Add(-listWindow))
	if err != nil {
		return Response{}, fmt.Errorf("list check-ins: %w", err)
	}
	if len(cs) == 0 {
		resp := privateText(strings.TrimSpace(notice + "\n" + msgListEmpty))
		resp.Components = []Row{}
		return resp, nil
	}
	var lines []string
	var buttons []Button
	for i, ci := range cs {
		if i == maxListed {
			lines = append(lines, fmt.Sprintf(msgListMore, len(cs)-i))
			break
		}
		status := statusWords[ci.Status]
		switch ci.Status {
		case storage.StatusPending:
			status = fmt.Sprintf(status, timestamp(ci.NextAttemptAt, "R"))
			if len(buttons) < maxListButtons {
				buttons = append(buttons, Button{Label: fmt.Sprintf(msgLabelCancelN, ci.ID), Style: Secondary, CustomID: makeCustomID(routeListCancel, itoa(ci.ID))})
			}
		case storage.StatusSent:
			status = fmt.Sprintf(status, timestamp(ci.SentAt, "R"))
		case storage.StatusAnswered:
			if a, ok := answers[ci.Answer]; ok {
				status += ": " + a.Emoji + " " + a.Label
			}
		}
		line := fmt.Sprintf("**%d** · to %s · %s", ci.ID, whom(userID, ci.RecipientID), status)
		if ci.Words != "" {
			line += "\n" + quotePreview(ci.Words, wordsPreview)
		}
		lines = append(lines, line)
	}
	resp := privateEmbed(Embed{Title: msgCheckinListTitle, Description: clip(strings.Join(lines, "\n"), discordlimits.EmbedDescription), Color: colorNotice}, buttonRows(buttons)...)
	resp.Content = notice
	return resp, nil
}

func (c checkins) autocomplete(ctx context.Context, req Request) (Response, error) {
	var choices []Choice
	switch req.Focused {
	case "in":
		choices = delayChoices(req.Option("in"))
	case "id":
		pending, err := c.Store.PendingFrom(ctx, req.Caller.ID)
		if err != nil {
			return Response{}, fmt.Errorf("list pending check-ins: %w", err)
		}
		loc := c.userLocation(ctx, req.Caller.ID)
		typed := strings.TrimPrefix(strings.TrimSpace(req.Option("id")), "#")
		for _, p := range pending {
			id := itoa(p.ID)
			if typed != "" && !strings.HasPrefix(id, typed) {
				continue
			}
			name := "#" + id + " · due " + p.NextAttemptAt.In(loc).Format("Mon 2 Jan 15:04 MST")
			if p.SenderID == p.RecipientID {
				name += " · to yourself"
			}
			choices = append(choices, Choice{Name: clip(name, 100), Value: id})
			if len(choices) == maxChoices {
				break
			}
		}
	}
	return Response{Type: Choices, Choices: choices}, nil
}

// delayChoices suggests common delays, with what the person typed first when it reads well.
func delayChoices(typed string) []Choice {
	var out []Choice
	if d, err := ParseDelay(typed); err == nil && strings.TrimSpace(typed) != "" {
		out = append(out, Choice{Name: "in " + describeDelay(d), Value: strings.TrimSpace(typed)})
	}
	for _, s := range []string{"now", "15m", "30m", "1h", "2h", "4h", "12h", "1d", "3d"} {
		if len(out) > 0 && out[0].Value == s {
			continue
		}
		d, _ := ParseDelay(s)
		name := "in " + describeDelay(d)
		if d == 0 {
			name = "now"
		}
		out = append(out, Choice{Name: name, Value: s})
	}
	return out
}

func (c checkins) userLocation(ctx context.Context, userID string) *time.Location {
	us, err := c.Store.UserSettings(ctx, userID)
	if err != nil {
		return time.UTC
	}
	loc, err := time.LoadLocation(us.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
