// Package e2e holds the tests and benchmarks that build the afterglow binary and run it
// as a process against the Discord stand-in: end to end, faults, crashes, start-up.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/content"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage/pgtest"
)

// built is the afterglow executable, built once while the tests start: those that need it
// wait in afterglowBinary, and meanwhile their own set-up (a PostgreSQL cluster, seeded
// rows) runs.
var built struct {
	path string
	done chan struct{}
	err  error
}

// afterglowBinary returns the built executable, once it is.
func afterglowBinary(tb testing.TB) string {
	tb.Helper()
	<-built.done
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built.path
}

func TestMain(m *testing.M) {
	if addr := os.Getenv(floorEchoEnv); addr != "" {
		if err := floorEcho(addr); err != nil {
			fmt.Fprintln(os.Stderr, "floor echo:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "afterglow-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	built.path, built.done = filepath.Join(dir, "afterglow"), make(chan struct{})
	go func() {
		defer close(built.done)
		if out, err := buildCmd("-o", built.path).CombinedOutput(); err != nil {
			built.err = fmt.Errorf("build afterglow: %v\n%s", err, out)
		}
	}()
	// Every test here runs beside the others: they wait on processes, paced DMs and fixed
	// waits far more than they use the CPU, and each has its own stand-in and files.
	dt.AllowParallel(8)
	code := m.Run()
	<-built.done // no test may have needed it, but its directory goes below
	pgtest.StopShared()
	os.RemoveAll(dir)
	os.Exit(code)
}

// moduleRoot is the repository root, where afterglow's main package and its files live.
const moduleRoot = "../.."

// buildCmd is `go build ARGS .` at the module root.
func buildCmd(args ...string) *exec.Cmd {
	cmd := exec.Command("go", append(append([]string{"build"}, args...), ".")...)
	cmd.Dir = moduleRoot
	return cmd
}

const (
	e2eToken = "e2e.token-not-secret.xyz"
	e2eKey   = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
)

// process is a running afterglow binary and what it printed.
type process struct {
	cmd  *exec.Cmd
	out  *dt.LockedBuffer
	done chan error
}

// startBinary runs afterglow in its own directory against the stand-in.
func startBinary(t testing.TB, srv *dt.Server, dir string, env ...string) *process {
	t.Helper()
	return startWrapped(t, srv, dir, nil, env...)
}

// startWrapped is startBinary under a wrapper command (e.g. unshare) that execs
// afterglow in place, so that the process signalled and killed is afterglow itself.
func startWrapped(t testing.TB, srv *dt.Server, dir string, wrapper []string, env ...string) *process {
	t.Helper()
	args := append(append([]string(nil), wrapper...), afterglowBinary(t), "run")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"AFTERGLOW_DISCORD_TOKEN="+e2eToken,
		"AFTERGLOW_DISCORD_API_BASE="+srv.APIBase(),
		"AFTERGLOW_STORAGE_PATH="+filepath.Join(dir, "afterglow.db"),
		"AFTERGLOW_LOG_LEVEL=debug",
	)
	cmd.Env = append(cmd.Env, env...)
	p := &process{cmd: cmd, out: &dt.LockedBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// stop sends SIGTERM and returns the exit error and how long the exit took.
func (p *process) stop(t testing.TB) (error, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		return err, time.Since(start)
	case <-time.After(10 * time.Second):
		t.Fatalf("afterglow did not exit within 10 s of SIGTERM; output:\n%s", p.out)
	}
	return nil, 0
}

func waitUp(t testing.TB, srv *dt.Server, p *process) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.WaitReady(ctx); err != nil {
		t.Fatalf("binary never identified: %v\n%s", err, p.out)
	}
	if _, err := srv.WaitCommands(ctx, ""); err != nil {
		t.Fatalf("binary never registered commands: %v\n%s", err, p.out)
	}
}

func TestBinaryEndToEnd(t *testing.T) { forEachMode(t, binaryEndToEnd) }

func binaryEndToEnd(t *testing.T, m mode) {
	srv := dt.New(t, dt.Options{Token: e2eToken})
	dir := t.TempDir()
	p := startBinary(t, srv, dir, m.env(srv, "AFTERGLOW_STORAGE_ENCRYPTION_KEY=")...) // no key: it generates one
	waitUp(t, srv, p)
	m.use(t, srv, p)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	user := dt.User{ID: "200000000000000001", Username: "alice"}
	other := dt.User{ID: "200000000000000002", Username: "bob"}

	if n := len(srv.Commands("")); n < 8 {
		t.Fatalf("registered %d commands", n)
	}
	for _, topic := range content.MustLoad().Topics() {
		cb, err := srv.Invoke(ctx, srv.SlashCommand(user, dt.Where{}, "aftercare", dt.StringOption("topic", topic.ID)))
		if err != nil {
			t.Fatal(err)
		}
		if !cb.Ephemeral() || len(cb.Embeds) != 1 || cb.Embeds[0].Title != topic.Title {
			t.Fatalf("%s: %+v", topic.ID, cb.MessageContent)
		}
	}
	ac, err := srv.Invoke(ctx, srv.Autocomplete(user, dt.Where{}, "aftercare", dt.Focused(dt.StringOption("topic", "pcd"))))
	if err != nil || len(ac.Choices) == 0 || ac.Choices[0].Value != "pcd" {
		t.Fatalf("autocomplete: %v %+v", err, ac.Choices)
	}
	shared, err := srv.Invoke(ctx, srv.SlashCommand(user, dt.Where{}, "aftercare", dt.StringOption("topic", "kink"), dt.BooleanOption("share", true)))
	if err != nil || shared.Ephemeral() {
		t.Fatalf("share: %v ephemeral=%v", err, shared.Ephemeral())
	}
	nav, err := srv.Invoke(ctx, srv.Select(other, dt.Where{}, shared.Message(), "ac1:topic", "drop"))
	if err != nil || nav.Type != dt.CallbackMessage || !nav.Ephemeral() {
		t.Fatalf("someone else's select on a shared message: %v %+v", err, nav)
	}
	home, err := srv.Invoke(ctx, srv.Click(user, dt.Where{}, shared.Message(), "ac1:home"))
	if err != nil || home.Type != dt.CallbackUpdate {
		t.Fatalf("home: %v %+v", err, home)
	}
	inDM, err := srv.Invoke(ctx, srv.SlashCommand(user, dt.Where{DM: true}, "aftercare", dt.StringOption("topic", "drop")))
	if err != nil || !inDM.Ephemeral() {
		t.Fatalf("in a DM: %v", err)
	}

	err, took := p.stop(t)
	if err != nil {
		t.Fatalf("exit: %v\n%s", err, p.out)
	}
	if took > 5*time.Second {
		t.Fatalf("took %v to exit after SIGTERM", took)
	}
	if strings.Contains(p.out.String(), e2eToken) {
		t.Fatal("the log holds the token")
	}
	st, err := os.Stat(filepath.Join(dir, "afterglow.db.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("generated key file: %v", err)
	}
	if st, err := os.Stat(filepath.Join(dir, "afterglow.db")); err != nil {
		t.Fatal(err)
	} else if st.Mode().Perm() != 0o600 {
		t.Fatalf("database file mode %04o, want 0600", st.Mode().Perm())
	}
}

func TestBinaryRefusesBadSetupWithOneLine(t *testing.T) {
	t.Parallel()
	srv := dt.New(t, dt.Options{Token: e2eToken})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "typo.toml"), []byte("[discord]\ntokn = \"x\"\n"), 0o600)
	cases := []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"run"}, []string{"AFTERGLOW_DISCORD_TOKEN="}, "AFTERGLOW_DISCORD_TOKEN"},
		{[]string{"-config", "typo.toml", "run"}, nil, `unknown key "discord.tokn"`},
		{[]string{"run"}, []string{"AFTERGLOW_STORAGE_PATH=/nonexistent/dir/a.db"}, "/nonexistent/dir/a.db"},
		{[]string{"run"}, []string{"AFTERGLOW_STORAGE_ENCRYPTION_KEY=" + strings.Repeat("ff", 32)}, "wrong key"},
		{[]string{"run"}, []string{"AFTERGLOW_STORAGE_ENCRYPTION_KEY="}, "exists but its encryption key is missing"},
		{[]string{"try", "/nope"}, nil, "unknown command /nope"},
		{[]string{"frobnicate"}, nil, "unknown command"},
	}
	// A database made with one key, to be opened with another.
	first := startBinary(t, srv, dir, "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey)
	waitUp(t, srv, first)
	first.stop(t)
	for _, c := range cases {
		cmd := exec.Command(afterglowBinary(t), c.args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "AFTERGLOW_DISCORD_TOKEN="+e2eToken, "AFTERGLOW_DISCORD_API_BASE="+srv.APIBase(),
			"AFTERGLOW_STORAGE_PATH="+filepath.Join(dir, "afterglow.db"), "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey)
		cmd.Env = append(cmd.Env, c.env...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%v: exit 0, want failure", c.args)
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		last := lines[len(lines)-1]
		if !strings.Contains(last, c.want) || !strings.HasPrefix(last, "afterglow: ") {
			t.Errorf("%v: last line %q lacks %q", c.args, last, c.want)
		}
	}
}

func TestSecondInstanceOnTheSameDatabaseRefusesToStart(t *testing.T) {
	t.Parallel()
	srv := dt.New(t, dt.Options{Token: e2eToken})
	dir := t.TempDir()
	first := startBinary(t, srv, dir, "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey)
	waitUp(t, srv, first)
	second := startBinary(t, srv, dir, "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey)
	select {
	case err := <-second.done:
		if err == nil || !strings.Contains(second.out.String(), "another afterglow is already running") {
			t.Fatalf("second instance: %v\n%s", err, second.out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second instance kept running")
	}
	if srv.Identifies() != 1 {
		t.Fatalf("%d gateway identifies; the second instance must not connect", srv.Identifies())
	}
	if err, _ := first.stop(t); err != nil {
		t.Fatalf("first instance: %v", err)
	}
	// Once the first is gone, a new one starts.
	third := startBinary(t, srv, dir, "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey)
	if err := srv.WaitIdentifies(context.Background(), 2); err != nil {
		t.Fatalf("restart after the first stopped: %v\n%s", err, third.out)
	}
	third.stop(t)
}

func TestTryPrintsATopicOffline(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(afterglowBinary(t), "try", "/aftercare topic:drop").CombinedOutput()
	drop, _ := content.MustLoad().Topic("drop")
	if err != nil || !strings.Contains(string(out), "# "+drop.Title) || !strings.Contains(string(out), "[private reply") {
		t.Fatalf("try: %v\n%s", err, out)
	}
}

// BenchmarkEndToEnd measures /aftercare through the built binary over loopback; run it with
// -benchtime=3000x, beside BenchmarkLoopbackFloor. answer is Discord's view of the bot:
// from INTERACTION_CREATE written to the gateway to the callback request arriving.
// roundtrip is the test's: it adds the stand-in checking the callback against Discord's
// rules, and waking the test.
func BenchmarkEndToEnd(b *testing.B) {
	srv := dt.New(b, dt.Options{Token: e2eToken})
	p := startBinary(b, srv, b.TempDir(), "AFTERGLOW_LOG_LEVEL=warn", "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey)
	waitUp(b, srv, p)
	srv.TimeInvocations(b, func() dt.Interaction { return aftercareDrop(srv) })
	b.ReportMetric(float64(rssKiB(p.cmd.Process.Pid))/1024, "MiB-RSS")
	p.stop(b)
}

// aftercareDrop is the interaction the end-to-end benchmarks time: alice asks for the topic
// on drop, in a server.
func aftercareDrop(srv *dt.Server) dt.Interaction {
	return srv.SlashCommand(dt.User{ID: "200000000000000001", Username: "alice"}, dt.Where{}, "aftercare", dt.StringOption("topic", "drop"))
}

// TestSecondInstanceRefusedAfterTheFirstRanAWhile: the first binary collects garbage
// constantly (GOGC=1) and has run several collections after it connected; a second on the
// same database still finds the lock held and exits with one line naming it.
func TestSecondInstanceRefusedAfterTheFirstRanAWhile(t *testing.T) {
	t.Parallel()
	srv := dt.New(t, dt.Options{Token: e2eToken})
	dir := t.TempDir()
	first := startBinary(t, srv, dir, "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey, "GOGC=1", "GODEBUG=gctrace=1")
	waitUp(t, srv, first)
	collections := func() int { return strings.Count(first.out.String(), "\ngc ") }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Work that allocates, until the first has collected a few more times since it connected.
	target := collections() + 5
	eventually(t, 30*time.Second, first, "five garbage collections in the first instance", func() bool {
		if _, err := srv.Invoke(ctx, aftercareDrop(srv)); err != nil {
			t.Fatal(err)
		}
		return collections() >= target
	})

	cmd := exec.Command(afterglowBinary(t), "run")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "AFTERGLOW_DISCORD_TOKEN="+e2eToken, "AFTERGLOW_DISCORD_API_BASE="+srv.APIBase(),
		"AFTERGLOW_STORAGE_PATH="+filepath.Join(dir, "afterglow.db"), "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey,
		"AFTERGLOW_LOG_LEVEL=debug")
	timer := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	out, err := cmd.CombinedOutput()
	timer.Stop()
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	lock := filepath.Join(dir, "afterglow.db.lock")
	if err == nil || len(lines) != 1 || !strings.HasPrefix(lines[0], "afterglow: another afterglow is already running") ||
		!strings.Contains(lines[0], lock) {
		t.Fatalf("second instance: %v, want a non-zero exit and one line naming %s; got:\n%s", err, lock, out)
	}
	if srv.Identifies() != 1 {
		t.Fatalf("%d gateway identifies; the second instance must not connect", srv.Identifies())
	}
	stopCleanly(t, first)
}
