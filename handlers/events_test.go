package handlers

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/14build/14build/events"
	"github.com/14build/14build/store"
)

// listen starts this app's events listener (as main does) and waits until it LISTENs.
func (a *testApp) listen(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := a.h.EventListener(a.dsn)
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	select {
	case <-l.Ready():
	case err := <-done:
		t.Fatalf("listener: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("listener not ready")
	}
	t.Cleanup(func() {
		a.h.Hub().Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("listener: %v", err)
		}
	})
}

// twin is a second instance on the same database: its own pool, Handlers, hub and server,
// as a second server behind a load balancer would be.
func (a *testApp) twin(t *testing.T) *testApp {
	t.Helper()
	db, err := sqlx.Connect("postgres", a.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	h := New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Argon2: testArgon, BaseURL: "http://14build.test"})
	srv := httptest.NewServer(h.Echo())
	t.Cleanup(srv.Close)
	return &testApp{t: t, st: st, h: h, srv: srv, dsn: a.dsn}
}

// sseEvent is one server-sent event as received.
type sseEvent struct{ ID, Name, Data string }

// sseStream reads one subscription's events; raw keeps every byte received.
type sseStream struct {
	Code   int
	events chan sseEvent
	mu     sync.Mutex
	raw    strings.Builder
}

func (s *sseStream) bytes() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.String()
}

// subscribe opens path on the server at base with c's session; a refused subscription
// is returned with its status and no events.
func (c *client) subscribe(t *testing.T, base, path string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
	for k, v := range c.headers {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "text/event-stream")
	res, err := c.hc.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sseStream{Code: res.StatusCode, events: make(chan sseEvent, 100)}
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		cancel()
		s.raw.Write(body)
		return s
	}
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		defer res.Body.Close()
		r := bufio.NewReader(res.Body)
		var e sseEvent
		for {
			line, err := r.ReadString('\n')
			s.mu.Lock()
			s.raw.WriteString(line)
			s.mu.Unlock()
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if e.Name != "" || e.Data != "" {
					s.events <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				e.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.Name = line[7:]
			case strings.HasPrefix(line, "data: "):
				if e.Data != "" {
					e.Data += "\n"
				}
				e.Data += line[6:]
			}
		}
	}()
	return s
}

func (s *sseStream) next(t *testing.T, wait time.Duration) sseEvent {
	t.Helper()
	select {
	case e := <-s.events:
		return e
	case <-time.After(wait):
		t.Fatalf("no event within %s", wait)
	}
	return sseEvent{}
}

func (s *sseStream) none(t *testing.T, wait time.Duration) {
	t.Helper()
	select {
	case e := <-s.events:
		t.Fatalf("unexpected event %s: %s", e.Name, e.Data)
	case <-time.After(wait):
	}
}

func waitSubs(t *testing.T, a *testApp, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); a.h.Hub().Subscribers() < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers, want %d", a.h.Hub().Subscribers(), n)
		}
	}
}

// Distinctive figures of the bid submitted below: A1 73,911.13, B1 41.76 × 12.5 = 522.00,
// the total 79,433.13 with B2's 5,000.00. No team stream may carry any of them while sealed.
const liveA1, liveB1 = 7391113, 4176

var liveFigures = []string{"7391113", "73,911.13", "73911.13", "4176", "41.76", "7943313", "79,433.13", "79433.13"}

func noFigures(t *testing.T, what, body string) {
	t.Helper()
	for _, f := range liveFigures {
		if strings.Contains(body, f) {
			t.Errorf("%s carries %q while sealed:\n%s", what, f, body)
		}
	}
}

// A bid accepted by instance A reaches the owner subscribed on instance B (one database,
// two listeners), with the bidder and without any amount while the tender is sealed.
func TestEventsBidReachesAnotherInstance(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bt := openBidTender(t, f)
	b := f.a.twin(t)
	f.a.listen(t)
	b.listen(t)

	owner := f.clients["owner"]
	js := owner.subscribe(t, b.srv.URL, "/api/events?stream=tender-"+bt.id)
	page := owner.subscribe(t, b.srv.URL, "/events?stream=tender-"+bt.id)
	if js.Code != http.StatusOK || page.Code != http.StatusOK {
		t.Fatalf("subscribe: %d %d %s", js.Code, page.Code, js.bytes())
	}
	waitSubs(t, b, 2)

	res := f.clients["bidder"].do("POST", "/api/tenders/"+bt.id+"/bids", bt.body(liveA1, liveB1, true))
	if res.Code != http.StatusCreated {
		t.Fatalf("submit on A: %d %s", res.Code, res.Body)
	}
	bidID := res.JSON(t)["id"].(string)

	e := js.next(t, 5*time.Second)
	var m map[string]any
	if err := json.Unmarshal([]byte(e.Data), &m); err != nil {
		t.Fatalf("JSON data %q: %v", e.Data, err)
	}
	bidder, _ := m["bidder"].(map[string]any)
	if e.Name != events.BidSubmitted || m["tenderId"] != bt.id || m["bidId"] != bidID || m["revision"] != 1.0 ||
		bidder == nil || bidder["name"] == "" || m["submittedAt"] == nil {
		t.Errorf("JSON event %s %v", e.Name, m)
	}
	if _, ok := m["total"]; ok {
		t.Errorf("the team's JSON carries a total while sealed: %v", m)
	}
	h := page.next(t, 5*time.Second)
	if h.Name != events.BidSubmitted || !strings.Contains(h.Data, `data-bidder="b@example.com"`) || !strings.Contains(h.Data, "Submitted") {
		t.Errorf("HTML event %s %s", h.Name, h.Data)
	}
	// One change: the same events row id (the hub numbers a change's messages id, id.1, …).
	if id := strings.Split(e.ID, ".")[0]; id == "" || strings.Split(h.ID, ".")[0] != id {
		t.Errorf("ids %q and %q: one change, one id", h.ID, e.ID)
	}
	noFigures(t, "the team's JSON stream", js.bytes())
	noFigures(t, "the team's page stream", page.bytes())
}

// Each bidder's stream carries its own bid and what every bidder may see, never another
// bidder's bid; the team's stream no figure while sealed; a refused change emits nothing.
func TestEventsAudiences(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bt := openBidTender(t, f)
	f.a.listen(t)
	civilBidder(t, f, "c@example.com", "Cee Civil")
	cee := f.a.login("c@example.com")
	base := f.a.srv.URL

	team := f.clients["inhouse"].subscribe(t, base, "/events?stream=tender-"+bt.id)
	mine := f.clients["bidder"].subscribe(t, base, "/api/events?stream=tender-"+bt.id)
	other := cee.subscribe(t, base, "/events?stream=tender-"+bt.id)
	otherJS := cee.subscribe(t, base, "/api/events?stream=tender-"+bt.id)
	for _, s := range []*sseStream{team, mine, other, otherJS} {
		if s.Code != http.StatusOK {
			t.Fatalf("subscribe: %d %s", s.Code, s.bytes())
		}
	}
	waitSubs(t, f.a, 4)

	// Refused (B1 unpriced): rolled back, nothing announced.
	before := f.a.count(`SELECT count(*) FROM events`)
	if res := f.clients["bidder"].do("POST", "/api/tenders/"+bt.id+"/bids", map[string]any{"rates": []any{}, "submit": true}); res.Code != http.StatusConflict {
		t.Fatalf("refused submit: %d %s", res.Code, res.Body)
	}
	if n := f.a.count(`SELECT count(*) FROM events`); n != before {
		t.Errorf("a refused submission left %d events", n-before)
	}

	if res := f.clients["bidder"].do("POST", "/api/tenders/"+bt.id+"/bids", bt.body(liveA1, liveB1, true)); res.Code != http.StatusCreated {
		t.Fatalf("submit: %d %s", res.Code, res.Body)
	}
	// Its own stream: the bid, with its total.
	e := mine.next(t, 5*time.Second)
	var m map[string]any
	_ = json.Unmarshal([]byte(e.Data), &m)
	if e.Name != events.BidSubmitted || m["total"] != float64(liveA1+liveB1*25/2+500000) {
		t.Errorf("own stream: %s %v", e.Name, m)
	}
	if e := team.next(t, 5*time.Second); e.Name != events.BidSubmitted {
		t.Errorf("team: %s", e.Name)
	}
	// The other bidder hears nothing of it.
	other.none(t, 300*time.Millisecond)
	otherJS.none(t, 10*time.Millisecond)

	// An addendum is every bidder's news (the same for all).
	res := f.clients["owner"].do("POST", "/api/tenders/"+bt.id+"/addenda", map[string]any{"text": "Rock allowance clarified."})
	if res.Code != http.StatusCreated {
		t.Fatalf("addendum: %d %s", res.Code, res.Body)
	}
	if e := other.next(t, 5*time.Second); e.Name != events.AddendumIssued || !strings.Contains(e.Data, "addendum 1 was issued.") {
		t.Errorf("other bidder: %s %s", e.Name, e.Data)
	}
	if e := mine.next(t, 5*time.Second); e.Name != events.AddendumIssued || !strings.Contains(e.Data, `"addendum":1`) {
		t.Errorf("bidder JSON: %s %s", e.Name, e.Data)
	}
	if e := otherJS.next(t, 5*time.Second); e.Name != events.AddendumIssued {
		t.Errorf("other bidder JSON: %s", e.Name)
	}

	for _, s := range []*sseStream{other, otherJS} {
		for _, f := range append(liveFigures, "b@example.com") {
			if strings.Contains(s.bytes(), f) {
				t.Errorf("another bidder's stream carries %q:\n%s", f, s.bytes())
			}
		}
	}
	noFigures(t, "the team's stream", team.bytes())
}

// Who may follow what: the pages' rule (404 for a tender one may not see), 401 signed
// out, 400 for a stream not understood.
func TestEventsAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bt := openBidTender(t, f)
	draft := draftTender(t, f, issuedSOQ(t, f))
	base := f.a.srv.URL
	cases := []struct {
		who, path string
		want      int
	}{
		{"anonymous", "/events?stream=tender-" + bt.id, 401},
		{"anonymous", "/api/events?stream=me", 401},
		{"otherOwner", "/events?stream=tender-" + bt.id, 404},
		{"outsider", "/api/events?stream=tender-" + bt.id, 404},
		{"bidder", "/events?stream=tender-" + draft, 404},
		{"owner", "/events?stream=tender-not-a-uuid", 404},
		{"owner", "/events?stream=tender-00000000-0000-0000-0000-000000000001", 404},
		{"otherOwner", "/events?stream=project-" + f.P.ID, 404},
		{"bidder", "/events?stream=project-" + f.P.ID, 404},
		{"owner", "/events?stream=everything", 400},
		{"owner", "/api/events", 400},
		// Several streams: each must be one the caller may follow.
		{"bidder", "/events?stream=tender-" + bt.id + "&stream=tender-" + draft, 404},
		{"bidder", "/events?stream=tender-" + bt.id + strings.Repeat("&stream=me", 100), 400},
	}
	for _, c := range cases {
		if s := f.clients[c.who].subscribe(t, base, c.path); s.Code != c.want {
			t.Errorf("%s %s: %d, want %d (%s)", c.who, c.path, s.Code, c.want, s.bytes())
		}
	}
	for _, ok := range []struct{ who, path string }{
		{"owner", "/events?stream=tender-" + bt.id}, {"admin", "/api/events?stream=tender-" + bt.id},
		{"bidder", "/events?stream=tender-" + bt.id}, {"inhouse", "/events?stream=project-" + f.P.ID},
		{"bidder", "/api/events?stream=me"},
		{"bidder", "/events?stream=tender-" + bt.id + "&stream=me&stream=tender-" + bt.id},
	} {
		if s := f.clients[ok.who].subscribe(t, base, ok.path); s.Code != http.StatusOK {
			t.Errorf("%s %s: %d %s", ok.who, ok.path, s.Code, s.bytes())
		}
	}
}

// An answer to one bidder reaches its asker alone, a published one every bidder (never
// the asker's name); an intent the team's panel; the closing every audience, the team's
// panel now with totals; the award each bidder's own outcome.
func TestEventsTalkCloseAward(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bt := openBidTender(t, f)
	f.a.listen(t)
	civilBidder(t, f, "c@example.com", "Cee Civil")
	cee := f.a.login("c@example.com")
	base, tp := f.a.srv.URL, "/api/tenders/"+bt.id
	team := f.clients["owner"].subscribe(t, base, "/events?stream=tender-"+bt.id)
	bee := f.clients["bidder"].subscribe(t, base, "/events?stream=tender-"+bt.id)
	ceeS := cee.subscribe(t, base, "/events?stream=tender-"+bt.id)
	waitSubs(t, f.a, 3)

	if res := f.clients["bidder"].do("POST", tp+"/intent", map[string]any{"intent": "bidding"}); res.Code != http.StatusOK {
		t.Fatalf("intent: %d %s", res.Code, res.Body)
	}
	if e := team.next(t, 5*time.Second); e.Name != events.IntentChanged || !strings.Contains(e.Data, `data-bidder="b@example.com"`) {
		t.Errorf("team intent: %s %s", e.Name, e.Data)
	}
	// Said again: no change, no event.
	f.clients["bidder"].do("POST", tp+"/intent", map[string]any{"intent": "bidding"})
	team.none(t, 300*time.Millisecond)

	res := f.clients["bidder"].do("POST", tp+"/questions", map[string]any{"text": "Which cement?"})
	if res.Code != http.StatusCreated {
		t.Fatalf("ask: %d %s", res.Code, res.Body)
	}
	qid := res.JSON(t)["id"].(string)
	if res := f.clients["owner"].do("POST", tp+"/questions/"+qid+"/answer", map[string]any{"text": "CEM I, to you.", "publish": false}); res.Code != http.StatusOK {
		t.Fatalf("answer: %d %s", res.Code, res.Body)
	}
	if e := bee.next(t, 5*time.Second); e.Name != events.QuestionAnswered || !strings.Contains(e.Data, "CEM I, to you.") {
		t.Errorf("asker: %s %s", e.Name, e.Data)
	}
	ceeS.none(t, 300*time.Millisecond)
	if res := f.clients["owner"].do("POST", tp+"/questions/"+qid+"/answer", map[string]any{"text": "CEM I for all.", "publish": true}); res.Code != http.StatusOK {
		t.Fatalf("publish: %d %s", res.Code, res.Body)
	}
	for _, s := range []*sseStream{bee, ceeS} {
		if e := s.next(t, 5*time.Second); e.Name != events.QuestionAnswered || !strings.Contains(e.Data, "CEM I for all.") ||
			strings.Contains(e.Data, f.users["bidder"].Name) {
			t.Errorf("published: %s %s", e.Name, e.Data)
		}
	}
	if strings.Contains(ceeS.bytes(), "to you") {
		t.Errorf("another bidder heard the private answer:\n%s", ceeS.bytes())
	}

	// Two bids, then the closing.
	res = f.clients["bidder"].do("POST", tp+"/bids", bt.body(liveA1, liveB1, true))
	if res.Code != http.StatusCreated {
		t.Fatalf("submit: %d %s", res.Code, res.Body)
	}
	beeBid := res.JSON(t)["id"].(string)
	if res := cee.do("POST", tp+"/bids", bt.body(900000, 2000, true)); res.Code != http.StatusCreated {
		t.Fatalf("submit: %d %s", res.Code, res.Body)
	}
	for _, s := range []*sseStream{team, team, bee, ceeS} {
		if e := s.next(t, 5*time.Second); e.Name != events.BidSubmitted {
			t.Errorf("submitted: %s", e.Name)
		}
	}
	noFigures(t, "the team's stream before closing", team.bytes())
	closeNow(t, f, bt.id)
	if res := f.clients["owner"].do("POST", tp+"/close", nil); res.Code != http.StatusOK {
		t.Fatalf("close: %d %s", res.Code, res.Body)
	}
	if e := team.next(t, 5*time.Second); e.Name != events.TenderClosed || !strings.Contains(e.Data, "79,433.13") || !strings.Contains(e.Data, `id="tender-status"`) {
		t.Errorf("team closed (totals now shown): %s %s", e.Name, e.Data)
	}
	for _, s := range []*sseStream{bee, ceeS} {
		if e := s.next(t, 5*time.Second); e.Name != events.TenderClosed || !strings.Contains(e.Data, "closed") {
			t.Errorf("bidder closed: %s %s", e.Name, e.Data)
		}
	}

	if res := f.clients["owner"].do("POST", tp+"/award", map[string]any{"bidId": beeBid}); res.Code != http.StatusOK {
		t.Fatalf("award: %d %s", res.Code, res.Body)
	}
	if e := team.next(t, 5*time.Second); e.Name != events.TenderAwarded {
		t.Errorf("team awarded: %s", e.Name)
	}
	for s, want := range map[*sseStream]string{bee: "Your bid was awarded.", ceeS: "Another bid was awarded."} {
		if e := s.next(t, 5*time.Second); e.Name != events.TenderAwarded || !strings.Contains(e.Data, "Substructure package was awarded.") {
			t.Errorf("bidders' news: %s %s", e.Name, e.Data)
		}
		if e := s.next(t, 5*time.Second); e.Name != events.TenderAwarded || !strings.Contains(e.Data, want) {
			t.Errorf("own outcome: %s %s, want %q", e.Name, e.Data, want)
		}
	}
	if strings.Contains(ceeS.bytes(), "79,433.13") || strings.Contains(bee.bytes(), "14,250.00") || strings.Contains(bee.bytes(), "1425000") {
		t.Errorf("a bidder's stream carries another's total")
	}
}
