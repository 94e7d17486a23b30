package bot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigDefaultsFileAndEnv(t *testing.T) {
	p := writeFile(t, "a.toml", "[discord]\ntoken = \"from-file\"\nguild_id = \"123\"\n[storage]\npath = \"x.db\"\n")
	cfg, err := LoadConfig(p, envFrom(map[string]string{"AFTERGLOW_DISCORD_TOKEN": "from-env", "AFTERGLOW_DISCORD_AGE_RESTRICTED": "false", "AFTERGLOW_STORAGE_RETENTION_DAYS": "9", "AFTERGLOW_DISCORD_HTTP_TIMEOUT_SECONDS": "3"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Discord.Token != "from-env" || cfg.Discord.GuildID != "123" || cfg.Storage.Path != "x.db" || cfg.Discord.AgeRestricted || cfg.Storage.RetentionDays != 9 || cfg.Discord.HTTPTimeoutSeconds != 3 {
		t.Fatalf("got %+v", cfg)
	}
	if cfg.Discord.APIBase != "https://discord.com/api/v10" || cfg.Log.Format != "text" || DefaultConfig().Discord.HTTPTimeoutSeconds != 20 {
		t.Fatalf("defaults lost: %+v", cfg)
	}
}

func TestConfigErrorsNameTheProblem(t *testing.T) {
	typo := writeFile(t, "typo.toml", "[discord]\ntokne = \"x\"\n")
	cases := []struct {
		path string
		env  map[string]string
		want []string
	}{
		{typo, nil, []string{"typo.toml", `unknown key "discord.tokne"`}},
		{writeFile(t, "bad.toml", "[discord\n"), nil, []string{"bad.toml"}},
		{filepath.Join(t.TempDir(), "missing.toml"), nil, []string{"missing.toml", "does not exist"}},
		{"", map[string]string{"AFTERGLOW_LOG_FORMAT": "xml"}, []string{"log.format"}},
		{"", map[string]string{"AFTERGLOW_LOG_LEVEL": "loud"}, []string{"log.level"}},
		{"", map[string]string{"AFTERGLOW_DISCORD_AGE_RESTRICTED": "maybe"}, []string{"AFTERGLOW_DISCORD_AGE_RESTRICTED"}},
		{"", map[string]string{"AFTERGLOW_DISCORD_API_BASE": "ftp://x"}, []string{"discord.api_base"}},
		{"", map[string]string{"AFTERGLOW_DISCORD_GUILD_ID": "abc"}, []string{"discord.guild_id"}},
		{"", map[string]string{"AFTERGLOW_DISCORD_HTTP_TIMEOUT_SECONDS": "0"}, []string{"discord.http_timeout_seconds", "at least 1"}},
		{"", map[string]string{"AFTERGLOW_DISCORD_HTTP_TIMEOUT_SECONDS": "soon"}, []string{"AFTERGLOW_DISCORD_HTTP_TIMEOUT_SECONDS"}},
	}
	for _, c := range cases {
		_, err := LoadConfig(c.path, envFrom(c.env))
		if err == nil {
			t.Errorf("%s %v: no error", c.path, c.env)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
	}
}

func TestConfigExampleIsCompleteAndLoads(t *testing.T) {
	cfg, err := LoadConfig("../config.example.toml", envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg != DefaultConfig() {
		t.Fatalf("config.example.toml differs from the defaults:\n%+v\n%+v", cfg, DefaultConfig())
	}
}

func TestMissingTokenSaysHow(t *testing.T) {
	err := DefaultConfig().RequireToken()
	if err == nil || !strings.Contains(err.Error(), "AFTERGLOW_DISCORD_TOKEN") || !strings.Contains(err.Error(), "discord.token") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Storage.Path = filepath.Join(dir, "a.db")
	key, source, created, err := LoadKey(cfg)
	if err != nil || !created || len(key) != 32 || !strings.Contains(source, "a.db.key") {
		t.Fatalf("first: %v %v %q", err, created, source)
	}
	st, err := os.Stat(cfg.Storage.Path + ".key")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", err, st)
	}
	raw, _ := os.ReadFile(cfg.Storage.Path + ".key")
	if len(raw) != 65 || raw[64] != '\n' {
		t.Fatalf("key file holds %q", raw)
	}
	again, _, created, err := LoadKey(cfg)
	if err != nil || created || string(again) != string(key) {
		t.Fatal("second load must read the same key")
	}
	cfg.Storage.EncryptionKey = strings.Repeat("ab", 32)
	k, source, _, err := LoadKey(cfg)
	if err != nil || k[0] != 0xab || source != "storage.encryption_key" {
		t.Fatalf("configured key: %v %q", err, source)
	}
	cfg.Storage.EncryptionKey = "short"
	if _, _, _, err := LoadKey(cfg); err == nil || !strings.Contains(err.Error(), "64 hex") {
		t.Fatalf("short key: %v", err)
	}
}

func TestStorageDriverConfig(t *testing.T) {
	if d := DefaultConfig().Storage; d.Driver != "sqlite" || d.URL != "" {
		t.Fatalf("default storage = %+v, want driver sqlite and no url", d)
	}
	const secret = "pw-9d1e"
	cfg, err := LoadConfig("", envFrom(map[string]string{
		"AFTERGLOW_STORAGE_DRIVER": "postgres",
		"AFTERGLOW_STORAGE_URL":    "postgres://afterglow:" + secret + "@db.internal:5432/afterglow",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage.Driver != "postgres" || cfg.Storage.URL != "postgres://afterglow:"+secret+"@db.internal:5432/afterglow" {
		t.Fatalf("storage = %+v", cfg.Storage)
	}
	for _, c := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"AFTERGLOW_STORAGE_DRIVER": "mysql"}, []string{"storage.driver", `"mysql"`, "sqlite or postgres"}},
		{map[string]string{"AFTERGLOW_STORAGE_DRIVER": "postgres"}, []string{"storage.url", "postgres://"}},
		{map[string]string{"AFTERGLOW_STORAGE_DRIVER": "postgres", "AFTERGLOW_STORAGE_URL": "mysql://u:" + secret + "@h/db"}, []string{"storage.url", "postgres://"}},
		{map[string]string{"AFTERGLOW_STORAGE_DRIVER": "postgres", "AFTERGLOW_STORAGE_URL": "postgres://u:" + secret + "@[::1/db"}, []string{"storage.url"}},
		{map[string]string{"AFTERGLOW_STORAGE_URL": "postgres://u:" + secret + "@h/db"}, []string{"storage.url", "storage.driver", "sqlite"}},
	} {
		_, err := LoadConfig("", envFrom(c.env))
		if err == nil {
			t.Errorf("%v: no error", c.env)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q shows the password", err)
		}
	}
}
