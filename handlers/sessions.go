package handlers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/sessions"

	"github.com/14build/14build/store"
)

const sessionName = "14b_session"

// pgSessions is a gorilla/sessions Store that keeps sessions in Postgres. The cookie holds
// only a random id; its SHA-256 keys the row, so logging out or deactivating an account
// (deleting rows) ends the session everywhere.
type pgSessions struct {
	st     *store.Store
	ttl    time.Duration
	secure bool
}

var _ sessions.Store = (*pgSessions)(nil)

func (s *pgSessions) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

func (s *pgSessions) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	sess.Options = s.options(r)
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil || len(c.Value) != 43 {
		return sess, nil
	}
	row, err := s.st.LoadSession(r.Context(), hashToken(c.Value))
	if errors.Is(err, store.ErrNotFound) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	sess.ID = c.Value
	sess.IsNew = false
	for k, v := range row.Data {
		sess.Values[k] = v
	}
	if row.UserID != nil {
		sess.Values["uid"] = *row.UserID
	}
	if row.User != nil {
		// The account came with the session in one query; authenticate takes it from
		// here. A non-string key is never saved (sessionData skips it).
		sess.Values[sessionUserKey{}] = row.User
	}
	return sess, nil
}

// sessionUserKey holds, in a loaded session's values, the account of its user as read
// with the session.
type sessionUserKey struct{}

// Save stores a live session's values. It only ever updates an existing row: a request
// still in flight when a logout, password change or deactivation deleted its session must
// not bring it back. When the row is gone the cookie is cleared instead. New sessions are
// made by create (signing in) only.
func (s *pgSessions) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	if sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if err := s.st.DeleteSession(r.Context(), hashToken(sess.ID)); err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	if sess.ID == "" || sess.IsNew {
		// Nothing live to update: an anonymous visitor has no server-side session.
		return nil
	}
	uid, data := sessionData(sess)
	err := s.st.UpdateSession(r.Context(), hashToken(sess.ID), uid, data, time.Now().Add(s.ttl))
	if errors.Is(err, store.ErrNotFound) {
		s.clear(w, sess)
		return nil
	}
	if err != nil {
		return err
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), sess.ID, sess.Options))
	return nil
}

// create starts a new session row under a fresh id and sets its cookie.
func (s *pgSessions) create(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	sess.ID = newToken()
	uid, data := sessionData(sess)
	if err := s.st.CreateSession(r.Context(), hashToken(sess.ID), uid, data, time.Now().Add(s.ttl)); err != nil {
		return err
	}
	sess.IsNew = false
	http.SetCookie(w, sessions.NewCookie(sess.Name(), sess.ID, sess.Options))
	return nil
}

// clear expires the cookie of a session that no longer exists.
func (s *pgSessions) clear(w http.ResponseWriter, sess *sessions.Session) {
	opts := *sess.Options
	opts.MaxAge = -1
	http.SetCookie(w, sessions.NewCookie(sess.Name(), "", &opts))
	sess.ID = ""
	sess.IsNew = true
}

// sessionUser is the account of the session's user: the one read with the session, or
// (for a session whose user changed during this request) read now.
func sessionUser(ctx context.Context, st *store.Store, sess *sessions.Session, uid string) (store.User, error) {
	if u, ok := sess.Values[sessionUserKey{}].(*store.User); ok && u.ID == uid {
		return *u, nil
	}
	return st.UserByID(ctx, uid)
}

// sessionData splits a session's values into the user id (its own column) and the rest.
func sessionData(sess *sessions.Session) (*string, map[string]any) {
	var uid *string
	data := map[string]any{}
	for k, v := range sess.Values {
		ks, ok := k.(string)
		if !ok {
			continue
		}
		if ks == "uid" {
			if u, ok := v.(string); ok {
				uid = &u
			}
			continue
		}
		data[ks] = v
	}
	return uid, data
}

func (s *pgSessions) options(r *http.Request) *sessions.Options {
	return &sessions.Options{
		Path:     "/",
		MaxAge:   int(s.ttl.Seconds()),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   s.secure || r.TLS != nil,
	}
}

// newToken returns 256 random bits, URL-safe base64 (43 characters).
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}
