package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

func TestRegisterSubcommandOverwritesAndExits(t *testing.T) {
	t.Parallel()
	srv := dt.New(t, dt.Options{Token: e2eToken})
	dir := t.TempDir()
	for round := 1; round <= 2; round++ {
		cmd := exec.Command(afterglowBinary(t), "register")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "AFTERGLOW_DISCORD_TOKEN="+e2eToken, "AFTERGLOW_DISCORD_API_BASE="+srv.APIBase(),
			"AFTERGLOW_STORAGE_PATH="+filepath.Join(dir, "afterglow.db"), "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey,
			"AFTERGLOW_DISCORD_GUILD_ID="+dt.DefaultGuildID)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("register: %v\n%s", err, out)
		}
		// register always overwrites, even when nothing changed, and never opens the gateway.
		if got := srv.CommandOverwrites(); got != round {
			t.Fatalf("round %d: %d overwrites", round, got)
		}
	}
	if len(srv.Commands(dt.DefaultGuildID)) < 8 || srv.Identifies() != 0 {
		t.Fatalf("guild commands %d, identifies %d", len(srv.Commands(dt.DefaultGuildID)), srv.Identifies())
	}
}

// TestBinaryCheckInFlowKeepsUserTextOutOfTheLog runs partners and a check-in with a note
// and words through the binary at debug level, then greps everything it printed for the
// token and for every text a user wrote; once with interactions over the gateway, once
// over HTTP.
func TestBinaryCheckInFlowKeepsUserTextOutOfTheLog(t *testing.T) {
	forEachMode(t, checkInFlowKeepsUserTextOutOfTheLog)
}

func checkInFlowKeepsUserTextOutOfTheLog(t *testing.T, m mode) {
	srv := dt.New(t, dt.Options{Token: e2eToken})
	dir := t.TempDir()
	p := startBinary(t, srv, dir, m.env(srv, "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey, "AFTERGLOW_LOG_LEVEL=debug")...)
	waitUp(t, srv, p)
	m.use(t, srv, p)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	alice := dt.User{ID: "200000000000000001", Username: "alice"}
	bob := dt.User{ID: "200000000000000002", Username: "bob"}
	invoke := func(i dt.Interaction) dt.Callback {
		t.Helper()
		if err := srv.Dispatch(ctx, i); err != nil {
			t.Fatal(err)
		}
		cb, err := srv.WaitReply(ctx, i.ID)
		if err != nil {
			t.Fatalf("%v\n%s", err, p.out)
		}
		return cb
	}
	botDM := func(u dt.User, n int) dt.Message {
		t.Helper()
		var own []dt.Message
		eventually(t, 15*time.Second, p, fmt.Sprintf("DM %d for %s", n, u.Username), func() bool {
			own = own[:0]
			for _, m := range srv.Messages(u.ID) {
				if m.Interaction == nil {
					own = append(own, m)
				}
			}
			return len(own) >= n
		})
		return own[n-1]
	}
	const note, words, plan = "NOTE-7f3a please drink water", "WORDS-91bc a bit shaky", "PLAN-2d44 hold my hand"

	invoke(srv.SlashCommand(alice, dt.Where{}, "partner", dt.SubCommand("invite", dt.UserOption("user", bob))))
	invite := botDM(bob, 1)
	accept := ""
	for _, id := range invite.CustomIDs() {
		if strings.HasPrefix(id, "pt1:accept:") {
			accept = id
		}
	}
	invoke(srv.Click(bob, dt.Where{DM: true}, &invite, accept))
	editor := invoke(srv.SlashCommand(bob, dt.Where{}, "plan", dt.SubCommand("edit")))
	form := invoke(srv.Click(bob, dt.Where{}, editor.Message(), "pl1:notes"))
	invoke(srv.SubmitModal(bob, dt.Where{}, editor.Message(), form.Modal.CustomID, map[string]string{"helps": plan, "avoid": "", "other": ""}))

	conf := invoke(srv.SlashCommand(alice, dt.Where{}, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob), dt.StringOption("note", note))))
	if !strings.Contains(conf.Content, "on its way") {
		t.Fatalf("confirmation: %q", conf.Content)
	}
	ci := botDM(bob, 2)
	if !strings.Contains(ci.Embeds[0].Description, note) {
		t.Fatalf("the DM lacks the note: %q", ci.Embeds[0].Description)
	}
	var wordsButton string
	for _, id := range ci.CustomIDs() {
		if strings.HasPrefix(id, "ci1:words:") {
			wordsButton = id
		}
	}
	// Answer only once the bot has recorded the DM as sent (a person is never faster).
	db := openE2EDB(t, filepath.Join(dir, "afterglow.db"))
	var cs []storage.CheckIn
	var err error
	if !dt.Eventually(10*time.Second, func() bool {
		cs, err = db.CheckInsFrom(ctx, alice.ID, time.Time{})
		return err == nil && len(cs) == 1 && cs[0].Status == storage.StatusSent
	}) {
		t.Fatalf("check-in never recorded as sent: %v %+v", err, cs)
	}
	db.Close()
	modal := invoke(srv.Click(bob, dt.Where{DM: true}, &ci, wordsButton))
	if modal.Modal == nil {
		t.Fatalf("words button: %+v", modal)
	}
	invoke(srv.SubmitModal(bob, dt.Where{DM: true}, &ci, modal.Modal.CustomID, map[string]string{"words": words}))
	relay := botDM(alice, 2) // 1: "bob accepted", 2: the words
	if !strings.Contains(relay.Content, words) {
		t.Fatalf("relay: %q", relay.Content)
	}

	if err, _ := p.stop(t); err != nil {
		t.Fatal(err)
	}
	log := p.out.String()
	if !strings.Contains(log, "level=DEBUG") && !strings.Contains(log, "level=INFO") {
		t.Fatalf("the run logged nothing to check:\n%s", log)
	}
	for _, secret := range []string{e2eToken, e2eKey, note, words, plan, "NOTE-7f3a", "WORDS-91bc", "PLAN-2d44"} {
		if strings.Contains(log, secret) {
			t.Fatalf("the log holds %q:\n%s", secret, log)
		}
	}
}
