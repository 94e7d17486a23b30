package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/commands"
	"github.com/afterglow-bot/afterglow/internal/discordtest"
)

// Interactions shaped as Discord's documentation describes them (Interaction Object,
// Interaction Context Types, Authorizing Integration Owners), written for these tests.
// Context 0 is a server, 1 the DM with the bot, 2 any other DM; owner key "0" is a server
// install (the server's id, or "0" in the bot's DM), "1" the user who installed the app.
const (
	respondApp   = "1200000000000000001"
	respondGuild = "1100000000000000001"
	respondUser  = "200000000000000001"
)

var respondFixtures = map[string]struct {
	payload  string
	wantType discordgo.InteractionResponseType
}{
	"ping": {`{"id":"1300000000000000001","application_id":"1200000000000000001","type":1,"token":"tok-ping","version":1}`,
		discordgo.InteractionResponsePong},
	"slash command in a server": {`{"id":"1300000000000000002","application_id":"1200000000000000001","type":2,"token":"tok-guild","version":1,
		"guild_id":"1100000000000000001","channel_id":"1000000000000000001","context":0,"locale":"en-GB","app_permissions":"2248473465835073",
		"authorizing_integration_owners":{"0":"1100000000000000001"},
		"member":{"user":{"id":"200000000000000001","username":"alice","global_name":"Alice"},"roles":[],"permissions":"2248473465835073","nick":null},
		"data":{"id":"1400000000000000001","name":"aftercare","type":1,"options":[{"name":"topic","type":3,"value":"massage"}]}}`,
		discordgo.InteractionResponseChannelMessageWithSource},
	"slash command in the bot's DM": {`{"id":"1300000000000000003","application_id":"1200000000000000001","type":2,"token":"tok-dm","version":1,
		"channel_id":"1000000000000000002","context":1,"authorizing_integration_owners":{"0":"0"},
		"channel":{"id":"1000000000000000002","type":1},
		"user":{"id":"200000000000000001","username":"alice"},
		"data":{"id":"1400000000000000002","name":"about","type":1}}`,
		discordgo.InteractionResponseChannelMessageWithSource},
	"user install, in a server without the bot": {`{"id":"1300000000000000004","application_id":"1200000000000000001","type":2,"token":"tok-user","version":1,
		"guild_id":"1100000000000000009","channel_id":"1000000000000000003","context":0,"authorizing_integration_owners":{"1":"200000000000000001"},
		"member":{"user":{"id":"200000000000000001","username":"alice"},"roles":[],"permissions":"0"},
		"data":{"id":"1400000000000000001","name":"aftercare","type":1}}`,
		discordgo.InteractionResponseChannelMessageWithSource},
	"user install, in a DM with someone else": {`{"id":"1300000000000000005","application_id":"1200000000000000001","type":2,"token":"tok-private","version":1,
		"channel_id":"1000000000000000004","context":2,"authorizing_integration_owners":{"1":"200000000000000001"},
		"user":{"id":"200000000000000001","username":"alice"},
		"data":{"id":"1400000000000000003","name":"privacy","type":1}}`,
		discordgo.InteractionResponseChannelMessageWithSource},
	"button on the bot's own reply in its DM": {`{"id":"1300000000000000006","application_id":"1200000000000000001","type":3,"token":"tok-click","version":1,
		"channel_id":"1000000000000000002","context":1,"authorizing_integration_owners":{"0":"0"},
		"user":{"id":"200000000000000001","username":"alice"},
		"message":{"id":"1500000000000000001","channel_id":"1000000000000000002","flags":0,
			"interaction_metadata":{"id":"1300000000000000003","type":2,"user":{"id":"200000000000000001","username":"alice"}}},
		"data":{"component_type":2,"custom_id":"ac1:home"}}`,
		discordgo.InteractionResponseUpdateMessage},
	"autocomplete in a server": {`{"id":"1300000000000000007","application_id":"1200000000000000001","type":4,"token":"tok-auto","version":1,
		"guild_id":"1100000000000000001","channel_id":"1000000000000000001","context":0,"authorizing_integration_owners":{"0":"1100000000000000001"},
		"member":{"user":{"id":"200000000000000001","username":"alice"},"roles":[],"permissions":"0"},
		"data":{"id":"1400000000000000001","name":"aftercare","type":1,"options":[{"name":"topic","type":3,"value":"dr","focused":true}]}}`,
		discordgo.InteractionApplicationCommandAutocompleteResult},
	"modal submit in the bot's DM": {`{"id":"1300000000000000008","application_id":"1200000000000000001","type":5,"token":"tok-modal","version":1,
		"channel_id":"1000000000000000002","context":1,"user":{"id":"200000000000000001","username":"alice"},
		"data":{"custom_id":"pl1:notesm","components":[{"type":1,"components":[{"type":4,"custom_id":"helps","value":"tea"}]}]}}`,
		discordgo.InteractionResponseUpdateMessage},
}

// replies records what Respond hands its reply function.
type replies struct {
	mu     sync.Mutex
	bodies [][]byte
	acked  chan struct{} // closed at the first reply
}

func newReplies() *replies { return &replies{acked: make(chan struct{})} }

func (r *replies) reply(_ context.Context, body []byte, _ []*discordgo.File) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, bytes.Clone(body))
	if len(r.bodies) == 1 {
		close(r.acked)
	}
	return nil
}

func decodeInteraction(t *testing.T, payload string) *discordgo.Interaction {
	t.Helper()
	var i discordgo.Interaction
	if err := json.Unmarshal([]byte(payload), &i); err != nil {
		t.Fatal(err)
	}
	return &i
}

// Respond answers a decoded interaction through the function it is given, once, with the
// bytes Discord takes, whichever door the interaction came through: no websocket here, and
// nothing of its own posted to the callback endpoint.
func TestRespondAnswersDiscordsInteractionShapesThroughReply(t *testing.T) {
	rec := &restRecorder{}
	var failures bytes.Buffer
	b := newDispatchBot(t, rec, &failures)
	for name, fx := range respondFixtures {
		r := newReplies()
		b.Respond(context.Background(), decodeInteraction(t, fx.payload), r.reply)
		if len(r.bodies) != 1 {
			t.Errorf("%s: reply called %d times, want once", name, len(r.bodies))
			continue
		}
		var cb struct {
			Type discordgo.InteractionResponseType `json:"type"`
			Data struct {
				Flags   discordgo.MessageFlags `json:"flags"`
				Embeds  []json.RawMessage      `json:"embeds"`
				Choices []json.RawMessage      `json:"choices"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.bodies[0], &cb); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cb.Type != fx.wantType {
			t.Errorf("%s: callback type %d, want %d: %s", name, cb.Type, fx.wantType, r.bodies[0])
		}
		if cb.Type == discordgo.InteractionResponseChannelMessageWithSource && (cb.Data.Flags&discordgo.MessageFlagsEphemeral == 0 || len(cb.Data.Embeds) == 0) {
			t.Errorf("%s: want a private reply with an embed, got %s", name, r.bodies[0])
		}
		if cb.Type == discordgo.InteractionApplicationCommandAutocompleteResult && len(cb.Data.Choices) == 0 {
			t.Errorf("%s: no suggestions for \"dr\": %s", name, r.bodies[0])
		}
		if cb.Type != discordgo.InteractionResponsePong {
			for _, p := range discordtest.CheckCallback(r.bodies[0]) {
				t.Errorf("%s: callback breaks Discord's rules: %s", name, p)
			}
		}
		for _, sent := range rec.take() {
			if strings.Contains(sent.path, "/callback") {
				t.Errorf("%s: Respond posted a callback itself: %s", name, sent.path)
			}
		}
	}
	if failures.Len() > 0 {
		t.Errorf("logged errors:\n%s", failures.String())
	}
}

// A handler past the deferral threshold: reply gets the deferred acknowledgement, once,
// and the answer fills the placeholder through the interaction's webhook.
func TestRespondDefersASlowHandlerThenFillsByWebhook(t *testing.T) {
	rec := &restRecorder{}
	var failures bytes.Buffer
	b := newDispatchBot(t, rec, &failures)
	b.deferAfter = time.Millisecond
	r := newReplies()
	standIn(b, func(ctx context.Context, req commands.Request, next commands.Handler) commands.Result {
		<-r.acked // slow: still running when the acknowledgement goes out
		return next(ctx, req)
	})
	b.Respond(context.Background(), decodeInteraction(t, respondFixtures["slash command in a server"].payload), r.reply)
	if len(r.bodies) != 1 || string(r.bodies[0]) != `{"type":5,"data":{"flags":64}}` {
		t.Fatalf("replies %q, want one private deferral", r.bodies)
	}
	sent := rec.take()
	if len(sent) != 1 || sent[0].path != "/api/v10/webhooks/"+respondApp+"/tok-guild/messages/@original" || !strings.Contains(string(sent[0].body), `"embeds":[{`) {
		t.Fatalf("fill: %d requests %+v", len(sent), sent)
	}
	if failures.Len() > 0 {
		t.Errorf("logged errors:\n%s", failures.String())
	}
}
