package discordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Command is an application command as the bot registered it.
type Command struct {
	ID                       string          `json:"id"`
	GuildID                  string          `json:"guild_id,omitempty"`
	Type                     int             `json:"type"`
	Name                     string          `json:"name"`
	Description              string          `json:"description"`
	Options                  []CommandOption `json:"options"`
	Contexts                 []int           `json:"contexts"`          // nil: Discord's default
	IntegrationTypes         []int           `json:"integration_types"` // nil: guild install only
	DMPermission             *bool           `json:"dm_permission"`
	DefaultMemberPermissions string          `json:"-"` // "" when null
	Raw                      json.RawMessage `json:"-"` // as the bot sent it
}

// CommandOption is one declared option of a command.
type CommandOption struct {
	Type         int             `json:"type"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Required     bool            `json:"required"`
	Autocomplete bool            `json:"autocomplete"`
	Choices      []Choice        `json:"choices"`
	Options      []CommandOption `json:"options"`
	MinValue     *float64        `json:"min_value"`
	MaxValue     *float64        `json:"max_value"`
	MinLength    *int            `json:"min_length"`
	MaxLength    *int            `json:"max_length"`
}

// decodeCommand reads one checked command object.
func decodeCommand(raw json.RawMessage) (Command, error) {
	var cmd Command
	if err := json.Unmarshal(raw, &cmd); err != nil {
		return cmd, err
	}
	var perms struct {
		DefaultMemberPermissions json.RawMessage `json:"default_member_permissions"`
	}
	_ = json.Unmarshal(raw, &perms)
	if p := strings.Trim(string(perms.DefaultMemberPermissions), `"`); p != "" && p != "null" {
		cmd.DefaultMemberPermissions = p
	}
	if cmd.Type == 0 {
		cmd.Type = 1
	}
	cmd.Raw = slices.Clone(raw)
	return cmd, nil
}

// json renders the command as Discord returns it.
func (cmd Command) json(appID string) map[string]any {
	var out map[string]any
	_ = json.Unmarshal(cmd.Raw, &out)
	if out == nil {
		out = map[string]any{}
	}
	out["id"] = cmd.ID
	out["application_id"] = appID
	out["version"] = cmd.ID
	out["type"] = cmd.Type
	out["name"] = cmd.Name
	out["description"] = cmd.Description
	out["default_member_permissions"] = nil
	if cmd.DefaultMemberPermissions != "" {
		out["default_member_permissions"] = cmd.DefaultMemberPermissions
	}
	if cmd.GuildID != "" {
		out["guild_id"] = cmd.GuildID
	}
	if cmd.IntegrationTypes == nil {
		out["integration_types"] = []int{0}
	}
	out["nsfw"] = false
	return out
}

// commandScope is "" for global commands or the guild id.
func commandScope(c *call) string {
	if len(c.parts) >= 4 && c.parts[2] == "guilds" {
		return c.parts[3]
	}
	return ""
}

func (s *Server) checkApp(c *call) (reply, bool) {
	if c.parts[1] != s.opts.AppID {
		return apiError(http.StatusForbidden, 20012, "You are not authorized to perform this action on this application"), false
	}
	return reply{}, true
}

func (s *Server) listCommands(c *call) reply {
	if res, allowed := s.checkApp(c); !allowed {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return ok(s.commandsJSONLocked(commandScope(c)))
}

func (s *Server) commandsJSONLocked(scope string) []any {
	out := []any{}
	for _, cmd := range s.commands[scope] {
		out = append(out, cmd.json(s.opts.AppID))
	}
	return out
}

// readCommands checks and decodes a command payload (one object or a list).
func (s *Server) readCommands(c *call) ([]Command, reply, bool) {
	where := c.where()
	if problems := CheckCommands(c.body); len(problems) > 0 {
		s.violate(where, problems...)
		return nil, formError(problems), false
	}
	raws, _ := commandList(c.body)
	var cmds []Command
	for _, raw := range raws {
		cmd, err := decodeCommand(raw)
		if err != nil {
			s.violate(where, err.Error())
			return nil, formError([]string{err.Error()}), false
		}
		cmd.GuildID = commandScope(c)
		cmds = append(cmds, cmd)
	}
	return cmds, reply{}, true
}

// commandList reads a JSON list of commands, or a single command as a list of one.
func commandList(body []byte) ([]json.RawMessage, bool) {
	var list []json.RawMessage
	if json.Unmarshal(body, &list) == nil {
		return list, true
	}
	var one map[string]json.RawMessage
	if json.Unmarshal(body, &one) == nil {
		return []json.RawMessage{body}, false
	}
	return nil, false
}

// keepIDLocked gives a command the id of the registered command with its name and type,
// as Discord does on overwrite; needs s.mu.
func (s *Server) keepIDLocked(scope string, cmd *Command) bool {
	for _, old := range s.commands[scope] {
		if old.Name == cmd.Name && old.Type == cmd.Type {
			cmd.ID = old.ID
			return true
		}
	}
	cmd.ID = s.newID()
	return false
}

func (s *Server) overwriteCommands(c *call) reply {
	if res, allowed := s.checkApp(c); !allowed {
		return res
	}
	if _, isList := commandList(c.body); !isList {
		problem := "bulk overwrite body must be a JSON list of commands"
		s.violate(c.where(), problem)
		return formError([]string{problem})
	}
	cmds, res, valid := s.readCommands(c)
	if !valid {
		return res
	}
	scope := commandScope(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range cmds {
		s.keepIDLocked(scope, &cmds[i])
	}
	s.commands[scope] = cmds
	s.overwrites++
	return ok(s.commandsJSONLocked(scope))
}

func (s *Server) createCommand(c *call) reply {
	if res, allowed := s.checkApp(c); !allowed {
		return res
	}
	cmds, res, valid := s.readCommands(c)
	if !valid {
		return res
	}
	if len(cmds) != 1 {
		return formError([]string{"create takes one command object"})
	}
	scope, cmd := commandScope(c), cmds[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keepIDLocked(scope, &cmd) {
		list := s.commands[scope]
		list[slices.IndexFunc(list, func(o Command) bool { return o.ID == cmd.ID })] = cmd
		return ok(cmd.json(s.opts.AppID))
	}
	s.commands[scope] = append(s.commands[scope], cmd)
	return reply{status: http.StatusCreated, body: cmd.json(s.opts.AppID)}
}

func (s *Server) deleteCommand(c *call) reply {
	if res, allowed := s.checkApp(c); !allowed {
		return res
	}
	scope, id := commandScope(c), c.parts[len(c.parts)-1]
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.commands[scope]
	i := slices.IndexFunc(list, func(o Command) bool { return o.ID == id })
	if i < 0 {
		return apiError(http.StatusNotFound, 10063, "Unknown application command")
	}
	s.commands[scope] = slices.Delete(slices.Clone(list), i, i+1)
	return noContent
}

// Commands lists the registered commands: global ones for guildID "", else that guild's.
func (s *Server) Commands(guildID string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands[guildID])
}

// CommandOverwrites counts accepted bulk overwrites (PUT), global and guild.
func (s *Server) CommandOverwrites() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overwrites
}

// WaitCommands waits until commands are registered for guildID ("" for global) and
// returns them.
func (s *Server) WaitCommands(ctx context.Context, guildID string) ([]Command, error) {
	var cmds []Command
	err := s.waitFor(ctx, "command registration", func() bool {
		cmds = s.Commands(guildID)
		return len(cmds) > 0
	})
	return cmds, err
}

// checkInvocation finds the registered command a test invokes and reports invocations no
// Discord client could make. With no command registered at all, anything goes.
func (s *Server) checkInvocation(name string, where Where, opts []Option, partial bool) Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	scopes := []string{""}
	if where.context() == ContextGuild {
		scopes = []string{orDefault(where.GuildID, DefaultGuildID), ""}
	}
	registered := false
	for _, list := range s.commands {
		registered = registered || len(list) > 0
	}
	for _, scope := range scopes {
		for _, cmd := range s.commands[scope] {
			if cmd.Name == name && cmd.Type == 1 {
				s.checkContext(cmd, where)
				s.checkOptions("/"+name, cmd.Options, opts, partial)
				return cmd
			}
		}
	}
	if registered {
		s.misuse("/%s is not registered where the interaction happens", name)
	}
	return Command{ID: s.syntheticCommandIDLocked(name)}
}

func (s *Server) syntheticCommandIDLocked(name string) string {
	if id, ok := s.commandIDs[name]; ok {
		return id
	}
	id := s.newID()
	s.commandIDs[name] = id
	return id
}

// checkContext reports a command used where Discord would not offer it.
func (s *Server) checkContext(cmd Command, where Where) {
	ctx := where.context()
	contexts := cmd.Contexts
	if contexts == nil {
		contexts = []int{ContextGuild, ContextBotDM, ContextPrivateChannel}
		if cmd.DMPermission != nil && !*cmd.DMPermission {
			contexts = []int{ContextGuild, ContextPrivateChannel}
		}
	}
	installs := cmd.IntegrationTypes
	if installs == nil {
		installs = []int{0}
	}
	switch {
	case !slices.Contains(contexts, ctx):
		s.misuse("/%s is not offered in context %d (its contexts are %v)", cmd.Name, ctx, contexts)
	case ctx == ContextPrivateChannel && !slices.Contains(installs, 1):
		s.misuse("/%s cannot run in other people's DMs: it is not user-installable (integration_types %v)", cmd.Name, installs)
	}
}

// checkOptions compares filled-in options with the declared ones. partial is an
// autocomplete in progress: required options may be missing and values unfinished.
func (s *Server) checkOptions(path string, defs []CommandOption, given []Option, partial bool) {
	for _, o := range given {
		i := slices.IndexFunc(defs, func(d CommandOption) bool { return d.Name == o.Name })
		if i < 0 {
			s.misuse("%s has no option %q", path, o.Name)
			continue
		}
		def := defs[i]
		if def.Type != o.Type {
			s.misuse("%s option %q has type %d, not %d", path, o.Name, def.Type, o.Type)
			continue
		}
		if o.Type == OptionSubCommand || o.Type == OptionSubCommandGroup {
			s.checkOptions(path+" "+o.Name, def.Options, o.Options, partial)
			continue
		}
		if partial && o.Focused {
			continue
		}
		if problem := optionValueProblem(def, o.Value); problem != "" {
			s.misuse("%s option %q: %s", path, o.Name, problem)
		}
	}
	hasSub := slices.ContainsFunc(defs, func(d CommandOption) bool {
		return d.Type == OptionSubCommand || d.Type == OptionSubCommandGroup
	})
	if hasSub && len(given) != 1 {
		s.misuse("%s needs exactly one sub-command, got %d options", path, len(given))
	}
	if partial {
		return
	}
	for _, d := range defs {
		if d.Required && !slices.ContainsFunc(given, func(o Option) bool { return o.Name == d.Name }) {
			s.misuse("%s is missing required option %q", path, d.Name)
		}
	}
}

// optionValueProblem says why a value could not come from Discord's client, or "".
func optionValueProblem(def CommandOption, v any) string {
	var num float64
	switch def.Type {
	case OptionString:
		str, isString := v.(string)
		if !isString {
			return fmt.Sprintf("value %v is not a string", v)
		}
		n := textLen(str)
		if def.MinLength != nil && n < *def.MinLength || def.MaxLength != nil && n > *def.MaxLength {
			return fmt.Sprintf("%d characters is outside the declared length", n)
		}
	case OptionInteger, OptionNumber:
		f, isNumber := toFloat(v)
		if !isNumber || def.Type == OptionInteger && f != float64(int64(f)) {
			return fmt.Sprintf("value %v is not a valid number for type %d", v, def.Type)
		}
		if def.MinValue != nil && f < *def.MinValue || def.MaxValue != nil && f > *def.MaxValue {
			return fmt.Sprintf("value %v is outside the declared range", v)
		}
		num = f
	case OptionBoolean:
		if _, isBool := v.(bool); !isBool {
			return fmt.Sprintf("value %v is not a boolean", v)
		}
	case OptionUser, OptionChannel, OptionRole, OptionMentionable:
		switch id := v.(type) {
		case User:
		case string:
			if !isSnowflake(id) {
				return fmt.Sprintf("value %q is not a snowflake", id)
			}
		default:
			return fmt.Sprintf("value %v is not a User or an id", v)
		}
	}
	if len(def.Choices) > 0 && !def.Autocomplete {
		for _, c := range def.Choices {
			if f, isNumber := toFloat(c.Value); isNumber && f == num && def.Type != OptionString || c.Value == v {
				return ""
			}
		}
		return fmt.Sprintf("value %v is not one of the declared choices", v)
	}
	return ""
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
