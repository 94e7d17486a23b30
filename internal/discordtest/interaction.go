package discordtest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Interaction types.
const (
	InteractionPing         = 1
	InteractionCommand      = 2
	InteractionComponent    = 3
	InteractionAutocomplete = 4
	InteractionModalSubmit  = 5
)

// Application command option types.
const (
	OptionSubCommand      = 1
	OptionSubCommandGroup = 2
	OptionString          = 3
	OptionInteger         = 4
	OptionBoolean         = 5
	OptionUser            = 6
	OptionChannel         = 7
	OptionRole            = 8
	OptionMentionable     = 9
	OptionNumber          = 10
	OptionAttachment      = 11
)

// Interaction contexts.
const (
	ContextGuild          = 0
	ContextBotDM          = 1
	ContextPrivateChannel = 2
)

// Permission sets used when Where leaves them zero.
const (
	// MemberPermissions is an ordinary member: view, send, embed, attach, history,
	// reactions, external emojis, application commands.
	MemberPermissions int64 = 1<<10 | 1<<11 | 1<<14 | 1<<15 | 1<<16 | 1<<6 | 1<<18 | 1<<31
	// BotPermissions is a typical bot role in a server channel.
	BotPermissions int64 = MemberPermissions | 1<<13
	// dmAppPermissions is what Discord reports for the bot's own DM.
	dmAppPermissions int64 = 1<<14 | 1<<15 | 1<<17 | 1<<18
	// privateAppPermissions is what Discord reports in DMs between users.
	privateAppPermissions int64 = 1<<14 | 1<<15 | 1<<17
)

// Where says where an interaction happens. The zero value is the default guild channel.
type Where struct {
	GuildID   string // default DefaultGuildID; ignored in DMs
	ChannelID string // default DefaultChannelID in a guild, the bot's DM channel with the user in DMs, or the message's channel for components
	// DM is the bot's DM: the interaction carries user and no member, context 1.
	DM bool
	// PrivateChannel is a DM between users where the app is user-installed: context 2.
	PrivateChannel bool
	Permissions    int64 // the member's permissions; 0 means MemberPermissions
	AppPermissions int64 // the bot's permissions; 0 means a default for the place
	Roles          []string
	Locale         string // default "en-US"
}

func (w Where) context() int {
	switch {
	case w.DM:
		return ContextBotDM
	case w.PrivateChannel:
		return ContextPrivateChannel
	default:
		return ContextGuild
	}
}

// Option is a slash command option as the user filled it in. Sub-commands and groups
// carry their options in Options. A Value of type User (for OptionUser) also fills
// data.resolved, as Discord does.
type Option struct {
	Name    string
	Type    int
	Value   any
	Focused bool // the option being typed in an autocomplete interaction
	Options []Option
}

// StringOption is a filled-in string option.
func StringOption(name, value string) Option {
	return Option{Name: name, Type: OptionString, Value: value}
}

// IntegerOption is a filled-in integer option.
func IntegerOption(name string, value int64) Option {
	return Option{Name: name, Type: OptionInteger, Value: value}
}

// BooleanOption is a filled-in boolean option.
func BooleanOption(name string, value bool) Option {
	return Option{Name: name, Type: OptionBoolean, Value: value}
}

// UserOption is a filled-in user option; the user appears in data.resolved.
func UserOption(name string, u User) Option {
	return Option{Name: name, Type: OptionUser, Value: u}
}

// SubCommand is a chosen sub-command with its options.
func SubCommand(name string, opts ...Option) Option {
	return Option{Name: name, Type: OptionSubCommand, Options: opts}
}

// SubCommandGroup is a chosen sub-command group holding one sub-command.
func SubCommandGroup(name string, sub Option) Option {
	return Option{Name: name, Type: OptionSubCommandGroup, Options: []Option{sub}}
}

// Focused marks an option as the one being typed, for Autocomplete.
func Focused(o Option) Option {
	o.Focused = true
	return o
}

// Interaction is an interaction ready to Dispatch. Payload is the JSON object sent as
// INTERACTION_CREATE; a test may change it before dispatching.
type Interaction struct {
	ID      string
	Token   string
	Type    int
	Payload map[string]any

	user    User
	channel string
	name    string   // command name
	source  *Message // the message a component sits on
}

// interactionState is what the server remembers about a dispatched interaction.
type interactionState struct {
	Interaction
	dispatchedAt time.Time // real time, for the 3 s deadline
	sentAt       time.Time // real time the event was written to the gateway; zero while it waits for a resume
	issuedAt     time.Time // server clock, for the 15 min token
	answerRead   bool      // HTTP-interactions mode: the bot's HTTP response was read (see AnswerLag)
	callback     *Callback
	reply        *Message // the message the callback created or updated
	deferred     bool     // acknowledged with 5 or 6 and not filled yet
	edits        int
	followups    []string
}

// SlashCommand builds a chat command interaction (type 2) by user.
func (s *Server) SlashCommand(user User, where Where, name string, opts ...Option) Interaction {
	return s.commandInteraction(InteractionCommand, user, where, name, opts)
}

// Autocomplete builds an autocomplete interaction (type 4). One option should be Focused;
// if none is, the last leaf option is.
func (s *Server) Autocomplete(user User, where Where, name string, opts ...Option) Interaction {
	opts = cloneOptions(opts)
	if !anyFocused(opts) {
		if !focusLast(opts) {
			s.misuse("Autocomplete %q: no option to focus", name)
		}
	}
	return s.commandInteraction(InteractionAutocomplete, user, where, name, opts)
}

// Click builds a button click (component type 2) on msg, the message the button is on.
func (s *Server) Click(user User, where Where, msg *Message, customID string) Interaction {
	c, found := s.findComponent("Click", user, msg, customID)
	if found && (c.Type != 2 || c.Style == 5 || c.Disabled) {
		s.misuse("Click %q: component is not an enabled, non-link button", customID)
	}
	return s.componentInteraction(user, where, msg, map[string]any{"component_type": 2, "custom_id": customID})
}

// Select builds a string select choice (component type 3) on msg.
func (s *Server) Select(user User, where Where, msg *Message, customID string, values ...string) Interaction {
	c, found := s.findComponent("Select", user, msg, customID)
	if found {
		s.checkSelection(c, values)
	}
	if values == nil {
		values = []string{}
	}
	return s.componentInteraction(user, where, msg, map[string]any{"component_type": 3, "custom_id": customID, "values": values})
}

// SubmitModal builds a modal submit (type 5) with the text inputs' values by custom_id.
// msg is the message whose component opened the modal, or nil after a slash command.
// If the bot showed a modal with this custom_id, the fields are checked against it.
func (s *Server) SubmitModal(user User, where Where, msg *Message, customID string, fields map[string]string) Interaction {
	s.mu.Lock()
	modal, shown := s.modals[customID]
	s.mu.Unlock()
	order := slices.Sorted(maps.Keys(fields))
	if shown {
		order = s.checkModalFields(modal, fields)
	}
	var rows []any
	for _, id := range order {
		rows = append(rows, map[string]any{"type": 1, "components": []any{
			map[string]any{"type": 4, "custom_id": id, "value": fields[id]},
		}})
	}
	data := map[string]any{"custom_id": customID, "components": nonNil(rows)}
	i := s.baseInteraction(InteractionModalSubmit, user, s.whereFor(where, msg), data)
	if msg != nil {
		msg = s.completeMessage(msg)
		i.source = msg
		i.Payload["message"] = msg.json(s.opts.AppID)
	}
	return i
}

// completeMessage copies a message a test may have made by hand, filling what Discord
// always sends: the bot as author and a timestamp.
func (s *Server) completeMessage(msg *Message) *Message {
	m := *msg
	if m.Author.ID == "" {
		m.Author = s.BotUser()
	}
	if m.Timestamp.IsZero() {
		m.Timestamp = s.now()
	}
	return &m
}

func (s *Server) commandInteraction(typ int, user User, where Where, name string, opts []Option) Interaction {
	cmd := s.checkInvocation(name, where, opts, typ == InteractionAutocomplete)
	data := map[string]any{"id": cmd.ID, "name": name, "type": 1}
	if cmd.GuildID != "" {
		data["guild_id"] = cmd.GuildID
	}
	resolved := map[string]map[string]any{}
	if len(opts) > 0 {
		data["options"] = s.optionsJSON(opts, where, resolved)
	}
	if len(resolved) > 0 {
		data["resolved"] = resolved
	}
	i := s.baseInteraction(typ, user, where, data)
	i.name = name
	return i
}

func (s *Server) optionsJSON(opts []Option, where Where, resolved map[string]map[string]any) []any {
	out := make([]any, 0, len(opts))
	for _, o := range opts {
		m := map[string]any{"name": o.Name, "type": o.Type}
		switch v := o.Value.(type) {
		case nil:
		case User:
			s.AddUser(v)
			m["value"] = v.ID
			s.resolveUser(v, where, resolved)
		default:
			m["value"] = v
		}
		if o.Focused {
			m["focused"] = true
		}
		if len(o.Options) > 0 || o.Type == OptionSubCommand || o.Type == OptionSubCommandGroup {
			m["options"] = s.optionsJSON(o.Options, where, resolved)
		}
		out = append(out, m)
	}
	return out
}

// resolveUser adds a user option's user (and member, in a guild) to data.resolved.
func (s *Server) resolveUser(u User, where Where, resolved map[string]map[string]any) {
	if resolved["users"] == nil {
		resolved["users"] = map[string]any{}
	}
	resolved["users"][u.ID] = u.json()
	if where.context() == ContextGuild {
		if resolved["members"] == nil {
			resolved["members"] = map[string]any{}
		}
		member := memberJSON(u, MemberPermissions, nil)
		delete(member, "user") // resolved members omit the user, which sits in users
		resolved["members"][u.ID] = member
	}
}

func (s *Server) componentInteraction(user User, where Where, msg *Message, data map[string]any) Interaction {
	if msg == nil {
		s.misuse("component interaction %v without the message it is on", data["custom_id"])
		msg = &Message{ID: s.newID(), ChannelID: where.ChannelID}
	}
	msg = s.completeMessage(msg)
	i := s.baseInteraction(InteractionComponent, user, s.whereFor(where, msg), data)
	i.source = msg
	i.Payload["message"] = msg.json(s.opts.AppID)
	return i
}

// whereFor fills a component's place from its message: its channel, and a DM if the
// message sits in the bot's DM channel.
func (s *Server) whereFor(where Where, msg *Message) Where {
	if msg == nil {
		return where
	}
	if where.ChannelID == "" {
		where.ChannelID = msg.ChannelID
	}
	s.mu.Lock()
	ch, known := s.channels[msg.ChannelID]
	s.mu.Unlock()
	if known && ch.kind == channelDM && where.GuildID == "" && !where.PrivateChannel {
		where.DM = true
	}
	if !where.DM && !where.PrivateChannel && where.GuildID == "" && msg.GuildID != "" {
		where.GuildID = msg.GuildID
	}
	return where
}

// findComponent finds customID on msg and checks that user could see msg at all.
func (s *Server) findComponent(action string, user User, msg *Message, customID string) (Component, bool) {
	if msg == nil {
		return Component{}, false
	}
	if msg.Ephemeral() && msg.Interaction != nil && msg.Interaction.User.ID != user.ID {
		s.misuse("%s %q: message %s is ephemeral to user %s; user %s cannot see it", action, customID, msg.ID, msg.Interaction.User.ID, user.ID)
	}
	s.mu.Lock()
	ch, known := s.channels[msg.ChannelID]
	s.mu.Unlock()
	if known && ch.kind == channelDM && ch.recipient != user.ID {
		s.misuse("%s %q: message %s is in the DM of user %s, not %s", action, customID, msg.ID, ch.recipient, user.ID)
	}
	c, found := msg.Component(customID)
	if !found {
		s.misuse("%s %q: message %s has no component with that custom_id (it has %q)", action, customID, msg.ID, msg.CustomIDs())
	}
	return c, found
}

func (s *Server) checkSelection(c Component, values []string) {
	if c.Type != 3 {
		s.misuse("Select %q: component type %d is not a string select", c.CustomID, c.Type)
		return
	}
	minV, maxV := 1, 1
	if c.MinValues != nil {
		minV = *c.MinValues
	}
	if c.MaxValues != nil {
		maxV = *c.MaxValues
	}
	if len(values) < minV || len(values) > maxV {
		s.misuse("Select %q: %d value(s) chosen, the menu allows %d to %d", c.CustomID, len(values), minV, maxV)
	}
	for _, v := range values {
		if !slices.ContainsFunc(c.Options, func(o SelectOption) bool { return o.Value == v }) {
			s.misuse("Select %q: the menu has no option with value %q", c.CustomID, v)
		}
	}
}

// checkModalFields compares submitted fields with the modal shown and returns the
// fields in the modal's order.
func (s *Server) checkModalFields(m Modal, fields map[string]string) []string {
	var order []string
	for _, in := range m.Inputs() {
		v, given := fields[in.CustomID]
		required := in.Required == nil || *in.Required
		if !given {
			if required {
				s.misuse("SubmitModal %q: required input %q is missing", m.CustomID, in.CustomID)
			}
			continue
		}
		order = append(order, in.CustomID)
		n := textLen(v)
		if required && n == 0 {
			s.misuse("SubmitModal %q: required input %q is empty", m.CustomID, in.CustomID)
		}
		if in.MinLength != nil && n > 0 && n < *in.MinLength {
			s.misuse("SubmitModal %q: input %q has %d characters, the modal asks at least %d", m.CustomID, in.CustomID, n, *in.MinLength)
		}
		if in.MaxLength != nil && n > *in.MaxLength {
			s.misuse("SubmitModal %q: input %q has %d characters, the modal allows %d", m.CustomID, in.CustomID, n, *in.MaxLength)
		}
	}
	for id := range fields {
		if !slices.Contains(order, id) {
			s.misuse("SubmitModal %q: the modal has no input %q", m.CustomID, id)
		}
	}
	return order
}

// baseInteraction builds the fields every interaction carries.
func (s *Server) baseInteraction(typ int, user User, where Where, data map[string]any) Interaction {
	id := s.newID()
	token := base64.RawURLEncoding.EncodeToString([]byte("interaction:" + id + ":" + randomHex(24)))
	locale := where.Locale
	if locale == "" {
		locale = "en-US"
	}
	p := map[string]any{
		"id":                    id,
		"application_id":        s.opts.AppID,
		"type":                  typ,
		"data":                  data,
		"token":                 token,
		"version":               1,
		"locale":                locale,
		"entitlements":          []any{},
		"entitlement_sku_ids":   []any{},
		"attachment_size_limit": 10 << 20,
		"context":               where.context(),
	}
	s.mu.Lock()
	user = s.rememberUser(user)
	var ch *channel
	switch where.context() {
	case ContextGuild:
		guildID := orDefault(where.GuildID, DefaultGuildID)
		ch = s.guildChannelLocked(orDefault(where.ChannelID, DefaultChannelID), guildID)
		p["guild_id"] = guildID
		p["guild"] = map[string]any{"id": guildID, "locale": "en-US", "features": []any{}}
		p["guild_locale"] = "en-US"
		p["member"] = memberJSON(user, orDefault(where.Permissions, MemberPermissions), where.Roles)
		p["authorizing_integration_owners"] = map[string]any{"0": guildID}
		p["app_permissions"] = fmt.Sprint(orDefault(where.AppPermissions, BotPermissions))
	case ContextBotDM:
		ch = s.dmChannelLocked(user.ID)
		if where.ChannelID != "" && where.ChannelID != ch.id {
			ch = s.channels[where.ChannelID]
			if ch == nil || ch.kind != channelDM {
				s.misuse("Where{DM: true, ChannelID: %q}: not the bot's DM channel with user %s", where.ChannelID, user.ID)
				ch = s.dmChannelLocked(user.ID)
			}
		}
		p["user"] = user.json()
		p["authorizing_integration_owners"] = map[string]any{"0": "0"}
		p["app_permissions"] = fmt.Sprint(orDefault(where.AppPermissions, dmAppPermissions))
	case ContextPrivateChannel:
		// A DM between the user and someone else: the bot is no member and cannot post there.
		chID := orDefault(where.ChannelID, s.privByUser[user.ID])
		if chID == "" {
			chID = s.newID()
			s.privByUser[user.ID] = chID
		}
		ch = &channel{id: chID, kind: channelDM, recipient: user.ID}
		p["user"] = user.json()
		p["authorizing_integration_owners"] = map[string]any{"1": user.ID}
		p["app_permissions"] = fmt.Sprint(orDefault(where.AppPermissions, privateAppPermissions))
	}
	chJSON := ch.json(s)
	s.mu.Unlock()
	p["channel_id"] = ch.id
	p["channel"] = chJSON
	return Interaction{ID: id, Token: token, Type: typ, Payload: p, user: user, channel: ch.id}
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// memberJSON is a guild member as interactions carry it; joined_at is left out because
// discordgo cannot parse every form Discord sends.
func memberJSON(u User, perms int64, roles []string) map[string]any {
	return map[string]any{
		"user":                         u.json(),
		"roles":                        nonNil(roles),
		"permissions":                  fmt.Sprint(perms),
		"nick":                         nil,
		"avatar":                       nil,
		"banner":                       nil,
		"flags":                        0,
		"pending":                      false,
		"deaf":                         false,
		"mute":                         false,
		"premium_since":                nil,
		"communication_disabled_until": nil,
		"unusual_dm_activity_until":    nil,
	}
}

func cloneOptions(opts []Option) []Option {
	out := slices.Clone(opts)
	for i := range out {
		out[i].Options = cloneOptions(out[i].Options)
	}
	return out
}

func anyFocused(opts []Option) bool {
	for _, o := range opts {
		if o.Focused || anyFocused(o.Options) {
			return true
		}
	}
	return false
}

// focusLast marks the last value-carrying option (depth first) focused.
func focusLast(opts []Option) bool {
	for i := len(opts) - 1; i >= 0; i-- {
		if opts[i].Type == OptionSubCommand || opts[i].Type == OptionSubCommandGroup {
			if focusLast(opts[i].Options) {
				return true
			}
			continue
		}
		opts[i].Focused = true
		return true
	}
	return false
}

// Dispatch sends the interaction as INTERACTION_CREATE to the newest gateway session,
// waiting for one to exist (a disconnected session gets it when it resumes); in
// HTTP-interactions mode (UseHTTPInteractions) it POSTs it to the bot instead.
func (s *Server) Dispatch(ctx context.Context, i Interaction) error {
	if i.ID == "" || i.Token == "" || i.Payload == nil {
		return errors.New("discordtest: Dispatch needs an interaction built by the server")
	}
	if url := s.interactionsURL(); url != "" {
		return s.dispatchHTTP(url, i)
	}
	// The 3 s deadline runs from delivery, so first wait for a session to deliver to.
	if err := s.waitFor(ctx, "a gateway session", s.hasLiveSession); err != nil {
		return err
	}
	st, err := s.track(i)
	if err != nil {
		return err
	}
	sent, err := s.dispatch(ctx, "INTERACTION_CREATE", i.Payload)
	if err != nil {
		return fmt.Errorf("dispatch interaction %s: %w", i.ID, err)
	}
	s.mu.Lock()
	st.sentAt = sent
	s.mu.Unlock()
	return nil
}

// ResponseTime is how long the bot took to answer an interaction as Discord sees it: from
// its INTERACTION_CREATE being written to the gateway to the callback request arriving,
// before the stand-in checks it. ok is false before the callback, or if the event waited
// for a resume.
func (s *Server) ResponseTime(interactionID string) (d time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[interactionID]
	if st == nil || st.callback == nil || st.sentAt.IsZero() {
		return 0, false
	}
	return st.callback.Received.Sub(st.sentAt), true
}

// Invoke dispatches the interaction and waits for the bot's first callback to it.
func (s *Server) Invoke(ctx context.Context, i Interaction) (Callback, error) {
	if err := s.Dispatch(ctx, i); err != nil {
		return Callback{}, err
	}
	return s.WaitCallback(ctx, i.ID)
}

// track records an interaction as dispatched now, so its callback and webhooks find it; an
// id dispatched twice is a test's mistake.
func (s *Server) track(i Interaction) (*interactionState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.interactions[i.ID]; dup {
		return nil, fmt.Errorf("discordtest: interaction %s was already dispatched", i.ID)
	}
	st := &interactionState{Interaction: i, dispatchedAt: time.Now(), issuedAt: s.now()}
	s.interactions[i.ID] = st
	s.byToken[i.Token] = st
	return st, nil
}
