package discordtest

import "net/http"

// The routes that tell the bot who it is and where the gateway is.

func (s *Server) getGateway(*call) reply {
	return ok(map[string]any{"url": s.GatewayURL()})
}

func (s *Server) getGatewayBot(*call) reply {
	return ok(map[string]any{
		"url":    s.GatewayURL(),
		"shards": 1,
		"session_start_limit": map[string]any{
			"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1,
		},
	})
}

func (s *Server) getMe(*call) reply { return ok(s.botUserJSON()) }

func (s *Server) getUser(c *call) reply {
	id := c.parts[1]
	s.mu.Lock()
	defer s.mu.Unlock()
	u, known := s.users[id]
	if id == s.opts.BotUserID {
		u, known = s.BotUser(), true
	}
	if !known {
		return apiError(http.StatusNotFound, 10013, "Unknown User")
	}
	return ok(u.json())
}

func (s *Server) getApplication(*call) reply {
	return ok(map[string]any{
		"id":                        s.opts.AppID,
		"name":                      s.opts.BotUsername,
		"icon":                      nil,
		"description":               "",
		"summary":                   "",
		"type":                      nil,
		"bot_public":                true,
		"bot_require_code_grant":    false,
		"verify_key":                "0000000000000000000000000000000000000000000000000000000000000000",
		"flags":                     0,
		"hook":                      true,
		"is_monetized":              false,
		"redirect_uris":             []any{},
		"interactions_endpoint_url": nil,
		"approximate_guild_count":   1,
		"bot":                       s.BotUser().json(),
		"owner":                     User{ID: "100000000000000009", Username: "owner"}.json(),
		"team":                      nil,
		"integration_types_config":  map[string]any{"0": map[string]any{}, "1": map[string]any{}},
	})
}
