package commands

import (
	"errors"
	"strings"
)

// A custom_id is "<route>:<arg>:<arg>…", where route names a feature and its version
// (e.g. "ac1:topic", "ci1:answer"). Parsing lives here alone so that every handler reads
// ids the same way and an id from an older version is recognised as such.

// maxCustomID is Discord's limit on custom_id length.
const maxCustomID = 100

// errBadCustomID is returned for an id this version cannot read.
var errBadCustomID = errors.New("unrecognised custom_id")

// CustomID is a parsed custom_id.
type CustomID struct {
	Route string   // feature+version and action, e.g. "ci1:answer"
	Args  []string // what follows
}

// ParseCustomID splits a custom_id into its route and arguments.
func ParseCustomID(s string) (CustomID, error) {
	if s == "" || len(s) > maxCustomID {
		return CustomID{}, errBadCustomID
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return CustomID{}, errBadCustomID
	}
	return CustomID{Route: parts[0] + ":" + parts[1], Args: parts[2:]}, nil
}

// makeCustomID joins a route and its arguments; arguments never contain ':'.
func makeCustomID(route string, args ...string) string {
	if len(args) == 0 {
		return route
	}
	return route + ":" + strings.Join(args, ":")
}
