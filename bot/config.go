package bot

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/afterglow-bot/afterglow/commands"
	"github.com/afterglow-bot/afterglow/storage"
)

// DefaultConfigFile is read when -config is not given and the file exists.
const DefaultConfigFile = "afterglow.toml"

// Config is every setting, as config.example.toml documents it.
type Config struct {
	Discord  DiscordConfig  `toml:"discord"`
	Storage  StorageConfig  `toml:"storage"`
	Log      LogConfig      `toml:"log"`
	HTTP     HTTPConfig     `toml:"http"`
	CheckIns CheckInsConfig `toml:"checkins"`
	// Interactions is the endpoint Discord POSTs interactions to, instead of or beside the gateway.
	Interactions InteractionsConfig `toml:"interactions"`
}

// DiscordConfig says how to reach Discord.
type DiscordConfig struct {
	Token         string `toml:"token"`
	ApplicationID string `toml:"application_id"`
	GuildID       string `toml:"guild_id"`
	APIBase       string `toml:"api_base"`
	AgeRestricted bool   `toml:"age_restricted"`
	// HTTPTimeoutSeconds bounds each REST request, so a hung Discord cannot stall delivery.
	HTTPTimeoutSeconds int `toml:"http_timeout_seconds"`
	// PublicKey is the application's Ed25519 public key (64 hex characters, Developer
	// Portal -> General Information): it checks every request to the interactions endpoint.
	PublicKey string `toml:"public_key"`
	// Gateway connects to the gateway; false runs on HTTP interactions alone.
	Gateway bool `toml:"gateway"`
}

// StorageConfig says where the data lives.
type StorageConfig struct {
	// Driver is "sqlite" (the file at Path) or "postgres" (the database at URL).
	Driver        string `toml:"driver"`
	URL           string `toml:"url"` // postgres://user:password@host:5432/dbname; never logged with its password
	Path          string `toml:"path"`
	EncryptionKey string `toml:"encryption_key"`
	RetentionDays int    `toml:"retention_days"`
}

// LogConfig shapes the log.
type LogConfig struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// HTTPConfig is the optional health and metrics listener.
type HTTPConfig struct {
	Listen string `toml:"listen"`
}

// InteractionsConfig is the HTTP interactions endpoint (POST /interactions, and Discord's
// webhook events at POST /events).
type InteractionsConfig struct {
	Listen string `toml:"listen"`
}

// CheckInsConfig holds the abuse limits of partners and check-ins.
type CheckInsConfig struct {
	PerPartnerPerDay   int `toml:"per_partner_per_day"`
	InvitationsPerDay  int `toml:"invitations_per_day"`
	InvitationTTLHours int `toml:"invitation_ttl_hours"`
}

// DefaultConfig is what applies when nothing is configured.
func DefaultConfig() Config {
	lim := commands.DefaultLimits()
	return Config{
		Discord: DiscordConfig{APIBase: "https://discord.com/api/v10", AgeRestricted: true, HTTPTimeoutSeconds: 20, Gateway: true},
		Storage: StorageConfig{Driver: storage.DriverSQLite, Path: "afterglow.db", RetentionDays: storage.DefaultRetentionDays},
		Log:     LogConfig{Level: "info", Format: "text"},
		CheckIns: CheckInsConfig{PerPartnerPerDay: lim.CheckInsPerPartnerPerDay, InvitationsPerDay: lim.InvitationsPerDay,
			InvitationTTLHours: int(lim.InvitationTTL / time.Hour)},
	}
}

// LoadConfig reads path (or DefaultConfigFile when path is "" and it exists), then applies
// AFTERGLOW_<SECTION>_<KEY> variables from getenv, then checks the result.
func LoadConfig(path string, getenv func(string) (string, bool)) (Config, error) {
	cfg := DefaultConfig()
	file := path
	if file == "" {
		if _, err := os.Stat(DefaultConfigFile); err == nil {
			file = DefaultConfigFile
		}
	}
	if file != "" {
		md, err := toml.DecodeFile(file, &cfg)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return cfg, fmt.Errorf("config file %s does not exist: copy config.example.toml to start one", file)
			}
			return cfg, fmt.Errorf("config file %s: %w", file, err)
		}
		if undecoded := md.Undecoded(); len(undecoded) > 0 {
			return cfg, fmt.Errorf("config file %s: unknown key %q (see config.example.toml for every key)", file, undecoded[0].String())
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return cfg, err
	}
	if err := cfg.check(); err != nil {
		if file != "" {
			return cfg, fmt.Errorf("config file %s: %w", file, err)
		}
		return cfg, err
	}
	return cfg, nil
}

// applyEnv walks the config's sections and keys by their toml tags, so a new key is
// overridable by its environment variable without more code.
func applyEnv(cfg *Config, getenv func(string) (string, bool)) error {
	root := reflect.ValueOf(cfg).Elem()
	for i := 0; i < root.NumField(); i++ {
		section := root.Type().Field(i).Tag.Get("toml")
		sv := root.Field(i)
		for j := 0; j < sv.NumField(); j++ {
			key := sv.Type().Field(j).Tag.Get("toml")
			name := "AFTERGLOW_" + strings.ToUpper(section) + "_" + strings.ToUpper(key)
			raw, ok := getenv(name)
			if !ok {
				continue
			}
			field := sv.Field(j)
			switch field.Kind() {
			case reflect.String:
				field.SetString(raw)
			case reflect.Bool:
				b, err := strconv.ParseBool(strings.TrimSpace(raw))
				if err != nil {
					return fmt.Errorf("%s: want true or false, got %q", name, raw)
				}
				field.SetBool(b)
			case reflect.Int:
				n, err := strconv.Atoi(strings.TrimSpace(raw))
				if err != nil {
					return fmt.Errorf("%s: want a whole number, got %q", name, raw)
				}
				field.SetInt(int64(n))
			}
		}
	}
	return nil
}

func (c Config) check() error {
	u, err := url.Parse(c.Discord.APIBase)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("discord.api_base %q is not an http(s) URL like https://discord.com/api/v10", c.Discord.APIBase)
	}
	for name, id := range map[string]string{"discord.application_id": c.Discord.ApplicationID, "discord.guild_id": c.Discord.GuildID} {
		if id != "" && !isSnowflake(id) {
			return fmt.Errorf("%s %q is not a Discord id (digits only)", name, id)
		}
	}
	if c.Discord.HTTPTimeoutSeconds < 1 {
		return fmt.Errorf("discord.http_timeout_seconds is %d: it must be at least 1", c.Discord.HTTPTimeoutSeconds)
	}
	if err := c.checkInteractions(); err != nil {
		return err
	}
	if err := c.Storage.checkDriver(); err != nil {
		return err
	}
	if c.Storage.Path == "" {
		return errors.New("storage.path is empty: name the SQLite file, e.g. afterglow.db")
	}
	if c.Storage.RetentionDays < 1 {
		return fmt.Errorf("storage.retention_days is %d: it must be at least 1", c.Storage.RetentionDays)
	}
	if _, err := c.LogLevel(); err != nil {
		return err
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return fmt.Errorf("log.format %q: want text or json", c.Log.Format)
	}
	if c.CheckIns.PerPartnerPerDay < 1 || c.CheckIns.InvitationsPerDay < 1 || c.CheckIns.InvitationTTLHours < 1 {
		return errors.New("checkins limits must each be at least 1")
	}
	return nil
}

// DatabaseName is how messages name the database: the SQLite file, or the PostgreSQL URL
// with its password replaced.
func (s StorageConfig) DatabaseName() string {
	if s.Driver == storage.DriverPostgres {
		return storage.RedactURL(s.URL)
	}
	return s.Path
}

// checkDriver checks storage.driver and storage.url. Errors name the URL only redacted.
func (s StorageConfig) checkDriver() error {
	switch s.Driver {
	case storage.DriverSQLite:
		if s.URL != "" {
			return fmt.Errorf("storage.url is set (%s) but storage.driver is sqlite: set storage.driver = \"postgres\" to use it, or remove storage.url",
				storage.RedactURL(s.URL))
		}
	case storage.DriverPostgres:
		if s.URL == "" {
			return errors.New("storage.driver is postgres but storage.url is empty: set it to postgres://user:password@host:5432/dbname")
		}
		if _, err := url.Parse(s.URL); err != nil || !storage.IsPostgresURL(s.URL) {
			return fmt.Errorf("storage.url %s is not a URL like postgres://user:password@host:5432/dbname", storage.RedactURL(s.URL))
		}
	default:
		return fmt.Errorf("storage.driver %q: want sqlite or postgres", s.Driver)
	}
	return nil
}

// checkInteractions checks the keys of HTTP interactions: a listener needs the key to check
// what reaches it, and a bot without a gateway needs a listener to hear anything at all.
func (c Config) checkInteractions() error {
	if c.Discord.PublicKey != "" {
		if _, err := c.InteractionsKey(); err != nil {
			return err
		}
	}
	if c.Interactions.Listen != "" && c.Discord.PublicKey == "" {
		return errors.New("interactions.listen is set but discord.public_key is empty: copy the public key from the Developer Portal " +
			"(your application -> General Information -> Public Key)")
	}
	if !c.Discord.Gateway && c.Interactions.Listen == "" {
		return errors.New("discord.gateway is false but interactions.listen is empty: without either, no interaction would reach the bot")
	}
	return nil
}

// InteractionsKey decodes discord.public_key.
func (c Config) InteractionsKey() (ed25519.PublicKey, error) {
	k, err := hex.DecodeString(c.Discord.PublicKey)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("discord.public_key is not %d hex characters (the Developer Portal's Public Key, under General Information)", 2*ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(k), nil
}

// LogLevel parses log.level.
func (c Config) LogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.Log.Level)); err != nil {
		return l, fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level)
	}
	return l, nil
}

// RequireToken explains how to provide a token when none is set.
func (c Config) RequireToken() error {
	if strings.TrimSpace(c.Discord.Token) == "" {
		return errors.New("no Discord bot token: set discord.token in afterglow.toml or the AFTERGLOW_DISCORD_TOKEN environment variable " +
			"(Discord Developer Portal -> your application -> Bot -> Reset Token)")
	}
	return nil
}

func isSnowflake(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
