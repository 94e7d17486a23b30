package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockInstance makes sure one afterglow at a time runs on a SQLite database: two would
// each deliver the same check-ins. (On PostgreSQL any number run, and the sender lock in
// the database lets one deliver; this file lock is not taken there.) The lock is an flock on "<db>.lock", held as long as the
// returned file is open: keep it reachable for the life of the instance (a dropped file is
// closed by the garbage collector). The kernel releases it when the process ends, however
// it ends.
func lockInstance(dbPath string) (*os.File, error) {
	path := dbPath + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another afterglow is already running on %s (lock %s held): stop it first", dbPath, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
