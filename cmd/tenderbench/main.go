// Command tenderbench measures the tender loop under load, through the real server's
// handlers on loopback, on a scratch database:
//
//  1. submit: N bidders (500) submit a bid of L lines (500) on one tender at the same
//     instant, each with POST /api/tenders/{id}/bids {"rates":[…],"submit":true}. None may
//     be lost (N submitted bids in the database, N "bid-submitted" entries in a ledger that
//     verifies) and none may get a 5xx; it prints the status codes and the p50/p99/max
//     latency.
//
//  2. leveling: GET /tenders/{id}/leveling of a closed tender of B bids (20) × I items
//     (5,000), timed over several requests, with the SQL statements each request runs
//     (the store's counter); the same page of a small tender (3 bids × 50 items) must run
//     as many, or the count is not constant.
//
// Usage:
//
//	TEST_DATABASE_URL=postgres://… go run ./cmd/tenderbench [-bidders 500 -lines 500 -bids 20 -items 5000]
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
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/handlers"
	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tenderbench:", err)
		os.Exit(1)
	}
}

const password = "bench-password-1"

// cheap keeps seeding and the bidders' logins quick: the logins are set-up, not measured.
var cheap = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

type bench struct {
	st       *store.Store
	base     string
	hash     string
	category int64
	progress func(string, ...any)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("tenderbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bidders := fs.Int("bidders", 500, "bidders submitting at once")
	lines := fs.Int("lines", 500, "lines of the tender they price")
	bids := fs.Int("bids", 20, "bids on the leveled tender")
	items := fs.Int("items", 5000, "items of the leveled tender")
	reps := fs.Int("reps", 5, "timed requests of the leveling page")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); err = errors.Join(err, f.Close()) }()
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "tenderbench: "+format+"\n", a...) }

	st, _, done, err := testdb.ScratchStore(ctx, getenv, "tenderbench")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, done()) }()
	hash, err := argon2id.CreateHash(password, cheap)
	if err != nil {
		return err
	}
	cats, err := st.Categories(ctx)
	if err != nil || len(cats) == 0 {
		return fmt.Errorf("categories: %v", err)
	}

	h := handlers.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), handlers.Config{Argon2: cheap, LoginLimitIP: 1 << 20})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h.Echo(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	b := &bench{st: st, base: "http://" + ln.Addr().String(), hash: hash, category: cats[0].ID, progress: progress}

	sub, err := b.submitBench(ctx, *bidders, *lines)
	if err != nil {
		return err
	}
	big, err := b.levelingBench(ctx, "big", *bids, *items, *reps)
	if err != nil {
		return err
	}
	small, err := b.levelingBench(ctx, "small", 3, 50, *reps)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "\nTenders (%d CPUs, store pool of 25 connections)\n", runtime.NumCPU())
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%d bidders submit a %d-line bid at once\tsubmitted %d/%d\tcodes %v\tp50 %s\tp99 %s\tmax %s\twall %s\tledger ok %v\t\n",
		*bidders, *lines, sub.submitted, *bidders, sub.codes, ms(sub.p50), ms(sub.p99), ms(sub.max), ms(sub.wall), sub.ledgerOK)
	for _, l := range []levelResult{big, small} {
		fmt.Fprintf(tw, "leveling page, %d bids × %d items\t%s per request (min %s)\t%d SQL statements per request\t%s of HTML\t\n",
			l.bids, l.items, ms(l.mean), ms(l.min), l.queries, mib(l.bytes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var fails []string
	if sub.submitted != *bidders {
		fails = append(fails, fmt.Sprintf("%d bids lost", *bidders-sub.submitted))
	}
	for c, n := range sub.codes {
		if c >= 500 {
			fails = append(fails, fmt.Sprintf("%d responses %d", n, c))
		}
	}
	if !sub.ledgerOK {
		fails = append(fails, "the ledger does not verify")
	}
	if big.queries != small.queries {
		fails = append(fails, fmt.Sprintf("leveling ran %d statements for %d×%d, %d for %d×%d", big.queries, big.bids, big.items,
			small.queries, small.bids, small.items))
	}
	if len(fails) > 0 {
		return fmt.Errorf("FAILED: %v", fails)
	}
	return nil
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

func mib(n int) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 2, 64) + " MiB" }

// tender makes an owner, a project, an issued SOQ of n measured lines and an open tender
// on it for the bench's trade, closing in a day.
func (b *bench) tender(ctx context.Context, name string, n int) (ownerEmail, projectID, tenderID string, err error) {
	ownerEmail = "owner-" + name + "@bench.test"
	owner, err := b.st.CreateUser(ctx, store.NewUser{Name: "Bench Owner", Email: ownerEmail, PasswordHash: b.hash,
		Role: authz.RoleOwner, Entity: "Bench Homes " + name})
	if err != nil {
		return "", "", "", err
	}
	p, err := b.st.CreateProject(ctx, owner.ID, store.ProjectInput{Name: "Bench " + name, Code: "B-" + name, Status: "tendering",
		Currency: "usd", TimeZone: "UTC"})
	if err != nil {
		return "", "", "", err
	}
	secs := make([]store.NewSection, 10)
	for i := range n {
		s := &secs[i*10/n]
		s.Code = string(rune('A' + i*10/n))
		s.Title = "Section " + s.Code
		s.Items = append(s.Items, store.NewItem{Item: soq.Item{Reference: fmt.Sprintf("%s%d", s.Code, i+1),
			Description: fmt.Sprintf("Item %d: supply and fix, including all labour, plant and materials", i+1),
			Unit:        "m2", Quantity: soq.Quantity(1000 + i%97*250), Rate: int64(1500 + i%89*35), Type: soq.Measured}})
	}
	secs = slices.DeleteFunc(secs, func(s store.NewSection) bool { return len(s.Items) == 0 })
	q, err := b.st.CreateSOQ(ctx, p.ID, owner.ID, store.NewSOQ{Title: "Bench SOQ", Currency: "usd", Status: soq.Issued, Sections: secs})
	if err != nil {
		return "", "", "", err
	}
	id, err := b.st.CreateTender(ctx, p.ID, owner.ID, store.NewTender{SOQID: q, Title: "Bench package " + name,
		ClosesAt: time.Now().Add(24 * time.Hour), Sealed: true, CategoryIDs: []int64{b.category}})
	if err != nil {
		return "", "", "", err
	}
	return ownerEmail, p.ID, id, b.st.OpenTender(ctx, id, owner.ID, time.Now())
}

// bidders creates n bidders of the bench's trade.
func (b *bench) bidders(ctx context.Context, prefix string, n int) ([]store.User, error) {
	out := make([]store.User, n)
	for i := range out {
		u, err := b.st.CreateUser(ctx, store.NewUser{Name: "Bidder " + strconv.Itoa(i), Email: fmt.Sprintf("%s%d@bench.test", prefix, i),
			PasswordHash: b.hash, Role: authz.RoleBidder, Entity: fmt.Sprintf("Bench Trades %s%d", prefix, i), CategoryID: b.category})
		if err != nil {
			return nil, err
		}
		out[i] = u
	}
	return out, nil
}

// login signs email in and returns a client holding its session.
func (b *bench) login(ctx context.Context, email string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 5 * time.Minute, Transport: transport}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, _ := http.NewRequestWithContext(ctx, "POST", b.base+"/api/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login %s: %d", email, res.StatusCode)
	}
	return hc, nil
}

// transport is shared by every client: enough idle connections that the burst's
// requests are not waiting on dials.
var transport = &http.Transport{Proxy: nil, MaxIdleConns: 2000, MaxIdleConnsPerHost: 2000}

type submitResult struct {
	submitted          int
	codes              map[int]int
	p50, p99, max      time.Duration
	wall               time.Duration
	ledgerOK           bool
	ledgerBidSubmitted int
}

func (b *bench) submitBench(ctx context.Context, n, lines int) (submitResult, error) {
	var r submitResult
	b.progress("submit: a tender of %d lines, %d bidders", lines, n)
	_, projectID, id, err := b.tender(ctx, "submit", lines)
	if err != nil {
		return r, err
	}
	secs, err := b.st.TenderCopy(ctx, id)
	if err != nil {
		return r, err
	}
	us, err := b.bidders(ctx, "s", n)
	if err != nil {
		return r, err
	}
	b.progress("submit: %d logins", n)
	clients := make([]*http.Client, n)
	if err := parallel(16, n, func(i int) (err error) { clients[i], err = b.login(ctx, us[i].Email); return err }); err != nil {
		return r, err
	}
	bodies := make([][]byte, n)
	for i := range n {
		var rates []map[string]any
		for _, s := range secs {
			for _, it := range s.Items {
				rates = append(rates, map[string]any{"itemId": it.ID, "rate": 1000 + (i*7919+len(rates)*31)%50000})
			}
		}
		bodies[i], _ = json.Marshal(map[string]any{"rates": rates, "qualifications": "Bench bid " + strconv.Itoa(i), "submit": true})
	}
	b.progress("submit: %d bids of %d lines (%s each) at once", n, lines, mib(len(bodies[0])))
	url := b.base + "/api/tenders/" + id + "/bids"
	lat := make([]time.Duration, n)
	codes := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(bodies[i]))
			req.Header.Set("Content-Type", "application/json")
			<-start
			t0 := time.Now()
			res, err := clients[i].Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			lat[i], codes[i] = time.Since(t0), res.StatusCode
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	r.wall = time.Since(t0)
	if err := errors.Join(errs...); err != nil {
		return r, err
	}
	r.codes = map[int]int{}
	for _, c := range codes {
		r.codes[c]++
	}
	slices.Sort(lat)
	r.p50, r.p99, r.max = lat[n/2], lat[min(n-1, n*99/100)], lat[n-1]
	if err := b.st.DB().GetContext(ctx, &r.submitted, `SELECT count(*) FROM bids WHERE tender_id = $1 AND status = 'submitted' AND revision = 1`, id); err != nil {
		return r, err
	}
	if err := b.st.DB().GetContext(ctx, &r.ledgerBidSubmitted, `SELECT count(*) FROM activity WHERE tender_id = $1 AND kind = $2`, id, string(tender.KindBidSubmitted)); err != nil {
		return r, err
	}
	check, err := b.st.VerifyActivity(ctx, projectID)
	if err != nil {
		return r, err
	}
	r.ledgerOK = check.OK && r.ledgerBidSubmitted == n
	return r, nil
}

type levelResult struct {
	bids, items int
	mean, min   time.Duration
	queries     int64
	bytes       int
}

// levelingBench makes a closed tender of items lines with bids submitted bids (through
// the store: the set-up is not measured), then times its leveling page for its owner.
func (b *bench) levelingBench(ctx context.Context, name string, bids, items, reps int) (levelResult, error) {
	r := levelResult{bids: bids, items: items}
	b.progress("leveling %s: a tender of %d items, %d bids", name, items, bids)
	owner, _, id, err := b.tender(ctx, name, items)
	if err != nil {
		return r, err
	}
	secs, err := b.st.TenderCopy(ctx, id)
	if err != nil {
		return r, err
	}
	us, err := b.bidders(ctx, "l"+name, bids)
	if err != nil {
		return r, err
	}
	if err := parallel(8, bids, func(i int) error {
		var in store.BidInput
		k := 0
		for _, s := range secs {
			for _, it := range s.Items {
				k++
				in.Rates = append(in.Rates, tender.Rate{ItemID: it.ID, Rate: int64(1000 + (i*7919+k*31)%50000)})
			}
		}
		_, err := b.st.SubmitBid(ctx, id, us[i].ID, us[i].EntityID, in, time.Time{})
		return err
	}); err != nil {
		return r, err
	}
	if err := b.st.CloseTender(ctx, id, "", time.Now()); err != nil {
		return r, err
	}
	hc, err := b.login(ctx, owner)
	if err != nil {
		return r, err
	}
	get := func() (time.Duration, int64, int, error) {
		q0, t0 := b.st.QueryCount(), time.Now()
		res, err := hc.Get(b.base + "/tenders/" + id + "/leveling")
		if err != nil {
			return 0, 0, 0, err
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		took, q := time.Since(t0), b.st.QueryCount()-q0
		if res.StatusCode != http.StatusOK {
			return 0, 0, 0, fmt.Errorf("leveling %s: %d %.300s", name, res.StatusCode, body)
		}
		return took, q, len(body), nil
	}
	if _, _, _, err := get(); err != nil { // warm: the statement cache, the template
		return r, err
	}
	var total time.Duration
	for i := range reps {
		took, q, n, err := get()
		if err != nil {
			return r, err
		}
		total += took
		if i == 0 || took < r.min {
			r.min = took
		}
		r.queries, r.bytes = q, n
	}
	r.mean = total / time.Duration(reps)
	return r, nil
}

// parallel runs f(0…n-1) on k goroutines and returns the first error.
func parallel(k, n int, f func(i int) error) error {
	var mu sync.Mutex
	var first error
	next := 0
	var wg sync.WaitGroup
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}
