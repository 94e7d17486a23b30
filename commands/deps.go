package commands

import (
	"context"
	"log/slog"
	"time"

	"github.com/afterglow-bot/afterglow/content"
	"github.com/afterglow-bot/afterglow/storage"
)

// Deps are what handlers need; main wires the real ones, tests their own.
type Deps struct {
	Content *content.Library
	Store   *storage.DB
	Clock   Clock
	// DM sends a direct message to a user; nil in `afterglow try`, where nothing is sent.
	DM Messenger
	// Wake tells the delivery loop that a check-in was scheduled; may be nil.
	Wake func()
	// Answered tells that a check-in's recipient answered it (for the metrics); may be nil.
	Answered func()
	// Wait blocks for d on the bot's clock, or until ctx ends. Nil waits not at all.
	Wait func(ctx context.Context, d time.Duration)
	// GuildName is a server's name, or "" when unknown; interactions do not carry it. May be nil.
	GuildName func(ctx context.Context, guildID string) string
	Log       *slog.Logger
	Limits    Limits
	// RetentionDays is how long finished check-ins are kept, as /privacy tells people.
	RetentionDays int
	// Version is shown by /about.
	Version string
}

// Limits are the abuse limits on invitations and check-ins.
type Limits struct {
	InvitationsPerDay        int
	InvitationTTL            time.Duration
	CheckInsPerPartnerPerDay int
	// AnswerWindow is how long after the first answer a recipient may change it.
	AnswerWindow time.Duration
}

// DefaultLimits are the documented limits: the config's defaults, and what a Deps that
// leaves a limit unset gets.
func DefaultLimits() Limits {
	return Limits{InvitationsPerDay: 5, InvitationTTL: 7 * 24 * time.Hour, CheckInsPerPartnerPerDay: 10, AnswerWindow: time.Hour}
}

// withDefaults fills unset limits from DefaultLimits.
func (l Limits) withDefaults() Limits {
	def := DefaultLimits()
	if l.InvitationsPerDay <= 0 {
		l.InvitationsPerDay = def.InvitationsPerDay
	}
	if l.InvitationTTL <= 0 {
		l.InvitationTTL = def.InvitationTTL
	}
	if l.CheckInsPerPartnerPerDay <= 0 {
		l.CheckInsPerPartnerPerDay = def.CheckInsPerPartnerPerDay
	}
	if l.AnswerWindow <= 0 {
		l.AnswerWindow = def.AnswerWindow
	}
	return l
}

// Messenger sends a message to a user's DMs, outside any interaction.
type Messenger interface {
	SendDM(ctx context.Context, userID string, msg Message) error
	// PostDM is SendDM that says where the message went, so that it can be deleted later.
	PostDM(ctx context.Context, userID string, msg Message) (SentDM, error)
	// DeleteDM deletes a message the bot posted in a DM; one already gone counts as done.
	DeleteDM(ctx context.Context, channelID, messageID string) error
}

// SentDM names a message a Messenger posted.
type SentDM struct {
	ChannelID, MessageID string
}

// ErrDMClosed is what a Messenger returns when Discord will not deliver to that user (50007).
var ErrDMClosed = errDMClosed{}

type errDMClosed struct{}

func (errDMClosed) Error() string { return "direct messages to this user are closed" }
