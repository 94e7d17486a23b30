package e2e

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
)

// roundRobin serves on loopback a proxy that hands each request to the next of rs in
// turn, as a load balancer in front of replicas does; it returns the proxy's base URL and
// the count of requests each replica answered. Hand-rolled: it reads each answer whole
// before it writes it, so that a broken answer is a 502 the stand-in reports, never a
// truncated 200.
func roundRobin(tb testing.TB, rs []*replica) (string, []atomic.Int64) {
	tb.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	answered := make([]atomic.Int64, len(rs))
	var next atomic.Uint64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	proxy := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int((next.Add(1) - 1) % uint64(len(rs)))
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out, err := http.NewRequestWithContext(r.Context(), r.Method, rs[i].base+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		res, err := client.Do(out)
		if err != nil {
			tb.Logf("proxy to replica %d: %v", i, err)
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		reply, err := io.ReadAll(res.Body)
		if err != nil {
			tb.Logf("proxy to replica %d: read the answer: %v", i, err)
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		answered[i].Add(1)
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		w.Write(reply)
	})}
	go proxy.Serve(ln)
	tb.Cleanup(func() { proxy.Close(); client.CloseIdleConnections() })
	return "http://" + ln.Addr().String(), answered
}

// BenchmarkReplicasBehindProxy times /aftercare two ways in one run, on one machine, by
// one rule (Server.TimeInvocations): "gateway" is the end-to-end benchmark's path, one
// binary on SQLite answering over the gateway; "http-3-replicas" is three binaries on one
// PostgreSQL database with no gateway, behind a round-robin proxy, answering the
// stand-in's signed POSTs in the HTTP response. Run it with -benchtime 10000x.
func BenchmarkReplicasBehindProxy(b *testing.B) {
	gw := dt.New(b, dt.Options{Token: e2eToken})
	p := startBinary(b, gw, b.TempDir(), "AFTERGLOW_LOG_LEVEL=warn", "AFTERGLOW_STORAGE_ENCRYPTION_KEY="+e2eKey)
	waitUp(b, gw, p)

	hi := dt.New(b, dt.Options{Token: e2eToken})
	rs := startReplicas(b, hi, postgresURL(b), 3)
	base, answered := roundRobin(b, rs)
	hi.UseHTTPInteractions(base + "/interactions")

	b.Run("gateway", func(b *testing.B) {
		gw.TimeInvocations(b, func() dt.Interaction { return aftercareDrop(gw) })
	})
	b.Run("http-3-replicas", func(b *testing.B) {
		hi.TimeInvocations(b, func() dt.Interaction { return aftercareDrop(hi) })
	})
	// Round robin: each replica answered its share, a third give or take one.
	total := int64(0)
	for i := range answered {
		total += answered[i].Load()
	}
	for i := range answered {
		if n := answered[i].Load(); n < total/int64(len(answered))-1 {
			b.Fatalf("replica %d answered %d of %d interactions", i, n, total)
		}
	}
	p.stop(b)
}
