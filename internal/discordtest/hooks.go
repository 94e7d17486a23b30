package discordtest

import (
	"net/http"
	"strconv"
)

// MessageHook runs when a message is created through POST /channels/{id}/messages, after
// Discord stored it and before the poster has its response: the moment a person may already
// see the message and click on it while the bot still waits to learn its id. The hook may
// call the server (Click, Invoke…); the POST answers when it returns.
type MessageHook func(m Message)

// OnMessageCreate adds a hook for every message created from now on; t.Cleanup removes none.
func (s *Server) OnMessageCreate(h MessageHook) {
	s.mu.Lock()
	s.messageHooks = append(s.messageHooks, h)
	s.mu.Unlock()
}

// createMessageHooked creates a message, then runs the hooks before the response leaves.
// A nonce repeated within its window creates nothing and runs none.
func (s *Server) createMessageHooked(c *call) reply {
	before := s.lastID.Load() // snowflakes only grow: a message with a later id is new
	res := s.createMessage(c)
	if res.status != http.StatusOK {
		return res
	}
	body, _ := res.body.(map[string]any)
	id, _ := body["id"].(string)
	s.mu.Lock()
	hooks := append([]MessageHook(nil), s.messageHooks...)
	m, found := s.messages[id]
	var copied Message
	if found {
		copied = *m
	}
	s.mu.Unlock()
	if n, err := strconv.ParseUint(id, 10, 64); err != nil || n <= before || !found {
		return res
	}
	s.broadcast() // waiters may see the message before its poster does, as on Discord
	for _, h := range hooks {
		h(copied)
	}
	return res
}
