package discordtest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter keeps Discord's global window and per-route buckets, in real time because
// clients wait in real time.
type rateLimiter struct {
	mu      sync.Mutex
	recent  []time.Time // counted requests in the last second (global limit)
	buckets map[string]*bucket
	limited int
}

// bucket is a fixed one-second window for one route and top-level resource.
type bucket struct {
	start time.Time
	count int
}

// bucketState is what the X-RateLimit-* headers announce after a request.
type bucketState struct {
	allowed    bool
	limit      int
	remaining  int
	resetAfter time.Duration
	name       string
	now        time.Time
}

const bucketWindow = time.Second

func (l *rateLimiter) init() { l.buckets = map[string]*bucket{} }

// allowGlobal counts one request against limit per second, or says how long to wait.
func (l *rateLimiter) allowGlobal(now time.Time, limit int) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cut := 0
	for cut < len(l.recent) && now.Sub(l.recent[cut]) >= time.Second {
		cut++
	}
	l.recent = l.recent[cut:]
	if len(l.recent) >= limit {
		return l.recent[0].Add(time.Second).Sub(now), false
	}
	l.recent = append(l.recent, now)
	return 0, true
}

// take counts one request in the bucket key; route names the shared bucket hash.
func (l *rateLimiter) take(key, route string, limit int, now time.Time) bucketState {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil || now.Sub(b.start) >= bucketWindow {
		b = &bucket{start: now}
		l.buckets[key] = b
	}
	st := bucketState{limit: limit, name: bucketName(route), now: now, resetAfter: b.start.Add(bucketWindow).Sub(now)}
	if b.count >= limit {
		return st
	}
	b.count++
	st.allowed = true
	st.remaining = limit - b.count
	return st
}

func (l *rateLimiter) countLimited() {
	l.mu.Lock()
	l.limited++
	l.mu.Unlock()
}

func (l *rateLimiter) limitedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limited
}

// bucketName is an opaque, stable id for a route, like Discord's X-RateLimit-Bucket.
func bucketName(route string) string {
	sum := sha256.Sum256([]byte(route))
	return hex.EncodeToString(sum[:8])
}

func (st bucketState) write(h http.Header) {
	after := max(st.resetAfter, time.Millisecond)
	reset := st.now.Add(after)
	h.Set("X-RateLimit-Limit", strconv.Itoa(st.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(st.remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(reset.UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(after.Seconds(), 'f', 3, 64))
	h.Set("X-RateLimit-Bucket", st.name)
}
