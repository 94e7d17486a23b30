package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// healthzServer answers GET /healthz with code and body, as the bot's health server does.
func healthzServer(t *testing.T, code int, body string) (port string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(code)
		fmt.Fprintln(w, body)
	}))
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	return port
}

// The container's HEALTHCHECK: exit 0 on 200, 1 with the bot's reason otherwise. An
// address that listens on every interface is asked on loopback.
func TestHealthcheckAsksHealthz(t *testing.T) {
	up := healthzServer(t, http.StatusOK, "ok")
	down := healthzServer(t, http.StatusServiceUnavailable, "gateway not connected")
	for _, c := range []struct {
		listen   string
		wantCode int
		want     string
	}{
		{"127.0.0.1:" + up, 0, "ok"},
		{":" + up, 0, "ok"},
		{"0.0.0.0:" + up, 0, "ok"},
		{"127.0.0.1:" + down, 1, "503 Service Unavailable: gateway not connected"},
	} {
		code, out, errOut := runCLI(t, map[string]string{"AFTERGLOW_HTTP_LISTEN": c.listen}, "healthcheck")
		if code != c.wantCode || !strings.Contains(out+errOut, c.want) {
			t.Errorf("listen %s: exit %d, stdout %q, stderr %q; want exit %d and %q", c.listen, code, out, errOut, c.wantCode, c.want)
		}
	}
}

func TestHealthcheckWithoutListenSaysWhatToSet(t *testing.T) {
	code, _, errOut := runCLI(t, nil, "healthcheck")
	if code != 1 || !strings.Contains(errOut, "http.listen") || !strings.Contains(errOut, "AFTERGLOW_HTTP_LISTEN") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
