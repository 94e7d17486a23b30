package bot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/commands"
)

// dispatch answers one interaction. discordgo runs handlers without recover, so a panic
// here would kill the bot: recover, log, and still answer the user.
func (b *Bot) dispatch(ctx context.Context, i *discordgo.Interaction) {
	if i == nil {
		return // an INTERACTION_CREATE event whose payload is null: nothing to answer
	}
	log := b.log.With("interaction", i.ID)
	start := time.Now()
	answered, handled := false, false
	defer func() {
		if p := recover(); p != nil {
			log.Error("dispatch panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !handled && i.Type != discordgo.InteractionPing {
				// The handler never ran, so nothing has counted this interaction yet.
				b.metrics.interaction(toRequestSafe(i), outcomePanic, time.Since(start))
			}
			if !answered && i.Type != discordgo.InteractionApplicationCommandAutocomplete {
				cb, _ := toCallback(errorAnswer(toRequestSafe(i)))
				_ = b.respond(i, cb, nil)
			}
		}
	}()
	if i.Type == discordgo.InteractionPing {
		answered = true
		if err := b.respond(i, callbackJSON{Type: discordgo.InteractionResponsePong}, nil); err != nil {
			log.Warn("answer ping", "err", err)
		}
		return
	}
	req := toRequest(i)
	handled = true
	// The handler runs right here, which spares a hand-over between goroutines on every
	// interaction; a timer acknowledges a slow one meanwhile.
	d := b.startDeferral(i, req, log)
	defer d.stop() // only matters on a panic: the timer must not fire after we are gone
	began := time.Now()
	resp, outcome := b.handle(ctx, req, log)
	// Counted before the answer goes out, so whoever sees the answer sees the count.
	b.metrics.interaction(req, outcome, time.Since(began))
	if outcome == outcomeOK && isAnswer(req, resp) {
		b.metrics.answered()
	}
	answered = true
	if acked, ok := d.stop(); acked {
		if ok {
			b.fill(i, d.ack.Type, resp, log)
		}
		return
	}
	cb, files := toCallback(resp)
	if err := b.respond(i, cb, files); err != nil {
		log.Warn("send interaction callback", "err", err, "after", time.Since(start))
	}
}

// deferral acknowledges an interaction whose handler is still running after deferAfter,
// so the user never sees "did not respond"; the answer then fills the placeholder.
type deferral struct {
	timer Timer // nil: this interaction cannot be deferred
	ack   callbackJSON
	mu    sync.Mutex
	state int           // deferralWaiting, deferralAnswered or deferralAcked
	done  chan struct{} // closed once the acknowledgement was sent, or failed
	ok    bool          // the acknowledgement was accepted; read after done
}

const (
	deferralWaiting = iota
	deferralAnswered
	deferralAcked
)

func (b *Bot) startDeferral(i *discordgo.Interaction, req commands.Request, log *slog.Logger) *deferral {
	d := &deferral{done: make(chan struct{})}
	if req.Kind == commands.KindAutocomplete {
		return d // autocomplete cannot be deferred; a late answer is dropped by Discord
	}
	d.ack = callbackJSON{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &deferJSON{Flags: discordgo.MessageFlagsEphemeral}}
	if req.Kind == commands.KindComponent || req.Kind == commands.KindModal {
		d.ack = callbackJSON{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	}
	d.timer = b.clock.AfterFunc(b.deferAfter, func() {
		d.mu.Lock()
		if d.state != deferralWaiting {
			d.mu.Unlock()
			return
		}
		d.state = deferralAcked
		d.mu.Unlock()
		defer close(d.done)
		if err := b.respond(i, d.ack, nil); err != nil {
			log.Warn("defer interaction", "err", err)
			return
		}
		d.ok = true
	})
	return d
}

// stop ends the wait for the handler. If the timer acknowledged the interaction first, it
// waits for that request and reports whether it was accepted.
func (d *deferral) stop() (acked, ok bool) {
	if d.timer == nil {
		return false, false
	}
	d.mu.Lock()
	state := d.state
	if state == deferralWaiting {
		d.state = deferralAnswered
	}
	d.mu.Unlock()
	if state != deferralAcked {
		d.timer.Stop()
		return false, false
	}
	<-d.done
	return true, d.ok
}

// fill replaces the placeholder of an acknowledged interaction with the handler's answer.
func (b *Bot) fill(i *discordgo.Interaction, ack discordgo.InteractionResponseType, resp commands.Response, log *slog.Logger) {
	if resp.Type == commands.ShowModal || resp.Type == commands.Choices {
		// Neither can follow a deferral; this is a handler bug, so say sorry rather than nothing.
		log.Warn("handler answered a deferred interaction with a modal or choices")
		resp = commands.Response{Type: commands.Reply, Ephemeral: true, Content: "Sorry, that took too long. Please try again."}
	}
	msg := toMessage(resp.Content, resp.Embeds, resp.Components)
	if ack == discordgo.InteractionResponseDeferredMessageUpdate && resp.Type == commands.Reply {
		// A private reply to a click: a follow-up, so the clicked message stays as it was.
		if resp.Ephemeral {
			msg.Flags = discordgo.MessageFlagsEphemeral
		}
		if _, err := b.interactionRequest(http.MethodPost, discordgo.EndpointFollowupMessage(i.AppID, i.Token)+"?wait=true", msg, toFiles(resp.Files)); err != nil {
			log.Warn("send follow-up", "err", err)
		}
		return
	}
	if _, err := b.interactionRequest(http.MethodPatch, discordgo.EndpointInteractionResponseActions(i.AppID, i.Token), msg, toFiles(resp.Files)); err != nil {
		log.Warn("fill deferred interaction", "err", err)
	}
}

// handle runs the handler. The router recovers its handlers' panics (those answer with
// the error message and count as errors); this guards everything else on the way.
func (b *Bot) handle(ctx context.Context, req commands.Request, log *slog.Logger) (resp commands.Response, outcome string) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp, outcome = errorAnswer(req), outcomePanic
		}
	}()
	resp = b.handler.Handle(ctx, req)
	if resp.Type == commands.Reply && resp.Content == commands.MsgSomethingWrong {
		return resp, outcomeError
	}
	return resp, outcomeOK
}

// answerRoute is the custom_id route of a check-in's answer buttons.
const answerRoute = "ci1:answer"

// isAnswer tells a recorded check-in answer: its button updates the check-in message,
// while a refusal (too late, someone else's) is a private reply.
func isAnswer(req commands.Request, resp commands.Response) bool {
	if req.Kind != commands.KindComponent || resp.Type != commands.Update {
		return false
	}
	id, err := commands.ParseCustomID(req.CustomID)
	return err == nil && id.Route == answerRoute
}

// errorAnswer is the kind private error for a request that could not be handled.
func errorAnswer(req commands.Request) commands.Response {
	if req.Kind == commands.KindAutocomplete {
		return commands.Response{Type: commands.Choices}
	}
	return commands.Response{Type: commands.Reply, Ephemeral: true, Content: commands.MsgSomethingWrong}
}

// toRequestSafe converts for the panic path, where the conversion itself may be what failed.
func toRequestSafe(i *discordgo.Interaction) (req commands.Request) {
	defer func() { _ = recover() }()
	return toRequest(i)
}
