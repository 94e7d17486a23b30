package e2e

import (
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// mode is how interactions reach the binary in an end-to-end flow: over the gateway, or
// as the stand-in's signed POSTs to the binary's interactions endpoint (the gateway stays
// connected for everything else).
type mode struct {
	name string
	http bool
}

// forEachMode runs flow once per mode, as a subtest named after it; the test and its
// subtests run beside the others.
func forEachMode(t *testing.T, flow func(*testing.T, mode)) {
	t.Parallel()
	for _, m := range []mode{{name: "gateway"}, {name: "http", http: true}} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			flow(t, m)
		})
	}
}

// env is the binary's environment in mode m: env, plus in HTTP mode an endpoint on a
// free loopback port that trusts the stand-in's key.
func (m mode) env(srv *dt.Server, env ...string) []string {
	if !m.http {
		return env
	}
	return append(env, "AFTERGLOW_INTERACTIONS_LISTEN=127.0.0.1:0", "AFTERGLOW_DISCORD_PUBLIC_KEY="+srv.PublicKey())
}

// use points the stand-in's interactions at p's endpoint in HTTP mode, once p serves it.
func (m mode) use(t *testing.T, srv *dt.Server, p *process) {
	t.Helper()
	if !m.http {
		return
	}
	var addr []string
	eventually(t, 20*time.Second, p, "the interactions endpoint", func() bool {
		addr = servingRE.FindStringSubmatch(p.out.String())
		return addr != nil
	})
	srv.UseHTTPInteractions("http://" + addr[1] + "/interactions")
}
