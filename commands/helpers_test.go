package commands

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/afterglow-bot/afterglow/content"
	"github.com/afterglow-bot/afterglow/storage"
)

// testNow is the fixed clock every handler test runs on.
var testNow = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

type fixture struct {
	router *Router
	store  *storage.DB
	lib    *content.Library
	dms    *recordingDMs
	now    time.Time
}

// newFixture builds the real router over a real SQLite file and a fixed clock.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	lib, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{store: store, lib: lib, dms: &recordingDMs{}, now: testNow}
	f.router = NewRouter(Deps{Content: lib, Store: store, Clock: func() time.Time { return f.now }, DM: f.dms})
	return f
}

// recordingDMs is a Messenger that remembers what it was asked to send.
type recordingDMs struct {
	sent    []sentDM
	deleted []SentDM
	closed  map[string]bool
	// attempt, when set, runs at each send attempt (e.g. to let time pass).
	attempt func()
}

type sentDM struct {
	To  string
	Msg Message
	At  SentDM
}

func (r *recordingDMs) SendDM(ctx context.Context, userID string, msg Message) error {
	_, err := r.PostDM(ctx, userID, msg)
	return err
}

func (r *recordingDMs) PostDM(_ context.Context, userID string, msg Message) (SentDM, error) {
	if r.attempt != nil {
		r.attempt()
	}
	if r.closed[userID] {
		return SentDM{}, ErrDMClosed
	}
	at := SentDM{ChannelID: "dm-" + userID, MessageID: itoa(int64(len(r.sent) + 1))}
	r.sent = append(r.sent, sentDM{To: userID, Msg: msg, At: at})
	return at, nil
}

func (r *recordingDMs) DeleteDM(_ context.Context, channelID, messageID string) error {
	r.deleted = append(r.deleted, SentDM{ChannelID: channelID, MessageID: messageID})
	return nil
}

func (f *fixture) do(t testing.TB, req Request) Response {
	t.Helper()
	if req.InteractionID == "" {
		req.InteractionID = "1"
	}
	return f.router.Handle(context.Background(), req).Response
}

func slash(caller User, name string, opts map[string]string) Request {
	return Request{Kind: KindCommand, Caller: caller, Command: name, Options: opts}
}

var (
	alice = User{ID: "200000000000000001", Name: "Alice"}
	bob   = User{ID: "200000000000000002", Name: "Bob"}
)
