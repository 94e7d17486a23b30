package discordtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway opcodes and close codes the stand-in speaks.
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opResume         = 6
	opReconnect      = 7
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatACK   = 11

	closeUnknownOpcode    = 4001
	closeDecodeError      = 4002
	closeNotAuthenticated = 4003
	closeAuthFailed       = 4004
	closeAlreadyAuthed    = 4005
	closeDisallowedIntent = 4014

	// privilegedIntents are GUILD_MEMBERS, GUILD_PRESENCES and MESSAGE_CONTENT, which a bot
	// must enable in the developer portal; the stand-in's bot has none enabled.
	privilegedIntents = 1<<1 | 1<<8 | 1<<15
)

// gateway is the websocket side of the server.
type gateway struct {
	mu         sync.Mutex
	conns      map[*gwConn]bool
	sessions   map[string]*gwSession
	latest     *gwSession // the newest identified session; it receives dispatches
	identifies int
	resumes    int
	noACKs     bool
	closing    bool
	wg         sync.WaitGroup
}

// gwSession is a gateway session: its sequence numbers and every dispatch, for resuming.
type gwSession struct {
	id   string
	seq  int64
	log  []gwEvent
	conn *gwConn // nil while disconnected
	dead bool    // invalidated; cannot be resumed
}

type gwEvent struct {
	seq   int64
	frame []byte
}

// gwConn is one websocket connection.
type gwConn struct {
	ws      *websocket.Conn
	wmu     sync.Mutex
	session *gwSession // set once identified or resumed
	ready   bool       // READY or RESUMED sent on this connection
	beats   int        // heartbeats received since ready
	beatAt  time.Time  // when the last one arrived
}

// frame is a gateway payload.
type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (g *gateway) init() {
	g.conns = map[*gwConn]bool{}
	g.sessions = map[string]*gwSession{}
}

func (c *gwConn) write(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.writeRaw(data)
}

func (c *gwConn) writeRaw(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

// closeWith sends a close frame with code and drops the connection.
func (c *gwConn) closeWith(code int, reason string) {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

func (g *gateway) closeAll() {
	g.mu.Lock()
	g.closing = true
	for c := range g.conns {
		_ = c.ws.Close()
	}
	g.mu.Unlock()
	g.wg.Wait()
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	if enc := r.URL.Query().Get("encoding"); enc != "" && enc != "json" {
		http.Error(w, "the stand-in speaks encoding=json only", http.StatusBadRequest)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade already answered the client
	}
	c := &gwConn{ws: ws}
	g := &s.gw
	g.mu.Lock()
	if g.closing {
		g.mu.Unlock()
		_ = ws.Close()
		return
	}
	g.conns[c] = true
	g.wg.Add(1)
	g.mu.Unlock()
	defer g.wg.Done()
	defer s.forgetConn(c)

	hello := map[string]any{"heartbeat_interval": s.opts.HeartbeatInterval.Milliseconds(), "_trace": []string{`["discordtest-gateway",{"micros":0}]`}}
	if err := c.write(map[string]any{"op": opHello, "d": hello, "s": nil, "t": nil}); err != nil {
		return
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) {
				s.endSession(c) // Discord forgets a session closed with 1000/1001
			}
			return
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			c.closeWith(closeDecodeError, "Decode error")
			return
		}
		if !s.handleFrame(c, f) {
			return
		}
	}
}

// forgetConn detaches a finished connection; its session stays resumable.
func (s *Server) forgetConn(c *gwConn) {
	g := &s.gw
	g.mu.Lock()
	delete(g.conns, c)
	if c.session != nil && c.session.conn == c {
		c.session.conn = nil
	}
	g.mu.Unlock()
	_ = c.ws.Close()
	s.broadcast()
}

func (s *Server) endSession(c *gwConn) {
	g := &s.gw
	g.mu.Lock()
	if c.session != nil {
		c.session.dead = true
	}
	g.mu.Unlock()
}

// handleFrame answers one client payload; false ends the connection.
func (s *Server) handleFrame(c *gwConn, f frame) bool {
	switch f.Op {
	case opHeartbeat:
		s.gw.mu.Lock()
		silent := s.gw.noACKs
		if c.ready {
			c.beats++
			c.beatAt = time.Now()
		}
		s.gw.mu.Unlock()
		if silent {
			return true
		}
		return c.write(map[string]any{"op": opHeartbeatACK, "d": nil, "s": nil, "t": nil}) == nil
	case opIdentify:
		return s.identify(c, f.D)
	case opResume:
		return s.resume(c, f.D)
	case 3, 4, 8: // presence, voice state, request members: accepted and ignored
		s.gw.mu.Lock()
		authed := c.session != nil
		s.gw.mu.Unlock()
		if !authed {
			c.closeWith(closeNotAuthenticated, "Not authenticated.")
			return false
		}
		return true
	default:
		c.closeWith(closeUnknownOpcode, "Unknown opcode.")
		return false
	}
}

func (s *Server) tokenMatches(token string) bool {
	token = strings.TrimPrefix(token, "Bot ")
	return token != "" && (s.opts.Token == "" || token == s.opts.Token)
}

// decodeAuthenticated decodes an IDENTIFY or RESUME payload into d and checks the token it
// carries, closing the connection with Discord's code when either fails.
func (s *Server) decodeAuthenticated(c *gwConn, raw json.RawMessage, d any, token *string) bool {
	if err := json.Unmarshal(raw, d); err != nil {
		c.closeWith(closeDecodeError, "Decode error")
		return false
	}
	if !s.tokenMatches(*token) {
		c.closeWith(closeAuthFailed, "Authentication failed.")
		return false
	}
	return true
}

func (s *Server) identify(c *gwConn, raw json.RawMessage) bool {
	var d struct {
		Token   string `json:"token"`
		Intents int64  `json:"intents"`
	}
	if !s.decodeAuthenticated(c, raw, &d, &d.Token) {
		return false
	}
	if d.Intents&privilegedIntents != 0 {
		s.violate("gateway IDENTIFY", "intents ask for privileged intents (GUILD_MEMBERS, GUILD_PRESENCES or MESSAGE_CONTENT) the bot has not enabled")
		c.closeWith(closeDisallowedIntent, "Disallowed intent(s).")
		return false
	}
	g := &s.gw
	g.mu.Lock()
	if c.session != nil {
		g.mu.Unlock()
		c.closeWith(closeAlreadyAuthed, "Already authenticated.")
		return false
	}
	// A new IDENTIFY means the client gave up its disconnected sessions.
	for id, old := range g.sessions {
		if old.conn == nil {
			delete(g.sessions, id)
		}
	}
	sess := &gwSession{id: randomHex(16), conn: c}
	g.sessions[sess.id] = sess
	g.latest = sess
	g.identifies++
	c.session, c.beats = sess, 0
	sess.seq++
	ready := s.readyPayload(sess.id)
	err := c.write(map[string]any{"op": opDispatch, "t": "READY", "s": sess.seq, "d": ready})
	c.ready = err == nil
	g.mu.Unlock()
	s.broadcast()
	return err == nil
}

func (s *Server) readyPayload(sessionID string) map[string]any {
	return map[string]any{
		"v":                       10,
		"user":                    s.botUserJSON(),
		"user_settings":           map[string]any{},
		"session_type":            "normal",
		"session_id":              sessionID,
		"resume_gateway_url":      s.GatewayURL(),
		"relationships":           []any{},
		"private_channels":        []any{},
		"presences":               []any{},
		"guilds":                  []any{},
		"guild_join_requests":     []any{},
		"geo_ordered_rtc_regions": []string{"rotterdam"},
		"application":             map[string]any{"id": s.opts.AppID, "flags": 0},
		"_trace":                  []string{`["discordtest-gateway",{"micros":0}]`},
	}
}

func (s *Server) botUserJSON() map[string]any {
	u := s.BotUser().json()
	u["verified"] = true
	u["mfa_enabled"] = false
	u["email"] = nil
	return u
}

func (s *Server) resume(c *gwConn, raw json.RawMessage) bool {
	var d struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if !s.decodeAuthenticated(c, raw, &d, &d.Token) {
		return false
	}
	g := &s.gw
	g.mu.Lock()
	defer s.broadcast()
	defer g.mu.Unlock()
	sess := g.sessions[d.SessionID]
	if c.session != nil {
		c.closeWith(closeAlreadyAuthed, "Already authenticated.")
		return false
	}
	if sess == nil || sess.dead {
		return c.write(map[string]any{"op": opInvalidSession, "d": false, "s": nil, "t": nil}) == nil
	}
	if sess.conn != nil && sess.conn != c {
		_ = sess.conn.ws.Close() // the old connection is superseded
		sess.conn.session = nil
	}
	sess.conn, c.session, c.beats = c, sess, 0
	g.resumes++
	for _, ev := range sess.log {
		if ev.seq > d.Seq {
			if c.writeRaw(ev.frame) != nil {
				return false
			}
		}
	}
	sess.seq++
	err := c.write(map[string]any{"op": opDispatch, "t": "RESUMED", "s": sess.seq, "d": map[string]any{"_trace": []string{`["discordtest-gateway",{"micros":0}]`}}})
	c.ready = err == nil
	return err == nil
}

// dispatch sends an event to the newest live session, or keeps it for that session's
// resume while it is disconnected.
func (s *Server) dispatch(ctx context.Context, event string, payload any) (written time.Time, err error) {
	d, err := json.Marshal(payload)
	if err != nil {
		return time.Time{}, err
	}
	name, err := json.Marshal(event)
	if err != nil {
		return time.Time{}, err
	}
	g := &s.gw
	if err := s.waitFor(ctx, "a gateway session to dispatch "+event, s.hasLiveSession); err != nil {
		return time.Time{}, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	sess := g.latest
	if sess == nil || sess.dead {
		return time.Time{}, errors.New("discordtest: the gateway session ended before dispatch")
	}
	sess.seq++
	// Built by hand: marshalling d again inside a map would re-read all of it.
	fr := make([]byte, 0, len(d)+len(name)+40)
	fr = append(fr, `{"op":`...)
	fr = strconv.AppendInt(fr, opDispatch, 10)
	fr = append(append(fr, `,"t":`...), name...)
	fr = strconv.AppendInt(append(fr, `,"s":`...), sess.seq, 10)
	fr = append(append(append(fr, `,"d":`...), d...), '}')
	sess.log = append(sess.log, gwEvent{seq: sess.seq, frame: fr})
	if c := sess.conn; c != nil && c.ready && c.writeRaw(fr) == nil {
		return time.Now(), nil
	}
	return time.Time{}, nil // the event waits in the log for a resume
}

// DispatchEvent sends any other gateway event (op 0, the session's next sequence number),
// e.g. GUILD_DELETE with data {"id": ..., "unavailable": false}, to the newest live session,
// or keeps it for that session's resume. Interactions go through Dispatch, which also
// records them for their callbacks.
func (s *Server) DispatchEvent(ctx context.Context, name string, data any) error {
	switch name {
	case "":
		return errors.New("discordtest: DispatchEvent needs an event name")
	case "INTERACTION_CREATE", "READY", "RESUMED":
		return fmt.Errorf("discordtest: DispatchEvent %s: the stand-in sends that itself (use Dispatch for interactions)", name)
	}
	_, err := s.dispatch(ctx, name, data)
	return err
}

// hasLiveSession reports whether a session exists that can receive (now or on resume) a dispatch.
func (s *Server) hasLiveSession() bool {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	return s.gw.latest != nil && !s.gw.latest.dead
}

// WaitReady waits until a gateway session is connected and has received READY or RESUMED.
func (s *Server) WaitReady(ctx context.Context) error {
	return s.waitFor(ctx, "gateway READY", func() bool {
		s.gw.mu.Lock()
		defer s.gw.mu.Unlock()
		l := s.gw.latest
		return l != nil && !l.dead && l.conn != nil && l.conn.ready
	})
}

// WaitIdentifies waits until the gateway has accepted n IDENTIFY payloads in total.
func (s *Server) WaitIdentifies(ctx context.Context, n int) error {
	return s.waitFor(ctx, "gateway IDENTIFY", func() bool { return s.Identifies() >= n })
}

// WaitResumes waits until the gateway has accepted n RESUME payloads in total.
func (s *Server) WaitResumes(ctx context.Context, n int) error {
	return s.waitFor(ctx, "gateway RESUME", func() bool { return s.Resumes() >= n })
}

// Identifies counts accepted IDENTIFY payloads.
func (s *Server) Identifies() int {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	return s.gw.identifies
}

// Resumes counts accepted RESUME payloads.
func (s *Server) Resumes() int {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	return s.gw.resumes
}

// settle waits (at most settleWait) until every ready connection is between two
// heartbeats. discordgo v0.29.0 holds its lock for a second while closing; a heartbeat
// goroutine caught mid-beat by a disconnect then writes to the dead socket afterwards and
// closes the fresh connection too. Discord never disconnects that precisely, so the
// stand-in does not either.
func (s *Server) settle() {
	quiet := min(s.opts.HeartbeatInterval/4, 50*time.Millisecond)
	calm := func() bool {
		s.gw.mu.Lock()
		defer s.gw.mu.Unlock()
		for c := range s.gw.conns {
			since := time.Since(c.beatAt)
			if c.ready && (c.beats == 0 || since < quiet || since > s.opts.HeartbeatInterval-quiet) {
				return false
			}
		}
		return true
	}
	tick := time.NewTicker(2 * time.Millisecond) // heartbeats arrive on the client's clock: poll briefly
	defer tick.Stop()
	deadline := time.Now().Add(settleWait)
	for !calm() && time.Now().Before(deadline) {
		select {
		case <-tick.C:
		case <-s.closed:
			return
		}
	}
}

// settleWait bounds settle for clients that never heartbeat.
const settleWait = 2 * time.Second

// DropConnections closes every websocket abruptly, without a close frame, once each is
// between heartbeats (see settle). Sessions stay resumable.
func (s *Server) DropConnections() {
	s.settle()
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	for c := range s.gw.conns {
		_ = c.ws.UnderlyingConn().Close()
	}
}

// SendReconnect sends op 7 RECONNECT on every connection that has received READY or
// RESUMED, once each is between heartbeats (see settle).
func (s *Server) SendReconnect() {
	s.settle()
	s.eachReady(func(c *gwConn) {
		_ = c.write(map[string]any{"op": opReconnect, "d": nil, "s": nil, "t": nil})
	})
}

// InvalidateSession sends op 9 INVALID_SESSION with d=resumable on every ready connection.
// A non-resumable session is gone: a later RESUME of it is refused with another op 9.
func (s *Server) InvalidateSession(resumable bool) {
	s.eachReady(func(c *gwConn) {
		if !resumable {
			c.session.dead = true
		}
		c.session.conn = nil
		c.session, c.ready = nil, false
		_ = c.write(map[string]any{"op": opInvalidSession, "d": resumable, "s": nil, "t": nil})
	})
}

// StopHeartbeatACKs makes the gateway ignore heartbeats (true) or answer them again (false).
func (s *Server) StopHeartbeatACKs(stop bool) {
	s.gw.mu.Lock()
	s.gw.noACKs = stop
	s.gw.mu.Unlock()
}

// eachReady runs f under the gateway lock for every ready connection.
func (s *Server) eachReady(f func(*gwConn)) {
	s.gw.mu.Lock()
	for c := range s.gw.conns {
		if c.ready && c.session != nil {
			f(c)
		}
	}
	s.gw.mu.Unlock()
	s.broadcast()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
