package bot

import (
	"net/http"
	"testing"
)

type captureRT struct{ got *http.Request }

func (c *captureRT) RoundTrip(r *http.Request) (*http.Response, error) {
	c.got = r
	return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
}

func TestRewriteTransport(t *testing.T) {
	rt := &captureRT{}
	tr, err := newRewriteTransport("http://127.0.0.1:9999/api/v10/", rt)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", "https://discord.com/api/v9/interactions/1/tok/callback?x=1", nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if got := rt.got.URL.String(); got != "http://127.0.0.1:9999/api/v10/interactions/1/tok/callback?x=1" {
		t.Fatalf("rewritten to %s", got)
	}
	other, _ := http.NewRequest("GET", "https://cdn.discordapp.com/x.png", nil)
	tr.RoundTrip(other)
	if rt.got.URL.Host != "cdn.discordapp.com" {
		t.Fatalf("non-API request moved to %s", rt.got.URL)
	}
}
