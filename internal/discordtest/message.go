package discordtest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Message flags the stand-in cares about.
const (
	FlagSuppressEmbeds = 1 << 2
	FlagEphemeral      = 1 << 6
	FlagLoading        = 1 << 7 // a deferred reply still "thinking"
)

// nonceWindow is how long Discord remembers an enforced nonce per channel.
const nonceWindow = 5 * time.Minute

// MessageContent is what a message shows; callbacks and messages share it.
type MessageContent struct {
	Content     string       `json:"content"`
	Embeds      []Embed      `json:"embeds"`
	Components  []Component  `json:"components"`
	Flags       int          `json:"flags"`
	Attachments []Attachment `json:"attachments"`
}

// Embed is a rich embed.
type Embed struct {
	Type        string          `json:"type,omitempty"`
	Title       string          `json:"title,omitempty"`
	Description string          `json:"description,omitempty"`
	URL         string          `json:"url,omitempty"`
	Timestamp   string          `json:"timestamp,omitempty"`
	Color       int             `json:"color,omitempty"`
	Footer      *EmbedFooter    `json:"footer,omitempty"`
	Author      *EmbedAuthor    `json:"author,omitempty"`
	Fields      []EmbedField    `json:"fields,omitempty"`
	Image       json.RawMessage `json:"image,omitempty"`
	Thumbnail   json.RawMessage `json:"thumbnail,omitempty"`
}

// EmbedField is one name/value pair of an embed.
type EmbedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

// EmbedFooter is an embed's footer.
type EmbedFooter struct {
	Text    string `json:"text"`
	IconURL string `json:"icon_url,omitempty"`
}

// EmbedAuthor is an embed's author line.
type EmbedAuthor struct {
	Name    string `json:"name"`
	URL     string `json:"url,omitempty"`
	IconURL string `json:"icon_url,omitempty"`
}

// Component is any classic component: action row (1), button (2), select menus (3, 5-8)
// and text input (4). Rows and modals hold their children in Components.
type Component struct {
	Type        int             `json:"type"`
	ID          int             `json:"id,omitempty"`
	CustomID    string          `json:"custom_id,omitempty"`
	Style       int             `json:"style,omitempty"`
	Label       string          `json:"label,omitempty"`
	Emoji       json.RawMessage `json:"emoji,omitempty"`
	URL         string          `json:"url,omitempty"`
	Disabled    bool            `json:"disabled,omitempty"`
	Placeholder string          `json:"placeholder,omitempty"`
	MinValues   *int            `json:"min_values,omitempty"`
	MaxValues   *int            `json:"max_values,omitempty"`
	Options     []SelectOption  `json:"options,omitempty"`
	Value       string          `json:"value,omitempty"`
	Required    *bool           `json:"required,omitempty"`
	MinLength   *int            `json:"min_length,omitempty"`
	MaxLength   *int            `json:"max_length,omitempty"`
	Components  []Component     `json:"components,omitempty"`
}

// SelectOption is one choice of a string select menu.
type SelectOption struct {
	Label       string          `json:"label"`
	Value       string          `json:"value"`
	Description string          `json:"description,omitempty"`
	Emoji       json.RawMessage `json:"emoji,omitempty"`
	Default     bool            `json:"default,omitempty"`
}

// Attachment is an uploaded file as a message lists it.
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	Size        int    `json:"size"`
	URL         string `json:"url,omitempty"`
	ProxyURL    string `json:"proxy_url,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Description string `json:"description,omitempty"`
}

// File is an uploaded file (multipart files[n]) with its bytes.
type File struct {
	Field       string // form field, e.g. "files[0]"
	Name        string
	ContentType string
	Data        []byte
}

// Ephemeral reports whether only the invoker sees the message (flag 64).
func (m MessageContent) Ephemeral() bool { return m.Flags&FlagEphemeral != 0 }

// CustomIDs lists every custom_id of the components, depth first.
func (m MessageContent) CustomIDs() []string {
	var ids []string
	walkComponents(m.Components, func(c Component) {
		if c.CustomID != "" {
			ids = append(ids, c.CustomID)
		}
	})
	return ids
}

// Component finds a component by custom_id.
func (m MessageContent) Component(customID string) (Component, bool) {
	var found Component
	var ok bool
	walkComponents(m.Components, func(c Component) {
		if !ok && c.CustomID == customID {
			found, ok = c, true
		}
	})
	return found, ok
}

// Text is the content and every embed text joined by newlines, for "does it say" checks.
func (m MessageContent) Text() string {
	parts := []string{m.Content}
	for _, e := range m.Embeds {
		parts = append(parts, e.Title, e.Description)
		if e.Author != nil {
			parts = append(parts, e.Author.Name)
		}
		for _, f := range e.Fields {
			parts = append(parts, f.Name, f.Value)
		}
		if e.Footer != nil {
			parts = append(parts, e.Footer.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func walkComponents(cs []Component, f func(Component)) {
	for _, c := range cs {
		f(c)
		walkComponents(c.Components, f)
	}
}

// messagePayload is what the stand-in keeps of a message create or edit payload, decoded
// in one pass after the checker has vetted the payload. A field sent as null decodes to
// its zero value, and every decode makes fresh slices, so a stored message never shares
// them with another.
type messagePayload struct {
	Content      string          `json:"content"`
	Embeds       []Embed         `json:"embeds"`
	Components   []Component     `json:"components"`
	Flags        int             `json:"flags"`
	Nonce        json.RawMessage `json:"nonce"`
	EnforceNonce bool            `json:"enforce_nonce"`
	// fields is the payload as the checker saw it: which fields were sent, null or not.
	fields map[string]any
}

// has reports whether the payload named the field, even as null: an edit changes only the
// fields it names, and null clears one, as Discord's PATCH does.
func (p messagePayload) has(field string) bool {
	_, ok := p.fields[field]
	return ok
}

// apply overwrites the fields the payload holds.
func (m *MessageContent) apply(p messagePayload) {
	if p.has("content") {
		m.Content = p.Content
	}
	if p.has("embeds") {
		m.Embeds = p.Embeds
	}
	if p.has("components") {
		m.Components = p.Components
	}
	if p.has("flags") {
		m.Flags = p.Flags
	}
}

// Message is a message as Discord stores it, in its latest known state.
type Message struct {
	ID        string
	ChannelID string
	GuildID   string
	Author    User
	Type      int // 0 default, 20 reply to a slash command, 19 reply
	MessageContent
	Nonce       string
	Timestamp   time.Time
	EditedAt    time.Time            // zero if never edited
	Interaction *InteractionMetadata // set on replies to interactions
	Files       []File               // uploaded with the message or its edits
	Deleted     bool
}

// InteractionMetadata says which interaction a message answers.
type InteractionMetadata struct {
	ID                  string
	Type                int  // interaction type: 2 command, 3 component, 5 modal submit
	User                User // who invoked it; only they see an ephemeral reply
	Name                string
	InteractedMessageID string // for component interactions
}

func discordTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000-07:00") }

// json renders the message object Discord returns and puts in interactions.
func (m *Message) json(appID string) map[string]any {
	out := map[string]any{
		"id":               m.ID,
		"channel_id":       m.ChannelID,
		"type":             m.Type,
		"content":          m.Content,
		"embeds":           nonNil(m.Embeds),
		"components":       nonNil(m.Components),
		"attachments":      nonNil(m.Attachments),
		"flags":            m.Flags,
		"author":           m.Author.json(),
		"timestamp":        discordTime(m.Timestamp),
		"edited_timestamp": nil,
		"mentions":         []any{},
		"mention_roles":    []any{},
		"mention_everyone": false,
		"pinned":           false,
		"tts":              false,
	}
	if !m.EditedAt.IsZero() {
		out["edited_timestamp"] = discordTime(m.EditedAt)
	}
	if m.Nonce != "" {
		out["nonce"] = m.Nonce
	}
	if md := m.Interaction; md != nil {
		meta := map[string]any{
			"id":                             md.ID,
			"type":                           md.Type,
			"user":                           md.User.json(),
			"authorizing_integration_owners": map[string]any{},
		}
		if md.Name != "" {
			meta["name"] = md.Name
		}
		if md.InteractedMessageID != "" {
			meta["interacted_message_id"] = md.InteractedMessageID
		}
		out["interaction_metadata"] = meta
		out["webhook_id"] = appID
		out["application_id"] = appID
		if md.Type == InteractionCommand {
			out["interaction"] = map[string]any{"id": md.ID, "type": md.Type, "name": md.Name, "user": md.User.json()}
		}
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// channel kinds, as Discord numbers them.
const (
	channelGuildText = 0
	channelDM        = 1
)

type channel struct {
	id        string
	kind      int
	guildID   string
	recipient string   // DM channels: the user
	messages  []string // message ids in order
	nonces    map[string]nonceUse
}

type nonceUse struct {
	messageID string
	at        time.Time
}

func (c *channel) json(s *Server) map[string]any {
	out := map[string]any{"id": c.id, "type": c.kind, "flags": 0, "last_message_id": nil}
	if n := len(c.messages); n > 0 {
		out["last_message_id"] = c.messages[n-1]
	}
	if c.kind == channelDM {
		out["recipients"] = []any{s.userLocked(c.recipient).json()}
	} else {
		out["guild_id"] = c.guildID
		out["name"] = "general"
		out["position"] = 0
		out["nsfw"] = false
		out["parent_id"] = nil
		out["topic"] = nil
		out["rate_limit_per_user"] = 0
		out["permission_overwrites"] = []any{}
	}
	return out
}

// dmChannelLocked returns the bot's DM channel with a user, opening it if needed; needs s.mu.
func (s *Server) dmChannelLocked(userID string) *channel {
	if id, ok := s.dmByUser[userID]; ok {
		return s.channels[id]
	}
	c := &channel{id: s.newID(), kind: channelDM, recipient: userID}
	s.channels[c.id] = c
	s.dmByUser[userID] = c.id
	return c
}

// guildChannelLocked makes a guild text channel known; needs s.mu.
func (s *Server) guildChannelLocked(id, guildID string) *channel {
	if c, ok := s.channels[id]; ok {
		return c
	}
	c := &channel{id: id, kind: channelGuildText, guildID: guildID}
	s.channels[id] = c
	return c
}

// DMChannel returns the id of the bot's DM channel with a user, opening it if needed.
func (s *Server) DMChannel(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmChannelLocked(userID).id
}

// CloseDMs makes the user refuse DMs from the bot: messages to their DM channel get
// 403 50007. Opening the channel still succeeds, as on Discord.
func (s *Server) CloseDMs(userID string) { s.setDMsClosed(userID, true) }

// OpenDMs undoes CloseDMs.
func (s *Server) OpenDMs(userID string) { s.setDMsClosed(userID, false) }

func (s *Server) setDMsClosed(userID string, closed bool) {
	s.mu.Lock()
	s.closedDMs[userID] = closed
	s.mu.Unlock()
}

// Messages lists the messages in the bot's DM channel with a user, oldest first, in their
// latest state; deleted ones are left out.
func (s *Server) Messages(userID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.dmByUser[userID]
	if !ok {
		return nil
	}
	var out []Message
	for _, mid := range s.channels[id].messages {
		if m := s.messages[mid]; !m.Deleted {
			out = append(out, *m)
		}
	}
	return out
}

// WaitMessages waits until the user's DM channel holds at least n messages and returns them.
func (s *Server) WaitMessages(ctx context.Context, userID string, n int) ([]Message, error) {
	var got []Message
	err := s.waitFor(ctx, fmt.Sprintf("%d DM message(s) to %s", n, userID), func() bool {
		got = s.Messages(userID)
		return len(got) >= n
	})
	return got, err
}

// Message returns the latest state of any message the server knows: channel messages,
// interaction replies and follow-ups.
func (s *Server) Message(id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[id]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// MessageCount counts messages created through POST /channels/{id}/messages (a repeated
// enforced nonce creates none).
func (s *Server) MessageCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// DMRecipients lists the users whose DM channel received at least one message, in the
// order of their first message.
func (s *Server) DMRecipients() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var users []string
	for user, cid := range s.dmByUser {
		if len(s.channels[cid].messages) > 0 {
			users = append(users, user)
		}
	}
	// Snowflakes grow with time, so each channel's first message id orders the recipients.
	first := func(user string) string { return s.channels[s.dmByUser[user]].messages[0] }
	slices.SortFunc(users, func(a, b string) int { return compareSnowflakes(first(a), first(b)) })
	return users
}

func compareSnowflakes(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// storeMessageLocked keeps a new message; needs s.mu.
func (s *Server) storeMessageLocked(m *Message) {
	s.messages[m.ID] = m
	if c, ok := s.channels[m.ChannelID]; ok {
		c.messages = append(c.messages, m.ID)
	}
}

// attachFiles lists uploaded files on a message, as Discord's CDN would.
func (s *Server) attachFiles(m *Message, files []File) {
	for _, f := range files {
		id := s.newID()
		url := fmt.Sprintf("https://cdn.discordapp.com/attachments/%s/%s/%s", m.ChannelID, id, f.Name)
		m.Attachments = append(slices.Clip(m.Attachments), Attachment{ID: id, Filename: f.Name, Size: len(f.Data), URL: url, ProxyURL: url, ContentType: f.ContentType})
	}
	m.Files = append(slices.Clip(m.Files), files...) // never write into a snapshot's array
}

// messageFromPayload builds a new message from a checked create payload.
func (s *Server) messageFromPayload(channelID string, p messagePayload, files []File) *Message {
	m := &Message{ID: s.newID(), ChannelID: channelID, Author: s.BotUser(), Timestamp: s.now()}
	m.apply(p)
	s.attachFiles(m, files)
	return m
}

// readMessagePayload parses and checks a message payload; a refused one is recorded and
// answered with Discord's error. The body is decoded twice: generically for the checker,
// which must see every field as sent, then into messagePayload.
func (s *Server) readMessagePayload(c *call, create bool) (messagePayload, []File, reply, bool) {
	where := c.where()
	js, files, err := c.payload()
	if err != nil {
		s.violate(where, err.Error())
		return messagePayload{}, nil, apiError(http.StatusBadRequest, 50035, "Invalid Form Body"), false
	}
	obj, err := decodeObject(js)
	if err != nil {
		s.violate(where, "body is not a JSON object")
		return messagePayload{}, nil, invalidJSON(), false
	}
	if problems := checkMessageObject(obj, len(files)); len(problems) > 0 {
		s.violate(where, problems...)
		return messagePayload{}, nil, formError(problems), false
	}
	if create && emptyBody(obj, len(files)) {
		s.violate(where, "empty message: no content, embeds, components or files")
		return messagePayload{}, nil, apiError(http.StatusBadRequest, 50006, "Cannot send an empty message"), false
	}
	p := messagePayload{fields: obj}
	if err := json.Unmarshal(js, &p); err != nil { // a type the checker let through
		s.violate(where, err.Error())
		return messagePayload{}, nil, apiError(http.StatusBadRequest, 50035, "Invalid Form Body"), false
	}
	return p, files, reply{}, true
}

func (s *Server) createMessage(c *call) reply {
	channelID := c.parts[1]
	s.mu.Lock()
	ch, known := s.channels[channelID]
	s.mu.Unlock()
	if !known {
		return apiError(http.StatusNotFound, 10003, "Unknown Channel")
	}
	p, files, res, valid := s.readMessagePayload(c, true)
	if !valid {
		return res
	}
	nonce := nonceString(p.Nonce)

	s.mu.Lock()
	defer s.mu.Unlock()
	if ch.kind == channelDM && s.closedDMs[ch.recipient] {
		return apiError(http.StatusForbidden, 50007, "Cannot send messages to this user")
	}
	now := s.now()
	if nonce != "" && p.EnforceNonce {
		if use, seen := ch.nonces[nonce]; seen && now.Sub(use.at) < nonceWindow {
			return ok(s.messages[use.messageID].json(s.opts.AppID))
		}
	}
	m := s.messageFromPayload(channelID, p, files)
	m.Nonce = nonce
	s.storeMessageLocked(m)
	s.created++
	if nonce != "" && p.EnforceNonce {
		if ch.nonces == nil {
			ch.nonces = map[string]nonceUse{}
		}
		ch.nonces[nonce] = nonceUse{messageID: m.ID, at: now}
	}
	return ok(m.json(s.opts.AppID))
}

// nonceString reads a nonce that is a string or an integer; the checker has vetted it.
func nonceString(raw json.RawMessage) string {
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// channelMessage finds a message in a channel; needs s.mu.
func (s *Server) channelMessage(channelID, messageID string) (*Message, reply, bool) {
	if _, known := s.channels[channelID]; !known {
		return nil, apiError(http.StatusNotFound, 10003, "Unknown Channel"), false
	}
	m, found := s.messages[messageID]
	if !found || m.ChannelID != channelID || m.Deleted {
		return nil, apiError(http.StatusNotFound, 10008, "Unknown Message"), false
	}
	return m, reply{}, true
}

func (s *Server) getMessage(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, res, found := s.channelMessage(c.parts[1], c.parts[3])
	if !found {
		return res
	}
	return ok(m.json(s.opts.AppID))
}

func (s *Server) editMessage(c *call) reply {
	p, files, res, valid := s.readMessagePayload(c, false)
	if !valid {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, res, found := s.channelMessage(c.parts[1], c.parts[3])
	if !found {
		return res
	}
	if m.Author.ID != s.opts.BotUserID {
		return apiError(http.StatusForbidden, 50005, "Cannot edit a message authored by another user")
	}
	s.editLocked(m, p, files)
	return ok(m.json(s.opts.AppID))
}

// editLocked applies a checked edit payload to a stored message; needs s.mu.
func (s *Server) editLocked(m *Message, p messagePayload, files []File) {
	edited := *m
	edited.apply(p)
	// An edit cannot make a message ephemeral or public, and it ends "thinking".
	edited.Flags = edited.Flags&^(FlagEphemeral|FlagLoading) | m.Flags&FlagEphemeral
	s.attachFiles(&edited, files)
	edited.EditedAt = s.now()
	*m = edited
}

func (s *Server) deleteMessage(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, res, found := s.channelMessage(c.parts[1], c.parts[3])
	if !found {
		return res
	}
	m.Deleted = true
	return noContent
}

func (s *Server) openDM(c *call) reply {
	var body struct {
		RecipientID string `json:"recipient_id"`
	}
	if res, valid := decodeJSON(c.body, &body); !valid {
		return res
	}
	if !isSnowflake(body.RecipientID) {
		problem := "recipient_id: must be a snowflake"
		s.violate("POST /users/@me/channels", problem)
		return formError([]string{problem})
	}
	if body.RecipientID == s.opts.BotUserID {
		return apiError(http.StatusBadRequest, 50007, "Cannot send messages to this user")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.users[body.RecipientID]; !known {
		s.rememberUser(User{ID: body.RecipientID})
	}
	return ok(s.dmChannelLocked(body.RecipientID).json(s))
}

func (s *Server) getChannel(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, known := s.channels[c.parts[1]]
	if !known {
		return apiError(http.StatusNotFound, 10003, "Unknown Channel")
	}
	return ok(ch.json(s))
}

func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
