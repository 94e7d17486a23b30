package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCLI runs afterglow's command line in-process with only env as its environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code = run(context.Background(), args, getenv, &out, &errOut)
	return code, out.String(), errOut.String()
}

// `afterglow invite` prints, offline, the link the bot logs when it connects.
func TestInvitePrintsTheInstallLink(t *testing.T) {
	code, out, errOut := runCLI(t, map[string]string{"AFTERGLOW_DISCORD_APPLICATION_ID": "123456789012345678"}, "invite")
	want := "https://discord.com/oauth2/authorize?client_id=123456789012345678" +
		"&integration_type=0&permissions=0&scope=bot+applications.commands\n"
	if code != 0 || out != want {
		t.Fatalf("invite: exit %d\nstdout %q\nwant   %q\nstderr %s", code, out, want, errOut)
	}
}

// Without an application id there is no link to print: say where to find the id.
func TestInviteWithoutApplicationIDSaysWhereToFindIt(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "invite")
	for _, part := range []string{"discord.application_id", "AFTERGLOW_DISCORD_APPLICATION_ID", "General Information", "Application ID"} {
		if !strings.Contains(errOut, part) {
			t.Errorf("stderr does not name %q", part)
		}
	}
	if code != 1 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("invite without an id: exit %d, stdout %q, stderr (want one line) %q", code, out, errOut)
	}
}
