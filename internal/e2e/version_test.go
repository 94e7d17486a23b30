package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A binary built without -X main.version names the commit it was built from.
func TestUnstampedBinaryNamesItsCommit(t *testing.T) {
	t.Parallel()
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	// Go stamps the commit only where .git is a directory: not in a `git worktree`.
	if info, err := os.Stat(filepath.Join(moduleRoot, ".git")); err != nil || !info.IsDir() {
		t.Skip("a git worktree: go build records no commit here")
	}
	bin := filepath.Join(t.TempDir(), "afterglow")
	if out, err := buildCmd("-buildvcs=true", "-o", bin).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "afterglow dev (commit "+strings.TrimSpace(string(head))+", ") {
		t.Fatalf("version: %v\n%s\nwant commit %s", err, out, head)
	}
}
