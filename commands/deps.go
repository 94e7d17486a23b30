package commands

import (
	"context"
	"log/slog"

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
	Log  *slog.Logger
	// AgeRestricted marks every command nsfw when registered.
	AgeRestricted bool
}

// Messenger sends a message to a user's DMs, outside any interaction.
type Messenger interface {
	SendDM(ctx context.Context, userID string, msg Message) error
}

// ErrDMClosed is what a Messenger returns when Discord will not deliver to that user (50007).
var ErrDMClosed = errDMClosed{}

type errDMClosed struct{}

func (errDMClosed) Error() string { return "direct messages to this user are closed" }
