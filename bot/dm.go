package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/bwmarrin/discordgo"

	"github.com/afterglow-bot/afterglow/commands"
)

// Discord error codes the bot acts on.
const (
	codeCannotDM = 50007 // the user's DMs are closed to the bot, or no shared server
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
	channelID, err := b.dmChannelRaw(ctx, userID)
	if err != nil {
		return classifyDMError(err)
	}
	if err := b.pacer.Wait(ctx); err != nil {
		return err
	}
	_, err = b.postDM(userID, channelID, toMessage(msg.Content, msg.Embeds, msg.Components), discordgo.WithContext(ctx))
	return classifyDMError(err)
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
