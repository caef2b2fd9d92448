package handlers

import (
	"sync"
	"time"
)

// loginLimiter counts failed logins per account and per client address in a fixed window.
// It lives in memory: with several instances each counts its own share, which still bounds
// guessing to a small multiple of the limit.
type loginLimiter struct {
	mu        sync.Mutex
	perAcct   int
	perIP     int
	window    time.Duration
	now       func() time.Time
	failures  map[string]*window
	lastSweep time.Time
}

type window struct {
	n     int
	reset time.Time
}

func newLoginLimiter(perAcct, perIP int, w time.Duration) *loginLimiter {
	return &loginLimiter{perAcct: perAcct, perIP: perIP, window: w, now: time.Now, failures: map[string]*window{}}
}

// Blocked reports whether another attempt for this account or address must wait, and how long.
func (l *loginLimiter) Blocked(account, ip string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for key, limit := range map[string]int{"a:" + account: l.perAcct, "i:" + ip: l.perIP} {
		if w, ok := l.failures[key]; ok && now.Before(w.reset) && w.n >= limit {
			return true, w.reset.Sub(now)
		}
	}
	return false, 0
}

// Fail records a failed attempt.
func (l *loginLimiter) Fail(account, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) > l.window {
		for k, w := range l.failures {
			if !now.Before(w.reset) {
				delete(l.failures, k)
			}
		}
		l.lastSweep = now
	}
	for _, key := range []string{"a:" + account, "i:" + ip} {
		w, ok := l.failures[key]
		if !ok || !now.Before(w.reset) {
			w = &window{reset: now.Add(l.window)}
			l.failures[key] = w
		}
		w.n++
	}
}

// Succeed clears the account's failures (not the address's).
func (l *loginLimiter) Succeed(account string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, "a:"+account)
}
