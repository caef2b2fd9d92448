// Command loadgen is the API load test that `make bench` runs. It creates its own database
// on the PostgreSQL server at TEST_DATABASE_URL (or the project's private cluster, via
// scripts/pg.sh), seeds a project owner with 50 projects, serves the real application on
// 127.0.0.1, signs clients in through the API and hammers GET /api/projects with them. It
// prints requests/s, latency percentiles and SQL statements per request, then checks that
// the statements per request do not grow with the number of projects. The database is
// dropped at the end, also on error or interrupt.
//
// Usage: loadgen [-c clients] [-d duration] [-n sequential requests for the query check]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/alexedwards/argon2id"
	_ "github.com/lib/pq" // the driver, for the administrative connection

	"github.com/14build/14build/authz"
	"github.com/14build/14build/handlers"
	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/store"
	"github.com/14build/14build/units"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// The seeded data set.
const (
	bigProjects   = 50 // projects of the user under load
	smallProjects = 5  // projects of the second user, for the constant-queries check
	unitsPer      = 10
	membersPer    = 3 // the owner and two in-house users
	password      = "load-test-password"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clients := fs.Int("c", 32, "concurrent clients")
	dur := fs.Duration("d", 10*time.Second, "how long the load runs")
	seqN := fs.Int("n", 200, "sequential requests per user in the queries-per-request check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *clients < 1 || *dur <= 0 || *seqN < 1 {
		return errors.New("-c, -d and -n must be positive")
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "loadgen: "+format+"\n", a...) }

	st, _, done, err := testdb.ScratchStore(ctx, getenv, "bench")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, done()) }()
	var pgVersion string
	if err := st.DB().QueryRowContext(ctx, `SHOW server_version`).Scan(&pgVersion); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	// Cheap hashing: the load test measures the API, not argon2id.
	cheapArgon := &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	h := handlers.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), handlers.Config{Argon2: cheapArgon, BaseURL: base})

	progress("seeding %d+%d projects", bigProjects, smallProjects)
	users, err := seed(ctx, st, h)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}

	srv := &http.Server{Handler: h.Echo(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	// One transport, as a browser-less client library would share; one cookie jar per client.
	tr := &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * max(*clients, 32),
		MaxIdleConnsPerHost: max(*clients, 32),
		IdleConnTimeout:     90 * time.Second,
	}
	defer tr.CloseIdleConnections()
	listURL := base + "/api/projects"

	progress("signing in %d clients", *clients)
	hcs := make([]*http.Client, *clients)
	for i := range hcs {
		if hcs[i], err = login(ctx, tr, base, users.big); err != nil {
			return err
		}
		// Warm-up, and proof the session works before the clock starts.
		if _, err := fetch(ctx, hcs[i], listURL, bigProjects, new(bytes.Buffer)); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}

	progress("load: %d clients for %s", *clients, *dur)
	load := loadTest(ctx, st, hcs, listURL, *dur)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}

	progress("query check: %d sequential requests at %d and at %d projects", *seqN, smallProjects, bigProjects)
	var checks []row
	for _, c := range []struct {
		email string
		n     int
	}{{users.small, smallProjects}, {users.big, bigProjects}} {
		hc, err := login(ctx, tr, base, c.email)
		if err != nil {
			return err
		}
		if _, err := fetch(ctx, hc, listURL, c.n, new(bytes.Buffer)); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		r := sequential(ctx, st, hc, listURL, c.n, *seqN)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		r.name = fmt.Sprintf("GET /api/projects, %d projects (1 client, %d sequential)", c.n, *seqN)
		checks = append(checks, r)
	}

	load.name = fmt.Sprintf("GET /api/projects (%d projects × %d units × %d members, %d clients, %s)",
		bigProjects, unitsPer, membersPer, *clients, *dur)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\trequests/s\tp50\tp99\tqueries/req\trequests\tfailures\t")
	for _, r := range append([]row{load}, checks...) {
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%s\t%.2f\t%d\t%d\t\n", r.name, r.rps(), ms(r.p(0.50)), ms(r.p(0.99)), r.qpr(), r.requests(), r.failures)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "machine: %d CPUs (GOMAXPROCS %d), %s/%s, %s, PostgreSQL %s; client, server and database share it\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), pgVersion)

	var errs []error
	for _, r := range append([]row{load}, checks...) {
		if r.failures > 0 {
			errs = append(errs, fmt.Errorf("%s: %d failed requests, the first: %w", r.name, r.failures, r.firstErr))
		}
	}
	if checks[0].queries*int64(checks[1].requests()) != checks[1].queries*int64(checks[0].requests()) {
		errs = append(errs, fmt.Errorf("queries per request grow with the number of projects: %.2f at %d, %.2f at %d",
			checks[0].qpr(), smallProjects, checks[1].qpr(), bigProjects))
	}
	return errors.Join(errs...)
}

// row is one measured scenario.
type row struct {
	name      string
	latencies []time.Duration // of every completed request, sorted
	failures  int
	firstErr  error
	elapsed   time.Duration
	queries   int64 // statements the store sent during the run
}

func (r row) requests() int { return len(r.latencies) }

func (r row) rps() float64 { return float64(r.requests()) / r.elapsed.Seconds() }

func (r row) qpr() float64 {
	if r.requests() == 0 {
		return 0
	}
	return float64(r.queries) / float64(r.requests())
}

// p is the nearest-rank percentile.
func (r row) p(q float64) time.Duration {
	n := len(r.latencies)
	if n == 0 {
		return 0
	}
	i := int(q*float64(n)+0.999999) - 1
	return r.latencies[min(max(i, 0), n-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// loadTest runs every client in its own goroutine until d has passed. Requests in flight at
// the deadline finish (and count); none starts after it.
func loadTest(ctx context.Context, st *store.Store, hcs []*http.Client, u string, d time.Duration) row {
	type result struct {
		lat      []time.Duration
		failures int
		firstErr error
	}
	results := make([]result, len(hcs))
	var wg sync.WaitGroup
	q0 := st.QueryCount()
	start := time.Now()
	deadline := start.Add(d)
	for i, hc := range hcs {
		wg.Go(func() {
			res := result{lat: make([]time.Duration, 0, 1<<14)}
			buf := new(bytes.Buffer)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				lat, err := fetch(ctx, hc, u, bigProjects, buf)
				if ctx.Err() != nil {
					break // interrupted: not the server's failure
				}
				if lat == 0 {
					lat = time.Since(t0) // no response at all
				}
				res.lat = append(res.lat, lat)
				if err != nil {
					res.failures++
					if res.firstErr == nil {
						res.firstErr = err
					}
				}
			}
			results[i] = res
		})
	}
	wg.Wait()
	r := row{elapsed: time.Since(start), queries: st.QueryCount() - q0}
	for _, res := range results {
		r.latencies = append(r.latencies, res.lat...)
		r.failures += res.failures
		if r.firstErr == nil {
			r.firstErr = res.firstErr
		}
	}
	slices.Sort(r.latencies)
	return r
}

// sequential sends n requests one after the other.
func sequential(ctx context.Context, st *store.Store, hc *http.Client, u string, want, n int) row {
	var r row
	buf := new(bytes.Buffer)
	q0 := st.QueryCount()
	start := time.Now()
	for range n {
		t0 := time.Now()
		lat, err := fetch(ctx, hc, u, want, buf)
		if ctx.Err() != nil {
			break
		}
		if lat == 0 {
			lat = time.Since(t0)
		}
		r.latencies = append(r.latencies, lat)
		if err != nil {
			r.failures++
			if r.firstErr == nil {
				r.firstErr = err
			}
		}
	}
	r.elapsed = time.Since(start)
	r.queries = st.QueryCount() - q0
	slices.Sort(r.latencies)
	return r
}

// fetch GETs the project list and checks it: status 200 and exactly want projects, each
// with its units and team. The latency covers sending the request and reading the whole
// body, not the checking; it is 0 when no response arrived.
func fetch(ctx context.Context, hc *http.Client, u string, want int, buf *bytes.Buffer) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	t0 := time.Now()
	res, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	buf.Reset()
	_, err = buf.ReadFrom(res.Body)
	res.Body.Close()
	lat := time.Since(t0)
	if err != nil {
		return lat, fmt.Errorf("read body: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return lat, fmt.Errorf("status %d: %.200s", res.StatusCode, buf.Bytes())
	}
	var body struct {
		Projects []struct {
			ID          string `json:"id"`
			UnitCount   int    `json:"unitCount"`
			TeamMembers []struct {
				UserID string `json:"userId"`
			} `json:"teamMembers"`
		} `json:"projects"`
		Total int `json:"total"`
	}
	if err := json.Unmarshal(buf.Bytes(), &body); err != nil {
		return lat, fmt.Errorf("decode body: %w", err)
	}
	if len(body.Projects) != want || body.Total != want {
		return lat, fmt.Errorf("got %d projects (total %d), want %d", len(body.Projects), body.Total, want)
	}
	for _, p := range body.Projects {
		if p.UnitCount != unitsPer || len(p.TeamMembers) != membersPer {
			return lat, fmt.Errorf("project %s: %d units and %d members, want %d and %d", p.ID, p.UnitCount, len(p.TeamMembers), unitsPer, membersPer)
		}
	}
	return lat, nil
}

// login signs in through the API, as a client would, and returns a client that carries
// the session cookie.
func login(ctx context.Context, tr http.RoundTripper, base, email string) (*http.Client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: tr, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/auth/login", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", email, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login %s: status %d: %.200s", email, res.StatusCode, b)
	}
	u, _ := url.Parse(base)
	if len(jar.Cookies(u)) == 0 {
		return nil, fmt.Errorf("login %s: no session cookie", email)
	}
	return hc, nil
}

type seeded struct {
	big, small string // emails of the owners with 50 and 5 projects
}

// seed creates two owners (50 and 5 projects) and two in-house users on every project;
// each project has 10 units.
func seed(ctx context.Context, st *store.Store, h *handlers.Handlers) (seeded, error) {
	hash, err := h.HashPassword(password)
	if err != nil {
		return seeded{}, err
	}
	mk := func(name, email string, role authz.Role) (store.User, error) {
		return st.CreateUser(ctx, store.NewUser{Name: name, Email: email, PasswordHash: hash, Role: role, Entity: "Bench Builders"})
	}
	big, err := mk("Bea Bench", "owner50@bench.test", authz.RoleOwner)
	if err != nil {
		return seeded{}, err
	}
	small, err := mk("Sam Small", "owner5@bench.test", authz.RoleOwner)
	if err != nil {
		return seeded{}, err
	}
	var staff []store.User
	for i := 1; i < membersPer; i++ {
		u, err := mk(fmt.Sprintf("In-House %d", i), fmt.Sprintf("inhouse%d@bench.test", i), authz.RoleInHouse)
		if err != nil {
			return seeded{}, err
		}
		staff = append(staff, u)
	}
	batch := make([]units.Unit, unitsPer)
	for i := range batch {
		batch[i] = units.Unit{UnitNumber: fmt.Sprintf("U-%02d", i+1), UnitType: "Apartment", TotalArea: 8450,
			NumberOfFloors: 1, NumberOfRooms: 2, NumberOfBathrooms: 1, FloorAreas: []units.Area{8450}}
	}
	for _, o := range []struct {
		owner store.User
		n     int
	}{{big, bigProjects}, {small, smallProjects}} {
		for i := range o.n {
			p, err := st.CreateProject(ctx, o.owner.ID, store.ProjectInput{
				Name: fmt.Sprintf("Bench Project %02d", i+1), Code: fmt.Sprintf("BP-%03d", i+1),
				Address: fmt.Sprintf("%d Load Street, Wellington", i+1), Status: store.ProjectStatuses[i%len(store.ProjectStatuses)],
				BudgetAmount: int64(i+1) * 100_000_00, Currency: "nzd", TimeZone: "Pacific/Auckland"})
			if err != nil {
				return seeded{}, err
			}
			for _, m := range staff {
				if err := st.AddMember(ctx, p.ID, m.ID); err != nil {
					return seeded{}, err
				}
			}
			if _, err := st.CreateUnits(ctx, p.ID, batch, false); err != nil {
				return seeded{}, err
			}
		}
	}
	return seeded{big: big.Email, small: small.Email}, nil
}
