package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/afterglow-bot/afterglow/storage"
)

const doctorToken = "MTA5.doctor-test_token.not-secret"

// doctorSetup is a config file and database path in a temp dir; the database and key
// file exist only when a test makes them.
type doctorSetup struct {
	dir, config, db string
}

func newDoctorSetup(t *testing.T, extra string) doctorSetup {
	t.Helper()
	dir := t.TempDir()
	s := doctorSetup{dir: dir, config: filepath.Join(dir, "afterglow.toml"), db: filepath.Join(dir, "afterglow.db")}
	body := "[discord]\ntoken = \"" + doctorToken + "\"\n[storage]\npath = \"" + s.db + "\"\n" + extra
	if err := os.WriteFile(s.config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// makeDatabase creates the database with key and writes the key file with mode.
func (s doctorSetup) makeDatabase(t *testing.T, key []byte, mode os.FileMode) {
	t.Helper()
	db, err := storage.Open(context.Background(), s.db, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s.writeKeyFile(t, hex.EncodeToString(key)+"\n", mode)
}

func (s doctorSetup) writeKeyFile(t *testing.T, body string, mode os.FileMode) {
	t.Helper()
	path := s.db + ".key"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is filtered by the umask
		t.Fatal(err)
	}
}

// doctor runs `afterglow -config FILE doctor` with no environment and returns the exit code
// and the check lines.
func (s doctorSetup) doctor(t *testing.T) (int, []string, string) {
	t.Helper()
	return s.doctorEnv(t, nil)
}

// doctorEnv is doctor with env as the only environment.
func (s doctorSetup) doctorEnv(t *testing.T, env map[string]string) (int, []string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := run(context.Background(), []string{"-config", s.config, "doctor"}, getenv, &stdout, &stderr)
	out := stdout.String() + stderr.String()
	if strings.Contains(out, doctorToken) || strings.Contains(out, "MTA5") {
		t.Fatalf("doctor printed the token:\n%s", out)
	}
	return code, strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n"), stderr.String()
}

// checkNames are doctor's checks; "key file mode" comes before "key", which it starts with,
// and so on.
var checkNames = []string{"config file mode", "config", "token", "api_base", "key file mode", "key",
	"database file mode", "database", "integrity", "schema"}

// checkLines maps each check's name to its line ("ok   NAME DETAIL", "warn NAME: DETAIL" or
// "FAIL NAME: DETAIL"); a line of no known check, or a check printed twice, fails the test.
func checkLines(t *testing.T, lines []string) map[string]string {
	t.Helper()
	byName := map[string]string{}
	for _, l := range lines {
		rest, ok := strings.CutPrefix(l, "ok   ")
		if !ok {
			rest, ok = strings.CutPrefix(l, "FAIL ")
		}
		if !ok {
			rest, ok = strings.CutPrefix(l, "warn ")
		}
		name := ""
		for _, n := range checkNames {
			if ok && (strings.HasPrefix(rest, n+" ") || strings.HasPrefix(rest, n+":")) {
				name = n
				break
			}
		}
		if name == "" {
			t.Fatalf("not a check line: %q", l)
		}
		if _, dup := byName[name]; dup {
			t.Fatalf("check %q printed twice:\n%s", name, strings.Join(lines, "\n"))
		}
		byName[name] = l
	}
	return byName
}

func TestDoctorAllOK(t *testing.T) {
	s := newDoctorSetup(t, "")
	s.makeDatabase(t, bytes.Repeat([]byte{3}, 32), 0o600)
	code, lines, stderr := s.doctor(t)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q, lines:\n%s", code, stderr, strings.Join(lines, "\n"))
	}
	got := checkLines(t, lines)
	for _, name := range checkNames {
		if !strings.HasPrefix(got[name], "ok   "+name+" ") {
			t.Errorf("check %s: %q", name, got[name])
		}
	}
	if len(got) != len(checkNames) {
		t.Errorf("want every check once, got:\n%s", strings.Join(lines, "\n"))
	}
	// The version the database really has, so that a new migration does not break this test.
	db, err := storage.Open(context.Background(), s.db, bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	version, err := db.SchemaVersion(context.Background())
	if err != nil || version < 2 {
		t.Fatalf("schema version %d, %v", version, err)
	}
	wantSchema := fmt.Sprintf("ok   schema version %d (current)", version)
	if !strings.Contains(got["config"], s.config) || got["schema"] != wantSchema {
		t.Errorf("config and schema lines: %q, %q; want the config file and %q", got["config"], got["schema"], wantSchema)
	}
}

func TestDoctorOnAFreshInstallCreatesNothing(t *testing.T) {
	s := newDoctorSetup(t, "")
	code, lines, _ := s.doctor(t)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, strings.Join(lines, "\n"))
	}
	got := checkLines(t, lines)
	if !strings.Contains(got["database"], "does not exist yet") || !strings.Contains(got["key"], "none yet") {
		t.Fatalf("fresh install:\n%s", strings.Join(lines, "\n"))
	}
	for _, p := range []string{s.db, s.db + ".key"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("doctor created %s", p)
		}
	}
}

func TestDoctorFailures(t *testing.T) {
	key := bytes.Repeat([]byte{5}, 32)
	cases := []struct {
		name    string
		config  string // added to the config file
		prepare func(t *testing.T, s doctorSetup)
		check   string // the failing check
		want    string // in its line
	}{
		{"key file readable by others", "", func(t *testing.T, s doctorSetup) { s.makeDatabase(t, key, 0o644) },
			"key file mode", "mode 0644, want 0600"},
		{"key file not hex", "", func(t *testing.T, s doctorSetup) {
			s.makeDatabase(t, key, 0o600)
			s.writeKeyFile(t, strings.Repeat("zz", 32)+"\n", 0o600)
		}, "key", "not hexadecimal"},
		{"wrong key", "", func(t *testing.T, s doctorSetup) {
			s.makeDatabase(t, key, 0o600)
			s.writeKeyFile(t, hex.EncodeToString(bytes.Repeat([]byte{6}, 32))+"\n", 0o600)
		}, "database", "wrong key"},
		{"key file lost", "", func(t *testing.T, s doctorSetup) {
			s.makeDatabase(t, key, 0o600)
			if err := os.Remove(s.db + ".key"); err != nil {
				t.Fatal(err)
			}
		}, "key", "cannot be read without the key"},
		{"database is not a database", "", func(t *testing.T, s doctorSetup) {
			if err := os.WriteFile(s.db, bytes.Repeat([]byte("not sqlite "), 500), 0o600); err != nil {
				t.Fatal(err)
			}
			s.writeKeyFile(t, hex.EncodeToString(key)+"\n", 0o600)
		}, "database", "open database"},
		{"typo in config", "[log]\nlevle = \"debug\"\n", nil, "config", `unknown key "log.levle"`},
		{"token pasted with prefix", "", func(t *testing.T, s doctorSetup) {
			body, _ := os.ReadFile(s.config)
			os.WriteFile(s.config, bytes.Replace(body, []byte(doctorToken), []byte("Bot "+doctorToken), 1), 0o600)
		}, "token", `starts with "Bot "`},
		{"token of the wrong shape", "", func(t *testing.T, s doctorSetup) {
			body, _ := os.ReadFile(s.config)
			os.WriteFile(s.config, bytes.Replace(body, []byte(doctorToken), []byte("MTA5-only-one-part"), 1), 0o600)
		}, "token", "does not look like a bot token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newDoctorSetup(t, tc.config)
			if tc.prepare != nil {
				tc.prepare(t, s)
			}
			code, lines, stderr := s.doctor(t)
			if code != 1 || !strings.Contains(stderr, "check(s) failed") {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			got := checkLines(t, lines)
			line := got[tc.check]
			if !strings.HasPrefix(line, "FAIL "+tc.check+": ") || !strings.Contains(line, tc.want) {
				t.Fatalf("want FAIL %s with %q, got:\n%s", tc.check, tc.want, strings.Join(lines, "\n"))
			}
			fails := 0
			for _, l := range lines {
				if strings.HasPrefix(l, "FAIL") {
					fails++
				}
			}
			if fails != 1 {
				t.Fatalf("one fault must fail one check:\n%s", strings.Join(lines, "\n"))
			}
		})
	}
}

// modeOf is the permission bits of the file at path.
func modeOf(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// chmod sets the mode exactly (a file's creation mode is filtered by the umask).
func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// fails counts the FAIL lines.
func fails(lines []string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "FAIL") {
			n++
		}
	}
	return n
}

// TestDoctorReportsFileModes: a file that holds the token or the key and that group or
// others can read fails; the database files are reported, and a loose one is made
// owner-only (as every start does) and said so.
func TestDoctorReportsFileModes(t *testing.T) {
	key := bytes.Repeat([]byte{9}, 32)
	tokenEnv := map[string]string{"AFTERGLOW_DISCORD_TOKEN": doctorToken}
	cases := []struct {
		name    string
		config  string            // the config file's body; "" is the usual one, token included
		env     map[string]string // the environment
		prepare func(t *testing.T, s doctorSetup)
		check   string // the check whose line is looked at
		line    string // its line starts with this
		want    []string
		code    int
	}{
		{"config with the token, readable by others", "", nil,
			func(t *testing.T, s doctorSetup) { chmod(t, s.config, 0o644) },
			"config file mode", "FAIL config file mode: ", []string{"0644", "holds the token", "chmod 600 " + "CONFIG"}, 1},
		{"config with the token, readable by its group", "", nil,
			func(t *testing.T, s doctorSetup) { chmod(t, s.config, 0o640) },
			"config file mode", "FAIL config file mode: ", []string{"0640", "holds the token"}, 1},
		{"config with the key, readable by others", "[storage]\npath = \"DB\"\nencryption_key = \"" + hex.EncodeToString(key) + "\"\n", tokenEnv,
			func(t *testing.T, s doctorSetup) { chmod(t, s.config, 0o644) },
			"config file mode", "FAIL config file mode: ", []string{"0644", "holds the encryption key"}, 1},
		{"config without secrets, readable by others", "[storage]\npath = \"DB\"\n", tokenEnv,
			func(t *testing.T, s doctorSetup) { chmod(t, s.config, 0o644) },
			"config file mode", "ok   config file mode ", []string{"0644", "holds neither the token nor the key"}, 0},
		{"config owner-only", "", nil, nil,
			"config file mode", "ok   config file mode ", []string{"CONFIG 0600"}, 0},
		{"database files owner-only", "", nil, func(t *testing.T, s doctorSetup) { s.makeDatabase(t, key, 0o600) },
			"database file mode", "ok   database file mode ", []string{"DB 0600"}, 0},
		{"database readable by others", "", nil, func(t *testing.T, s doctorSetup) {
			s.makeDatabase(t, key, 0o600)
			chmod(t, s.db, 0o644)
		}, "database file mode", "warn database file mode: ", []string{"DB was 0644", "0600"}, 0},
		{"key file readable by its group", "", nil, func(t *testing.T, s doctorSetup) { s.makeDatabase(t, key, 0o640) },
			"key file mode", "FAIL key file mode: ", []string{"0640", "want 0600"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newDoctorSetup(t, "")
			if tc.config != "" {
				if err := os.WriteFile(s.config, []byte(strings.ReplaceAll(tc.config, "DB", s.db)), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.prepare != nil {
				tc.prepare(t, s)
			}
			code, lines, _ := s.doctorEnv(t, tc.env)
			got := checkLines(t, lines)
			line := got[tc.check]
			ok := code == tc.code && strings.HasPrefix(line, tc.line) && fails(lines) == tc.code
			for _, w := range tc.want {
				w = strings.ReplaceAll(strings.ReplaceAll(w, "CONFIG", s.config), "DB", s.db)
				ok = ok && strings.Contains(line, w)
			}
			if !ok {
				t.Fatalf("exit %d, want %d; want %q… with %q, got:\n%s", code, tc.code, tc.line, tc.want, strings.Join(lines, "\n"))
			}
		})
	}
	// What doctor saw and said, the files show: a loose database is owner-only after it.
	s := newDoctorSetup(t, "")
	s.makeDatabase(t, key, 0o600)
	chmod(t, s.db, 0o644)
	s.doctor(t)
	if m := modeOf(t, s.db); m != 0o600 {
		t.Fatalf("database mode after doctor: %04o, want 0600", m)
	}
}

func TestDoctorWarnsOfPlainHTTPOffLoopback(t *testing.T) {
	cases := []struct {
		base string
		warn bool
	}{
		{"https://discord.com/api/v10", false},
		{"http://127.0.0.1:8080/api/v10", false},
		{"http://localhost:8080/api/v10", false},
		{"http://[::1]:8080/api/v10", false},
		{"https://proxy.example/api/v10", false},
		{"http://proxy.example/api/v10", true},
		{"http://10.0.0.7:8080/api/v10", true},
	}
	for _, c := range cases {
		s := newDoctorSetup(t, "")
		code, lines, _ := s.doctorEnv(t, map[string]string{"AFTERGLOW_DISCORD_API_BASE": c.base})
		line := checkLines(t, lines)["api_base"]
		if code != 0 {
			t.Errorf("%s: exit %d; a warning is not a failure:\n%s", c.base, code, strings.Join(lines, "\n"))
		}
		host := strings.Split(strings.TrimPrefix(strings.TrimPrefix(c.base, "http://"), "https://"), "/")[0]
		if c.warn && (!strings.HasPrefix(line, "warn api_base: ") || !strings.Contains(line, "plain http://") || !strings.Contains(line, host)) {
			t.Errorf("%s: want a warning naming plain http:// and %s, got %q", c.base, host, line)
		}
		if !c.warn && !strings.HasPrefix(line, "ok   api_base ") {
			t.Errorf("%s: want ok, got %q", c.base, line)
		}
	}
}
