// Command ssebench measures live updates (issue 12): N server-sent-event subscribers (10,000)
// held by this process, E events (100) published, the delivery latency of each event to
// each subscriber (from just before the publishing request to the subscriber reading it),
// and each server's peak RSS (VmHWM) and goroutines. The servers are child processes of
// this one (ssebench -serve: an events.Hub and an events.Listener on a scratch database,
// nothing of the app's routes), because the hard limit of open files here is 20,000 per
// process: 10,000 clients and their 10,000 server ends cannot share one.
//
// Rows:
//   - one instance, Hub.Publish directly (the hub alone: encode once, fan out);
//   - one instance, through PostgreSQL: the event is committed with events.Emit, NOTIFY
//     reaches the instance's Listener, which loads the row, routes it and publishes (the
//     app's real path, even with a single instance);
//   - two instances, N/2 subscribers on each, every event committed through instance A:
//     the subscribers on B get it by the same hop through PostgreSQL.
//
// Usage:
//
//	TEST_DATABASE_URL=postgres://… go run ./cmd/ssebench [-clients 10000 -events 100 -intervals 250ms,100ms]
//
// Each row runs at each interval between events. On this 2-core machine one event's
// fan-out to 10,000 loopback connections costs about 150 ms of both cores (a TCP write on
// the server and a read here per subscriber, most of it in the kernel), so at 4 events a
// second every event is out before the next, and at 10 a second the machine is saturated
// and events queue (batched into fewer writes): the second figure is a throughput limit,
// not the hub's latency.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	_ "github.com/lib/pq"
	"github.com/r3labs/sse/v2"

	"github.com/14build/14build/events"
	"github.com/14build/14build/internal/testdb"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ssebench:", err)
		os.Exit(1)
	}
}

const stream = "bench"

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("ssebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serveMode := fs.Bool("serve", false, "run as a server (a child of the bench)")
	dbURL := fs.String("db", "", "with -serve: the database")
	clients := fs.Int("clients", 10000, "subscribers")
	nEvents := fs.Int("events", 100, "events published per row")
	intervals := fs.String("intervals", "250ms,100ms", "times between two events, one set of rows each")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := raiseNoFile(); err != nil {
		return err
	}
	if *serveMode {
		return serve(ctx, *dbURL, stdout, stderr)
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "ssebench: "+format+"\n", a...) }
	if p := getenv("SSEBENCH_CPUPROFILE"); p != "" {
		f, err := os.Create(p + ".clients")
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	st, url, done, err := testdb.ScratchStore(ctx, getenv, "ssebench")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, done()) }()
	st.Close() // the servers have their own connections

	var every []time.Duration
	for v := range strings.SplitSeq(*intervals, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d <= 0 {
			return fmt.Errorf("-intervals: %q is not a duration", v)
		}
		every = append(every, d)
	}
	b := &bench{url: url, clients: *clients, events: *nEvents, progress: progress, stderr: stderr}
	rows := []struct {
		name      string
		instances int
		path      string
	}{
		{"1 instance, Hub.Publish direct", 1, "/publish"},
		{"1 instance, through PostgreSQL", 1, "/emit"},
		{"2 instances, through PostgreSQL", 2, "/emit"},
	}
	var results []result
	for _, d := range every {
		b.interval = d
		for _, r := range rows {
			name := fmt.Sprintf("every %s: %s", d, r.name)
			res, err := b.row(ctx, name, r.instances, r.path)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			results = append(results, res...)
		}
	}

	fmt.Fprintf(stdout, "\nLive updates over SSE (%d CPUs; %d subscribers in this process, servers in child processes; %d events per row)\n",
		runtime.NumCPU(), *clients, *nEvents)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "row\tsubscribers\tdelivered\tp50\tp99\tmax\twithin 250 ms\tserver RSS (VmHWM)\tserver goroutines\t\n")
	var fails []string
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%.2f%%\t%s\t%s\t%s\t%.2f%%\t%s\t%d\t\n", r.name, r.subs, r.delivered*100, ms(r.p50), ms(r.p99), ms(r.max),
			r.within*100, mib(r.rss), r.goroutines)
		if r.delivered < 1 {
			fails = append(fails, fmt.Sprintf("%s: %.2f%% delivered", r.name, r.delivered*100))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if l := loadAvg(); l > float64(runtime.NumCPU())+1 { // this run alone keeps it near the CPU count
		fmt.Fprintf(stdout, "NOTE: the machine's load average is %.1f: other processes compete for the CPUs, so the latencies are inflated\n", l)
	}
	fmt.Fprintf(stdout, "aim: 99%% delivered within 250 ms on one instance, server RSS under 300 MB; this process (the clients) peaked at %s\n", mib(vmHWM(os.Getpid())))
	if len(fails) > 0 {
		return fmt.Errorf("FAILED: %v", fails)
	}
	return nil
}

type bench struct {
	url      string
	clients  int
	events   int
	interval time.Duration
	progress func(string, ...any)
	stderr   io.Writer
}

type result struct {
	name              string
	subs              int
	delivered, within float64
	p50, p99, max     time.Duration
	rss               int64
	goroutines        int
}

// server is a child process serving SSE.
type server struct {
	cmd  *exec.Cmd
	addr string
}

func (b *bench) start(ctx context.Context) (*server, error) {
	cmd := exec.CommandContext(ctx, os.Args[0], "-serve", "-db", b.url)
	cmd.Stderr = b.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("server did not start: %w", err)
	}
	return &server{cmd: cmd, addr: strings.TrimSpace(strings.TrimPrefix(line, "listening "))}, nil
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

type stats struct {
	Goroutines  int    `json:"goroutines"`
	Subscribers int    `json:"subscribers"`
	HeapInuse   uint64 `json:"heapInuse"`
	StackInuse  uint64 `json:"stackInuse"`
	Sys         uint64 `json:"sys"`
}

func (s *server) stats() (stats, error) {
	var st stats
	resp, err := http.Get("http://" + s.addr + "/stats")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// row starts the instances, spreads the subscribers over them, publishes through the first
// and measures.
func (b *bench) row(ctx context.Context, name string, instances int, path string) ([]result, error) {
	b.progress("%s: starting %d server(s)", name, instances)
	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for range instances {
		s, err := b.start(ctx)
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}
	// lat[c*events+seq] is client c's latency for event seq, -1 until received.
	lat := make([]int64, b.clients*b.events)
	for i := range lat {
		lat[i] = -1
	}
	var received atomic.Int64
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	b.progress("%s: connecting %d subscribers", name, b.clients)
	sem := make(chan struct{}, 64)
	var connErr atomic.Value
	var connected sync.WaitGroup
	for c := range b.clients {
		s := servers[c%len(servers)]
		sem <- struct{}{}
		connected.Add(1)
		wg.Go(func() {
			body, err := subscribe(cctx, s.addr)
			<-sem
			connected.Done()
			if err != nil {
				connErr.CompareAndSwap(nil, err)
				return
			}
			defer body.Close()
			read(body, lat[c*b.events:(c+1)*b.events], &received)
		})
	}
	connected.Wait()
	if err, _ := connErr.Load().(error); err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		n := 0
		for _, s := range servers {
			st, err := s.stats()
			if err != nil {
				return nil, err
			}
			n += st.Subscribers
		}
		if n == b.clients {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d subscribers connected", n, b.clients)
		}
	}

	b.progress("%s: publishing %d events, one every %s", name, b.events, b.interval)
	pub := &http.Client{Timeout: 10 * time.Second}
	tick := time.NewTicker(b.interval)
	for seq := range b.events {
		t0 := time.Now().UnixNano()
		resp, err := pub.Post(fmt.Sprintf("http://%s%s?seq=%d&t0=%d", servers[0].addr, path, seq, t0), "text/plain", nil)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			return nil, fmt.Errorf("publish: %s", resp.Status)
		}
		<-tick.C
	}
	tick.Stop()
	want := int64(b.clients * b.events)
	for deadline := time.Now().Add(10 * time.Second); received.Load() < want && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	var out []result
	for i, s := range servers {
		st, err := s.stats()
		if err != nil {
			return nil, err
		}
		r := result{name: name, goroutines: st.Goroutines, rss: vmHWM(s.cmd.Process.Pid)}
		b.progress("%s: server %c: heap in use %s, stacks %s, from the OS %s", name, 'A'+i, mib(int64(st.HeapInuse)), mib(int64(st.StackInuse)), mib(int64(st.Sys)))
		if instances > 1 {
			r.name = fmt.Sprintf("%s: subscribers on %c", name, 'A'+i)
			if i == 0 {
				r.name += " (publishes)"
			}
		}
		var ls []int64
		for c := i; c < b.clients; c += len(servers) {
			r.subs++
			for _, l := range lat[c*b.events : (c+1)*b.events] {
				if l >= 0 {
					ls = append(ls, l)
				}
			}
		}
		slices.Sort(ls)
		total := r.subs * b.events
		r.delivered = float64(len(ls)) / float64(total)
		if len(ls) > 0 {
			r.p50 = time.Duration(ls[len(ls)/2])
			r.p99 = time.Duration(ls[min(len(ls)-1, len(ls)*99/100)])
			r.max = time.Duration(ls[len(ls)-1])
			n, _ := slices.BinarySearch(ls, int64(250*time.Millisecond)+1)
			r.within = float64(n) / float64(total)
		}
		out = append(out, r)
	}
	return out, nil
}

// subscribe opens one SSE connection by hand (one goroutine per client, no transport
// goroutines: 10,000 of them must fit in this process) and returns its body.
func subscribe(ctx context.Context, addr string) (io.ReadCloser, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { conn.Close() })
	if _, err := fmt.Fprintf(conn, "GET /events?stream=%s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", stream, addr); err != nil {
		conn.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 1024), nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, fmt.Errorf("subscribe: %s", resp.Status)
	}
	return struct {
		io.Reader
		io.Closer
	}{resp.Body, conn}, nil
}

// read records each event's latency: its data is "seq t0" (t0 in Unix nanoseconds).
func read(body io.Reader, lat []int64, received *atomic.Int64) {
	r := sse.NewEventStreamReader(body, 4096)
	for {
		ev, err := r.ReadEvent()
		if err != nil {
			return
		}
		now := time.Now().UnixNano()
		i := bytes.Index(ev, []byte("\ndata: "))
		if i < 0 {
			continue
		}
		seqS, t0S, ok := strings.Cut(string(ev[i+7:]), " ")
		seq, err1 := strconv.Atoi(seqS)
		t0, err2 := strconv.ParseInt(strings.TrimSpace(t0S), 10, 64)
		if !ok || err1 != nil || err2 != nil || seq < 0 || seq >= len(lat) {
			continue
		}
		if lat[seq] < 0 {
			lat[seq] = now - t0
			received.Add(1)
		}
	}
}

// serve is the child: a Hub and a Listener on db, GET /events, POST /publish (straight to
// the hub), POST /emit (events.Emit in a transaction), GET /stats.
func serve(ctx context.Context, dbURL string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// SSEBENCH_CPUPROFILE=prefix writes each server's CPU profile to prefix.<pid>.
	if p := os.Getenv("SSEBENCH_CPUPROFILE"); p != "" {
		f, err := os.Create(fmt.Sprintf("%s.%d", p, os.Getpid()))
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	hub := events.NewHub(events.HubConfig{})
	route := func(_ context.Context, c events.Change) ([]events.Message, error) {
		var d struct{ Seq, T0 int64 }
		if err := json.Unmarshal(c.Data, &d); err != nil {
			return nil, err
		}
		return []events.Message{{ID: c.ID, Stream: stream, Name: c.Kind, Data: fmt.Appendf(nil, "%d %d", d.Seq, d.T0)}}, nil
	}
	l := &events.Listener{DSN: dbURL, DB: db, Route: route, Hub: hub, Log: log}
	lctx, lcancel := context.WithCancel(ctx)
	defer lcancel()
	ldone := make(chan error, 1)
	go func() { ldone <- l.Run(lctx) }()
	select {
	case <-l.Ready():
	case err := <-ldone:
		return err
	}
	var direct atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		_ = hub.Serve(w, r, r.URL.Query()["stream"]...)
	})
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		hub.Publish(events.Message{ID: direct.Add(1), Stream: stream, Name: "bench", Data: []byte(q.Get("seq") + " " + q.Get("t0"))})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /emit", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		seq, _ := strconv.ParseInt(q.Get("seq"), 10, 64)
		t0, _ := strconv.ParseInt(q.Get("t0"), 10, 64)
		data, _ := json.Marshal(map[string]int64{"seq": seq, "t0": t0})
		tx, err := db.BeginTx(r.Context(), nil)
		if err == nil {
			if _, err = events.Emit(r.Context(), tx, events.Change{Kind: events.BidSubmitted, Data: data}); err != nil {
				_ = tx.Rollback()
			} else {
				err = tx.Commit()
			}
		}
		if err != nil {
			log.Error("emit", "err", err)
			http.Error(w, "emit failed", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		// SSEBENCH_HEAPPROFILE=prefix writes the heap profile at each /stats to prefix.<pid>.
		if p := os.Getenv("SSEBENCH_HEAPPROFILE"); p != "" {
			if f, err := os.Create(fmt.Sprintf("%s.%d", p, os.Getpid())); err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		_ = json.NewEncoder(w).Encode(stats{Goroutines: runtime.NumGoroutine(), Subscribers: hub.Subscribers(),
			HeapInuse: m.HeapInuse, StackInuse: m.StackInuse, Sys: m.Sys})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		hub.Close() // streams end first, or Shutdown would wait for them
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	lcancel()
	return <-ldone
}

// raiseNoFile lifts the soft open-files limit to the hard one (20,000 here).
func raiseNoFile() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	lim.Cur = lim.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

// loadAvg is the 5-minute load average (0 if unknown).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	l, _ := strconv.ParseFloat(f[1], 64)
	return l
}

// vmHWM is a process's peak resident set, in bytes (0 if unknown).
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

func mib(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 0, 64) + " MiB" }
