package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fileContains reports whether the file at path (absent counts as empty) holds marker.
func fileContains(t *testing.T, path string, marker string) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return false
	}
	must(t, err)
	return bytes.Contains(data, []byte(marker))
}

func TestUserTextIsEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "afterglow.db")
	db, err := openPath(t, path, testKey(7))
	must(t, err)
	link(t, db, alice, bob)
	const (
		note      = "MARKER-NOTE-7f3a"
		words     = "MARKER-WORDS-7f3a"
		planText  = "MARKER-PLAN-7f3a"
		resources = "MARKER-RESOURCES-7f3a"
	)
	c := deliver(t, db, schedule(t, db, alice, bob, t0, note))
	_, err = db.RecordWords(ctx, c.ID, bob, words, t0, time.Hour)
	must(t, err)
	plan := Plan{UserID: alice, Items: []string{planText + "-item"}, Helps: planText + "-helps", Avoid: planText + "-avoid", Other: planText + "-other", UpdatedAt: t0}
	must(t, db.SavePlan(ctx, plan))
	must(t, db.SaveGuildSettings(ctx, GuildSettings{GuildID: guild, Resources: resources}))

	check := func(when string) {
		t.Helper()
		if testDriver == DriverPostgres {
			// The server's files are its own: what it stores is what the rows hold.
			if in := cellsContaining(t, db, "MARKER-"); len(in) > 0 {
				t.Errorf("%s: rows hold plaintext user text: %v", when, in)
			}
			return
		}
		for _, file := range []string{path, path + "-wal"} {
			if fileContains(t, file, "MARKER-") {
				t.Errorf("%s: %s holds plaintext user text", when, filepath.Base(file))
			}
		}
	}
	check("while open")
	must(t, db.Close())
	if testDriver == DriverSQLite { // the rows cannot be read once closed
		check("after close")
	}

	db = openAt(t, path)
	got, err := db.CheckIn(ctx, c.ID)
	must(t, err)
	if got.Note != note || got.Words != words {
		t.Fatalf("decrypted check-in = %q, %q", got.Note, got.Words)
	}
	if p, _, _ := db.Plan(ctx, alice); p.Helps != plan.Helps || p.Items[0] != plan.Items[0] {
		t.Fatalf("decrypted plan = %+v", p)
	}
	if g, _ := db.GuildSettings(ctx, guild); g.Resources != resources {
		t.Fatalf("decrypted resources = %q", g.Resources)
	}
}

func TestSealedTextIsBoundToItsRow(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	a := schedule(t, db, alice, bob, t0, "first note")
	b := schedule(t, db, alice, bob, t0, "second note")
	// Move a's sealed note onto b: reading b must fail, not show a's note.
	_, err := db.sql.Exec("UPDATE checkins SET note = (SELECT note FROM checkins WHERE id = ?) WHERE id = ?", a.ID, b.ID)
	must(t, err)
	if got, err := db.CheckIn(ctx, b.ID); err == nil {
		t.Fatalf("read a moved ciphertext as %q", got.Note)
	}
	// The same for the plan of another user.
	must(t, db.SavePlan(ctx, Plan{UserID: alice, Helps: "alice's"}))
	must(t, db.SavePlan(ctx, Plan{UserID: bob, Helps: "bob's"}))
	_, err = db.sql.Exec("UPDATE plans SET body = (SELECT body FROM plans WHERE user_id = ?) WHERE user_id = ?", alice, bob)
	must(t, err)
	if p, _, err := db.Plan(ctx, bob); err == nil {
		t.Fatalf("read a moved plan as %+v", p)
	}
}

// populate gives user a row of every kind, with others around.
// relayToUser is the DM in which populate's user was told bob's answer.
var relayToUser = MessageRef{ChannelID: "700000000000000070", MessageID: "700000000000000071"}

func populate(t *testing.T, db *DB, user string) {
	t.Helper()
	ctx := context.Background()
	must(t, db.SaveUserSettings(ctx, UserSettings{UserID: user, TimeZone: "Europe/Paris", QuietStart: 60, QuietEnd: 120}))
	must(t, db.SavePlan(ctx, Plan{UserID: user, Items: []string{"hug"}, Helps: "tea", UpdatedAt: t0}))
	link(t, db, user, bob)
	link(t, db, carol, user)
	_, err := db.CreateInvitation(ctx, user, dave, t0, time.Hour, 0)
	must(t, err)
	other := "500000000000000005"
	_, err = db.CreateInvitation(ctx, other, user, t0, time.Hour, 0)
	must(t, err)
	must(t, db.Block(ctx, user, "600000000000000006", t0))
	sent := deliver(t, db, schedule(t, db, user, bob, t0, "note from "+user))
	_, err = db.RecordAnswer(ctx, sent.ID, bob, AnswerCare, t0, time.Hour)
	must(t, err)
	_, err = db.RecordWords(ctx, sent.ID, bob, "bob's words", t0, time.Hour)
	must(t, err)
	must(t, db.RecordRelay(ctx, sent.ID, relayToUser.ChannelID, relayToUser.MessageID)) // bob's answer, DMed to user
	received := deliver(t, db, schedule(t, db, carol, user, t0, "note from carol"))
	_, err = db.RecordAnswer(ctx, received.ID, user, AnswerGood, t0, time.Hour)
	must(t, err)
	must(t, db.RecordRelay(ctx, received.ID, "700000000000000072", "700000000000000073")) // user's answer, DMed to carol
	schedule(t, db, user, carol, t0.Add(time.Hour), "pending from user")
	schedule(t, db, bob, user, t0.Add(time.Hour), "bob's surprise")
	schedule(t, db, user, user, t0.Add(time.Hour), "note to self")
}

func TestDeleteUserRemovesEveryRowNamingThem(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	populate(t, db, alice)
	// Unrelated rows exist that must survive.
	link(t, db, bob, carol)
	keep := deliver(t, db, schedule(t, db, bob, carol, t0, "bob to carol"))

	before, err := db.Counts(ctx, alice)
	must(t, err)
	if !before.Settings || !before.Plan || before.Partners != 2 || before.InvitationsSent != 1 || before.InvitationsReceived != 1 ||
		before.InvitationLog != 2 || before.Blocks != 1 || before.CheckInsSent != 3 || before.CheckInsReceived != 3 {
		t.Fatalf("Counts before delete = %+v", before)
	}
	// Someone else blocks alice; that must outlive her data.
	must(t, db.Block(ctx, dave, alice, t0))

	must(t, db.DeleteUser(ctx, alice))

	if after, _ := db.Counts(ctx, alice); after != (UserCounts{}) {
		t.Fatalf("Counts after delete = %+v", after)
	}
	for _, cell := range cellsContaining(t, db, alice) {
		t.Errorf("%s still names the user", cell)
	}

	if ok, err := db.Blocked(ctx, dave, alice); !ok || err != nil {
		t.Fatalf("dave's block of alice did not survive: %v, %v", ok, err)
	}
	if ok, _ := db.ArePartners(ctx, bob, carol); !ok {
		t.Fatal("an unrelated link was deleted")
	}
	if got, err := db.CheckIn(ctx, keep.ID); err != nil || got.Note != "bob to carol" {
		t.Fatalf("an unrelated check-in was deleted: %v", err)
	}
	if s, _ := db.UserSettings(ctx, alice); s != DefaultUserSettings(alice) {
		t.Fatalf("settings after delete = %+v", s)
	}
}

func isBytes(v any) bool { _, ok := v.([]byte); return ok }

// cellsContaining names every table cell (table.column = value) whose value holds s.
func cellsContaining(t *testing.T, db *DB, s string) []string {
	t.Helper()
	var found []string
	for _, table := range tableNames(t, db) {
		rows, err := db.sql.Query("SELECT * FROM " + table)
		must(t, err)
		cols, _ := rows.Columns()
		for rows.Next() {
			values := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range values {
				ptrs[i] = &values[i]
			}
			must(t, rows.Scan(ptrs...))
			for i, v := range values {
				if strings.Contains(fmt.Sprint(v), s) || (isBytes(v) && bytes.Contains(v.([]byte), []byte(s))) {
					found = append(found, fmt.Sprintf("%s.%s = %v", table, cols[i], v))
				}
			}
		}
		must(t, rows.Err())
		rows.Close()
	}
	return found
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	populate(t, db, alice)

	ex, err := db.Export(ctx, alice)
	must(t, err)
	if ex.UserID != alice || ex.Settings == nil || ex.Settings.TimeZone != "Europe/Paris" || ex.Plan == nil || ex.Plan.Helps != "tea" {
		t.Fatalf("export settings/plan = %+v / %+v", ex.Settings, ex.Plan)
	}
	if len(ex.Partners) != 2 || len(ex.InvitationsSent) != 1 || ex.InvitationsSent[0].InviteeID != dave ||
		len(ex.InvitationsReceived) != 1 || len(ex.InvitationsCreated) != 2 || !ex.InvitationsCreated[0].Equal(t0) {
		t.Fatalf("export links/invitations = %+v", ex)
	}
	if len(ex.Blocks) != 1 || ex.Blocks[0].Blocked != "hashed" || !ex.Blocks[0].Since.Equal(t0) {
		t.Fatalf("export blocks = %+v", ex.Blocks)
	}
	if len(ex.CheckInsSent) != 3 || len(ex.CheckInsReceived) != 3 {
		t.Fatalf("export check-ins: %d sent, %d received", len(ex.CheckInsSent), len(ex.CheckInsReceived))
	}
	toBob := ex.CheckInsSent[0]
	if toBob.Note != "note from "+alice || toBob.Answer != AnswerCare || toBob.Words != "bob's words" {
		t.Fatalf("sent check-in with the answer bob gave = %+v", toBob)
	}
	if len(ex.RelayDMs) != 1 || ex.RelayDMs[0] != relayToUser {
		t.Fatalf("export relay DMs = %+v, want only the one to the user, %+v", ex.RelayDMs, relayToUser)
	}
	notes := map[string]string{}
	for _, c := range ex.CheckInsReceived {
		notes[c.SenderID] = c.Note
		if c.SenderID == carol && c.Answer != AnswerGood {
			t.Fatalf("own answer missing: %+v", c)
		}
	}
	if notes[carol] != "note from carol" || notes[bob] != "" || notes[alice] != "note to self" {
		t.Fatalf("received notes = %q (undelivered notes from others stay hidden)", notes)
	}

	data, err := json.Marshal(ex)
	must(t, err)
	for _, want := range []string{`"user_id":"` + alice + `"`, `"checkins_sent"`, `"blocked":"hashed"`, `"words":"bob's words"`, `"relay_dms":[{"channel_id":"700000000000000070"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("export JSON lacks %s", want)
		}
	}
	if strings.Contains(string(data), "600000000000000006") || strings.Contains(string(data), "bob's surprise") {
		t.Error("export JSON reveals the blocked id or an undelivered note from someone else")
	}
	if strings.Contains(string(data), "0001-01-01") {
		t.Error("export JSON holds zero times")
	}

	empty, err := db.Export(ctx, "700000000000000007")
	must(t, err)
	if empty.Settings != nil || empty.Plan != nil || len(empty.CheckInsSent) != 0 {
		t.Fatalf("export of a stranger = %+v", empty)
	}
}

func TestPurge(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	keep := 30 * 24 * time.Hour

	answered := deliver(t, db, schedule(t, db, alice, bob, t0, ""))
	_, err := db.RecordAnswer(ctx, answered.ID, bob, AnswerGood, t0.Add(time.Hour), time.Hour)
	must(t, err)
	cancelled := schedule(t, db, alice, bob, t0.Add(time.Hour), "")
	_, err = db.CancelCheckIn(ctx, cancelled.ID, alice, t0.Add(2*time.Hour))
	must(t, err)
	pendingOld := schedule(t, db, alice, bob, t0.Add(-time.Hour), "") // overdue but never claimed: kept
	failed := schedule(t, db, alice, bob, t0.Add(-time.Hour), "")
	claimed, err := db.ClaimDue(ctx, t0, time.Minute, 10)
	must(t, err)
	for _, c := range claimed {
		if c.ID == failed.ID {
			must(t, db.MarkFailed(ctx, c, StatusFailed, "http_500", t0.Add(3*time.Hour)))
		} else {
			must(t, db.Reschedule(ctx, c, c.NextAttemptAt, 0))
		}
	}
	expired, err := db.CreateInvitation(ctx, carol, dave, t0, time.Hour, 5) // expires t0+1h
	must(t, err)
	live, err := db.CreateInvitation(ctx, carol, alice, t0.Add(keep), 48*time.Hour, 5)
	must(t, err)

	// keep after the answer but before the cancel: only the answered one and the expired invitation go.
	n, err := db.Purge(ctx, t0.Add(keep+90*time.Minute), keep)
	if err != nil || n != 2 {
		t.Fatalf("first Purge = %d, %v; want 2", n, err)
	}
	_, err = db.CheckIn(ctx, answered.ID)
	wantErr(t, err, ErrNotFound)
	_, err = db.Invitation(ctx, expired.ID)
	wantErr(t, err, ErrNotFound)
	if _, err := db.CheckIn(ctx, cancelled.ID); err != nil {
		t.Fatalf("cancelled check-in purged too early: %v", err)
	}

	n, err = db.Purge(ctx, t0.Add(keep+4*time.Hour), keep)
	if err != nil || n != 2 {
		t.Fatalf("second Purge = %d, %v; want 2 (cancelled, failed)", n, err)
	}
	if _, err := db.CheckIn(ctx, pendingOld.ID); err != nil {
		t.Fatalf("pending check-in purged: %v", err)
	}
	if _, err := db.Invitation(ctx, live.ID); err != nil {
		t.Fatalf("live invitation purged: %v", err)
	}
	// The invitation log lives the 24 h the limit needs.
	var logRows int
	must(t, db.sql.QueryRow("SELECT count(*) FROM invitation_log").Scan(&logRows))
	if logRows != 1 {
		t.Fatalf("invitation log rows = %d, want only the recent one", logRows)
	}
	if _, err := db.Purge(ctx, t0.Add(keep+time.Hour), time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err = db.CreateInvitation(ctx, carol, bob, t0.Add(keep+time.Hour), time.Hour, 1)
	wantErr(t, err, ErrInviteLimit) // a short keep must not make the limit forget a recent invitation
}

// TestPurgeKeepsTheInvitationLogOneDay: the log exists for the daily limit only; the
// retention period keeps finished check-ins, not the log.
func TestPurgeKeepsTheInvitationLogOneDay(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob) // one log row at t0
	answered := deliver(t, db, schedule(t, db, alice, bob, t0, ""))
	_, err := db.RecordAnswer(ctx, answered.ID, bob, AnswerGood, t0, time.Hour)
	must(t, err)
	_, err = db.CreateInvitation(ctx, carol, dave, t0.Add(47*time.Hour), time.Hour, 5) // a day old at purge time
	must(t, err)

	now := t0.Add(48*time.Hour + time.Minute)
	_, err = db.Purge(ctx, now, 30*24*time.Hour)
	must(t, err)
	var inviters []string
	rows, err := db.sql.Query("SELECT inviter_id FROM invitation_log ORDER BY created_at")
	must(t, err)
	defer rows.Close()
	for rows.Next() {
		var id string
		must(t, rows.Scan(&id))
		inviters = append(inviters, id)
	}
	must(t, rows.Err())
	if strings.Join(inviters, ",") != carol {
		t.Fatalf("invitation log after the purge = %v, want only carol's of the last day", inviters)
	}
	if got, err := db.CheckIn(ctx, answered.ID); err != nil || got.Answer != AnswerGood {
		t.Fatalf("a two-day-old answered check-in is within retention and must stay: %v", err)
	}
}
