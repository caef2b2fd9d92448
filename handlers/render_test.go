package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/store"
)

// renderApp serves handler at /x behind the server's own middleware and error handler,
// logging into log.
func renderApp(t *testing.T, log *bytes.Buffer, handler echo.HandlerFunc) *echo.Echo {
	t.Helper()
	h := New(store.New(testdb.New(t)), slog.New(slog.NewTextHandler(log, nil)), Config{Argon2: testArgon})
	e := h.Echo()
	e.GET("/x", handler)
	return e
}

func serve(e *echo.Echo, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// TestRenderFailureIsA500Page: a component that fails half-way has written nothing when the
// error reaches the handler: the answer is the 500 error page, without the partial output
// or the status the handler meant to send, and the error is logged.
func TestRenderFailureIsA500Page(t *testing.T) {
	t.Parallel()
	broken := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if _, err := io.WriteString(w, "<main>HALF-RENDERED"); err != nil {
			return err
		}
		return errors.New("template exploded")
	})
	var log bytes.Buffer
	e := renderApp(t, &log, func(c echo.Context) error { return renderStatus(c, http.StatusOK, broken) })

	rec := serve(e)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	body := rec.Body.String()
	if strings.Contains(body, "HALF-RENDERED") {
		t.Errorf("the partial render was sent:\n%s", body)
	}
	if !strings.Contains(body, "<html") || !strings.Contains(body, "500") {
		t.Errorf("want the 500 error page, got:\n%s", body)
	}
	if strings.Contains(body, "template exploded") {
		t.Error("the error's text was shown to the user")
	}
	if !strings.Contains(log.String(), "template exploded") {
		t.Errorf("the render error was not logged: %s", log.String())
	}

	// From HTMX the same failure is the error toast, still without the partial.
	rec = serve(e, "HX-Request", "true")
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "HALF-RENDERED") {
		t.Errorf("HTMX: status %d, body %s", rec.Code, rec.Body.String())
	}
}

// TestRenderChoosesPageOrFragment: the fragment for HTMX, the page for a boosted or plain
// request, both marked as varying on HX-Request.
func TestRenderChoosesPageOrFragment(t *testing.T) {
	t.Parallel()
	page := templ.Raw("<html>PAGE</html>")
	frag := templ.Raw("<div>FRAGMENT</div>")
	var log bytes.Buffer
	e := renderApp(t, &log, func(c echo.Context) error { return render(c, http.StatusAccepted, page, frag) })
	for _, tc := range []struct {
		hdr  []string
		want string
	}{
		{nil, "PAGE"},
		{[]string{"HX-Request", "true"}, "FRAGMENT"},
		{[]string{"HX-Request", "true", "HX-Boosted", "true"}, "PAGE"},
	} {
		rec := serve(e, tc.hdr...)
		if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%v: %d %q, want %d with %s", tc.hdr, rec.Code, rec.Body.String(), http.StatusAccepted, tc.want)
		}
		if v := rec.Header().Values("Vary"); len(v) != 1 || v[0] != "HX-Request" {
			t.Errorf("%v: Vary %q, want HX-Request once", tc.hdr, v)
		}
		if ct := rec.Header().Get("Content-Type"); ct != echo.MIMETextHTMLCharsetUTF8 {
			t.Errorf("Content-Type %q", ct)
		}
	}
}

// BenchmarkRenderStatus: a large page renders into a pooled buffer; allocations per
// request do not grow with the page.
func BenchmarkRenderStatus(b *testing.B) {
	row := strings.Repeat("<tr><td>item</td><td>1,000.00</td></tr>", 1)
	big := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		for range 50_000 {
			if _, err := io.WriteString(w, row); err != nil {
				return err
			}
		}
		return nil
	})
	e := echo.New()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), discardRecorder{rec})
		if err := renderStatus(c, http.StatusOK, big); err != nil {
			b.Fatal(err)
		}
	}
}

// discardRecorder keeps headers but drops the body, so the benchmark measures rendering.
type discardRecorder struct{ *httptest.ResponseRecorder }

func (d discardRecorder) Write(p []byte) (int, error) { return len(p), nil }
