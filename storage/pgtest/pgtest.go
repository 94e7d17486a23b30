// Package pgtest starts a throwaway PostgreSQL cluster for tests, with the machine's own
// initdb and postgres, in a temporary directory on a free loopback port.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Cluster is a running throwaway server.
type Cluster struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan error
	log  string
}

// DurableEnv, when set, keeps the server's fsync on: for benchmarks that compare commits
// with SQLite's, which syncs every one.
const DurableEnv = "AFTERGLOW_PG_DURABLE"

// Required says whether a cluster that cannot start must fail the tests (under CI) rather
// than skip the PostgreSQL runs.
func Required() bool { return os.Getenv("CI") == "true" }

// binDir finds the directory holding initdb and postgres: PATH first, then Debian's.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	return "", errors.New("initdb is not installed (Debian: apt-get install postgresql)")
}

// Start runs initdb and postgres in a new temporary directory. initdb refuses to run as
// root: as root, both run as the "postgres" user (or "nobody"), which owns the directory.
// The server runs without fsync (a test's data need not survive a crash; see DurableEnv)
// and dies with the test process.
func Start() (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "afterglow-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, log: filepath.Join(dir, "server.log")}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		if cred, err = unprivileged(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"--no-sync", "--encoding=UTF8", "--locale=C.UTF-8")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if c.port, err = freePort(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logFile, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logFile.Close()
	if cred != nil {
		_ = logFile.Chown(int(cred.Uid), int(cred.Gid))
	}
	durability := "off"
	if os.Getenv(DurableEnv) != "" {
		durability = "on"
	}
	c.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-c", "listen_addresses=127.0.0.1", "-p", strconv.Itoa(c.port), "-c", "unix_socket_directories="+dir,
		"-c", "fsync="+durability, "-c", "synchronous_commit="+durability, "-c", "full_page_writes="+durability,
		"-c", "max_connections=300", "-c", "shared_buffers=128MB")
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	c.cmd.Dir = dir
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	if err := c.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c.done = make(chan error, 1)
	go func() { c.done <- c.cmd.Wait() }()
	if err := c.waitReady(30 * time.Second); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// unprivileged is the user initdb and postgres run as when the tests run as root.
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, and there is no postgres or nobody user to run initdb as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		db, err := sql.Open("pgx", c.URL("postgres"))
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
		}
		if err == nil {
			return nil
		}
		select {
		case exitErr := <-c.done:
			c.done <- exitErr
			return fmt.Errorf("postgres exited: %v\n%s", exitErr, c.logTail())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not answer within %s: %v\n%s", limit, err, c.logTail())
		}
		time.Sleep(50 * time.Millisecond) // the server's own start-up, not the bot's schedule
	}
}

func (c *Cluster) logTail() string {
	data, _ := os.ReadFile(c.log)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// URL is a connection URL for database dbname on the cluster, as the superuser.
func (c *Cluster) URL(dbname string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, dbname)
}

// CreateDatabase creates a new empty database and returns its URL.
func (c *Cluster) CreateDatabase(name string) (string, error) {
	db, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE "` + name + `"`); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return c.URL(name), nil
}

// Stop shuts the server down (fast: it drops its clients) and removes its directory.
func (c *Cluster) Stop() {
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
	os.RemoveAll(c.dir)
}

// shared is the one cluster of a test binary that starts it on first use (Shared).
var shared struct {
	once sync.Once
	c    *Cluster
	err  error
}

// Shared starts a cluster on first use and returns the same one afterwards, for packages
// whose PostgreSQL tests are a few among many: the others then start no server. The test
// binary's TestMain stops it with StopShared.
func Shared() (*Cluster, error) {
	shared.once.Do(func() { shared.c, shared.err = Start() })
	return shared.c, shared.err
}

// StopShared stops the cluster Shared started, if it did.
func StopShared() {
	shared.once.Do(func() {}) // none may start after this
	if shared.c != nil {
		shared.c.Stop()
	}
}

// databases numbers the databases NewDatabase creates on the shared cluster.
var databases atomic.Int64

// NewDatabase creates an empty database on the shared cluster and returns its URL. Without
// a server the test is skipped, except under CI, where a PostgreSQL test that cannot run
// is a failure.
func NewDatabase(tb testing.TB, prefix string) string {
	tb.Helper()
	c, err := Shared()
	if err != nil {
		if Required() {
			tb.Fatalf("PostgreSQL cannot start, and CI requires it: %v", err)
		}
		tb.Skipf("no PostgreSQL server could start: %v", err)
	}
	url, err := c.CreateDatabase(fmt.Sprintf("%s_%d", prefix, databases.Add(1)))
	if err != nil {
		tb.Fatal(err)
	}
	return url
}
