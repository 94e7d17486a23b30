package commands

import (
	"strings"
	"testing"
)

func TestParseCommandLine(t *testing.T) {
	f := newFixture(t)
	defs := f.router.Definitions()
	req, err := ParseCommandLine(defs, `/aftercare topic:"sub drop" share:true`)
	if err != nil {
		t.Fatal(err)
	}
	if req.Command != "aftercare" || req.Option("topic") != "sub drop" || !req.BoolOption("share") {
		t.Fatalf("got %+v", req)
	}
	for line, wantErr := range map[string]string{
		"":                           "starts with /",
		"aftercare":                  "starts with /",
		"/nope":                      "unknown command /nope",
		"/aftercare colour:red":      `unknown option "colour"`,
		"/aftercare share:maybe":     "true or false",
		"/aftercare topic:a topic:b": "given twice",
		`/aftercare topic:"open`:     "not closed",
		"/aftercare topic":           "name:value",
	} {
		if _, err := ParseCommandLine(defs, line); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: want error containing %q, got %v", line, wantErr, err)
		}
	}
}

func TestRenderShowsTheTopic(t *testing.T) {
	f := newFixture(t)
	req, err := ParseCommandLine(f.router.Definitions(), "/aftercare topic:drop")
	if err != nil {
		t.Fatal(err)
	}
	out := Render(f.do(t, req))
	drop, _ := f.lib.Topic("drop")
	for _, want := range []string{"[private reply", "# " + drop.Title, drop.Body[:40], "[menu: More topics]", "[button: Back to the overview]"} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q:\n%s", want, out)
		}
	}
}

// `afterglow try '/aftercare topic:resources'` in a server with no resources text still
// shows the crisis wording: the crisis path never depends on server setup.
func TestTryResourcesShowsCrisisWordingWithoutServerResources(t *testing.T) {
	f := newFixture(t)
	req, err := ParseCommandLine(f.router.Definitions(), "/aftercare topic:resources")
	if err != nil {
		t.Fatal(err)
	}
	for _, guild := range []string{"", "300000000000000002"} { // a DM, and a server that set nothing
		req.GuildID, req.GuildInstalled = guild, guild != ""
		out := Render(f.do(t, req))
		for _, want := range []string{"hurting yourself", "emergency services", "crisis line", "112", "911", "999", "988", "116 123"} {
			if !strings.Contains(out, want) {
				t.Errorf("guild %q: render lacks %q:\n%s", guild, want, out)
			}
		}
		if strings.Contains(out, msgServerHelp) {
			t.Errorf("guild %q: shows a server resources field although none is set", guild)
		}
	}
}
