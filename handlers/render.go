package handlers

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/14build/14build/views"
)

func errEOF() error { return io.EOF }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// htmxRequest is what HTMX says about a request, read from its headers once per request
// (pagoda's htmx.Request). Handlers ask it through wantsFragment and redirect, never the
// headers themselves.
type htmxRequest struct {
	Enabled bool   // HX-Request: the request came from HTMX
	Boosted bool   // HX-Boosted: a boosted link or form, which swaps the whole body
	Target  string // HX-Target: the id of the element being swapped
	Trigger string // HX-Trigger: the id of the element that fired
}

const htmxKey = "htmx"

// hxRequest parses the request's HTMX headers, once.
func hxRequest(c echo.Context) htmxRequest {
	if r, ok := c.Get(htmxKey).(htmxRequest); ok {
		return r
	}
	h := c.Request().Header
	r := htmxRequest{
		Enabled: h.Get("HX-Request") == "true",
		Boosted: h.Get("HX-Boosted") == "true",
		Target:  h.Get("HX-Target"),
		Trigger: h.Get("HX-Trigger"),
	}
	c.Set(htmxKey, r)
	return r
}

// wantsFragment is the one place that decides page or fragment: a fragment for an HTMX
// request that is not boosted, the whole page (or, after a form post without JavaScript, a
// redirect to one) otherwise. Asking marks the response as varying on HX-Request, so caches
// keep the two apart.
func wantsFragment(c echo.Context) bool {
	if c.Get(varyKey) == nil {
		c.Response().Header().Add("Vary", "HX-Request")
		c.Set(varyKey, true)
	}
	r := hxRequest(c)
	return r.Enabled && !r.Boosted
}

const varyKey = "vary-hx"

// render writes partial when wantsFragment, the full page otherwise (and when there is no
// partial).
func render(c echo.Context, status int, full, partial templ.Component) error {
	if wantsFragment(c) && partial != nil {
		return renderStatus(c, status, partial)
	}
	return renderStatus(c, status, full)
}

// renderBuffers hold rendered pages until they are complete. Pooled, so a large page (an
// SOQ sheet of thousands of rows, megabytes of HTML) reuses its buffer rather than growing a
// new one per request.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer kept for reuse; rarer, larger pages give theirs
// back to the garbage collector instead of pinning the memory.
const maxPooledBuffer = 16 << 20

// renderStatus renders comp into a buffer and only then writes the status and the body, in
// one write. A component that fails half-way has written nothing yet, so its error goes to
// handleError: logged, and answered with the 500 page instead of half a page with this
// status.
func renderStatus(c echo.Context, status int, comp templ.Component) error {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			renderBuffers.Put(buf)
		}
	}()
	buf.Reset()
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return fmt.Errorf("rendering %T: %w", comp, err)
	}
	hdr := c.Response().Header()
	hdr.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	// The length is known now, so the body goes out whole rather than chunked.
	hdr.Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(buf.Bytes())
	return err
}

// page builds the layout's view model for the current request.
func (h *Handlers) page(c echo.Context, title string) views.Page {
	u := currentUser(c)
	p := views.Page{Title: title, User: u, Path: c.Request().URL.Path, Can: capabilities(u)}
	if currentProject(c) != nil {
		p.InProject = projectCapabilities(u, currentMembership(c))
	}
	if s := currentSession(c); s != nil {
		if f, ok := s.Values["flash"].(string); ok && f != "" {
			p.Flash = f
			delete(s.Values, "flash")
			_ = s.Save(c.Request(), c.Response())
		}
	}
	return p
}

// flash stores a one-time message shown on the next page. It needs a signed-in session:
// the request's user, or the one startSession just signed in (registration, invitations).
func (h *Handlers) flash(c echo.Context, msg string) {
	if s := currentSession(c); s != nil && (currentUser(c) != nil || s.Values["uid"] != nil) {
		s.Values["flash"] = msg
		if err := s.Save(c.Request(), c.Response()); err != nil {
			Logger(c.Request().Context(), h.log).Warn("saving flash", "err", err.Error())
		}
	}
}

// redirect answers a form post: an HX-Redirect for HTMX, a 303 otherwise.
func redirect(c echo.Context, to string) error {
	if hxRequest(c).Enabled {
		c.Response().Header().Set("HX-Redirect", to)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// sameSitePath returns next when it is a path on this site, "/" otherwise. Browsers strip
// tabs and newlines from URLs and treat "\" as "/", so "/\t/evil.test" or "/\\evil.test"
// become "//evil.test", another site: any control character, whitespace or backslash
// anywhere (raw or percent-decoded in the path) is refused, as is anything with a scheme or
// host, or a path whose second character could start a host.
func sameSitePath(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' || !cleanURLText(next) {
		return "/"
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	if !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || !cleanURLText(u.Path) {
		return "/"
	}
	return next
}

// cleanURLText refuses what a browser would strip or reinterpret in a URL.
func cleanURLText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\\' || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}
