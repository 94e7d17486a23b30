package commands

import (
	"context"
	"errors"
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

// Router picks the handler for an interaction: commands by name, components and modals
// by the route their custom_id names. Every interaction goes through one chain of
// middlewares: recover -> log -> what Use added (the bot's metrics) -> the handler.
type Router struct {
	commands   map[string]Command
	components map[string]component // by the custom_id's route, e.g. "ci1:answer"
	log        *slog.Logger
	deps       Deps
	middleware []Middleware
	chain      Handler
	// parse reads a custom_id; a field so that a test can count the calls.
	parse func(string) (customID, error)
}

// component is a component or modal handler with the pattern it was declared with.
type component struct {
	pattern pattern
	handle  HandlerFunc
}

// NewRouter builds the router over every command and component of Afterglow. A command
// name or route declared twice is a programming error: it panics here, at start-up,
// rather than one handler silently hiding the other.
func NewRouter(d Deps) *Router {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	r := &Router{commands: map[string]Command{}, components: map[string]component{}, log: d.Log, deps: d, parse: parseCustomID}
	for _, f := range features {
		r.add(f(d))
	}
	r.chain = r.build()
	return r
}

// add registers commands and component routes, refusing duplicates.
func (r *Router) add(cmds []Command, comps map[string]HandlerFunc) {
	for _, c := range cmds {
		if _, dup := r.commands[c.Name]; dup {
			panic("commands: command registered twice: " + c.Name)
		}
		r.commands[c.Name] = c
	}
	for text, h := range comps {
		p := parsePattern(text)
		if prev, dup := r.components[p.route]; dup {
			panic("commands: component route registered twice: " + prev.pattern.text + " and " + text)
		}
		r.components[p.route] = component{pattern: p, handle: h}
	}
}

// features lists every feature's constructor; each returns its commands and component
// routes, the latter keyed by their pattern.
var features = []func(Deps) ([]Command, map[string]HandlerFunc){
	aftercareFeature,
	partnerFeature,
	checkinFeature,
	planFeature,
	settingsFeature,
	privacyFeature,
	serverFeature,
}

// Use adds middlewares to the chain, inside recover and log; the first added runs first.
// Call it before the router answers its first interaction.
func (r *Router) Use(mw ...Middleware) {
	r.middleware = append(r.middleware, mw...)
	r.chain = r.build()
}

func (r *Router) build() Handler {
	all := append([]Middleware{r.recoverer, r.logger}, r.middleware...)
	h := Handler(r.serve)
	for i := len(all) - 1; i >= 0; i-- {
		h = all[i](h)
	}
	return h
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

// Handle answers one interaction: it finds the route (parsing a custom_id here, once),
// then runs the chain. It never panics and its Response is never empty: failures and
// panics answer with a kind private error, the detail logged.
func (r *Router) Handle(ctx context.Context, req Request) Result {
	req.handle = r.match(&req)
	return r.chain(ctx, req)
}

// match finds req's handler and sets req.Route and req.Args; nil when there is none.
func (r *Router) match(req *Request) HandlerFunc {
	switch req.Kind {
	case KindCommand, KindAutocomplete:
		c, ok := r.commands[req.Command]
		if !ok {
			return nil
		}
		req.Route = c.Name
		if req.Kind == KindAutocomplete {
			return c.Autocomplete
		}
		return c.Handle
	case KindComponent, KindModal:
		id, err := r.parse(req.CustomID)
		if err != nil {
			return nil
		}
		c, ok := r.components[id.Route]
		if !ok {
			return nil
		}
		req.Route, req.Args = c.pattern.text, c.pattern.args(id.Args)
		return c.handle
	}
	return nil
}

// serve is the end of the chain: the handler itself.
func (r *Router) serve(ctx context.Context, req Request) Result {
	if req.handle == nil {
		if req.Kind == KindAutocomplete {
			return Result{Response: Response{Type: Choices}, Outcome: NoRoute}
		}
		text := msgUnsupported
		switch req.Kind {
		case KindComponent, KindModal:
			text = msgNoLongerAvailable
		case KindCommand:
			text = msgUnknownCommand
		}
		return Result{Response: privateText(text), Outcome: NoRoute}
	}
	if req.Caller.ID == "" {
		// Discord always says who acted; without that no handler can check who may do what.
		return Result{Response: errorResponse(req), Outcome: Refused, Err: errNoCaller}
	}
	resp, err := req.handle(ctx, req)
	if err != nil {
		return Result{Response: errorResponse(req), Outcome: Failed, Err: err}
	}
	return Result{Response: resp}
}

var errNoCaller = errors.New("interaction without a caller")

// recoverer turns a panic anywhere down the chain into a kind private error.
func (r *Router) recoverer(next Handler) Handler {
	return func(ctx context.Context, req Request) (res Result) {
		defer func() {
			if p := recover(); p != nil {
				r.logFor(req).Error("handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				res = Result{Response: errorResponse(req), Outcome: Panicked}
			}
		}()
		return next(ctx, req)
	}
}

// logger logs every interaction that did not end answered (never what anyone wrote).
func (r *Router) logger(next Handler) Handler {
	return func(ctx context.Context, req Request) Result {
		res := next(ctx, req)
		switch res.Outcome {
		case NoRoute:
			r.logFor(req).Info("no handler")
		case Refused:
			r.logFor(req).Warn("refused", "err", res.Err)
		case Failed:
			r.logFor(req).Error("handler failed", "err", res.Err)
		}
		return res
	}
}

func (r *Router) logFor(req Request) *slog.Logger {
	return r.log.With("interaction", req.InteractionID, "kind", kindName(req.Kind), "command", req.Command, "route", req.Route)
}

// errorResponse is the kind private "something went wrong" for req; autocomplete can
// only answer with (no) choices.
func errorResponse(req Request) Response {
	if req.Kind == KindAutocomplete {
		return Response{Type: Choices}
	}
	return privateText(msgSomethingWrong)
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
