package handlers

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/store"
)

// Every request is one log line, whatever it ends in: its refusal's reason or its error
// rides on that line rather than on a second one.
func TestOneLogLinePerRequest(t *testing.T) {
	t.Parallel()
	var buf lockedBuffer
	h := New(store.New(testdb.New(t)), slog.New(slog.NewJSONHandler(&buf, nil)), Config{Argon2: testArgon})
	srv := httptest.NewServer(h.Echo())
	t.Cleanup(srv.Close)

	cases := []struct {
		method, path, body string
		status             int
		attr               string // on the line besides the request's own
	}{
		{"GET", "/healthz", "", 200, ""},
		{"GET", "/api/me", "", 401, "reason"},
		{"GET", "/no-such-page", "", 404, ""},
		{"POST", "/api/auth/login", `{"email":"nobody@example.com","password":"wrong password"}`, 401, "reason"},
		{"POST", "/api/auth/login", `{"email":`, 400, "reason"},
	}
	for _, c := range cases {
		buf.Reset()
		req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, res.StatusCode, c.status)
		}
		// The line is written once the handler has returned, which may be just after the
		// client has read the answer; anything else the request logged comes before it.
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(buf.String(), `"msg":"request"`) && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 1 {
			t.Errorf("%s %s: %d log lines, want 1:\n%s", c.method, c.path, len(lines), buf.String())
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
			t.Fatalf("%s %s: %v: %s", c.method, c.path, err, lines[0])
		}
		if rec["msg"] != "request" || rec["status"] != float64(c.status) || rec["path"] != c.path || rec["request_id"] == "" {
			t.Errorf("%s %s: %s", c.method, c.path, lines[0])
		}
		if c.attr != "" && rec[c.attr] == nil {
			t.Errorf("%s %s: no %s on the line: %s", c.method, c.path, c.attr, lines[0])
		}
	}
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

func (l *lockedBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}
