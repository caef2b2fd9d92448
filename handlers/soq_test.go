package handlers

import (
	"net/http"
	"strings"
	"testing"
)

func soqBodyFor(projectID string) map[string]any {
	return map[string]any{"projectId": projectID, "title": "Main SOQ", "currency": "usd",
		"sections": []any{
			map[string]any{"code": "A", "title": "Preliminaries", "items": []any{
				map[string]any{"reference": "A1", "description": "Site set-up", "unit": "item", "quantity": 1, "rate": 1250000, "itemType": "preliminaries"},
			}},
			map[string]any{"code": "B", "title": "Substructure", "items": []any{
				map[string]any{"reference": "B1", "description": "Excavate to reduce levels", "unit": "m3", "quantity": 12.5, "rate": 1999, "itemType": "measured", "category": "Civil Works"},
				map[string]any{"reference": "B2", "description": "Concrete allowance", "rate": 500000, "itemType": "provisional_sum"},
			}},
		}}
}

func TestSOQCreateAndTotals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["inhouse"]
	res := c.do("POST", "/api/soq", soqBodyFor(f.P.ID))
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.Body)
	}
	m := res.JSON(t)
	// 12.5 × 19.99 = 249.875 → 249.88 (half up); totals 12,500.00 + 249.88 + 5,000.00.
	if m["total"] != float64(1250000+24988+500000) || m["itemCount"] != 3.0 {
		t.Errorf("total %v items %v", m["total"], m["itemCount"])
	}
	secs := m["sections"].([]any)
	b := secs[1].(map[string]any)
	if b["total"] != float64(24988+500000) {
		t.Errorf("section total %v", b["total"])
	}
	b1 := b["items"].([]any)[0].(map[string]any)
	if b1["amount"] != float64(24988) || b1["quantity"] != 12.5 || b1["category"].(map[string]any)["name"] != "Civil Works" {
		t.Errorf("item %v", b1)
	}
	b2 := b["items"].([]any)[1].(map[string]any)
	if b2["unit"] != "sum" || b2["quantity"] != 1.0 || b2["amount"] != float64(500000) {
		t.Errorf("allowance %v", b2)
	}
	id := m["id"].(string)
	if got := c.get("/api/soq/" + id).JSON(t); got["total"] != m["total"] {
		t.Errorf("GET total %v", got["total"])
	}
	list := c.get("/api/soq?projectId=" + f.P.ID).JSON(t)["soqs"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["total"] != m["total"] {
		t.Errorf("list %v", list)
	}
	// An inline-style edit: the quantity changes, the amount and both totals follow.
	res = c.do("PATCH", "/api/soq/"+id+"/items/"+b1["id"].(string), map[string]any{"quantity": 100})
	if res.Code != 200 {
		t.Fatalf("patch: %d %s", res.Code, res.Body)
	}
	p := res.JSON(t)
	if p["item"].(map[string]any)["amount"] != float64(199900) || p["sectionTotal"] != float64(199900+500000) || p["total"] != float64(1250000+199900+500000) {
		t.Errorf("after patch %v", p)
	}
	// Bidders cannot reprice allowances; nor can anyone make one non-unit.
	res = c.do("PATCH", "/api/soq/"+id+"/items/"+b2["id"].(string), map[string]any{"quantity": 2})
	if res.Code != 400 || !strings.Contains(res.Body, "must be 1") {
		t.Errorf("allowance quantity: %d %s", res.Code, res.Body)
	}
}

func TestSOQAllOrNothingAndBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	bad := func(mutate func(b map[string]any)) response {
		b := soqBodyFor(f.P.ID)
		mutate(b)
		return c.do("POST", "/api/soq", b)
	}
	item := func(b map[string]any, s, i int) map[string]any {
		return b["sections"].([]any)[s].(map[string]any)["items"].([]any)[i].(map[string]any)
	}
	cases := []struct {
		name   string
		mutate func(b map[string]any)
		field  string
	}{
		{"non-numeric quantity", func(b map[string]any) { item(b, 1, 0)["quantity"] = "lots" }, "sections[1].items[0].quantity"},
		{"negative rate", func(b map[string]any) { item(b, 1, 0)["rate"] = -5 }, "sections[1].items[0].rate"},
		{"fractional rate", func(b map[string]any) { item(b, 1, 0)["rate"] = 19.99 }, "sections[1].items[0].rate"},
		{"four decimals", func(b map[string]any) { item(b, 1, 0)["quantity"] = 1.2345 }, "sections[1].items[0].quantity"},
		{"formula", func(b map[string]any) { item(b, 1, 0)["quantity"] = "=SUM(A1:A9)" }, "sections[1].items[0].quantity"},
		{"bad type", func(b map[string]any) { item(b, 0, 0)["itemType"] = "guess" }, "sections[0].items[0].itemType"},
		{"duplicate reference", func(b map[string]any) { item(b, 1, 1)["reference"] = "a1" }, "sections[1].items[1].reference"},
		{"duplicate section", func(b map[string]any) { b["sections"].([]any)[1].(map[string]any)["code"] = "A" }, "sections[1].code"},
		{"unknown unit", func(b map[string]any) { item(b, 1, 0)["unit"] = "furlong" }, "sections[1].items[0].unit"},
		{"unknown trade", func(b map[string]any) { item(b, 1, 0)["category"] = "Alchemy" }, "sections[1].items[0].category"},
		{"no title", func(b map[string]any) { b["title"] = "" }, "title"},
		{"bad currency", func(b map[string]any) { b["currency"] = "xyz" }, "currency"},
	}
	for _, tc := range cases {
		res := bad(tc.mutate)
		if res.Code != 400 {
			t.Errorf("%s: %d %s", tc.name, res.Code, res.Body)
			continue
		}
		if fields, _ := res.JSON(t)["fields"].(map[string]any); fields[tc.field] == nil {
			t.Errorf("%s: no message for %s: %s", tc.name, tc.field, res.Body)
		}
	}
	if n := f.a.count(`SELECT count(*) FROM soqs`) + f.a.count(`SELECT count(*) FROM soq_items`); n != 0 {
		t.Errorf("%d rows written by refused bodies", n)
	}
}

func TestSOQPermissions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res := f.clients["owner"].do("POST", "/api/soq", soqBodyFor(f.P.ID))
	if res.Code != 201 {
		t.Fatal(res.Body)
	}
	id := res.JSON(t)["id"].(string)
	for role, want := range map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "bidder": 404, "outsider": 404, "otherOwner": 404, "anonymous": 401} {
		if res := f.clients[role].get("/api/soq/" + id); res.Code != want {
			t.Errorf("%s GET: %d, want %d", role, res.Code, want)
		}
		if res := f.clients[role].get("/api/soq?projectId=" + f.P.ID); res.Code != want {
			t.Errorf("%s list: %d, want %d", role, res.Code, want)
		}
	}
	// Creating: CREATE_SOQ on the team; a bidder lacks the permission; another team's project is 404.
	for role, want := range map[string]int{"bidder": 403, "otherOwner": 404, "outsider": 404, "anonymous": 401} {
		if res := f.clients[role].do("POST", "/api/soq", soqBodyFor(f.P.ID)); res.Code != want {
			t.Errorf("%s create: %d, want %d", role, res.Code, want)
		}
	}
	// Another project's SOQ through every verb.
	for _, m := range []string{"PUT", "DELETE", "PATCH"} {
		path := "/api/soq/" + id
		var body any = soqBodyFor(f.P.ID)
		if m == "PATCH" {
			path += "/items/00000000-0000-0000-0000-000000000000"
			body = map[string]any{"quantity": 1}
		}
		if res := f.clients["otherOwner"].do(m, path, body); res.Code != 404 {
			t.Errorf("otherOwner %s: %d", m, res.Code)
		}
	}
	if res := f.clients["owner"].do("DELETE", "/api/soq/"+id, nil); res.Code != 204 {
		t.Errorf("owner delete: %d", res.Code)
	}
}

func TestSOQReplaceIssued(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	body := soqBodyFor(f.P.ID)
	body["status"] = "issued"
	res := c.do("POST", "/api/soq", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.Body)
	}
	id := res.JSON(t)["id"].(string)
	body["version"] = res.JSON(t)["version"]
	// Replacing an issued SOQ while keeping it issued is a conflict and changes nothing.
	body["title"] = "Changed"
	body["sections"] = []any{}
	res = c.do("PUT", "/api/soq/"+id, body)
	if res.Code != http.StatusConflict || !strings.Contains(res.Body, `\"status\": \"draft\"`) {
		t.Fatalf("PUT issued: %d %s", res.Code, res.Body)
	}
	if got := c.get("/api/soq/" + id).JSON(t); got["title"] != "Main SOQ" || got["itemCount"] != 3.0 {
		t.Fatalf("the refused PUT changed the SOQ: %v %v", got["title"], got["itemCount"])
	}
	// Saying so returns it to draft with the new content.
	body["status"] = "draft"
	res = c.do("PUT", "/api/soq/"+id, body)
	if res.Code != http.StatusOK {
		t.Fatalf("PUT draft: %d %s", res.Code, res.Body)
	}
	if got := res.JSON(t); got["status"] != "draft" || got["title"] != "Changed" || got["itemCount"] != 0.0 {
		t.Fatalf("after PUT: %v", got)
	}
}
