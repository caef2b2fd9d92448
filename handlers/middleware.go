package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/14build/14build/store"
)

type ctxKey int

const loggerKey ctxKey = iota

// Logger returns the request's logger (carrying its request id), or fallback.
func Logger(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return fallback
}

// requestLog gives every request a logger with its request id and writes one line per
// request.
func (h *Handlers) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		rid := c.Response().Header().Get(echo.HeaderXRequestID)
		l := h.log.With("request_id", rid)
		req := c.Request()
		c.SetRequest(req.WithContext(context.WithValue(req.Context(), loggerKey, l)))
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		h.metrics.observe(req.Method, route, status, time.Since(start))
		attrs := []any{
			"method", req.Method, "path", req.URL.Path, "route", route, "status", status,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "ip", c.RealIP(),
		}
		if u := currentUser(c); u != nil {
			attrs = append(attrs, "user_id", u.ID)
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		l.Log(req.Context(), level, "request", attrs...)
		return nil
	}
}

func (h *Handlers) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				buf := make([]byte, 4<<10)
				buf = buf[:runtime.Stack(buf, false)]
				err = fmt.Errorf("panic: %v\n%s", r, buf)
			}
		}()
		return next(c)
	}
}

// crossOrigin refuses state-changing browser requests from other origins, using the
// browser's Sec-Fetch-Site / Origin headers (Go's CrossOriginProtection). Clients that send
// neither (curl, scripts with a bearer token) are not browsers and pass.
func (h *Handlers) crossOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := h.cop.Check(c.Request()); err != nil {
			return &appError{Status: http.StatusForbidden, Message: "This request came from another site and was refused."}
		}
		return next(c)
	}
}

const (
	userKey    = "user"
	sessionKey = "session"
	viaKey     = "auth_via"
)

// authenticate identifies the caller from a bearer token or the session cookie. It never
// refuses a request by itself (routes do), except for a bearer token that is not valid.
func (h *Handlers) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Path(), "/static") || c.Path() == "/healthz" || c.Path() == "/metrics" {
			return next(c)
		}
		req := c.Request()
		if auth := req.Header.Get("Authorization"); auth != "" {
			tok, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok || tok == "" {
				return &appError{Status: http.StatusUnauthorized, Message: "Authorization must be a bearer token."}
			}
			u, err := h.st.UserByToken(req.Context(), hashToken(strings.TrimSpace(tok)))
			if errors.Is(err, store.ErrNotFound) {
				return &appError{Status: http.StatusUnauthorized, Message: "That API token is not valid."}
			}
			if err != nil {
				return err
			}
			c.Set(userKey, &u)
			c.Set(viaKey, "token")
			return next(c)
		}
		sess, err := h.sessions.Get(req, sessionName)
		if err != nil {
			return err
		}
		c.Set(sessionKey, sess)
		if uid, ok := sess.Values["uid"].(string); ok {
			u, err := h.st.UserByID(req.Context(), uid)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			case u.Active:
				c.Set(userKey, &u)
				c.Set(viaKey, "session")
			}
		}
		return next(c)
	}
}

func currentUser(c echo.Context) *store.User {
	u, _ := c.Get(userKey).(*store.User)
	return u
}

func currentSession(c echo.Context) *sessions.Session {
	s, _ := c.Get(sessionKey).(*sessions.Session)
	return s
}

func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == "/api" || strings.HasPrefix(p, "/api/")
}

func isHTMX(c echo.Context) bool {
	return c.Request().Header.Get("HX-Request") == "true"
}
