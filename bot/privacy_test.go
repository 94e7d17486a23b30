package bot

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the test reads the bot's database file beside it

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

// These tests drive plans, privacy, encryption at rest and server settings through the
// stand-in, with the real discordgo session, and then look at what the database holds.

var (
	dave = dt.User{ID: "200000000000000004", Username: "dave"}
	// admin is a member with Manage Server in the default guild.
	admin = dt.Where{Permissions: dt.MemberPermissions | 1<<5}
)

// planFlow is the three answers of writing a plan: the editor, the notes form its menu
// opens, and the editor updated by the form.
type planFlow struct{ editor, form, saved dt.Callback }

// writePlan runs /plan edit in the user's DM with the bot, picks items and submits texts.
func (h *harness) writePlan(u dt.User, texts map[string]string, items ...string) planFlow {
	h.t.Helper()
	editor := h.reply(h.srv.SlashCommand(u, dm, "plan", dt.SubCommand("edit")))
	form := h.invoke(h.srv.Select(u, dm, editor.Message(), "pl1:items", items...))
	if form.Type != dt.CallbackModal || form.Modal == nil {
		h.t.Fatalf("the plan menu should answer with the notes form, got type %d: %q", form.Type, form.Content)
	}
	saved := h.invoke(h.srv.SubmitModal(u, dm, editor.Message(), form.Modal.CustomID, texts))
	return planFlow{editor: editor, form: form, saved: saved}
}

// exchanged is one check-in sent over the wire and answered by its recipient.
type exchanged struct {
	id      int64
	confirm dt.Callback // the sender's confirmation
	dm      dt.Message  // the check-in DM as delivered
	answer  dt.Callback // the DM updated by the recipient's button answer
}

// exchange has from send to a check-in from the default guild, and to answer it with a
// button (answer is its value, e.g. "care") and, unless words is empty, a few words. It
// waits for the relays to from, so that later DM counts start after them.
func (h *harness) exchange(from, to dt.User, note, answer, words string) exchanged {
	h.t.Helper()
	toBefore, fromBefore := len(h.botDMs(to)), len(h.botDMs(from))
	opts := []dt.Option{dt.UserOption("partner", to)}
	if note != "" {
		opts = append(opts, dt.StringOption("note", note))
	}
	confirm := h.reply(h.srv.SlashCommand(from, guild, "checkin", dt.SubCommand("send", opts...)))
	if !strings.Contains(confirm.Content, "on its way") {
		h.t.Fatalf("check-in from %s to %s: %q", from.Username, to.Username, confirm.Content)
	}
	msg := h.waitDMs(to, toBefore+1)[toBefore]
	parts := strings.Split(customIDWith(msg.MessageContent, "ci1:answer:"), ":")
	if len(parts) != 4 {
		h.t.Fatalf("check-in DM without answer buttons: %q", msg.CustomIDs())
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		h.t.Fatalf("check-in id in %q: %v", msg.CustomIDs(), err)
	}
	// The DM is visible a moment before the bot records it as sent; a person is slower.
	h.waitUntil("the check-in is recorded as sent", func() bool {
		ci, err := h.store.CheckIn(h.ctx, id)
		return err == nil && ci.Status == storage.StatusSent
	})
	up := h.invoke(h.srv.Click(to, dm, &msg, "ci1:answer:"+parts[2]+":"+answer))
	if up.Type != dt.CallbackUpdate {
		h.t.Fatalf("answer %s: type %d %q", answer, up.Type, up.Content)
	}
	relays := 1
	if words != "" {
		form := h.invoke(h.srv.Click(to, dm, &msg, "ci1:words:"+parts[2]))
		if form.Type != dt.CallbackModal || form.Modal == nil {
			h.t.Fatalf("words button: type %d %q", form.Type, form.Content)
		}
		sub := h.invoke(h.srv.SubmitModal(to, dm, &msg, form.Modal.CustomID, map[string]string{"words": words}))
		if sub.Type != dt.CallbackUpdate {
			h.t.Fatalf("words: type %d %q", sub.Type, sub.Content)
		}
		relays++
	}
	h.waitDMs(from, fromBefore+relays)
	return exchanged{id: id, confirm: confirm, dm: msg, answer: up}
}

// openRaw opens the bot's database file read-only beside the bot, to see the rows as
// SQLite holds them: ids in the clear, user text sealed.
func (h *harness) openRaw() *sql.DB {
	h.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+h.dbPath+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close() })
	return db
}

func rowCount(t testing.TB, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// columnsNaming lists "table.column" for every column of every table in which some value,
// read as bytes, contains id.
func columnsNaming(t testing.TB, db *sql.DB, id string) []string {
	t.Helper()
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 8 {
		t.Fatalf("only %d tables in the database: %q", len(tables), tables)
	}
	var hits []string
	for _, table := range tables {
		for _, col := range tableColumns(t, db, table) {
			q := fmt.Sprintf("SELECT count(*) FROM %s WHERE instr(CAST(%s AS BLOB), CAST(? AS BLOB)) > 0", quoteIdent(table), quoteIdent(col))
			if rowCount(t, db, q, id) > 0 {
				hits = append(hits, table+"."+col)
			}
		}
	}
	return hits
}

func tableColumns(t testing.TB, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, name)
	}
	if len(cols) == 0 {
		t.Fatalf("table %s has no columns", table)
	}
	return cols
}

// setModalValue changes a text input's value in a built modal submit, as a client that
// ignores the form's max_length would send it.
func setModalValue(t testing.TB, i dt.Interaction, inputID, value string) {
	t.Helper()
	data, _ := i.Payload["data"].(map[string]any)
	rows, _ := data["components"].([]any)
	for _, row := range rows {
		inputs, _ := row.(map[string]any)["components"].([]any)
		for _, c := range inputs {
			if in, _ := c.(map[string]any); in["custom_id"] == inputID {
				in["value"] = value
				return
			}
		}
	}
	t.Fatalf("modal submit has no input %q", inputID)
}

func fieldValue(e dt.Embed, name string) (string, bool) {
	for _, f := range e.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

func TestPlanEditShareShowAndReminders(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(bob, alice)
	helps := "Hold me close and talk softly <@&123> @everyone"
	avoid := "No loud music\nno bright lights"
	plan := h.writePlan(alice, map[string]string{"helps": helps, "avoid": avoid, "other": ""}, "cuddle", "water")

	// The editor is private and offers the menu and the two buttons.
	ed := plan.editor
	if ed.Type != dt.CallbackMessage || !ed.Ephemeral() {
		t.Fatalf("editor: type %d ephemeral %v", ed.Type, ed.Ephemeral())
	}
	if menu, ok := ed.Component("pl1:items"); !ok || menu.Type != 3 || menu.MaxValues == nil || *menu.MaxValues < 2 {
		t.Fatalf("editor needs a multi-select: %+v", menu)
	}
	for _, id := range []string{"pl1:notes", "pl1:share:on"} {
		if b, ok := ed.Component(id); !ok || b.Type != 2 {
			t.Fatalf("editor lacks button %s: %q", id, ed.CustomIDs())
		}
	}
	if inputs := plan.form.Modal.Inputs(); len(inputs) != 3 || inputs[0].MaxLength == nil || *inputs[0].MaxLength != 1000 {
		t.Fatalf("notes form inputs: %+v", inputs)
	}
	// Submitting the form updates the editor, quoting the texts exactly.
	saved := plan.saved
	if saved.Type != dt.CallbackUpdate || len(saved.Embeds) != 1 {
		t.Fatalf("saved: type %d embeds %d", saved.Type, len(saved.Embeds))
	}
	e := saved.Embeds[0]
	if items, _ := fieldValue(e, "What helps"); items != "• Cuddling\n• Water and a snack" {
		t.Fatalf("items field: %q", items)
	}
	if v, _ := fieldValue(e, "What helps me"); v != "> "+helps {
		t.Fatalf("helps field: %q", v)
	}
	if v, _ := fieldValue(e, "Please avoid"); v != ">>> "+avoid {
		t.Fatalf("avoid field: %q", v)
	}
	if _, ok := fieldValue(e, "Anything else"); ok {
		t.Fatal("an empty text must not show")
	}

	// Private until shared: a partner gets the same neutral words as anyone.
	neutral := "I don't have a shared plan from <@" + alice.ID + ">."
	if cb := h.reply(h.srv.SlashCommand(bob, guild, "plan", dt.SubCommand("show", dt.UserOption("user", alice)))); cb.Content != neutral || !cb.Ephemeral() {
		t.Fatalf("private plan shown to a partner: %q %+v", cb.Content, cb.Embeds)
	}
	shared := h.invoke(h.srv.Click(alice, dm, saved.Message(), "pl1:share:on"))
	if shared.Type != dt.CallbackUpdate || !strings.Contains(shared.Embeds[0].Description, "Shared") {
		t.Fatalf("share: type %d %+v", shared.Type, shared.Embeds)
	}
	if _, ok := shared.Component("pl1:share:off"); !ok {
		t.Fatalf("a shared plan offers to keep it private: %q", shared.CustomIDs())
	}

	show := h.reply(h.srv.SlashCommand(bob, guild, "plan", dt.SubCommand("show", dt.UserOption("user", alice))))
	if !show.Ephemeral() || len(show.Embeds) != 1 || !strings.Contains(show.Embeds[0].Description, "<@"+alice.ID+">") {
		t.Fatalf("partner's show: %+v", show)
	}
	if v, _ := fieldValue(show.Embeds[0], "What helps me"); v != "> "+helps {
		t.Fatalf("partner sees helps as %q", v)
	}
	if cb := h.reply(h.srv.SlashCommand(carol, guild, "plan", dt.SubCommand("show", dt.UserOption("user", alice)))); cb.Content != neutral || len(cb.Embeds) != 0 {
		t.Fatalf("non-partner's show: %q %+v", cb.Content, cb.Embeds)
	}

	// Bob's check-in confirmation shows Alice's shared plan; her DM reminds her of her items only.
	ex := h.exchange(bob, alice, "", "good", "")
	if len(ex.confirm.Embeds) != 1 {
		t.Fatalf("confirmation should carry the shared plan: %+v", ex.confirm.Embeds)
	}
	if v, _ := fieldValue(ex.confirm.Embeds[0], "Please avoid"); v != ">>> "+avoid {
		t.Fatalf("confirmation plan avoid: %q", v)
	}
	reminder, ok := fieldValue(ex.dm.Embeds[0], "Your aftercare plan")
	if !ok || reminder != "• Cuddling\n• Water and a snack" {
		t.Fatalf("check-in DM plan reminder: %q (fields %+v)", reminder, ex.dm.Embeds[0].Fields)
	}
	if strings.Contains(ex.dm.Text(), "Hold me close") {
		t.Fatal("the DM reminder shows items only, not the notes")
	}

	// An over-long text (a client ignoring the form's max_length) is refused with the limit named.
	form := h.invoke(h.srv.Click(alice, dm, shared.Message(), "pl1:notes"))
	if form.Type != dt.CallbackModal {
		t.Fatalf("notes button: type %d", form.Type)
	}
	if in := form.Modal.Inputs(); in[0].Value != helps {
		t.Fatalf("the form starts from the saved text, got %q", in[0].Value)
	}
	long := h.srv.SubmitModal(alice, dm, shared.Message(), form.Modal.CustomID, map[string]string{"helps": "short", "avoid": avoid, "other": ""})
	setModalValue(t, long, "helps", strings.Repeat("a", 1001))
	refused := h.invoke(long)
	if refused.Type != dt.CallbackMessage || !refused.Ephemeral() || !strings.Contains(refused.Content, "What helps me is 1001 characters; the limit is 1000") {
		t.Fatalf("over-long text: type %d %q", refused.Type, refused.Content)
	}
	if p, _, err := h.store.Plan(h.ctx, alice.ID); err != nil || p.Helps != helps {
		t.Fatalf("plan after the refusal: %q, %v", p.Helps, err)
	}
}

func TestExportHoldsExactlyTheUsersData(t *testing.T) {
	eachTransport(t, testExportHoldsExactlyTheUsersData)
}

func testExportHoldsExactlyTheUsersData(t *testing.T, opts ...harnessOption) {
	h := newHarness(t, opts...)
	h.linkPartners(alice, bob)
	h.linkPartners(carol, dave)
	h.exchange(alice, bob, "alice to bob", "talk", "bob back to alice")
	h.exchange(bob, alice, "bob to alice", "good", "alice back to bob")
	h.exchange(carol, dave, "carol-private-note", "care", "dave-private-words")
	h.exchange(dave, carol, "dave-private-note", "space", "")
	h.writePlan(alice, map[string]string{"helps": "alice-helps"}, "rest")
	h.writePlan(carol, map[string]string{"helps": "carol-helps"}, "alone")
	h.reply(h.srv.SlashCommand(alice, dm, "settings", dt.StringOption("timezone", "Europe/Berlin")))
	h.reply(h.srv.SlashCommand(carol, dm, "settings", dt.StringOption("timezone", "Asia/Tokyo")))

	summary := h.reply(h.srv.SlashCommand(alice, dm, "privacy"))
	if !summary.Ephemeral() || len(summary.Embeds) != 1 || !strings.Contains(summary.Embeds[0].Description, "check-ins you sent: 1") {
		t.Fatalf("privacy summary: %+v", summary.Embeds)
	}
	dmsBefore := len(h.botDMs(alice))
	cb := h.reply(h.srv.Click(alice, dm, summary.Message(), "pv1:export"))
	if cb.Type != dt.CallbackMessage || !cb.Ephemeral() || len(cb.Files) != 1 || len(cb.Attachments) != 1 {
		t.Fatalf("export reply: type %d ephemeral %v files %d attachments %d", cb.Type, cb.Ephemeral(), len(cb.Files), len(cb.Attachments))
	}
	file := cb.Files[0]
	if file.Name != "afterglow-export.json" || file.ContentType != "application/json" {
		t.Fatalf("export file %q (%s)", file.Name, file.ContentType)
	}
	if n := len(h.botDMs(alice)); n != dmsBefore {
		t.Fatal("the export must be attached to the reply, never sent by DM")
	}

	for _, other := range []string{carol.ID, dave.ID, "carol-", "dave-"} {
		if bytes.Contains(file.Data, []byte(other)) {
			t.Errorf("alice's export mentions %q", other)
		}
	}
	var ex storage.Export
	if err := json.Unmarshal(file.Data, &ex); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	if ex.UserID != alice.ID || len(ex.Partners) != 1 || ex.Partners[0].UserID != bob.ID {
		t.Fatalf("export user %s partners %+v", ex.UserID, ex.Partners)
	}
	if len(ex.CheckInsSent) != 1 || len(ex.CheckInsReceived) != 1 {
		t.Fatalf("export check-ins: %d sent, %d received", len(ex.CheckInsSent), len(ex.CheckInsReceived))
	}
	sent, got := ex.CheckInsSent[0], ex.CheckInsReceived[0]
	if sent.RecipientID != bob.ID || sent.Note != "alice to bob" || sent.Answer != storage.AnswerTalk || sent.Words != "bob back to alice" {
		t.Fatalf("check-in alice sent: %+v", sent)
	}
	if got.SenderID != bob.ID || got.Note != "bob to alice" || got.Answer != storage.AnswerGood || got.Words != "alice back to bob" {
		t.Fatalf("check-in alice received: %+v", got)
	}
	if ex.Plan == nil || ex.Plan.Helps != "alice-helps" || len(ex.Plan.Items) != 1 || ex.Plan.Items[0] != "rest" {
		t.Fatalf("export plan: %+v", ex.Plan)
	}
	if ex.Settings == nil || ex.Settings.TimeZone != "Europe/Berlin" {
		t.Fatalf("export settings: %+v", ex.Settings)
	}
	if len(ex.InvitationsCreated) != 1 {
		t.Fatalf("alice created one invitation: %v", ex.InvitationsCreated)
	}
}

func TestDeleteRemovesEveryRowButKeepsOthersBlocks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, carol)
	h.exchange(alice, carol, "a note", "care", "some words")
	h.exchange(carol, alice, "", "good", "")
	h.writePlan(alice, map[string]string{"helps": "tea"}, "water")
	h.reply(h.srv.SlashCommand(alice, dm, "settings", dt.StringOption("quiet_hours", "23:00-08:00")))
	// Dave's invitation to Alice waits; Bob blocks Alice from her invitation.
	h.reply(h.srv.SlashCommand(dave, guild, "partner", dt.SubCommand("invite", dt.UserOption("user", alice))))
	bobDMs := len(h.botDMs(bob))
	h.reply(h.srv.SlashCommand(alice, guild, "partner", dt.SubCommand("invite", dt.UserOption("user", bob))))
	invite := h.waitDMs(bob, bobDMs+1)[bobDMs]
	blocked := h.invoke(h.srv.Click(bob, dm, &invite, customIDWith(invite.MessageContent, "pt1:block:")))
	if !strings.Contains(blocked.Content, "can no longer invite you") {
		t.Fatalf("block: %q", blocked.Content)
	}

	raw := h.openRaw()
	before := strings.Join(columnsNaming(t, raw, alice.ID), " ")
	for _, want := range []string{"plans.user_id", "user_settings.user_id", "checkins.sender_id", "checkins.recipient_id", "invitations.invitee_id", "invitation_log.inviter_id"} {
		if !strings.Contains(before, want) {
			t.Fatalf("the scan should find alice in %s before deleting; found %s", want, before)
		}
	}

	summary := h.reply(h.srv.SlashCommand(alice, dm, "privacy"))
	ask := h.invoke(h.srv.Click(alice, dm, summary.Message(), "pv1:delete"))
	if ask.Type != dt.CallbackMessage || !ask.Ephemeral() || !strings.Contains(ask.Content, "Are you sure?") {
		t.Fatalf("delete should ask first: type %d %q", ask.Type, ask.Content)
	}
	confirmation := ask.Message()
	done := h.invoke(h.srv.Click(alice, dm, confirmation, "pv1:confirm"))
	if done.Type != dt.CallbackUpdate || !strings.Contains(done.Content, "everything Afterglow stored about you is deleted") || len(done.Components) != 0 {
		t.Fatalf("delete: type %d %q components %d", done.Type, done.Content, len(done.Components))
	}
	if hits := columnsNaming(t, raw, alice.ID); len(hits) != 0 {
		t.Fatalf("alice's id is still in %v", hits)
	}
	if n := rowCount(t, raw, "SELECT count(*) FROM blocks WHERE blocker_id = ?", bob.ID); n != 1 {
		t.Fatalf("bob's block must survive alice's deletion: %d rows", n)
	}
	if n := rowCount(t, raw, "SELECT count(*) FROM checkins"); n != 0 {
		t.Fatalf("%d check-ins left; all were between alice and carol", n)
	}

	again := h.invoke(h.srv.Click(alice, dm, confirmation, "pv1:confirm"))
	if !strings.Contains(again.Content, "nothing stored about you any more") {
		t.Fatalf("second confirm: %q", again.Content)
	}
	// The block still holds, with the same words as closed DMs.
	refused := h.reply(h.srv.SlashCommand(alice, guild, "partner", dt.SubCommand("invite", dt.UserOption("user", bob))))
	if refused.Content != "I couldn't deliver this invitation to <@"+bob.ID+">. If they use Afterglow, they may still see it under `/partner requests`." {
		t.Fatalf("invitation after deletion: %q", refused.Content)
	}
	if n := len(h.botDMs(bob)); n != bobDMs+1 {
		t.Fatalf("bob got %d DMs; the blocked invitation must not reach him", n-bobDMs-1)
	}
	// That refused invitation is kept for alice like any undelivered one (so that it looks the
	// same), which names her again: she deletes once more before the file is read.
	if last := h.invoke(h.srv.Click(alice, dm, confirmation, "pv1:confirm")); !strings.Contains(last.Content, "everything Afterglow stored about you is deleted") {
		t.Fatalf("third confirm: %q", last.Content)
	}

	// secure_delete and the checkpoint at shutdown leave no trace of the id in the file.
	raw.Close()
	h.stop()
	file, err := os.ReadFile(h.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(file, []byte(bob.ID)) {
		t.Fatal("control: bob's id should be in the database file")
	}
	if bytes.Contains(file, []byte(alice.ID)) {
		t.Fatal("alice's id survives in the bytes of the database file")
	}
}

func TestPurgeAtStartDropsOnlyWhatOutlivedRetention(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := h.bot.cfg
	retention := time.Duration(cfg.Storage.RetentionDays) * 24 * time.Hour
	ttl := time.Duration(cfg.CheckIns.InvitationTTLHours) * time.Hour
	h.linkPartners(alice, bob)

	// round creates an answered check-in, a cancelled one and an invitation left to expire.
	round := func(invitee dt.User) (answered, cancelled, invitation int64) {
		answered = h.exchange(alice, bob, "", "good", "").id
		later := h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob), dt.StringOption("in", "1h"))))
		cancel := customIDWith(later.MessageContent, "ci1:cancel:")
		if c := h.invoke(h.srv.Click(alice, guild, later.Message(), cancel)); !strings.Contains(c.Content, "Cancelled") {
			t.Fatalf("cancel: %q", c.Content)
		}
		cancelled, _ = strconv.ParseInt(strings.TrimPrefix(cancel, "ci1:cancel:"), 10, 64)
		h.reply(h.srv.SlashCommand(alice, guild, "partner", dt.SubCommand("invite", dt.UserOption("user", invitee))))
		invs, err := h.store.InvitationsFrom(h.ctx, alice.ID, h.clock.Now())
		if err != nil || len(invs) != 1 {
			t.Fatalf("pending invitations: %+v, %v", invs, err)
		}
		return answered, cancelled, invs[0].ID
	}
	t0 := h.clock.Now()
	oldAnswered, oldCancelled, oldInvitation := round(carol)
	// Recent records come when the old invitation has long expired; they expire later too.
	h.clock.Advance(retention)
	t1 := h.clock.Now()
	newAnswered, newCancelled, newInvitation := round(dave)

	// Failed deliveries, one old and one recent, are written while the bot is down.
	h.stop()
	ctx := context.Background()
	store, err := storage.Open(ctx, h.dbPath, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	var failed []int64
	for _, at := range []time.Time{t0, t1} {
		cs, err := store.ScheduleCheckIns(ctx, []storage.CheckIn{{SenderID: alice.ID, RecipientID: bob.ID, DueAt: at}}, at, 0)
		if err != nil {
			t.Fatal(err)
		}
		claimed, err := store.ClaimDue(ctx, at, time.Minute, 10)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claimed %d: %v", len(claimed), err)
		}
		if err := store.MarkFailed(ctx, claimed[0], storage.StatusFailed, "test", at); err != nil {
			t.Fatal(err)
		}
		if err := store.MarkSenderNotified(ctx, cs[0].ID); err != nil {
			t.Fatal(err)
		}
		failed = append(failed, cs[0].ID)
	}
	store.Close()

	// Restart once the old invitation expired more than the retention ago.
	h.clock.Advance(ttl + 24*time.Hour)
	h.start(cfg)
	gone := func(id int64) bool {
		_, err := h.store.CheckIn(h.ctx, id)
		return errors.Is(err, storage.ErrNotFound)
	}
	// Only the purge at start can remove the old failed check-in, written while the bot was
	// down; the purge that ran when the clock moved a retention ahead may have taken others.
	h.waitUntil("the purge at start removed old check-ins", func() bool { return gone(failed[0]) })
	for name, id := range map[string]int64{"answered": oldAnswered, "cancelled": oldCancelled} {
		if !gone(id) {
			t.Errorf("old %s check-in %d survived the purge", name, id)
		}
	}
	if _, err := h.store.Invitation(h.ctx, oldInvitation); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("old expired invitation: %v", err)
	}
	for name, id := range map[string]int64{"answered": newAnswered, "cancelled": newCancelled, "failed": failed[1]} {
		if gone(id) {
			t.Errorf("recent %s check-in %d was purged", name, id)
		}
	}
	inv, err := h.store.Invitation(h.ctx, newInvitation)
	if err != nil || !inv.ExpiresAt.Before(h.clock.Now()) {
		t.Errorf("recent expired invitation: %+v, %v", inv, err)
	}
}

func TestUserTextIsEncryptedAtRestAndAWrongKeyIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	markers := map[string]string{
		"note": "MARKER-note-5be1", "words": "MARKER-words-93c0", "helps": "MARKER-helps-0d7e",
		"avoid": "MARKER-avoid-44af", "resources": "MARKER-resources-c2d9",
	}
	h.reply(h.srv.SlashCommand(alice, admin, "server-setup", dt.StringOption("resources", markers["resources"])))
	h.writePlan(alice, map[string]string{"helps": markers["helps"], "avoid": markers["avoid"]}, "massage")
	h.linkPartners(alice, bob)
	ex := h.exchange(alice, bob, markers["note"], "talk", markers["words"])
	h.stop() // a clean shutdown checkpoints the WAL into the file

	files := 0
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		raw, err := os.ReadFile(h.dbPath + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		files++
		if suffix == "" && !bytes.Contains(raw, []byte(alice.ID)) {
			t.Fatal("control: ids are stored in the clear, so alice's id should be in the file")
		}
		if suffix == "-wal" && len(raw) != 0 {
			t.Errorf("the WAL holds %d bytes after a clean shutdown", len(raw))
		}
		for what, m := range markers {
			if bytes.Contains(raw, []byte(m)) {
				t.Errorf("the %s text is readable in %s", what, h.dbPath+suffix)
			}
		}
	}
	if files == 0 {
		t.Fatal("no database file")
	}

	// A wrong key, as main would load it from the config, is refused before anything runs.
	cfg := h.bot.cfg
	cfg.Storage.EncryptionKey = strings.Repeat("1f", 32)
	key, _, _, err := LoadKey(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if db, err := storage.Open(context.Background(), h.dbPath, key); !errors.Is(err, storage.ErrWrongKey) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("opening with a wrong key: %v", err)
	}
	// The right key reads every text back exactly.
	db, err := storage.Open(context.Background(), h.dbPath, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	plan, _, err := db.Plan(ctx, alice.ID)
	if err != nil || plan.Helps != markers["helps"] || plan.Avoid != markers["avoid"] {
		t.Fatalf("plan read back: %+v, %v", plan, err)
	}
	ci, err := db.CheckIn(ctx, ex.id)
	if err != nil || ci.Note != markers["note"] || ci.Words != markers["words"] {
		t.Fatalf("check-in read back: %+v, %v", ci, err)
	}
	gs, err := db.GuildSettings(ctx, dt.DefaultGuildID)
	if err != nil || gs.Resources != markers["resources"] {
		t.Fatalf("server resources read back: %+v, %v", gs, err)
	}
}

func TestServerSetupResourcesDefaultsAndCheckInsOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.linkPartners(alice, bob)
	resources := "Ask a mod in #support, or call the line on the pinned post <@&42>"

	// Discord shows the command to admins by default; a member who reaches it anyway is refused.
	member := h.reply(h.srv.SlashCommand(carol, guild, "server-setup", dt.BooleanOption("checkins", false)))
	if !member.Ephemeral() || !strings.Contains(member.Content, "You need the Manage Server permission") {
		t.Fatalf("member: %q", member.Content)
	}
	if gs, _ := h.store.GuildSettings(h.ctx, dt.DefaultGuildID); gs.CheckInsOff {
		t.Fatal("a member changed the server's settings")
	}
	set := h.reply(h.srv.SlashCommand(carol, admin, "server-setup", dt.StringOption("resources", resources),
		dt.BooleanOption("checkins", false), dt.BooleanOption("public_aftercare", true)))
	if !set.Ephemeral() || set.Content != "Saved." || len(set.Embeds) != 1 {
		t.Fatalf("admin: %q %+v", set.Content, set.Embeds)
	}
	if v, _ := fieldValue(set.Embeds[0], "Support resources"); v != "> "+resources {
		t.Fatalf("resources field: %q", v)
	}
	if v, _ := fieldValue(set.Embeds[0], "Check-ins from this server"); v != "off" {
		t.Fatalf("check-ins field: %q", v)
	}

	// /aftercare in the server is public by default now, with the server's own resources.
	for _, topic := range []string{"red-flags", "resources"} {
		cb := h.reply(h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", topic)))
		if cb.Ephemeral() || len(cb.Embeds) != 1 {
			t.Fatalf("%s: ephemeral %v embeds %d", topic, cb.Ephemeral(), len(cb.Embeds))
		}
		if v, _ := fieldValue(cb.Embeds[0], "From this server's team"); v != resources {
			t.Fatalf("%s: server field %q", topic, v)
		}
	}
	if cb := h.reply(h.srv.SlashCommand(alice, guild, "aftercare", dt.StringOption("topic", "resources"), dt.BooleanOption("share", false))); !cb.Ephemeral() {
		t.Fatal("share:false keeps the reply private despite the server's default")
	}
	if cb := h.reply(h.srv.SlashCommand(alice, dm, "aftercare", dt.StringOption("topic", "resources"))); !cb.Ephemeral() || strings.Contains(cb.Text(), resources) {
		t.Fatal("outside the server, neither its default nor its resources apply")
	}

	// Check-ins started from the server are refused while it has them off.
	off := h.reply(h.srv.SlashCommand(alice, guild, "checkin", dt.SubCommand("send", dt.UserOption("partner", bob))))
	if !off.Ephemeral() || !strings.Contains(off.Content, "turned check-ins off") {
		t.Fatalf("check-in while off: %q", off.Content)
	}
	if cs, err := h.store.CheckInsFrom(h.ctx, alice.ID, time.Time{}); err != nil || len(cs) != 0 {
		t.Fatalf("a refused check-in was stored: %d, %v", len(cs), err)
	}
	h.reply(h.srv.SlashCommand(carol, admin, "server-setup", dt.BooleanOption("checkins", true)))
	// In the recipient's DM the resources are quoted under the server's name, which the bot
	// knows from GUILD_CREATE.
	if err := h.srv.DispatchEvent(h.ctx, "GUILD_CREATE", map[string]any{"id": dt.DefaultGuildID, "name": "Cozy_Corner"}); err != nil {
		t.Fatal(err)
	}
	ex := h.exchange(alice, bob, "", "care", "")
	if len(ex.answer.Embeds) != 2 || !strings.Contains(ex.answer.Embeds[1].Description, "From the team of Cozy\\_Corner:\n> "+resources+"\n\n") {
		t.Fatalf("the 💛 answer should show the server's resources, quoted under its name: %+v", ex.answer.Embeds)
	}

	// Where the server's settings cannot apply, the command says why.
	inDM := h.srv.SlashCommand(alice, dm, "about") // Discord offers /server-setup in servers only
	inDM.Payload["data"].(map[string]any)["name"] = "server-setup"
	if cb := h.reply(inDM); !strings.Contains(cb.Content, "works in a server") {
		t.Fatalf("in a DM: %q", cb.Content)
	}
	userInstall := h.srv.SlashCommand(carol, admin, "server-setup", dt.BooleanOption("checkins", false))
	userInstall.Payload["authorizing_integration_owners"] = map[string]any{"1": carol.ID}
	if cb := h.reply(userInstall); !strings.Contains(cb.Content, "I'm not installed in this server") {
		t.Fatalf("user install only: %q", cb.Content)
	}
	if gs, _ := h.store.GuildSettings(h.ctx, dt.DefaultGuildID); gs.CheckInsOff {
		t.Fatal("a user-installed command changed the server's settings")
	}
}

func TestRemovalFromAServerDeletesItsSettingsButAnOutageDoesNot(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	removed, outage := dt.DefaultGuildID, "300000000000000009"
	h.reply(h.srv.SlashCommand(carol, admin, "server-setup", dt.StringOption("resources", "removed server")))
	h.reply(h.srv.SlashCommand(carol, dt.Where{GuildID: outage, Permissions: admin.Permissions}, "server-setup", dt.StringOption("resources", "server in an outage")))
	raw := h.openRaw()
	rows := func(guildID string) int {
		return rowCount(t, raw, "SELECT count(*) FROM guild_settings WHERE guild_id = ?", guildID)
	}
	if rows(removed) != 1 || rows(outage) != 1 {
		t.Fatal("both servers should have settings")
	}
	// The outage comes first: once the removal is handled, the outage was too.
	if err := h.srv.DispatchEvent(h.ctx, "GUILD_DELETE", map[string]any{"id": outage, "unavailable": true}); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.DispatchEvent(h.ctx, "GUILD_DELETE", map[string]any{"id": removed, "unavailable": false}); err != nil {
		t.Fatal(err)
	}
	h.waitUntil("the removed server's settings are deleted", func() bool { return rows(removed) == 0 })
	h.stop() // waits for every event handler
	if rows(outage) != 1 {
		t.Fatal("an outage (unavailable: true) must keep the server's settings")
	}
}
