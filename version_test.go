package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	vcs := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	clean := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
		{Key: "vcs.modified", Value: "false"},
	}}
	for _, c := range []struct {
		name, stamped string
		info          *debug.BuildInfo
		want          string
	}{
		{"stamped wins", "v1.2.0", vcs, "afterglow v1.2.0"},
		{"modified tree", "dev", vcs, "afterglow dev (commit 0123456789abcdef0123456789abcdef01234567, 2026-12-01T10:00:00Z, with uncommitted changes)"},
		{"clean tree", "dev", clean, "afterglow dev (commit 0123456789abcdef0123456789abcdef01234567, 2026-12-01T10:00:00Z)"},
		{"no build info", "dev", nil, "afterglow dev"},
		{"no vcs info", "dev", &debug.BuildInfo{}, "afterglow dev"},
	} {
		if got := versionLine(c.stamped, c.info); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// A binary built without -X main.version names the commit it was built from.
func TestUnstampedBinaryNamesItsCommit(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	// Go stamps the commit only where .git is a directory: not in a `git worktree`.
	if info, err := os.Stat(".git"); err != nil || !info.IsDir() {
		t.Skip("a git worktree: go build records no commit here")
	}
	bin := filepath.Join(t.TempDir(), "afterglow")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "afterglow dev (commit "+strings.TrimSpace(string(head))+", ") {
		t.Fatalf("version: %v\n%s\nwant commit %s", err, out, head)
	}
}
