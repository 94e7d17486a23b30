package discordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Interaction callback (response) types.
const (
	CallbackPong            = 1
	CallbackMessage         = 4
	CallbackDeferredMessage = 5
	CallbackDeferredUpdate  = 6
	CallbackUpdate          = 7
	CallbackAutocomplete    = 8
	CallbackModal           = 9
)

// tokenLifetime is how long an interaction token accepts edits and follow-ups.
const tokenLifetime = 15 * time.Minute

// Choice is one autocomplete result.
type Choice struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// Modal is a modal the bot showed (callback type 9).
type Modal struct {
	CustomID   string      `json:"custom_id"`
	Title      string      `json:"title"`
	Components []Component `json:"components"`
}

// Inputs lists the modal's text inputs in order.
func (m Modal) Inputs() []Component {
	var out []Component
	walkComponents(m.Components, func(c Component) {
		if c.Type == 4 {
			out = append(out, c)
		}
	})
	return out
}

// Callback is the bot's answer to an interaction. MessageContent is what the user sees
// after it: the new reply (4), the "thinking" placeholder (5), the component's message
// (6, 7); WaitReply and Reply merge later edits of the original response into it.
type Callback struct {
	InteractionID string
	Type          int
	MessageContent
	Choices []Choice  // type 8
	Modal   *Modal    // type 9
	Raw     []byte    // the JSON body (payload_json for multipart)
	Files   []File    // files uploaded with the callback, or with the reply and its edits in a merged view
	At      time.Time // server clock
	// Received is the real time the callback request arrived, before it was checked.
	Received time.Time
	Edits    int // edits of the original response merged in

	message *Message
}

// Message is the message this callback created or updated, to click its components on;
// nil for pong, autocomplete and modal callbacks. It keeps the original invoker, so an
// ephemeral reply can only be clicked by them.
func (c Callback) Message() *Message {
	if c.message == nil {
		return nil
	}
	m := *c.message
	return &m
}

// callbackPayload is what the stand-in keeps of an interaction response, decoded in one
// pass after the checker has vetted the body.
type callbackPayload struct {
	Type int `json:"type"`
	Data struct {
		messagePayload
		Choices  []Choice `json:"choices"`   // autocomplete
		CustomID string   `json:"custom_id"` // modal
		Title    string   `json:"title"`     // modal
	} `json:"data"`
}

func (s *Server) interactionCallback(c *call) reply {
	id, token := c.parts[1], c.parts[2]
	where := c.where()
	js, files, err := c.payload()
	if err != nil {
		s.violate(where, err.Error())
		return apiError(http.StatusBadRequest, 50035, "Invalid Form Body")
	}
	obj, err := decodeObject(js)
	if err != nil {
		s.violate(where, "body is not a JSON object")
		return invalidJSON()
	}

	s.mu.Lock()
	st := s.interactions[id]
	var refusal string
	switch {
	case st == nil || st.Token != token:
		refusal = "unknown interaction: never dispatched, or the token does not match"
	case st.callback != nil:
		s.mu.Unlock()
		s.violate(where, "second callback: the interaction was already acknowledged")
		return apiError(http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
	case s.opts.CallbackDeadline > 0 && time.Since(st.dispatchedAt) > s.opts.CallbackDeadline:
		refusal = fmt.Sprintf("answered %v after dispatch; Discord gives up after %v", time.Since(st.dispatchedAt).Round(time.Millisecond), s.opts.CallbackDeadline)
	}
	var itype int
	var fromMessage bool
	if st != nil {
		itype, fromMessage = st.Type, st.source != nil
	}
	s.mu.Unlock()
	if refusal != "" {
		s.violate(where, refusal)
		return apiError(http.StatusNotFound, 10062, "Unknown interaction")
	}
	problems := checkCallbackObject(obj, len(files), itype)
	var p callbackPayload
	if len(problems) == 0 {
		if err := json.Unmarshal(js, &p); err != nil { // a type the checker let through
			problems = append(problems, err.Error())
		}
		p.Data.fields, _ = obj["data"].(map[string]any)
	}
	if itype == InteractionModalSubmit && !fromMessage && (p.Type == CallbackDeferredUpdate || p.Type == CallbackUpdate) {
		problems = append(problems, fmt.Sprintf("type: %d updates a message, but this modal was not opened from one", p.Type))
	}
	if len(problems) > 0 {
		s.violate(where, problems...)
		return formError(problems)
	}

	cb := Callback{InteractionID: id, Type: p.Type, Raw: js, Files: files, At: s.now(), Received: c.received}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.callback != nil { // a concurrent callback won
		return apiError(http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
	}
	s.applyCallbackLocked(st, &cb, p, files)
	st.callback = &cb
	s.callbacks = append(s.callbacks, cb)
	return noContent
}

// applyCallbackLocked makes a checked callback visible: a reply, an updated message, a
// modal. Needs s.mu.
func (s *Server) applyCallbackLocked(st *interactionState, cb *Callback, p callbackPayload, files []File) {
	switch cb.Type {
	case CallbackMessage, CallbackDeferredMessage:
		m := &Message{ID: s.newID(), ChannelID: st.channel, Author: s.BotUser(), Timestamp: s.now(), Interaction: s.metadata(st)}
		if st.Type == InteractionCommand {
			m.Type = 20
		}
		if cb.Type == CallbackMessage {
			m.apply(p.Data.messagePayload)
			s.attachFiles(m, files)
		} else {
			m.Flags = p.Data.Flags&FlagEphemeral | FlagLoading
			st.deferred = true
		}
		s.storeMessageLocked(m)
		st.reply = m
	case CallbackDeferredUpdate, CallbackUpdate:
		m := s.sourceMessageLocked(st)
		if cb.Type == CallbackUpdate {
			s.editLocked(m, p.Data.messagePayload, files)
		} else {
			st.deferred = true
		}
		st.reply = m
	case CallbackAutocomplete:
		cb.Choices = nonNil(p.Data.Choices)
	case CallbackModal:
		m := Modal{CustomID: p.Data.CustomID, Title: p.Data.Title, Components: p.Data.Components}
		cb.Modal = &m
		s.modals[m.CustomID] = m
	}
	if st.reply != nil {
		m := *st.reply
		cb.MessageContent, cb.message = m.MessageContent, &m
	}
}

// sourceMessageLocked is the stored message a component sits on, stored now if the server
// has not seen it (a test-made message). Needs s.mu.
func (s *Server) sourceMessageLocked(st *interactionState) *Message {
	src := st.source
	if src == nil { // a hand-made payload: only the id is known
		src = &Message{ID: s.newID(), ChannelID: st.channel, Author: s.BotUser(), Timestamp: s.now()}
		if raw, ok := st.Payload["message"].(map[string]any); ok {
			if id, ok := raw["id"].(string); ok {
				src.ID = id
			}
		}
	}
	if m, known := s.messages[src.ID]; known {
		return m
	}
	m := *src
	s.messages[m.ID] = &m
	return &m
}

func (s *Server) metadata(st *interactionState) *InteractionMetadata {
	md := &InteractionMetadata{ID: st.ID, Type: st.Type, User: st.user, Name: st.name}
	if st.source != nil {
		md.InteractedMessageID = st.source.ID
	}
	return md
}

// webhookState finds the interaction behind /webhooks/{app}/{token}; needs s.mu.
func (s *Server) webhookState(c *call) (*interactionState, reply, bool) {
	if c.parts[1] != s.opts.AppID {
		return nil, apiError(http.StatusNotFound, 10015, "Unknown Webhook"), false
	}
	st := s.byToken[c.parts[2]]
	if st == nil || s.now().Sub(st.issuedAt) > tokenLifetime {
		return nil, apiError(http.StatusUnauthorized, 50027, "Invalid Webhook Token"), false
	}
	return st, reply{}, true
}

// webhookMessage finds "@original" or a follow-up of an interaction; needs s.mu.
func (s *Server) webhookMessage(c *call) (*interactionState, *Message, reply, bool) {
	st, res, found := s.webhookState(c)
	if !found {
		return nil, nil, res, false
	}
	mid := c.parts[4]
	var m *Message
	switch {
	case mid == "@original":
		m = st.reply
	case slices.Contains(st.followups, mid):
		m = s.messages[mid]
	}
	if m == nil || m.Deleted {
		return nil, nil, apiError(http.StatusNotFound, 10008, "Unknown Message"), false
	}
	return st, m, reply{}, true
}

func (s *Server) getWebhookMessage(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, res, found := s.webhookMessage(c)
	if !found {
		return res
	}
	return ok(m.json(s.opts.AppID))
}

func (s *Server) editWebhookMessage(c *call) reply {
	p, files, res, valid := s.readMessagePayload(c, false)
	if !valid {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, m, res, found := s.webhookMessage(c)
	if !found {
		return res
	}
	s.editLocked(m, p, files)
	if m == st.reply {
		st.deferred = false
		st.edits++
	}
	return ok(m.json(s.opts.AppID))
}

func (s *Server) deleteWebhookMessage(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, res, found := s.webhookMessage(c)
	if !found {
		return res
	}
	m.Deleted = true
	return noContent
}

// followup creates a follow-up message; the first one after a deferred reply fills that
// reply instead, as Discord does.
func (s *Server) followup(c *call) reply {
	p, files, res, valid := s.readMessagePayload(c, true)
	if !valid {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, res, found := s.webhookState(c)
	if !found {
		return res
	}
	if st.callback == nil {
		return apiError(http.StatusNotFound, 10015, "Unknown Webhook")
	}
	var m *Message
	if st.deferred && st.callback.Type == CallbackDeferredMessage {
		m = st.reply
		s.editLocked(m, p, files)
		st.edits++
	} else {
		created := s.messageFromPayload(st.channel, p, files)
		created.Interaction = s.metadata(st)
		created.Type = 19
		s.storeMessageLocked(created)
		st.followups = append(st.followups, created.ID)
		m = created
	}
	st.deferred = false // the user sees an answer now
	if c.r.URL.Query().Get("wait") != "true" {
		return noContent
	}
	return ok(m.json(s.opts.AppID))
}

// WaitCallback waits for the bot's first callback to an interaction.
func (s *Server) WaitCallback(ctx context.Context, interactionID string) (Callback, error) {
	var cb Callback
	err := s.waitFor(ctx, "callback to interaction "+interactionID, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.interactions[interactionID]
		if st == nil || st.callback == nil {
			return false
		}
		cb = *st.callback
		return true
	})
	return cb, err
}

// WaitReply waits until the interaction's answer is visible: a callback other than a
// deferral, or a deferral (5 or 6) followed by an edit of the original response or a
// follow-up. It returns the callback merged with every edit of the original response so
// far; follow-ups that did not fill a deferred reply are in Followups.
func (s *Server) WaitReply(ctx context.Context, interactionID string) (Callback, error) {
	var cb Callback
	err := s.waitFor(ctx, "reply to interaction "+interactionID, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.interactions[interactionID]
		if st == nil || st.callback == nil || st.deferred {
			return false
		}
		cb = s.replyViewLocked(st)
		return true
	})
	return cb, err
}

// Reply returns the interaction's callback merged with edits so far, if it was answered.
func (s *Server) Reply(interactionID string) (Callback, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[interactionID]
	if st == nil || st.callback == nil {
		return Callback{}, false
	}
	return s.replyViewLocked(st), true
}

func (s *Server) replyViewLocked(st *interactionState) Callback {
	cb := *st.callback
	if st.reply != nil {
		m := *st.reply
		cb.MessageContent, cb.Files, cb.message = m.MessageContent, m.Files, &m
	}
	cb.Edits = st.edits
	return cb
}

// Callbacks lists every accepted callback in arrival order, as first sent.
func (s *Server) Callbacks() []Callback {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.callbacks)
}

// Followups lists the follow-up messages of an interaction, oldest first.
func (s *Server) Followups(interactionID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[interactionID]
	if st == nil {
		return nil
	}
	var out []Message
	for _, id := range st.followups {
		out = append(out, *s.messages[id])
	}
	return out
}
