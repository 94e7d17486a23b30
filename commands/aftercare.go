package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/afterglow-bot/afterglow/content"
	"github.com/afterglow-bot/afterglow/internal/discordlimits"
)

const (
	routeTopic = "ac1:topic" // the "More topics" select; its value is a topic id
	routeHome  = "ac1:home"  // the button back to the overview

	overviewID = "overview"
	// maxTopicQuery bounds the topic option; Discord enforces it too, we re-check.
	maxTopicQuery = 100
	// closestTopics is how many suggestions an unknown topic gets.
	closestTopics = 3
	// maxChoices is Discord's cap on autocomplete results.
	maxChoices = discordlimits.Choices
)

// aftercare answers /aftercare and its navigation.
type aftercare struct {
	lib       *content.Library
	resources func(ctx context.Context, guildID string) (text string, public bool, err error)
	// menu is the "More topics" select's options, built once: every topic view shows them
	// all and differs only in which one is the default.
	menu []SelectOption
}

func aftercareFeature(d Deps) ([]Command, map[string]HandlerFunc) {
	a := aftercare{lib: d.Content, resources: guildResources(d)}
	for _, t := range d.Content.Topics() {
		a.menu = append(a.menu, topicOption(t))
	}
	cmd := Command{
		Definition: Definition{
			Name:        "aftercare",
			Description: descAftercare,
			Options: []OptionDef{
				{Type: OptionString, Name: "topic", Description: descAftercareTopic, Autocomplete: true, MaxLength: maxTopicQuery},
				{Type: OptionBoolean, Name: "share", Description: descAftercareShare},
			},
		},
		Handle:       a.command,
		Autocomplete: a.autocomplete,
	}
	return []Command{cmd}, map[string]HandlerFunc{routeTopic: a.selectTopic, routeHome: a.home}
}

func (a aftercare) command(ctx context.Context, req Request) (Response, error) {
	query := strings.TrimSpace(req.Option("topic"))
	if runeLen(query) > maxTopicQuery {
		return privateText(fmt.Sprintf(msgTopicTooLong, maxTopicQuery)), nil
	}
	resources, public, err := a.resources(ctx, req.GuildID)
	if err != nil {
		return Response{}, fmt.Errorf("aftercare: server settings: %w", err)
	}
	if share, given := req.Options["share"]; given {
		public = share == "true"
	}
	id := overviewID
	if query != "" {
		t, ok := a.find(query)
		if !ok {
			return a.unknownTopic(query), nil
		}
		id = t.ID
	}
	resp := a.topicView(id, resources)
	resp.Ephemeral = !public
	return resp, nil
}

// find accepts a topic id (what autocomplete sends) or a title typed in full.
func (a aftercare) find(query string) (content.Topic, bool) {
	if t, ok := a.lib.Topic(strings.ToLower(query)); ok {
		return t, true
	}
	for _, t := range a.lib.Topics() {
		if strings.EqualFold(t.Title, query) {
			return t, true
		}
	}
	return content.Topic{}, false
}

func (a aftercare) unknownTopic(query string) Response {
	closest := a.lib.Closest(query, closestTopics)
	sel := &Select{CustomID: routeTopic, Placeholder: msgTopicPickMore, MinValues: 1, MaxValues: 1}
	for _, t := range closest {
		sel.Options = append(sel.Options, topicOption(t))
	}
	resp := privateText(msgUnknownTopic)
	for _, t := range closest {
		resp.Content += "\n- **" + t.Title + "**: " + t.Summary
	}
	resp.Components = []Row{{Select: sel}}
	return resp
}

func (a aftercare) autocomplete(_ context.Context, req Request) (Response, error) {
	var choices []Choice
	if req.Focused == "topic" {
		for _, t := range a.lib.Search(req.Option("topic"), maxChoices) {
			choices = append(choices, Choice{Name: clip(t.Title, 100), Value: t.ID})
		}
	}
	return Response{Type: Choices, Choices: choices}, nil
}

func (a aftercare) selectTopic(ctx context.Context, req Request) (Response, error) {
	if len(req.Values) != 1 {
		return privateText(msgNoLongerAvailable), nil
	}
	return a.navigate(ctx, req, req.Values[0])
}

func (a aftercare) home(ctx context.Context, req Request) (Response, error) {
	return a.navigate(ctx, req, overviewID)
}

// navigate shows another topic on the same message; on a shared message, anyone but the
// person who shared it gets the topic privately instead, so the public message stays put.
func (a aftercare) navigate(ctx context.Context, req Request, id string) (Response, error) {
	if _, ok := a.lib.Topic(id); !ok {
		return privateText(msgNoLongerAvailable), nil
	}
	resources, _, err := a.resources(ctx, req.GuildID)
	if err != nil {
		return Response{}, fmt.Errorf("aftercare: server settings: %w", err)
	}
	resp := a.topicView(id, resources)
	if req.Message != nil && !req.Message.Ephemeral && req.Message.InvokerID != req.Caller.ID {
		resp.Ephemeral = true
		return resp, nil
	}
	resp.Type = Update
	resp.Ephemeral = req.Message == nil || req.Message.Ephemeral
	return resp, nil
}

// topicOption is a topic as a choice in a topic select menu.
func topicOption(t content.Topic) SelectOption {
	return SelectOption{Label: clip(t.Title, 100), Value: t.ID, Description: clip(t.Summary, 100)}
}

// topicView is one topic as an embed with the topic menu and, away from the overview, a way back.
func (a aftercare) topicView(id, resources string) Response {
	t, _ := a.lib.Topic(id)
	e := Embed{Title: t.Title, Description: t.Body, Color: colorGuide, Footer: msgGuideFooter}
	if resources != "" && (t.ID == "resources" || t.ID == "red-flags") {
		e.Fields = append(e.Fields, Field{Name: msgServerHelp, Value: resources})
	}
	sel := &Select{CustomID: routeTopic, Placeholder: msgTopicPickMore, MinValues: 1, MaxValues: 1, Options: slices.Clone(a.menu)}
	for i := range sel.Options {
		sel.Options[i].Default = sel.Options[i].Value == t.ID
	}
	rows := []Row{{Select: sel}}
	if t.ID != overviewID {
		rows = append(rows, Row{Buttons: []Button{{Label: msgBackHome, Style: Secondary, CustomID: routeHome}}})
	}
	return Response{Type: Reply, Embeds: []Embed{e}, Components: rows}
}
