package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func pasteOf(changes ...[3]any) map[string]any {
	out := make([]any, len(changes))
	for i, c := range changes {
		out[i] = map[string]any{"itemId": c[0], "field": c[1], "value": c[2]}
	}
	return map[string]any{"changes": out}
}

// A paste changes every cell it covers in one request: 200 with the changed rows and the
// totals, which the SOQ then shows.
func TestSOQPaste(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	c := f.clients["inhouse"]
	res := c.do("PATCH", "/api/soq/"+f.S+"/items", pasteOf(
		[3]any{f.B1, "quantity", "20"}, [3]any{f.B1, "rate", 20}, [3]any{f.A1, "description", "Site set-up and fencing"}))
	if res.Code != http.StatusOK {
		t.Fatalf("paste: %d %s", res.Code, res.Body)
	}
	m := res.JSON(t)
	items := m["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("%d items in the answer, want 2: %s", len(items), res.Body)
	}
	byID := map[string]map[string]any{}
	for _, it := range items {
		byID[it.(map[string]any)["id"].(string)] = it.(map[string]any)
	}
	// B1: 20 × 20.00 = 400.00; section B 400.00 + 5,000.00; grand + 12,500.00.
	if b1 := byID[f.B1]; b1["amount"] != 40000.0 || b1["quantity"] != "20" && b1["quantity"] != 20.0 || b1["rate"] != 2000.0 {
		t.Errorf("B1 %v", b1)
	}
	if byID[f.A1]["description"] != "Site set-up and fencing" {
		t.Errorf("A1 %v", byID[f.A1])
	}
	if m["total"] != float64(1250000+40000+500000) {
		t.Errorf("total %v", m["total"])
	}
	secs := map[string]float64{}
	for _, s := range m["sections"].([]any) {
		secs[s.(map[string]any)["id"].(string)] = s.(map[string]any)["total"].(float64)
	}
	if secs[f.secB] != 540000 || secs[f.secA] != 1250000 {
		t.Errorf("section totals %v", secs)
	}
	q := f.soq(t)
	if q["total"] != float64(1790000) || q["version"] != m["version"] {
		t.Errorf("the SOQ reads total %v version %v after the paste (answer: version %v)", q["total"], q["version"], m["version"])
	}
}

// One refused cell refuses the paste: 400 naming each refused cell by its index, and
// nothing is written.
func TestSOQPasteAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	c := f.clients["owner"]
	before := f.soq(t)
	for _, tc := range []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"a bad quantity", pasteOf([3]any{f.A1, "description", "Fine"}, [3]any{f.B1, "quantity", "-1"}), []string{"changes[1].value"}},
		{"an allowance's rule", pasteOf([3]any{f.B1, "rate", "1.00"}, [3]any{f.B2, "quantity", "3"}), []string{"changes[1].value"}},
		{"two bad cells", pasteOf([3]any{f.B1, "unit", "furlong"}, [3]any{f.A1, "rate", "abc"}, [3]any{f.A1, "reference", "A9"}),
			[]string{"changes[0].value", "changes[1].value"}},
		{"an item of another SOQ", pasteOf([3]any{f.A1, "description", "Fine"}, [3]any{"00000000-0000-0000-0000-000000000999", "rate", "1"}),
			[]string{"changes[1].itemId"}},
		{"an unknown column", pasteOf([3]any{f.A1, "amount", "1"}, [3]any{"x", "rate", true}),
			[]string{"changes[0].field", "changes[1].itemId", "changes[1].value"}},
		{"a duplicate reference", pasteOf([3]any{f.B1, "reference", "a1"}), []string{"changes[0].value"}},
		{"a total past the money range", pasteOf([3]any{f.B1, "description", "x"}, [3]any{f.B1, "rate", "90000000000000"}), []string{"changes[1].value"}},
		{"no changes", map[string]any{"changes": []any{}}, []string{"changes"}},
	} {
		code, body := c.try("PATCH", "/api/soq/"+f.S+"/items", tc.body, nil)
		fields := fieldsOf(t, body)
		if code != http.StatusBadRequest || len(fields) != len(tc.fields) {
			t.Errorf("%s: %d %s", tc.name, code, body)
			continue
		}
		for _, k := range tc.fields {
			if fields[k] == nil {
				t.Errorf("%s: no message for %s: %s", tc.name, k, body)
			}
		}
	}
	after := f.soq(t)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a refused paste changed the SOQ:\n%v\n%v", before, after)
	}
}

// Who may paste, and into what: the cell save's access (EDIT_SOQ on the SOQ's project), an
// issued SOQ is 409, and a paste has a size limit.
func TestSOQPasteAccessAndLimits(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	body := pasteOf([3]any{f.B1, "quantity", "2"})
	for who, want := range map[string]int{"owner": 200, "inhouse": 200, "bidder": 404, "outsider": 404, "otherOwner": 404, "anonymous": 401} {
		if code, resBody := f.clients[who].try("PATCH", "/api/soq/"+f.S+"/items", body, nil); code != want {
			t.Errorf("%s: %d, want %d: %s", who, code, want, resBody)
		}
	}
	// Another project's SOQ, named with an item of this one.
	if code, resBody := f.clients["owner"].try("PATCH", "/api/soq/"+f.S2+"/items", body, nil); code != http.StatusNotFound {
		t.Errorf("other project's SOQ: %d %s", code, resBody)
	}
	big := make([][3]any, maxPasteChanges+1)
	for i := range big {
		big[i] = [3]any{f.B1, "quantity", "1"}
	}
	code, resBody := f.clients["owner"].try("PATCH", "/api/soq/"+f.S+"/items", pasteOf(big...), nil)
	if code != http.StatusBadRequest || fieldsOf(t, resBody)["changes"] == nil {
		t.Errorf("%d changes: %d %s", len(big), code, resBody)
	}
	if _, err := f.a.st.DB().Exec(`UPDATE soqs SET status = 'issued' WHERE id = $1`, f.S); err != nil {
		t.Fatal(err)
	}
	if code, resBody := f.clients["owner"].try("PATCH", "/api/soq/"+f.S+"/items", pasteOf([3]any{f.B1, "quantity", "3"}), nil); code != http.StatusConflict {
		t.Errorf("issued SOQ: %d %s", code, resBody)
	}
	if it := f.item(t, f.B1); it["quantity"] != "2" && it["quantity"] != 2.0 {
		t.Errorf("B1 quantity %v after the issued refusal", it["quantity"])
	}
}

// A cell save, an add-row and a paste cost at most 6 statements for the whole request
// (session, account and project lookups included), whatever the SOQ's size.
func TestSOQWriteQueryCounts(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	c := f.clients["owner"]
	var rows []any
	for i := range 200 {
		rows = append(rows, map[string]any{"reference": fmt.Sprintf("C%d", i), "description": "Filler", "unit": "nr", "quantity": 1, "rate": 100})
	}
	if res := c.do("POST", "/api/soq/"+f.S+"/sections", map[string]any{"code": "C", "title": "Filler"}); res.Code != http.StatusCreated {
		t.Fatalf("section: %d %s", res.Code, res.Body)
	}
	base := f.base()
	measure := func(name string, do func() response) {
		t.Helper()
		before := f.a.st.QueryCount()
		res := do()
		if res.Code >= 400 {
			t.Fatalf("%s: %d %s", name, res.Code, res.Body)
		}
		if n := f.a.st.QueryCount() - before; n > 6 {
			t.Errorf("%s: %d statements, want at most 6", name, n)
		}
	}
	for round := range 2 {
		measure(fmt.Sprintf("cell save (round %d)", round), func() response {
			return c.form(base+"/items/"+f.B1+"/cells/quantity", url.Values{"value": {fmt.Sprint(10 + round)}}, "HX-Request", "true")
		})
		measure(fmt.Sprintf("add row (round %d)", round), func() response {
			return c.form(base+"/sections/"+f.secA+"/items", url.Values{"reference": {fmt.Sprintf("A%d", 50+round)}, "description": {"Added"},
				"unit": {"nr"}, "quantity": {"2"}, "rate": {"3.00"}})
		})
		measure(fmt.Sprintf("paste (round %d)", round), func() response {
			return c.do("PATCH", "/api/soq/"+f.S+"/items", pasteOf([3]any{f.B1, "rate", "21.00"}, [3]any{f.A1, "description", strings.Repeat("x", round+1)}))
		})
		// Grow the SOQ between the rounds: the counts must not change.
		sec := ""
		for _, s := range f.soq(t)["sections"].([]any) {
			if s.(map[string]any)["code"] == "C" {
				sec = s.(map[string]any)["id"].(string)
			}
		}
		for _, r := range rows[round*100 : round*100+100] {
			if res := c.do("POST", "/api/soq/"+f.S+"/sections/"+sec+"/items", r); res.Code != http.StatusCreated {
				t.Fatalf("filler: %d %s", res.Code, res.Body)
			}
		}
	}
}
