package bot

import (
	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/commands"
)

// Discord's JSON for everything the bot sends: interaction callbacks, DMs, edits and
// follow-ups. These are plain structs rather than discordgo's component types, which each
// marshal themselves: encoding/json then re-reads every nested result, and a topic's reply
// cost four times as much to encode (BenchmarkCallbackEncoding).

// callbackJSON is an interaction response; Data is a *messageJSON, *modalJSON,
// *choicesJSON, *deferJSON, or nil.
type callbackJSON struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data any                               `json:"data,omitempty"`
}

// messageJSON is a message: a reply, an update, a DM, an edit or a follow-up. Content,
// embeds and components are always sent, so an update or edit replaces all three.
type messageJSON struct {
	Content         string                 `json:"content"`
	Embeds          []embedJSON            `json:"embeds"`
	Components      []componentJSON        `json:"components"`
	Flags           discordgo.MessageFlags `json:"flags,omitempty"`
	AllowedMentions mentionsJSON           `json:"allowed_mentions"`
	Nonce           string                 `json:"nonce,omitempty"`
	EnforceNonce    bool                   `json:"enforce_nonce,omitempty"`
}

// mentionsJSON is always {"parse":[]}: text in a message, user-written or not, never pings.
type mentionsJSON struct {
	Parse []string `json:"parse"`
}

type embedJSON struct {
	Title       string      `json:"title,omitempty"`
	Description string      `json:"description,omitempty"`
	Color       int         `json:"color,omitempty"`
	Fields      []fieldJSON `json:"fields,omitempty"`
	Footer      *footerJSON `json:"footer,omitempty"`
}

type fieldJSON struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

type footerJSON struct {
	Text string `json:"text"`
}

// componentJSON is an action row, button, string select or text input.
type componentJSON struct {
	Type        discordgo.ComponentType   `json:"type"`
	CustomID    string                    `json:"custom_id,omitempty"`
	Style       int                       `json:"style,omitempty"`
	Label       string                    `json:"label,omitempty"`
	Emoji       *discordgo.ComponentEmoji `json:"emoji,omitempty"`
	Disabled    bool                      `json:"disabled,omitempty"`
	Placeholder string                    `json:"placeholder,omitempty"`
	MinValues   *int                      `json:"min_values,omitempty"`
	MaxValues   int                       `json:"max_values,omitempty"`
	Options     []optionJSON              `json:"options,omitempty"`
	Required    *bool                     `json:"required,omitempty"` // text inputs; Discord's default is true
	MaxLength   int                       `json:"max_length,omitempty"`
	Value       string                    `json:"value,omitempty"`
	Components  []componentJSON           `json:"components,omitempty"`
}

type optionJSON struct {
	Label       string `json:"label"`
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
	Default     bool   `json:"default,omitempty"`
}

type modalJSON struct {
	CustomID   string          `json:"custom_id"`
	Title      string          `json:"title"`
	Components []componentJSON `json:"components"`
}

// choicesJSON holds autocomplete results; an empty list is how "no results" is said, so
// it is never omitted.
type choicesJSON struct {
	Choices []choiceJSON `json:"choices"`
}

type choiceJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// deferJSON is the data of a deferred reply: only whether it will be private.
type deferJSON struct {
	Flags discordgo.MessageFlags `json:"flags,omitempty"`
}

// toMessage converts what a handler wants said into Discord's message JSON.
func toMessage(content string, embeds []commands.Embed, rows []commands.Row) *messageJSON {
	return &messageJSON{
		Content:         content,
		Embeds:          toEmbeds(embeds),
		Components:      toComponents(rows),
		AllowedMentions: mentionsJSON{Parse: []string{}},
	}
}

// toEmbeds always returns a non-nil slice so that an update clears old embeds.
func toEmbeds(es []commands.Embed) []embedJSON {
	out := make([]embedJSON, 0, len(es))
	for _, e := range es {
		ej := embedJSON{Title: e.Title, Description: e.Description, Color: e.Color}
		if len(e.Fields) > 0 {
			ej.Fields = make([]fieldJSON, 0, len(e.Fields))
			for _, f := range e.Fields {
				ej.Fields = append(ej.Fields, fieldJSON{Name: f.Name, Value: f.Value, Inline: f.Inline})
			}
		}
		if e.Footer != "" {
			ej.Footer = &footerJSON{Text: e.Footer}
		}
		out = append(out, ej)
	}
	return out
}

// toComponents always returns a non-nil slice so that an update clears old components.
func toComponents(rows []commands.Row) []componentJSON {
	out := make([]componentJSON, 0, len(rows))
	for _, row := range rows {
		cs := make([]componentJSON, 0, len(row.Buttons)+1)
		if s := row.Select; s != nil {
			minV := s.MinValues
			menu := componentJSON{Type: discordgo.SelectMenuComponent, CustomID: s.CustomID, Placeholder: s.Placeholder,
				MinValues: &minV, MaxValues: s.MaxValues, Options: make([]optionJSON, 0, len(s.Options))}
			for _, o := range s.Options {
				menu.Options = append(menu.Options, optionJSON{Label: o.Label, Value: o.Value, Description: o.Description, Default: o.Default})
			}
			cs = append(cs, menu)
		}
		for _, b := range row.Buttons {
			style := b.Style
			if style == 0 {
				style = commands.Primary
			}
			btn := componentJSON{Type: discordgo.ButtonComponent, Style: int(style), Label: b.Label, CustomID: b.CustomID, Disabled: b.Disabled}
			if b.Emoji != "" {
				btn.Emoji = &discordgo.ComponentEmoji{Name: b.Emoji}
			}
			cs = append(cs, btn)
		}
		out = append(out, componentJSON{Type: discordgo.ActionsRowComponent, Components: cs})
	}
	return out
}

// toModal converts a form: one text input per action row, as Discord requires.
func toModal(m *commands.Modal) *modalJSON {
	rows := make([]componentJSON, 0, len(m.Inputs))
	for _, in := range m.Inputs {
		style := discordgo.TextInputShort
		if in.Paragraph {
			style = discordgo.TextInputParagraph
		}
		required := in.Required
		rows = append(rows, componentJSON{Type: discordgo.ActionsRowComponent, Components: []componentJSON{{
			Type: discordgo.TextInputComponent, CustomID: in.CustomID, Label: in.Label, Style: int(style),
			Required: &required, MaxLength: in.MaxLength, Placeholder: in.Placeholder, Value: in.Value,
		}}})
	}
	return &modalJSON{CustomID: m.CustomID, Title: m.Title, Components: rows}
}
