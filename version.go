package main

import (
	"runtime/debug"
	"strings"
)

// versionLine is what `afterglow version` prints: the stamped version (release builds set
// it with -X main.version), else the commit the binary was built from, as the Go toolchain
// records it, so that a plain `go build` still says which code it runs.
func versionLine(stamped string, info *debug.BuildInfo) string {
	line := "afterglow " + stamped
	if stamped != "dev" || info == nil {
		return line
	}
	vcs := map[string]string{}
	for _, s := range info.Settings {
		vcs[s.Key] = s.Value
	}
	if vcs["vcs.revision"] == "" {
		return line
	}
	parts := []string{"commit " + vcs["vcs.revision"]}
	if t := vcs["vcs.time"]; t != "" {
		parts = append(parts, t)
	}
	if vcs["vcs.modified"] == "true" {
		parts = append(parts, "with uncommitted changes")
	}
	return line + " (" + strings.Join(parts, ", ") + ")"
}

// buildInfo is the binary's own build information, or nil when it has none.
func buildInfo() *debug.BuildInfo {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return info
}
