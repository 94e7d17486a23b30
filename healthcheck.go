package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/afterglow-bot/afterglow/bot"
)

// healthcheckTimeout bounds one check; /healthz itself gives its database probe 2 s.
const healthcheckTimeout = 5 * time.Second

// healthcheck asks the running bot's /healthz (at http.listen) and fails unless it answers
// 200. It is the container's HEALTHCHECK: the minimal image has no curl or wget.
func healthcheck(ctx context.Context, configPath string, getenv func(string) (string, bool), stdout io.Writer) error {
	cfg, err := bot.LoadConfig(configPath, getenv)
	if err != nil {
		return err
	}
	if cfg.HTTP.Listen == "" {
		return errors.New("http.listen is not set, so there is no /healthz to ask: set it (or AFTERGLOW_HTTP_LISTEN), e.g. 127.0.0.1:9464")
	}
	url := "http://" + dialable(cfg.HTTP.Listen) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	reason := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: %s: %s", url, resp.Status, reason)
	}
	_, err = fmt.Fprintln(stdout, reason)
	return err
}

// dialable turns a listen address into one to connect to: a server listening on every
// interface (":9464", "0.0.0.0:9464", "[::]:9464") is reached on loopback.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen // LoadConfig does not parse it; the request names the problem
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
