package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/14build/14build/internal/testdb"
)

// freeAddr finds a loopback port nothing listens on.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startRun runs the server as main does, with env, and waits until it answers.
func startRun(t *testing.T, env map[string]string) (addr string, cancel context.CancelFunc, done chan error) {
	t.Helper()
	url, _ := testdb.NewWithURL(t)
	addr = freeAddr(t)
	env["DATABASE_URL"], env["ADDR"] = url, addr
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, io.Discard, io.Discard)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			return addr, cancel, done
		}
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the server never answered")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// slowRequest starts a request whose body arrives in two parts, so it is in flight (its
// handler is reading) until finish is called.
func slowRequest(t *testing.T, addr string) (conn net.Conn, finish func() string) {
	t.Helper()
	body := `{"email":"nobody@example.com","password":"not the password"}`
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.WriteString(conn, "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Content-Length: "+strconv.Itoa(len(body))+"\r\nConnection: close\r\n\r\n"+body[:10])
	if err != nil {
		t.Fatal(err)
	}
	return conn, func() string {
		if _, err := io.WriteString(conn, body[10:]); err != nil {
			return "write: " + err.Error()
		}
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			return "read: " + err.Error()
		}
		return strings.TrimSpace(line)
	}
}

// Shutdown (SIGTERM cancels run's context) waits for the request in flight, which gets its
// answer, refuses new connections, and run returns nil: the process exits 0.
func TestShutdownWaitsForInFlightRequests(t *testing.T) {
	t.Parallel()
	maddr := freeAddr(t)
	addr, cancel, done := startRun(t, map[string]string{"SHUTDOWN_TIMEOUT": "20s", "ARGON2_MEMORY_KIB": "1024", "METRICS_ADDR": maddr})
	defer cancel()
	// METRICS_ADDR serves the metrics; the public listener has none without METRICS_TOKEN.
	for _, c := range []struct {
		url  string
		want int
	}{{"http://" + maddr + "/metrics", 200}, {"http://" + addr + "/metrics", 404}} {
		res, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.url, res.StatusCode, c.want)
		}
	}
	conn, finish := slowRequest(t, addr)
	defer conn.Close()
	time.Sleep(300 * time.Millisecond) // the handler is now reading the body
	cancel()
	select {
	case err := <-done:
		t.Fatalf("run returned (%v) with a request in flight", err)
	case <-time.After(700 * time.Millisecond):
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("a new connection was accepted during shutdown")
	}
	if status := finish(); !strings.HasPrefix(status, "HTTP/1.1 401") {
		t.Errorf("the request in flight got %q, want its 401", status)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v, want nil (exit 0)", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("run did not return after the last request finished")
	}
}

// A request that never finishes holds shutdown only for SHUTDOWN_TIMEOUT.
func TestShutdownTimeoutBoundsTheWait(t *testing.T) {
	t.Parallel()
	addr, cancel, done := startRun(t, map[string]string{"SHUTDOWN_TIMEOUT": "500ms"})
	defer cancel()
	conn, _ := slowRequest(t, addr)
	defer conn.Close()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v, want nil", err)
		}
		if d := time.Since(start); d < 400*time.Millisecond || d > 20*time.Second {
			t.Errorf("run returned after %s, want about SHUTDOWN_TIMEOUT (then the jobs' stop)", d)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return")
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SHUTDOWN_TIMEOUT": "5s", "METRICS_TOKEN": "tok", "METRICS_ADDR": "127.0.0.1:9999"}
	c, err := loadConfig(func(k string) string { return env[k] })
	if err != nil || c.shutdownTimeout != 5*time.Second || c.http.MetricsToken != "tok" || c.metricsAddr != "127.0.0.1:9999" {
		t.Errorf("%+v %v", c, err)
	}
	c, _ = loadConfig(func(string) string { return "" })
	if c.shutdownTimeout != 30*time.Second {
		t.Errorf("default SHUTDOWN_TIMEOUT %s", c.shutdownTimeout)
	}
	for _, bad := range []string{"soon", "-1s", "0"} {
		if _, err := loadConfig(func(k string) string { return map[string]string{"SHUTDOWN_TIMEOUT": bad}[k] }); err == nil {
			t.Errorf("SHUTDOWN_TIMEOUT=%q accepted", bad)
		}
	}
}
