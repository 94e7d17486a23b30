package storage

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func TestInvitationAcceptLinksBoth(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	inv, err := db.CreateInvitation(ctx, alice, bob, t0, 24*time.Hour, 5)
	must(t, err)
	if inv.ID == 0 || inv.InviterID != alice || inv.InviteeID != bob || !inv.CreatedAt.Equal(t0) || !inv.ExpiresAt.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("created invitation = %+v", inv)
	}
	got, err := db.Invitation(ctx, inv.ID)
	if err != nil || got != inv {
		t.Fatalf("Invitation = %+v, %v; want %+v", got, err, inv)
	}
	to, err := db.InvitationsTo(ctx, bob, t0)
	must(t, err)
	from, err := db.InvitationsFrom(ctx, alice, t0)
	must(t, err)
	if len(to) != 1 || to[0] != inv || len(from) != 1 || from[0] != inv {
		t.Fatalf("InvitationsTo = %+v, InvitationsFrom = %+v", to, from)
	}
	if none, _ := db.InvitationsTo(ctx, alice, t0); len(none) != 0 {
		t.Fatalf("alice received %+v", none)
	}

	// Only the invitee may accept.
	_, err = db.AcceptInvitation(ctx, inv.ID, alice, t0)
	wantErr(t, err, ErrNotFound)
	accepted, err := db.AcceptInvitation(ctx, inv.ID, bob, t0.Add(time.Minute))
	must(t, err)
	if accepted != inv {
		t.Fatalf("accepted = %+v", accepted)
	}
	for _, pair := range [][2]string{{alice, bob}, {bob, alice}} {
		if ok, err := db.ArePartners(ctx, pair[0], pair[1]); !ok || err != nil {
			t.Fatalf("ArePartners(%s, %s) = %v, %v", pair[0], pair[1], ok, err)
		}
	}
	if ok, _ := db.ArePartners(ctx, alice, carol); ok {
		t.Fatal("alice and carol are partners")
	}
	ps, err := db.Partners(ctx, bob)
	must(t, err)
	if len(ps) != 1 || ps[0].UserID != alice || !ps[0].Since.Equal(t0.Add(time.Minute)) {
		t.Fatalf("Partners(bob) = %+v", ps)
	}
	_, err = db.Invitation(ctx, inv.ID)
	wantErr(t, err, ErrNotFound)
	_, err = db.AcceptInvitation(ctx, inv.ID, bob, t0)
	wantErr(t, err, ErrNotFound)
}

func TestPartnersListsEveryLinkOldestFirst(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for i, other := range []string{dave, bob, carol} {
		inv, err := db.CreateInvitation(ctx, other, alice, t0, time.Hour, 0)
		must(t, err)
		_, err = db.AcceptInvitation(ctx, inv.ID, alice, t0.Add(time.Duration(i)*time.Minute))
		must(t, err)
	}
	ps, err := db.Partners(ctx, alice)
	must(t, err)
	if len(ps) != 3 || ps[0].UserID != dave || ps[1].UserID != bob || ps[2].UserID != carol {
		t.Fatalf("Partners(alice) = %+v", ps)
	}
}

func TestCreateInvitationRefusals(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	ttl := time.Hour

	if _, err := db.CreateInvitation(ctx, alice, alice, t0, ttl, 0); err == nil {
		t.Fatal("invited oneself")
	}

	link(t, db, alice, bob)
	_, err := db.CreateInvitation(ctx, bob, alice, t0, ttl, 0)
	wantErr(t, err, ErrAlreadyPartners)

	_, err = db.CreateInvitation(ctx, alice, carol, t0, ttl, 0)
	must(t, err)
	_, err = db.CreateInvitation(ctx, alice, carol, t0.Add(time.Minute), ttl, 0)
	wantErr(t, err, ErrInvitePending)
	_, err = db.CreateInvitation(ctx, carol, alice, t0.Add(time.Minute), ttl, 0)
	wantErr(t, err, ErrInvitePending)
	// Once it expired, a new invitation may go either way, and only the new one is listed.
	fresh, err := db.CreateInvitation(ctx, carol, alice, t0.Add(ttl), ttl, 0)
	must(t, err)
	to, _ := db.InvitationsTo(ctx, alice, t0.Add(ttl))
	if len(to) != 1 || to[0].ID != fresh.ID {
		t.Fatalf("InvitationsTo(alice) = %+v", to)
	}

	// Refused: dave turned invitations off.
	must(t, db.SaveUserSettings(ctx, UserSettings{UserID: dave, InvitesOff: true, QuietStart: -1, QuietEnd: -1}))
	_, err = db.CreateInvitation(ctx, bob, dave, t0, ttl, 0)
	wantErr(t, err, ErrInviteRefused)

	// Refused: the invitee blocked the inviter.
	must(t, db.Block(ctx, carol, bob, t0))
	_, err = db.CreateInvitation(ctx, bob, carol, t0, ttl, 0)
	wantErr(t, err, ErrInviteRefused)
}

func TestInvitationDailyLimit(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	must(t, db.Block(ctx, dave, alice, t0)) // dave would refuse alice

	// Three invitations, each then withdrawn or declined: all count towards the limit.
	a, err := db.CreateInvitation(ctx, alice, bob, t0, time.Hour, 3)
	must(t, err)
	must(t, db.WithdrawInvitation(ctx, a.ID, alice, t0))
	b, err := db.CreateInvitation(ctx, alice, bob, t0.Add(time.Hour), time.Hour, 3)
	must(t, err)
	must(t, db.DeclineInvitation(ctx, b.ID, bob, t0.Add(time.Hour)))
	_, err = db.CreateInvitation(ctx, alice, carol, t0.Add(2*time.Hour), time.Hour, 3)
	must(t, err)

	_, err = db.CreateInvitation(ctx, alice, bob, t0.Add(3*time.Hour), time.Hour, 3)
	wantErr(t, err, ErrInviteLimit)
	// Over the limit the answer is the limit, even where a refusal waits: no probing blocks.
	_, err = db.CreateInvitation(ctx, alice, dave, t0.Add(3*time.Hour), time.Hour, 3)
	wantErr(t, err, ErrInviteLimit)
	// Other people are not limited by alice's count.
	_, err = db.CreateInvitation(ctx, bob, dave, t0.Add(3*time.Hour), time.Hour, 3)
	must(t, err)
	// 24 h after the first, one slot is free again (carol: bob declined alice, so a new
	// invitation to him would be refused for 7 days).
	_, err = db.CreateInvitation(ctx, alice, carol, t0.Add(24*time.Hour), time.Hour, 3)
	must(t, err)
	_, err = db.CreateInvitation(ctx, alice, dave, t0.Add(24*time.Hour+time.Minute), time.Hour, 3)
	wantErr(t, err, ErrInviteLimit)
}

func TestDeclineWithdrawAcceptChecks(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	inv, err := db.CreateInvitation(ctx, alice, bob, t0, time.Hour, 0)
	must(t, err)

	wantErr(t, db.DeclineInvitation(ctx, inv.ID, alice, t0), ErrNotFound)  // not the invitee
	wantErr(t, db.WithdrawInvitation(ctx, inv.ID, bob, t0), ErrNotFound)   // not the inviter
	wantErr(t, db.DeclineInvitation(ctx, 9999, bob, t0), ErrNotFound)      // no such invitation
	wantErr(t, db.WithdrawInvitation(ctx, inv.ID, carol, t0), ErrNotFound) // a stranger

	expiredAt := t0.Add(time.Hour)
	_, err = db.AcceptInvitation(ctx, inv.ID, bob, expiredAt)
	wantErr(t, err, ErrExpired)
	wantErr(t, db.DeclineInvitation(ctx, inv.ID, bob, expiredAt), ErrExpired)
	if ok, _ := db.ArePartners(ctx, alice, bob); ok {
		t.Fatal("an expired invitation linked them")
	}
	if to, _ := db.InvitationsTo(ctx, bob, expiredAt); len(to) != 0 {
		t.Fatalf("expired invitation still listed: %+v", to)
	}

	must(t, db.DeclineInvitation(ctx, inv.ID, bob, t0))
	_, err = db.Invitation(ctx, inv.ID)
	wantErr(t, err, ErrNotFound)

	// Bob declined, so alice's next invitation is kept hidden (cooldown); its id is new all the same.
	inv2, err := db.CreateInvitation(ctx, alice, bob, t0, time.Hour, 0)
	wantErr(t, err, ErrInviteRefused)
	if inv2.ID <= inv.ID {
		t.Fatalf("invitation id %d reused or went back (after %d)", inv2.ID, inv.ID)
	}
	must(t, db.WithdrawInvitation(ctx, inv2.ID, alice, t0))
	if from, _ := db.InvitationsFrom(ctx, alice, t0); len(from) != 0 {
		t.Fatalf("withdrawn invitation still listed: %+v", from)
	}
	wantErr(t, db.WithdrawInvitation(ctx, inv2.ID, alice, t0), ErrNotFound)
}

func TestBlockRemovesEverythingBetweenThem(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	link(t, db, alice, carol)
	toBob := schedule(t, db, alice, bob, t0.Add(time.Hour), "")
	fromBob := schedule(t, db, bob, alice, t0.Add(time.Hour), "")
	claimed := schedule(t, db, bob, alice, t0.Add(-time.Hour), "")
	_, err := db.ClaimDue(ctx, t0, time.Minute, 10) // claimed is now being sent
	must(t, err)
	toCarol := schedule(t, db, alice, carol, t0.Add(time.Hour), "")

	must(t, db.Block(ctx, bob, alice, t0))
	must(t, db.Block(ctx, bob, alice, t0.Add(time.Minute))) // again: no error, one block

	if ok, _ := db.ArePartners(ctx, alice, bob); ok {
		t.Fatal("link survived the block")
	}
	for _, c := range []CheckIn{toBob, fromBob, claimed} {
		got, err := db.CheckIn(ctx, c.ID)
		must(t, err)
		if got.Status != StatusCancelled {
			t.Errorf("check-in %d status = %s, want cancelled", c.ID, got.Status)
		}
	}
	// The claimed one is cancelled too: its worker re-checks before it posts and deletes a
	// DM that went out anyway.
	if got, _ := db.CheckIn(ctx, toCarol.ID); got.Status != StatusPending {
		t.Errorf("unrelated check-in status = %s", got.Status)
	}
	if ok, _ := db.ArePartners(ctx, alice, carol); !ok {
		t.Error("unrelated link removed")
	}
	if ok, err := db.Blocked(ctx, bob, alice); !ok || err != nil {
		t.Fatalf("Blocked(bob, alice) = %v, %v", ok, err)
	}
	if ok, _ := db.Blocked(ctx, alice, bob); ok {
		t.Fatal("the block went both ways")
	}
	var n int
	var hash []byte
	must(t, db.sql.QueryRow(`SELECT (SELECT count(*) FROM blocks WHERE blocker_id = ?1),
		(SELECT blocked_hash FROM blocks WHERE blocker_id = ?1 LIMIT 1)`, bob).Scan(&n, &hash))
	if n != 1 || bytes.Contains(hash, []byte(alice)) || len(hash) != 32 {
		t.Fatalf("blocks rows = %d, hash %x", n, hash)
	}

	// A pending invitation between them goes too.
	_, err = db.CreateInvitation(ctx, carol, dave, t0, time.Hour, 0)
	must(t, err)
	must(t, db.Block(ctx, dave, carol, t0))
	if to, _ := db.InvitationsTo(ctx, dave, t0); len(to) != 0 {
		t.Fatalf("invitation survived the block: %+v", to)
	}

	must(t, db.Unblock(ctx, bob, alice))
	must(t, db.Unblock(ctx, bob, alice)) // nothing left to lift: fine
	if ok, _ := db.Blocked(ctx, bob, alice); ok {
		t.Fatal("still blocked after Unblock")
	}
	if err := db.Block(ctx, alice, alice, t0); err == nil {
		t.Fatal("blocked oneself")
	}
}

func TestBlockHashDependsOnKey(t *testing.T) {
	a, err := newSealer(testKey(1))
	must(t, err)
	b, err := newSealer(testKey(2))
	must(t, err)
	if bytes.Equal(a.blockHash(alice), b.blockHash(alice)) || bytes.Equal(a.blockHash(alice), a.blockHash(bob)) {
		t.Fatal("block hashes collide across keys or users")
	}
}

func TestRemovePartner(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	pending := schedule(t, db, alice, bob, t0.Add(time.Hour), "")
	back := schedule(t, db, bob, alice, t0.Add(2*time.Hour), "")
	delivered := deliver(t, db, schedule(t, db, bob, alice, t0.Add(-time.Hour), ""))

	removed, err := db.RemovePartner(ctx, bob, alice, t0)
	if err != nil || !removed {
		t.Fatalf("RemovePartner = %v, %v", removed, err)
	}
	if ok, _ := db.ArePartners(ctx, alice, bob); ok {
		t.Fatal("still partners")
	}
	for _, c := range []CheckIn{pending, back} {
		if got, _ := db.CheckIn(ctx, c.ID); got.Status != StatusCancelled {
			t.Errorf("check-in %d status = %s, want cancelled", c.ID, got.Status)
		}
	}
	if got, _ := db.CheckIn(ctx, delivered.ID); got.Status != StatusSent {
		t.Errorf("delivered check-in status = %s, want sent", got.Status)
	}
	removed, err = db.RemovePartner(ctx, alice, bob, t0)
	if err != nil || removed {
		t.Fatalf("second RemovePartner = %v, %v", removed, err)
	}
}

// A refused invitation (block, invitations off) is kept for the inviter alone, so that it
// looks to them exactly like one whose DM could not be delivered.
func TestRefusedInvitationIsKeptForTheInviterOnly(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	ttl := time.Hour
	must(t, db.Block(ctx, bob, alice, t0))
	must(t, db.SaveUserSettings(ctx, UserSettings{UserID: carol, InvitesOff: true, QuietStart: -1, QuietEnd: -1}))

	for _, invitee := range []string{bob, carol} {
		refused, err := db.CreateInvitation(ctx, alice, invitee, t0, ttl, 5)
		wantErr(t, err, ErrInviteRefused)
		if refused.ID == 0 || refused.InviteeID != invitee || !refused.ExpiresAt.Equal(t0.Add(ttl)) {
			t.Fatalf("refused invitation = %+v", refused)
		}
		// The inviter sees it pending, and a second try answers as for any pending one.
		_, err = db.CreateInvitation(ctx, alice, invitee, t0.Add(time.Minute), ttl, 5)
		wantErr(t, err, ErrInvitePending)
		// The invitee never sees it and cannot act on it, even with its id.
		if to, _ := db.InvitationsTo(ctx, invitee, t0); len(to) != 0 {
			t.Fatalf("the invitee sees a refused invitation: %+v", to)
		}
		_, err = db.AcceptInvitation(ctx, refused.ID, invitee, t0)
		wantErr(t, err, ErrNotFound)
		wantErr(t, db.DeclineInvitation(ctx, refused.ID, invitee, t0), ErrNotFound)
		ex, err := db.Export(ctx, invitee)
		must(t, err)
		c, err := db.Counts(ctx, invitee)
		must(t, err)
		if len(ex.InvitationsReceived) != 0 || c.InvitationsReceived != 0 {
			t.Fatalf("the invitee's export or summary shows it: %+v, %+v", ex.InvitationsReceived, c)
		}
	}
	from, err := db.InvitationsFrom(ctx, alice, t0)
	must(t, err)
	ex, err := db.Export(ctx, alice)
	must(t, err)
	if len(from) != 2 || from[0].InviteeID != bob || from[1].InviteeID != carol || len(ex.InvitationsSent) != 2 || len(ex.InvitationsCreated) != 2 {
		t.Fatalf("inviter's view: from %+v, export %+v", from, ex)
	}
	// Both count against the daily limit, like any invitation.
	_, err = db.CreateInvitation(ctx, alice, dave, t0, ttl, 2)
	wantErr(t, err, ErrInviteLimit)
	// The inviter may withdraw one; the other expires at the usual time.
	must(t, db.WithdrawInvitation(ctx, from[0].ID, alice, t0))
	if left, _ := db.InvitationsFrom(ctx, alice, t0); len(left) != 1 || left[0].ID != from[1].ID {
		t.Fatalf("after withdrawing: %+v", left)
	}
	if left, _ := db.InvitationsFrom(ctx, alice, t0.Add(ttl)); len(left) != 0 {
		t.Fatalf("after expiry: %+v", left)
	}

	// The refuser's own invitation is not held up by one they never saw.
	_, err = db.CreateInvitation(ctx, alice, carol, t0.Add(ttl), ttl, 5)
	wantErr(t, err, ErrInviteRefused)
	own, err := db.CreateInvitation(ctx, carol, alice, t0.Add(ttl), ttl, 5)
	must(t, err)
	if to, _ := db.InvitationsTo(ctx, alice, t0.Add(ttl)); len(to) != 1 || to[0].ID != own.ID {
		t.Fatalf("alice's invitations: %+v", to)
	}

	// Either person's deletion removes a refused invitation.
	_, err = db.CreateInvitation(ctx, dave, bob, t0, ttl, 5)
	must(t, err)
	must(t, db.Block(ctx, bob, dave, t0))
	_, err = db.CreateInvitation(ctx, dave, bob, t0, ttl, 5)
	wantErr(t, err, ErrInviteRefused)
	must(t, db.DeleteUser(ctx, bob))
	if left, _ := db.InvitationsFrom(ctx, dave, t0); len(left) != 0 {
		t.Fatalf("after the invitee's deletion: %+v", left)
	}
	_, err = db.CreateInvitation(ctx, carol, dave, t0.Add(2*ttl), ttl, 5)
	must(t, err)
	_, err = db.CreateInvitation(ctx, dave, carol, t0.Add(3*ttl), ttl, 5)
	wantErr(t, err, ErrInviteRefused)
	must(t, db.DeleteUser(ctx, dave))
	var rows int
	must(t, db.sql.QueryRow("SELECT count(*) FROM invitations WHERE inviter_id = ? OR invitee_id = ?", dave, dave).Scan(&rows))
	if rows != 0 {
		t.Fatalf("%d invitations left after the inviter's deletion", rows)
	}
}

// Whoever declined or removed someone is safe from their invitations for 7 days, and may
// invite them at any time.
func TestCooldownAfterDeclineOrRemove(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	ttl := time.Hour
	inv, err := db.CreateInvitation(ctx, alice, bob, t0, ttl, 0)
	must(t, err)
	must(t, db.DeclineInvitation(ctx, inv.ID, bob, t0))
	link(t, db, carol, dave)
	removed, err := db.RemovePartner(ctx, dave, carol, t0)
	must(t, err)
	if !removed {
		t.Fatal("not removed")
	}

	for _, pair := range [][2]string{{alice, bob}, {carol, dave}} {
		_, err = db.CreateInvitation(ctx, pair[0], pair[1], t0.Add(time.Minute), ttl, 0)
		wantErr(t, err, ErrInviteRefused)
		if to, _ := db.InvitationsTo(ctx, pair[1], t0.Add(time.Minute)); len(to) != 0 {
			t.Fatalf("%s sees an invitation during the cooldown: %+v", pair[1], to)
		}
		// Just before 7 days the cooldown holds (the refused invitation expired meanwhile).
		_, err = db.CreateInvitation(ctx, pair[0], pair[1], t0.Add(InviteCooldown-time.Minute), ttl, 0)
		wantErr(t, err, ErrInviteRefused)
		_, err = db.CreateInvitation(ctx, pair[0], pair[1], t0.Add(InviteCooldown+ttl), ttl, 0)
		must(t, err)
	}

	// The one who declined or removed may invite at once.
	inv, err = db.CreateInvitation(ctx, alice, carol, t0, ttl, 0)
	must(t, err)
	must(t, db.DeclineInvitation(ctx, inv.ID, carol, t0))
	if _, err := db.CreateInvitation(ctx, carol, alice, t0, ttl, 0); err != nil {
		t.Fatalf("the decliner could not invite: %v", err)
	}

	// Stored like a block: the decliner's id, and the other person only as a keyed hash.
	var n int
	var hash []byte
	must(t, db.sql.QueryRow(`SELECT (SELECT count(*) FROM invite_cooldowns WHERE setter_id = ?1),
		(SELECT target_hash FROM invite_cooldowns WHERE setter_id = ?1 LIMIT 1)`, carol).Scan(&n, &hash))
	if n != 1 || bytes.Contains(hash, []byte(alice)) || len(hash) != 32 {
		t.Fatalf("cooldown rows = %d, hash %x", n, hash)
	}
	ex, err := db.Export(ctx, carol)
	must(t, err)
	if c, _ := db.Counts(ctx, carol); len(ex.Cooldowns) != 1 || !ex.Cooldowns[0].Equal(t0.Add(InviteCooldown)) || c.Cooldowns != 1 {
		t.Fatalf("carol's export %+v, counts %+v", ex.Cooldowns, c)
	}
	// The declined person's deletion does not lift it; the decliner's does.
	must(t, db.DeleteUser(ctx, alice))
	_, err = db.CreateInvitation(ctx, alice, carol, t0.Add(time.Hour), ttl, 0)
	wantErr(t, err, ErrInviteRefused)
	must(t, db.DeleteUser(ctx, carol))
	if _, err := db.CreateInvitation(ctx, alice, carol, t0.Add(2*time.Hour), ttl, 0); err != nil {
		t.Fatalf("after the decliner's deletion: %v", err)
	}

	// Expired cooldowns are purged.
	inv, err = db.CreateInvitation(ctx, bob, dave, t0, ttl, 0)
	must(t, err)
	must(t, db.DeclineInvitation(ctx, inv.ID, dave, t0))
	_, err = db.Purge(ctx, t0.Add(InviteCooldown+time.Minute), 30*24*time.Hour)
	must(t, err)
	must(t, db.sql.QueryRow("SELECT count(*) FROM invite_cooldowns").Scan(&n))
	if n != 0 {
		t.Fatalf("%d cooldowns left after purge", n)
	}
}
