package handlers

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/14build/14build/views"
)

func errEOF() error { return io.EOF }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// render writes the partial for an HTMX request that is not boosted, the full page
// otherwise. Responses vary on HX-Request so caches keep the two apart.
func render(c echo.Context, status int, full, partial templ.Component) error {
	c.Response().Header().Add("Vary", "HX-Request")
	if partial != nil && isHTMX(c) && c.Request().Header.Get("HX-Boosted") != "true" {
		return renderStatus(c, status, partial)
	}
	return renderStatus(c, status, full)
}

func renderStatus(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

// page builds the layout's view model for the current request.
func (h *Handlers) page(c echo.Context, title string) views.Page {
	p := views.Page{Title: title, User: currentUser(c), Path: c.Request().URL.Path}
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
	if isHTMX(c) {
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
