// Package bot is everything that talks to Discord: the gateway session and its REST
// clients (transport, rate limits, token-free logs), the one door every interaction goes
// through (Respond: Discord's JSON to the router and back, deferring slow answers),
// command registration, check-in delivery with its DM pacing, the health and metrics
// server, the invite link, the encryption key file, and the configuration with its defaults.
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
	clock  Clock

	// gateway receives events. callbacks answers interactions and dms sends direct messages:
	// each has its own discordgo rate limiter, so DM pacing or a global 429 on DMs can never
	// hold back an interaction callback (those are outside Discord's global limit).
	gateway   *discordgo.Session
	callbacks *discordgo.Session
	dms       *discordgo.Session

	dmCache  dmChannels
	pacer    *pacer
	delivery *delivery
	metrics  *metrics
	appID    atomic.Value // string
	httpAddr atomic.Value // string: where /healthz and /metrics listen
	// interactionsAddr is where the HTTP interactions endpoint listens (string).
	interactionsAddr atomic.Value
	gatewayUp        atomic.Bool
	// senderActive is set while this process holds the sender lock and runs delivery.
	senderActive atomic.Bool
	connects     atomic.Int64 // gateway connections so far; more than one means reconnects
	registered   sync.Once
	inflight     sync.WaitGroup
	// deferAfter is how long a handler may run before the interaction is deferred.
	deferAfter time.Duration
	// retryBase is the first retry delay of a failed delivery; tests shorten it.
	retryBase time.Duration
}

// Options are the parts main wires into a Bot.
type Options struct {
	Config  Config
	Store   *storage.DB
	Content *content.Library
	Log     *slog.Logger
	Clock   Clock             // nil: RealClock
	HTTP    http.RoundTripper // nil: NewTransport()
	Version string
}

// New prepares a bot; nothing is sent until Run.
func New(o Options) (*Bot, error) {
	if err := o.Config.RequireToken(); err != nil {
		return nil, err
	}
	if o.Content == nil {
		return nil, errors.New("bot: no guidance texts (Options.Content)")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	b := &Bot{cfg: o.Config, log: o.Log, store: o.Store, clock: o.Clock, deferAfter: 2 * time.Second, retryBase: time.Second,
		pacer: newPacer(dmRatePerSec, o.Clock)}
	b.delivery = newDelivery(b)
	b.metrics = newMetrics(b.gatewayUp.Load, b.senderActive.Load)
	b.appID.Store(o.Config.Discord.ApplicationID)
	if o.HTTP == nil {
		o.HTTP = NewTransport() // one for the three sessions, so that they share connections
	}
	var err error
	if b.gateway, err = NewSession(o.Config, o.HTTP); err != nil {
		return nil, err
	}
	if b.callbacks, err = NewSession(o.Config, o.HTTP); err != nil {
		return nil, err
	}
	if b.dms, err = NewSession(o.Config, o.HTTP); err != nil {
		return nil, err
	}
	// The gateway's cache of servers (filled by GUILD_CREATE) is where server names come from.
	b.gateway.StateEnabled = true
	// Only non-privileged intents: guild create/delete events, nothing about messages.
	b.gateway.Identify.Intents = discordgo.IntentsGuilds
	b.router = commands.NewRouter(commands.Deps{
		Content:   o.Content,
		Store:     o.Store,
		Clock:     o.Clock.Now,
		Wait:      func(ctx context.Context, d time.Duration) { sleepCtx(ctx, o.Clock, d) },
		DM:        b,
		Wake:      b.checkInsScheduled,
		Answered:  b.metrics.answered,
		GuildName: b.guildName,
		Log:       o.Log,
		Limits: commands.Limits{
			InvitationsPerDay:        o.Config.CheckIns.InvitationsPerDay,
			InvitationTTL:            time.Duration(o.Config.CheckIns.InvitationTTLHours) * time.Hour,
			CheckInsPerPartnerPerDay: o.Config.CheckIns.PerPartnerPerDay,
		},
		RetentionDays: o.Config.Storage.RetentionDays,
		Version:       o.Version,
	})
	b.router.Use(b.metrics.middleware)
	return b, nil
}

// guildName is the commands' GuildName: from the gateway's cache, else asked of Discord;
// "" when neither knows it (e.g. a server the bot is not in).
func (b *Bot) guildName(ctx context.Context, guildID string) string {
	if g, err := b.gateway.State.Guild(guildID); err == nil && g.Name != "" {
		return g.Name
	}
	g, err := b.gateway.Guild(guildID, discordgo.WithContext(ctx))
	if err != nil {
		b.log.Debug("look up server name", "guild", guildID, "err", err)
		return ""
	}
	return g.Name
}

// checkInsScheduled is the commands' Wake: /checkin send stored check-ins. The sender may
// be another replica: NOTIFY wakes it (on SQLite that does nothing; the loop is ours).
func (b *Bot) checkInsScheduled() {
	b.metrics.scheduled()
	b.delivery.Wake()
	if b.senderActive.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	if err := b.store.NotifyScheduled(ctx); err != nil {
		// The sender still finds the check-in at its next look, within the idle recheck.
		b.storeFailed(b.log, "wake the sender", err)
	}
}

// notifyTimeout bounds the NOTIFY that wakes the sender, inside an interaction's answer.
const notifyTimeout = 2 * time.Second

// storeFailed logs a failed database operation of the bot at error level and counts it.
// A cancelled context (shutting down) is not the database's failure: it is not counted,
// and logged at debug level only, so that a clean stop leaves no errors in the log.
func (b *Bot) storeFailed(log *slog.Logger, msg string, err error, attrs ...any) {
	attrs = append([]any{"err", err}, attrs...)
	if errors.Is(err, context.Canceled) {
		log.Debug(msg, attrs...)
		return
	}
	b.metrics.databaseFailed()
	log.Error(msg, attrs...)
}

// NewSession is a discordgo session set up as the bot sets up its own: every REST call,
// the gateway lookup included, goes to cfg's discord.api_base through rt (nil: a new
// NewTransport), with cfg's timeout, and no state cache.
func NewSession(cfg Config, rt http.RoundTripper) (*discordgo.Session, error) {
	if rt == nil {
		rt = NewTransport()
	}
	s, err := discordgo.New("Bot " + cfg.Discord.Token)
	if err != nil {
		return nil, fmt.Errorf("create discord session: %w", err)
	}
	t, err := newRewriteTransport(cfg.Discord.APIBase, rt)
	if err != nil {
		return nil, err
	}
	timeout := time.Duration(cfg.Discord.HTTPTimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = time.Duration(DefaultConfig().Discord.HTTPTimeoutSeconds) * time.Second // a Config built by hand: never unbounded
	}
	s.Client = &http.Client{Transport: t, Timeout: timeout}
	s.StateEnabled = false
	s.LogLevel = discordgo.LogWarning
	return s, nil
}

// Run connects to the gateway and serves until ctx ends, then shuts down cleanly. With
// http.listen set it also serves /healthz and /metrics; a busy address is an error here,
// before connecting.
func (b *Bot) Run(ctx context.Context) error {
	stopHTTP, err := b.startHTTP()
	if err != nil {
		return err
	}
	// Events are handled in the order they arrive, so that the connection state follows
	// the last Connect or Disconnect; every handler below that does real work starts its
	// own goroutine, so none holds up the gateway.
	b.gateway.SyncEvents = true
	b.trackGateway()
	ready := make(chan struct{})
	var readyOnce sync.Once
	b.gateway.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
		if r.Application != nil && b.applicationID() == "" {
			b.appID.Store(r.Application.ID)
		}
		b.log.Info("connected to Discord", "bot_user", r.User.ID, "application", b.applicationID())
		readyOnce.Do(func() {
			if id := b.applicationID(); id != "" { // once: reconnects need no second link
				b.log.Info("add the bot to a server with this link", "url", InviteURL(id))
			}
			close(ready)
		})
		go b.registerCommands(ctx)
	})
	b.gateway.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
		b.inflight.Add(1)
		go func() {
			defer b.inflight.Done()
			b.dispatch(ctx, ic.Interaction)
		}()
	})
	b.gateway.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildDelete) {
		if g.Guild == nil || g.Unavailable {
			return // an outage, not a removal
		}
		b.inflight.Add(1)
		go func() {
			defer b.inflight.Done()
			if err := b.store.DeleteGuild(ctx, g.ID); err != nil {
				b.storeFailed(b.log, "forget server settings", err, "guild", g.ID)
				return
			}
			b.log.Info("removed from a server; its settings are deleted", "guild", g.ID)
		}()
	})
	stopInteractions, err := b.startInteractions(ctx)
	if err != nil {
		stopHTTP()
		return err
	}
	if b.cfg.Discord.Gateway {
		if err := b.gateway.Open(); err != nil {
			stopInteractions()
			stopHTTP()
			return fmt.Errorf("connect to the Discord gateway at %s: %w", b.cfg.Discord.APIBase, err)
		}
	} else {
		go b.registerWithoutGateway(ctx)
	}
	var background sync.WaitGroup
	background.Add(2)
	go func() { defer background.Done(); b.senderLoop(ctx) }()
	go func() { defer background.Done(); b.purgeLoop(ctx) }()

	<-ctx.Done()
	b.log.Info("shutting down")
	stopInteractions() // first: nothing new may start with the context ended
	httpStopped := make(chan struct{})
	go func() { defer close(httpStopped); stopHTTP() }()
	closeErr := b.gateway.Close()
	waitTimeout(&b.inflight, 3*time.Second)
	waitTimeout(&background, time.Second)
	<-httpStopped // bounded by httpShutdownTimeout, and long done by now
	if closeErr != nil && !errors.Is(closeErr, discordgo.ErrWSNotFound) {
		return fmt.Errorf("close gateway: %w", closeErr)
	}
	return nil
}

// registerCommands registers the commands once per run, if they changed.
func (b *Bot) registerCommands(ctx context.Context) {
	b.registered.Do(func() {
		err := b.syncCommands(ctx, false)
		switch {
		case err == nil:
		case ctx.Err() != nil: // stopped mid-way, not a failure: the next start checks again
			b.log.Info("register commands: stopped by shutdown", "err", err)
		default:
			b.log.Error("register commands", "err", err)
		}
	})
}

// connected is the health check's view of the connection: the gateway's, or always true
// when the bot runs on HTTP interactions alone.
func (b *Bot) connected() bool { return !b.cfg.Discord.Gateway || b.gatewayUp.Load() }

func (b *Bot) applicationID() string {
	id, _ := b.appID.Load().(string)
	return id
}

// waitTimeout waits for wg, but no longer than d, so shutdown stays bounded. It waits on
// the wall clock, not the bot's Clock: the bound is a promise to whoever stops the process
// (systemd, a container runtime), who counts real seconds.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// purgeEvery is how often purgeLoop looks for records past their retention.
const purgeEvery = 6 * time.Hour

// purgeLoop deletes finished check-ins and closed invitations past their retention, at
// start and then every purgeEvery.
func (b *Bot) purgeLoop(ctx context.Context) {
	keep := time.Duration(b.cfg.Storage.RetentionDays) * 24 * time.Hour
	for {
		if n, err := b.store.Purge(ctx, b.clock.Now(), keep); err != nil {
			if ctx.Err() == nil {
				b.storeFailed(b.log, "purge old records", err)
			}
		} else if n > 0 {
			b.log.Info("purged old records", "count", n)
		}
		sleepCtx(ctx, b.clock, purgeEvery)
		if ctx.Err() != nil {
			return
		}
	}
}
