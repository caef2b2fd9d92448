// Command 14build serves the 14Build web application.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // project time zones must resolve on machines without tzdata

	"github.com/alexedwards/argon2id"

	"github.com/14build/14build/demo"
	"github.com/14build/14build/drafting"
	"github.com/14build/14build/handlers"
	"github.com/14build/14build/jobs"
	"github.com/14build/14build/mail"
	"github.com/14build/14build/payments"
	"github.com/14build/14build/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "14build:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("14build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	loadDemo := fs.Bool("demo", false, "load the demo data (once) before serving")
	printRoutes := fs.Bool("routes", false, "print the route table with each route's permission, then exit")
	createAdmin := fs.String("create-admin", "", "create an administrator with this email (password from ADMIN_PASSWORD), then exit")
	migrateOnly := fs.Bool("migrate", false, "apply migrations, then exit")
	if err := fs.Parse(args); err != nil {
		return err
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stdout, getenv("LOG_LEVEL"), getenv("LOG_FORMAT"))
	for _, n := range cfg.notes {
		log.Info(n)
	}
	for _, w := range cfg.warnings {
		log.Warn(w)
	}

	if *printRoutes {
		fmt.Fprint(stdout, handlers.RouteTable())
		return nil
	}
	if cfg.databaseURL == "" {
		return errors.New("DATABASE_URL is not set (make run starts a local PostgreSQL for you)")
	}
	st, err := store.Open(ctx, cfg.databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	if *migrateOnly {
		return nil
	}
	jc, err := jobs.New(st, log, cfg.jobs)
	if err != nil {
		return err
	}
	cfg.http.Jobs = jc
	// Mail (issue 16): written to the outbox with each change; sent over SMTP_URL, or held
	// for the administrators' Mailbox page when it is not set.
	st.SetMail(jc.MailHooks(cfg.http.BaseURL, cfg.jobs.Mail.Sender != nil))
	h := handlers.New(st, log, cfg.http)

	if *createAdmin != "" {
		return makeAdmin(ctx, h, st, *createAdmin, getenv("ADMIN_PASSWORD"), stdout)
	}
	if *loadDemo {
		loaded, err := demo.Load(ctx, st, h.HashPassword)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		if loaded {
			log.Info("demo data loaded", "password", demo.Password, "admin", demo.Accounts[0].Email)
		}
	}

	// Workers start after migrations and stop before the database closes (defer order).
	if err := jc.Start(ctx); err != nil {
		return fmt.Errorf("start background jobs: %w", err)
	}
	defer func() {
		jctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := jc.Stop(jctx); err != nil {
			log.Warn("stopping background jobs", "err", err.Error())
		}
	}()
	go sweepSessions(ctx, st, log)
	// Live updates (issue 12): this instance LISTENs for every committed change and fans it
	// out to its own subscribers; the listener reconnects by itself.
	lctx, stopListener := context.WithCancel(ctx)
	defer stopListener()
	go func() {
		if err := h.EventListener(cfg.databaseURL).Run(lctx); err != nil && lctx.Err() == nil {
			log.Error("events listener stopped", "err", err.Error())
		}
	}()
	srv := &http.Server{
		Addr:              cfg.addr,
		Handler:           h.Echo(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	log.Info("14build listening", "addr", ln.Addr().String(), "base_url", cfg.http.BaseURL)
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if cfg.metricsAddr != "" {
		// Metrics on their own listener (an address only operators reach), without a token.
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", h.MetricsHandler())
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		mln, err := net.Listen("tcp", cfg.metricsAddr)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("listen on METRICS_ADDR %s: %w", cfg.metricsAddr, err)
		}
		log.Info("metrics listening", "addr", mln.Addr().String())
		servers = append(servers, msrv)
		go func() { errc <- msrv.Serve(mln) }()
	}

	select {
	case err := <-errc:
		for _, s := range servers {
			_ = s.Close()
		}
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	// In-flight requests finish (up to SHUTDOWN_TIMEOUT); new connections are refused. Past
	// the timeout the remaining connections are closed, and the exit is still clean: what
	// was cut off is logged.
	log.Info("shutting down", "timeout", cfg.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	// Open event streams end first (Shutdown waits for handlers): their clients reconnect,
	// to another instance.
	h.Hub().Close()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			log.Warn("shutdown timed out; closing the remaining connections", "err", err.Error())
			_ = s.Close()
		}
	}
	log.Info("stopped")
	return nil
}

type config struct {
	addr            string
	databaseURL     string
	metricsAddr     string
	shutdownTimeout time.Duration
	http            handlers.Config
	jobs            jobs.Config
	// notes and warnings are logged once the logger exists (loadConfig runs before it).
	notes, warnings []string
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{addr: getenv("ADDR"), databaseURL: getenv("DATABASE_URL")}
	if c.addr == "" {
		c.addr = ":8080"
	}
	c.http.BaseURL = strings.TrimRight(getenv("BASE_URL"), "/")
	if c.http.BaseURL == "" {
		port := c.addr[strings.LastIndex(c.addr, ":")+1:]
		c.http.BaseURL = "http://localhost:" + port
	}
	var err error
	if c.http.SecureCookies, err = envBool(getenv, "SECURE_COOKIES"); err != nil {
		return c, err
	}
	if c.http.TrustProxy, err = envBool(getenv, "TRUST_PROXY"); err != nil {
		return c, err
	}
	if s := getenv("SESSION_TTL"); s != "" {
		if c.http.SessionTTL, err = time.ParseDuration(s); err != nil || c.http.SessionTTL < time.Minute {
			return c, fmt.Errorf("SESSION_TTL=%q: want a duration such as 336h", s)
		}
	}
	if s := getenv("ARGON2_MEMORY_KIB"); s != "" {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil || n < 1024 {
			return c, fmt.Errorf("ARGON2_MEMORY_KIB=%q: want a number of KiB, at least 1024", s)
		}
		p := *argon2id.DefaultParams
		p.Memory = uint32(n)
		c.http.Argon2 = &p
	}
	if s := getenv("MAX_BODY"); s != "" {
		c.http.MaxBody = s
	}
	// Password hashing: how many argon2id hashes run at once (each takes ARGON2_MEMORY_KIB),
	// and registrations allowed per client address per hour.
	for key, dst := range map[string]*int{"HASH_CONCURRENCY": &c.http.HashConcurrency, "REGISTER_LIMIT": &c.http.RegisterLimit} {
		if s := getenv(key); s != "" {
			if *dst, err = strconv.Atoi(s); err != nil || *dst < 1 || *dst > 10000 {
				return c, fmt.Errorf("%s=%q: want a number from 1 to 10000", key, s)
			}
		}
	}
	c.http.MetricsToken = getenv("METRICS_TOKEN")
	c.metricsAddr = getenv("METRICS_ADDR")
	c.shutdownTimeout = 30 * time.Second
	if s := getenv("SHUTDOWN_TIMEOUT"); s != "" {
		if c.shutdownTimeout, err = time.ParseDuration(s); err != nil || c.shutdownTimeout <= 0 {
			return c, fmt.Errorf("SHUTDOWN_TIMEOUT=%q: want a duration such as 30s", s)
		}
	}
	// Spreadsheet imports: how many run at once per process and per person, and how long
	// an import may go without a heartbeat before it is taken for dead and retried.
	for key, dst := range map[string]*int{"IMPORT_WORKERS": &c.jobs.ImportWorkers, "IMPORTS_PER_USER": &c.http.ImportsPerUser} {
		if s := getenv(key); s != "" {
			if *dst, err = strconv.Atoi(s); err != nil || *dst < 1 || *dst > 100 {
				return c, fmt.Errorf("%s=%q: want a number from 1 to 100", key, s)
			}
		}
	}
	c.jobs.CloseSweep = true // open tenders past their closing time are closed every minute
	if s, from := getenv("SMTP_URL"), getenv("MAIL_FROM"); s != "" {
		if from == "" {
			from = "14Build <noreply@" + hostOf(c.http.BaseURL) + ">"
		}
		sender, err := mail.NewSender(s, from)
		if err != nil {
			return c, fmt.Errorf("SMTP_URL, MAIL_FROM: %w", err)
		}
		c.jobs.Mail.Sender = sender
	}
	if s := getenv("IMPORT_TIMEOUT"); s != "" {
		if c.jobs.ImportTimeout, err = time.ParseDuration(s); err != nil || c.jobs.ImportTimeout < time.Second {
			return c, fmt.Errorf("IMPORT_TIMEOUT=%q: want a duration such as 30s", s)
		}
	}
	if err := c.loadPayments(getenv); err != nil {
		return c, err
	}
	if err := c.loadDrafting(getenv); err != nil {
		return c, err
	}
	c.jobs.Payments = c.http.Payments // the escrow release job retries transfers with it
	return c, nil
}

// loadPayments picks the escrow's payment provider (issue 14): Stripe when
// STRIPE_SECRET_KEY is set, else the simulator, in which no money moves.
func (c *config) loadPayments(getenv func(string) string) error {
	sk, pk := getenv("STRIPE_SECRET_KEY"), getenv("STRIPE_PUBLISHABLE_KEY")
	whsec, base := getenv("STRIPE_WEBHOOK_SECRET"), strings.TrimRight(getenv("STRIPE_API_BASE"), "/")
	if sk == "" {
		for key, v := range map[string]string{"STRIPE_PUBLISHABLE_KEY": pk, "STRIPE_WEBHOOK_SECRET": whsec, "STRIPE_API_BASE": base} {
			if v != "" {
				return fmt.Errorf("%s is set but STRIPE_SECRET_KEY is not: set both for Stripe, neither for the payment simulator", key)
			}
		}
		c.http.Payments = payments.NewSimulator()
		c.notes = append(c.notes, "payments: simulated — no money moves (set STRIPE_SECRET_KEY for Stripe)")
		return nil
	}
	if !strings.HasPrefix(sk, "sk_") && !strings.HasPrefix(sk, "rk_") {
		return errors.New("STRIPE_SECRET_KEY: want a secret key (sk_test_… or sk_live_…)")
	}
	if pk != "" && !strings.HasPrefix(pk, "pk_") {
		return errors.New("STRIPE_PUBLISHABLE_KEY: want a publishable key (pk_test_… or pk_live_…)")
	}
	if pk != "" && strings.Contains(sk, "_live_") != strings.Contains(pk, "_live_") {
		return errors.New("STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY: one is a live key, the other a test key")
	}
	if whsec != "" && !strings.HasPrefix(whsec, "whsec_") {
		return errors.New("STRIPE_WEBHOOK_SECRET: want the endpoint's signing secret (whsec_…)")
	}
	if base != "" {
		if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("STRIPE_API_BASE=%q: want an address such as http://127.0.0.1:12111 (stripe-mock)", base)
		}
	}
	if pk == "" {
		c.warnings = append(c.warnings, "payments: STRIPE_PUBLISHABLE_KEY is not set: owners cannot pay into escrow (the Payment Element needs it)")
	}
	if whsec == "" {
		c.warnings = append(c.warnings, "payments: STRIPE_WEBHOOK_SECRET is not set: every Stripe webhook is refused, so no milestone is ever funded")
	}
	c.http.Payments = payments.NewStripe(payments.StripeConfig{
		SecretKey: sk, PublishableKey: pk, WebhookSecret: whsec, APIBase: base,
		MaxNetworkRetries: 2, // stripe-go retries network errors, 409, 429 and 5xx with the same idempotency key
	})
	c.http.StripeWebhookSecret = whsec
	return nil
}

// loadDrafting configures the AI drafting service (issue 15): AI_MODEL with AI_BASE_URL
// (any OpenAI-compatible server) and/or AI_API_KEY; unset, the built-in planner drafts
// alone. The key is never logged.
func (c *config) loadDrafting(getenv func(string) string) error {
	d := drafting.Config{BaseURL: strings.TrimSpace(getenv("AI_BASE_URL")), APIKey: getenv("AI_API_KEY"), Model: strings.TrimSpace(getenv("AI_MODEL"))}
	if s := getenv("AI_TIMEOUT"); s != "" {
		t, err := time.ParseDuration(s)
		if err != nil || t < time.Second || t > 10*time.Minute {
			return fmt.Errorf("AI_TIMEOUT=%q: want a duration from 1s to 10m, such as 30s", s)
		}
		d.Timeout = t
	}
	if d.BaseURL != "" {
		if u, err := url.Parse(d.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("AI_BASE_URL=%q: want an address such as http://localhost:11434/v1", d.BaseURL)
		}
	}
	switch {
	case d.Enabled():
		c.notes = append(c.notes, "drafting: service "+d.Model+" at "+cmp.Or(d.BaseURL, "the OpenAI API"))
	case d.BaseURL != "" || d.APIKey != "" || d.Model != "":
		return errors.New("AI_MODEL and AI_BASE_URL or AI_API_KEY: set a model and where to reach it, or none of them for the built-in planner")
	default:
		c.notes = append(c.notes, "drafting: built-in planner only (set AI_BASE_URL/AI_API_KEY and AI_MODEL for a service)")
	}
	c.http.Drafting = d
	return nil
}

func envBool(getenv func(string) string, key string) (bool, error) {
	s := getenv(key)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", key, s)
	}
	return b, nil
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil || level == "" {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func makeAdmin(ctx context.Context, h *handlers.Handlers, st *store.Store, email, password string, out io.Writer) error {
	if len(password) < 10 {
		return errors.New("set ADMIN_PASSWORD (at least 10 characters)")
	}
	hash, err := h.HashPassword(password)
	if err != nil {
		return err
	}
	u, err := st.CreateUser(ctx, store.NewUser{Name: "Administrator", Email: email, PasswordHash: hash, Role: "admin", Entity: "14Build"})
	if err != nil {
		return fmt.Errorf("create administrator: %w", err)
	}
	fmt.Fprintf(out, "administrator %s created (id %s)\n", u.Email, u.ID)
	return nil
}

func sweepSessions(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := st.DeleteExpiredSessions(ctx); err != nil {
				log.Warn("sweeping expired sessions", "err", err.Error())
			} else if n > 0 {
				log.Info("expired sessions removed", "count", n)
			}
		}
	}
}

// hostOf is the host name of a URL ("localhost" when it has none).
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "localhost"
}
