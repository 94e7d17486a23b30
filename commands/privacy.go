package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/afterglow-bot/afterglow/storage"
)

const (
	routeExport        = "pv1:export"
	routeDelete        = "pv1:delete"
	routeDeleteConfirm = "pv1:confirm"
	routeDeleteKeep    = "pv1:keep"
)

// maxAttachment stays under Discord's smallest upload limit for bots. A variable only so
// that a test can reach it without writing megabytes.
var maxAttachment = 8 << 20

type privacy struct{ Deps }

func privacyFeature(d Deps) ([]Command, map[string]HandlerFunc) {
	p := privacy{d}
	return []Command{{Definition: Definition{Name: "privacy", Description: descPrivacy}, Handle: p.summary}},
		map[string]HandlerFunc{routeExport: p.export, routeDelete: p.askDelete, routeDeleteConfirm: p.confirmDelete, routeDeleteKeep: p.keep}
}

func (p privacy) summary(ctx context.Context, req Request) (Response, error) {
	c, err := p.Store.Counts(ctx, req.Caller.ID)
	if err != nil {
		return Response{}, fmt.Errorf("count user rows: %w", err)
	}
	lines := fmt.Sprintf(msgPrivacyIntro, p.retentionDays())
	any := false
	for _, row := range countLines(c) {
		if row.n > 0 {
			lines += "\n" + fmt.Sprintf(privacyLinePattern, row.label, row.n)
			any = true
		}
	}
	if !any {
		lines += "\n" + msgPrivacyNothing
	}
	return privateEmbed(Embed{Title: msgPrivacyTitle, Description: lines, Color: colorNotice}, Row{Buttons: []Button{
		{Label: msgPrivacyExport, Style: Primary, CustomID: routeExport},
		{Label: msgPrivacyDelete, Style: Danger, CustomID: routeDelete},
	}}), nil
}

func (p privacy) retentionDays() int {
	if p.RetentionDays > 0 {
		return p.RetentionDays
	}
	return storage.DefaultRetentionDays
}

type countLine struct {
	label string
	n     int
}

func countLines(c storage.UserCounts) []countLine {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return []countLine{
		{"settings", b(c.Settings)},
		{"aftercare plan", b(c.Plan)},
		{"partner links", c.Partners},
		{"invitations you sent", c.InvitationsSent},
		{"invitations you received", c.InvitationsReceived},
		{"records of invitations you sent recently (kept for the daily limit)", c.InvitationLog},
		{"blocks you set", c.Blocks},
		{"people you declined or removed, who can't invite you for 7 days", c.Cooldowns},
		{"check-ins you sent", c.CheckInsSent},
		{"check-ins you received", c.CheckInsReceived},
	}
}

// export attaches the JSON to a private reply to the click, never to a DM.
func (p privacy) export(ctx context.Context, req Request) (Response, error) {
	data, err := p.Store.Export(ctx, req.Caller.ID)
	if err != nil {
		return Response{}, fmt.Errorf("export: %w", err)
	}
	raw, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return Response{}, fmt.Errorf("encode export: %w", err)
	}
	if len(raw) > maxAttachment {
		return privateText(fmt.Sprintf(msgExportTooLarge, maxAttachment>>20)), nil
	}
	resp := privateText(msgExportReady)
	resp.Files = []File{{Name: msgExportFileName, ContentType: "application/json", Data: raw}}
	return resp, nil
}

func (p privacy) askDelete(context.Context, Request) (Response, error) {
	return Response{Type: Reply, Ephemeral: true, Content: msgDeleteConfirm, Components: []Row{{Buttons: []Button{
		{Label: msgDeleteYes, Style: Danger, CustomID: routeDeleteConfirm},
		{Label: msgDeleteNo, Style: Secondary, CustomID: routeDeleteKeep},
	}}}}, nil
}

func (p privacy) confirmDelete(ctx context.Context, req Request) (Response, error) {
	c, err := p.Store.Counts(ctx, req.Caller.ID)
	if err != nil {
		return Response{}, fmt.Errorf("count user rows: %w", err)
	}
	text := msgDeleteNothing
	if c != (storage.UserCounts{}) {
		// The ids of the DMs go with the rows, so they are read first.
		dms, err := p.Store.DMsTo(ctx, req.Caller.ID)
		if err != nil {
			return Response{}, fmt.Errorf("list DMs to delete: %w", err)
		}
		switch err := p.Store.DeleteUser(ctx, req.Caller.ID); {
		case errors.Is(err, storage.ErrLogNotCleared):
			// The rows are gone; only their old pages wait in the log for the next checkpoint.
			p.logger().Warn("privacy delete: log not yet cleared", "err", err)
		case err != nil:
			return Response{}, fmt.Errorf("delete user: %w", err)
		}
		text = msgDeleteDone + p.deleteDMs(ctx, dms)
	}
	return Response{Type: Update, Ephemeral: true, Content: text, Embeds: []Embed{}, Components: []Row{}}, nil
}

// deleteDMs deletes, best-effort, the DMs Afterglow posted to someone deleting their data,
// and says how that went, as a sentence to add to the confirmation ("" when there were none).
func (p privacy) deleteDMs(ctx context.Context, dms []storage.MessageRef) string {
	if len(dms) == 0 || p.DM == nil {
		return ""
	}
	failed := 0
	for _, m := range dms {
		if err := p.DM.DeleteDM(ctx, m.ChannelID, m.MessageID); err != nil {
			failed++
			p.logger().Warn("delete DM after privacy delete", "err", err)
		}
	}
	text := ""
	if deleted := len(dms) - failed; deleted > 0 {
		text += " " + fmt.Sprintf(msgDeleteDMs, deleted)
	}
	if failed > 0 {
		text += " " + fmt.Sprintf(msgDeleteDMsFailed, failed)
	}
	return text
}

func (p privacy) keep(context.Context, Request) (Response, error) {
	return Response{Type: Update, Ephemeral: true, Content: msgDeleteKept, Embeds: []Embed{}, Components: []Row{}}, nil
}
