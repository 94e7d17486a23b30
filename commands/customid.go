package commands

import (
	"errors"
	"github.com/afterglow-bot/afterglow/internal/discordlimits"
	"strings"
)

// On the wire a custom_id is "<route>:<arg>:<arg>…", where route names a feature, its
// version and an action (e.g. "ac1:topic", "ci1:answer:42:good"). Handlers declare it as a
// pattern that names the arguments, e.g. "ci1:answer/{id}/{choice}"; the wire format never
// changes with the pattern, so ids on messages already sent keep working. An incoming id
// is parsed here alone, once per interaction, by the router (Router.Handle).

// maxCustomID is Discord's limit on custom_id length.
const maxCustomID = discordlimits.CustomID

// errBadCustomID is returned for an id this version cannot read.
var errBadCustomID = errors.New("unrecognised custom_id")

// customID is a parsed custom_id.
type customID struct {
	Route string   // feature+version and action, e.g. "ci1:answer"
	Args  []string // what follows, in order
}

// parseCustomID splits a custom_id into its route and arguments.
func parseCustomID(s string) (customID, error) {
	if s == "" || len(s) > maxCustomID {
		return customID{}, errBadCustomID
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return customID{}, errBadCustomID
	}
	return customID{Route: parts[0] + ":" + parts[1], Args: parts[2:]}, nil
}

// pattern is a component route as a handler declares it: "ci1:answer/{id}/{choice}".
type pattern struct {
	text  string   // as declared; what Request.Route holds
	route string   // the custom_id's route, "ci1:answer"
	names []string // the arguments' names, in order: "id", "choice"
}

// parsePattern reads a declared route; a malformed one is a programming error, found at start-up.
func parsePattern(p string) pattern {
	parts := strings.Split(p, "/")
	id, err := parseCustomID(parts[0])
	if err != nil || len(id.Args) > 0 {
		panic("commands: malformed route pattern " + p)
	}
	out := pattern{text: p, route: id.Route}
	for _, part := range parts[1:] {
		name, ok := strings.CutPrefix(part, "{")
		name, ok2 := strings.CutSuffix(name, "}")
		if !ok || !ok2 || name == "" || strings.ContainsAny(name, "{}:") {
			panic("commands: malformed argument " + part + " in route pattern " + p)
		}
		out.names = append(out.names, name)
	}
	return out
}

// args names the positional arguments of an incoming id. Missing ones stay absent (read
// as ""), extra ones are ignored, so a handler's own checks decide what a short id means.
func (p pattern) args(values []string) map[string]string {
	if len(p.names) == 0 {
		return nil
	}
	m := make(map[string]string, len(p.names))
	for i, name := range p.names {
		if i < len(values) {
			m[name] = values[i]
		}
	}
	return m
}

// makeCustomID is the wire id of a declared pattern with its arguments, in the pattern's
// order; arguments never contain ':'.
func makeCustomID(pattern string, args ...string) string {
	route, _, _ := strings.Cut(pattern, "/")
	return joinCustomID(route, args...)
}

// joinCustomID is the wire form of a route and its arguments, the inverse of parseCustomID.
func joinCustomID(route string, args ...string) string {
	if len(args) == 0 {
		return route
	}
	return route + ":" + strings.Join(args, ":")
}
