package events_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
	"github.com/r3labs/sse/v2"

	"github.com/14build/14build/events"
	"github.com/14build/14build/internal/testdb"
)

// event is one parsed server-sent event (or a comment).
type event struct {
	ID, Name, Data, Comment string
}

func parse(raw []byte) event {
	var e event
	var data []string
	for line := range strings.SplitSeq(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, ":"):
			e.Comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "id: "):
			e.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.Name = line[7:]
		case strings.HasPrefix(line, "data: "):
			data = append(data, line[6:])
		}
	}
	e.Data = strings.Join(data, "\n")
	return e
}

// client reads one SSE response into a channel; the channel closes when the stream ends.
type client struct {
	events chan event
	cancel context.CancelFunc
}

func connect(t *testing.T, url, lastID string) *client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("connect %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		t.Fatalf("connect %s: %s %s", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	c := &client{events: make(chan event, 1000), cancel: cancel}
	go func() {
		defer close(c.events)
		defer resp.Body.Close()
		r := sse.NewEventStreamReader(resp.Body, 1<<20)
		for {
			raw, err := r.ReadEvent()
			if err != nil {
				return
			}
			e := parse(raw)
			if e.ID == "" && e.Data == "" && e.Comment == "" {
				continue // the retry: hello
			}
			c.events <- e
		}
	}()
	t.Cleanup(cancel)
	return c
}

// next returns the next event that is not a comment.
func (c *client) next(t *testing.T, wait time.Duration) event {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case e, ok := <-c.events:
			if !ok {
				t.Fatal("stream ended")
			}
			if e.Comment != "" {
				continue
			}
			return e
		case <-deadline:
			t.Fatalf("no event within %v", wait)
		}
	}
}

// none checks nothing but comments arrives for d.
func (c *client) none(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case e, ok := <-c.events:
			if ok && e.Comment == "" {
				t.Fatalf("unexpected event %+v", e)
			}
			if !ok {
				return
			}
		case <-deadline:
			return
		}
	}
}

// serve is the test's route: ?stream= names the streams followed.
func serve(h *events.Hub, errs chan<- error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h.Serve(w, r, r.URL.Query()["stream"]...)
		if errs != nil {
			errs <- err
		}
	})
}

// route sends every change to the stream "tender/{id}" with its data.
func route(_ context.Context, c events.Change) ([]events.Message, error) {
	return []events.Message{{ID: c.ID, Stream: "tender/" + c.TenderID, Name: c.Kind, Data: c.Data}}, nil
}

// instance is one server: a hub, its listener and its HTTP server, on the shared database.
type instance struct {
	hub *events.Hub
	srv *httptest.Server
}

const tenderID = "6f1c3f5e-8a52-4d7e-9a55-0d6f3f9b8a01"

func newInstance(t *testing.T, dsn string, db *sqlx.DB) *instance {
	t.Helper()
	hub := events.NewHub(events.HubConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	l := &events.Listener{DSN: dsn, DB: db.DB, Route: route, Hub: hub}
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	select {
	case <-l.Ready():
	case err := <-done:
		t.Fatalf("listener: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("listener not ready")
	}
	srv := httptest.NewServer(serve(hub, nil))
	t.Cleanup(func() {
		hub.Close()
		srv.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("listener: %v", err)
		}
	})
	return &instance{hub: hub, srv: srv}
}

func emit(t *testing.T, db *sqlx.DB, commit bool, kind string, data string) int64 {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := events.Emit(ctx, tx, events.Change{Kind: kind, TenderID: tenderID, Data: json.RawMessage(data)})
	if err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	if commit {
		err = tx.Commit()
	} else {
		err = tx.Rollback()
	}
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestEmitDeliveredOnlyWhenCommitted(t *testing.T) {
	t.Parallel()
	dsn, db := testdb.NewWithURL(t)
	in := newInstance(t, dsn, db)
	c := connect(t, in.srv.URL+"?stream=tender/"+tenderID, "")

	emit(t, db, false, events.BidWithdrawn, `{"n":1}`)
	id := emit(t, db, true, events.BidSubmitted, `{"n":2}`)
	e := c.next(t, 5*time.Second)
	if e.Name != events.BidSubmitted || e.Data != `{"n": 2}` || e.ID != fmt.Sprint(id) {
		t.Fatalf("got %+v, want the committed bid-submitted %d", e, id)
	}
	c.none(t, 300*time.Millisecond)
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM events`); err != nil || n != 1 {
		t.Fatalf("events rows = %d, %v; want 1 (the rolled-back one never existed)", n, err)
	}
	// Load round-trips the row.
	cs, err := events.Load(context.Background(), db, id)
	if err != nil || len(cs) != 1 || cs[0].TenderID != tenderID || cs[0].Kind != events.BidSubmitted || cs[0].ProjectID != "" {
		t.Fatalf("Load = %+v, %v", cs, err)
	}
}

// A change committed through instance A's code reaches a subscriber served by instance B:
// two hubs, two listener connections, one database.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	dsn, db := testdb.NewWithURL(t)
	a := newInstance(t, dsn, db)
	b := newInstance(t, dsn, db)

	// The subscriber on B uses r3labs/sse's client, as an API client would.
	got := make(chan *sse.Event, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cl := sse.NewClient(b.srv.URL)
	connected := make(chan struct{})
	var once sync.Once
	cl.OnConnect(func(*sse.Client) { once.Do(func() { close(connected) }) })
	go cl.SubscribeWithContext(ctx, "tender/"+tenderID, func(e *sse.Event) {
		if len(e.Data) > 0 {
			got <- e
		}
	})
	waitSubscribers(t, b.hub, 1)
	<-connected
	onA := connect(t, a.srv.URL+"?stream=tender/"+tenderID, "")
	waitSubscribers(t, a.hub, 1)

	id := emit(t, db, true, events.BidSubmitted, `{"bidId":"x"}`)
	select {
	case e := <-got:
		if string(e.ID) != fmt.Sprint(id) || string(e.Event) != events.BidSubmitted {
			t.Fatalf("B got %q %q", e.ID, e.Event)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the subscriber on B got nothing")
	}
	if e := onA.next(t, 5*time.Second); e.ID != fmt.Sprint(id) {
		t.Fatalf("A got %+v", e)
	}
}

func waitSubscribers(t *testing.T, h *events.Hub, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); h.Subscribers() != n; {
		if time.Now().After(deadline) {
			t.Fatalf("subscribers = %d, want %d", h.Subscribers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func msg(id int64, stream string) events.Message {
	return events.Message{ID: id, Stream: stream, Name: "bid-submitted", Data: []byte(fmt.Sprintf("<tr>%d %s</tr>", id, stream))}
}

func TestReplayAfterLastEventID(t *testing.T) {
	t.Parallel()
	h := events.NewHub(events.HubConfig{Replay: 4})
	srv := httptest.NewServer(serve(h, nil))
	defer srv.Close()
	defer h.Close()
	for id := int64(1); id <= 6; id++ {
		h.Publish(msg(id, "s"), msg(id, "other"))
	}
	ids := func(c *client, n int) []string {
		var out []string
		for range n {
			out = append(out, c.next(t, 2*time.Second).ID)
		}
		return out
	}
	// Missed 4, 5, 6: exactly those, and then live ones.
	c := connect(t, srv.URL+"?stream=s", "3")
	if got := ids(c, 3); strings.Join(got, ",") != "4,5,6" {
		t.Fatalf("replay after 3 = %v", got)
	}
	h.Publish(msg(7, "s"))
	if e := c.next(t, 2*time.Second); e.ID != "7" || e.Data != "<tr>7 s</tr>" {
		t.Fatalf("live = %+v", e)
	}
	c.none(t, 100*time.Millisecond)

	// Bounded: after 1, the ring (4 per stream) still holds 4..7 of s.
	c = connect(t, srv.URL+"?stream=s", "1")
	if got := ids(c, 4); strings.Join(got, ",") != "4,5,6,7" {
		t.Fatalf("replay after 1 = %v", got)
	}
	c.none(t, 100*time.Millisecond)

	// ?lastEventId= works as the header does; no id, no replay.
	c = connect(t, srv.URL+"?stream=s&lastEventId=6", "")
	if got := ids(c, 1); got[0] != "7" {
		t.Fatalf("replay after ?lastEventId=6 = %v", got)
	}
	c = connect(t, srv.URL+"?stream=s", "")
	c.none(t, 100*time.Millisecond)

	// One change, two streams of one connection: ids 8 and 8.1, resumable between them.
	h.Publish(msg(8, "a"), msg(8, "b"))
	c = connect(t, srv.URL+"?stream=a&stream=b", "8")
	if e := c.next(t, 2*time.Second); e.ID != "8.1" || e.Data != "<tr>8 b</tr>" {
		t.Fatalf("replay after 8 on a+b = %+v", e)
	}
	c = connect(t, srv.URL+"?stream=a&stream=b", "7")
	if got := ids(c, 2); strings.Join(got, ",") != "8,8.1" {
		t.Fatalf("replay after 7 on a+b = %v", got)
	}

	// A fragment of several lines is several data: fields, read back as one.
	h.Publish(events.Message{ID: 9, Stream: "a", Name: "n", Data: []byte("<tr>\n<td>1</td>\r\n</tr>")})
	if e := c.next(t, 2*time.Second); e.ID != "9" || e.Data != "<tr>\n<td>1</td>\n</tr>" {
		t.Fatalf("multi-line = %+v", e)
	}
}

// A subscriber that never reads is dropped once its buffer is full; the others keep
// receiving promptly, and Publish never waits for it.
func TestSlowClientDropped(t *testing.T) {
	t.Parallel()
	// A Publish that waited for the slow client would wait out its write timeout: 10 s, far
	// beyond any scheduling delay of a loaded machine, so the check below cannot flake.
	h := events.NewHub(events.HubConfig{SendBuffer: 8, WriteTimeout: 10 * time.Second})
	errs := make(chan error, 10)
	srv := httptest.NewServer(serve(h, errs))
	defer srv.Close()
	defer h.Close()

	// The slow one: sends its request, never reads the response.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /?stream=s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
	waitSubscribers(t, h, 1)
	fast := connect(t, srv.URL+"?stream=s", "")
	waitSubscribers(t, h, 2)

	big := bytes.Repeat([]byte("x"), 64<<10)
	for i := range int64(200) {
		start := time.Now()
		h.Publish(events.Message{ID: i + 1, Stream: "s", Name: "n", Data: big})
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Publish waited %v for the slow client", d)
		}
		e := fast.next(t, 2*time.Second)
		if e.ID != fmt.Sprint(i+1) {
			t.Fatalf("fast client got %s, want %d", e.ID, i+1)
		}
	}
	select {
	case err := <-errs:
		if !errors.Is(err, events.ErrSlowClient) {
			t.Fatalf("slow client's Serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the slow client was not dropped")
	}
	waitSubscribers(t, h, 1)
}

func TestHeartbeatAndClose(t *testing.T) {
	t.Parallel()
	h := events.NewHub(events.HubConfig{Heartbeat: 50 * time.Millisecond})
	errs := make(chan error, 1)
	srv := httptest.NewServer(serve(h, errs))
	defer srv.Close()
	c := connect(t, srv.URL+"?stream=s", "")
	select {
	case e := <-c.events:
		if e.Comment != "ping" {
			t.Fatalf("first = %+v, want the ping comment", e)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no heartbeat")
	}
	h.Close()
	for deadline := time.After(2 * time.Second); ; {
		select {
		case _, ok := <-c.events:
			if ok {
				continue
			}
		case <-deadline:
			t.Fatal("Close did not end the stream")
		}
		break
	}
	if err := <-errs; err != nil {
		t.Fatalf("Serve after Close = %v", err)
	}
	// A closed hub refuses new streams with 503, so the client retries elsewhere.
	resp, err := http.Get(srv.URL + "?stream=s")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after Close: %s", resp.Status)
	}
}

// 1,000 connects and disconnects leave no goroutine and no subscriber behind. A stream
// over HTTP/1.x owns its (hijacked) connection and no goroutine reads it: a client that
// hangs up is noticed at the next heartbeat (or failed write), hence the short one here.
func TestNoLeakOnDisconnect(t *testing.T) {
	h := events.NewHub(events.HubConfig{Heartbeat: 100 * time.Millisecond})
	srv := httptest.NewServer(serve(h, nil))
	defer srv.Close()
	defer h.Close()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}

	once := func() {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"?stream=a&stream=b", nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		// Read the hello, so the stream is surely being served, then hang up.
		if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
			t.Error(err)
		}
		cancel()
		resp.Body.Close()
	}
	once() // warm up (the server's and transport's own goroutines)
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	work := make(chan struct{})
	for range 20 {
		wg.Go(func() {
			for range work {
				once()
			}
		})
	}
	for range 1000 {
		work <- struct{}{}
		h.Publish(msg(1, "a"))
	}
	close(work)
	wg.Wait()
	waitSubscribers(t, h, 0)
	var after int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		after = runtime.NumGoroutine()
		if after <= before+5 || time.Now().After(deadline) {
			break
		}
	}
	if after > before+5 {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines: %d before, %d after 1,000 connect/disconnects\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// The listener's connection is cut: it reconnects, and what was committed meanwhile is
// read back from the table, once.
func TestListenerCatchesUpAfterReconnect(t *testing.T) {
	t.Parallel()
	dsn, db := testdb.NewWithURL(t)
	in := newInstance(t, dsn, db)
	c := connect(t, in.srv.URL+"?stream=tender/"+tenderID, "")
	first := emit(t, db, true, events.BidSubmitted, `{"n":1}`)
	if e := c.next(t, 5*time.Second); e.ID != fmt.Sprint(first) {
		t.Fatalf("got %+v", e)
	}
	var n int
	if err := db.Get(&n, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %`+events.Channel+`%'`); err != nil || n != 1 {
		t.Fatalf("terminated %d listener connections: %v", n, err)
	}
	// Committed while the listener is down (it waits 100 ms before reconnecting).
	second := emit(t, db, true, events.BidWithdrawn, `{"n":2}`)
	third := emit(t, db, true, events.IntentChanged, `{"n":3}`)
	for _, want := range []int64{second, third} {
		if e := c.next(t, 10*time.Second); e.ID != fmt.Sprint(want) {
			t.Fatalf("got %+v, want %d", e, want)
		}
	}
	c.none(t, 300*time.Millisecond)
}

// Over HTTP/1.x the stream owns its connection: the head is written by the hub (no chunked
// encoding, the connection closes with the stream), headers set by middleware go out with
// it, Echo's middleware sees a 200, and a client that hangs up is noticed with no event to
// write (at the next heartbeat).
func TestHijackedStream(t *testing.T) {
	t.Parallel()
	h := events.NewHub(events.HubConfig{Heartbeat: 50 * time.Millisecond})
	defer h.Close()
	e := echo.New()
	statuses := make(chan int, 1)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header().Set("X-Request-Id", "r1")
			err := next(c)
			statuses <- c.Response().Status
			return err
		}
	})
	e.GET("/", func(c echo.Context) error {
		return h.Serve(c.Response(), c.Request(), "s")
	})
	srv := httptest.NewServer(e)
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" ||
		resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("X-Accel-Buffering") != "no" ||
		!resp.Close || len(resp.TransferEncoding) > 0 || resp.Header.Get("X-Request-Id") != "r1" {
		t.Fatalf("head: %s close=%v te=%v %v", resp.Status, resp.Close, resp.TransferEncoding, resp.Header)
	}
	waitSubscribers(t, h, 1)
	h.Publish(msg(7, "s"))
	r := sse.NewEventStreamReader(resp.Body, 1<<16)
	for {
		raw, err := r.ReadEvent()
		if err != nil {
			t.Fatal(err)
		}
		if ev := parse(raw); ev.ID != "" {
			if ev.ID != "7" || ev.Data != "<tr>7 s</tr>" {
				t.Fatalf("got %+v", ev)
			}
			break
		}
	}
	conn.Close()
	waitSubscribers(t, h, 0)
	select {
	case st := <-statuses:
		if st != http.StatusOK {
			t.Fatalf("middleware saw status %d", st)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the handler did not return")
	}
}
