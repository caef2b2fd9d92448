package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/14build/14build/authz"
)

func TestRegisterLoginLogout(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.client()
	res := c.do("POST", "/api/auth/register", map[string]any{"name": "Olive Owner", "email": "olive@example.com",
		"password": "long enough pw", "role": "owner", "entity": "Olive Homes", "category": ""})
	if res.Code != http.StatusCreated {
		t.Fatalf("register: %d %s", res.Code, res.Body)
	}
	u := res.JSON(t)["user"].(map[string]any)
	if u["role"] != "owner" || u["entity"].(map[string]any)["name"] != "Olive Homes" || u["email"] != "olive@example.com" {
		t.Errorf("user = %v", u)
	}
	if _, ok := u["category"]; !ok {
		t.Error("user JSON must carry category (null when none)")
	}
	// Registered means signed in.
	if res := c.get("/api/me"); res.Code != 200 || !strings.Contains(res.Body, "olive@example.com") {
		t.Fatalf("me after register: %d %s", res.Code, res.Body)
	}
	// Log out: the old cookie must be dead even if replayed.
	var old []*http.Cookie
	old = c.hc.Jar.Cookies(mustURL(a.srv.URL))
	if res := c.do("POST", "/api/auth/logout", nil); res.Code != http.StatusNoContent {
		t.Fatalf("logout: %d", res.Code)
	}
	replay := a.client()
	replay.hc.Jar.SetCookies(mustURL(a.srv.URL), old)
	if res := replay.get("/api/me"); res.Code != http.StatusUnauthorized {
		t.Fatalf("old session cookie after logout: %d, want 401", res.Code)
	}
	// Log in again; the session id is new.
	res = c.do("POST", "/api/auth/login", map[string]any{"email": "OLIVE@example.com", "password": "long enough pw"})
	if res.Code != 200 {
		t.Fatalf("login: %d %s", res.Code, res.Body)
	}
	now := c.hc.Jar.Cookies(mustURL(a.srv.URL))
	if len(now) != 1 || len(old) != 1 || now[0].Value == old[0].Value {
		t.Errorf("session id not renewed at login")
	}
	setCookie := res.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("cookie %q lacks %s", setCookie, want)
		}
	}
	if strings.Contains(setCookie, "Secure") {
		t.Errorf("cookie over plain HTTP must not be Secure: %q", setCookie)
	}
}

func TestSecureCookieBehindHTTPS(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, func(c *Config) { c.SecureCookies = true })
	a.user(authz.RoleOwner, "o@example.com")
	res := a.client().do("POST", "/api/auth/login", map[string]any{"email": "o@example.com", "password": testPassword})
	if !strings.Contains(res.Header.Get("Set-Cookie"), "Secure") {
		t.Errorf("cookie not Secure: %q", res.Header.Get("Set-Cookie"))
	}
}

func TestLoginSameMessageForUnknownEmailAndWrongPassword(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleOwner, "known@example.com")
	r1 := a.client().do("POST", "/api/auth/login", map[string]any{"email": "known@example.com", "password": "wrong password"})
	r2 := a.client().do("POST", "/api/auth/login", map[string]any{"email": "nobody@example.com", "password": "wrong password"})
	if r1.Code != 401 || r2.Code != 401 {
		t.Fatalf("codes %d %d, want 401", r1.Code, r2.Code)
	}
	if r1.JSON(t)["error"] != r2.JSON(t)["error"] {
		t.Errorf("messages differ: %q vs %q", r1.Body, r2.Body)
	}
}

func TestLoginRateLimitPerAccountAndIP(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, func(c *Config) { c.LoginLimit = 3; c.LoginLimitIP = 5 })
	a.user(authz.RoleOwner, "victim@example.com")
	c := a.client()
	for i := 0; i < 3; i++ {
		if res := c.do("POST", "/api/auth/login", map[string]any{"email": "victim@example.com", "password": "guess " + string(rune('a'+i))}); res.Code != 401 {
			t.Fatalf("attempt %d: %d", i, res.Code)
		}
	}
	// The account is now locked for a while, even with the right password.
	res := c.do("POST", "/api/auth/login", map[string]any{"email": "victim@example.com", "password": testPassword})
	if res.Code != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("after limit: %d %s (Retry-After %q)", res.Code, res.Body, res.Header.Get("Retry-After"))
	}
	// Per address: two more failures on other accounts exhaust the address's budget of 5.
	for _, e := range []string{"x@example.com", "y@example.com"} {
		if res := c.do("POST", "/api/auth/login", map[string]any{"email": e, "password": "nope nope"}); res.Code != 401 {
			t.Fatalf("%s: %d", e, res.Code)
		}
	}
	a.user(authz.RoleOwner, "other@example.com")
	if res := c.do("POST", "/api/auth/login", map[string]any{"email": "other@example.com", "password": testPassword}); res.Code != http.StatusTooManyRequests {
		t.Fatalf("address limit: %d", res.Code)
	}
	// The window passes.
	a.h.limiter.now = func() time.Time { return time.Now().Add(16 * time.Minute) }
	if res := c.do("POST", "/api/auth/login", map[string]any{"email": "victim@example.com", "password": testPassword}); res.Code != 200 {
		t.Fatalf("after the window: %d %s", res.Code, res.Body)
	}
}

func TestLoginIgnoresSpoofedForwardedFor(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, func(c *Config) { c.LoginLimit = 100; c.LoginLimitIP = 2 })
	c := a.client()
	for i := 0; i < 2; i++ {
		c.headers.Set("X-Forwarded-For", "10.0.0."+string(rune('1'+i)))
		c.do("POST", "/api/auth/login", map[string]any{"email": "n@example.com", "password": "nope nope"})
	}
	c.headers.Set("X-Forwarded-For", "10.0.0.9")
	if res := c.do("POST", "/api/auth/login", map[string]any{"email": "n@example.com", "password": "nope nope"}); res.Code != 429 {
		t.Fatalf("a forged X-Forwarded-For escaped the limit: %d", res.Code)
	}
}

func TestPageLoginAndLogout(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleOwner, "p@example.com")
	c := a.client()
	if res := c.get("/"); res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous dashboard: %d %s", res.Code, res.Header.Get("Location"))
	}
	res := c.form("/login", url.Values{"email": {"p@example.com"}, "password": {"bad password"}})
	if res.Code != http.StatusUnauthorized || !strings.Contains(res.Body, "Email or password is incorrect.") {
		t.Fatalf("bad login page: %d", res.Code)
	}
	if v, _ := res.Doc(t).Find("#email").Attr("value"); v != "p@example.com" {
		t.Errorf("email not kept: %q", v)
	}
	res = c.form("/login", url.Values{"email": {"p@example.com"}, "password": {testPassword}, "next": {"/projects"}})
	if res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/projects" {
		t.Fatalf("login: %d %s", res.Code, res.Header.Get("Location"))
	}
	if res := c.get("/"); res.Code != 200 {
		t.Fatalf("dashboard: %d", res.Code)
	}
	// An open redirect is refused.
	res = a.client().form("/login", url.Values{"email": {"p@example.com"}, "password": {testPassword}, "next": {"//evil.example"}})
	if res.Header.Get("Location") != "/" {
		t.Errorf("next=//evil.example redirected to %q", res.Header.Get("Location"))
	}
	if res := c.form("/logout", nil); res.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.Code)
	}
	if res := c.get("/"); res.Code != http.StatusSeeOther {
		t.Fatalf("after logout: %d", res.Code)
	}
}

func TestRegisterPageValidation(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.client()
	res := c.form("/register", url.Values{"name": {"Bo"}, "email": {"not-an-email"}, "password": {"short"}, "role": {"bidder"}, "entity": {"Bo's Bricks"}})
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("code %d", res.Code)
	}
	d := res.Doc(t)
	for _, f := range []string{"email", "password", "category"} {
		if d.Find("#err-"+f).Length() != 1 {
			t.Errorf("no message for %s", f)
		}
	}
	if v, _ := d.Find("#entity").Attr("value"); v != "Bo's Bricks" {
		t.Errorf("entity not kept: %q", v)
	}
	if n := a.count(`SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d users written", n)
	}
	// Administrator and in-house are not self-service roles.
	res = c.do("POST", "/api/auth/register", map[string]any{"name": "Eve", "email": "eve@example.com", "password": "long enough pw", "role": "admin", "entity": "X"})
	if res.Code != 400 || res.JSON(t)["fields"].(map[string]any)["role"] == nil {
		t.Fatalf("register as admin: %d %s", res.Code, res.Body)
	}
}

func TestDeactivationEndsSessionsAndTokens(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleAdmin, "admin@example.com")
	u := a.user(authz.RoleOwner, "o@example.com")
	s1, s2 := a.login("o@example.com"), a.login("o@example.com")
	admin := a.login("admin@example.com")
	if res := admin.do("DELETE", "/api/users/"+u.ID, nil); res.Code != http.StatusNoContent {
		t.Fatalf("deactivate: %d %s", res.Code, res.Body)
	}
	for i, c := range []*client{s1, s2} {
		if res := c.get("/api/me"); res.Code != 401 {
			t.Errorf("session %d after deactivation: %d", i, res.Code)
		}
	}
	if res := a.client().do("POST", "/api/auth/login", map[string]any{"email": "o@example.com", "password": testPassword}); res.Code != 401 {
		t.Errorf("deactivated login: %d", res.Code)
	}
	if n := a.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, u.ID); n != 0 {
		t.Errorf("%d sessions left", n)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleOwner, "o@example.com")
	c := a.login("o@example.com")
	body := map[string]any{"name": "X", "code": "X1", "budget": map[string]any{"amount": 1, "currency": "usd"}}
	// A browser posting from another site.
	c.headers.Set("Sec-Fetch-Site", "cross-site")
	if res := c.do("POST", "/api/projects", body); res.Code != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d %s", res.Code, res.Body)
	}
	c.headers.Del("Sec-Fetch-Site")
	c.headers.Set("Origin", "https://evil.example")
	if res := c.form("/projects", url.Values{"name": {"X"}, "code": {"X2"}, "currency": {"usd"}}); res.Code != http.StatusForbidden {
		t.Fatalf("cross-origin form POST: %d", res.Code)
	}
	c.headers.Del("Origin")
	if n := a.count(`SELECT count(*) FROM projects`); n != 0 {
		t.Fatalf("%d projects written by refused requests", n)
	}
	// Same-origin browser requests and plain API clients pass.
	c.headers.Set("Sec-Fetch-Site", "same-origin")
	if res := c.do("POST", "/api/projects", body); res.Code != http.StatusCreated {
		t.Fatalf("same-origin POST: %d %s", res.Code, res.Body)
	}
	c.headers.Del("Sec-Fetch-Site")
	body["code"] = "X3"
	if res := c.do("POST", "/api/projects", body); res.Code != http.StatusCreated {
		t.Fatalf("API client POST: %d %s", res.Code, res.Body)
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleOwner, "o@example.com")
	c := a.login("o@example.com")
	res := c.form("/account/tokens", url.Values{"name": {"ci script"}})
	if res.Code != http.StatusCreated {
		t.Fatalf("create token: %d", res.Code)
	}
	tok, _ := res.Doc(t).Find("#new-token").Attr("value")
	if !strings.HasPrefix(tok, "14b_") {
		t.Fatalf("token %q", tok)
	}
	api := a.client()
	api.headers.Set("Authorization", "Bearer "+tok)
	if res := api.get("/api/me"); res.Code != 200 || !strings.Contains(res.Body, "o@example.com") {
		t.Fatalf("bearer: %d %s", res.Code, res.Body)
	}
	// A bearer client is not a browser: its POST works without browser headers.
	if res := api.do("POST", "/api/projects", map[string]any{"name": "Tok", "code": "T1", "budget": map[string]any{"amount": 0, "currency": "usd"}}); res.Code != 201 {
		t.Fatalf("bearer POST: %d %s", res.Code, res.Body)
	}
	api.headers.Set("Authorization", "Bearer 14b_nonsense")
	if res := api.get("/api/me"); res.Code != 401 {
		t.Fatalf("bad token: %d", res.Code)
	}
	// Revoking ends it.
	var id int
	if err := a.st.DB().Get(&id, `SELECT id FROM api_tokens`); err != nil {
		t.Fatal(err)
	}
	c.form("/account/tokens/"+itoa(id)+"/delete", nil)
	api.headers.Set("Authorization", "Bearer "+tok)
	if res := api.get("/api/me"); res.Code != 401 {
		t.Fatalf("revoked token: %d", res.Code)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
