package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/afterglow-bot/afterglow/storage"
)

const (
	routePlanItems = "pl1:items"      // the multi-select of what helps
	routePlanNotes = "pl1:notes"      // button: open the notes modal
	routePlanModal = "pl1:notesm"     // the notes modal's submit
	routePlanShare = "pl1:share/{on}" // on: "on" or "off"

	maxPlanText = 1000
)

// planTexts are the modal's fields: custom_id, label, and where the text lives in a plan.
var planTexts = []struct {
	ID, Label string
	field     func(*storage.Plan) *string
}{
	{"helps", "What helps me", func(p *storage.Plan) *string { return &p.Helps }},
	{"avoid", "Please avoid", func(p *storage.Plan) *string { return &p.Avoid }},
	{"other", "Anything else", func(p *storage.Plan) *string { return &p.Other }},
}

// plans answers /plan.
type plans struct{ Deps }

func planFeature(d Deps) ([]Command, map[string]HandlerFunc) {
	p := plans{d}
	cmd := Command{
		Definition: Definition{Name: "plan", Description: descPlan, Options: []OptionDef{
			{Type: OptionSubcommand, Name: "edit", Description: descPlanEdit},
			{Type: OptionSubcommand, Name: "show", Description: descPlanShow, Options: []OptionDef{
				{Type: OptionUser, Name: "user", Description: descPlanShowU},
			}},
		}},
		Handle: p.command,
	}
	return []Command{cmd}, map[string]HandlerFunc{
		routePlanItems: p.items, routePlanNotes: p.notesButton, routePlanModal: p.notesSubmit, routePlanShare: p.share,
	}
}

func (p plans) command(ctx context.Context, req Request) (Response, error) {
	switch req.Subcommand {
	case "edit":
		plan, err := p.load(ctx, req.Caller.ID)
		if err != nil {
			return Response{}, err
		}
		return p.editor(plan, msgPlanEditTip, Reply), nil
	case "show":
		return p.show(ctx, req)
	}
	return privateText(msgUnknownCommand), nil
}

func (p plans) load(ctx context.Context, userID string) (storage.Plan, error) {
	plan, ok, err := p.Store.Plan(ctx, userID)
	if err != nil {
		return plan, fmt.Errorf("read plan: %w", err)
	}
	if !ok {
		plan = storage.Plan{UserID: userID}
	}
	return plan, nil
}

// editor is the private plan editor: the plan as it stands, the menu and the buttons.
func (p plans) editor(plan storage.Plan, notice string, typ ResponseType) Response {
	chosen := map[string]bool{}
	for _, it := range plan.Items {
		chosen[it] = true
	}
	sel := &Select{CustomID: routePlanItems, Placeholder: msgPlanPick, MinValues: 0, MaxValues: len(planItems)}
	for _, it := range planItems {
		sel.Options = append(sel.Options, SelectOption{Label: it.Label, Value: it.Value, Default: chosen[it.Value]})
	}
	share := Button{Label: msgLabelShare, Style: Success, CustomID: makeCustomID(routePlanShare, "on")}
	if plan.Shared {
		share = Button{Label: msgLabelKeep, Style: Secondary, CustomID: makeCustomID(routePlanShare, "off")}
	}
	e := planEmbed(plan, msgPlanTitle)
	return Response{Type: typ, Ephemeral: true, Content: notice, Embeds: []Embed{e}, Components: []Row{
		{Select: sel},
		{Buttons: []Button{{Label: msgLabelNotes, Style: Primary, CustomID: routePlanNotes}, share}},
	}}
}

// planEmbed shows a plan; the person's own words are quoted exactly as written.
func planEmbed(plan storage.Plan, title string) Embed {
	e := Embed{Title: title, Color: colorGuide, Description: msgPlanPrivate}
	if plan.Shared {
		e.Description = msgPlanShared
	}
	if items := planItemLabels(plan.Items); items != "" {
		e.Fields = append(e.Fields, Field{Name: msgPlanItems, Value: items})
	}
	for _, t := range planTexts {
		if text := *t.field(&plan); text != "" {
			e.Fields = append(e.Fields, Field{Name: t.Label, Value: quote(text)})
		}
	}
	return e
}

func planItemLabels(values []string) string {
	var labels []string
	for _, it := range planItems {
		for _, v := range values {
			if v == it.Value {
				labels = append(labels, "• "+it.Label)
			}
		}
	}
	return strings.Join(labels, "\n")
}

// planSummary is the short reminder in a check-in DM: the chosen items only.
func planSummary(plan storage.Plan) string { return planItemLabels(plan.Items) }

func (p plans) show(ctx context.Context, req Request) (Response, error) {
	other := req.Option("user")
	if other == "" || other == req.Caller.ID {
		plan, ok, err := p.Store.Plan(ctx, req.Caller.ID)
		if err != nil {
			return Response{}, fmt.Errorf("read plan: %w", err)
		}
		if !ok {
			return privateText(msgPlanNone), nil
		}
		return privateEmbed(planEmbed(plan, msgPlanTitle)), nil
	}
	e, ok, err := sharedPlan(ctx, p.Deps, req.Caller.ID, other)
	if err != nil {
		return Response{}, err
	}
	if !ok {
		// The same words whether they aren't partners, have no plan, or keep it private.
		return privateText(fmt.Sprintf(msgPlanNoShare, mention(other))), nil
	}
	return privateEmbed(e), nil
}

// sharedPlan is owner's plan as viewer may see it: only between partners, only if shared.
func sharedPlan(ctx context.Context, d Deps, viewerID, ownerID string) (Embed, bool, error) {
	linked, err := d.Store.ArePartners(ctx, viewerID, ownerID)
	if err != nil {
		return Embed{}, false, fmt.Errorf("check partners: %w", err)
	}
	if !linked {
		return Embed{}, false, nil
	}
	plan, ok, err := d.Store.Plan(ctx, ownerID)
	if err != nil {
		return Embed{}, false, fmt.Errorf("read plan: %w", err)
	}
	if !ok || !plan.Shared {
		return Embed{}, false, nil
	}
	e := planEmbed(plan, msgPartnerPlanTitle)
	e.Description = mention(ownerID)
	return e, true, nil
}

// save stores a change to the caller's plan and shows the editor again.
func (p plans) save(ctx context.Context, req Request, change func(*storage.Plan)) (Response, error) {
	plan, err := p.load(ctx, req.Caller.ID)
	if err != nil {
		return Response{}, err
	}
	change(&plan)
	plan.UpdatedAt = p.Clock()
	if err := p.Store.SavePlan(ctx, plan); err != nil {
		return Response{}, fmt.Errorf("save plan: %w", err)
	}
	return p.editor(plan, msgPlanSaved, Update), nil
}

func (p plans) items(ctx context.Context, req Request) (Response, error) {
	known := map[string]bool{}
	for _, it := range planItems {
		known[it.Value] = true
	}
	for _, v := range req.Values {
		if !known[v] {
			return privateText(msgNoLongerAvailable), nil
		}
	}
	if _, err := p.save(ctx, req, func(pl *storage.Plan) { pl.Items = append([]string(nil), req.Values...) }); err != nil {
		return Response{}, err
	}
	// Straight on to the notes, as the editor promises; closing the form keeps the items.
	return p.notesButton(ctx, req)
}

func (p plans) notesButton(ctx context.Context, req Request) (Response, error) {
	plan, err := p.load(ctx, req.Caller.ID)
	if err != nil {
		return Response{}, err
	}
	m := &Modal{CustomID: routePlanModal, Title: msgPlanNotesT}
	for _, t := range planTexts {
		m.Inputs = append(m.Inputs, TextInput{CustomID: t.ID, Label: t.Label, Paragraph: true, MaxLength: maxPlanText, Value: *t.field(&plan)})
	}
	return Response{Type: ShowModal, Modal: m}, nil
}

func (p plans) notesSubmit(ctx context.Context, req Request) (Response, error) {
	for _, t := range planTexts {
		if n := runeLen(req.Fields[t.ID]); n > maxPlanText {
			return privateText(fmt.Sprintf(msgPlanTooLong, t.Label, n, maxPlanText)), nil
		}
	}
	return p.save(ctx, req, func(pl *storage.Plan) {
		for _, t := range planTexts {
			*t.field(pl) = strings.TrimSpace(req.Fields[t.ID])
		}
	})
}

func (p plans) share(ctx context.Context, req Request) (Response, error) {
	on := req.Args["on"]
	if on != "on" && on != "off" {
		return privateText(msgNoLongerAvailable), nil
	}
	return p.save(ctx, req, func(pl *storage.Plan) { pl.Shared = on == "on" })
}
