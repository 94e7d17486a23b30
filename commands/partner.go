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
	routeAccept   = "pt1:accept/{id}" // id: the invitation's
	routeDecline  = "pt1:decline/{id}"
	routeBlock    = "pt1:block/{id}"
	routeRemove   = "pt1:remove/{user}" // the partner's user id
	routeWithdraw = "pt1:withdraw/{id}"

	// maxListButtons is what five action rows of five buttons hold.
	maxListButtons = discordlimits.Rows * discordlimits.ButtonsPerRow
	// maxRequestRows: one row of answer buttons per invitation, five rows per message.
	maxRequestRows = discordlimits.Rows
)

// partners answers /partner and the invitation buttons.
type partners struct{ Deps }

func partnerFeature(d Deps) ([]Command, map[string]HandlerFunc) {
	p := partners{d}
	userOpt := func(desc string) []OptionDef {
		return []OptionDef{{Type: OptionUser, Name: "user", Description: desc, Required: true}}
	}
	cmd := Command{
		Definition: Definition{Name: "partner", Description: descPartner, Options: []OptionDef{
			{Type: OptionSubcommand, Name: "invite", Description: descPartnerInvite, Options: userOpt(descPartnerUser)},
			{Type: OptionSubcommand, Name: "requests", Description: descPartnerRequests},
			{Type: OptionSubcommand, Name: "list", Description: descPartnerList},
			{Type: OptionSubcommand, Name: "remove", Description: descPartnerRemove, Options: userOpt(descPartnerRemoveU)},
			{Type: OptionSubcommand, Name: "block", Description: descPartnerBlock, Options: userOpt(descPartnerBlockU)},
			{Type: OptionSubcommand, Name: "unblock", Description: descPartnerUnblock, Options: userOpt(descPartnerUnblockU)},
		}},
		Handle: p.command,
	}
	return []Command{cmd}, map[string]HandlerFunc{
		routeAccept: p.accept, routeDecline: p.decline, routeBlock: p.block,
		routeRemove: p.removeClick, routeWithdraw: p.withdrawClick,
	}
}

func (p partners) command(ctx context.Context, req Request) (Response, error) {
	switch req.Subcommand {
	case "invite":
		return p.invite(ctx, req)
	case "requests":
		return p.requests(ctx, req.Caller.ID)
	case "list":
		return p.list(ctx, req.Caller.ID, "")
	case "remove":
		return p.remove(ctx, req.Caller.ID, req.Option("user"), false)
	case "block":
		return p.blockCommand(ctx, req)
	case "unblock":
		return p.unblockCommand(ctx, req)
	}
	return privateText(msgUnknownCommand), nil
}

// otherUser reads the "user" option; a missing one, the caller or a bot gets its answer instead.
func otherUser(req Request, self, bot string) (string, *Response) {
	id := req.Option("user")
	var text string
	switch {
	case id == "":
		text = msgUnknownCommand
	case id == req.Caller.ID:
		text = self
	case req.Users[id].Bot:
		text = bot
	default:
		return id, nil
	}
	resp := privateText(text)
	return "", &resp
}

// inviteAnswerAfter is when every answer to an invitation leaves, after the command: longer
// than a DM to Discord usually takes, and well short of the deferral (2 s), so that the
// answer still comes in the interaction's own response.
const inviteAnswerAfter = 750 * time.Millisecond

func (p partners) invite(ctx context.Context, req Request) (Response, error) {
	inviteeID, bad := otherUser(req, msgInviteSelf, msgInviteBot)
	if bad != nil {
		return *bad, nil
	}
	// Every answer from here leaves inviteAnswerAfter after the command: a refusal (no DM
	// attempted) would otherwise come back sooner than closed DMs (a DM Discord refused),
	// and the delay would tell a block or a cooldown apart. A DM slower than that still
	// shows; Discord's usually take a fraction of it.
	defer p.waitUntil(ctx, p.Clock().Add(inviteAnswerAfter))
	lim := p.Limits.withDefaults()
	inv, err := p.Store.CreateInvitation(ctx, req.Caller.ID, inviteeID, p.Clock(), lim.InvitationTTL, lim.InvitationsPerDay)
	switch {
	case errors.Is(err, storage.ErrAlreadyPartners):
		return privateText(fmt.Sprintf(msgInviteAlready, mention(inviteeID))), nil
	case errors.Is(err, storage.ErrInvitePending):
		return privateText(fmt.Sprintf(msgInvitePending, mention(inviteeID))), nil
	case errors.Is(err, storage.ErrInviteLimit):
		return privateText(fmt.Sprintf(msgInviteLimit, lim.InvitationsPerDay)), nil
	case errors.Is(err, storage.ErrInviteRefused):
		// Worded exactly like closed DMs, and stored as a hidden invitation that lists, counts
		// and repeats like an undelivered one, so that no refusal is ever revealed.
		return privateText(fmt.Sprintf(msgInviteNotSent, mention(inviteeID))), nil
	case err != nil:
		return Response{}, fmt.Errorf("create invitation: %w", err)
	}
	if p.DM != nil {
		msg := Message{
			Embeds: []Embed{{Title: msgInviteTitle, Color: colorNotice,
				Description: fmt.Sprintf(msgInviteBody, mention(inv.InviterID), timestamp(inv.ExpiresAt, "R"))}},
			Components: []Row{invitationButtons(inv.ID, "")},
		}
		if err := p.DM.SendDM(ctx, inviteeID, msg); err != nil {
			if !errors.Is(err, ErrDMClosed) {
				p.logger().Warn("send invitation DM", "invitation", inv.ID, "err", err)
			}
			return privateText(fmt.Sprintf(msgInviteNotSent, mention(inviteeID))), nil
		}
	}
	return privateText(fmt.Sprintf(msgInviteSent, mention(inviteeID), timestamp(inv.ExpiresAt, "R"))), nil
}

// invitationButtons is one row answering an invitation; suffix tells rows apart in a list.
func invitationButtons(id int64, suffix string) Row {
	arg := itoa(id)
	return Row{Buttons: []Button{
		{Label: strings.TrimSpace(msgLabelAccept + " " + suffix), Style: Success, CustomID: makeCustomID(routeAccept, arg)},
		{Label: strings.TrimSpace(msgLabelDecline + " " + suffix), Style: Secondary, CustomID: makeCustomID(routeDecline, arg)},
		{Label: strings.TrimSpace(msgLabelBlock + " " + suffix), Style: Danger, CustomID: makeCustomID(routeBlock, arg)},
	}}
}

func (p partners) requests(ctx context.Context, userID string) (Response, error) {
	invs, err := p.Store.InvitationsTo(ctx, userID, p.Clock())
	if err != nil {
		return Response{}, fmt.Errorf("list invitations: %w", err)
	}
	if len(invs) == 0 {
		return privateText(msgRequestsNone), nil
	}
	var lines []string
	var rows []Row
	for i, inv := range invs {
		if i == maxRequestRows {
			lines = append(lines, fmt.Sprintf(msgListMore, len(invs)-i))
			break
		}
		n := itoa(int64(i + 1))
		lines = append(lines, n+". "+mention(inv.InviterID)+", expires "+timestamp(inv.ExpiresAt, "R"))
		rows = append(rows, invitationButtons(inv.ID, n))
	}
	return privateEmbed(Embed{Title: msgRequestsTitle, Description: strings.Join(lines, "\n"), Color: colorNotice}, rows...), nil
}

// invitationClick runs one answer to an invitation and updates the message it was on.
func (p partners) invitationClick(ctx context.Context, req Request, act func(id int64) (string, error)) (Response, error) {
	id, ok := parseID(req.Args["id"])
	if !ok {
		return privateText(msgNoLongerAvailable), nil
	}
	text, err := act(id)
	switch {
	case errors.Is(err, storage.ErrExpired):
		text = msgInviteExpired
	case errors.Is(err, storage.ErrNotFound):
		text = msgInviteGone
	case err != nil:
		return Response{}, err
	}
	return Response{Type: Update, Content: text, Ephemeral: req.Message == nil || req.Message.Ephemeral}, nil
}

func (p partners) accept(ctx context.Context, req Request) (Response, error) {
	return p.invitationClick(ctx, req, func(id int64) (string, error) {
		inv, err := p.Store.AcceptInvitation(ctx, id, req.Caller.ID, p.Clock())
		if err != nil {
			return "", wrapUnlessSentinel("accept invitation", err)
		}
		if p.DM != nil {
			// The inviter asked for this link, so telling them it exists is expected.
			if err := p.DM.SendDM(ctx, inv.InviterID, Message{Content: fmt.Sprintf(msgInviteAcceptedBy, mention(inv.InviteeID))}); err != nil && !errors.Is(err, ErrDMClosed) {
				p.logger().Warn("tell inviter of acceptance", "invitation", id, "err", err)
			}
		}
		return fmt.Sprintf(msgInviteAccepted, mention(inv.InviterID)), nil
	})
}

func (p partners) decline(ctx context.Context, req Request) (Response, error) {
	return p.invitationClick(ctx, req, func(id int64) (string, error) {
		return msgInviteDeclined, wrapUnlessSentinel("decline invitation", p.Store.DeclineInvitation(ctx, id, req.Caller.ID, p.Clock()))
	})
}

func (p partners) block(ctx context.Context, req Request) (Response, error) {
	return p.invitationClick(ctx, req, func(id int64) (string, error) {
		inv, err := p.Store.Invitation(ctx, id)
		// A hidden invitation does not exist for its invitee.
		if err != nil || inv.InviteeID != req.Caller.ID || inv.Hidden {
			return "", storage.ErrNotFound
		}
		if err := p.blockUser(ctx, req.Caller.ID, inv.InviterID); err != nil {
			return "", err
		}
		return fmt.Sprintf(msgInviteBlocked, mention(inv.InviterID)), nil
	})
}

// blockUser is the one way to block, from an invitation's button or from /partner block: it
// ends any link quietly and cancels pending check-ins and invitations between the two.
func (p partners) blockUser(ctx context.Context, blockerID, blockedID string) error {
	if err := p.Store.Block(ctx, blockerID, blockedID, p.Clock()); err != nil {
		return fmt.Errorf("block: %w", err)
	}
	return nil
}

func (p partners) blockCommand(ctx context.Context, req Request) (Response, error) {
	otherID, bad := otherUser(req, msgBlockSelf, msgBlockBot)
	if bad != nil {
		return *bad, nil
	}
	already, err := p.Store.Blocked(ctx, req.Caller.ID, otherID)
	if err != nil {
		return Response{}, err
	}
	if already {
		return privateText(fmt.Sprintf(msgBlockAlready, mention(otherID))), nil
	}
	if err := p.blockUser(ctx, req.Caller.ID, otherID); err != nil {
		return Response{}, err
	}
	return privateText(fmt.Sprintf(msgBlocked, mention(otherID))), nil
}

func (p partners) unblockCommand(ctx context.Context, req Request) (Response, error) {
	otherID, bad := otherUser(req, msgUnblockSelf, msgUnblockBot)
	if bad != nil {
		return *bad, nil
	}
	blocked, err := p.Store.Blocked(ctx, req.Caller.ID, otherID)
	if err != nil {
		return Response{}, err
	}
	if !blocked {
		return privateText(fmt.Sprintf(msgNotBlocked, mention(otherID))), nil
	}
	if err := p.Store.Unblock(ctx, req.Caller.ID, otherID); err != nil {
		return Response{}, err
	}
	return privateText(fmt.Sprintf(msgUnblocked, mention(otherID))), nil
}

// list shows partners and invitations both ways, with a button to end or withdraw each.
func (p partners) list(ctx context.Context, userID, notice string) (Response, error) {
	now := p.Clock()
	ps, err := p.Store.Partners(ctx, userID)
	if err != nil {
		return Response{}, fmt.Errorf("list partners: %w", err)
	}
	out, err := p.Store.InvitationsFrom(ctx, userID, now)
	if err != nil {
		return Response{}, fmt.Errorf("list sent invitations: %w", err)
	}
	in, err := p.Store.InvitationsTo(ctx, userID, now)
	if err != nil {
		return Response{}, fmt.Errorf("list received invitations: %w", err)
	}
	if len(ps)+len(out)+len(in) == 0 {
		resp := privateText(strings.TrimSpace(notice + "\n" + msgListNone))
		resp.Components = []Row{}
		return resp, nil
	}
	var lines []string
	var buttons []Button
	n := 0
	add := func(line string, b Button) {
		n++
		lines = append(lines, itoa(int64(n))+". "+line)
		if len(buttons) < maxListButtons {
			buttons = append(buttons, b)
		}
	}
	if len(ps) > 0 {
		lines = append(lines, msgListPartners)
		for _, pt := range ps {
			add(mention(pt.UserID)+", since "+timestamp(pt.Since, "D"),
				Button{Label: fmt.Sprintf(msgLabelRemove, n+1), Style: Danger, CustomID: makeCustomID(routeRemove, pt.UserID)})
		}
	}
	if len(out) > 0 {
		lines = append(lines, msgListOutgoing)
		for _, inv := range out {
			add(mention(inv.InviteeID)+", expires "+timestamp(inv.ExpiresAt, "R"),
				Button{Label: fmt.Sprintf(msgLabelWithdraw, n+1), Style: Secondary, CustomID: makeCustomID(routeWithdraw, itoa(inv.ID))})
		}
	}
	if len(in) > 0 {
		lines = append(lines, msgListIncoming)
		for _, inv := range in {
			lines = append(lines, "- "+mention(inv.InviterID)+", expires "+timestamp(inv.ExpiresAt, "R"))
		}
	}
	if n > maxListButtons {
		lines = append(lines, fmt.Sprintf(msgListMore, n-maxListButtons))
	}
	resp := privateEmbed(Embed{Title: msgListTitle, Description: clip(strings.Join(lines, "\n"), discordlimits.EmbedDescription), Color: colorNotice}, buttonRows(buttons)...)
	resp.Content = notice
	return resp, nil
}

// buttonRows packs buttons five to a row.
func buttonRows(buttons []Button) []Row {
	var rows []Row
	for len(buttons) > 0 {
		k := min(discordlimits.ButtonsPerRow, len(buttons))
		rows = append(rows, Row{Buttons: buttons[:k]})
		buttons = buttons[k:]
	}
	return rows
}

func (p partners) remove(ctx context.Context, userID, otherID string, fromList bool) (Response, error) {
	if otherID == "" || otherID == userID {
		return privateText(fmt.Sprintf(msgNotPartners, mention(otherID))), nil
	}
	removed, err := p.Store.RemovePartner(ctx, userID, otherID, p.Clock())
	if err != nil {
		return Response{}, fmt.Errorf("remove partner: %w", err)
	}
	text := fmt.Sprintf(msgRemoved, mention(otherID))
	if !removed {
		text = fmt.Sprintf(msgNotPartners, mention(otherID))
	}
	if !fromList {
		return privateText(text), nil
	}
	resp, err := p.list(ctx, userID, text)
	resp.Type = Update
	return resp, err
}

func (p partners) removeClick(ctx context.Context, req Request) (Response, error) {
	other := req.Args["user"]
	if _, ok := parseID(other); !ok {
		return privateText(msgNoLongerAvailable), nil
	}
	return p.remove(ctx, req.Caller.ID, other, true)
}

func (p partners) withdrawClick(ctx context.Context, req Request) (Response, error) {
	id, ok := parseID(req.Args["id"])
	if !ok {
		return privateText(msgNoLongerAvailable), nil
	}
	notice := msgWithdrawn
	if err := p.Store.WithdrawInvitation(ctx, id, req.Caller.ID, p.Clock()); errors.Is(err, storage.ErrNotFound) {
		notice = msgInviteGone
	} else if err != nil {
		return Response{}, fmt.Errorf("withdraw invitation: %w", err)
	}
	resp, err := p.list(ctx, req.Caller.ID, notice)
	resp.Type = Update
	return resp, err
}

// waitUntil waits, with Wait, until the clock reads at.
func (d Deps) waitUntil(ctx context.Context, at time.Time) {
	if left := at.Sub(d.Clock()); d.Wait != nil && left > 0 {
		d.Wait(ctx, left)
	}
}

func (d Deps) logger() interface{ Warn(string, ...any) } {
	if d.Log == nil {
		return discardLog{}
	}
	return d.Log
}

type discardLog struct{}

func (discardLog) Warn(string, ...any) {}

// wrapUnlessSentinel adds context to unexpected errors but keeps storage's sentinels
// recognisable by errors.Is for the caller's switch.
func wrapUnlessSentinel(what string, err error) error {
	if err == nil || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrExpired) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}
