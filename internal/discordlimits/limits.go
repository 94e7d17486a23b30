// Package discordlimits holds Discord's published limits on what a bot sends
// (/work/shared/discord-limits.md, and the request schemas of Discord's OpenAPI spec), in
// one place for the code that must stay within them and the checks that hold it to them.
// Text limits count characters (runes), as Discord does.
package discordlimits

// Messages and embeds.
const (
	Content          = 2000 // message content
	Embeds           = 10   // embeds per message
	EmbedTotal       = 6000 // all embeds' text together
	EmbedTitle       = 256
	EmbedDescription = 4096
	EmbedFields      = 25
	FieldName        = 256
	FieldValue       = 1024
	FooterText       = 2048
	AuthorName       = 256
	Files            = 10 // attachments per message
	Nonce            = 25 // message nonce
)

// Components and modals (classic components).
const (
	Rows          = 5 // action rows per message
	ButtonsPerRow = 5
	ButtonLabel   = 80
	CustomID      = 100
	SelectOptions = 25  // options of a select menu
	SelectText    = 100 // an option's label, value or description
	Placeholder   = 150 // a select menu's placeholder
	ModalTitle    = 45
	ModalInputs   = 5
	InputLabel    = 45
	InputValue    = 4000
	InputHint     = 100 // a text input's placeholder
)

// Application commands and autocomplete.
const (
	Choices        = 25  // choices per option, and autocomplete results
	ChoiceText     = 100 // a choice's name or value
	CommandOptions = 25
	CommandName    = 32
	Description    = 100 // a command's or option's description
	CommandTotal   = 4000
)
