package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/14build/14build/authz"
)

func TestCreateProjectMakesOwnerATeamMember(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "o@example.com")
	c := a.login(o.Email)
	res := c.do("POST", "/api/projects", map[string]any{"name": "Harbour View", "code": "HV-1", "address": "1 Quay St",
		"status": "planning", "budget": map[string]any{"amount": 125000, "currency": "USD"}})
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.Body)
	}
	p := res.JSON(t)
	if p["id"] == "" || p["ownerId"] != o.ID || p["owner"].(map[string]any)["id"] != o.ID {
		t.Errorf("project: %v", p)
	}
	if b := p["budget"].(map[string]any); b["amount"] != float64(125000) || b["currency"] != "usd" {
		t.Errorf("budget %v", b)
	}
	members := p["teamMembers"].([]any)
	if len(members) != 1 {
		t.Fatalf("teamMembers = %v", members)
	}
	m := members[0].(map[string]any)
	if m["role"] != "Project Owner" || m["user"].(map[string]any)["id"] != o.ID || m["user"].(map[string]any)["entity"] == nil {
		t.Errorf("member %v", m)
	}
	if units, ok := p["units"].([]any); !ok || len(units) != 0 {
		t.Errorf("units must be present and empty: %v", p["units"])
	}
	// And it is really in the database.
	if n := a.count(`SELECT count(*) FROM team_members WHERE project_id = $1 AND user_id = $2 AND role = 'Project Owner'`, p["id"], o.ID); n != 1 {
		t.Errorf("owner membership rows: %d", n)
	}
}

func TestProjectValidationAndBadInput(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleOwner, "o@example.com")
	c := a.login("o@example.com")
	valid := `{"name":"A","code":"A1","budget":{"amount":1,"currency":"usd"}}`
	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"malformed JSON", `{"name": "A",`, 400, ""},
		{"not an object", `[1,2,3]`, 400, ""},
		{"empty body", ``, 400, ""},
		{"two objects", valid + valid, 400, ""},
		{"wrong type", `{"name": 12, "code":"A1","budget":{"amount":1,"currency":"usd"}}`, 400, "name"},
		{"float money", `{"name":"A","code":"A1","budget":{"amount":12.5,"currency":"usd"}}`, 400, "budget.amount"},
		{"string money", `{"name":"A","code":"A1","budget":{"amount":"100","currency":"usd"}}`, 400, "budget.amount"},
		{"unknown field", `{"name":"A","code":"A1","ownerId":"x","budget":{"amount":1,"currency":"usd"}}`, 400, "ownerId"},
		{"missing name", `{"code":"A1","budget":{"amount":1,"currency":"usd"}}`, 400, "name"},
		{"missing budget", `{"name":"A","code":"A1"}`, 400, "budget"},
		{"negative budget", `{"name":"A","code":"A1","budget":{"amount":-1,"currency":"usd"}}`, 400, "budget.amount"},
		{"huge budget", `{"name":"A","code":"A1","budget":{"amount":99999999999999999,"currency":"usd"}}`, 400, "budget.amount"},
		{"bad currency", `{"name":"A","code":"A1","budget":{"amount":1,"currency":"doubloons"}}`, 400, "budget.currency"},
		{"bad status", `{"name":"A","code":"A1","status":"dreaming","budget":{"amount":1,"currency":"usd"}}`, 400, "status"},
		{"bad time zone", `{"name":"A","code":"A1","timeZone":"Mars/Olympus","budget":{"amount":1,"currency":"usd"}}`, 400, "timeZone"},
		{"long name", `{"name":"` + strings.Repeat("x", 201) + `","code":"A1","budget":{"amount":1,"currency":"usd"}}`, 400, "name"},
		{"NUL byte", `{"name":"A\u0000B","code":"A1","budget":{"amount":1,"currency":"usd"}}`, 400, "name"},
		{"huge body", `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, 413, ""},
	}
	for _, tc := range cases {
		res := c.do("POST", "/api/projects", tc.body)
		if res.Code != tc.status {
			t.Errorf("%s: %d, want %d (%s)", tc.name, res.Code, tc.status, res.Body)
			continue
		}
		m := res.JSON(t)
		if msg, _ := m["error"].(string); msg == "" || strings.Contains(msg, "pq:") || strings.Contains(msg, "json:") {
			t.Errorf("%s: error message %q", tc.name, m["error"])
		}
		if tc.field != "" {
			fields, _ := m["fields"].(map[string]any)
			if fields[tc.field] == nil {
				t.Errorf("%s: no message for %s: %s", tc.name, tc.field, res.Body)
			}
		}
	}
	if n := a.count(`SELECT count(*) FROM projects`); n != 0 {
		t.Fatalf("%d projects written by bad requests", n)
	}
	// SQL metacharacters are data, not SQL.
	evil := `Robert'); DROP TABLE projects;--`
	res := c.do("POST", "/api/projects", map[string]any{"name": evil, "code": "X'1", "address": `\"; SELECT pg_sleep(5);`, "budget": map[string]any{"amount": 1, "currency": "usd"}})
	if res.Code != 201 || res.JSON(t)["name"] != evil {
		t.Fatalf("metacharacters: %d %s", res.Code, res.Body)
	}
	if res := c.get("/api/projects?q=" + url.QueryEscape("%'_")); res.Code != 200 || res.JSON(t)["total"] != float64(0) {
		t.Errorf("search with wildcards: %d %s", res.Code, res.Body)
	}
	// A duplicate code for the same owner is a field error, not a 500.
	res = c.do("POST", "/api/projects", map[string]any{"name": "Again", "code": "x'1", "budget": map[string]any{"amount": 1, "currency": "usd"}})
	if res.Code != 400 || res.JSON(t)["fields"].(map[string]any)["code"] == nil {
		t.Errorf("duplicate code: %d %s", res.Code, res.Body)
	}
}

func TestDuplicateEmailWritesNothing(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleOwner, "taken@example.com")
	before := a.count(`SELECT count(*) FROM entities`)
	res := a.client().do("POST", "/api/auth/register", map[string]any{"name": "Dup", "email": "Taken@Example.com",
		"password": "long enough pw", "role": "bidder", "entity": "Brand New Co", "category": "Electrical"})
	if res.Code != 400 || res.JSON(t)["fields"].(map[string]any)["email"] == nil {
		t.Fatalf("duplicate email: %d %s", res.Code, res.Body)
	}
	if n := a.count(`SELECT count(*) FROM users`); n != 1 {
		t.Errorf("%d users", n)
	}
	if after := a.count(`SELECT count(*) FROM entities`); after != before {
		t.Errorf("entity written by a refused registration: %d -> %d", before, after)
	}
}

func TestStatusFilter(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "o@example.com")
	c := a.login(o.Email)
	for i, st := range []string{"planning", "tendering", "tendering", "completed"} {
		res := c.do("POST", "/api/projects", map[string]any{"name": fmt.Sprintf("P%d", i), "code": fmt.Sprintf("C%d", i), "status": st,
			"budget": map[string]any{"amount": 0, "currency": "usd"}})
		if res.Code != 201 {
			t.Fatal(res.Body)
		}
	}
	// Someone else's tendering project must never show.
	other := a.user(authz.RoleOwner, "x@example.com")
	a.project(other, "OTHER")
	for status, want := range map[string]int{"": 4, "planning": 1, "tendering": 2, "completed": 1, "cancelled": 0} {
		res := c.get("/api/projects?status=" + status)
		m := res.JSON(t)
		if res.Code != 200 || int(m["total"].(float64)) != want || len(m["projects"].([]any)) != want {
			t.Errorf("status=%q: %d total=%v", status, res.Code, m["total"])
		}
		for _, p := range m["projects"].([]any) {
			if s := p.(map[string]any)["status"]; status != "" && s != status {
				t.Errorf("status=%q returned a %v project", status, s)
			}
		}
	}
	if res := c.get("/api/projects?status=nonsense"); res.Code != 400 {
		t.Errorf("unknown status: %d", res.Code)
	}
	// The page: a full page at a shareable URL, the region alone for HTMX.
	page := c.get("/projects?status=tendering")
	d := page.Doc(t)
	if d.Find("#projects-table tbody tr").Length() != 2 || d.Find(`[data-status="tendering"][aria-current="page"]`).Length() != 1 {
		t.Errorf("page filter: %d rows", d.Find("#projects-table tbody tr").Length())
	}
	part := c.get("/projects?status=completed", "HX-Request", "true")
	pd := part.Doc(t)
	if pd.Find("#projects-table tbody tr").Length() != 1 || pd.Find("nav[aria-label='Main']").Length() != 0 {
		t.Errorf("partial filter: %d rows", pd.Find("#projects-table tbody tr").Length())
	}
	// Admins see every project.
	a.user(authz.RoleAdmin, "admin@example.com")
	if m := a.login("admin@example.com").get("/api/projects").JSON(t); m["total"] != float64(5) {
		t.Errorf("admin sees %v projects", m["total"])
	}
}

func TestProjectPagination(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "o@example.com")
	for i := 0; i < 30; i++ {
		a.project(o, fmt.Sprintf("C%02d", i))
	}
	c := a.login(o.Email)
	d := c.get("/projects").Doc(t)
	if n := d.Find("#projects-table tbody tr").Length(); n != 25 {
		t.Errorf("page 1 rows: %d", n)
	}
	next, ok := d.Find(`a[rel="next"]`).Attr("href")
	if !ok {
		t.Fatal("no next link")
	}
	if n := c.get(next).Doc(t).Find("#projects-table tbody tr").Length(); n != 5 {
		t.Errorf("page 2 rows: %d", n)
	}
	m := c.get("/api/projects?perPage=10&page=3").JSON(t)
	if len(m["projects"].([]any)) != 10 || m["total"] != float64(30) {
		t.Errorf("api page: %v", m["total"])
	}
	if res := c.get("/api/projects?perPage=100000"); res.Code != 400 {
		t.Errorf("perPage too big: %d", res.Code)
	}
}

func TestProjectFormPage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleOwner, "o@example.com")
	c := a.login("o@example.com")
	res := c.form("/projects", url.Values{"name": {""}, "code": {"K-1"}, "address": {"Somewhere"}, "status": {"planning"},
		"budget": {"12.345"}, "currency": {"usd"}, "timeZone": {"UTC"}})
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form: %d", res.Code)
	}
	d := res.Doc(t)
	if d.Find("#err-name").Length() != 1 || !strings.Contains(d.Find("#err-budget\\.amount").Text(), "decimal places") {
		t.Errorf("messages: name=%q budget=%q", d.Find("#err-name").Text(), d.Find("#err-budget\\.amount").Text())
	}
	if v, _ := d.Find("#code").Attr("value"); v != "K-1" {
		t.Errorf("code not kept: %q", v)
	}
	if d.Find("#address").Text() != "Somewhere" {
		t.Error("address not kept")
	}
	res = c.form("/projects", url.Values{"name": {"Kelburn"}, "code": {"K-1"}, "status": {"tendering"},
		"budget": {"1,250,000.50"}, "currency": {"usd"}, "timeZone": {"Europe/London"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("valid form: %d %s", res.Code, res.Body)
	}
	page := c.get(res.Header.Get("Location"))
	if !strings.Contains(page.Body, "$1,250,000.50") || !strings.Contains(page.Body, "Project created") {
		t.Error("project page lacks the budget or the flash")
	}
	if n := a.count(`SELECT count(*) FROM projects WHERE budget_amount = 125000050`); n != 1 {
		t.Errorf("budget stored wrongly")
	}
}

func TestDeleteProjectNeedsAdministrator(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "o@example.com")
	a.user(authz.RoleAdmin, "admin@example.com")
	p := a.project(o, "DEL")
	if res := a.login(o.Email).form("/projects/"+p.ID+"/delete", nil); res.Code != 403 {
		t.Errorf("owner delete: %d", res.Code)
	}
	res := a.login("admin@example.com").form("/projects/"+p.ID+"/delete", nil)
	if res.Code != http.StatusSeeOther {
		t.Fatalf("admin delete: %d", res.Code)
	}
	if n := a.count(`SELECT count(*) FROM projects`) + a.count(`SELECT count(*) FROM team_members`); n != 0 {
		t.Errorf("%d rows left", n)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, func(c *Config) { c.MetricsToken = "metrics-token" })
	if res := a.client().get("/healthz"); res.Code != 200 || !strings.Contains(res.Body, `"database":"ok"`) {
		t.Fatalf("healthz: %d %s", res.Code, res.Body)
	}
	a.client().get("/login")
	res := a.client().get("/metrics", "Authorization", "Bearer metrics-token")
	for _, want := range []string{"http_requests_total", `route="/login"`, "db_queries_total", "go_goroutines"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Error("no request id header")
	}
	// With the database gone, health says so.
	a.st.Close()
	if res := a.client().get("/healthz"); res.Code != http.StatusServiceUnavailable {
		t.Errorf("healthz without database: %d", res.Code)
	}
}
