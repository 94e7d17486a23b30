package main

import (
	"context"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestSetupHoldsTheInstanceLockThroughGC: the lock file setup takes must stay open while the
// instance lives. Dropped, the garbage collector closes it and the flock goes with it.
func TestSetupHoldsTheInstanceLockThroughGC(t *testing.T) {
	db := filepath.Join(t.TempDir(), "afterglow.db")
	env := map[string]string{
		"AFTERGLOW_DISCORD_TOKEN":          testToken,
		"AFTERGLOW_DISCORD_API_BASE":       "http://127.0.0.1:1/api/v10",
		"AFTERGLOW_STORAGE_PATH":           db,
		"AFTERGLOW_STORAGE_ENCRYPTION_KEY": testKey,
	}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	in, err := setup(context.Background(), "", getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// Twice: the first collection finds the file unreachable, the second is sure its
	// finalizer ran.
	for range 3 {
		runtime.GC()
		runtime.GC()
		runtime.Gosched()
	}
	second, err := lockInstance(db)
	if err == nil {
		second.Close()
		t.Fatal("a second lock on the database succeeded while the first instance lives: its lock was dropped")
	}
	if !strings.Contains(err.Error(), "another afterglow is already running") || !strings.Contains(err.Error(), db+".lock") {
		t.Fatalf("second lock: %v", err)
	}
	// Closing the instance releases it.
	if err := in.close(); err != nil {
		t.Fatal(err)
	}
	third, err := lockInstance(db)
	if err != nil {
		t.Fatalf("lock after the instance closed: %v", err)
	}
	third.Close()
}
