package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/afterglow-bot/afterglow/bot"
	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// floorEchoEnv, when set to a host:port, makes the test binary the echo process of
// BenchmarkLoopbackFloor instead of running tests.
const floorEchoEnv = "AFTERGLOW_FLOOR_ECHO"

// floorBody is the size of the echo's answer: about what a topic's callback weighs.
const floorBody = 5 << 10

// BenchmarkLoopbackFloor measures what BenchmarkEndToEnd's "answer" cannot go below on
// this machine with this stack: a second process that only reads each gateway frame,
// decodes it as discordgo does, and POSTs a callback-sized body back through the bot's
// transport. The gap between the two is the bot's own doing. The floor is the machine's:
// its wake-ups and whatever else shares its cores, and it moves from hour to hour.
func BenchmarkLoopbackFloor(b *testing.B) {
	srv := dt.New(b, dt.Options{})
	i := srv.SlashCommand(dt.User{ID: "200000000000000001", Username: "alice"}, dt.Where{}, "aftercare", dt.StringOption("topic", "drop"))
	d, err := json.Marshal(i.Payload)
	if err != nil {
		b.Fatal(err)
	}
	frame := []byte(`{"op":0,"t":"INTERACTION_CREATE","s":1,"d":` + string(d) + `}`)

	arrived := make(chan time.Time, 1)
	conns := make(chan *websocket.Conn, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		conns <- c
	})
	mux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		at := time.Now() // as the stand-in stamps a callback: once its body is read
		if len(body) != floorBody {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		arrived <- at
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	b.Cleanup(func() { hs.Close() })

	echo := exec.Command(os.Args[0], "-test.run=^$")
	echo.Env = append(os.Environ(), floorEchoEnv+"="+ln.Addr().String())
	echo.Stderr = os.Stderr
	if err := echo.Start(); err != nil {
		b.Fatal(err)
	}
	var echoErr error
	exited := make(chan struct{})
	go func() { echoErr = echo.Wait(); close(exited) }()
	b.Cleanup(func() { echo.Process.Kill(); <-exited })
	var ws *websocket.Conn
	select {
	case ws = <-conns:
	case <-exited:
		b.Fatalf("the echo process ended before connecting: %v", echoErr)
	case <-time.After(10 * time.Second):
		b.Fatal("the echo process never connected")
	}
	defer ws.Close()

	answer := make([]time.Duration, 0, b.N)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b.ResetTimer()
	for range b.N {
		if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			b.Fatal(err)
		}
		written := time.Now()
		select {
		case at := <-arrived:
			answer = append(answer, at.Sub(written))
		case <-exited:
			b.Fatalf("the echo process ended: %v", echoErr)
		case <-ctx.Done():
			b.Fatal("no callback from the echo process")
		}
	}
	b.StopTimer()
	reportPercentiles(b, "answer", answer)
}

// floorEcho is the echo process. Each frame it reads is decoded in discordgo's two steps
// (the envelope, then the interaction) and becomes one POST of floorBody bytes, sent from
// a new goroutine as discordgo hands each event to its handler.
func floorEcho(addr string) error {
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		return err
	}
	body := []byte(`{"type":4,"data":{"content":"` + strings.Repeat("x", floorBody-32) + `"}}`)
	if len(body) != floorBody {
		return fmt.Errorf("floor body is %d bytes", len(body))
	}
	client := &http.Client{Transport: bot.NewTransport(), Timeout: 10 * time.Second}
	for {
		_, frame, err := ws.ReadMessage()
		if err != nil {
			return nil // the benchmark is over
		}
		var ev discordgo.Event
		var ic discordgo.InteractionCreate
		if err := json.Unmarshal(frame, &ev); err != nil {
			return err
		}
		if err := json.Unmarshal(ev.RawData, &ic); err != nil || ic.Interaction == nil || ic.ID == "" {
			return fmt.Errorf("not an interaction: %v", err)
		}
		go func() {
			res, err := client.Post("http://"+addr+"/callback", "application/json", bytes.NewReader(body))
			if err != nil {
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}()
	}
}
