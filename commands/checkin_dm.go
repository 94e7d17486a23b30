package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/afterglow-bot/afterglow/content"
	"github.com/afterglow-bot/afterglow/storage"
)

// CheckInMessage is the DM a check-in's recipient gets. The delivery loop in bot sends it;
// answering rebuilds it, so its wording is decided here alone.
func (r *Router) CheckInMessage(ctx context.Context, c storage.CheckIn, late bool) (Message, error) {
	return checkins{r.deps}.message(ctx, c, late)
}

func (c checkins) message(ctx context.Context, ci storage.CheckIn, late bool) (Message, error) {
	self := ci.SenderID == ci.RecipientID
	var b strings.Builder
	if late {
		b.WriteString(c.Content.LatePrefix() + "\n\n")
	}
	b.WriteString(c.Content.Prompt(promptPool(ci), ci.ID))
	b.WriteString("\n\n")
	if self {
		b.WriteString(msgDMFromSelf)
	} else {
		fmt.Fprintf(&b, msgDMFrom, mention(ci.SenderID))
	}
	if ci.Note != "" {
		b.WriteString("\n\n" + msgDMNoteHeading + "\n" + quote(ci.Note))
	}
	e := Embed{Title: msgDMTitle, Description: b.String(), Color: colorGuide, Footer: msgDMFooterSelf}
	if !self {
		e.Footer = msgDMFooter
	}
	if plan, ok, err := c.Store.Plan(ctx, ci.RecipientID); err != nil {
		return Message{}, fmt.Errorf("read recipient's plan: %w", err)
	} else if ok {
		if summary := planSummary(plan); summary != "" {
			e.Fields = append(e.Fields, Field{Name: msgDMPlanHeading, Value: summary})
		}
	}
	id := itoa(ci.ID)
	var answerRow []Button
	for _, a := range storage.Answers() {
		answerRow = append(answerRow, Button{Label: answers[a].Label, Emoji: answers[a].Emoji, Style: Secondary, CustomID: makeCustomID(routeAnswer, id, a)})
	}
	extra := []Button{{Label: msgLabelWords, Style: Primary, CustomID: makeCustomID(routeWords, id)}}
	if !self {
		extra = append(extra, Button{Label: msgLabelStop, Style: Danger, CustomID: makeCustomID(routeStop, id)})
	}
	return Message{Embeds: []Embed{e}, Components: []Row{{Buttons: answerRow}, {Buttons: extra}}}, nil
}

// promptPool is the wording a check-in gets: one to yourself never asks what you need
// "from me", and a follow-up days later never says "earlier".
func promptPool(ci storage.CheckIn) content.PromptPool {
	switch {
	case ci.SenderID == ci.RecipientID:
		return content.PoolSelf
	case ci.ParentID != 0:
		return content.PoolFollowUp
	}
	return content.PoolPartner
}

// SenderNotice tells a check-in's sender that it was not delivered, and why.
func (r *Router) SenderNotice(c storage.CheckIn) Message {
	switch c.Status {
	case storage.StatusUndeliverable:
		return Message{Content: fmt.Sprintf(msgTellClosed, mention(c.RecipientID))}
	case storage.StatusDropped:
		return Message{Content: fmt.Sprintf(msgTellDropped, mention(c.RecipientID), timestamp(c.DueAt, "f"))}
	}
	return Message{Content: fmt.Sprintf(msgTellFailed, mention(c.RecipientID))}
}

// recipientCheckIn loads the check-in a DM button names and makes sure the clicker is its
// recipient. A nil response means go ahead.
func (c checkins) recipientCheckIn(ctx context.Context, req Request) (storage.CheckIn, *Response, error) {
	id, ok := parseID(req.Args["id"])
	if !ok {
		r := privateText(msgNoLongerAvailable)
		return storage.CheckIn{}, &r, nil
	}
	ci, err := c.Store.CheckIn(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		r := privateText(msgNoLongerAvailable)
		return ci, &r, nil
	}
	if err != nil {
		return ci, nil, fmt.Errorf("load check-in: %w", err)
	}
	if ci.RecipientID != req.Caller.ID {
		r := privateText(msgAnswerNotYours)
		return ci, &r, nil
	}
	// A click proves the DM is out, even before its worker records it sent.
	if !storage.Answerable(ci.Status) {
		r := privateText(msgNoLongerAvailable)
		return ci, &r, nil
	}
	return ci, nil, nil
}

func (c checkins) answer(ctx context.Context, req Request) (Response, error) {
	choice := req.Args["choice"]
	if !storage.ValidAnswer(choice) {
		return privateText(msgNoLongerAvailable), nil
	}
	ci, stop, err := c.recipientCheckIn(ctx, req)
	if stop != nil || err != nil {
		return deref(stop), err
	}
	ci, err = c.Store.RecordAnswer(ctx, ci.ID, req.Caller.ID, choice, c.Clock(), c.Limits.withDefaults().AnswerWindow)
	if resp, done, err := c.answerError(err); done {
		return resp, err
	}
	a := answers[choice]
	if ci.SenderID != ci.RecipientID {
		c.relay(ctx, ci, Message{Content: fmt.Sprintf(msgRelayAnswer, mention(ci.RecipientID), a.Emoji+" "+strings.ToLower(a.Label))})
	}
	resp, err := c.answeredView(ctx, ci)
	if err == nil && c.Answered != nil {
		c.Answered() // before the answer goes out, so whoever sees it sees the count
	}
	return resp, err
}

// answerError maps the store's answer errors to what the clicker sees.
func (c checkins) answerError(err error) (Response, bool, error) {
	switch {
	case err == nil:
		return Response{}, false, nil
	case errors.Is(err, storage.ErrClosed):
		return privateText(msgAnswerClosed), true, nil
	case errors.Is(err, storage.ErrNotFound):
		return privateText(msgNoLongerAvailable), true, nil
	case errors.Is(err, storage.ErrNotPartners):
		// Answers are relayed by DM, so only while the two are still partners.
		return privateText(msgAnswerUnlinked), true, nil
	}
	return Response{}, true, fmt.Errorf("record answer: %w", err)
}

// answeredView is the DM after an answer: the check-in as it was, with thanks and a
// pointer to guidance; the buttons stay so the answer can be changed within the window.
func (c checkins) answeredView(ctx context.Context, ci storage.CheckIn) (Response, error) {
	msg, err := c.message(ctx, ci, ci.Late)
	if err != nil {
		return Response{}, err
	}
	var lines []string
	if a, ok := answers[ci.Answer]; ok {
		shown := a.Emoji + " " + a.Label
		if ci.SenderID == ci.RecipientID {
			lines = append(lines, fmt.Sprintf(msgAnswerSelf, shown))
		} else {
			lines = append(lines, fmt.Sprintf(msgAnswerThanks, mention(ci.SenderID), shown))
		}
		if t, ok := c.Content.Topic(a.Topic); ok {
			lines = append(lines, fmt.Sprintf(msgAnswerTopic, t.ID, t.Title))
		}
		if ci.Answer == storage.AnswerCare || ci.Answer == storage.AnswerTalk {
			help, err := c.helpLine(ctx, ci.GuildID)
			if err != nil {
				return Response{}, err
			}
			lines = append(lines, help)
		}
	}
	if ci.Words != "" {
		lines = append(lines, quote(ci.Words))
	}
	embeds := append(msg.Embeds, Embed{Description: strings.Join(lines, "\n\n"), Color: colorNotice})
	return Response{Type: Update, Embeds: embeds, Components: msg.Components}, nil
}

// helpLine is the server's own resources text when the check-in came from a server that
// set one, else a general line about medical and emergency help. The resources are the
// admins' words, shown exactly but quoted and headed with the server's name, so that the
// recipient, reading in a DM away from the server, can tell whose words they are.
func (c checkins) helpLine(ctx context.Context, guildID string) (string, error) {
	resources, _, err := guildResources(c.Deps)(ctx, guildID)
	if err != nil {
		return "", err
	}
	if resources == "" {
		return msgAnswerHelp, nil
	}
	heading := msgServerHelp + ":"
	if name := c.guildName(ctx, guildID); name != "" {
		heading = fmt.Sprintf(msgServerHelpNamed, escapeMarkdown(name))
	}
	return heading + "\n" + quoteLines(resources) + "\n\n" + msgAnswerHelp, nil
}

// guildName is the server's name, or "" when it is not known.
func (c checkins) guildName(ctx context.Context, guildID string) string {
	if c.GuildName == nil {
		return ""
	}
	return strings.TrimSpace(c.GuildName(ctx, guildID))
}

// quoteLines quotes every line on its own; unlike ">>> ", the quote ends with the text,
// so the bot's own words after it stay outside.
func quoteLines(text string) string {
	return "> " + strings.ReplaceAll(text, "\n", "\n> ")
}

// markdownEscaper keeps a name's characters from being read as formatting.
var markdownEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`, ">", `\>`, "#", `\#`, "[", `\[`, "]", `\]`)

func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// relay sends the sender what the recipient answered. A closed DM is fine: the answer is
// in the sender's /checkin list either way.
//
// It remembers where the relay went, so that /privacy delete can delete it.
func (c checkins) relay(ctx context.Context, ci storage.CheckIn, msg Message) {
	if c.DM == nil {
		return
	}
	sent, err := c.DM.PostDM(ctx, ci.SenderID, msg)
	if err != nil {
		if !errors.Is(err, ErrDMClosed) {
			c.logger().Warn("relay answer", "checkin", ci.ID, "err", err)
		}
		return
	}
	err = c.Store.RecordRelay(ctx, ci.ID, sent.ChannelID, sent.MessageID)
	if errors.Is(err, storage.ErrNotFound) {
		// The check-in was deleted meanwhile, with its people's data: so goes its relay.
		err = c.DM.DeleteDM(ctx, sent.ChannelID, sent.MessageID)
	}
	if err != nil {
		c.logger().Warn("record relay", "checkin", ci.ID, "err", err)
	}
}

func (c checkins) wordsButton(ctx context.Context, req Request) (Response, error) {
	ci, stop, err := c.recipientCheckIn(ctx, req)
	if stop != nil || err != nil {
		return deref(stop), err
	}
	if ci.Status == storage.StatusAnswered && c.Clock().After(ci.AnsweredAt.Add(c.Limits.withDefaults().AnswerWindow)) {
		return privateText(msgAnswerClosed), nil
	}
	if ci.SenderID != ci.RecipientID {
		// Words are relayed by DM, so only while the two are still partners; the answer's
		// own transaction checks again when they are submitted.
		linked, err := c.Store.ArePartners(ctx, ci.SenderID, ci.RecipientID)
		if err != nil {
			return Response{}, fmt.Errorf("check partners: %w", err)
		}
		if !linked {
			return privateText(msgAnswerUnlinked), nil
		}
	}
	return Response{Type: ShowModal, Modal: &Modal{
		CustomID: makeCustomID(routeWordsModal, itoa(ci.ID)),
		Title:    msgWordsTitle,
		Inputs:   []TextInput{{CustomID: wordsField, Label: msgWordsLabel, Paragraph: true, Required: true, MaxLength: maxWordsLen}},
	}}, nil
}

func (c checkins) wordsSubmit(ctx context.Context, req Request) (Response, error) {
	ci, stop, err := c.recipientCheckIn(ctx, req)
	if stop != nil || err != nil {
		return deref(stop), err
	}
	words := strings.TrimSpace(req.Fields[wordsField])
	if words == "" {
		return privateText(msgWordsEmpty), nil
	}
	if n := runeLen(words); n > maxWordsLen {
		return privateText(fmt.Sprintf(msgWordsTooLong, n, maxWordsLen)), nil
	}
	ci, err = c.Store.RecordWords(ctx, ci.ID, req.Caller.ID, words, c.Clock(), c.Limits.withDefaults().AnswerWindow)
	if resp, done, err := c.answerError(err); done {
		return resp, err
	}
	if ci.SenderID != ci.RecipientID {
		c.relay(ctx, ci, Message{Content: fmt.Sprintf(msgRelayWords, mention(ci.RecipientID)) + "\n" + quote(words)})
	}
	return c.answeredView(ctx, ci)
}

func (c checkins) stop(ctx context.Context, req Request) (Response, error) {
	id, ok := parseID(req.Args["id"])
	if !ok {
		return privateText(msgNoLongerAvailable), nil
	}
	ci, err := c.Store.CheckIn(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return privateText(msgNoLongerAvailable), nil
	} else if err != nil {
		return Response{}, fmt.Errorf("load check-in: %w", err)
	}
	if ci.RecipientID != req.Caller.ID || ci.SenderID == ci.RecipientID {
		return privateText(msgAnswerNotYours), nil
	}
	if ci.Status == storage.StatusSending && req.Message != nil {
		// Clicked before its worker recorded the DM: record it now, so that ending the link
		// (which cancels what is still being sent) leaves this DM and its confirmation.
		err := c.Store.MarkSent(ctx, ci.ID, req.ChannelID, req.Message.ID, false, c.Clock())
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return Response{}, fmt.Errorf("record check-in delivered: %w", err)
		}
	}
	if _, err := c.Store.RemovePartner(ctx, ci.RecipientID, ci.SenderID, c.Clock()); err != nil {
		return Response{}, fmt.Errorf("end link: %w", err)
	}
	return Response{Type: Update, Content: fmt.Sprintf(msgStopped, mention(ci.SenderID)), Embeds: []Embed{}, Components: []Row{}}, nil
}

func deref(r *Response) Response {
	if r == nil {
		return Response{}
	}
	return *r
}
