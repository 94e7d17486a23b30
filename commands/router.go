package commands

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
)

// OptionType follows Discord's application command option types.
type OptionType int

// The option types Afterglow's commands use.
const (
	OptionSubcommand OptionType = 1
	OptionString     OptionType = 3
	OptionInteger    OptionType = 4
	OptionBoolean    OptionType = 5
	OptionUser       OptionType = 6
)

// Definition is a slash command as registered with Discord.
type Definition struct {
	Name        string
	Description string
	Options     []OptionDef
	// AdminOnly commands default to members with Manage Server.
	AdminOnly bool
}

// OptionDef is one option (or subcommand) of a command.
type OptionDef struct {
	Type         OptionType
	Name         string
	Description  string
	Required     bool
	Autocomplete bool
	MaxLength    int
	Options      []OptionDef // a subcommand's own options
	Choices      []Choice
}

// Command is a definition with the functions that answer it.
type Command struct {
	Definition
	Handle       HandlerFunc
	Autocomplete HandlerFunc // nil when no option autocompletes
}

// Router picks the handler for an interaction: commands by name, components and
// modals by the route of their custom_id.
type Router struct {
	commands   map[string]Command
	components map[string]HandlerFunc
	log        *slog.Logger
	deps       Deps
}

// NewRouter builds the router over every command and component of Afterglow.
func NewRouter(d Deps) *Router {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	r := &Router{commands: map[string]Command{}, components: map[string]HandlerFunc{}, log: d.Log, deps: d}
	for _, f := range features {
		cmds, comps := f(d)
		for _, c := range cmds {
			r.commands[c.Name] = c
		}
		for route, h := range comps {
			if _, dup := r.components[route]; dup {
				panic("commands: component route registered twice: " + route)
			}
			r.components[route] = h
		}
	}
	return r
}

// features lists every feature's constructor; each returns its commands and component routes.
var features = []func(Deps) ([]Command, map[string]HandlerFunc){
	aftercareFeature,
	partnerFeature,
	checkinFeature,
	planFeature,
	settingsFeature,
	privacyFeature,
	serverFeature,
}

// Definitions returns every command definition, sorted by name so that their hash is stable.
func (r *Router) Definitions() []Definition {
	defs := make([]Definition, 0, len(r.commands))
	for _, c := range r.commands {
		defs = append(defs, c.Definition)
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	return defs
}

// Routes returns the custom_id route of every component and modal the router answers,
// sorted, e.g. for metric labels that must never hold a route a client made up.
func (r *Router) Routes() []string {
	routes := make([]string, 0, len(r.components))
	for route := range r.components {
		routes = append(routes, route)
	}
	sort.Strings(routes)
	return routes
}

// Handle answers one interaction. It never panics and never returns an empty answer:
// handler errors and panics become a kind private error, with the detail logged.
func (r *Router) Handle(ctx context.Context, req Request) (resp Response) {
	log := r.log.With("interaction", req.InteractionID, "kind", kindName(req.Kind), "command", req.Command, "route", routeOf(req))
	defer func() {
		if p := recover(); p != nil {
			log.Error("handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp = errorResponse(req, msgSomethingWrong)
		}
	}()
	h := r.lookup(req)
	if h == nil {
		log.Info("no handler")
		if req.Kind == KindAutocomplete {
			return Response{Type: Choices}
		}
		switch req.Kind {
		case KindComponent, KindModal:
			return errorResponse(req, msgNoLongerAvailable)
		case KindCommand:
			return errorResponse(req, msgUnknownCommand)
		}
		return errorResponse(req, msgUnsupported)
	}
	if req.Caller.ID == "" {
		// Discord always says who acted; without that no handler can check who may do what.
		log.Warn("interaction without a caller")
		return errorResponse(req, msgSomethingWrong)
	}
	resp, err := h(ctx, req)
	if err != nil {
		log.Error("handler failed", "err", err)
		return errorResponse(req, msgSomethingWrong)
	}
	return resp
}

func (r *Router) lookup(req Request) HandlerFunc {
	switch req.Kind {
	case KindCommand:
		return r.commands[req.Command].Handle
	case KindAutocomplete:
		return r.commands[req.Command].Autocomplete
	case KindComponent, KindModal:
		id, err := ParseCustomID(req.CustomID)
		if err != nil {
			return nil
		}
		return r.components[id.Route]
	}
	return nil
}

// errorResponse is a private error; autocomplete can only answer with (no) choices.
func errorResponse(req Request, text string) Response {
	if req.Kind == KindAutocomplete {
		return Response{Type: Choices}
	}
	return privateText(text)
}

func routeOf(req Request) string {
	if req.CustomID == "" {
		return ""
	}
	id, err := ParseCustomID(req.CustomID)
	if err != nil {
		return "unparsable"
	}
	return id.Route
}

func kindName(k Kind) string {
	switch k {
	case KindCommand:
		return "command"
	case KindAutocomplete:
		return "autocomplete"
	case KindComponent:
		return "component"
	case KindModal:
		return "modal"
	}
	return "unknown"
}
