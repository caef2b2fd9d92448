package handlers

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/labstack/echo/v4"
)

// loginLimiter counts attempts per account and per client address in a fixed window.
// It lives in memory: with several instances each counts its own share, which still bounds
// guessing to a small multiple of the limit.
//
// An attempt is counted when it starts (Acquire), not when it has failed: counting only
// after the password check let 40 concurrent guesses all pass a check made before any of
// them was counted.
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

type limitKey struct {
	key   string
	limit int
}

// keys lists the counters an attempt uses; an empty account (registration) has none of its own.
func (l *loginLimiter) keys(account, ip string) []limitKey {
	ks := []limitKey{{"i:" + ip, l.perIP}}
	if account != "" {
		ks = append(ks, limitKey{"a:" + account, l.perAcct})
	}
	return ks
}

// Acquire reserves one attempt for the account and the address in a single step under the
// lock. When either is at its limit nothing is counted and ok is false, with how long to
// wait. A reserved attempt stays counted (a failure) unless Release or Succeed gives it back.
func (l *loginLimiter) Acquire(account, ip string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	ks := l.keys(account, ip)
	for _, k := range ks {
		if w, ok := l.failures[k.key]; ok && now.Before(w.reset) && w.n >= k.limit {
			return false, w.reset.Sub(now)
		}
	}
	for _, k := range ks {
		w, ok := l.failures[k.key]
		if !ok || !now.Before(w.reset) {
			w = &window{reset: now.Add(l.window)}
			l.failures[k.key] = w
		}
		w.n++
	}
	return true, 0
}

// Release gives back an attempt that was never judged (the server was busy, the database
// failed): it is not the caller's failure.
func (l *loginLimiter) Release(account, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range l.keys(account, ip) {
		if w, ok := l.failures[k.key]; ok && w.n > 0 {
			w.n--
		}
	}
}

// Succeed clears the account's failures and gives back the address's reserved attempt.
func (l *loginLimiter) Succeed(account, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, "a:"+account)
	if w, ok := l.failures["i:"+ip]; ok && w.n > 0 {
		w.n--
	}
}

func (l *loginLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) <= l.window {
		return
	}
	for k, w := range l.failures {
		if !now.Before(w.reset) {
			delete(l.failures, k)
		}
	}
	l.lastSweep = now
}

// tooMany is the 429 for a limited attempt, with Retry-After.
func tooMany(c echo.Context, wait time.Duration, what string) error {
	secs := int(wait.Seconds()) + 1
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	mins := int(wait.Round(time.Minute) / time.Minute)
	if mins < 1 {
		mins = 1
	}
	return &appError{Status: http.StatusTooManyRequests,
		Message: "Too many " + what + ". Wait " + itoa(mins) + " minute(s) and try again."}
}

// Password hashing is bounded: each argon2id hash or check takes ~64 MiB by default, so a
// burst of logins would take memory without limit. hashSlots holds one token per hash
// allowed to run at once; a request that cannot get one within HashWait gets 429.

func errHashBusy(c echo.Context) error {
	c.Response().Header().Set("Retry-After", "2")
	return &appError{Status: http.StatusTooManyRequests, Message: "The server is busy signing other people in. Try again in a moment."}
}

// withHashSlot runs fn holding a hashing slot, or answers 429 when none frees up in time
// (or the request is gone).
func (h *Handlers) withHashSlot(c echo.Context, fn func() error) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), h.cfg.HashWait)
	defer cancel()
	select {
	case h.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return errHashBusy(c)
	}
	defer func() { <-h.hashSlots }()
	return fn()
}

// hashPassword hashes a new password under the hashing limit (registration, password
// changes, accounts made by administrators and invitations).
func (h *Handlers) hashPassword(c echo.Context, pw string) (string, error) {
	var hash string
	err := h.withHashSlot(c, func() error {
		var err error
		hash, err = argon2id.CreateHash(pw, h.cfg.Argon2)
		return err
	})
	return hash, err
}

// verifyPassword checks a password under the hashing limit and counts the check
// (PasswordChecks), so tests and the benchmark can see how many attempts reached argon2.
func (h *Handlers) verifyPassword(c echo.Context, pw, hash string) (bool, error) {
	var ok bool
	err := h.withHashSlot(c, func() error {
		h.passwordChecks.Add(1)
		var err error
		ok, err = argon2id.ComparePasswordAndHash(pw, hash)
		return err
	})
	return ok, err
}

// PasswordChecks is the number of password verifications run since start.
func (h *Handlers) PasswordChecks() int64 { return h.passwordChecks.Load() }
