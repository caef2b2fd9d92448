package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/14build/14build/field"
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
		if extra, ok := c.Get(logAttrsKey).([]any); ok {
			attrs = append(attrs, extra...)
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		l.Log(req.Context(), level, "request", attrs...)
		return nil
	}
}

// logAttrsKey holds attributes for the request's log line.
const logAttrsKey = "log_attrs"

// logAttrs adds key-value pairs to the request's one log line (the error handler's reason
// or error): a second line per request would split what happened to it.
func logAttrs(c echo.Context, kv ...any) {
	prev, _ := c.Get(logAttrsKey).([]any)
	c.Set(logAttrsKey, append(prev, kv...))
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
			u, err := sessionUser(req.Context(), h.st, sess, uid)
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

// paramKind is what a path parameter must look like. Ids are checked in one place
// (checkIDs, from the guard), so a malformed one is a 404 before any query sees it.
type paramKind int

const (
	paramText paramKind = iota // any text, checked for valid UTF-8 without NUL
	paramUUID
	paramInt // a positive int64 (bigserial ids)
	paramUnknown
)

// paramKinds classifies every path parameter name of the route table; the route walker test
// fails on a name missing here so that a new kind of id is classified on purpose.
var paramKinds = map[string]paramKind{
	"soqId": paramUUID, "sectionId": paramUUID, "itemId": paramUUID, "unitId": paramUUID,
	"userId": paramUUID, "uid": paramUUID, "importId": paramUUID, "tenderId": paramUUID,
	"bidId": paramUUID, "qid": paramUUID, "contractId": paramUUID,
	"milestoneId": paramUUID, "escrowId": paramUUID, "packageId": paramUUID, "mailId": paramInt,
	"bidPdf":  paramText, // "{bidId}.pdf": the handler checks the id
	"tokenId": paramInt, "invId": paramInt, "number": paramInt,
	"token": paramText, "field": paramText, "*": paramText,
}

// kindOfParam looks a route's parameter up. ":id" is a project (uuid) under /projects and
// /api/projects; elsewhere it could be anything, so it must be listed by route.
func kindOfParam(route, name string) paramKind {
	if name == "id" {
		if strings.HasPrefix(route, "/projects/:id") || strings.HasPrefix(route, "/api/projects/:id") {
			return paramUUID
		}
		return paramUnknown
	}
	if k, ok := paramKinds[name]; ok {
		return k
	}
	return paramUnknown
}

// validUUID accepts the canonical 8-4-4-4-12 hex form, the only one 14Build emits.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// checkIDs answers 404 for a path id that is not of its kind: such an id can name no row,
// and PostgreSQL would refuse it as "invalid input syntax" (a 500). The guard calls it once
// it knows the caller, so anonymous visitors are still sent to sign in first.
func checkIDs(c echo.Context) error {
	names, values := c.ParamNames(), c.ParamValues()
	for i, name := range names {
		if i >= len(values) {
			break
		}
		switch kindOfParam(c.Path(), name) {
		case paramUUID:
			if !validUUID(values[i]) {
				return errNotFound()
			}
		case paramInt:
			if !validID(values[i]) {
				return errNotFound()
			}
		}
	}
	return nil
}

func validID(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n > 0 && strconv.FormatInt(n, 10) == s
}

// badText reports text PostgreSQL cannot store: invalid UTF-8, or a NUL character.
func badText(s string) bool { return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 }

// fieldName makes a hostile parameter name printable for the error message.
func fieldName(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")
	if len(s) > 100 {
		s = s[:100]
	}
	return strings.ToValidUTF8(s, "")
}

const (
	msgBadText = "contains invalid characters"
	// maxCheckedBody bounds what checkInput reads of the routes that set their own larger
	// limit (whole SOQs, uploads); those handlers still apply their exact limit.
	maxCheckedBody = 24 << 20
	// memSpool is how much of a multipart body is kept in memory; beyond it spills to a
	// temporary file so an upload is not held twice in memory.
	memSpool = 1 << 20
)

// checkInput is the one place text input is checked before any handler sees it: path
// parameters, the query, form fields (urlencoded and multipart text parts; not files) and
// every JSON string and key. Invalid UTF-8 or NUL is a 400 naming the field (path ids are
// checkIDs'). It runs after routing (e.Use), so the route's parameters are known.
func (h *Handlers) checkInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		errs := field.Errors{}
		names, values := c.ParamNames(), c.ParamValues()
		for i, name := range names {
			if i >= len(values) {
				break
			}
			// Ids are the guard's (checkIDs): after it has refused an anonymous caller.
			if k := kindOfParam(c.Path(), name); k != paramUUID && k != paramInt && badText(values[i]) {
				errs.Add(fieldName(name), msgBadText)
			}
		}
		for k, vs := range c.QueryParams() {
			checkValues(errs, k, vs)
		}
		req := c.Request()
		if req.Body != nil && req.Body != http.NoBody && req.ContentLength != 0 {
			cleanup, err := checkBody(c, errs)
			if cleanup != nil {
				defer cleanup()
			}
			if err != nil {
				return err
			}
		}
		if len(errs) > 0 {
			// Pages show only the message, so it names the fields too.
			names := make([]string, 0, len(errs))
			for k := range errs {
				names = append(names, k)
			}
			sort.Strings(names)
			return &appError{Status: http.StatusBadRequest, Fields: errs,
				Message: "Some fields contain characters we cannot accept (invalid UTF-8 or NUL): " + strings.Join(names, ", ") + "."}
		}
		return next(c)
	}
}

func checkValues(errs field.Errors, k string, vs []string) {
	if badText(k) {
		errs.Add(fieldName(k), msgBadText)
		return
	}
	for _, v := range vs {
		if badText(v) {
			errs.Add(k, msgBadText)
			return
		}
	}
}

// checkBody reads the body once (bounded), checks its text, and puts it back for the
// handler. A body that does not parse is left to the handler, which explains the problem.
func checkBody(c echo.Context, errs field.Errors) (cleanup func(), err error) {
	req := c.Request()
	mt, params, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	switch {
	case mt == echo.MIMEMultipartForm:
		return checkMultipart(req, params["boundary"], errs)
	case mt == echo.MIMEApplicationForm, mt == echo.MIMEApplicationJSON, mt == "" && isAPI(c):
	default:
		return nil, nil
	}
	b, err := readBody(req.Body, req.ContentLength)
	req.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return nil, err // the body limit's 413, or a broken connection
	}
	if len(b) > maxCheckedBody {
		return nil, &appError{Status: http.StatusRequestEntityTooLarge, Message: "The request is too large."}
	}
	if mt == echo.MIMEApplicationForm {
		vals, _ := url.ParseQuery(string(b))
		for k, vs := range vals {
			checkValues(errs, k, vs)
		}
		return nil, nil
	}
	checkJSON(b, errs)
	return nil, nil
}

// readBody reads a body whole, up to maxCheckedBody+1 bytes, into a buffer sized from its
// declared length (io.ReadAll grows one from 512 bytes by doubling, which was most of the
// bytes allocated for a large form). The declared length is the client's word, so it only
// sizes the buffer up to 1 MB; past that the buffer grows as it reads.
func readBody(r io.Reader, declared int64) ([]byte, error) {
	size := int64(bytes.MinRead)
	if declared > 0 {
		size = min(declared, 1<<20) + bytes.MinRead // room to read the end without growing
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(io.LimitReader(r, maxCheckedBody+1))
	return buf.Bytes(), err
}

// checkMultipart checks the text parts of a multipart form; file parts pass unread. The body
// is spooled (memory, then a temporary file) and handed back to the handler unchanged.
func checkMultipart(req *http.Request, boundary string, errs field.Errors) (func(), error) {
	sp := &spool{}
	mr := multipart.NewReader(io.TeeReader(io.LimitReader(req.Body, maxCheckedBody+1), sp), boundary)
	for boundary != "" {
		part, err := mr.NextRawPart()
		if err != nil {
			break // the end, or a malformed form the handler will refuse
		}
		if part.FileName() == "" {
			v, _ := io.ReadAll(io.LimitReader(part, 1<<20))
			checkValues(errs, part.FormName(), []string{string(v)})
		} else {
			// A file's name is text that is stored; its bytes are the handler's to judge.
			checkValues(errs, part.FormName(), []string{part.FileName()})
		}
		_ = part.Close()
	}
	// Whatever the parser did not need still belongs to the handler.
	_, err := io.Copy(sp, io.LimitReader(req.Body, maxCheckedBody+1-sp.n))
	if err != nil {
		sp.close()
		return nil, err
	}
	if sp.n > maxCheckedBody {
		sp.close()
		return nil, &appError{Status: http.StatusRequestEntityTooLarge, Message: "The request is too large."}
	}
	body, err := sp.reader()
	if err != nil {
		sp.close()
		return nil, err
	}
	req.Body = body
	return sp.close, nil
}

type spool struct {
	buf bytes.Buffer
	f   *os.File
	n   int64
}

func (s *spool) Write(p []byte) (int, error) {
	s.n += int64(len(p))
	if s.f == nil && s.buf.Len()+len(p) <= memSpool {
		return s.buf.Write(p)
	}
	if s.f == nil {
		f, err := os.CreateTemp("", "14build-body-*")
		if err != nil {
			return 0, err
		}
		s.f = f
		if _, err := f.Write(s.buf.Bytes()); err != nil {
			return 0, err
		}
		s.buf = bytes.Buffer{}
	}
	return s.f.Write(p)
}

func (s *spool) reader() (io.ReadCloser, error) {
	if s.f == nil {
		return io.NopCloser(bytes.NewReader(s.buf.Bytes())), nil
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.NopCloser(s.f), nil
}

func (s *spool) close() {
	if s.f != nil {
		_ = s.f.Close()
		_ = os.Remove(s.f.Name())
	}
}

// checkJSON walks a JSON document token by token (nothing is built), adding a field error
// for the first key or string value that holds NUL or invalid UTF-8, named by its path
// (units[2].unitNumber). encoding/json would silently turn invalid UTF-8 into U+FFFD, so
// the raw bytes are checked too and the offending token found by its offset.
func checkJSON(body []byte, errs field.Errors) {
	// Fast path: a NUL can only arrive as the escape \u0000 (a raw one is not JSON), so
	// valid UTF-8 without that escape needs no walk (a 2 MB SOQ: 1 ms instead of 150).
	if utf8.Valid(body) && !bytes.Contains(body, []byte(`\u0000`)) && bytes.IndexByte(body, 0) < 0 {
		return
	}
	bad := int64(-1)
	if !utf8.Valid(body) {
		for i := 0; i < len(body); {
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size <= 1 {
				bad = int64(i)
				break
			}
			i += size
		}
	}
	type frame struct {
		obj     bool
		wantKey bool
		key     string
		idx     int
	}
	var stack []frame
	path := func(extraKey string) string {
		var b strings.Builder
		for i, f := range stack {
			k := f.key
			if i == len(stack)-1 && extraKey != "" {
				k = extraKey
			}
			switch {
			case f.obj && b.Len() > 0:
				b.WriteString("." + k)
			case f.obj:
				b.WriteString(k)
			default:
				b.WriteString("[" + strconv.Itoa(f.idx) + "]")
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	// valueDone advances the parent after a whole value (scalar or container).
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].obj {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].idx++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return
		}
		end := dec.InputOffset()
		hit := bad >= start && bad < end
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			key, _ := tok.(string)
			if hit || badText(key) {
				errs.Add(fieldName(path(key)), msgBadText)
				return
			}
			stack[n-1].key, stack[n-1].wantKey = key, false
			continue
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{obj: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			case ']':
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if hit || badText(t) {
				errs.Add(fieldName(path("")), msgBadText)
				return
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// privateResponses keeps signed-in pages and API answers out of shared and browser caches
// (a back button after sign-out must not show them), and sends HSTS when the public address
// is https. Static assets keep their long cache headers.
func (h *Handlers) privateResponses(next echo.HandlerFunc) echo.HandlerFunc {
	hsts := strings.HasPrefix(h.cfg.BaseURL, "https://")
	return func(c echo.Context) error {
		hdr := c.Response().Header()
		if hsts {
			hdr.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		if !strings.HasPrefix(c.Path(), "/static/") && (isAPI(c) || currentUser(c) != nil) {
			hdr.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}
