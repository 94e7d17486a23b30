package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/afterglow-bot/afterglow/bot"
)

// errNoApplicationID says where the application id is, since the link cannot be built without it.
var errNoApplicationID = errors.New("discord.application_id is not set: copy the Application ID from the Developer Portal " +
	"-> your application -> General Information, then set discord.application_id (or AFTERGLOW_DISCORD_APPLICATION_ID); " +
	"`afterglow run` also logs the link when it connects")

// invite prints the install link the bot logs on connecting, offline, from the configured
// application id.
func invite(configPath string, getenv func(string) (string, bool), stdout io.Writer) error {
	cfg, err := bot.LoadConfig(configPath, getenv)
	if err != nil {
		return err
	}
	if cfg.Discord.ApplicationID == "" { // LoadConfig checked that a set one is an id
		return errNoApplicationID
	}
	_, err = fmt.Fprintln(stdout, bot.InviteURL(cfg.Discord.ApplicationID))
	return err
}
