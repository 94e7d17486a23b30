package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ParseCommandLine reads a slash command typed as text, e.g. `/aftercare topic:"sub drop"`,
// checks it against the definitions, and returns the request Discord would send. It backs
// `afterglow try`, which shows the bot's answers with no Discord at all.
func ParseCommandLine(defs []Definition, line string) (Request, error) {
	words, err := splitWords(line)
	if err != nil {
		return Request{}, err
	}
	if len(words) == 0 || !strings.HasPrefix(words[0], "/") || len(words[0]) < 2 {
		return Request{}, errors.New("a command starts with /, e.g. /aftercare topic:drop")
	}
	name := words[0][1:]
	var def *Definition
	for i := range defs {
		if defs[i].Name == name {
			def = &defs[i]
		}
	}
	if def == nil {
		return Request{}, fmt.Errorf("unknown command /%s (known: %s)", name, definitionNames(defs))
	}
	req := Request{Kind: KindCommand, InteractionID: "try", Command: name, Options: map[string]string{},
		Caller: User{ID: "100000000000000100", Name: "you"}}
	opts, rest := def.Options, words[1:]
	if hasSubcommands(opts) {
		if len(rest) == 0 || strings.Contains(rest[0], ":") {
			return Request{}, fmt.Errorf("/%s needs one of: %s", name, optionNames(opts))
		}
		sub := findOption(opts, rest[0])
		if sub == nil || sub.Type != OptionSubcommand {
			return Request{}, fmt.Errorf("/%s has no subcommand %q (known: %s)", name, rest[0], optionNames(opts))
		}
		req.Subcommand, opts, rest = sub.Name, sub.Options, rest[1:]
	}
	for _, w := range rest {
		key, value, ok := strings.Cut(w, ":")
		if !ok || key == "" {
			return Request{}, fmt.Errorf("%q is not an option: write name:value, e.g. topic:drop", w)
		}
		o := findOption(opts, key)
		if o == nil || o.Type == OptionSubcommand {
			return Request{}, fmt.Errorf("unknown option %q (known: %s)", key, optionNames(opts))
		}
		if _, dup := req.Options[key]; dup {
			return Request{}, fmt.Errorf("option %q is given twice", key)
		}
		v, err := checkOptionValue(*o, value)
		if err != nil {
			return Request{}, err
		}
		req.Options[key] = v
	}
	for _, o := range opts {
		if _, ok := req.Options[o.Name]; o.Required && !ok {
			return Request{}, fmt.Errorf("option %q is required", o.Name)
		}
	}
	return req, nil
}

func checkOptionValue(o OptionDef, v string) (string, error) {
	switch o.Type {
	case OptionBoolean:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return "", fmt.Errorf("option %q takes true or false", o.Name)
		}
		return strconv.FormatBool(b), nil
	case OptionInteger:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "", fmt.Errorf("option %q takes a whole number", o.Name)
		}
	case OptionUser:
		id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(v, "<@"), "!"), ">")
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			return "", fmt.Errorf("option %q takes a user id or mention", o.Name)
		}
		return id, nil
	case OptionString:
		if o.MaxLength > 0 && runeLen(v) > o.MaxLength {
			return "", fmt.Errorf("option %q is longer than %d characters", o.Name, o.MaxLength)
		}
	}
	return v, nil
}

// splitWords splits on spaces, keeping "double" or 'single' quoted runs together.
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("a quote is not closed")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func hasSubcommands(opts []OptionDef) bool {
	return len(opts) > 0 && opts[0].Type == OptionSubcommand
}

func findOption(opts []OptionDef, name string) *OptionDef {
	for i := range opts {
		if opts[i].Name == name {
			return &opts[i]
		}
	}
	return nil
}

func optionNames(opts []OptionDef) string {
	names := make([]string, 0, len(opts))
	for _, o := range opts {
		names = append(names, o.Name)
	}
	return strings.Join(names, ", ")
}

func definitionNames(defs []Definition) string {
	names := make([]string, 0, len(defs))
	for _, d := range defs {
		names = append(names, "/"+d.Name)
	}
	return strings.Join(names, ", ")
}

// Render shows a response as plain text, the way `afterglow try` prints it.
func Render(r Response) string {
	var b strings.Builder
	switch {
	case r.Type == Update:
		b.WriteString("[updates the message]\n")
	case r.Type == Choices:
		b.WriteString("[autocomplete]\n")
		for _, c := range r.Choices {
			fmt.Fprintf(&b, "- %s (%s)\n", c.Name, c.Value)
		}
		return b.String()
	case r.Type == ShowModal && r.Modal != nil:
		fmt.Fprintf(&b, "[form] %s\n", r.Modal.Title)
		for _, in := range r.Modal.Inputs {
			fmt.Fprintf(&b, "- %s (up to %d characters)\n", in.Label, in.MaxLength)
		}
		return b.String()
	case r.Ephemeral:
		b.WriteString("[private reply: only you see it]\n")
	default:
		b.WriteString("[public reply]\n")
	}
	if r.Content != "" {
		b.WriteString(r.Content + "\n")
	}
	for _, e := range r.Embeds {
		if e.Title != "" {
			b.WriteString("\n# " + e.Title + "\n")
		}
		if e.Description != "" {
			b.WriteString(e.Description + "\n")
		}
		for _, f := range e.Fields {
			b.WriteString("\n## " + f.Name + "\n" + f.Value + "\n")
		}
		if e.Footer != "" {
			b.WriteString("\n-- " + e.Footer + "\n")
		}
	}
	for _, row := range r.Components {
		if s := row.Select; s != nil {
			fmt.Fprintf(&b, "\n[menu: %s]\n", s.Placeholder)
			for _, o := range s.Options {
				fmt.Fprintf(&b, "  - %s\n", o.Label)
			}
		}
		for _, btn := range row.Buttons {
			label := btn.Label
			if btn.Emoji != "" {
				label = btn.Emoji + " " + label
			}
			fmt.Fprintf(&b, "[button: %s]\n", label)
		}
	}
	for _, f := range r.Files {
		fmt.Fprintf(&b, "[file: %s, %d bytes]\n", f.Name, len(f.Data))
	}
	return b.String()
}
