// Package handlers is 14Build's HTTP layer: pages, HTMX partials and the JSON API over one
// set of handlers. Every route is in routes.go with its permission.
package handlers

import (
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/14build/14build/drafting"
	"github.com/14build/14build/events"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/payments"
	"github.com/14build/14build/payouts"
	"github.com/14build/14build/store"
)

// Config is the HTTP layer's configuration, read from the environment by main.
type Config struct {
	// BaseURL is the public address, used in links shown to people (invitations).
	BaseURL string
	// SecureCookies forces the Secure flag (set it when TLS ends at a proxy).
	SecureCookies bool
	// TrustProxy takes the client address from X-Forwarded-For.
	TrustProxy bool
	// SessionTTL is how long a session lives.
	SessionTTL time.Duration
	// Argon2 sets the password hashing cost.
	Argon2 *argon2id.Params
	// LoginLimit is the number of failed logins allowed per account in LoginWindow;
	// an address gets LoginLimitIP.
	LoginLimit   int
	LoginLimitIP int
	LoginWindow  time.Duration
	// HashConcurrency bounds password hashes running at once (default: the number of
	// CPUs); a request waits at most HashWait (default 2 s) for a slot, then gets 429.
	HashConcurrency int
	HashWait        time.Duration
	// RegisterLimit is the number of registrations allowed per client address in
	// RegisterWindow (default 10 per hour).
	RegisterLimit  int
	RegisterWindow time.Duration
	// MaxBody bounds request bodies.
	MaxBody string
	// InviteTTL is how long an invitation link works.
	InviteTTL time.Duration
	// MetricsToken, when set, lets GET /metrics answer a caller sending it as a bearer token
	// (compared in constant time). Unset, /metrics on the main listener answers 404 (main
	// may serve the metrics on a separate METRICS_ADDR instead).
	MetricsToken string
	// Jobs enqueues background jobs (package jobs); without it imports cannot start.
	Jobs JobQueue
	// ImportsPerUser caps the imports one person has queued or running at once
	// (default DefaultImportsPerUser, in soq_import.go).
	ImportsPerUser int
	// Events tunes the live updates' hub (issue 12; zero fields take its defaults).
	Events events.HubConfig
	// Payments moves the escrow's money (issue 14): Stripe, or the simulator when nil.
	Payments payments.Provider
	// StripeWebhookSecret verifies POST /api/webhooks/stripe ("" refuses every webhook).
	StripeWebhookSecret string
	// Drafting is the AI drafting service (issue 15); zero: the built-in planner only.
	Drafting drafting.Config
}

// Defaults fills unset fields.
func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = "http://localhost:8080"
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = 14 * 24 * time.Hour
	}
	if c.Argon2 == nil {
		c.Argon2 = argon2id.DefaultParams
	}
	if c.LoginLimit == 0 {
		c.LoginLimit = 5
	}
	if c.LoginLimitIP == 0 {
		c.LoginLimitIP = 30
	}
	if c.LoginWindow == 0 {
		c.LoginWindow = 15 * time.Minute
	}
	if c.HashConcurrency <= 0 {
		c.HashConcurrency = runtime.NumCPU()
	}
	if c.HashWait == 0 {
		c.HashWait = 2 * time.Second
	}
	if c.RegisterLimit == 0 {
		c.RegisterLimit = 10
	}
	if c.RegisterWindow == 0 {
		c.RegisterWindow = time.Hour
	}
	if c.MaxBody == "" {
		c.MaxBody = "1M"
	}
	if c.InviteTTL == 0 {
		c.InviteTTL = 14 * 24 * time.Hour
	}
	if c.Payments == nil {
		c.Payments = payments.NewSimulator()
	}
	return c
}

// Handlers holds every dependency of the HTTP layer.
type Handlers struct {
	st       *store.Store
	log      *slog.Logger
	cfg      Config
	sessions *pgSessions
	limiter  *loginLimiter
	cop      *http.CrossOriginProtection
	metrics  *metrics
	registry *prometheus.Registry

	// regLimiter counts registrations per client address; hashSlots bounds argon2id work
	// (ratelimit.go); passwordChecks counts verifications.
	regLimiter     *loginLimiter
	hashSlots      chan struct{}
	passwordChecks atomic.Int64

	// hub serves this instance's live-update subscribers (events.go); EventListener feeds it.
	hub *events.Hub

	// payouts moves a contract's money (issue 14): escrow_api.go and the contract pages.
	payouts *payouts.Service
}

// New builds the HTTP layer.
func New(st *store.Store, log *slog.Logger, cfg Config) *Handlers {
	cfg = cfg.withDefaults()
	reg := prometheus.NewRegistry()
	h := &Handlers{
		st:       st,
		log:      log,
		cfg:      cfg,
		sessions: &pgSessions{st: st, ttl: cfg.SessionTTL, secure: cfg.SecureCookies || strings.HasPrefix(cfg.BaseURL, "https://")},
		limiter:  newLoginLimiter(cfg.LoginLimit, cfg.LoginLimitIP, cfg.LoginWindow),
		cop:      http.NewCrossOriginProtection(),
		registry: reg,

		// Registration keys on the address only (account "" in Acquire).
		regLimiter: newLoginLimiter(0, cfg.RegisterLimit, cfg.RegisterWindow),
		hashSlots:  make(chan struct{}, cfg.HashConcurrency),
		hub:        events.NewHub(cfg.Events),
	}
	h.payouts = &payouts.Service{Store: st, Provider: cfg.Payments, BaseURL: cfg.BaseURL, Log: log}
	if q, ok := cfg.Jobs.(payouts.Enqueuer); ok {
		h.payouts.Jobs = q // the release's retry job (jobs.Client)
	}
	h.metrics = newMetrics(reg, st, h.Routes())
	return h
}

// largeBody names the routes that take larger bodies (whole SOQs, spreadsheet uploads);
// their handlers set their own limit.
func largeBody(c echo.Context) bool {
	// c.Path() is the matched route's pattern: the router runs before this middleware.
	switch m := c.Request().Method; c.Path() {
	case paths.NameAPISOQs.Pattern():
		return m == http.MethodPost
	case paths.NameAPISOQ.Pattern():
		return m == http.MethodPut
	case paths.NameImports.Pattern(), paths.NameImportUpload.Pattern():
		return true
	}
	return false
}

// Echo returns the configured server with every route.
func (h *Handlers) Echo() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = h.handleError
	if h.cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		// Never trust a client-supplied X-Forwarded-For: rate limits key on the address.
		e.IPExtractor = echo.ExtractIPDirect()
	}
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(middleware.RequestID())
	e.Use(h.requestLog)
	e.Use(h.recoverPanics)
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "same-origin",
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
	}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: h.cfg.MaxBody, Skipper: largeBody}))
	e.Use(h.crossOrigin)
	e.Use(h.authenticate)
	e.Use(h.privateResponses)
	e.Use(h.checkInput)
	h.routes(e)
	return e
}
