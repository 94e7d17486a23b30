package storage

import (
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMigrationSetsMatch(t *testing.T) {
	sqlite, err := fs.Glob(migrationFiles, "*.sql")
	must(t, err)
	pg, err := fs.Glob(pgMigrationFiles, "*.sql")
	must(t, err)
	if len(sqlite) == 0 || !slices.Equal(sqlite, pg) {
		t.Fatalf("migrations differ:\n  sqlite:   %v\n  postgres: %v", sqlite, pg)
	}
	for _, files := range []fs.FS{migrationFiles, pgMigrationFiles} {
		if _, err := loadMigrations(files); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBindRewritesPlaceholdersForPostgres(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                                     "SELECT 1",
		"a = ? AND b = ? LIMIT ?":                      "a = $1 AND b = $2 LIMIT $3",
		"a = ?1 OR b = ?1 AND c = ?2":                  "a = $1 OR b = $1 AND c = $2",
		"x = ?2 AND y = ? AND z = ?1":                  "x = $2 AND y = $3 AND z = $1",
		"s = '?' AND t = ? AND u = \"a?\"":             "s = '?' AND t = $1 AND u = \"a?\"",
		"v = 'it''s ?' AND w = ?10":                    "v = 'it''s ?' AND w = $10",
		"INSERT INTO t (a, b) VALUES (?, ?) RETURNING": "INSERT INTO t (a, b) VALUES ($1, $2) RETURNING",
		"-- isn't it? \nSELECT ? -- why?\n, ?":         "-- isn't it? \nSELECT $1 -- why?\n, $2",
	} {
		if got := bindFor(true, in); got != want {
			t.Errorf("bindFor(%q) = %q, want %q", in, got, want)
		}
		if got := bindFor(false, in); got != in {
			t.Errorf("bindFor for SQLite changed %q to %q", in, got)
		}
	}
}

func TestPostgresURLIsNeverShownWithItsPassword(t *testing.T) {
	const secret = "s3cret-Pa55"
	if got := RedactURL("postgres://bot:" + secret + "@db.example:5432/afterglow"); strings.Contains(got, secret) || !strings.Contains(got, "db.example") {
		t.Errorf("RedactURL = %q", got)
	}
	if got := RedactURL("postgres://bot@db.example/afterglow?password=" + secret); strings.Contains(got, secret) {
		t.Errorf("RedactURL = %q", got)
	}
	if got := RedactURL("postgres://bot:" + secret + "@[::1"); strings.Contains(got, secret) {
		t.Errorf("RedactURL of an unparseable URL = %q", got)
	}
	// Nothing listens on port 1: the connection error must still not carry the password.
	for _, url := range []string{
		"postgres://bot:" + secret + "@127.0.0.1:1/afterglow?connect_timeout=2",
		"postgres://bot@127.0.0.1:1/afterglow?connect_timeout=2&password=" + secret,
		"postgres://bot:" + secret + "@127.0.0.1:1/afterglow?sslmode=bogus",
		"postgres://bot:" + secret + "@127.0.0.1:notaport/afterglow",
		"mysql://bot:" + secret + "@127.0.0.1/afterglow",
	} {
		_, err := OpenPostgres(context.Background(), url, testKey(7))
		if err == nil {
			t.Fatalf("OpenPostgres(%s) succeeded", RedactURL(url))
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestOpenConfigPicksTheDriver(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "afterglow.db")
	cfg := Config{Driver: testDriver, Path: path}
	if testDriver == DriverPostgres {
		cfg.URL = pgURLFor(t, path)
	}
	db, err := OpenConfig(ctx, cfg, testKey(7))
	must(t, err)
	defer db.Close()
	if db.pg != (testDriver == DriverPostgres) {
		t.Fatalf("driver %q opened pg=%v", testDriver, db.pg)
	}
	if _, err := OpenConfig(ctx, Config{Driver: "mysql"}, testKey(7)); err == nil || !strings.Contains(err.Error(), `"mysql"`) {
		t.Fatalf("unknown driver: %v", err)
	}
}

func TestSenderLockIsHeldByOneAtATime(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "afterglow.db")
	first := openAt(t, path)
	release, ok, err := first.AcquireSenderLock(ctx)
	if err != nil || !ok {
		t.Fatalf("first AcquireSenderLock = %v, %v", ok, err)
	}
	if testDriver == DriverSQLite {
		release() // the file lock of lock.go keeps a second process out; nothing more to hold
		return
	}
	second := openAt(t, path) // another replica on the same database
	if _, ok, err := second.AcquireSenderLock(ctx); ok || err != nil {
		t.Fatalf("second AcquireSenderLock while the first holds it = %v, %v; want refused", ok, err)
	}
	// Many checks do not use up connections, nor take the lock by chance.
	for range 20 {
		if _, ok, _ := second.AcquireSenderLock(ctx); ok {
			t.Fatal("the lock was taken twice")
		}
	}
	release()
	release() // twice is harmless
	release2, ok, err := second.AcquireSenderLock(ctx)
	if err != nil || !ok {
		t.Fatalf("AcquireSenderLock after release = %v, %v", ok, err)
	}
	if _, ok, _ := first.AcquireSenderLock(ctx); ok {
		t.Fatal("the first took the lock back while the second holds it")
	}
	// The holder dies: closing its database ends its session, and the lock goes with it.
	must(t, second.Close())
	_ = release2
	release3, ok, err := first.AcquireSenderLock(ctx)
	if err != nil || !ok {
		t.Fatalf("AcquireSenderLock after the holder closed = %v, %v", ok, err)
	}
	release3()
}

func TestNotifyScheduledWakesTheListener(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "afterglow.db")
	sender := openAt(t, path)
	wake, err := sender.ListenScheduled(ctx)
	must(t, err)
	other := openAt(t, path) // the replica that scheduled a check-in
	must(t, other.NotifyScheduled(ctx))
	if testDriver == DriverSQLite {
		select {
		case <-wake:
			t.Fatal("SQLite's wake-up channel fired")
		default:
		}
		return
	}
	select {
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatal("the NOTIFY from another handle did not reach the listener")
	}
	// Several notifications while nobody reads coalesce into one wake-up, never block.
	for range 5 {
		must(t, other.NotifyScheduled(ctx))
	}
	select {
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatal("the second round of NOTIFYs did not reach the listener")
	}
	// Close does not wait for ctx: it ends the listener itself.
	closed := make(chan error, 1)
	go func() { closed <- sender.Close() }()
	select {
	case err := <-closed:
		must(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked behind the listener")
	}
}

// TestConcurrentClaimsNeverTakeARowTwice runs two senders claiming at once on one database.
func TestConcurrentClaimsNeverTakeARowTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "afterglow.db")
	db := openAt(t, path)
	link(t, db, alice, bob)
	const n = 200
	for i := range n {
		_, err := db.ScheduleCheckIns(ctx, []CheckIn{{SenderID: alice, RecipientID: bob, GuildID: guild, DueAt: t0.Add(time.Duration(i) * time.Millisecond)}}, t0, 0)
		must(t, err)
	}
	handles := []*DB{db, openAt(t, path), openAt(t, path), openAt(t, path)}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, len(handles))
	for _, h := range handles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				claimed, err := h.ClaimDue(ctx, t0.Add(time.Hour), time.Hour, 7)
				if err != nil {
					errs <- err
					return
				}
				if len(claimed) == 0 {
					return
				}
				mu.Lock()
				for _, c := range claimed {
					seen[c.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("claimed %d distinct check-ins, want %d", len(seen), n)
	}
	for id, times := range seen {
		if times != 1 {
			t.Fatalf("check-in %d was claimed %d times", id, times)
		}
	}
}
