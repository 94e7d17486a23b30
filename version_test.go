package main

import (
	"runtime/debug"
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
