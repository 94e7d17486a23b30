package discordtest

import (
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

func TestResetNextDropsTheConnectionWithoutActing(t *testing.T) {
	srv := New(t, Options{Token: testToken})
	srv.ResetNext("POST /channels/*/messages", 1)
	path := "/channels/" + DefaultChannelID + "/messages"
	body := `{"content":"hi","allowed_mentions":{"parse":[]}}`
	req, _ := http.NewRequest("POST", srv.APIBase()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bot "+testToken)
	req.Header.Set("Content-Type", "application/json")
	_, err := http.DefaultClient.Do(req)
	if err == nil || !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reset request: err %v, want connection reset", err)
	}
	if got := srv.RequestsTo("POST /channels/*/messages"); len(got) != 1 || got[0].Status != 0 {
		t.Fatalf("recorded %+v, want one request with no status", got)
	}
	if n := srv.MessageCount(); n != 0 {
		t.Fatalf("the reset request created %d message(s)", n)
	}
	// Only n requests: the next one is handled.
	if resp := rawRequest(t, srv, "POST", path, body); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the reset: status %d", resp.StatusCode)
	}
}
