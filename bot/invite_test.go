package bot

import (
	"strings"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// The install link a server admin clicks: guild install, bot and slash commands, and no
// permissions (see invitePermissions).
const standInInvite = "https://discord.com/oauth2/authorize?client_id=100000000000000001" +
	"&integration_type=0&permissions=0&scope=bot+applications.commands"

// After READY, the line right after "connected" hands the admin the install link for the
// application Discord named, so the first start's log says how to add the bot to a server.
func TestReadyLogsTheInviteLinkRightAfterConnected(t *testing.T) {
	t.Parallel()
	var logs dt.LockedBuffer
	h := newHarness(t, withLog(&logs), withDebugLog)
	if !strings.Contains(standInInvite, "client_id="+h.srv.AppID()+"&") {
		t.Fatalf("the stand-in answers as application %s; the expected link names another", h.srv.AppID())
	}
	var lines []string
	found := dt.Eventually(5*time.Second, func() bool {
		// Info and up, as an admin's log shows it.
		lines = lines[:0]
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, " level=") && !strings.Contains(l, " level=DEBUG ") {
				lines = append(lines, l)
			}
		}
		i := indexOf(lines, `msg="connected to Discord"`)
		return i >= 0 && i+1 < len(lines)
	})
	if !found {
		t.Fatalf("no line after \"connected to Discord\" in the log:\n%s", strings.Join(lines, "\n"))
	}
	next := lines[indexOf(lines, `msg="connected to Discord"`)+1]
	if !strings.Contains(next, "level=INFO") || !strings.Contains(next, `url="`+standInInvite+`"`) {
		t.Fatalf("the line after connected is not the invite link:\n%s\nwant url=%q", next, standInInvite)
	}
}

func indexOf(lines []string, part string) int {
	for i, l := range lines {
		if strings.Contains(l, part) {
			return i
		}
	}
	return -1
}

// Every answer to an invitation leaves at the same moment after the command on the bot's
// clock (commands' inviteAnswerAfter): a refusal, which attempts no DM, as late as an
// invitation that was DMed.
func TestInviteAnswersWaitOnTheBotsClock(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.reply(h.srv.SlashCommand(bob, dm, "partner", dt.SubCommand("block", dt.UserOption("user", alice))))
	for _, invitee := range []dt.User{carol, bob} { // DMed; refused
		start := h.now()
		cb := h.reply(h.srv.SlashCommand(alice, guild, "partner", dt.SubCommand("invite", dt.UserOption("user", invitee))))
		if took := h.now().Sub(start); took < 750*time.Millisecond {
			t.Errorf("the invitation to %s was answered %v after the command on the bot's clock: %q", invitee.Username, took, cb.Content)
		}
	}
}
