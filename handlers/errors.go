package handlers

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/labstack/echo/v4"
	"github.com/lib/pq"

	"github.com/14build/14build/escrow"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

// appError is an error meant for the user: a status, a sentence, and per-field messages.
type appError struct {
	Status  int
	Message string
	Fields  field.Errors
}

func (e *appError) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Message) }

func errNotFound() error {
	return &appError{Status: http.StatusNotFound, Message: "We couldn't find that. It may have been removed, or you may not have access to it."}
}

func errForbidden() error {
	return &appError{Status: http.StatusForbidden, Message: "Your role doesn't allow this."}
}

func errUnauthorized() error {
	return &appError{Status: http.StatusUnauthorized, Message: "Sign in to continue."}
}

// retryAfterUnavailable is the Retry-After (seconds) sent with a 503: the pool reconnects by
// itself, so a short wait is enough once PostgreSQL is back.
const retryAfterUnavailable = "5"

func errUnavailable() *appError {
	return &appError{Status: http.StatusServiceUnavailable, Message: "14Build cannot reach its database right now. Nothing was changed by this request; please try again in a moment."}
}

// dbUnavailable reports whether err means PostgreSQL could not be reached or dropped the
// connection (refused, reset, timed out, shutting down, not accepting connections), as
// opposed to a bug in a query. These become a 503 the client may retry, not a 500.
func dbUnavailable(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		code := string(pqErr.Code)
		switch {
		case strings.HasPrefix(code, "08"), // connection exception
			code == "57P01", code == "57P02", code == "57P03", // admin/crash shutdown, cannot connect now
			code == "53300": // too many connections
			return true
		}
		// A FATAL error ends the connection: e.g. the database does not accept connections.
		return pqErr.Severity == "FATAL" || pqErr.Severity == "PANIC"
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &opErr), errors.As(err, &dnsErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "sql: database is closed") ||
		strings.Contains(msg, "driver: bad connection")
}

func errInvalid(fields field.Errors) error {
	return &appError{Status: http.StatusBadRequest, Message: "Some fields need attention.", Fields: fields}
}

// handleError is the one error handler: it logs the real error with the request id and
// shows a safe message — JSON under /api, a toast for HTMX, a page otherwise.
func (h *Handlers) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ae := h.toAppError(err)
	// On the request's one log line (requestLog writes it, at error level for a 5xx).
	if ae.Status >= 500 {
		logAttrs(c, "err", err.Error())
	} else if ae.Status != http.StatusNotFound {
		logAttrs(c, "reason", ae.Message)
	}
	c.Response().Header().Set("Vary", "HX-Request")
	if ae.Status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", retryAfterUnavailable)
	}
	var rerr error
	switch {
	case isAPI(c):
		body := map[string]any{"error": ae.Message}
		if len(ae.Fields) > 0 {
			body["fields"] = ae.Fields
		}
		rerr = c.JSON(ae.Status, body)
	case c.Path() == paths.NameEvents.Pattern():
		// An EventSource neither follows a sign-in redirect nor shows a page: the status.
		rerr = c.String(ae.Status, ae.Message)
	case c.Request().Method == http.MethodGet && ae.Status == http.StatusUnauthorized && !hxRequest(c).Enabled:
		rerr = c.Redirect(http.StatusSeeOther, paths.LoginNext(c.Request().URL.RequestURI()))
	case hxRequest(c).Enabled:
		c.Response().Header().Set("HX-Retarget", "#toasts")
		c.Response().Header().Set("HX-Reswap", "beforeend")
		rerr = renderStatus(c, ae.Status, views.Toast("error", ae.Message))
	default:
		rerr = renderStatus(c, ae.Status, views.ErrorPage(h.page(c, "Error"), ae.Status, ae.Message))
	}
	if rerr != nil {
		logAttrs(c, "response_err", rerr.Error())
		// The error page itself failed to render (nothing was written): plain text still
		// says what happened rather than an empty 200.
		if !c.Response().Committed {
			_ = c.String(ae.Status, http.StatusText(ae.Status))
		}
	}
}

func (h *Handlers) toAppError(err error) *appError {
	var ae *appError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound().(*appError)
	}
	var se *escrow.StateError // a milestone or escrow in the wrong state (issue 14)
	if errors.As(err, &se) {
		return &appError{Status: http.StatusConflict, Message: se.Message}
	}
	if dbUnavailable(err) {
		return errUnavailable()
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return &appError{Status: he.Code, Message: "There is no page at this address."}
		case http.StatusMethodNotAllowed:
			return &appError{Status: he.Code, Message: "That method is not allowed here."}
		case http.StatusRequestEntityTooLarge:
			return &appError{Status: he.Code, Message: "The request is too large."}
		case http.StatusUnsupportedMediaType:
			return &appError{Status: he.Code, Message: "Send the body as JSON (Content-Type: application/json)."}
		}
		if he.Code < 500 {
			return &appError{Status: he.Code, Message: http.StatusText(he.Code) + "."}
		}
	}
	return &appError{Status: http.StatusInternalServerError, Message: "Something went wrong on our side. It has been logged; please try again."}
}

// decodeJSON reads a JSON body strictly: one object, no unknown fields, bounded size.
// Problems come back as a 400 naming the field.
func decodeJSON(c echo.Context, dst any) error {
	req := c.Request()
	if ct := req.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &appError{Status: http.StatusUnsupportedMediaType, Message: "Send the body as JSON (Content-Type: application/json)."}
	}
	dec := json.NewDecoder(req.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &appError{Status: http.StatusBadRequest, Message: "The body must hold a single JSON object."}
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &appError{Status: http.StatusRequestEntityTooLarge, Message: "The request is too large."}
	case errors.As(err, &syn):
		return &appError{Status: http.StatusBadRequest, Message: fmt.Sprintf("The body is not valid JSON (at byte %d).", syn.Offset)}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return &appError{Status: http.StatusBadRequest, Message: "The body must be a JSON object."}
		}
		return &appError{Status: http.StatusBadRequest, Message: "Some fields have the wrong type.",
			Fields: map[string]string{field: "must be " + jsonKind(typ.Type.Kind().String())}}
	case errors.Is(err, errEOF()):
		return &appError{Status: http.StatusBadRequest, Message: "The body is empty; send a JSON object."}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &appError{Status: http.StatusBadRequest, Message: "The body has a field we don't know.",
			Fields: map[string]string{name: "unknown field"}}
	case strings.Contains(err.Error(), "unexpected EOF"):
		return &appError{Status: http.StatusBadRequest, Message: "The body is not valid JSON (it ends too early)."}
	}
	return &appError{Status: http.StatusBadRequest, Message: "The body could not be read as JSON."}
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int64", "int32", "uint", "uint64":
		return "a whole number"
	case "float64", "float32":
		return "a number"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	}
	return "of another type"
}
