package main

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"strings"
	"testing"
)

// cli is afterglow's command line as `afterglow help` describes it: each command with
// whether it takes arguments, and each flag with whether it takes a value.
type cli struct {
	commands map[string]bool
	flags    map[string]bool
}

func helpCLI(t *testing.T) cli {
	t.Helper()
	code, _, help := runCLI(t, nil, "help")
	if code != 0 {
		t.Fatalf("help: exit %d\n%s", code, help)
	}
	c := cli{commands: map[string]bool{}, flags: map[string]bool{}}
	inCommands := false
	for _, line := range strings.Split(help, "\n") {
		switch {
		case line == "Commands:":
			inCommands = true
		case strings.TrimSpace(line) == "" || !strings.HasPrefix(line, "  "):
			inCommands = false
		case strings.HasPrefix(line, "  -"): // flag.PrintDefaults: "  -name [value]"
			f := strings.Fields(line)
			c.flags[strings.TrimLeft(f[0], "-")] = len(f) > 1
		case inCommands: // "  name [args]  what it does"
			synopsis, _, _ := strings.Cut(strings.TrimSpace(line), "  ")
			f := strings.Fields(synopsis)
			c.commands[f[0]] = len(f) > 1
		}
	}
	if len(c.commands) == 0 || len(c.flags) == 0 {
		t.Fatalf("no commands or no flags found in the help:\n%s", help)
	}
	return c
}

// check tells whether args (after the program name) is a command line afterglow accepts:
// known flags (a value where one is due), one known command, arguments only where it takes some.
func (c cli) check(args []string) error {
	command := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			takesValue, ok := c.flags[name]
			if !ok {
				return fmt.Errorf("afterglow has no flag %s", a)
			}
			if takesValue && !hasValue {
				if i++; i == len(args) {
					return fmt.Errorf("flag %s needs a value", a)
				}
			}
			continue
		}
		if command != "" {
			if !c.commands[command] {
				return fmt.Errorf("command %s takes no argument, got %q", command, a)
			}
			continue
		}
		if _, ok := c.commands[a]; !ok {
			return fmt.Errorf("afterglow has no command %q", a)
		}
		command = a
	}
	return nil
}

// The checker itself must catch a misspelt flag or command.
func TestCommandLineCheckCatchesMistakes(t *testing.T) {
	c := helpCLI(t)
	if err := c.check([]string{"-config", "/etc/afterglow/afterglow.toml", "run"}); err != nil {
		t.Fatalf("a good command line refused: %v", err)
	}
	for _, bad := range [][]string{{"-conf", "x", "run"}, {"-config", "x", "serve"}, {"run", "extra"}, {"run", "-config"}} {
		if c.check(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// unitFile is a systemd unit: section -> key -> values, in order (keys may repeat).
type unitFile map[string]map[string][]string

func parseUnit(t *testing.T, file string) unitFile {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, section := unitFile{}, ""
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.HasSuffix(line, `\`) {
				t.Fatalf("%s: cannot read line %q", file, line)
			}
			u[section][key] = append(u[section][key], value)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// one is the single value of key in section, failing when it is missing or repeated.
func (u unitFile) one(t *testing.T, section, key string) string {
	t.Helper()
	if v := u[section][key]; len(v) == 1 {
		return v[0]
	}
	t.Fatalf("[%s] %s: want one value, have %q", section, key, u[section][key])
	return ""
}

// The unit starts the binary the release build makes, with flags and a command it has.
func TestServiceUnitRunsACommandTheBinaryHas(t *testing.T) {
	u := parseUnit(t, "deploy/afterglow.service")
	exec := strings.TrimLeft(u.one(t, "Service", "ExecStart"), "-@:+!")
	if strings.ContainsAny(exec, `"'$%`) {
		t.Fatalf("ExecStart %q: quoting or expansion that this check does not read", exec)
	}
	args := strings.Fields(exec)
	if !path.IsAbs(args[0]) || path.Base(args[0]) != releaseBinaryName(t) {
		t.Fatalf("ExecStart runs %s, not the release binary %q by absolute path", args[0], releaseBinaryName(t))
	}
	if err := helpCLI(t).check(args[1:]); err != nil {
		t.Fatalf("ExecStart %q: %v", exec, err)
	}
}

// The unit runs as its own user, keeps the database and key in its state directory, takes
// the token from a root-only file and is confined.
func TestServiceUnitIsConfinedAndKeepsItsState(t *testing.T) {
	u := parseUnit(t, "deploy/afterglow.service")
	if user := u.one(t, "Service", "User"); user == "" || user == "root" || user == "0" {
		t.Errorf("runs as %q", user)
	}
	state := u.one(t, "Service", "StateDirectory")
	var storagePath string
	for _, env := range u["Service"]["Environment"] {
		for _, kv := range strings.Fields(env) {
			k, v, _ := strings.Cut(kv, "=")
			if k == "AFTERGLOW_DISCORD_TOKEN" || k == "AFTERGLOW_STORAGE_ENCRYPTION_KEY" {
				t.Errorf("a secret in the unit itself: %s", k)
			}
			if k == "AFTERGLOW_STORAGE_PATH" {
				storagePath = v
			}
		}
	}
	if path.Dir(storagePath) != "/var/lib/"+state {
		t.Errorf("the database %q is not in the state directory /var/lib/%s (its key file goes beside it)", storagePath, state)
	}
	if f := u.one(t, "Service", "EnvironmentFile"); !strings.HasPrefix(f, "/etc/") {
		t.Errorf("EnvironmentFile %q is not a root-owned file under /etc", f)
	}
	want := map[string]string{
		"Restart":                 "on-failure",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"UMask":                   "0077",
		"SystemCallFilter":        "@system-service",
		"RestrictAddressFamilies": "AF_INET AF_INET6",
		"CapabilityBoundingSet":   "",
	}
	for key, value := range want {
		if got := u["Service"][key]; len(got) != 1 || got[0] != value {
			t.Errorf("[Service] %s = %q, want %q", key, got, value)
		}
	}
}

// The README's command list is the help's, line for line, so that neither forgets a command.
func TestReadmeListsTheCommandsAsTheHelpDoes(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, afterHeading, _ := strings.Cut(string(readme), "## Commands\n\n```\n")
	list, _, _ := strings.Cut(afterHeading, "```")
	_, help, _ := strings.Cut(usage, "Commands:\n")
	help, _, _ = strings.Cut(help, "\n\n")
	if want := "afterglow [-config FILE] [command]\n" + help + "\n"; list != want {
		t.Fatalf("README's command list:\n%s\nwant:\n%s", list, want)
	}
}
