package discordtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Request is one REST call as the server received it.
type Request struct {
	Method string
	Path   string // without the /api/vN prefix, e.g. "/channels/1/messages"
	Query  string
	Route  string      // the matched route, e.g. "POST /channels/*/messages"; empty if unknown
	Header http.Header // without Authorization
	Body   []byte
	Status int       // the status the server answered
	At     time.Time // server clock
}

// Fault is a canned failure answered instead of handling a request.
type Fault struct {
	Status  int    // e.g. 500, 502, 503, 429, 403
	Code    int    // Discord JSON error code; 0 for plain HTTP errors
	Message string // defaults to the HTTP status text
	// RetryAfter (429 only) defaults to 100 ms; Global makes it a global-scope 429.
	RetryAfter time.Duration
	Global     bool
	// Reset drops the connection instead of answering (see ResetNext); Status is unused.
	Reset bool
}

type fault struct {
	pattern string
	left    int
	f       Fault
}

// route is one row of the REST routing table.
type route struct {
	method, pattern string
	handle          func(*Server, *call) reply
	public          bool // token in the URL, no bot token needed
	noGlobal        bool // outside the global rate limit (interaction endpoints)
	major           int  // path segment holding the top-level resource id for buckets; -1 none
	limit           int  // requests per second in one bucket
}

// name is the route as FailNext and Request.Route spell it, e.g. "POST /channels/*/messages".
func (rt *route) name() string { return rt.method + " " + rt.pattern }

// call is a request in flight.
type call struct {
	r        *http.Request
	route    *route
	parts    []string // path segments, e.g. ["channels", "1", "messages"]
	body     []byte
	received time.Time // real time, once the body was read
}

// where names the call for violation reports, with interaction tokens left out.
func (c *call) where() string {
	parts := slices.Clone(c.parts)
	if len(parts) >= 3 && (parts[0] == "webhooks" || parts[0] == "interactions") {
		parts[2] = "{token}"
	}
	return c.r.Method + " /" + strings.Join(parts, "/")
}

// reply is what a handler answers; a nil body means 204 No Content.
type reply struct {
	status int
	body   any
	reset  bool // answer nothing: reset the connection (an injected Fault.Reset)
}

func ok(body any) reply { return reply{status: http.StatusOK, body: body} }

var noContent = reply{status: http.StatusNoContent}

// apiError is Discord's JSON error body.
func apiError(status, code int, message string) reply {
	return reply{status: status, body: map[string]any{"code": code, "message": message}}
}

// formError is Discord's 50035 answer to a payload that breaks a rule.
func formError(problems []string) reply {
	return reply{status: http.StatusBadRequest, body: map[string]any{
		"code":    50035,
		"message": "Invalid Form Body",
		"errors":  map[string]any{"_errors": problems},
	}}
}

const (
	messageBucketLimit = 5  // per channel per second, enforced
	defaultBucketLimit = 50 // everything else, per top-level resource per second
)

// routes is the REST surface, matched in order; "*" matches one path segment.
var routes = []route{
	{method: "GET", pattern: "/gateway", handle: (*Server).getGateway, public: true, major: -1},
	{method: "GET", pattern: "/gateway/bot", handle: (*Server).getGatewayBot, major: -1},
	{method: "GET", pattern: "/users/@me", handle: (*Server).getMe, major: -1},
	{method: "POST", pattern: "/users/@me/channels", handle: (*Server).openDM, major: -1},
	{method: "GET", pattern: "/users/*", handle: (*Server).getUser, major: -1},
	{method: "GET", pattern: "/applications/@me", handle: (*Server).getApplication, major: -1},
	{method: "GET", pattern: "/oauth2/applications/@me", handle: (*Server).getApplication, major: -1},
	{method: "GET", pattern: "/applications/*/commands", handle: (*Server).listCommands, major: -1},
	{method: "PUT", pattern: "/applications/*/commands", handle: (*Server).overwriteCommands, major: -1},
	{method: "POST", pattern: "/applications/*/commands", handle: (*Server).createCommand, major: -1},
	{method: "DELETE", pattern: "/applications/*/commands/*", handle: (*Server).deleteCommand, major: -1},
	{method: "GET", pattern: "/applications/*/guilds/*/commands", handle: (*Server).listCommands, major: 3},
	{method: "PUT", pattern: "/applications/*/guilds/*/commands", handle: (*Server).overwriteCommands, major: 3},
	{method: "POST", pattern: "/applications/*/guilds/*/commands", handle: (*Server).createCommand, major: 3},
	{method: "DELETE", pattern: "/applications/*/guilds/*/commands/*", handle: (*Server).deleteCommand, major: 3},
	{method: "POST", pattern: "/interactions/*/*/callback", handle: (*Server).interactionCallback, public: true, noGlobal: true, major: 1},
	{method: "GET", pattern: "/webhooks/*/*/messages/*", handle: (*Server).getWebhookMessage, public: true, noGlobal: true, major: 2},
	{method: "PATCH", pattern: "/webhooks/*/*/messages/*", handle: (*Server).editWebhookMessage, public: true, noGlobal: true, major: 2},
	{method: "DELETE", pattern: "/webhooks/*/*/messages/*", handle: (*Server).deleteWebhookMessage, public: true, noGlobal: true, major: 2},
	{method: "POST", pattern: "/webhooks/*/*", handle: (*Server).followup, public: true, noGlobal: true, major: 2},
	{method: "GET", pattern: "/channels/*", handle: (*Server).getChannel, major: 1},
	{method: "POST", pattern: "/channels/*/messages", handle: (*Server).createMessageHooked, major: 1, limit: messageBucketLimit},
	{method: "GET", pattern: "/channels/*/messages/*", handle: (*Server).getMessage, major: 1},
	{method: "PATCH", pattern: "/channels/*/messages/*", handle: (*Server).editMessage, major: 1, limit: messageBucketLimit},
	{method: "DELETE", pattern: "/channels/*/messages/*", handle: (*Server).deleteMessage, major: 1},
}

var apiPrefix = regexp.MustCompile(`^/api(/v[0-9]+)?(/|$)`)

// splitPath cuts a path into its segments without empty ones.
func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
}

// matchPattern reports whether "METHOD /a/*/b" (or a bare path pattern, any method) matches.
func matchPattern(pattern, method string, parts []string) bool {
	pm, pp, hasMethod := strings.Cut(pattern, " ")
	if !hasMethod {
		pp, pm = pm, ""
	}
	if pm != "" && pm != "*" && !strings.EqualFold(pm, method) {
		return false
	}
	want := splitPath(pp)
	if len(want) != len(parts) {
		return false
	}
	for i, w := range want {
		if w != "*" && w != parts[i] {
			return false
		}
	}
	return true
}

// findRoute returns the route for a request and whether the path exists under another method.
func findRoute(method string, parts []string) (rt *route, otherMethod bool) {
	for i := range routes {
		if !matchPattern(routes[i].pattern, "", parts) {
			continue
		}
		if routes[i].method == method {
			return &routes[i], false
		}
		otherMethod = true
	}
	return nil, otherMethod
}

// serveHTTP answers REST calls under /api[/vN]/ and the gateway websocket at /ws.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws" || r.URL.Path == "/ws/" {
		s.serveGateway(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	received := time.Now()
	rec := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.RawQuery,
		Header: r.Header.Clone(),
		Body:   body,
		At:     s.now(),
	}
	rec.Header.Del("Authorization")

	var res reply
	var rt *route
	var parts []string
	if loc := apiPrefix.FindStringIndex(r.URL.Path); loc != nil {
		rec.Path = "/" + r.URL.Path[loc[1]:]
		parts = splitPath(rec.Path)
		var other bool
		rt, other = findRoute(r.Method, parts)
		if rt == nil && other {
			res = apiError(http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
		}
	}
	if rt == nil && res.status == 0 {
		res = apiError(http.StatusNotFound, 0, "404: Not Found")
	}
	header := w.Header()
	if rt != nil {
		rec.Route = rt.name()
		res = s.serveRoute(&call{r: r, route: rt, parts: parts, body: body, received: received}, header)
	}
	rec.Status = res.status
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	if rt == nil {
		s.unexpected = append(s.unexpected, rec)
	}
	s.mu.Unlock()
	s.broadcast() // every state change happens in a handler; wake the waiters once
	s.delay(r, rec.Method, parts)
	if res.reset {
		resetConnection(w)
		return
	}

	if res.body == nil {
		w.WriteHeader(res.status)
		return
	}
	out, err := json.Marshal(res.body)
	if err != nil {
		out, res.status = []byte(`{"code":0,"message":"stand-in could not encode its answer"}`), http.StatusInternalServerError
	}
	header.Set("Content-Type", "application/json")
	w.WriteHeader(res.status)
	_, _ = w.Write(out)
}

// serveRoute runs auth, injected faults and rate limits, then the handler.
func (s *Server) serveRoute(c *call, header http.Header) reply {
	rt := c.route
	if !rt.public && !s.authorized(c.r.Header.Get("Authorization")) {
		return apiError(http.StatusUnauthorized, 0, "401: Unauthorized")
	}
	if f, hit := s.takeFault(c.r.Method, c.parts); hit {
		return s.faultReply(f, header)
	}
	if !rt.noGlobal && s.opts.GlobalRateLimit > 0 {
		if wait, allowed := s.limiter.allowGlobal(time.Now(), s.opts.GlobalRateLimit); !allowed {
			return s.rateLimited(header, wait, true)
		}
	}
	key := rt.name()
	if rt.major >= 0 && rt.major < len(c.parts) {
		key += " " + c.parts[rt.major]
	}
	state := s.limiter.take(key, rt.name(), orDefault(rt.limit, defaultBucketLimit), time.Now())
	state.write(header)
	if !state.allowed {
		return s.rateLimited(header, state.resetAfter, false)
	}
	return rt.handle(s, c)
}

func (s *Server) authorized(h string) bool {
	token, isBot := strings.CutPrefix(h, "Bot ")
	if !isBot || token == "" {
		return false
	}
	return s.opts.Token == "" || token == s.opts.Token
}

// rateLimited writes Discord's 429 answer and counts it.
func (s *Server) rateLimited(header http.Header, wait time.Duration, global bool) reply {
	wait = max(wait, time.Millisecond)
	s.limiter.countLimited()
	header.Set("Retry-After", fmt.Sprint(int((wait+time.Second-1)/time.Second)))
	scope := "user"
	if global {
		header.Set("X-RateLimit-Global", "true")
		scope = "global"
	}
	header.Set("X-RateLimit-Scope", scope)
	return reply{status: http.StatusTooManyRequests, body: map[string]any{
		"message":     "You are being rate limited.",
		"retry_after": wait.Seconds(),
		"global":      global,
	}}
}

// FailNext answers the next n requests matching route (e.g. "POST /channels/*/messages",
// "*" matches one path segment) with status instead of handling them. A 429 carries a
// retry_after of 100 ms; other statuses carry a JSON error body.
func (s *Server) FailNext(route string, status, n int) {
	s.InjectFault(route, n, Fault{Status: status})
}

// InjectFault answers the next n requests matching route with f instead of handling them.
// Faults are used in the order they were added; an injected fault is not rate limited.
func (s *Server) InjectFault(route string, n int, f Fault) {
	s.mu.Lock()
	s.faults = append(s.faults, &fault{pattern: route, left: n, f: f})
	s.mu.Unlock()
}

func (s *Server) takeFault(method string, parts []string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.left > 0 && matchPattern(f.pattern, method, parts) {
			f.left--
			return f.f, true
		}
	}
	return Fault{}, false
}

func (s *Server) faultReply(f Fault, header http.Header) reply {
	if f.Reset {
		return reply{reset: true}
	}
	if f.Status == http.StatusTooManyRequests {
		wait := f.RetryAfter
		if wait <= 0 {
			wait = 100 * time.Millisecond
		}
		return s.rateLimited(header, wait, f.Global)
	}
	msg := f.Message
	if msg == "" {
		msg = fmt.Sprintf("%d: %s", f.Status, http.StatusText(f.Status))
	}
	return apiError(f.Status, f.Code, msg)
}

// SetLatency delays the answers to requests matching route by d (0 removes it). The
// request takes effect at once; only its answer is late, as when a client times out on a
// slow Discord.
func (s *Server) SetLatency(route string, d time.Duration) {
	s.mu.Lock()
	if d <= 0 {
		delete(s.latencies, route)
	} else {
		s.latencies[route] = d
	}
	s.mu.Unlock()
}

func (s *Server) delay(r *http.Request, method string, parts []string) {
	s.mu.Lock()
	var d time.Duration
	for pattern, l := range s.latencies {
		if matchPattern(pattern, method, parts) {
			d = max(d, l)
		}
	}
	s.mu.Unlock()
	if d == 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	case <-s.closed:
	}
}

// Requests returns every REST request so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestsTo returns the requests whose method and path match route, e.g. "POST /channels/*/messages".
func (s *Server) RequestsTo(route string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if matchPattern(route, r.Method, splitPath(r.Path)) {
			out = append(out, r)
		}
	}
	return out
}

// Unexpected returns requests to routes the stand-in does not know (answered 404 or 405).
func (s *Server) Unexpected() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.unexpected...)
}

// RateLimited counts the 429 answers sent (global, per-route and injected).
func (s *Server) RateLimited() int { return s.limiter.limitedCount() }

// payload returns the JSON body of a call and its files, from application/json or
// multipart/form-data (payload_json plus files[n]).
func (c *call) payload() ([]byte, []File, error) {
	media, params, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if media != "multipart/form-data" {
		return c.body, nil, nil
	}
	mr := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
	var js []byte
	var files []File
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return js, files, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read multipart body: %w", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, fmt.Errorf("read part %q: %w", part.FormName(), err)
		}
		switch name := part.FormName(); {
		case name == "payload_json":
			js = data
		case strings.HasPrefix(name, "files["):
			files = append(files, File{Field: name, Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data})
		default:
			return nil, nil, fmt.Errorf("unexpected multipart field %q", name)
		}
	}
}

// decodeJSON reads a JSON object body; a bad body is answered like Discord does (50109).
func decodeJSON(body []byte, v any) (reply, bool) {
	if err := json.Unmarshal(body, v); err != nil {
		return invalidJSON(), false
	}
	return reply{}, true
}

// invalidJSON is Discord's answer to a body that is not JSON, or not the JSON it expects.
func invalidJSON() reply {
	return apiError(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
}
