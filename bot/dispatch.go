package bot

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/commands"
)

// replyFunc sends an interaction's response: the callback body (JSON of type 1, 4, 5, 6, 7,
// 8 or 9) and its files. Over the gateway it is a POST to the callback endpoint; over
// HTTP interactions, the reply to Discord's request.
type replyFunc func(ctx context.Context, body []byte, files []*discordgo.File) error

// Respond answers one decoded interaction, whatever door it came through: it converts it,
// runs the router's chain and calls reply exactly once, with the answer, or with a
// deferred acknowledgement when the handler runs past deferAfter; the answer then fills
// the placeholder through the interaction's webhook.
func (b *Bot) Respond(ctx context.Context, i *discordgo.Interaction, reply func(ctx context.Context, body []byte, files []*discordgo.File) error) {
	if i == nil {
		return // an INTERACTION_CREATE event whose payload is null: nothing to answer
	}
	log := b.log.With("interaction", i.ID)
	if i.Type == discordgo.InteractionPing {
		if err := reply(ctx, pongBody, nil); err != nil {
			log.Warn("answer ping", "err", err)
		}
		return
	}
	start := time.Now()
	req := toRequest(i)
	// The handler runs right here, which spares a hand-over between goroutines on every
	// interaction; a timer acknowledges a slow one meanwhile.
	d := b.startDeferral(ctx, req, reply, log)
	res := b.router.Handle(ctx, req)
	if acked, ok := d.stop(); acked {
		if ok {
			b.fill(i, d.ack.Type, res.Response, log)
		}
		return
	}
	cb, files := toCallback(res.Response)
	body, err := json.Marshal(cb)
	if err == nil {
		err = reply(ctx, body, files)
	}
	if err != nil {
		log.Warn("send interaction callback", "err", err, "after", time.Since(start))
	}
}

// pongBody answers Discord's ping.
var pongBody = []byte(`{"type":1}`)

// dispatch is the gateway's door: Respond, posting the callback to Discord.
func (b *Bot) dispatch(ctx context.Context, i *discordgo.Interaction) {
	b.Respond(ctx, i, func(_ context.Context, body []byte, files []*discordgo.File) error {
		return b.respond(i, body, files)
	})
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

func (b *Bot) startDeferral(ctx context.Context, req commands.Request, reply replyFunc, log *slog.Logger) *deferral {
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
		body, err := json.Marshal(d.ack)
		if err == nil {
			err = reply(ctx, body, nil)
		}
		if err != nil {
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
		if err := b.answerByWebhook(http.MethodPost, discordgo.EndpointFollowupMessage(i.AppID, i.Token)+"?wait=true", msg, resp.Files); err != nil {
			log.Warn("send follow-up", "err", err)
		}
		return
	}
	if err := b.answerByWebhook(http.MethodPatch, discordgo.EndpointInteractionResponseActions(i.AppID, i.Token), msg, resp.Files); err != nil {
		log.Warn("fill deferred interaction", "err", err)
	}
}

// webhookTries space the tries of a fill or follow-up that Discord answers with Unknown
// Message or Unknown Webhook: a deferral that went out as the HTTP response may not be
// taken in yet when the answer is ready. On the wall clock: they wait on Discord.
var webhookTries = []time.Duration{0, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}

// answerByWebhook sends the fill or a follow-up of an acknowledged interaction, trying
// again for a moment while Discord does not know the acknowledgement yet.
func (b *Bot) answerByWebhook(method, endpoint string, msg *messageJSON, files []commands.File) (err error) {
	for _, wait := range webhookTries {
		if wait > 0 {
			sleepCtx(context.Background(), wallClock, wait)
		}
		// Files are read as the request is built, so each try gets its own readers.
		_, err = b.interactionRequest(method, endpoint, msg, toFiles(files))
		if code := restCode(err); code != codeUnknownMessage && code != codeUnknownWebhook {
			return err
		}
	}
	return err
}
