// Package commands holds Afterglow's slash commands, buttons, menus and modals as plain
// handlers; the router that declares their routes (custom_id patterns), parses each
// interaction's route once and runs every interaction through one middleware chain
// (recover, log, then what the bot adds) to an explicit outcome; the wording of every
// message, including the check-in DM the delivery loop sends; the documented limits; and
// the parsers of what people type (delays, quiet hours, `afterglow try` command lines).
package commands

import (
	"context"
	"strings"
	"time"
)

// Kind says what sort of interaction a Request is.
type Kind int

// The interaction kinds the router handles; anything else is answered as unsupported.
const (
	KindUnknown Kind = iota
	KindCommand
	KindAutocomplete
	KindComponent
	KindModal
)

// User is a Discord user as handlers see it.
type User struct {
	ID   string
	Name string // display name, for text shown to others
	Bot  bool
}

// Request is one interaction, converted from Discord's types at the bot edge.
type Request struct {
	Kind          Kind
	InteractionID string
	Caller        User
	GuildID       string // empty in DMs
	// GuildInstalled is true when the bot itself is installed in GuildID (not only the
	// caller's user install), so server settings make sense there.
	GuildInstalled bool
	ChannelID      string
	// Permissions are the caller's permissions in the channel (servers only), as Discord sends them.
	Permissions int64

	// Commands and autocomplete.
	Command    string
	Subcommand string
	Options    map[string]string // option name -> value as text; booleans are "true"/"false", users are ids
	Focused    string            // autocomplete: the option being typed
	Users      map[string]User   // resolved users by id

	// Components and modals.
	CustomID string
	// Route is what the router matched: the declared pattern of a component or modal
	// (e.g. "ci1:answer/{id}/{choice}") or a command's name; "" when nothing matched.
	Route string
	// Args are the custom_id's arguments by the names the pattern gives them.
	Args   map[string]string
	Values []string          // select menu values
	Fields map[string]string // modal inputs by custom_id

	// Message is the message a component sits on, when there is one.
	Message *MessageInfo

	handle HandlerFunc // what the router matched
}

// MessageInfo describes the message a component was clicked on.
type MessageInfo struct {
	ID        string
	Ephemeral bool
	// InvokerID is the user whose command created the message ("" when the bot posted it on its own, e.g. a DM).
	InvokerID string
}

// RouteName is Route without its arguments: a command's name or a custom_id's route such
// as "ci1:answer"; "" when the router matched nothing. Metrics are labelled by it.
func (r Request) RouteName() string {
	name, _, _ := strings.Cut(r.Route, "/")
	return name
}

// Option returns the named option's text, or "".
func (r Request) Option(name string) string { return r.Options[name] }

// BoolOption reports whether the named boolean option was set to true.
func (r Request) BoolOption(name string) bool { return r.Options[name] == "true" }

// ResponseType is how the bot answers an interaction.
type ResponseType int

// Response types map onto Discord's interaction callback types at the bot edge.
const (
	Reply     ResponseType = iota // a new message (callback type 4)
	Update                        // edit the message the component is on (type 7)
	Choices                       // autocomplete results (type 8)
	ShowModal                     // open a modal (type 9)
)

// Response is what a handler answers; the bot converts it to Discord's payload.
type Response struct {
	Type       ResponseType
	Ephemeral  bool
	Content    string
	Embeds     []Embed
	Components []Row
	Choices    []Choice
	Modal      *Modal
	Files      []File
}

// Embed is a rich card.
type Embed struct {
	Title       string
	Description string
	Color       int
	Fields      []Field
	Footer      string
}

// Field is one name/value pair in an embed.
type Field struct {
	Name   string
	Value  string
	Inline bool
}

// ButtonStyle follows Discord's numbering.
type ButtonStyle int

// Button styles.
const (
	Primary   ButtonStyle = 1
	Secondary ButtonStyle = 2
	Success   ButtonStyle = 3
	Danger    ButtonStyle = 4
)

// Row is one action row: up to five buttons or one select menu.
type Row struct {
	Buttons []Button
	Select  *Select
}

// Button is a clickable button.
type Button struct {
	Label    string
	Emoji    string
	Style    ButtonStyle
	CustomID string
	Disabled bool
}

// Select is a string select menu.
type Select struct {
	CustomID    string
	Placeholder string
	MinValues   int
	MaxValues   int
	Options     []SelectOption
}

// SelectOption is one entry of a select menu.
type SelectOption struct {
	Label       string
	Value       string
	Description string
	Default     bool
}

// Choice is one autocomplete suggestion.
type Choice struct {
	Name  string
	Value string
}

// Modal is a pop-up form with text inputs.
type Modal struct {
	CustomID string
	Title    string
	Inputs   []TextInput
}

// TextInput is one field of a modal.
type TextInput struct {
	CustomID    string
	Label       string
	Paragraph   bool
	Required    bool
	MaxLength   int
	Placeholder string
	Value       string
}

// File is an attachment sent with a reply.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// Message is a message the bot sends on its own, outside an interaction (a DM).
type Message struct {
	Content    string
	Embeds     []Embed
	Components []Row
}

// Clock tells the time; tests inject a fixed one.
type Clock func() time.Time

// HandlerFunc answers one interaction. An error is a failure: the person gets a kind
// private "something went wrong", and the error is logged.
type HandlerFunc func(ctx context.Context, req Request) (Response, error)

// Outcome is how an interaction ended, as the router decided it.
type Outcome int

// The outcomes of an interaction.
const (
	Answered Outcome = iota // the handler answered (a refusal it words itself included)
	Refused                 // refused before any handler ran: Discord did not say who acted
	Failed                  // the handler returned an error
	Panicked                // the handler, or a middleware, panicked
	NoRoute                 // no handler for this command or custom_id
)

func (o Outcome) String() string {
	switch o {
	case Answered:
		return "answered"
	case Refused:
		return "refused"
	case Failed:
		return "failed"
	case Panicked:
		return "panicked"
	case NoRoute:
		return "no route"
	}
	return "unknown"
}

// Result is what the router answers for one interaction: the response to send, always
// one that can be sent, and how the interaction ended.
type Result struct {
	Response
	Outcome Outcome
	Err     error // why it failed or was refused; for the log, never shown
}

// Handler is a step of the router's chain: it answers one routed request.
type Handler func(ctx context.Context, req Request) Result

// Middleware wraps the rest of the chain, in the manner of arikawa's cmdroute.
type Middleware func(next Handler) Handler
