package discordtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// HTTP-interactions mode: instead of writing INTERACTION_CREATE to the gateway, the
// stand-in POSTs each interaction to the bot's Interactions Endpoint URL, signed with its
// own Ed25519 key as Discord signs with the application's, and takes the HTTP response as
// the interaction callback. Every check and view of callbacks (Invoke, WaitCallback,
// WaitReply, Callbacks, ResponseTime…) works as in gateway mode. It also sends Discord's
// webhook events (the Webhook Events URL), signed the same way.

// httpInteractions is the state of the mode; the zero value is gateway mode.
type httpInteractions struct {
	keyOnce sync.Once
	key     ed25519.PrivateKey

	mu  sync.Mutex
	url string // where interactions go; "" is the gateway
}

func (s *Server) signingKey() ed25519.PrivateKey {
	s.hi.keyOnce.Do(func() {
		_, s.hi.key, _ = ed25519.GenerateKey(rand.Reader)
	})
	return s.hi.key
}

// PublicKey is the application's public key as the Developer Portal shows it (64 hex
// characters): what the bot's discord.public_key must be to accept the stand-in's requests.
func (s *Server) PublicKey() string {
	return hex.EncodeToString(s.signingKey().Public().(ed25519.PublicKey))
}

// UseHTTPInteractions sends every interaction dispatched from now on to url (the bot's
// Interactions Endpoint URL) as a signed POST instead of over the gateway; "" goes back
// to the gateway.
func (s *Server) UseHTTPInteractions(url string) {
	s.hi.mu.Lock()
	s.hi.url = url
	s.hi.mu.Unlock()
}

func (s *Server) interactionsURL() string {
	s.hi.mu.Lock()
	defer s.hi.mu.Unlock()
	return s.hi.url
}

// Sign returns the headers Discord sends with body signed at at: X-Signature-Ed25519 (hex)
// over X-Signature-Timestamp (Unix seconds) followed by the body.
func (s *Server) Sign(body []byte, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(s.signingKey(), append([]byte(ts), body...))))
	h.Set("X-Signature-Timestamp", ts)
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Discord-Interactions/1.0 (+https://discord.com)")
	return h
}

// dispatchHTTP records the interaction and POSTs it in the background, as Dispatch
// returns once an event is written to the gateway.
func (s *Server) dispatchHTTP(url string, i Interaction) error {
	body, err := json.Marshal(i.Payload)
	if err != nil {
		return fmt.Errorf("discordtest: encode interaction %s: %w", i.ID, err)
	}
	st, err := s.track(i)
	if err != nil {
		return err
	}
	header := s.Sign(body, s.now())
	go s.postInteraction(url, st, body, header)
	return nil
}

// postInteraction sends one interaction and treats the response as Discord does: 200 with
// an interaction response is the callback, checked like one; 202 says the bot answered by
// the callback endpoint already; anything else, or no answer in time, is a violation.
func (s *Server) postInteraction(url string, st *interactionState, body []byte, header http.Header) {
	wait := defaultWait
	if s.opts.CallbackDeadline > 0 {
		wait = s.opts.CallbackDeadline + time.Second // late answers are the callback check's to report
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	go func() {
		select {
		case <-s.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	where := "POST interaction " + st.ID + " to the interactions endpoint"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		s.violate(where, err.Error())
		return
	}
	req.Header = header
	s.mu.Lock()
	st.sentAt = time.Now()
	s.mu.Unlock()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		select {
		case <-s.closed: // the test is over
		default:
			s.violate(where, "no answer: "+err.Error())
		}
		return
	}
	out, _ := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	res.Body.Close()
	received := time.Now()
	s.mu.Lock()
	st.answerRead = true
	s.mu.Unlock()
	s.broadcast()
	switch res.StatusCode {
	case http.StatusOK:
		time.Sleep(s.opts.AnswerLag) // the stand-in's own processing time, not a wait on the bot
		cb, _ := http.NewRequest(http.MethodPost, "/api/v10/interactions/"+st.ID+"/"+st.Token+"/callback", nil)
		cb.Header.Set("Content-Type", res.Header.Get("Content-Type"))
		// The same checks as a callback by REST; they record any violation themselves.
		s.interactionCallback(&call{r: cb, parts: []string{"interactions", st.ID, st.Token, "callback"}, body: out, received: received})
	case http.StatusAccepted:
		s.mu.Lock()
		answered := st.callback != nil
		s.mu.Unlock()
		if !answered {
			s.violate(where, "202 without a callback by the callback endpoint first")
		}
	default:
		s.violate(where, fmt.Sprintf("the interactions endpoint answered %d to a signed interaction", res.StatusCode))
	}
	s.broadcast()
}

// WaitAnswerRead waits until the bot's HTTP response to the interaction was read, which is
// AnswerLag before the stand-in acts on it.
func (s *Server) WaitAnswerRead(ctx context.Context, interactionID string) error {
	return s.waitFor(ctx, "the HTTP answer to interaction "+interactionID, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.interactions[interactionID]
		return st != nil && st.answerRead
	})
}

// PostSigned POSTs body to url signed at at, as Discord would, and returns the response
// status and body: for tests of what the bot's endpoint accepts.
func (s *Server) PostSigned(ctx context.Context, url string, body []byte, at time.Time) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = s.Sign(body, at)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, out, err
}

// Webhook event types (the outer payload's type).
const (
	WebhookPing  = 0
	WebhookEvent = 1
)

// SendEvent POSTs a webhook event to url (the bot's Webhook Events URL), signed at the
// server clock, and returns the status the bot answered: an event of type typ (e.g.
// "APPLICATION_DEAUTHORIZED") with data, or with typ "" Discord's PING (outer type 0).
func (s *Server) SendEvent(ctx context.Context, url, typ string, data map[string]any) (int, error) {
	p := map[string]any{"version": 1, "application_id": s.opts.AppID, "type": WebhookPing}
	if typ != "" {
		p["type"] = WebhookEvent
		p["event"] = map[string]any{"type": typ, "timestamp": s.now().UTC().Format("2006-01-02T15:04:05.000000"), "data": data}
	}
	body, err := json.Marshal(p)
	if err != nil {
		return 0, err
	}
	status, _, err := s.PostSigned(ctx, url, body, s.now())
	return status, err
}

// Deauthorize sends APPLICATION_DEAUTHORIZED for u: u removed the app.
func (s *Server) Deauthorize(ctx context.Context, url string, u User) (int, error) {
	s.AddUser(u)
	return s.SendEvent(ctx, url, "APPLICATION_DEAUTHORIZED", map[string]any{"user": u.withDefaults().json()})
}
