package bot

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/afterglow-bot/afterglow/commands"
	"github.com/afterglow-bot/afterglow/storage"
)

// unknownLabel stands for any command or route the bot does not know, so a label never
// holds something a client made up.
const unknownLabel = "unknown"

// metrics counts what the bot does, in a Prometheus registry of its own: tests run many
// bots in one process, and nothing here is global. Labels never hold a user id or text.
type metrics struct {
	registry *prometheus.Registry

	interactions   *prometheus.CounterVec
	handlerLatency *prometheus.HistogramVec
	schedulings    prometheus.Counter
	checkins       *prometheus.CounterVec
	lateness       prometheus.Histogram
	rateLimits     prometheus.Counter
	reconnects     prometheus.Counter
	databaseErrors prometheus.Counter
}

// newMetrics registers every metric; connected reports the gateway state and sender
// whether this process runs the delivery loop, at each scrape.
func newMetrics(connected, sender func() bool) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		interactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "afterglow_interactions_total",
			Help: "Interactions answered, by command name or component route, kind and outcome (ok, error, panic).",
		}, []string{"command", "kind", "outcome"}),
		handlerLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "afterglow_interaction_handler_seconds",
			Help:    "Time from receiving an interaction to its handler's answer, by kind.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5, 10},
		}, []string{"kind"}),
		schedulings: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "afterglow_checkin_schedulings_total",
			Help: "/checkin send requests that stored check-ins (a series with follow-ups counts once).",
		}),
		checkins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "afterglow_checkins_total",
			Help: "Check-ins by outcome: sent, answered, failed, undeliverable, dropped.",
		}, []string{"outcome"}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "afterglow_checkin_delivery_lateness_seconds",
			Help:    "How long after its due time a check-in DM was sent.",
			Buckets: []float64{.1, .5, 1, 2, 5, 10, 30, 60, 300, 600, 3600, 6 * 3600, 24 * 3600, 72 * 3600},
		}),
		rateLimits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "afterglow_discord_rate_limited_total",
			Help: "REST responses with status 429 from Discord.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "afterglow_gateway_reconnects_total",
			Help: "Gateway connections made after the first one.",
		}),
		databaseErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "afterglow_database_errors_total",
			Help: "Database operations of the bot itself that failed.",
		}),
	}
	gatewayUp := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "afterglow_gateway_connected",
		Help: "1 while the gateway connection is up, else 0.",
	}, func() float64 {
		if connected() {
			return 1
		}
		return 0
	})
	senderActive := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "afterglow_sender_active",
		Help: "1 while this process holds the sender lock and delivers check-ins, else 0 (another replica delivers).",
	}, func() float64 {
		if sender() {
			return 1
		}
		return 0
	})
	m.registry.MustRegister(m.interactions, m.handlerLatency, m.schedulings, m.checkins, m.lateness,
		m.rateLimits, m.reconnects, m.databaseErrors, gatewayUp, senderActive,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Outcomes that have not happened yet still show, as 0, so dashboards and alerts see them.
	for _, s := range []storage.CheckInStatus{storage.StatusSent, storage.StatusAnswered, storage.StatusFailed, storage.StatusUndeliverable, storage.StatusDropped} {
		m.checkins.WithLabelValues(string(s))
	}
	return m
}

// middleware counts every interaction the router answers, by route, kind and outcome, and
// times its handler. It runs inside the router's recover, so a panic is counted as one;
// it counts before the answer goes out, so whoever sees the answer sees the count.
func (m *metrics) middleware(next commands.Handler) commands.Handler {
	return func(ctx context.Context, req commands.Request) commands.Result {
		start := time.Now()
		returned := false
		defer func() {
			if !returned { // panicking: the recover further out answers
				m.interaction(req, commands.Panicked, time.Since(start))
			}
		}()
		res := next(ctx, req)
		returned = true
		m.interaction(req, res.Outcome, time.Since(start))
		return res
	}
}

// interaction records one answered interaction and how long its handler took.
func (m *metrics) interaction(req commands.Request, o commands.Outcome, took time.Duration) {
	kind := kindLabel(req.Kind)
	m.interactions.WithLabelValues(nameLabel(req), kind, outcomeLabel(o)).Inc()
	m.handlerLatency.WithLabelValues(kind).Observe(took.Seconds())
}

// nameLabel is the command name or component route the router matched for req, or
// "unknown": only the router's own routes become labels, never one a client made up.
func nameLabel(req commands.Request) string {
	if name := req.RouteName(); name != "" {
		return name
	}
	return unknownLabel
}

// outcomeLabel spells an outcome as the outcome label always has: ok, error or panic.
func outcomeLabel(o commands.Outcome) string {
	switch o {
	case commands.Failed, commands.Refused:
		return "error"
	case commands.Panicked:
		return "panic"
	}
	return "ok" // answered, or no such route: the person got a kind answer
}

func kindLabel(k commands.Kind) string {
	switch k {
	case commands.KindCommand:
		return "command"
	case commands.KindAutocomplete:
		return "autocomplete"
	case commands.KindComponent:
		return "component"
	case commands.KindModal:
		return "modal"
	}
	return unknownLabel
}

func (m *metrics) scheduled() { m.schedulings.Inc() }
func (m *metrics) answered()  { m.checkins.WithLabelValues(string(storage.StatusAnswered)).Inc() }

// sent counts a delivered check-in and how late it went out.
func (m *metrics) sent(late time.Duration) {
	m.checkins.WithLabelValues(string(storage.StatusSent)).Inc()
	m.lateness.Observe(max(late, 0).Seconds())
}

func (m *metrics) rateLimited()    { m.rateLimits.Inc() }
func (m *metrics) reconnected()    { m.reconnects.Inc() }
func (m *metrics) databaseFailed() { m.databaseErrors.Inc() }

// notDelivered counts a check-in that ended without being sent, labelled by its status.
func (m *metrics) notDelivered(s storage.CheckInStatus) {
	switch s {
	case storage.StatusUndeliverable, storage.StatusFailed, storage.StatusDropped:
		m.checkins.WithLabelValues(string(s)).Inc()
	}
}
