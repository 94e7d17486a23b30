package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/bot"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// floorEchoEnv, when set to the stand-in's API base, makes the test binary the echo bot
// of BenchmarkLoopbackFloor instead of running tests.
const floorEchoEnv = "AFTERGLOW_FLOOR_ECHO"

// BenchmarkLoopbackFloor times what BenchmarkEndToEnd times, against the same stand-in,
// with a bot that does nothing of its own: a discordgo session set up as Afterglow's that
// answers every interaction with the same callback-sized reply, through the same
// transport. The gap between the two benchmarks is Afterglow's own doing. The floor is the
// machine's and the stack's: wake-ups, discordgo decoding the event, net/http, the
// stand-in, and whatever else shares the two cores. It moves from hour to hour, so compare
// runs made one after the other.
func BenchmarkLoopbackFloor(b *testing.B) {
	srv := dt.New(b, dt.Options{Token: e2eToken})
	echo := exec.Command(os.Args[0], "-test.run=^$")
	echo.Env = append(os.Environ(), floorEchoEnv+"="+srv.APIBase())
	var out syncBuffer
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
	timeAftercare(b, srv)
	select {
	case <-exited:
		b.Fatalf("the echo bot ended: %v\n%s", echoErr, &out)
	default:
	}
}

// floorReply is the echo bot's answer to everything: a private embed and text, about as
// large as the answer to /aftercare topic:drop.
var floorReply = func() []byte {
	body, err := json.Marshal(map[string]any{"type": 4, "data": map[string]any{
		"content":          strings.Repeat("b", 1000),
		"embeds":           []any{map[string]any{"title": "Drop", "description": strings.Repeat("a", 3900)}},
		"flags":            64,
		"allowed_mentions": map[string]any{"parse": []string{}},
	}})
	if err != nil {
		panic(err)
	}
	return body
}()

// floorEcho runs the echo bot until the benchmark kills it; any callback the stand-in
// refuses ends it with an error.
func floorEcho(apiBase string) error {
	cfg := bot.DefaultConfig()
	cfg.Discord.Token, cfg.Discord.APIBase = e2eToken, apiBase
	s, err := bot.NewSession(cfg, bot.NewTransport())
	if err != nil {
		return err
	}
	s.Identify.Intents = discordgo.IntentsGuilds
	s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		req, err := http.NewRequest(http.MethodPost, discordgo.EndpointInteractionResponse(ic.ID, ic.Token), bytes.NewReader(floorReply))
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
