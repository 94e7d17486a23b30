package discordtest

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

const testToken = "test-token"

func TestMain(m *testing.M) {
	AllowParallel(8) // most tests here wait on discordgo: its heartbeats, its one-second close
	os.Exit(m.Run())
}

var (
	alice = User{ID: "200000000000000001", Username: "alice", GlobalName: "Alice"}
	bob   = User{ID: "200000000000000002", Username: "bob"}
)

// rewrite sends discordgo's fixed https://discord.com/api/v9/ calls to the stand-in.
type rewrite struct{ base string }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	rest, found := strings.CutPrefix(r.URL.String(), discordgo.EndpointAPI)
	if !found {
		return nil, &url.Error{Op: r.Method, URL: r.URL.String(), Err: errNotDiscord}
	}
	u, err := url.Parse(rw.base + "/" + rest)
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.URL, r.Host = u, u.Host
	return http.DefaultTransport.RoundTrip(r)
}

type testError string

func (e testError) Error() string { return string(e) }

const errNotDiscord = testError("request outside the Discord API")

// newSession is a discordgo session whose REST calls reach srv; it is not opened.
func newSession(t *testing.T, srv *Server) *discordgo.Session {
	t.Helper()
	dg, err := discordgo.New("Bot " + testToken)
	if err != nil {
		t.Fatal(err)
	}
	dg.Client = &http.Client{Transport: rewrite{base: srv.APIBase()}, Timeout: 5 * time.Second}
	dg.LogLevel = -1 // silence discordgo's reconnect chatter
	return dg
}

// testContext is a context for one test's waits.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// noMentions is the allowed_mentions every message must carry.
func noMentions() *discordgo.MessageAllowedMentions { return &discordgo.MessageAllowedMentions{} }

// rawRequest sends a bot-authorised request straight to the stand-in.
func rawRequest(t *testing.T, srv *Server, method, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.APIBase()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bot "+testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
