package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/commands"
)

// Discord error codes the bot acts on.
const (
	codeCannotDM       = 50007 // the user's DMs are closed to the bot, or no shared server
	codeUnknownMessage = 10008
	codeUnknownWebhook = 10015 // a webhook call for an interaction Discord does not know (yet)
)

// dmChannels caches user id -> DM channel id; Discord returns the same channel every time.
type dmChannels struct {
	mu  sync.Mutex
	ids map[string]string
}

var _ commands.Messenger = (*Bot)(nil)

// SendDM sends msg to a user's DMs with every mention disabled: invitations, relayed
// answers and notices to senders. It is paced with check-in delivery.
func (b *Bot) SendDM(ctx context.Context, userID string, msg commands.Message) error {
	_, _, err := b.sendDM(ctx, userID, msg)
	return err
}

// PostDM is SendDM that says which message it posted, so that it can be deleted later.
func (b *Bot) PostDM(ctx context.Context, userID string, msg commands.Message) (commands.SentDM, error) {
	channelID, raw, err := b.sendDM(ctx, userID, msg)
	if err != nil {
		return commands.SentDM{}, err
	}
	id, err := messageID(raw)
	return commands.SentDM{ChannelID: channelID, MessageID: id}, err
}

func (b *Bot) sendDM(ctx context.Context, userID string, msg commands.Message) (channelID string, raw []byte, err error) {
	channelID, err = b.dmChannelRaw(ctx, userID)
	if err != nil {
		return "", nil, classifyDMError(err)
	}
	if err := b.pacer.Wait(ctx); err != nil {
		return "", nil, err
	}
	raw, err = b.postDM(userID, channelID, toMessage(msg.Content, msg.Embeds, msg.Components), discordgo.WithContext(ctx))
	return channelID, raw, classifyDMError(err)
}

// messageID reads the id of a message Discord returned.
func messageID(raw []byte) (string, error) {
	var m struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.ID == "" {
		return "", fmt.Errorf("read sent message: %v", cmp.Or(err, errors.New("no id")))
	}
	return m.ID, nil
}

// DeleteDM deletes a message the bot posted in a DM channel. One Discord no longer knows
// (deleted already, or its channel gone) counts as deleted.
func (b *Bot) DeleteDM(ctx context.Context, channelID, messageID string) error {
	err := b.dms.ChannelMessageDelete(channelID, messageID, discordgo.WithContext(ctx))
	switch restCode(err) {
	case codeUnknownMessage, unknownChanel:
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete DM: %w", err)
	}
	return nil
}

// postDM posts a message in a user's DM channel. A channel Discord no longer knows is
// forgotten, so the next message opens a new one.
func (b *Bot) postDM(userID, channelID string, body *messageJSON, opts ...discordgo.RequestOption) ([]byte, error) {
	endpoint := discordgo.EndpointChannelMessages(channelID)
	raw, err := b.dms.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint, opts...)
	if restCode(err) == unknownChanel {
		b.forgetDMChannel(userID)
	}
	return raw, err
}

// dmChannelRaw opens (or recalls) the DM channel with a user; errors are Discord's own.
func (b *Bot) dmChannelRaw(ctx context.Context, userID string) (string, error) {
	b.dmCache.mu.Lock()
	id, ok := b.dmCache.ids[userID]
	b.dmCache.mu.Unlock()
	if ok {
		return id, nil
	}
	if err := b.pacer.Wait(ctx); err != nil {
		return "", err
	}
	ch, err := b.dms.UserChannelCreate(userID, noRetry(ctx)...)
	if err != nil {
		return "", err
	}
	b.dmCache.mu.Lock()
	if b.dmCache.ids == nil {
		b.dmCache.ids = map[string]string{}
	}
	b.dmCache.ids[userID] = ch.ID
	b.dmCache.mu.Unlock()
	return ch.ID, nil
}

// classifyDMError turns Discord's "cannot send messages to this user" into ErrDMClosed.
func classifyDMError(err error) error {
	if err == nil {
		return nil
	}
	if restCode(err) == codeCannotDM {
		return commands.ErrDMClosed
	}
	return fmt.Errorf("send DM: %w", err)
}

// restCode is Discord's JSON error code of a failed REST call, or 0.
func restCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	var we *webhookError
	if errors.As(err, &we) {
		return we.code
	}
	return 0
}

// restStatus is the HTTP status of a failed REST call, or 0 for a network error.
func restStatus(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		return http.StatusTooManyRequests
	}
	return 0
}

func (b *Bot) forgetDMChannel(userID string) {
	b.dmCache.mu.Lock()
	delete(b.dmCache.ids, userID)
	b.dmCache.mu.Unlock()
}

func (b *Bot) hasDMChannel(userID string) bool {
	b.dmCache.mu.Lock()
	defer b.dmCache.mu.Unlock()
	_, ok := b.dmCache.ids[userID]
	return ok
}
