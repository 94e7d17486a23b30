package storage

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestUserSettings(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	got, err := db.UserSettings(ctx, alice)
	must(t, err)
	if got != DefaultUserSettings(alice) || got.TimeZone != "UTC" || got.QuietStart != -1 || got.QuietEnd != -1 {
		t.Fatalf("defaults = %+v", got)
	}

	want := UserSettings{UserID: alice, TimeZone: "Europe/Berlin", QuietStart: 22 * 60, QuietEnd: 7 * 60, InvitesOff: true, FollowupsDefault: true}
	must(t, db.SaveUserSettings(ctx, want))
	if got, _ := db.UserSettings(ctx, alice); got != want {
		t.Fatalf("saved = %+v, want %+v", got, want)
	}
	want = UserSettings{UserID: alice, QuietStart: -1, QuietEnd: -1}
	must(t, db.SaveUserSettings(ctx, want))
	want.TimeZone = "UTC"
	if got, _ := db.UserSettings(ctx, alice); got != want {
		t.Fatalf("overwritten = %+v, want %+v", got, want)
	}
	if got, _ := db.UserSettings(ctx, bob); got != DefaultUserSettings(bob) {
		t.Fatalf("bob's settings changed: %+v", got)
	}

	for _, bad := range []UserSettings{
		{UserID: ""},
		{UserID: alice, QuietStart: -1, QuietEnd: 60},
		{UserID: alice, QuietStart: 24 * 60, QuietEnd: 0},
		{UserID: alice, QuietStart: 0, QuietEnd: -5},
	} {
		if err := db.SaveUserSettings(ctx, bad); err == nil {
			t.Errorf("SaveUserSettings(%+v) accepted", bad)
		}
	}
}

func TestGuildSettings(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	got, err := db.GuildSettings(ctx, guild)
	must(t, err)
	if got != (GuildSettings{GuildID: guild}) {
		t.Fatalf("defaults = %+v", got)
	}
	want := GuildSettings{GuildID: guild, Resources: "Ask in #support.\nCrisis line: 123", CheckInsOff: true, PublicAftercare: true}
	must(t, db.SaveGuildSettings(ctx, want))
	if got, _ := db.GuildSettings(ctx, guild); got != want {
		t.Fatalf("saved = %+v", got)
	}
	want = GuildSettings{GuildID: guild}
	must(t, db.SaveGuildSettings(ctx, want))
	if got, _ := db.GuildSettings(ctx, guild); got != want {
		t.Fatalf("overwritten = %+v", got)
	}
	must(t, db.SaveGuildSettings(ctx, GuildSettings{GuildID: guild, Resources: "x"}))
	if got, _ := db.GuildSettings(ctx, guild); got.Resources != "x" {
		t.Fatalf("saved again = %+v", got)
	}
	must(t, db.DeleteGuild(ctx, guild))
	if got, _ := db.GuildSettings(ctx, guild); got != (GuildSettings{GuildID: guild}) {
		t.Fatalf("after DeleteGuild = %+v", got)
	}
	var n int
	must(t, db.sql.QueryRow("SELECT count(*) FROM guild_settings").Scan(&n))
	if n != 0 {
		t.Fatalf("%d guild rows after DeleteGuild", n)
	}
	if err := db.SaveGuildSettings(ctx, GuildSettings{}); err == nil {
		t.Fatal("saved settings without a guild id")
	}
}

func TestPlans(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, ok, err := db.Plan(ctx, alice); ok || err != nil {
		t.Fatalf("Plan before saving = %v, %v", ok, err)
	}
	want := Plan{UserID: alice, Items: []string{"water", "blanket"}, Helps: "quiet talk", Avoid: "bright light",
		Other: "text me the next day", Shared: true, UpdatedAt: t0}
	must(t, db.SavePlan(ctx, want))
	got, ok, err := db.Plan(ctx, alice)
	if err != nil || !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("Plan = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	want = Plan{UserID: alice, Items: []string{"tea"}, UpdatedAt: t0.Add(time.Hour)}
	must(t, db.SavePlan(ctx, want))
	if got, _, _ := db.Plan(ctx, alice); !reflect.DeepEqual(got, want) {
		t.Fatalf("overwritten plan = %+v", got)
	}
	if _, ok, _ := db.Plan(ctx, bob); ok {
		t.Fatal("bob has a plan")
	}
	if err := db.SavePlan(ctx, Plan{}); err == nil {
		t.Fatal("saved a plan without a user id")
	}
}

// Settings are cached in memory; a read racing a write must never leave the cache holding
// what the write replaced.
func TestGuildSettingsCacheNeverKeepsAReplacedValue(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := db.GuildSettings(ctx, guild); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	defer wg.Wait()
	defer close(stop)
	for round := range 300 {
		want := GuildSettings{GuildID: guild, Resources: fmt.Sprint("round ", round)}
		must(t, db.SaveGuildSettings(ctx, want))
		time.Sleep(50 * time.Microsecond) // let a read that raced the write finish
		if got, _ := db.GuildSettings(ctx, guild); got != want {
			t.Fatalf("round %d: read %+v after saving %+v", round, got, want)
		}
	}
}
