package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The SOQ's status changes only through soq.Status's transitions: issuing an issued SOQ
// or reopening a draft is a 409 and changes nothing (the version stays).
func TestSOQStatusTransitionsOnThePage(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	c := f.clients["inhouse"]
	version := func() float64 { return f.soq(t)["version"].(float64) }
	steps := []struct {
		status string
		code   int
		want   string // the SOQ's status after
	}{
		{"draft", http.StatusConflict, "draft"}, // already a draft
		{"issued", http.StatusSeeOther, "issued"},
		{"issued", http.StatusConflict, "issued"}, // already issued
		{"draft", http.StatusSeeOther, "draft"},
		{"", http.StatusBadRequest, "draft"},
		{"archived", http.StatusBadRequest, "draft"},
	}
	for _, st := range steps {
		before := version()
		res := c.form(f.base()+"/status", url.Values{"status": {st.status}})
		if res.Code != st.code && !(st.code == http.StatusBadRequest && res.Code == http.StatusUnprocessableEntity) {
			t.Fatalf("status=%q: %d, want %d: %s", st.status, res.Code, st.code, res.Body)
		}
		q := f.soq(t)
		if q["status"] != st.want {
			t.Fatalf("status=%q: the SOQ is %v, want %s", st.status, q["status"], st.want)
		}
		if changed := version() != before; changed != (st.code == http.StatusSeeOther) {
			t.Errorf("status=%q: version changed %v", st.status, changed)
		}
	}
	// An issued SOQ refuses edits from every front end with 409: the sheet, the API, the import.
	if res := c.form(f.base()+"/status", url.Values{"status": {"issued"}}); res.Code != http.StatusSeeOther {
		t.Fatalf("issue: %d", res.Code)
	}
	for name, code := range map[string]int{
		"cell":   c.form(f.base()+"/items/"+f.B1+"/cells/rate", url.Values{"value": {"1.00"}}).Code,
		"add":    c.form(f.base()+"/sections/"+f.secB+"/items", url.Values{"reference": {"B9"}, "description": {"x"}, "unit": {"m"}, "quantity": {"1"}, "rate": {"1"}}).Code,
		"api":    c.do("PATCH", "/api/soq/"+f.S+"/items/"+f.B1, map[string]any{"rate": 100}).Code,
		"import": c.get(f.base() + "/import").Code,
	} {
		if code != http.StatusConflict {
			t.Errorf("%s on an issued SOQ: %d, want 409", name, code)
		}
	}
}

// GET and POST /api/soq name their project in the query or the body; the route table's
// Access checks it (404 off the team, 403 without the right), not the handler.
func TestSOQAPIProjectFromQueryAndBody(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	list := func(who, query string) int { return f.clients[who].get("/api/soq" + query).Code }
	for _, tc := range []struct {
		who, query string
		want       int
	}{
		{"inhouse", "?projectId=" + f.P.ID, 200},
		{"admin", "?projectId=" + f.P.ID, 200},
		{"outsider", "?projectId=" + f.P.ID, 404},
		{"otherOwner", "?projectId=" + f.P.ID, 404},
		{"bidder", "?projectId=" + f.P.ID, 404},
		{"inhouse", "", 400},
		{"inhouse", "?projectId=not-a-uuid", 404},
		{"anonymous", "?projectId=" + f.P.ID, 401},
	} {
		if got := list(tc.who, tc.query); got != tc.want {
			t.Errorf("%s GET /api/soq%s: %d, want %d", tc.who, tc.query, got, tc.want)
		}
	}
	body := soqBodyFor(f.P.ID)
	for who, want := range map[string]int{"outsider": 404, "otherOwner": 404, "bidder": 403, "anonymous": 401} {
		if res := f.clients[who].do("POST", "/api/soq", body); res.Code != want {
			t.Errorf("%s POST /api/soq: %d, want %d", who, res.Code, want)
		}
	}
	if n := f.a.count(`SELECT count(*) FROM soqs WHERE project_id = $1`, f.P.ID); n != 1 {
		t.Fatalf("%d SOQs in P after refused creates, want 1", n)
	}
	c := f.clients["inhouse"]
	for _, tc := range []struct {
		name, raw string
		field     string
	}{
		{"no projectId", `{"title":"T","currency":"usd"}`, "projectId"},
		{"null projectId", `{"projectId":null,"title":"T"}`, "projectId"},
		{"projectId a number", `{"projectId":5,"title":"T"}`, "projectId"},
		{"not JSON", `{"projectId":`, ""},
		{"an array", `[1]`, ""},
		{"empty", ``, ""},
	} {
		res := c.do("POST", "/api/soq", tc.raw) // a string is sent as it is
		if res.Code != http.StatusBadRequest || (tc.field != "" && !strings.Contains(res.Body, `"`+tc.field+`"`)) {
			t.Errorf("%s: %d %s, want 400 naming %q", tc.name, res.Code, res.Body, tc.field)
		}
	}
	// The handler still reads the whole body the guard peeked at.
	if res := c.do("POST", "/api/soq", body); res.Code != http.StatusCreated || res.JSON(t)["itemCount"] != 3.0 {
		t.Fatalf("create after the guard: %d %s", res.Code, res.Body)
	}
}

// GET /api/users/:uid is one's own account, or any account with MANAGE_USERS; another's
// is a 404 (route table: selfOr).
func TestUserGetSelfOrManageUsers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		who, uid string
		want     int
	}{
		{"inhouse", f.users["inhouse"].ID, 200},
		{"bidder", f.users["bidder"].ID, 200},
		{"inhouse", f.users["owner"].ID, 404},
		{"bidder", f.users["admin"].ID, 404},
		{"admin", f.users["bidder"].ID, 200},
		{"anonymous", f.users["bidder"].ID, 401},
	} {
		if got := f.clients[tc.who].get("/api/users/" + tc.uid).Code; got != tc.want {
			t.Errorf("%s GET /api/users/%s: %d, want %d", tc.who, tc.uid, got, tc.want)
		}
	}
}

// A trade is named the same way everywhere (soq.Categories.Match): by name, trimmed, in
// any case — the API's item, the account form — or by id from the sheet's select.
func TestTradeCategoryNamedOneWay(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	c := f.clients["owner"]
	res := c.do("PATCH", "/api/soq/"+f.S+"/items/"+f.A1, map[string]any{"category": "  civil WORKS "})
	if res.Code != 200 {
		t.Fatalf("API by name in another case: %d %s", res.Code, res.Body)
	}
	if cat := f.item(t, f.A1)["category"]; cat == nil || cat.(map[string]any)["name"] != "Civil Works" {
		t.Fatalf("category %v", cat)
	}
	if code, body := c.try("PATCH", "/api/soq/"+f.S+"/items/"+f.A1, map[string]any{"category": "Civil"}, nil); code != 400 || !strings.Contains(body, "is not a trade category we know") {
		t.Errorf("a prefix is not a name: %d %s", code, body)
	}
	b := f.clients["bidder"]
	if res := b.form("/account", url.Values{"name": {"Bea"}, "entity": {"Spark Ltd"}, "category": {" electrical "}}); res.Code != http.StatusSeeOther {
		t.Errorf("account form by name in another case: %d", res.Code)
	}
	if me := b.get("/api/me").JSON(t)["user"].(map[string]any); me["category"] == nil || me["category"].(map[string]any)["name"] != "Electrical" {
		t.Errorf("bidder's trade: %v", me["category"])
	}
}
