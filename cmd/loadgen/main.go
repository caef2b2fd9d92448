// Command loadgen is the API load test that `make bench` runs. It creates its own database
// on the PostgreSQL server at TEST_DATABASE_URL (or the project's private cluster, via
// scripts/pg.sh), seeds a project owner with 50 projects × 10 units × 3 members, serves the
// real application on 127.0.0.1, signs clients in through the API and hammers
// GET /api/projects with them. It prints requests/s, latency percentiles and SQL statements
// per request, then checks that the statements per request do not grow with the number of
// projects. The database is dropped at the end, also on error or interrupt.
//
// When the seed's own stack is present (../shared/seedpeer/run.sh, or -seedpeer DIR) it is
// started on the same PostgreSQL with the same data set and loaded by the same client in
// interleaved runs (seed, ours, seed, ours, …); the two are printed side by side with the
// ratio and the goal (≥ 5× its requests/s, a p99 ≤ ⅕ of its p99). SEEDPEER_URL reuses a
// seed stack that is already serving instead of starting one.
//
// The load comes from wrk when it is installed (-client auto, the default; make bench
// installs it where apt-get can): a separate C process, so this process's CPU is the
// server's alone, and the client's CPU is printed in its own column. Without wrk (or with
// -client go) the load comes from Go clients inside this process, and the app CPU column
// then counts the client too: parsing 274 KB answers in Go cost about as much CPU as
// serving them.
//
// Usage: loadgen [-c clients] [-d duration] [-rounds n] [-warmup duration] [-n sequential requests]
//
//	[-client auto|wrk|go] [-seedpeer dir | -seedpeer ""] [-cpuprofile file] [-hold]
package main

import (
	"bytes"
	"context"
	"database/sql"
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
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/alexedwards/argon2id"
	_ "github.com/lib/pq" // the driver, for the administrative connection

	"github.com/14build/14build/authz"
	"github.com/14build/14build/handlers"
	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/project"
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

// The seeded data set: the same shape as the seed stack's own seed (run.sh).
const (
	bigProjects   = 50 // projects of the user under load
	smallProjects = 5  // projects of the second user, for the constant-queries check
	unitsPer      = 10
	membersPer    = 3 // the owner and two in-house users
	password      = "load-test-password"
)

// The goal set in issue 9, against the seed stack on the same machine and data.
const (
	goalThroughput = 5.0 // × its requests/s
	goalP99        = 5.0 // its p99 ÷ ours
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clients := fs.Int("c", 32, "concurrent clients")
	dur := fs.Duration("d", 10*time.Second, "how long each load run lasts")
	rounds := fs.Int("rounds", 3, "load runs of each stack, interleaved (seed, ours, seed, ours, …)")
	warm := fs.Duration("warmup", 3*time.Second, "unmeasured load on each stack before the runs (JIT, connection pools, prepared statements and their plans)")
	seqN := fs.Int("n", 200, "sequential requests per user in the queries-per-request check")
	peerDir := fs.String("seedpeer", filepath.Join("..", "shared", "seedpeer"), "the seed stack's folder (with run.sh); empty: ours only")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process during our first load run (with -hold: of the server alone, for the whole hold)")
	client := fs.String("client", "auto", "load client: wrk (a separate process), go (goroutines in this process), auto (wrk when on PATH)")
	hold := fs.Bool("hold", false, "seed and serve, print the URL, database and login, and wait for an interrupt (for profiling by hand)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *clients < 1 || *dur <= 0 || *seqN < 1 || *rounds < 1 {
		return errors.New("-c, -d, -rounds and -n must be positive")
	}
	wrkPath := ""
	switch *client {
	case "go":
	case "wrk", "auto":
		p, err := exec.LookPath("wrk")
		if err != nil && *client == "wrk" {
			return fmt.Errorf("-client wrk: %w", err)
		}
		wrkPath = p
	default:
		return fmt.Errorf("-client %q: want auto, wrk or go", *client)
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "loadgen: "+format+"\n", a...) }

	admin := getenv("TEST_DATABASE_URL")
	if admin == "" {
		admin = getenv("DATABASE_URL")
	}
	if admin == "" {
		if admin, err = testdb.LocalURL(ctx); err != nil {
			return err
		}
	}
	st, dbURL, done, err := testdb.ScratchStore(ctx, func(k string) string {
		if k == "TEST_DATABASE_URL" {
			return admin
		}
		return getenv(k)
	}, "bench")
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

	if *hold {
		fmt.Fprintf(stdout, "serving %s/api/projects on database %s; sign in as %s / %s; interrupt to stop\n", base, dbURL, users.big, password)
		// With -cpuprofile, the profile covers the whole hold: the server alone, under
		// whatever load is sent from outside (wrk).
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		<-ctx.Done()
		return nil
	}

	tr := newTransport(*clients)
	defer tr.CloseIdleConnections()
	ours := target{name: "14Build", url: base + "/api/projects", check: checkOurs(bigProjects), queries: st.QueryCount,
		cpu: &cpuMeter{db: st.DB().DB, dbName: dbName(dbURL), app: func() []int { return []int{os.Getpid()} }}}

	progress("signing in %d clients", *clients)
	ours.clients = make([]*http.Client, *clients)
	for i := range ours.clients {
		if ours.clients[i], err = login(ctx, tr, base, users.big); err != nil {
			return err
		}
		// Warm-up, and proof the session works before the clock starts.
		if _, err := fetch(ctx, ours.clients[i], ours.url, ours.check, new(bytes.Buffer)); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}

	peer, stopPeer, err := startPeer(ctx, *peerDir, admin, st.DB().DB, getenv, *clients, stderr)
	if err != nil {
		return err
	}
	defer stopPeer()
	if peer == nil {
		fmt.Fprintf(stdout, "seed stack: not found at %s (run.sh); measuring 14Build only, no ratio\n", *peerDir)
	}

	if wrkPath != "" {
		u, _ := url.Parse(base)
		var cookies []string
		for _, ck := range ours.clients[0].Jar.Cookies(u) {
			cookies = append(cookies, ck.Name+"="+ck.Value)
		}
		// One session for every connection: the session lookup is one query a request
		// whichever session it is, and nothing writes the session on a GET.
		ours.wrk = &wrkClient{path: wrkPath, header: []string{"Cookie: " + strings.Join(cookies, "; ")}}
		if peer != nil {
			peer.wrk = &wrkClient{path: wrkPath}
		}
	}

	var prof *os.File
	if *cpuProfile != "" {
		if prof, err = os.Create(*cpuProfile); err != nil {
			return err
		}
		defer prof.Close()
	}
	if *warm > 0 {
		for _, t := range []*target{peer, &ours} {
			if t != nil {
				progress("warm-up: %s, %d clients for %s", t.name, *clients, *warm)
				loadTest(ctx, *t, *warm)
			}
		}
	}
	var oursRuns, peerRuns []row
	for r := range *rounds {
		if peer != nil {
			progress("load %d/%d: seed stack, %d clients for %s", r+1, *rounds, *clients, *dur)
			peerRuns = append(peerRuns, loadTest(ctx, *peer, *dur))
		}
		progress("load %d/%d: 14Build, %d clients for %s", r+1, *rounds, *clients, *dur)
		if prof != nil {
			if err := pprof.StartCPUProfile(prof); err != nil {
				return err
			}
		}
		oursRuns = append(oursRuns, loadTest(ctx, ours, *dur))
		if prof != nil {
			pprof.StopCPUProfile()
			prof = nil // one profile file holds one profile: the first run
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
	}

	// wrk stops with requests in flight; the server finishes them (their queries) after it
	// exits. The counts below must not include them.
	waitQuiet(ctx, st.QueryCount)
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
		t := target{name: "14Build", url: ours.url, check: checkOurs(c.n), queries: st.QueryCount, clients: []*http.Client{hc}}
		if _, err := fetch(ctx, hc, t.url, t.check, new(bytes.Buffer)); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		r := sequential(ctx, t, *seqN)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		r.name = fmt.Sprintf("14Build, %d projects (1 client, %d sequential)", c.n, *seqN)
		checks = append(checks, r)
	}

	fmt.Fprintf(stdout, "GET /api/projects: %d projects × %d units × %d members, owner, units with floors, team with users; %d clients, %s per run\n",
		bigProjects, unitsPer, membersPer, *clients, *dur)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\trequests/s\tp50\tp99\tresponse\tqueries/req\tPostgreSQL CPU/req\tapp CPU/req\tclient CPU/req\trequests\tfailures\t")
	var all []row
	for i := range oursRuns {
		if peer != nil {
			peerRuns[i].name = fmt.Sprintf("%d. seed stack (Next.js + Prisma)", i+1)
			all = append(all, peerRuns[i])
		}
		oursRuns[i].name = fmt.Sprintf("%d. 14Build", i+1)
		all = append(all, oursRuns[i])
	}
	all = append(all, checks...)
	for _, r := range all {
		qpr := "-"
		if r.counted {
			qpr = fmt.Sprintf("%.2f", r.qpr())
		}
		pgCPU, appCPU, clientCPU := "-", "-", "-"
		if r.cpu.measured && r.requests() > 0 {
			pgCPU, appCPU = ms(r.cpu.db/time.Duration(r.requests())), ms(r.cpu.app/time.Duration(r.requests()))
		}
		if r.clientCPU > 0 && r.requests() > 0 {
			clientCPU = ms(r.clientCPU / time.Duration(r.requests()))
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t\n", r.name, r.rps(), ms(r.p(0.50)), ms(r.p(0.99)), kb(r.bytes), qpr, pgCPU, appCPU, clientCPU, r.requests(), r.failures)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if peer != nil {
		o, p := merge(oursRuns), merge(peerRuns)
		thr, lat := o.rps()/p.rps(), float64(p.p(0.99))/float64(o.p(0.99))
		fmt.Fprintf(stdout, "14Build ÷ seed stack, all runs: %.1f× requests/s (goal ≥ %.0f×: %s), p99 %s vs %s = 1/%.1f (goal ≤ 1/%.0f: %s)\n",
			thr, goalThroughput, verdict(thr >= goalThroughput), ms(o.p(0.99)), ms(p.p(0.99)), lat, goalP99, verdict(lat >= goalP99))
		for i := range oursRuns {
			fmt.Fprintf(stdout, "  run %d: %.1f× requests/s, p99 1/%.1f\n", i+1,
				oursRuns[i].rps()/peerRuns[i].rps(), float64(peerRuns[i].p(0.99))/float64(oursRuns[i].p(0.99)))
		}
	}
	if wrkPath != "" {
		fmt.Fprintf(stdout, "load client: %s (a separate process; its CPU is the client column). CPU per request: PostgreSQL's backends serving the stack's database; app: the seed stack's Node.js processes, for 14Build this process (the server alone); the sequential checks use a Go client\n", wrkPath)
		fmt.Fprintln(stdout, "all-runs figures: requests/s over the summed time, p99 the mean of the runs' p99 (wrk reports percentiles, not each latency)")
	} else {
		fmt.Fprintln(stdout, "load client: Go, in this process (wrk not used). CPU per request: PostgreSQL's backends serving the stack's database; app: the seed stack's Node.js processes, for 14Build this whole process (its server and the load client)")
	}
	fmt.Fprintf(stdout, "machine: %d CPUs (GOMAXPROCS %d), %s/%s, %s, PostgreSQL %s; client, servers and database share it\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), pgVersion)

	var errs []error
	for _, r := range all {
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

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// newTransport is one client transport, as a client library would share, sized for c
// concurrent clients so that every client keeps its connection alive.
func newTransport(c int) *http.Transport {
	return &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * max(c, 32),
		MaxIdleConnsPerHost: max(c, 32),
		IdleConnTimeout:     90 * time.Second,
	}
}

// target is one stack under load: its URL, its clients and how to check an answer.
type target struct {
	name    string
	url     string
	wrk     *wrkClient // nil: the Go clients make the load
	clients []*http.Client
	check   func(body []byte) error
	queries func() int64 // statements sent so far; nil when not ours to count
	cpu     *cpuMeter    // nil: not measured
}

// row is one measured run.
type row struct {
	name      string
	latencies []time.Duration // of every completed request, sorted
	failures  int
	firstErr  error
	elapsed   time.Duration
	bytes     int64 // of the last response body
	counted   bool
	queries   int64 // statements the store sent during the run
	cpu       cpuUse
	clientCPU time.Duration // of the wrk process; 0 for the Go client
	// From wrk, which reports counts and percentiles, not each latency.
	wrkN        int
	wrkP50      time.Duration
	wrkP99      time.Duration
	wrkMeanOf99 bool // a merge of wrk runs: p99 is the mean of theirs
}

func (r row) requests() int {
	if r.wrkN > 0 {
		return r.wrkN
	}
	return len(r.latencies)
}

func (r row) rps() float64 { return float64(r.requests()) / r.elapsed.Seconds() }

func (r row) qpr() float64 {
	if r.requests() == 0 {
		return 0
	}
	return float64(r.queries) / float64(r.requests())
}

// p is the nearest-rank percentile (wrk's p50 and p99 for a wrk run).
func (r row) p(q float64) time.Duration {
	if r.wrkN > 0 {
		if q == 0.50 {
			return r.wrkP50
		}
		return r.wrkP99
	}
	n := len(r.latencies)
	if n == 0 {
		return 0
	}
	i := int(q*float64(n)+0.999999) - 1
	return r.latencies[min(max(i, 0), n-1)]
}

// merge pools several runs of one stack: requests over the summed time, percentiles over
// every latency.
// Runs of wrk have no latencies to pool: requests are summed, and p50 and p99 are the
// mean of the runs'.
func merge(rs []row) row {
	var m row
	for _, r := range rs {
		m.latencies = append(m.latencies, r.latencies...)
		m.elapsed += r.elapsed
		if r.wrkN > 0 {
			m.wrkN += r.wrkN
			m.wrkP50 += r.wrkP50 / time.Duration(len(rs))
			m.wrkP99 += r.wrkP99 / time.Duration(len(rs))
			m.wrkMeanOf99 = true
		}
	}
	slices.Sort(m.latencies)
	return m
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func kb(n int64) string { return fmt.Sprintf("%.1fKB", float64(n)/1000) }

// loadTest runs every client of t in its own goroutine until d has passed. Requests in
// flight at the deadline finish (and count); none starts after it.
func loadTest(ctx context.Context, t target, d time.Duration) row {
	if t.wrk != nil {
		return t.wrk.run(ctx, t, d)
	}
	type result struct {
		lat      []time.Duration
		failures int
		firstErr error
		bytes    int64
	}
	results := make([]result, len(t.clients))
	var wg sync.WaitGroup
	var q0 int64
	if t.queries != nil {
		q0 = t.queries()
	}
	var cpu0 cpuSnapshot
	if t.cpu != nil {
		cpu0 = t.cpu.snapshot(ctx)
	}
	start := time.Now()
	deadline := start.Add(d)
	for i, hc := range t.clients {
		wg.Go(func() {
			res := result{lat: make([]time.Duration, 0, 1<<14)}
			buf := new(bytes.Buffer)
			for n := 0; ctx.Err() == nil && time.Now().Before(deadline); n++ {
				// Every answer must be a 200 with a body; one in checkEvery is also
				// decoded and checked whole. Decoding each one would load the shared CPUs
				// with the client's work in proportion to the response's size (wrk, the
				// reference client, reads bodies without parsing them).
				check := t.check
				if n%checkEvery != 0 {
					check = nonEmpty
				}
				t0 := time.Now()
				lat, err := fetch(ctx, hc, t.url, check, buf)
				if ctx.Err() != nil {
					break // interrupted: not the server's failure
				}
				if lat == 0 {
					lat = time.Since(t0) // no response at all
				}
				res.lat = append(res.lat, lat)
				res.bytes = int64(buf.Len())
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
	r := row{elapsed: time.Since(start), counted: t.queries != nil}
	if t.queries != nil {
		r.queries = t.queries() - q0
	}
	if t.cpu != nil {
		r.cpu = t.cpu.since(ctx, cpu0)
	}
	for _, res := range results {
		r.latencies = append(r.latencies, res.lat...)
		r.failures += res.failures
		r.bytes = max(r.bytes, res.bytes)
		if r.firstErr == nil {
			r.firstErr = res.firstErr
		}
	}
	slices.Sort(r.latencies)
	return r
}

// checkEvery is how often, under load, a client decodes and checks an answer whole.
const checkEvery = 20

func nonEmpty(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty body")
	}
	return nil
}

// sequential sends n requests one after the other with t's first client.
func sequential(ctx context.Context, t target, n int) row {
	r := row{counted: true}
	buf := new(bytes.Buffer)
	q0 := t.queries()
	start := time.Now()
	for range n {
		t0 := time.Now()
		lat, err := fetch(ctx, t.clients[0], t.url, t.check, buf)
		if ctx.Err() != nil {
			break
		}
		if lat == 0 {
			lat = time.Since(t0)
		}
		r.latencies = append(r.latencies, lat)
		r.bytes = int64(buf.Len())
		if err != nil {
			r.failures++
			if r.firstErr == nil {
				r.firstErr = err
			}
		}
	}
	r.elapsed = time.Since(start)
	r.queries = t.queries() - q0
	slices.Sort(r.latencies)
	return r
}

// fetch GETs u and checks the answer: status 200 and a body that check accepts. The
// latency covers sending the request and reading the whole body, not the checking; it is
// 0 when no response arrived.
func fetch(ctx context.Context, hc *http.Client, u string, check func([]byte) error, buf *bytes.Buffer) (time.Duration, error) {
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
	return lat, check(buf.Bytes())
}

// listedProject is what both stacks' lists must carry for each project.
type listedProject struct {
	ID    json.RawMessage `json:"id"`
	Owner struct {
		Email string `json:"email"`
	} `json:"owner"`
	Units []struct {
		UnitNumber string `json:"unitNumber"`
	} `json:"units"`
	TeamMembers []struct {
		User struct {
			Email string `json:"email"`
		} `json:"user"`
	} `json:"teamMembers"`
}

func checkProjects(ps []listedProject, want int) error {
	if len(ps) != want {
		return fmt.Errorf("got %d projects, want %d", len(ps), want)
	}
	for _, p := range ps {
		if p.Owner.Email == "" || len(p.Units) != unitsPer || len(p.TeamMembers) != membersPer {
			return fmt.Errorf("project %s: owner %q, %d units and %d members, want an owner, %d and %d",
				p.ID, p.Owner.Email, len(p.Units), len(p.TeamMembers), unitsPer, membersPer)
		}
		for _, m := range p.TeamMembers {
			if m.User.Email == "" {
				return fmt.Errorf("project %s: a team member without its user", p.ID)
			}
		}
	}
	return nil
}

// checkOurs accepts our paging envelope holding want projects, each complete, and units
// with their floors.
func checkOurs(want int) func([]byte) error {
	return func(b []byte) error {
		var body struct {
			Projects []listedProject `json:"projects"`
			Total    int             `json:"total"`
		}
		if err := json.Unmarshal(b, &body); err != nil {
			return fmt.Errorf("decode body: %w", err)
		}
		if body.Total != want {
			return fmt.Errorf("total %d, want %d", body.Total, want)
		}
		return checkProjects(body.Projects, want)
	}
}

// checkPeer accepts the seed stack's bare array of projects.
func checkPeer(b []byte) error {
	var ps []listedProject
	if err := json.Unmarshal(b, &ps); err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	return checkProjects(ps, bigProjects)
}

// startPeer starts the seed stack with run.sh (it installs, seeds the same data set in its
// own database on our PostgreSQL, builds and serves) and returns its target and how to stop
// it. No run.sh in dir: nil, no error. SEEDPEER_URL: that server, neither started nor stopped.
func startPeer(ctx context.Context, dir, admin string, adminDB *sql.DB, getenv func(string) string, clients int, stderr io.Writer) (*target, func(), error) {
	nop := func() {}
	u := getenv("SEEDPEER_URL")
	stop := nop
	if u == "" {
		if dir == "" {
			return nil, nop, nil
		}
		script := filepath.Join(dir, "run.sh")
		if _, err := os.Stat(script); err != nil {
			return nil, nop, nil
		}
		fmt.Fprintf(stderr, "loadgen: starting the seed stack with %s (installs and builds: minutes the first time)\n", script)
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, script, "start", admin)
		cmd.Stdout, cmd.Stderr = &out, stderr
		if err := cmd.Run(); err != nil {
			return nil, nop, fmt.Errorf("seed stack: %s start: %w", script, err)
		}
		lines := strings.Fields(out.String())
		if len(lines) == 0 {
			return nil, nop, fmt.Errorf("seed stack: %s start printed no URL", script)
		}
		u = lines[len(lines)-1]
		stop = func() { _ = exec.Command(script, "stop").Run() }
	}
	tr := newTransport(clients)
	t := &target{name: "seed stack", url: u, check: checkPeer, clients: make([]*http.Client, clients)}
	if adminDB != nil {
		work := getenv("SEEDPEER_DIR")
		if work == "" {
			work = filepath.Join(os.TempDir(), "14build-seedpeer") // run.sh's default
		}
		t.cpu = &cpuMeter{db: adminDB, dbName: "seedpeer", app: func() []int { return processTree(pidFile(filepath.Join(work, "server.pid"))) }}
	}
	for i := range t.clients {
		t.clients[i] = &http.Client{Transport: tr, Timeout: 30 * time.Second}
		if _, err := fetch(ctx, t.clients[i], u, checkPeer, new(bytes.Buffer)); err != nil {
			stop()
			return nil, nop, fmt.Errorf("seed stack warm-up (%s): %w", u, err)
		}
	}
	return t, stop, nil
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
				Address: fmt.Sprintf("%d Load Street, Wellington", i+1), Status: project.Statuses[i%len(project.Statuses)],
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

// cpuMeter measures the CPU time spent for a stack: by the PostgreSQL backends connected to
// its database (read from /proc, since they run on this machine) and by its application's
// processes. Elsewhere than Linux it measures nothing.
type cpuMeter struct {
	db     *sql.DB // any connection to the server, to list the backends
	dbName string
	app    func() []int // the application's process ids
}

type cpuSnapshot struct {
	db, app map[int]time.Duration
}

type cpuUse struct {
	measured bool
	db, app  time.Duration
}

func (m *cpuMeter) snapshot(ctx context.Context) cpuSnapshot {
	s := cpuSnapshot{db: map[int]time.Duration{}, app: map[int]time.Duration{}}
	rows, err := m.db.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, m.dbName)
	if err == nil {
		for rows.Next() {
			var pid int
			if rows.Scan(&pid) == nil {
				if d, ok := procCPU(pid); ok {
					s.db[pid] = d
				}
			}
		}
		rows.Close()
	}
	for _, pid := range m.app() {
		if d, ok := procCPU(pid); ok {
			s.app[pid] = d
		}
	}
	return s
}

// since is the CPU used from s0 to now. A backend that started meanwhile counts from zero;
// one that ended meanwhile is lost (the pools keep theirs open).
func (m *cpuMeter) since(ctx context.Context, s0 cpuSnapshot) cpuUse {
	s1 := m.snapshot(ctx)
	u := cpuUse{measured: len(s1.db) > 0 || len(s1.app) > 0}
	for pid, d := range s1.db {
		u.db += d - s0.db[pid]
	}
	for pid, d := range s1.app {
		u.app += d - s0.app[pid]
	}
	return u
}

// clockTick is Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times.
const clockTick = 10 * time.Millisecond

// procCPU reads a process's user and system CPU time from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, bool) {
	f, ok := procStat(pid)
	if !ok || len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * clockTick, true
}

// procStat returns the fields of /proc/<pid>/stat after the command name: f[0] is the
// state, f[1] the parent's pid, f[11] and f[12] utime and stime.
func procStat(pid int) ([]string, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(string(b[i+1:])), true
}

func pidFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// processTree is pid and its descendants (Next.js serves from child processes).
func processTree(pid int) []int {
	if pid <= 0 {
		return nil
	}
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f, ok := procStat(p); ok && len(f) > 1 {
			if pp, err := strconv.Atoi(f[1]); err == nil {
				children[pp] = append(children[pp], p)
			}
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// dbName is the database a connection URL names.
func dbName(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(p.Path, "/")
}

// wrkClient runs wrk against a target: a C client in its own process, whose CPU is
// measured apart from the servers'.
type wrkClient struct {
	path   string
	header []string // extra request headers, "Name: value"
}

// run loads t with wrk for d (as many connections as t has clients, two threads), then
// checks one answer whole with t's first Go client: wrk reads bodies without parsing them.
func (w *wrkClient) run(ctx context.Context, t target, d time.Duration) row {
	args := []string{"-t2", fmt.Sprintf("-c%d", len(t.clients)), fmt.Sprintf("-d%ds", max(1, int(d.Round(time.Second).Seconds()))), // wrk takes whole units
		"--timeout", "30s", "--latency", "-H", "Accept: application/json"}
	for _, h := range w.header {
		args = append(args, "-H", h)
	}
	args = append(args, t.url)
	var cpu0 cpuSnapshot
	if t.cpu != nil {
		cpu0 = t.cpu.snapshot(ctx)
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, w.path, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	// Not counted: the requests wrk leaves in flight at the end ran their queries but are
	// not in its count (the sequential checks count queries per request exactly).
	r := row{elapsed: time.Since(start)}
	if t.cpu != nil {
		r.cpu = t.cpu.since(ctx, cpu0)
	}
	if cmd.ProcessState != nil {
		r.clientCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err == nil {
		err = parseWrk(out.String(), &r)
	}
	if err != nil {
		r.failures++
		r.firstErr = fmt.Errorf("wrk: %w: %.500s", err, out.String())
		return r
	}
	buf := new(bytes.Buffer)
	if _, err := fetch(ctx, t.clients[0], t.url, t.check, buf); err != nil {
		r.failures++
		r.firstErr = fmt.Errorf("answer after the run: %w", err)
	}
	r.bytes = int64(buf.Len())
	return r
}

// parseWrk reads wrk --latency's report: "N requests in 10.01s", the duration, the 50% and
// 99% lines, and the failures ("Non-2xx or 3xx responses", "Socket errors").
func parseWrk(out string, r *row) error {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.Atoi(f[0])
			if err != nil {
				return fmt.Errorf("requests %q: %w", f[0], err)
			}
			el, err := time.ParseDuration(strings.TrimSuffix(f[3], ","))
			if err != nil {
				return fmt.Errorf("duration %q: %w", f[3], err)
			}
			r.wrkN, r.elapsed = n, el
		case len(f) == 2 && (f[0] == "50%" || f[0] == "99%"):
			d, err := time.ParseDuration(f[1])
			if err != nil {
				return fmt.Errorf("percentile %q: %w", line, err)
			}
			if f[0] == "50%" {
				r.wrkP50 = d
			} else {
				r.wrkP99 = d
			}
		case strings.HasPrefix(strings.TrimSpace(line), "Non-2xx or 3xx responses:"):
			n, _ := strconv.Atoi(f[len(f)-1])
			r.failures += n
			if n > 0 && r.firstErr == nil {
				r.firstErr = fmt.Errorf("%d answers were not 2xx or 3xx", n)
			}
		case strings.HasPrefix(strings.TrimSpace(line), "Socket errors:"):
			// "Socket errors: connect 0, read 0, write 0, timeout 0"
			for i := 2; i+1 < len(f); i += 2 {
				n, _ := strconv.Atoi(strings.TrimSuffix(f[i+1], ","))
				r.failures += n
				if n > 0 && r.firstErr == nil {
					r.firstErr = errors.New(strings.TrimSpace(line))
				}
			}
		}
	}
	if r.wrkN == 0 || r.wrkP99 == 0 {
		return errors.New("no requests or no latency distribution in its report")
	}
	return nil
}

// waitQuiet returns once count has not moved for half a second (at most 30 s).
func waitQuiet(ctx context.Context, count func() int64) {
	last := count()
	for range 60 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
		n := count()
		if n == last {
			return
		}
		last = n
	}
}
