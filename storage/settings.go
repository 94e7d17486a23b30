package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// UserSettings are one person's preferences.
type UserSettings struct {
	UserID   string `json:"user_id"`
	TimeZone string `json:"time_zone"` // IANA name; "UTC" by default
	// QuietStart and QuietEnd are minutes after local midnight; both -1 means no quiet hours.
	QuietStart       int  `json:"quiet_start"`
	QuietEnd         int  `json:"quiet_end"`
	InvitesOff       bool `json:"invites_off"`
	FollowupsDefault bool `json:"followups_default"`
}

// DefaultUserSettings are the settings of someone who never changed any.
func DefaultUserSettings(userID string) UserSettings {
	return UserSettings{UserID: userID, TimeZone: "UTC", QuietStart: -1, QuietEnd: -1}
}

// GuildSettings are one server's choices.
type GuildSettings struct {
	GuildID         string `json:"guild_id"`
	Resources       string `json:"resources"` // admin-written text, stored encrypted
	CheckInsOff     bool   `json:"checkins_off"`
	PublicAftercare bool   `json:"public_aftercare"`
}

// Plan is someone's aftercare plan.
type Plan struct {
	UserID    string    `json:"user_id"`
	Items     []string  `json:"items"`
	Helps     string    `json:"helps"`
	Avoid     string    `json:"avoid"`
	Other     string    `json:"other"`
	Shared    bool      `json:"shared"`
	UpdatedAt time.Time `json:"updated_at"`
}

// planBody is the part of a plan sealed into one column.
type planBody struct {
	Items []string `json:"items"`
	Helps string   `json:"helps"`
	Avoid string   `json:"avoid"`
	Other string   `json:"other"`
}

// userSettings reads settings, falling back to the defaults.
func userSettings(ctx context.Context, q querier, userID string) (UserSettings, error) {
	s := UserSettings{UserID: userID}
	var invitesOff, followups int
	err := q.QueryRowContext(ctx, `SELECT time_zone, quiet_start, quiet_end, invites_off, followups_default
		FROM user_settings WHERE user_id = ?`, userID).Scan(&s.TimeZone, &s.QuietStart, &s.QuietEnd, &invitesOff, &followups)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultUserSettings(userID), nil
	}
	if err != nil {
		return UserSettings{}, err
	}
	s.InvitesOff, s.FollowupsDefault = invitesOff != 0, followups != 0
	return s, nil
}

// UserSettings returns userID's settings, or the defaults when none were saved.
func (db *DB) UserSettings(ctx context.Context, userID string) (UserSettings, error) {
	s, err := userSettings(ctx, db.sql, userID)
	if err != nil {
		return UserSettings{}, fmt.Errorf("read user settings: %w", err)
	}
	return s, nil
}

// SaveUserSettings stores s, replacing earlier settings. An empty TimeZone is stored as "UTC".
func (db *DB) SaveUserSettings(ctx context.Context, s UserSettings) error {
	if s.UserID == "" {
		return errors.New("save user settings: no user id")
	}
	if !validQuietHours(s.QuietStart, s.QuietEnd) {
		return fmt.Errorf("save user settings: quiet hours %d-%d: both must be -1 or minutes within a day", s.QuietStart, s.QuietEnd)
	}
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	_, err := db.sql.ExecContext(ctx, `INSERT INTO user_settings (user_id, time_zone, quiet_start, quiet_end, invites_off, followups_default)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone, quiet_start = excluded.quiet_start,
			quiet_end = excluded.quiet_end, invites_off = excluded.invites_off, followups_default = excluded.followups_default`,
		s.UserID, s.TimeZone, s.QuietStart, s.QuietEnd, boolInt(s.InvitesOff), boolInt(s.FollowupsDefault))
	if err != nil {
		return fmt.Errorf("save user settings: %w", err)
	}
	return nil
}

func validQuietHours(start, end int) bool {
	if start == -1 && end == -1 {
		return true
	}
	const day = 24 * 60
	return start >= 0 && start < day && end >= 0 && end < day
}

func guildResourcesAAD(guildID string) string { return "guild_settings.resources:" + guildID }

// guildCache keeps servers' settings in memory: every /aftercare reads them, and only
// this process writes them (one instance runs per database). gen counts writes, so a read
// that raced a write never caches what the write replaced.
type guildCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]GuildSettings
}

// guildCacheSize bounds the cache; past it the cache starts over, which costs a query each.
const guildCacheSize = 1024

func (c *guildCache) get(guildID string) (GuildSettings, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.m[guildID]
	return g, c.gen, ok
}

func (c *guildCache) put(g GuildSettings, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= guildCacheSize {
		c.m = make(map[string]GuildSettings)
	}
	c.m[g.GuildID] = g
}

func (c *guildCache) forget(guildID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, guildID)
}

// GuildSettings returns a server's settings, or the defaults when none were saved.
func (db *DB) GuildSettings(ctx context.Context, guildID string) (GuildSettings, error) {
	g, gen, ok := db.guilds.get(guildID)
	if ok {
		return g, nil
	}
	g, err := db.readGuildSettings(ctx, guildID)
	if err == nil {
		db.guilds.put(g, gen)
	}
	return g, err
}

func (db *DB) readGuildSettings(ctx context.Context, guildID string) (GuildSettings, error) {
	g := GuildSettings{GuildID: guildID}
	var resources []byte
	var checkInsOff, public int
	err := db.sql.QueryRowContext(ctx, "SELECT resources, checkins_off, public_aftercare FROM guild_settings WHERE guild_id = ?",
		guildID).Scan(&resources, &checkInsOff, &public)
	if errors.Is(err, sql.ErrNoRows) {
		return g, nil
	}
	if err != nil {
		return GuildSettings{}, fmt.Errorf("read guild settings: %w", err)
	}
	if g.Resources, err = db.crypt.open(resources, guildResourcesAAD(guildID)); err != nil {
		return GuildSettings{}, fmt.Errorf("read guild settings: resources: %w", err)
	}
	g.CheckInsOff, g.PublicAftercare = checkInsOff != 0, public != 0
	return g, nil
}

// SaveGuildSettings stores g, replacing earlier settings.
func (db *DB) SaveGuildSettings(ctx context.Context, g GuildSettings) error {
	if g.GuildID == "" {
		return errors.New("save guild settings: no guild id")
	}
	defer db.guilds.forget(g.GuildID) // also after a failed write, whose outcome may be unknown
	_, err := db.sql.ExecContext(ctx, `INSERT INTO guild_settings (guild_id, resources, checkins_off, public_aftercare)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (guild_id) DO UPDATE SET resources = excluded.resources, checkins_off = excluded.checkins_off,
			public_aftercare = excluded.public_aftercare`,
		g.GuildID, db.crypt.seal(g.Resources, guildResourcesAAD(g.GuildID)), boolInt(g.CheckInsOff), boolInt(g.PublicAftercare))
	if err != nil {
		return fmt.Errorf("save guild settings: %w", err)
	}
	return nil
}

// DeleteGuild forgets a server's settings.
func (db *DB) DeleteGuild(ctx context.Context, guildID string) error {
	defer db.guilds.forget(guildID)
	if _, err := db.sql.ExecContext(ctx, "DELETE FROM guild_settings WHERE guild_id = ?", guildID); err != nil {
		return fmt.Errorf("delete guild settings: %w", err)
	}
	return nil
}

func planAAD(userID string) string { return "plans.body:" + userID }

// Plan returns userID's aftercare plan and whether they have one.
func (db *DB) Plan(ctx context.Context, userID string) (Plan, bool, error) {
	p, ok, err := readPlan(ctx, db.sql, db.crypt, userID)
	if err != nil {
		return Plan{}, false, fmt.Errorf("read plan: %w", err)
	}
	return p, ok, nil
}

func readPlan(ctx context.Context, q querier, crypt *sealer, userID string) (Plan, bool, error) {
	var sealed []byte
	var shared int
	var updated int64
	err := q.QueryRowContext(ctx, "SELECT body, shared, updated_at FROM plans WHERE user_id = ?", userID).Scan(&sealed, &shared, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Plan{}, false, nil
	}
	if err != nil {
		return Plan{}, false, err
	}
	text, err := crypt.open(sealed, planAAD(userID))
	if err != nil {
		return Plan{}, false, err
	}
	var body planBody
	if err := json.Unmarshal([]byte(text), &body); err != nil {
		return Plan{}, false, fmt.Errorf("decode plan: %w", err)
	}
	return Plan{UserID: userID, Items: body.Items, Helps: body.Helps, Avoid: body.Avoid, Other: body.Other,
		Shared: shared != 0, UpdatedAt: fromMillis(updated)}, true, nil
}

// SavePlan stores p, replacing any earlier plan of p.UserID.
func (db *DB) SavePlan(ctx context.Context, p Plan) error {
	if p.UserID == "" {
		return errors.New("save plan: no user id")
	}
	body, err := json.Marshal(planBody{Items: p.Items, Helps: p.Helps, Avoid: p.Avoid, Other: p.Other})
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	_, err = db.sql.ExecContext(ctx, `INSERT INTO plans (user_id, body, shared, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET body = excluded.body, shared = excluded.shared, updated_at = excluded.updated_at`,
		p.UserID, db.crypt.seal(string(body), planAAD(p.UserID)), boolInt(p.Shared), millis(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	return nil
}
