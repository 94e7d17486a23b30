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

// toCallback converts a handler's answer into an interaction callback and its files.
func toCallback(r commands.Response) (callbackJSON, []*discordgo.File) {
	switch r.Type {
	case commands.Choices:
		choices := make([]choiceJSON, 0, len(r.Choices))
		for _, c := range r.Choices {
			choices = append(choices, choiceJSON{Name: c.Name, Value: c.Value})
		}
		return callbackJSON{Type: discordgo.InteractionApplicationCommandAutocompleteResult, Data: &choicesJSON{Choices: choices}}, nil
	case commands.ShowModal:
		return callbackJSON{Type: discordgo.InteractionResponseModal, Data: toModal(r.Modal)}, nil
	}
	data := toMessage(r.Content, r.Embeds, r.Components)
	typ := discordgo.InteractionResponseChannelMessageWithSource
	if r.Type == commands.Update {
		typ = discordgo.InteractionResponseUpdateMessage
	} else if r.Ephemeral {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	return callbackJSON{Type: typ, Data: data}, toFiles(r.Files)
}

// respond posts an interaction callback straight over HTTP. Callbacks carry their own
// token and are outside Discord's rate limits, so they skip discordgo's rate limiter, whose
// buckets are keyed by URL and would keep one entry for every interaction ever answered.
func (b *Bot) respond(i *discordgo.Interaction, body []byte, files []*discordgo.File) error {
	_, err := b.interactionRequest(http.MethodPost, discordgo.EndpointInteractionResponse(i.ID, i.Token), json.RawMessage(body), files)
	if err != nil {
		return fmt.Errorf("interaction callback: %w", err)
	}
	return nil
}

// interactionRequest sends a request authorised by an interaction's token (its callback,
// the edit of its reply, a follow-up) over plain HTTP, for the reason respond gives, and
// returns the response body. body is encoded as JSON, unless it already is (json.RawMessage).
func (b *Bot) interactionRequest(method, url string, body any, files []*discordgo.File) ([]byte, error) {
	contentType, payload := "application/json", []byte(nil)
	var err error
	if raw, ok := body.(json.RawMessage); ok && len(files) == 0 {
		payload = raw
	} else if len(files) > 0 {
		contentType, payload, err = discordgo.MultipartBodyWithJSON(body, files)
	} else {
		payload, err = json.Marshal(body)
	}
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(payload))
	if err != nil {
		return nil, withoutToken(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", b.callbacks.UserAgent)
	res, err := b.callbacks.Client.Do(req)
	if err != nil {
		return nil, withoutToken(err)
	}
	defer res.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode >= 300 {
		refused := &webhookError{status: res.StatusCode, body: reply}
		var apiErr discordgo.APIErrorMessage
		if json.Unmarshal(reply, &apiErr) == nil {
			refused.code = apiErr.Code
		}
		return nil, refused
	}
	return reply, err
}

// webhookError is Discord's refusal of an interaction callback or webhook call.
type webhookError struct {
	status int
	code   int    // Discord's JSON error code, 0 when the body had none
	body   []byte // names the code and the fields at fault, never user text
}

func (e *webhookError) Error() string { return fmt.Sprintf("HTTP %d: %.512s", e.status, e.body) }

func toFiles(fs []commands.File) []*discordgo.File {
	var out []*discordgo.File
	for _, f := range fs {
		out = append(out, &discordgo.File{Name: f.Name, ContentType: f.ContentType, Reader: bytes.NewReader(f.Data)})
	}
	return out
}
