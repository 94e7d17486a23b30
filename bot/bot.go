// Package bot is everything that talks to Discord: the session, command registration,
// interaction dispatch, check-in delivery and configuration.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/commands"
	"github.com/afterglow-bot/afterglow/content"
	"github.com/afterglow-bot/afterglow/storage"
)

// Bot is a running Afterglow: one gateway connection and the REST clients around it.
type Bot struct {
	cfg    Config
	log    *slog.Logger
	store  *storage.DB
	router *commands.Router
	clock  commands.Clock

	// gateway receives events. callbacks answers interactions and dms sends direct messages:
	// each has its own discordgo rate limiter, so DM pacing or a global 429 on DMs can never
	// hold back an interaction callback (those are outside Discord's global limit).
	gateway   *discordgo.Session
	callbacks *discordgo.Session
	dms       *discordgo.Session

	dmCache    dmChannels
	appID      atomic.Value // string
	registered sync.Once
	inflight   sync.WaitGroup
	// deferAfter is how long a handler may run before the interaction is deferred.
	deferAfter time.Duration
}

// Options are the parts main wires into a Bot.
type Options struct {
	Config  Config
	Store   *storage.DB
	Content *content.Library
	Log     *slog.Logger
	Clock   commands.Clock    // nil: time.Now
	HTTP    http.RoundTripper // nil: http.DefaultTransport
	Version string
}

// New prepares a bot; nothing is sent until Run.
func New(o Options) (*Bot, error) {
	if err := o.Config.RequireToken(); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	b := &Bot{cfg: o.Config, log: o.Log, store: o.Store, clock: o.Clock, deferAfter: 2 * time.Second}
	b.appID.Store(o.Config.Discord.ApplicationID)
	var err error
	if b.gateway, err = b.newSession(o.HTTP); err != nil {
		return nil, err
	}
	if b.callbacks, err = b.newSession(o.HTTP); err != nil {
		return nil, err
	}
	if b.dms, err = b.newSession(o.HTTP); err != nil {
		return nil, err
	}
	// Only non-privileged intents: guild create/delete events, nothing about messages.
	b.gateway.Identify.Intents = discordgo.IntentsGuilds
	b.router = commands.NewRouter(commands.Deps{
		Content: o.Content,
		Store:   o.Store,
		Clock:   o.Clock,
		DM:      b,
		Log:     o.Log,
		Limits: commands.Limits{
			InvitationsPerDay:        o.Config.CheckIns.InvitationsPerDay,
			InvitationTTL:            time.Duration(o.Config.CheckIns.InvitationTTLHours) * time.Hour,
			CheckInsPerPartnerPerDay: o.Config.CheckIns.PerPartnerPerDay,
		},
		RetentionDays: o.Config.Storage.RetentionDays,
		Version:       o.Version,
	})
	return b, nil
}

func (b *Bot) newSession(rt http.RoundTripper) (*discordgo.Session, error) {
	s, err := discordgo.New("Bot " + b.cfg.Discord.Token)
	if err != nil {
		return nil, fmt.Errorf("create discord session: %w", err)
	}
	t, err := newRewriteTransport(b.cfg.Discord.APIBase, rt)
	if err != nil {
		return nil, err
	}
	s.Client = &http.Client{Transport: t, Timeout: 20 * time.Second}
	s.StateEnabled = false
	s.LogLevel = discordgo.LogWarning
	return s, nil
}

// Router exposes the command router, e.g. for registration.
func (b *Bot) Router() *commands.Router { return b.router }

// Run connects to the gateway and serves until ctx ends, then shuts down cleanly.
func (b *Bot) Run(ctx context.Context) error {
	ready := make(chan struct{})
	var readyOnce sync.Once
	b.gateway.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
		if r.Application != nil && b.applicationID() == "" {
			b.appID.Store(r.Application.ID)
		}
		b.log.Info("connected to Discord", "bot_user", r.User.ID, "application", b.applicationID())
		readyOnce.Do(func() { close(ready) })
		b.registered.Do(func() {
			if err := b.syncCommands(ctx, false); err != nil {
				b.log.Error("register commands", "err", err)
			}
		})
	})
	b.gateway.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
		b.inflight.Add(1)
		defer b.inflight.Done()
		b.dispatch(ctx, ic.Interaction)
	})
	if err := b.gateway.Open(); err != nil {
		return fmt.Errorf("connect to the Discord gateway at %s: %w", b.cfg.Discord.APIBase, err)
	}
	<-ctx.Done()
	b.log.Info("shutting down")
	closeErr := b.gateway.Close()
	waitTimeout(&b.inflight, 3*time.Second)
	if closeErr != nil && !errors.Is(closeErr, discordgo.ErrWSNotFound) {
		return fmt.Errorf("close gateway: %w", closeErr)
	}
	return nil
}

func (b *Bot) applicationID() string {
	id, _ := b.appID.Load().(string)
	return id
}

// waitTimeout waits for wg, but no longer than d, so shutdown stays bounded.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}
