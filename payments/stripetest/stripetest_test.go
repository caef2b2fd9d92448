package stripetest

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

func get(t *testing.T, url string) (*http.Response, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+SecretKey)
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
	}
	return res, err
}

// Two tests at once share one stripe-mock but not their proxies; it stops after the last.
func TestStartSharesAndStops(t *testing.T) {
	var (
		mu     sync.Mutex
		direct string
	)
	t.Run("group", func(t *testing.T) {
		for _, name := range []string{"a", "b"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				m := Start(t)
				mu.Lock()
				if direct != "" && m.Direct != direct {
					t.Errorf("two stripe-mocks: %s, %s", direct, m.Direct)
				}
				direct = m.Direct
				mu.Unlock()
				if res, err := get(t, m.APIBase+"/v1/balance"); err != nil || res.StatusCode != 200 {
					t.Fatalf("%v %v", res, err)
				}
				if m.Count() != 1 || m.Count("GET /v1/balance") != 1 || m.Count("GET", "/v1/balance") != 1 || m.Count("POST /v1/balance") != 0 {
					t.Fatalf("counts %+v", m.Proxy.Requests())
				}
				m.Proxy.Fail(503)
				if res, err := get(t, m.APIBase+"/v1/balance"); err != nil || res.StatusCode != 503 {
					t.Fatalf("fail: %v %v", res, err)
				}
				m.Down()
				if _, err := get(t, m.APIBase+"/v1/balance"); err == nil {
					t.Fatal("down: answered")
				}
				m.Up()
				if res, err := get(t, m.APIBase+"/v1/balance"); err != nil || res.StatusCode != 200 {
					t.Fatalf("up: %v %v", res, err)
				}
				if m.Count() != 2 || m.Proxy.Refused() != 2 {
					t.Fatalf("count %d refused %d", m.Count(), m.Proxy.Refused())
				}
			})
		}
	})
	if direct == "" {
		t.Fatal("no stripe-mock")
	}
	if _, err := get(t, direct+"/v1/balance"); err == nil {
		t.Fatal("stripe-mock still answers after the last test ended")
	}
}

func TestBinary(t *testing.T) {
	p, err := Binary()
	if err != nil || !strings.HasSuffix(p, "stripe-mock") {
		t.Fatalf("%q %v", p, err)
	}
}
