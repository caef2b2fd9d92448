package handlers

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/14build/14build/field"
	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/store"
)

// The attack of issue 8: NUL and invalid UTF-8 in search boxes, form and JSON fields and the
// login email answered 500 (PostgreSQL refused the text). Now each is a 400 naming the
// field, and nothing is written.
func TestBadTextRefusedBeforeHandlers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids := walkSetup(t, f)
	sum := walkChecksum(t, f.a)
	soqBase := "/projects/" + f.P.ID + "/soq/" + ids["soqId"]
	for _, bad := range []struct{ name, raw, json string }{
		{"NUL", "\x00", `\u0000`},
		{"invalid UTF-8", "a\xff\xfeb", "a\xff\xfeb"},
	} {
		cases := []struct {
			role, method, path, ctype, body, field string
		}{
			{"owner", "GET", "/api/projects?q=" + url.QueryEscape(bad.raw), "", "", "q"},
			{"owner", "GET", "/projects?q=" + url.QueryEscape(bad.raw), "", "", "q"},
			{"admin", "GET", "/api/users?q=" + url.QueryEscape(bad.raw), "", "", "q"},
			{"admin", "GET", "/admin/users?q=" + url.QueryEscape(bad.raw), "", "", "q"},
			{"owner", "POST", "/account", "form", "name=" + url.QueryEscape(bad.raw) + "&email=o%40example.com&entity=Co", "name"},
			{"owner", "POST", "/projects", "form", "name=" + url.QueryEscape(bad.raw) + "&code=X&status=planning&currency=usd", "name"},
			{"owner", "POST", "/api/projects", "json", `{"name":"` + bad.json + `","code":"X","budget":{"amount":1,"currency":"usd"}}`, "name"},
			{"owner", "PUT", "/api/projects/" + f.P.ID, "json", `{"name":"N","code":"` + bad.json + `","budget":{"amount":1,"currency":"usd"}}`, "code"},
			{"owner", "POST", "/api/soq/" + ids["soqId"] + "/sections", "json", `{"code":"Z","title":"` + bad.json + `"}`, "title"},
			{"owner", "POST", soqBase + "/items/" + ids["itemId"] + "/cells/description", "form", "value=" + url.QueryEscape(bad.raw), "value"},
			{"owner", "POST", "/api/projects/" + f.P.ID + "/units", "json", `{"units":[{"unitNumber":"` + bad.json + `","unitType":"T","totalFloorArea":1,"numberOfFloors":1,"numberOfRooms":1,"numberOfBathrooms":1,"floors":[{"floorNumber":1,"floorArea":1}]}]}`, "units[0].unitNumber"},
			{"owner", "POST", "/api/projects/" + f.P.ID + "/units", "json", `{"units":[{"unitNumber":"B-1","unitType":"` + bad.json + `"}]}`, "units[0].unitType"},
			{"owner", "POST", "/projects/" + f.P.ID + "/units", "form", "unitNumber=" + url.QueryEscape(bad.raw) + "&unitType=T&totalFloorArea=1&numberOfFloors=1", "unitNumber"},
			{"anonymous", "POST", "/api/auth/login", "json", `{"email":"o@example.com` + bad.json + `","password":"x"}`, "email"},
			{"anonymous", "POST", "/login", "form", "email=" + url.QueryEscape("o@example.com"+bad.raw) + "&password=x", "email"},
			// A key, a nested list, and a path parameter are named too.
			{"owner", "POST", "/api/projects", "json", `{"na` + bad.json + `me":"x"}`, "*"},
			{"owner", "PUT", "/api/soq/" + ids["soqId"], "json", `{"sections":[{"items":[{},{"tags":["ok","` + bad.json + `"]}]}]}`, "sections[0].items[1].tags[1]"},
			{"anonymous", "GET", "/invitations/" + url.PathEscape(bad.raw), "", "", "token"},
		}
		for _, c := range cases {
			before := sum()
			req, _ := http.NewRequest(c.method, f.a.srv.URL+c.path, strings.NewReader(c.body))
			switch c.ctype {
			case "form":
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			case "json":
				req.Header.Set("Content-Type", "application/json")
			}
			res := f.clients[c.role].send(req)
			if res.Code != http.StatusBadRequest {
				t.Errorf("%s: %s %s: %d, want 400 (%s)", bad.name, c.method, c.path, res.Code, short(res.Body))
				continue
			}
			if strings.HasPrefix(c.path, "/api/") {
				fields, _ := res.JSON(t)["fields"].(map[string]any)
				if c.field == "*" && len(fields) == 1 {
					continue
				}
				if fields[c.field] != "contains invalid characters" {
					t.Errorf("%s: %s %s: fields %v, want %q named", bad.name, c.method, c.path, fields, c.field)
				}
			} else if !strings.Contains(res.Body, "invalid UTF-8 or NUL): "+c.field+".") {
				t.Errorf("%s: %s %s: the page does not say why: %s", bad.name, c.method, c.path, short(res.Body))
			}
			if sum() != before {
				t.Errorf("%s: %s %s was refused but wrote", bad.name, c.method, c.path)
			}
		}
	}

	// Multipart text fields are checked; the file's bytes are not (they are the upload's).
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("mode", "x\x00y")
	fw, _ := mw.CreateFormFile("file", "a.csv")
	_, _ = fw.Write([]byte("reference,description\nA\x00,\xff\n"))
	_ = mw.Close()
	req, _ := http.NewRequest("POST", f.a.srv.URL+soqBase+"/import/upload", bytes.NewReader(b.Bytes()))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	if res := f.clients["owner"].send(req); res.Code != http.StatusBadRequest || !strings.Contains(res.Body, "invalid UTF-8 or NUL") {
		t.Errorf("multipart text field with NUL: %d %s", res.Code, short(res.Body))
	}
	// Good text of every kind still passes.
	res := f.clients["owner"].do("POST", "/api/projects", map[string]any{"name": "Ünïcödé 工程 🏗", "code": "UNI", "budget": map[string]any{"amount": 1, "currency": "usd"}})
	if res.Code != http.StatusCreated {
		t.Errorf("valid Unicode refused: %d %s", res.Code, res.Body)
	}
}

// A malformed id in the path can name nothing: 404 before any query (it was a 500 when
// PostgreSQL refused the uuid), for every kind of id; anonymous callers still sign in first.
func TestMalformedPathIDsAre404(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids := walkSetup(t, f)
	P, S := f.P.ID, ids["soqId"]
	paths := []struct{ method, path string }{
		{"GET", "/api/projects/not-a-uuid"},
		{"GET", "/api/projects/" + P + "x"},
		{"GET", "/projects/" + P + "/units/123/edit"},
		{"GET", "/api/soq/%27%20OR%201=1--"},
		{"GET", "/api/soq/" + S + "/items/00000000-0000-0000-0000-00000000000g"},
		{"DELETE", "/api/projects/" + P + "/team/zzz"},
		{"GET", "/projects/" + P + "/soq/" + S + "/sections/1/rows"},
		{"GET", "/projects/" + P + "/soq/" + S + "/import/nope"},
		{"POST", "/account/tokens/abc/delete"},
		{"POST", "/account/tokens/-1/delete"},
		{"POST", "/account/tokens/9223372036854775808/delete"},
		{"POST", "/projects/" + P + "/invitations/1e3/revoke"},
		{"GET", "/admin/users/" + strings.Repeat("9", 5000) + "/edit"},
	}
	for _, p := range paths {
		var res response
		if p.method == "POST" {
			res = f.clients["owner"].form(p.path, nil)
		} else {
			res = f.clients["admin"].do(p.method, p.path, nil)
		}
		if res.Code != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", p.method, short(p.path), res.Code)
		}
		if res := f.clients["anonymous"].do(p.method, p.path, nil); res.Code != http.StatusUnauthorized && res.Code != http.StatusSeeOther && res.Code != http.StatusForbidden {
			t.Errorf("anonymous %s %s: %d, want to be sent to sign in", p.method, short(p.path), res.Code)
		}
	}
	// A non-id inside a JSON list of ids is a 400 naming the element, not a 500.
	res := f.clients["owner"].do("POST", "/api/soq/"+S+"/sections/"+ids["sectionId"]+"/items", map[string]any{
		"reference": "Q1", "description": "d", "unit": "m", "quantity": 1, "rate": 1, "itemType": "measured",
		"unitIds": []string{ids["unitId"], "not-a-uuid"}})
	if res.Code != http.StatusBadRequest {
		t.Errorf("unitIds with a non-id: %d %s", res.Code, res.Body)
	}
}

// ?page=9223372036854775807 answered 500: one parser clamps or refuses every page number.
func TestPageNumbersClampedOrRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, v := range []string{"9223372036854775807", "9223372036854775808", "-9223372036854775808", "0", "1e9", "NaN", " 2"} {
		for _, c := range []struct {
			role, path string
			api        bool
		}{
			{"owner", "/api/projects", true},
			{"admin", "/api/users", true},
			{"owner", "/projects", false},
			{"admin", "/admin/users", false},
			{"owner", "/projects/" + f.P.ID + "/units", false},
			{"owner", "/projects/" + f.P.ID + "/jobs", false},
		} {
			res := f.clients[c.role].get(c.path + "?page=" + url.QueryEscape(v) + "&perPage=" + url.QueryEscape(v))
			switch {
			case c.api && v != " 2" && res.Code != http.StatusBadRequest:
				t.Errorf("%s?page=%s: %d, want 400", c.path, v, res.Code)
			case !c.api && res.Code != http.StatusOK:
				t.Errorf("%s?page=%s: %d, want the nearest page (200)", c.path, v, res.Code)
			}
		}
	}
}

// /login?next=/%09/evil.test redirected off-site in Chromium (browsers strip the tab).
func TestSafeNextOnlySameSitePaths(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"/projects", "/projects"},
		{"/projects/abc?status=planning&q=a%20b#x", "/projects/abc?status=planning&q=a%20b#x"},
		{"", "/"},
		{"projects", "/"},
		{"//evil.test", "/"},
		{"/\t/evil.test", "/"},
		{"/%09/evil.test", "/"},
		{"/\n/evil.test", "/"},
		{"/%0a/evil.test", "/"},
		{"/\\evil.test", "/"},
		{"/%5cevil.test", "/"},
		{"\\\\evil.test", "/"},
		{"/ /evil.test", "/"},
		{"/\x00/evil.test", "/"},
		{"/%2f/evil.test", "/"},
		{"/%2F%2Fevil.test", "/"},
		{"https://evil.test/", "/"},
		{"http:/evil.test", "/"},
		{"javascript:alert(1)", "/"},
		{"/\u3000/evil.test", "/"},
		{"/\u200b/evil.test", "/"},
		{"/a\\b", "/"},
		{"/\xff", "/"},
		{"/" + strings.Repeat("a", 5000), "/"},
	} {
		if got := safeNext(c.in); got != c.want {
			t.Errorf("safeNext(%q) = %q, want %q", c.in, got, c.want)
		}
	}

	// The attack itself: signing in with next=/%09/evil.test stays on the site.
	a := newTestApp(t)
	u := a.user("owner", "n@example.com")
	for _, next := range []string{"/\t/evil.test", "/%09/evil.test", "/\\evil.test", "//evil.test"} {
		c := a.client()
		res := c.form("/login", url.Values{"email": {u.Email}, "password": {testPassword}, "next": {next}})
		if loc := res.Header.Get("Location"); res.Code != http.StatusSeeOther || loc != "/" {
			t.Errorf("login with next=%q: %d Location %q, want 303 to /", next, res.Code, loc)
		}
		// Already signed in, GET /login?next= redirects at once: the same rule.
		res = c.get("/login?next=" + url.QueryEscape(next))
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("GET /login?next=%q: Location %q", next, loc)
		}
	}
}

// 20,000 requests with made-up methods grew /metrics by 24.6 MB: labels now come from a
// fixed set, and /metrics needs METRICS_TOKEN (or is 404 without one).
func TestMetricsBoundedAndProtected(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, func(c *Config) { c.MetricsToken = "metrics-secret" })
	c := a.client()
	rng := rand.New(rand.NewPCG(1, 2))
	letters := "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := range 1000 {
		m := make([]byte, 8)
		for j := range m {
			m[j] = letters[rng.IntN(len(letters))]
		}
		path := fmt.Sprintf("/made-up/%d", i)
		if i%2 == 0 {
			path = "/api/projects"
		}
		req, _ := http.NewRequest(string(m), a.srv.URL+path, nil)
		c.send(req)
	}
	if res := c.get("/metrics"); res.Code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d", res.Code)
	}
	if res := c.get("/metrics", "Authorization", "Bearer wrong"); res.Code != http.StatusUnauthorized {
		t.Errorf("/metrics with a wrong token: %d", res.Code)
	}
	res := c.get("/metrics", "Authorization", "Bearer metrics-secret")
	if res.Code != http.StatusOK {
		t.Fatalf("/metrics with the token: %d", res.Code)
	}
	series := 0
	for _, line := range strings.Split(res.Body, "\n") {
		if strings.HasPrefix(line, "http_requests_total{") {
			series++
			if !strings.Contains(line, `method="other"`) && !strings.Contains(line, `method="GET"`) {
				t.Errorf("unexpected method label: %s", line)
			}
			if strings.Contains(line, "made-up") {
				t.Errorf("a made-up path became a label: %s", line)
			}
		}
	}
	t.Logf("after 1,000 made-up methods and paths: %d http_requests_total series, /metrics %d bytes", series, len(res.Body))
	if series == 0 || series > 10 {
		t.Errorf("%d request series after 1,000 made-up methods and paths, want a handful", series)
	}
	if len(res.Body) > 200_000 {
		t.Errorf("/metrics is %d bytes", len(res.Body))
	}

	// Without a token configured there is nothing at /metrics on the public listener.
	b := newTestApp(t)
	if res := b.client().get("/metrics"); res.Code != http.StatusNotFound {
		t.Errorf("/metrics with no METRICS_TOKEN: %d, want 404", res.Code)
	}
}

// While PostgreSQL is unreachable, pages and the API answer 503 with Retry-After and say so;
// when it is back, the same server answers 200 again without a restart.
func TestDatabaseUnreachableIs503ThenRecovers(t *testing.T) {
	t.Parallel()
	// 1. Nothing listens where the store points.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db, err := sqlx.Open("postgres", store.WithConnectTimeout("postgres://x:y@"+addr+"/none?sslmode=disable", 2))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := New(store.New(db), slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Argon2: testArgon})
	srv := httptest.NewServer(h.Echo())
	defer srv.Close()
	check503 := func(who string, res *http.Response, api bool) {
		t.Helper()
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: %d Retry-After %q, want 503 with Retry-After", who, res.StatusCode, res.Header.Get("Retry-After"))
		}
		if !strings.Contains(string(body), "cannot reach its database") {
			t.Errorf("%s: the answer does not say why: %s", who, short(string(body)))
		}
		if api && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: not JSON", who)
		}
	}
	if res, err := http.Get(srv.URL + "/healthz"); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
		if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
			t.Errorf("healthz with the database unreachable: %d Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
		}
	}
	for _, p := range []string{"/api/projects", "/projects"} {
		req, _ := http.NewRequest("GET", srv.URL+p, nil)
		req.Header.Set("Authorization", "Bearer some-token")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		check503("closed port "+p, res, strings.HasPrefix(p, "/api/"))
	}

	// 2. A real database that drops its connections and refuses new ones, then comes back.
	a := newTestApp(t)
	a.user("owner", "o@example.com")
	c := a.login("o@example.com")
	if res := c.get("/api/projects"); res.Code != http.StatusOK {
		t.Fatalf("before: %d", res.Code)
	}
	var name string
	if err := a.st.DB().Get(&name, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	admin, err := sqlx.Open("postgres", testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() }) // after the cleanup below (cleanups run last first)
	allow := func(on bool) {
		if _, err := admin.Exec(fmt.Sprintf(`ALTER DATABASE %q ALLOW_CONNECTIONS %t`, name, on)); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { allow(true) })
	for trial := range 3 {
		allow(false)
		if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/api/projects", "/projects", "/api/me"} {
			req, _ := http.NewRequest("GET", a.srv.URL+p, nil)
			res, err := c.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			check503(fmt.Sprintf("trial %d, database down, %s", trial, p), res, strings.HasPrefix(p, "/api/"))
		}
		allow(true)
		deadline := time.Now().Add(10 * time.Second)
		for {
			res := c.get("/api/projects")
			if res.Code == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("trial %d: still %d after the database came back", trial, res.Code)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if res := c.get("/projects"); res.Code != http.StatusOK {
			t.Errorf("trial %d: page after recovery: %d", trial, res.Code)
		}
	}
}

// Signed-in pages and API JSON are never cached; static assets are. With an https public
// address, HSTS is sent and the session cookie is Secure.
func TestCacheHSTSAndSecureCookies(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user("owner", "o@example.com")
	c := a.login("o@example.com")
	for _, p := range []string{"/projects", "/", "/api/me", "/api/projects"} {
		if res := c.get(p); res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", p, res.Header.Get("Cache-Control"))
		}
	}
	if res := a.client().get("/api/projects"); res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("API refusal: Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	page := c.get("/projects")
	css, ok := page.Doc(t).Find(`link[rel="stylesheet"]`).Attr("href")
	if !ok {
		t.Fatal("no stylesheet link")
	}
	if res := c.get(css); res.Code != 200 || strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("static %s: %d Cache-Control %q", css, res.Code, res.Header.Get("Cache-Control"))
	}
	if page.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent for an http public address")
	}

	s := newTestApp(t, func(c *Config) { c.BaseURL = "https://14build.example.com" })
	s.user("owner", "o@example.com")
	res := s.client().do("POST", "/api/auth/login", map[string]any{"email": "o@example.com", "password": testPassword})
	if res.Code != http.StatusOK {
		t.Fatalf("login: %d", res.Code)
	}
	if got := res.Header.Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
		t.Errorf("HSTS %q", got)
	}
	cookie := res.Header.Get("Set-Cookie")
	if !strings.Contains(cookie, "Secure") || !strings.Contains(cookie, "HttpOnly") {
		t.Errorf("session cookie with an https BASE_URL: %q", cookie)
	}
}

// checkJSON names the field by its path, finds invalid UTF-8 the decoder would have hidden
// as U+FFFD, and leaves valid text (an escaped backslash before u0000) and non-JSON alone.
func TestCheckJSONNamesThePath(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ body, want string }{
		{`{"a":[1,{"b":"\u0000"}]}`, "a[1].b"},
		{`{"units":[{"unitNumber":"A"},{"floors":[{},{"x":"` + "\xff" + `"}]}]}`, "units[1].floors[1].x"},
		{`["ok","\u0000"]`, "[1]"},
		{`"\u0000"`, "body"},
		{`{"k\u0000":1}`, "k\x00"},
		{`{"a":{"b":{}},"c":"` + "\xc3\x28" + `"}`, "c"},
		{`{"a":"\\u0000"}`, ""},
		{`{"a":"Ünïcödé 🏗"}`, ""},
		{`{"a":`, ""},
		{`not json` + "\xff", ""},
	} {
		errs := field.Errors{}
		checkJSON([]byte(c.body), errs)
		want := fieldName(c.want)
		switch {
		case c.want == "" && len(errs) > 0:
			t.Errorf("%q: refused %v", c.body, errs)
		case c.want != "" && errs[want] != msgBadText:
			t.Errorf("%q: %v, want %q named", c.body, errs, want)
		}
	}
}
