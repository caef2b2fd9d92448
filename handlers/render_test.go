package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/paths"
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
		if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
			t.Errorf("Content-Length %s for a body of %d bytes", cl, rec.Body.Len())
		}
	}
}

// BenchmarkRenderStatus: a 2 MB page (about a 5,000-item sheet) renders into a pooled
// buffer, so its bytes are not allocated again per request; "fresh-buffer" is the same
// without the pool, for comparison.
func BenchmarkRenderStatus(b *testing.B) {
	const row = "<tr><td>item</td><td>1,000.00</td></tr>"
	big := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		for range 50_000 {
			if _, err := io.WriteString(w, row); err != nil {
				return err
			}
		}
		return nil
	})
	e := echo.New()
	b.Run("pooled", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), discardRecorder{httptest.NewRecorder()})
			if err := renderStatus(c, http.StatusOK, big); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fresh-buffer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w := discardRecorder{httptest.NewRecorder()}
			var buf bytes.Buffer
			if err := big.Render(context.Background(), &buf); err != nil {
				b.Fatal(err)
			}
			_, _ = w.Write(buf.Bytes())
		}
	})
}

// discardRecorder keeps headers but drops the body, so the benchmark measures rendering.
type discardRecorder struct{ *httptest.ResponseRecorder }

func (d discardRecorder) Write(p []byte) (int, error) { return len(p), nil }

// TestFragmentOnlyRouteRedirectsPages: the import's polled progress is a fragment for HTMX;
// opened as a page it sends the browser to the import's own page.
func TestFragmentOnlyRouteRedirectsPages(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	id := f.uploadOK(t, "bill.csv", csvBytes([][]string{{"Section", "Ref", "Description", "Unit", "Qty", "Rate"}, {"A", "A1", "X", "nr", "1", "1"}}))
	progress := paths.ImportProgress(f.p.ID, f.soqID, id)

	res := f.c.get(progress)
	if want := paths.Import(f.p.ID, f.soqID, id); res.Code != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Errorf("page: %d to %q, want 303 to %s", res.Code, res.Header.Get("Location"), want)
	}
	res = f.c.get(progress, "HX-Request", "true")
	if res.Code != http.StatusOK || strings.Contains(res.Body, "<html") || !strings.Contains(res.Body, `id="import-status"`) {
		t.Errorf("fragment: %d %.300s", res.Code, res.Body)
	}
	for _, r := range []response{res, f.c.get(progress)} {
		if v := r.Header.Values("Vary"); !slices.Contains(v, "HX-Request") {
			t.Errorf("Vary %q, want HX-Request", v)
		}
	}
}
