package storage

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestEndUserUnlinksAndCancelsEverythingOfThem(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	link(t, db, alice, bob)
	link(t, db, alice, carol)
	link(t, db, bob, carol)
	toAlice := schedule(t, db, bob, alice, t0.Add(time.Hour), "")
	fromAlice := schedule(t, db, alice, carol, t0.Add(2*time.Hour), "")
	self := schedule(t, db, alice, alice, t0.Add(time.Hour), "")
	sending := schedule(t, db, carol, alice, t0.Add(-time.Minute), "")
	_, err := db.ClaimDue(ctx, t0, time.Minute, 10) // sending is now being sent
	must(t, err)
	delivered := deliver(t, db, schedule(t, db, bob, alice, t0.Add(-2*time.Hour), ""))
	others := schedule(t, db, bob, carol, t0.Add(time.Hour), "")
	const eve = "500000000000000005"
	invFrom, err := db.CreateInvitation(ctx, alice, eve, t0, time.Hour, 0)
	must(t, err)
	invTo, err := db.CreateInvitation(ctx, dave, alice, t0, time.Hour, 0)
	must(t, err)

	ended, err := db.EndUser(ctx, alice, t0)
	if err != nil {
		t.Fatal(err)
	}
	if ended.Partners != 2 || ended.CheckIns != 4 {
		t.Errorf("EndUser = %+v, want 2 partners and 4 check-ins", ended)
	}
	if ps, _ := db.Partners(ctx, alice); len(ps) != 0 {
		t.Errorf("alice still has partners %+v", ps)
	}
	if ok, _ := db.ArePartners(ctx, bob, carol); !ok {
		t.Error("a link between two others was ended")
	}
	for _, c := range []CheckIn{toAlice, fromAlice, self, sending} {
		if got, _ := db.CheckIn(ctx, c.ID); got.Status != StatusCancelled {
			t.Errorf("check-in %d status = %s, want cancelled", c.ID, got.Status)
		}
	}
	if got, _ := db.CheckIn(ctx, delivered.ID); got.Status != StatusSent {
		t.Errorf("a delivered check-in became %s", got.Status)
	}
	if got, _ := db.CheckIn(ctx, others.ID); got.Status != StatusPending {
		t.Errorf("a check-in between two others became %s", got.Status)
	}
	for _, id := range []int64{invFrom.ID, invTo.ID} {
		if _, err := db.Invitation(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("invitation %d survived: %v", id, err)
		}
	}
	// As after /partner remove, a former partner may not invite them back at once.
	if _, err := db.CreateInvitation(ctx, bob, alice, t0.Add(time.Minute), time.Hour, 0); !errors.Is(err, ErrInviteRefused) {
		t.Errorf("invitation from a former partner right after: %v, want ErrInviteRefused", err)
	}
	// Again: nothing left to end, no error.
	if again, err := db.EndUser(ctx, alice, t0); err != nil || again != (EndedUser{}) {
		t.Errorf("second EndUser = %+v, %v", again, err)
	}
}
