package handlers

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/alexedwards/argon2id"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/jobs"
	"github.com/14build/14build/store"
)

// testApp is the whole server on its own database, served over real HTTP.
type testApp struct {
	t   testing.TB
	st  *store.Store
	h   *Handlers
	srv *httptest.Server
	// jobs is the app's River client (cfg.Jobs).
	jobs *lazyJobs
	// dsn is the database's connection string: live updates' listeners (events_test.go).
	dsn string
}

// Cheap hashing keeps the tests fast; production uses argon2id's defaults.
var testArgon = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newTestApp(t testing.TB, mod ...func(*Config)) *testApp {
	t.Helper()
	dsn, db := testdb.NewWithURL(t)
	st := store.New(db)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(tWriter{t}, nil))
	}
	// River runs for real on the test's database, polling often so tests wait little; it
	// starts at the first job queued (most tests queue none).
	jc, err := jobs.New(st, log, jobs.Config{PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	lj := &lazyJobs{Client: jc}
	t.Cleanup(func() {
		if err := lj.stop(); err != nil {
			t.Errorf("stop jobs: %v", err)
		}
	})
	cfg := Config{Argon2: testArgon, BaseURL: "http://14build.test", Jobs: lj}
	for _, m := range mod {
		m(&cfg)
	}
	h := New(st, log, cfg)
	srv := httptest.NewServer(h.Echo())
	t.Cleanup(srv.Close)
	return &testApp{t: t, st: st, h: h, srv: srv, jobs: lj, dsn: dsn}
}

// lazyJobs is the app's River client, started at the first job queued: a running client
// polls its database every 50 ms and elects a leader and runs maintenance, which cost a
// large share of the handlers tests' time in tests that never queue a job. Once stopped
// it stays stopped, so queued jobs wait for a client the test starts itself.
type lazyJobs struct {
	*jobs.Client
	mu      sync.Mutex
	started bool
	stopped bool
}

func (l *lazyJobs) EnqueueImportTx(ctx context.Context, tx *sql.Tx, projectID, soqID, importID string) (int64, error) {
	l.mu.Lock()
	if !l.started && !l.stopped {
		if err := l.Client.Start(context.Background()); err != nil {
			l.mu.Unlock()
			return 0, err
		}
		l.started = true
	}
	l.mu.Unlock()
	return l.Client.EnqueueImportTx(ctx, tx, projectID, soqID, importID)
}

func (l *lazyJobs) stop() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	if !l.started {
		return nil
	}
	l.started = false
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return l.Client.Stop(ctx)
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

const testPassword = "correct horse battery"

// user creates an account directly in the store.
func (a *testApp) user(role authz.Role, email string) store.User {
	a.t.Helper()
	hash, err := a.h.HashPassword(testPassword)
	if err != nil {
		a.t.Fatal(err)
	}
	var cat int64
	if role == authz.RoleBidder {
		cats, _ := a.st.Categories(context.Background())
		cat = cats[0].ID
	}
	u, err := a.st.CreateUser(context.Background(), store.NewUser{Name: strings.Split(email, "@")[0] + " Tester", Email: email,
		PasswordHash: hash, Role: role, Entity: "Entity of " + email, CategoryID: cat})
	if err != nil {
		a.t.Fatal(err)
	}
	return u
}

// project creates a project owned by owner with the given in-house members.
func (a *testApp) project(owner store.User, code string, members ...store.User) store.Project {
	a.t.Helper()
	ctx := context.Background()
	p, err := a.st.CreateProject(ctx, owner.ID, store.ProjectInput{Name: "Project " + code, Code: code, Status: "planning", Currency: "usd", TimeZone: "UTC", BudgetAmount: 100000})
	if err != nil {
		a.t.Fatal(err)
	}
	for _, m := range members {
		if err := a.st.AddMember(ctx, p.ID, m.ID); err != nil {
			a.t.Fatal(err)
		}
	}
	return p
}

// client is one browser-less visitor with a cookie jar.
type client struct {
	a       *testApp
	hc      *http.Client
	headers http.Header
}

func (a *testApp) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{a: a, headers: http.Header{}, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// login signs a client in through the API.
func (a *testApp) login(email string) *client {
	a.t.Helper()
	c := a.client()
	res := c.do("POST", "/api/auth/login", map[string]any{"email": email, "password": testPassword})
	if res.Code != http.StatusOK {
		a.t.Fatalf("login %s: %d %s", email, res.Code, res.Body)
	}
	return c
}

type response struct {
	Code   int
	Body   string
	Header http.Header
}

func (r response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("not JSON (%d): %q", r.Code, r.Body)
	}
	return m
}

func (r response) Doc(t testing.TB) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// do sends body as JSON (a string or []byte is sent as is).
func (c *client) do(method, path string, body any) response {
	c.a.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.a.srv.URL+path, r)
	if err != nil {
		c.a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req)
}

func (c *client) send(req *http.Request) response {
	c.a.t.Helper()
	for k, v := range c.headers {
		req.Header[k] = v
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Code: res.StatusCode, Body: string(b), Header: res.Header}
}

func (c *client) get(path string, hdr ...string) response {
	c.a.t.Helper()
	req, _ := http.NewRequest("GET", c.a.srv.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.send(req)
}

func (c *client) form(path string, v url.Values, hdr ...string) response {
	c.a.t.Helper()
	req, _ := http.NewRequest("POST", c.a.srv.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.send(req)
}

func (a *testApp) count(q string, args ...any) int {
	a.t.Helper()
	var n int
	if err := a.st.DB().Get(&n, q, args...); err != nil {
		a.t.Fatal(err)
	}
	return n
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopChromium() // the one Chromium the browser tests share
	os.Exit(code)
}
