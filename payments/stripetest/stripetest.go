// Package stripetest runs stripe-mock (github.com/stripe/stripe-mock) for tests, behind a
// counting reverse proxy that can play Stripe being unreachable.
//
// Install the binary once: go install github.com/stripe/stripe-mock@v0.203.0 (.ci/run does).
// stripe-mock is stateless: it validates each request against Stripe's OpenAPI spec and
// answers with a fixture (it neither stores objects nor honours idempotency keys), so
// tests count requests at the proxy instead.
package stripetest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

// Version is the stripe-mock these helpers are written against.
const Version = "v0.203.0"

// InstallCommand installs stripe-mock.
const InstallCommand = "go install github.com/stripe/stripe-mock@" + Version

// SecretKey is a test key stripe-mock accepts.
const SecretKey = "sk_test_123"

// Mock is a running stripe-mock with a proxy in front.
type Mock struct {
	// APIBase is the proxy's address: give it to payments.StripeConfig.APIBase.
	APIBase string
	// Direct is stripe-mock's own address (bypasses the proxy: not counted, never down).
	Direct string
	// Proxy counts the requests and can be switched down.
	Proxy *Proxy
}

// Count is m.Proxy.Count.
func (m *Mock) Count(methodPath ...string) int { return m.Proxy.Count(methodPath...) }

// Down is m.Proxy.Down.
func (m *Mock) Down() { m.Proxy.Down() }

// Up is m.Proxy.Up.
func (m *Mock) Up() { m.Proxy.Up() }

// Binary finds stripe-mock: on the PATH, in $GOBIN, or in $(go env GOPATH)/bin.
func Binary() (string, error) {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p, nil
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) > 0 && strings.TrimSpace(lines[0]) != "" {
			dirs = append(dirs, strings.TrimSpace(lines[0]))
		}
		if len(lines) > 1 {
			for _, p := range filepath.SplitList(strings.TrimSpace(lines[1])) {
				dirs = append(dirs, filepath.Join(p, "bin"))
			}
		}
	}
	for _, p := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(p, "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "stripe-mock")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("stripe-mock not found on the PATH or in %v; install it: %s", dirs, InstallCommand)
}

// Start gives the test stripe-mock behind a proxy of its own (its counts and Down are the
// test's alone), waits until it answers, and cleans up when the test ends. The stripe-mock
// process (≈70 MB, ≈1 s to start) is shared by the tests of a binary that run at the same
// time and stops when the last of them ends. A missing binary fails the test (never skips)
// with the install command.
func Start(t testing.TB) *Mock {
	t.Helper()
	direct, err := acquire()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	proxy := newProxy(direct)
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return &Mock{APIBase: srv.URL, Direct: direct, Proxy: proxy}
}

// shared is the running stripe-mock and how many tests use it.
var shared struct {
	sync.Mutex
	users  int
	direct string
	cmd    *exec.Cmd
	exited chan struct{}
}

func acquire() (string, error) {
	shared.Lock()
	defer shared.Unlock()
	if shared.cmd != nil {
		select {
		case <-shared.exited: // died under us: start another
			shared.cmd = nil
		default:
			shared.users++
			return shared.direct, nil
		}
	}
	cmd, exited, direct, err := run()
	if err != nil {
		return "", err
	}
	shared.cmd, shared.exited, shared.direct, shared.users = cmd, exited, direct, 1
	return direct, nil
}

func release() {
	shared.Lock()
	defer shared.Unlock()
	shared.users--
	if shared.users > 0 || shared.cmd == nil {
		return
	}
	_ = shared.cmd.Process.Kill()
	<-shared.exited
	shared.cmd = nil
}

// run starts stripe-mock on free loopback ports (its HTTPS listener takes one too, unused;
// without it stripe-mock would take the fixed 12112) and returns its HTTP address.
func run() (*exec.Cmd, chan struct{}, string, error) {
	bin, err := Binary()
	if err != nil {
		return nil, nil, "", err
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	cmd.SysProcAttr = procAttr() // dies with the test binary, even one killed by -timeout
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, "", err
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, "", fmt.Errorf("start stripe-mock: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	fail := func(err error) (*exec.Cmd, chan struct{}, string, error) {
		_ = cmd.Process.Kill()
		<-exited
		return nil, nil, "", fmt.Errorf("%w; its output: %s", err, stderr.String())
	}

	// stripe-mock prints "Listening for HTTP at address: 127.0.0.1:PORT" once it listens.
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			const prefix = "Listening for HTTP at address: "
			if line := sc.Text(); !sent && strings.HasPrefix(line, prefix) {
				addr <- strings.TrimSpace(strings.TrimPrefix(line, prefix))
				sent = true
			}
		}
		if !sent {
			close(addr)
		}
	}()
	var direct string
	select {
	case a, ok := <-addr:
		if !ok {
			return fail(errors.New("stripe-mock exited without listening"))
		}
		direct = "http://" + a
	case <-time.After(30 * time.Second):
		return fail(errors.New("stripe-mock did not start within 30 s"))
	}
	if err := waitAnswer(direct, 30*time.Second); err != nil {
		return fail(fmt.Errorf("stripe-mock at %s: %w", direct, err))
	}
	return cmd, exited, direct, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitAnswer polls GET /v1/balance until stripe-mock answers 200.
func waitAnswer(base string, within time.Duration) error {
	deadline := time.Now().Add(within)
	hc := &http.Client{Timeout: 2 * time.Second}
	var last error
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/balance", nil)
		req.Header.Set("Authorization", "Bearer "+SecretKey)
		res, err := hc.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /v1/balance: %s", res.Status)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no answer within %s: %v", within, last)
}

// Request is one request the proxy passed on to stripe-mock.
type Request struct {
	Method, Path   string
	IdempotencyKey string
	Form           url.Values // the form-encoded body (stripe-go sends every parameter so)
}

// Proxy is a reverse proxy in front of stripe-mock that records the requests it passes on
// and, while down, passes none.
type Proxy struct {
	rp *httputil.ReverseProxy

	mu       sync.Mutex
	down     bool
	status   int // while down: answer this status (0: close the connection)
	requests []Request
	refused  int
}

func newProxy(target string) *Proxy {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = nil
	return &Proxy{rp: rp}
}

// Down makes Stripe unreachable: every request's connection is closed without an answer
// (the client sees a network error).
func (p *Proxy) Down() {
	p.mu.Lock()
	p.down, p.status = true, 0
	p.mu.Unlock()
}

// Fail makes every request answer status (e.g. 503, 429) with a Stripe-shaped JSON error.
func (p *Proxy) Fail(status int) {
	p.mu.Lock()
	p.down, p.status = true, status
	p.mu.Unlock()
}

// Up passes requests on again.
func (p *Proxy) Up() {
	p.mu.Lock()
	p.down, p.status = false, 0
	p.mu.Unlock()
}

// Count is how many requests reached stripe-mock, all of them with no argument, else those
// of one method and path, written Count("POST /v1/transfers") or Count("POST", "/v1/transfers").
func (p *Proxy) Count(methodPath ...string) int {
	want := strings.Join(methodPath, " ")
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.requests {
		if want == "" || r.Method+" "+r.Path == want {
			n++
		}
	}
	return n
}

// Refused is how many requests arrived while down (and never reached stripe-mock).
func (p *Proxy) Refused() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

// Requests are the requests that reached stripe-mock, in order, optionally only those of
// one method and path as in Count.
func (p *Proxy) Requests(methodPath ...string) []Request {
	want := strings.Join(methodPath, " ")
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Request
	for _, r := range p.requests {
		if want == "" || r.Method+" "+r.Path == want {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets the requests recorded so far.
func (p *Proxy) Reset() {
	p.mu.Lock()
	p.requests, p.refused = nil, 0
	p.mu.Unlock()
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	p.mu.Lock()
	down, status := p.down, p.status
	if down {
		p.refused++
	} else {
		form, _ := url.ParseQuery(string(body))
		if r.URL.RawQuery != "" {
			q, _ := url.ParseQuery(r.URL.RawQuery)
			for k, v := range q {
				form[k] = append(form[k], v...)
			}
		}
		p.requests = append(p.requests, Request{
			Method: r.Method, Path: r.URL.Path,
			IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: form,
		})
	}
	p.mu.Unlock()
	if !down {
		p.rp.ServeHTTP(w, r)
		return
	}
	if status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"type":"api_error","message":"stripetest: Stripe answers %d"}}`, status)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

// SignedPayload signs a webhook body with the endpoint secret as Stripe would (now), and
// returns the Stripe-Signature header value.
func SignedPayload(t testing.TB, secret string, payload []byte) string {
	t.Helper()
	return SignedPayloadAt(t, secret, payload, time.Now())
}

// SignedPayloadAt signs as of a given time (an old one makes a replayed, expired webhook).
func SignedPayloadAt(t testing.TB, secret string, payload []byte, at time.Time) string {
	t.Helper()
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload: payload, Secret: secret, Timestamp: at,
	}).Header
}

// Event builds a webhook event's JSON body of a type around a data object, e.g.
// Event("evt_1", "payment_intent.succeeded", map[string]any{"id": "pi_1", "object": "payment_intent"}).
func Event(id, typ string, object map[string]any) []byte {
	return eventJSON(id, typ, "", object)
}

// AccountEvent is Event for a Connect event carrying the connected account's id.
func AccountEvent(id, typ, account string, object map[string]any) []byte {
	return eventJSON(id, typ, account, object)
}
