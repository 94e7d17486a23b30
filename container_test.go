package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// instruction is one Containerfile instruction, continuation lines joined.
type instruction struct{ op, args string }

func parseContainerfile(t *testing.T, file string) []instruction {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	pending := ""
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending += cont + " "
			continue
		}
		op, args, _ := strings.Cut(pending+line, " ")
		out = append(out, instruction{strings.ToUpper(op), strings.TrimSpace(args)})
		pending = ""
	}
	return out
}

// execForm reads a JSON array argument, as ENTRYPOINT, CMD and HEALTHCHECK CMD must use
// (no shell in the runtime image).
func execForm(t *testing.T, what, args string) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(args), &out); err != nil || len(out) == 0 {
		t.Fatalf("%s %s: not an exec-form JSON array: %v", what, args, err)
	}
	return out
}

// releaseScript is the one place the release flags live.
const releaseScript = "deploy/build-release.sh"

// releaseBinaryName is the file the release script writes by default.
func releaseBinaryName(t *testing.T) string {
	t.Helper()
	body, err := os.ReadFile(releaseScript)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^output=\$\{2:-([^}]+)\}$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("%s: no output=${2:-NAME} default", releaseScript)
	}
	return string(m[1])
}

// The release script builds a static, stamped binary with cgo SQLite.
func TestReleaseScriptBuildsStaticAndStamped(t *testing.T) {
	body, err := os.ReadFile(releaseScript)
	if err != nil {
		t.Fatal(err)
	}
	tags := regexp.MustCompile(`(?m)^\s*-tags (\S+)`).FindStringSubmatch(string(body))
	if tags == nil || !strings.Contains(","+tags[1]+",", ",osusergo,") || !strings.Contains(","+tags[1]+",", ",netgo,") {
		t.Errorf("%s: build tags %q, want osusergo and netgo", releaseScript, tags)
	}
	for _, part := range []string{"CGO_ENABLED=1 go build", "-linkmode external", "-extldflags -static", "-X main.version="} {
		if !strings.Contains(string(body), part) {
			t.Errorf("%s lacks %q", releaseScript, part)
		}
	}
	// The README's one-line command is the script's.
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	ldflags := regexp.MustCompile(`-ldflags "([^"$]*)`).FindSubmatch(body)
	if tags == nil || ldflags == nil {
		t.Fatalf("%s: no -tags or -ldflags to compare the README with", releaseScript)
	}
	for _, part := range []string{"CGO_ENABLED=1 go build -trimpath", "-tags " + tags[1], `-ldflags "` + string(ldflags[1])} {
		if !strings.Contains(string(readme), part) {
			t.Errorf("README's release command lacks %q, which %s uses", part, releaseScript)
		}
	}
}

// The container image is the release build: it runs the release script (no go build of
// its own, so flags and tags cannot drift), copies what that wrote under the same name,
// and runs only commands the binary has.
func TestContainerfileShipsTheReleaseBuild(t *testing.T) {
	ins := parseContainerfile(t, "deploy/Containerfile")
	goMod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	c := helpCLI(t)
	name := releaseBinaryName(t)

	var froms []string
	built, binary, healthcheck := "", "", ""
	copied := map[string]bool{}
	env := map[string]string{}
	user, volume := "", ""
	var entrypoint, cmd []string
	for _, in := range ins {
		switch in.op {
		case "FROM":
			froms = append(froms, in.args)
		case "RUN":
			if strings.Contains(in.args, "go build") {
				t.Errorf("RUN %s: a build of its own; use %s", in.args, releaseScript)
			}
			if _, after, ok := strings.Cut(in.args, releaseScript); ok {
				f := strings.Fields(after)
				if len(f) < 2 {
					t.Fatalf("RUN %s: give the script a version and an output path", in.args)
				}
				built = f[1]
			}
		case "COPY":
			f := strings.Fields(in.args)
			if f[0] == "--from=build" {
				if f[1] == built {
					binary = f[len(f)-1]
				}
				continue
			}
			for _, src := range f[:len(f)-1] {
				copied[strings.TrimSuffix(src, "/")] = true
			}
		case "ENV":
			for _, kv := range strings.Fields(in.args) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		case "USER":
			user = in.args
		case "VOLUME":
			volume = in.args
		case "ENTRYPOINT":
			entrypoint = execForm(t, "ENTRYPOINT", in.args)
		case "CMD":
			cmd = execForm(t, "CMD", in.args)
		case "HEALTHCHECK":
			_, hc, ok := strings.Cut(in.args, "CMD ")
			if !ok {
				t.Fatalf("HEALTHCHECK %s: no CMD", in.args)
			}
			healthcheck = hc
		}
	}

	if len(froms) != 2 || !strings.Contains(froms[0], "golang:"+string(goVersion[1])) || !strings.HasSuffix(froms[0], " AS build") {
		t.Errorf("stages %q: want the official golang:%s image AS build, then the runtime", froms, goVersion[1])
	}
	if built == "" || binary == "" || path.Base(binary) != name || path.Base(built) != name {
		t.Fatalf("the script writes %q and the image holds %q: want the release binary %q", built, binary, name)
	}
	if !copied[releaseScript] {
		t.Errorf("the build stage does not copy %s", releaseScript)
	}
	// Every package of the module reaches the build stage.
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && hasGoFiles(e.Name()) && !copied[e.Name()] {
			t.Errorf("the build stage does not copy %s/", e.Name())
		}
	}
	if len(entrypoint) != 1 || entrypoint[0] != binary {
		t.Errorf("ENTRYPOINT %q, want [%q]", entrypoint, binary)
	}
	if err := c.check(cmd); err != nil {
		t.Errorf("CMD %q: %v", cmd, err)
	}
	hc := execForm(t, "HEALTHCHECK CMD", healthcheck)
	if hc[0] != binary || c.check(hc[1:]) != nil || !strings.Contains(strings.Join(hc, " "), " healthcheck") {
		t.Errorf("HEALTHCHECK CMD %q: want %s healthcheck", hc, binary)
	}
	if env["AFTERGLOW_HTTP_LISTEN"] == "" {
		t.Error("no AFTERGLOW_HTTP_LISTEN: the health check would have no /healthz to ask")
	}
	if volume != `["/data"]` || path.Dir(env["AFTERGLOW_STORAGE_PATH"]) != "/data" {
		t.Errorf("VOLUME %s and database %q: want the database (and its key beside it) in the /data volume", volume, env["AFTERGLOW_STORAGE_PATH"])
	}
	if uid, _, _ := strings.Cut(user, ":"); uid == "" || uid == "0" || uid == "root" {
		t.Errorf("USER %q: want a non-root user", user)
	}
}

// hasGoFiles tells whether dir holds Go files, in itself or below.
func hasGoFiles(dir string) bool {
	found := false
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}
