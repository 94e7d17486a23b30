package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const (
	// pingTimeout bounds the database check of /healthz.
	pingTimeout = 2 * time.Second
	// probeEvery is how often at most /healthz writes to the database; answers in
	// between repeat the last result, so no request rate turns into a write rate.
	probeEvery = time.Second
	// httpShutdownTimeout is the HTTP server's share of the shutdown budget; it runs
	// alongside the gateway's close.
	httpShutdownTimeout = time.Second
)

// trackGateway follows the gateway connection from discordgo's events, for /healthz and
// the metrics, and counts 429s on every session. discordgo emits Connect after READY or
// RESUMED and Disconnect when the socket closes; Run makes the gateway deliver events in
// order, so the state is whatever the latest of them says.
func (b *Bot) trackGateway() {
	b.gateway.AddHandler(func(*discordgo.Session, *discordgo.Connect) {
		b.gatewayUp.Store(true)
		if b.connects.Add(1) > 1 {
			b.metrics.reconnected()
		}
	})
	b.gateway.AddHandler(func(*discordgo.Session, *discordgo.Ready) { b.gatewayUp.Store(true) })
	b.gateway.AddHandler(func(*discordgo.Session, *discordgo.Resumed) { b.gatewayUp.Store(true) })
	b.gateway.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) { b.gatewayUp.Store(false) })
	// discordgo reports a 429 it waits out itself as an event; those it hands back (the
	// delivery loop's, which retries on its own) are counted where they are handled.
	for _, s := range []*discordgo.Session{b.gateway, b.callbacks, b.dms} {
		s.AddHandler(func(*discordgo.Session, *discordgo.RateLimit) { b.metrics.rateLimited() })
	}
}

// startHTTP listens on http.listen and serves /healthz and /metrics until the returned
// stop is called; stop is bounded by httpShutdownTimeout. With http.listen empty it does nothing.
func (b *Bot) startHTTP() (stop func(), err error) {
	addr := b.cfg.HTTP.Listen
	if addr == "" {
		return func() {}, nil
	}
	ln, err := listen("http.listen", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:           b.httpHandler(),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(b.log.Handler(), slog.LevelWarn),
	}
	b.log.Info("serving health and metrics", "addr", ln.Addr().String())
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		// Allowed (a container, a private network), but whoever reaches it reads the metrics.
		b.log.Warn("http.listen is not a loopback address: /healthz and /metrics are open to other machines; keep them off the public internet",
			"listen", addr, "addr", ln.Addr().String())
	}
	return b.serve(srv, ln, &b.httpAddr, "health and metrics server stopped"), nil
}

// listen opens the TCP listener for setting (its name, for the error) at addr.
func listen(setting, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%s %s: address in use", setting, addr)
	} else if err != nil {
		return nil, fmt.Errorf("%s %s: %w", setting, addr, err)
	}
	return ln, nil
}

// serve runs srv on ln, publishing its address in where while it serves, until the
// returned stop, which is bounded by httpShutdownTimeout: a slow client must not hold up
// shutdown. stopped is logged if the server ends on its own.
func (b *Bot) serve(srv *http.Server, ln net.Listener, where *atomic.Value, stopped string) (stop func()) {
	where.Store(ln.Addr().String())
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			b.log.Error(stopped, "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		<-served
		where.Store("")
	}
}

// httpHandler routes the operations endpoints.
func (b *Bot) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", healthHandler(b.connected, b.store.Ping, b.clock.Now))
	mux.Handle("GET /metrics", promhttp.HandlerFor(b.metrics.registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(b.log.Handler(), slog.LevelWarn),
	}))
	return mux
}

// healthHandler answers 200 "ok" when the gateway is connected and the database answers,
// else 503 with the first reason on one line. The database is probed at most once per
// probeEvery on now's clock.
func healthHandler(connected func() bool, ping func(context.Context) error, now func() time.Time) http.Handler {
	probe := &probeCache{ping: ping, now: now}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		reason := ""
		if !connected() {
			reason = "gateway not connected"
		} else if err := probe.check(); err != nil {
			reason = "database: " + oneLine(err.Error())
		}
		if reason != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, reason)
			return
		}
		fmt.Fprintln(w, "ok")
	})
}

// probeCache keeps the last database probe's result for probeEvery.
type probeCache struct {
	ping func(context.Context) error
	now  func() time.Time
	mu   sync.Mutex // held while probing, so requests meanwhile wait for its result
	at   time.Time  // when the last probe began; zero before the first
	err  error
}

func (p *probeCache) check() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.at.IsZero() || now.Sub(p.at) >= probeEvery || now.Before(p.at) {
		// Not the request's context: the result serves every request of the next second.
		ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
		defer cancel()
		p.err, p.at = p.ping(ctx), now
	}
	return p.err
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
