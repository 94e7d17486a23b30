package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/bot"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// floorEchoEnv, when set to the stand-in's API base, makes the test binary the echo bot
// of BenchmarkLoopbackFloor instead of running tests; floorReplyEnv names the file holding
// the callback it answers with.
const (
	floorEchoEnv  = "AFTERGLOW_FLOOR_ECHO"
	floorReplyEnv = "AFTERGLOW_FLOOR_REPLY"
)

// BenchmarkLoopbackFloor times what BenchmarkEndToEnd times, against the same stand-in,
// with a bot that does nothing of its own: a discordgo session set up as Afterglow's that
// answers every interaction with the bytes of Afterglow's own answer, recorded once
// before, through the same transport. The gap between the two benchmarks is Afterglow's
// own doing. The floor is the machine's and the stack's: wake-ups, discordgo decoding the
// event, net/http, the stand-in, and whatever else shares the two cores. It moves from
// hour to hour, so compare runs made one after the other.
func BenchmarkLoopbackFloor(b *testing.B) {
	reply := filepath.Join(b.TempDir(), "reply.json")
	if err := os.WriteFile(reply, afterglowsAnswer(b), 0o600); err != nil {
		b.Fatal(err)
	}
	srv := dt.New(b, dt.Options{Token: e2eToken})
	echo := exec.Command(os.Args[0], "-test.run=^$")
	echo.Env = append(os.Environ(), floorEchoEnv+"="+srv.APIBase(), floorReplyEnv+"="+reply)
	var out dt.LockedBuffer
	echo.Stdout, echo.Stderr = &out, &out
	if err := echo.Start(); err != nil {
		b.Fatal(err)
	}
	var echoErr error
	exited := make(chan struct{})
	go func() { echoErr = echo.Wait(); close(exited) }()
	b.Cleanup(func() { echo.Process.Kill(); <-exited })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		select {
		case <-exited: // a failed echo must not leave the benchmark waiting
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := srv.WaitReady(ctx); err != nil {
		b.Fatalf("the echo bot never identified: %v (exit: %v)\n%s", err, echoErr, &out)
	}
	srv.TimeInvocations(b, func() dt.Interaction { return aftercareDrop(srv) })
	select {
	case <-exited:
		b.Fatalf("the echo bot ended: %v\n%s", echoErr, &out)
	default:
	}
}

// afterglowsAnswer is the body of the built binary's callback to the interaction that
// both benchmarks send, so that the stand-in has the same bytes to read and check from the
// echo bot as from Afterglow.
func afterglowsAnswer(b *testing.B) []byte {
	srv := dt.New(b, dt.Options{Token: e2eToken})
	defer srv.Close()
	p := startBinary(b, srv, b.TempDir(), "AFTERGLOW_LOG_LEVEL=warn", "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey)
	waitUp(b, srv, p)
	defer p.stop(b)
	cb, err := srv.Invoke(context.Background(), aftercareDrop(srv))
	if err != nil {
		b.Fatal(err)
	}
	if len(cb.Files) > 0 || len(cb.Raw) < 1000 {
		b.Fatalf("not a topic's answer: %d files, %d bytes", len(cb.Files), len(cb.Raw))
	}
	return cb.Raw
}

// floorEcho runs the echo bot until the benchmark kills it; any callback the stand-in
// refuses ends it with an error.
func floorEcho(apiBase string) error {
	reply, err := os.ReadFile(os.Getenv(floorReplyEnv))
	if err != nil {
		return err
	}
	cfg := bot.DefaultConfig()
	cfg.Discord.Token, cfg.Discord.APIBase = e2eToken, apiBase
	s, err := bot.NewSession(cfg, bot.NewTransport())
	if err != nil {
		return err
	}
	s.Identify.Intents = discordgo.IntentsGuilds
	s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		req, err := http.NewRequest(http.MethodPost, discordgo.EndpointInteractionResponse(ic.ID, ic.Token), bytes.NewReader(reply))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			var res *http.Response
			if res, err = s.Client.Do(req); err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusNoContent {
					err = fmt.Errorf("callback answered %s", res.Status)
				}
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor echo:", err)
			os.Exit(1)
		}
	})
	if err := s.Open(); err != nil {
		return err
	}
	select {}
}
