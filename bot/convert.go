package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/commands"
)

// This file is the one edge where Discord's types become the project's and back.

// toRequest converts an interaction. It switches on the type before reading data, because
// discordgo's typed accessors panic on the wrong kind.
func toRequest(i *discordgo.Interaction) commands.Request {
	req := commands.Request{
		InteractionID: i.ID,
		GuildID:       i.GuildID,
		ChannelID:     i.ChannelID,
		Caller:        caller(i),
	}
	if i.Member != nil {
		req.Permissions = i.Member.Permissions
	}
	if i.GuildID != "" {
		owner, listed := i.AuthorizingIntegrationOwners[discordgo.ApplicationIntegrationGuildInstall]
		// Older payloads carry no owners; a member in a server then means a server install.
		req.GuildInstalled = owner == i.GuildID || (len(i.AuthorizingIntegrationOwners) == 0 && i.Member != nil && !listed)
	}
	switch i.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		req.Kind = commands.KindCommand
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			req.Kind = commands.KindAutocomplete
		}
		data := i.ApplicationCommandData()
		req.Command = data.Name
		opts := data.Options
		if len(opts) == 1 && opts[0] != nil && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
			req.Subcommand = opts[0].Name
			opts = opts[0].Options
		}
		req.Options = make(map[string]string, len(opts))
		for _, o := range opts {
			if o == nil {
				continue // JSON null where an option goes: nothing to read
			}
			req.Options[o.Name] = optionText(o)
			if o.Focused {
				req.Focused = o.Name
			}
		}
		if data.Resolved != nil && len(data.Resolved.Users) > 0 {
			req.Users = make(map[string]commands.User, len(data.Resolved.Users))
			for id, u := range data.Resolved.Users {
				if u != nil {
					req.Users[id] = commands.User{ID: u.ID, Name: userName(u), Bot: u.Bot}
				}
			}
			for id, m := range data.Resolved.Members {
				if u, ok := req.Users[id]; ok && m != nil && m.Nick != "" {
					u.Name = m.Nick
					req.Users[id] = u
				}
			}
		}
	case discordgo.InteractionMessageComponent:
		req.Kind = commands.KindComponent
		data := i.MessageComponentData()
		req.CustomID = data.CustomID
		req.Values = data.Values
	case discordgo.InteractionModalSubmit:
		req.Kind = commands.KindModal
		data := i.ModalSubmitData()
		req.CustomID = data.CustomID
		req.Fields = map[string]string{}
		for _, row := range data.Components {
			r, ok := row.(*discordgo.ActionsRow)
			if !ok {
				continue
			}
			for _, c := range r.Components {
				if in, ok := c.(*discordgo.TextInput); ok {
					req.Fields[in.CustomID] = in.Value
				}
			}
		}
	default:
		req.Kind = commands.KindUnknown
	}
	if m := i.Message; m != nil {
		info := &commands.MessageInfo{ID: m.ID, Ephemeral: m.Flags&discordgo.MessageFlagsEphemeral != 0}
		switch {
		case m.InteractionMetadata != nil && m.InteractionMetadata.User != nil:
			info.InvokerID = m.InteractionMetadata.User.ID
		case m.Interaction != nil && m.Interaction.User != nil:
			info.InvokerID = m.Interaction.User.ID
		}
		req.Message = info
	}
	return req
}

// caller reads who acted: in servers Discord sends member.user, in DMs only user.
func caller(i *discordgo.Interaction) commands.User {
	switch {
	case i.Member != nil && i.Member.User != nil:
		name := i.Member.Nick
		if name == "" {
			name = userName(i.Member.User)
		}
		return commands.User{ID: i.Member.User.ID, Name: name, Bot: i.Member.User.Bot}
	case i.User != nil:
		return commands.User{ID: i.User.ID, Name: userName(i.User), Bot: i.User.Bot}
	}
	return commands.User{}
}

func userName(u *discordgo.User) string {
	if u.GlobalName != "" {
		return u.GlobalName
	}
	return u.Username
}

func optionText(o *discordgo.ApplicationCommandInteractionDataOption) string {
	switch v := o.Value.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// noMentions is sent with every message: user text may hold mentions, and none may ping.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// toInteractionResponse converts a handler's answer into Discord's callback payload.
func toInteractionResponse(r commands.Response) *discordgo.InteractionResponse {
	switch r.Type {
	case commands.Choices:
		choices := make([]*discordgo.ApplicationCommandOptionChoice, 0, len(r.Choices))
		for _, c := range r.Choices {
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: c.Name, Value: c.Value})
		}
		return &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: choices},
		}
	case commands.ShowModal:
		m := r.Modal
		rows := make([]discordgo.MessageComponent, 0, len(m.Inputs))
		for _, in := range m.Inputs {
			style := discordgo.TextInputShort
			if in.Paragraph {
				style = discordgo.TextInputParagraph
			}
			rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.TextInput{
				CustomID: in.CustomID, Label: in.Label, Style: style, Required: in.Required,
				MaxLength: in.MaxLength, Placeholder: in.Placeholder, Value: in.Value,
			}}})
		}
		return &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseModal,
			Data: &discordgo.InteractionResponseData{CustomID: m.CustomID, Title: m.Title, Components: rows},
		}
	}
	data := &discordgo.InteractionResponseData{
		Content:         r.Content,
		Embeds:          toEmbeds(r.Embeds),
		Components:      toComponents(r.Components),
		AllowedMentions: noMentions(),
	}
	data.Files = toFiles(r.Files)
	typ := discordgo.InteractionResponseChannelMessageWithSource
	if r.Type == commands.Update {
		typ = discordgo.InteractionResponseUpdateMessage
	} else if r.Ephemeral {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	return &discordgo.InteractionResponse{Type: typ, Data: data}
}

// autocompleteResult is the callback body of autocomplete results. discordgo's own type
// drops an empty choices list (omitempty), but the list must be there: empty is how
// "no results" is said.
type autocompleteResult struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data struct {
		Choices []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
	} `json:"data"`
}

// callbackBody is the JSON body that answers an interaction with resp (files go beside it).
func callbackBody(resp *discordgo.InteractionResponse) any {
	if resp.Type != discordgo.InteractionApplicationCommandAutocompleteResult {
		return resp
	}
	body := autocompleteResult{Type: resp.Type}
	body.Data.Choices = []*discordgo.ApplicationCommandOptionChoice{}
	if resp.Data != nil {
		body.Data.Choices = append(body.Data.Choices, resp.Data.Choices...)
	}
	return body
}

// respond posts an interaction callback straight over HTTP. Callbacks carry their own
// token and are outside Discord's rate limits, so they skip discordgo's rate limiter, whose
// buckets are keyed by URL and would keep one entry for every interaction ever answered.
func (b *Bot) respond(i *discordgo.Interaction, resp *discordgo.InteractionResponse) error {
	contentType, body := "application/json", []byte(nil)
	var err error
	if resp.Data != nil && len(resp.Data.Files) > 0 {
		contentType, body, err = discordgo.MultipartBodyWithJSON(resp, resp.Data.Files)
	} else {
		body, err = json.Marshal(callbackBody(resp))
	}
	if err != nil {
		return fmt.Errorf("encode interaction callback: %w", err)
	}
	req, err := http.NewRequest(http.MethodPost, discordgo.EndpointInteractionResponse(i.ID, i.Token), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("interaction callback: %w", err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", b.callbacks.UserAgent)
	res, err := b.callbacks.Client.Do(req)
	if err != nil {
		return fmt.Errorf("interaction callback: %w", err)
	}
	defer res.Body.Close()
	// Discord's error body names the code and the fields at fault, never user text.
	detail, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode >= 300 {
		return fmt.Errorf("interaction callback: HTTP %d: %s", res.StatusCode, detail)
	}
	return nil
}

func toEmbeds(es []commands.Embed) []*discordgo.MessageEmbed {
	out := make([]*discordgo.MessageEmbed, 0, len(es))
	for _, e := range es {
		me := &discordgo.MessageEmbed{Title: e.Title, Description: e.Description, Color: e.Color}
		for _, f := range e.Fields {
			me.Fields = append(me.Fields, &discordgo.MessageEmbedField{Name: f.Name, Value: f.Value, Inline: f.Inline})
		}
		if e.Footer != "" {
			me.Footer = &discordgo.MessageEmbedFooter{Text: e.Footer}
		}
		out = append(out, me)
	}
	return out
}

// toComponents always returns a non-nil slice so that an update clears old components.
func toComponents(rows []commands.Row) []discordgo.MessageComponent {
	out := make([]discordgo.MessageComponent, 0, len(rows))
	for _, row := range rows {
		var cs []discordgo.MessageComponent
		if s := row.Select; s != nil {
			minV, maxV := s.MinValues, s.MaxValues
			menu := discordgo.SelectMenu{CustomID: s.CustomID, Placeholder: s.Placeholder, MinValues: &minV, MaxValues: maxV}
			for _, o := range s.Options {
				menu.Options = append(menu.Options, discordgo.SelectMenuOption{Label: o.Label, Value: o.Value, Description: o.Description, Default: o.Default})
			}
			cs = append(cs, menu)
		}
		for _, b := range row.Buttons {
			btn := discordgo.Button{Label: b.Label, Style: discordgo.ButtonStyle(b.Style), CustomID: b.CustomID, Disabled: b.Disabled}
			if b.Emoji != "" {
				btn.Emoji = &discordgo.ComponentEmoji{Name: b.Emoji}
			}
			cs = append(cs, btn)
		}
		out = append(out, discordgo.ActionsRow{Components: cs})
	}
	return out
}

func toFiles(fs []commands.File) []*discordgo.File {
	var out []*discordgo.File
	for _, f := range fs {
		out = append(out, &discordgo.File{Name: f.Name, ContentType: f.ContentType, Reader: bytes.NewReader(f.Data)})
	}
	return out
}
