package bot

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// HTTP interactions: with interactions.listen set, Discord POSTs every interaction to
// POST /interactions (the Interactions Endpoint URL) and its webhook events to
// POST /events (the Webhook Events URL), each signed with the application's Ed25519 key.
// They are two paths because both payloads use type 1 for different things: a PING
// interaction, and an event.

const (
	interactionsPath = "/interactions"
	eventsPath       = "/events"
	// maxRequestBody bounds what one request may send; an interaction is a few KB.
	maxRequestBody = 1 << 20
	// signatureMaxAge is how far a signed timestamp may be from now, either way: a
	// recorded request cannot be replayed later than this.
	signatureMaxAge = 5 * time.Minute
	// eventTimeout bounds the work for one webhook event; Discord wants its 204 within 3 s.
	eventTimeout = 2 * time.Second
)

// serverTimeouts are the limits that keep a slow or garbage client from holding a
// connection of the interactions server.
type serverTimeouts struct {
	readHeader, read, write, idle time.Duration
	maxHeaderBytes                int
}

// interactionsTimeouts leave room for a handler to run until its deferral (deferAfter)
// before the response is written.
var interactionsTimeouts = serverTimeouts{readHeader: 5 * time.Second, read: 10 * time.Second,
	write: 15 * time.Second, idle: time.Minute, maxHeaderBytes: 64 << 10}

// responder is the transport-free entry point: it runs the handler chain for one
// interaction and calls reply once with the interaction response (or the deferred
// acknowledgement, after which it fills the answer by webhook itself).
type responder interface {
	Respond(ctx context.Context, i *discordgo.Interaction, reply func(ctx context.Context, body []byte, files []*discordgo.File) error)
}

// interactionsEndpoint answers Discord's signed requests.
type interactionsEndpoint struct {
	key     ed25519.PublicKey
	now     func() time.Time
	log     *slog.Logger
	ctx     context.Context // the bot's: a handler outlives its request once it was deferred
	respond responder
	// inflight counts the handlers running, so that shutdown waits for them.
	inflight *sync.WaitGroup
	// withFiles sends a response that carries files to the callback endpoint: Discord
	// documents multipart/form-data there, and only JSON for the HTTP response, to be
	// answered 202 when the callback went by REST.
	withFiles func(ctx context.Context, i *discordgo.Interaction, body []byte, files []*discordgo.File) error
	// userLeft ends the links of a user who removed the app (APPLICATION_DEAUTHORIZED).
	userLeft func(ctx context.Context, userID string) error
}

func (e *interactionsEndpoint) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+interactionsPath, e.serveInteraction)
	mux.HandleFunc("POST "+eventsPath, e.serveEvent)
	return mux
}

var (
	errNoSignature  = errors.New("no signature headers")
	errBadSignature = errors.New("signature does not match")
	errMalformed    = errors.New("malformed signature headers")
	errStale        = errors.New("timestamp too far from now")
)

// verifySignature checks Discord's signature: Ed25519 by key over the timestamp header
// followed by the body, with the timestamp (Unix seconds) within signatureMaxAge of now.
// The signature must be lower-case hex as Discord sends it, so that no other spelling of
// the same bytes passes.
func verifySignature(key ed25519.PublicKey, now time.Time, signature, timestamp string, body []byte) error {
	if signature == "" || timestamp == "" {
		return errNoSignature
	}
	sig, ok := lowerHex(signature)
	if !ok || len(sig) != ed25519.SignatureSize || len(timestamp) > 12 {
		return errMalformed
	}
	for _, c := range []byte(timestamp) {
		if c < '0' || c > '9' {
			return errMalformed
		}
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errMalformed
	}
	if age := now.Sub(time.Unix(secs, 0)); age > signatureMaxAge || age < -signatureMaxAge {
		return errStale
	}
	msg := make([]byte, 0, len(timestamp)+len(body))
	msg = append(append(msg, timestamp...), body...)
	if !ed25519.Verify(key, msg, sig) {
		return errBadSignature
	}
	return nil
}

// lowerHex decodes lower-case hex only.
func lowerHex(s string) ([]byte, bool) {
	if len(s)%2 != 0 {
		return nil, false
	}
	out := make([]byte, len(s)/2)
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := hexDigit(s[i])
		lo, ok2 := hexDigit(s[i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		out[i/2] = hi<<4 | lo
	}
	return out, true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// verified reads a request's body and checks its signature, answering 401 or 413 itself
// when it fails. Nothing of the body is ever logged.
func (e *interactionsEndpoint) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	sig, ts := r.Header.Get("X-Signature-Ed25519"), r.Header.Get("X-Signature-Timestamp")
	if sig == "" || ts == "" {
		e.refuse(w, r, http.StatusUnauthorized, errNoSignature)
		return nil, false
	}
	if r.ContentLength > maxRequestBody {
		e.refuse(w, r, http.StatusRequestEntityTooLarge, errors.New("body too large"))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			e.refuse(w, r, http.StatusRequestEntityTooLarge, errors.New("body too large"))
		} else {
			e.refuse(w, r, http.StatusBadRequest, fmt.Errorf("read body: %w", err))
		}
		return nil, false
	}
	if err := verifySignature(e.key, e.now(), sig, ts, body); err != nil {
		e.refuse(w, r, http.StatusUnauthorized, err)
		return nil, false
	}
	return body, true
}

// refuse answers a request that is not Discord's. Discord itself sends bad signatures now
// and then to check that they are refused, so this logs at debug level only.
func (e *interactionsEndpoint) refuse(w http.ResponseWriter, r *http.Request, status int, why error) {
	e.log.Debug("refused a request to the interactions endpoint", "path", r.URL.Path, "status", status, "why", why)
	http.Error(w, http.StatusText(status), status)
}

// serveInteraction answers PING with PONG and every other interaction with the entry
// point's response, in the HTTP response itself.
func (e *interactionsEndpoint) serveInteraction(w http.ResponseWriter, r *http.Request) {
	body, ok := e.verified(w, r)
	if !ok {
		return
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil {
		e.refuse(w, r, http.StatusBadRequest, errors.New("not an interaction"))
		return
	}
	if i.Type == discordgo.InteractionPing {
		writeJSON(w, []byte(`{"type":1}`))
		return
	}
	type answer struct {
		body    []byte
		files   []*discordgo.File
		written chan error
	}
	answers := make(chan answer)
	finished := make(chan struct{})
	e.inflight.Add(1)
	go func() {
		defer e.inflight.Done()
		defer close(finished)
		// The bot's context, not the request's: after a deferral the handler goes on, and
		// fills its answer by webhook, long after this request was answered.
		e.respond.Respond(e.ctx, &i, func(ctx context.Context, body []byte, files []*discordgo.File) error {
			a := answer{body: body, files: files, written: make(chan error, 1)}
			select {
			case answers <- a:
				return <-a.written
			case <-r.Context().Done():
				return errors.New("the interaction request ended before its answer")
			}
		})
	}()
	select {
	case a := <-answers:
		if len(a.files) == 0 {
			a.written <- writeJSON(w, a.body)
			return
		}
		err := e.withFiles(e.ctx, &i, a.body, a.files)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
		} else {
			w.WriteHeader(http.StatusAccepted) // as Discord asks when the callback went by REST
		}
		a.written <- err
	case <-finished:
		e.log.Warn("interaction ended without a response", "interaction", i.ID)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
	case <-r.Context().Done():
	}
}

func writeJSON(w http.ResponseWriter, body []byte) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, err := w.Write(body)
	return err
}

// webhookEvent is the outer payload of Discord's webhook events.
type webhookEvent struct {
	Type  int `json:"type"` // 0 PING, 1 an event
	Event *struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	} `json:"event"`
}

// webhookTypeEvent is an event; type 0 is Discord's PING, answered 204 like any event.
const webhookTypeEvent = 1

// serveEvent acknowledges Discord's webhook events with 204, and ends the links of a user
// who removed the app. A failure answers 500, so that Discord sends the event again.
func (e *interactionsEndpoint) serveEvent(w http.ResponseWriter, r *http.Request) {
	body, ok := e.verified(w, r)
	if !ok {
		return
	}
	var ev webhookEvent
	if err := json.Unmarshal(body, &ev); err != nil || (ev.Type == webhookTypeEvent && ev.Event == nil) {
		e.refuse(w, r, http.StatusBadRequest, errors.New("not a webhook event"))
		return
	}
	if ev.Type == webhookTypeEvent && ev.Event.Type == "APPLICATION_DEAUTHORIZED" {
		var data struct {
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		}
		if err := json.Unmarshal(ev.Event.Data, &data); err != nil || !isSnowflake(data.User.ID) {
			e.refuse(w, r, http.StatusBadRequest, errors.New("APPLICATION_DEAUTHORIZED without a user id"))
			return
		}
		ctx, cancel := context.WithTimeout(e.ctx, eventTimeout)
		defer cancel()
		if err := e.userLeft(ctx, data.User.ID); err != nil {
			e.log.Error("end the links of a user who removed the app", "err", err) // no user id: logs name no one
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// newInteractionsServer is the HTTP server of the endpoint, with t's limits.
func newInteractionsServer(h http.Handler, t serverTimeouts, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.readHeader,
		ReadTimeout:       t.read,
		WriteTimeout:      t.write,
		IdleTimeout:       t.idle,
		MaxHeaderBytes:    t.maxHeaderBytes,
		// net/http's own complaints (a TLS handshake, a bad request line) are noise from
		// the internet: debug level.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// InteractionsAddr is the address the interactions endpoint listens on while Run serves
// it; empty when interactions.listen is off or the server is not up.
func (b *Bot) InteractionsAddr() string {
	addr, _ := b.interactionsAddr.Load().(string)
	return addr
}

// startInteractions serves the interactions endpoint on interactions.listen until the
// returned stop is called. With interactions.listen empty it does nothing.
func (b *Bot) startInteractions(ctx context.Context) (stop func(), err error) {
	addr := b.cfg.Interactions.Listen
	if addr == "" {
		return func() {}, nil
	}
	key, err := b.cfg.InteractionsKey()
	if err != nil {
		return nil, err
	}
	ln, err := listen("interactions.listen", addr)
	if err != nil {
		return nil, err
	}
	e := &interactionsEndpoint{key: key, now: b.clock.Now, log: b.log, ctx: ctx, respond: b, inflight: &b.inflight,
		withFiles: b.callbackWithFiles,
		userLeft: func(ctx context.Context, userID string) error {
			_, err := b.store.EndUser(ctx, userID, b.clock.Now())
			return err
		},
	}
	srv := newInteractionsServer(e.handler(), interactionsTimeouts, b.log)
	b.log.Info("serving HTTP interactions", "addr", ln.Addr().String(), "interactions", interactionsPath, "events", eventsPath)
	return b.serve(srv, ln, &b.interactionsAddr, "interactions server stopped"), nil
}

// callbackWithFiles sends an interaction response that carries files to the callback
// endpoint, as multipart/form-data.
func (b *Bot) callbackWithFiles(_ context.Context, i *discordgo.Interaction, body []byte, files []*discordgo.File) error {
	if _, err := b.interactionRequest(http.MethodPost, discordgo.EndpointInteractionResponse(i.ID, i.Token), json.RawMessage(body), files); err != nil {
		return fmt.Errorf("interaction callback with files: %w", err)
	}
	return nil
}

// registerWithoutGateway registers the commands when no gateway connection tells the
// application id: it is asked of Discord instead, when not configured.
func (b *Bot) registerWithoutGateway(ctx context.Context) {
	if b.applicationID() == "" {
		if err := b.lookUpApplicationID(ctx); err != nil {
			if ctx.Err() == nil {
				b.log.Error("register commands", "err", err)
			}
			return
		}
	}
	b.log.Info("add the bot to a server with this link", "url", InviteURL(b.applicationID()))
	b.registerCommands(ctx)
}
