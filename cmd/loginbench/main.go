// Command loginbench is the login burst benchmark that `make bench` runs. It creates its
// own database on the PostgreSQL server at TEST_DATABASE_URL (or the project's private
// cluster), serves the real application on 127.0.0.1 with production argon2id cost, and
// fires bursts of concurrent logins:
//
//   - one account: 40 concurrent wrong passwords for one account. The failed-attempt
//     limit reserves its slots atomically, so only the limit (5) reach argon2id.
//   - 40 accounts: 40 concurrent correct logins for 40 different accounts, which the
//     per-account limit does not stop: here only the hashing slots bound the memory.
//
// Each burst runs twice in the same process: with the hashing limit the server uses
// (HASH_CONCURRENCY, default the number of CPUs) and with it effectively off (as many
// slots as requests). It prints how many attempts reached argon2id, the answers, and the
// process's peak RSS during the burst (VmHWM from /proc/self/status, reset between bursts
// through /proc/self/clear_refs). The database is dropped at the end.
//
// Usage: loginbench [-n burst size] [-slots hashing slots of the bounded run]
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
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
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
	"github.com/14build/14build/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loginbench:", err)
		os.Exit(1)
	}
}

const password = "bench-password-1"

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("loginbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	burst := fs.Int("n", 40, "concurrent logins per burst")
	slots := fs.Int("slots", runtime.NumCPU(), "hashing slots of the bounded run (the server's default: the number of CPUs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *burst < 1 || *slots < 1 {
		return errors.New("-n and -slots must be positive")
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "loginbench: "+format+"\n", a...) }

	st, _, done, err := testdb.ScratchStore(ctx, getenv, "loginbench")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, done()) }()

	// Production cost: what a burst costs in memory is the point.
	params := argon2id.DefaultParams
	progress("argon2id: %d MiB, %d iteration(s), parallelism %d per hash", params.Memory/1024, params.Iterations, params.Parallelism)
	hash, err := argon2id.CreateHash(password, params)
	if err != nil {
		return err
	}
	// One hash for every account (same password): seeding stays quick.
	progress("seeding %d accounts", *burst+1)
	var emails []string
	for i := range *burst + 1 {
		email := "bench" + strconv.Itoa(i) + "@example.com"
		if _, err := st.CreateUser(ctx, store.NewUser{Name: "Bench " + strconv.Itoa(i), Email: email, PasswordHash: hash,
			Role: authz.RoleOwner, Entity: "Bench Co"}); err != nil {
			return err
		}
		emails = append(emails, email)
	}

	type result struct {
		scenario, limit  string
		checked          int64
		codes            map[int]int
		peakMiB, baseMiB float64
		took             time.Duration
	}
	var results []result
	resettable := resetPeak() == nil
	for _, sc := range []struct {
		name   string
		logins func(i int) (email, pw string)
	}{
		{"one account, wrong password", func(int) (string, string) { return emails[0], "wrong password" }},
		{fmt.Sprintf("%d accounts, right password", *burst), func(i int) (string, string) { return emails[i+1], password }},
	} {
		for _, conc := range []int{*slots, *burst} {
			label := fmt.Sprintf("%d slots", conc)
			if conc == *burst {
				label += " (limit off)"
			}
			progress("%s, %s", sc.name, label)
			// Each run gets a fresh server (fresh attempt counters); the address limit is
			// lifted so only the account limit and the hashing slots act.
			h := handlers.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), handlers.Config{
				Argon2: params, LoginLimitIP: 1 << 20, HashConcurrency: conc, HashWait: 2 * time.Second})
			debug.FreeOSMemory()
			if err := resetPeak(); err != nil && resettable {
				return err
			}
			base := rssMiB("VmRSS")
			codes, took, err := fire(ctx, h, *burst, sc.logins)
			if err != nil {
				return err
			}
			results = append(results, result{scenario: sc.name, limit: label, checked: h.PasswordChecks(), codes: codes,
				peakMiB: rssMiB("VmHWM"), baseMiB: base, took: took})
		}
	}

	fmt.Fprintf(stdout, "\nLogin bursts: %d concurrent POST /api/auth/login, argon2id %d MiB per hash, %d CPUs\n",
		*burst, params.Memory/1024, runtime.NumCPU())
	if !resettable {
		fmt.Fprintln(stdout, "(this kernel cannot reset the peak: each row's peak includes the rows before it)")
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "burst\thashing\treached argon2\t200\t401\t429\tother\tpeak RSS\tRSS before\ttook\t")
	for _, r := range results {
		other := 0
		for c, n := range r.codes {
			if c != 200 && c != 401 && c != 429 {
				other += n
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.0f MiB\t%.0f MiB\t%s\t\n", r.scenario, r.limit, r.checked,
			r.codes[200], r.codes[401], r.codes[429], other, r.peakMiB, r.baseMiB, r.took.Round(time.Millisecond))
	}
	return tw.Flush()
}

// fire serves h on loopback and sends n logins at once.
func fire(ctx context.Context, h *handlers.Handlers, n int, login func(i int) (string, string)) (map[int]int, time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, 0, err
	}
	srv := &http.Server{Handler: h.Echo(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: n}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	url := "http://" + ln.Addr().String() + "/api/auth/login"

	var mu sync.Mutex
	codes := map[int]int{}
	var errs []error
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email, pw := login(i)
			body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
			<-start
			req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			res, err := hc.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			codes[res.StatusCode]++
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	return codes, time.Since(t0), errors.Join(errs...)
}

// resetPeak resets the kernel's peak RSS (VmHWM) for this process.
func resetPeak() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// rssMiB reads a memory figure (VmHWM, VmRSS) from /proc/self/status, in MiB.
func rssMiB(key string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
