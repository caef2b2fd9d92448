package handlers

// Issue 8 regressions for SOQs and units: money totals that would overflow, identifiers
// with invisible characters or another Unicode spelling, concurrent field edits, stale
// whole-object replaces, positions under concurrent adds and moves; and the fuzz targets
// for the JSON decoding of units and SOQ items.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/units"
)

// try sends a request from any goroutine: failures come back as code 0, never t.Fatal.
func (c *client) try(method, path string, body any, form url.Values) (int, string) {
	var r io.Reader
	ct := ""
	switch {
	case form != nil:
		r, ct = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	case body != nil:
		j, _ := json.Marshal(body)
		r, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.a.srv.URL+path, r)
	if err != nil {
		return 0, err.Error()
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range c.headers {
		req.Header[k] = v
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// newSOQ creates an SOQ through the API and returns its JSON.
func newSOQ(t *testing.T, c *client, body map[string]any) map[string]any {
	t.Helper()
	res := c.do("POST", "/api/soq", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("create SOQ: %d %s", res.Code, res.Body)
	}
	return res.JSON(t)
}

func sectionIDs(m map[string]any) []string {
	var out []string
	for _, s := range m["sections"].([]any) {
		out = append(out, s.(map[string]any)["id"].(string))
	}
	return out
}

func fieldsOf(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not JSON: %q", body)
	}
	f, _ := m["fields"].(map[string]any)
	return f
}

// The attack: items whose amounts sum past the largest amount 14Build holds. Every write
// path refuses it with 400 naming the field, writes nothing, and every read still answers.
func TestSOQTotalsOverflowRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	max := money.MaxMinor
	body := map[string]any{"projectId": f.P.ID, "title": "Huge", "currency": "usd", "sections": []any{
		map[string]any{"code": "A", "title": "Big", "items": []any{
			map[string]any{"reference": "A1", "description": "All the money", "unit": "nr", "quantity": 1, "rate": max},
		}},
		map[string]any{"code": "B", "title": "Small", "items": []any{
			map[string]any{"reference": "B1", "description": "A little more", "unit": "nr", "quantity": 1, "rate": 0},
		}},
	}}
	q := newSOQ(t, c, body)
	id := q["id"].(string)
	secs := sectionIDs(q)
	b1 := q["sections"].([]any)[1].(map[string]any)["items"].([]any)[0].(map[string]any)["id"].(string)
	items := func() int { return f.a.count(`SELECT count(*) FROM soq_items WHERE soq_id = $1`, id) }

	// Add item (API): same section → section total; other section → grand total.
	for _, tc := range []struct{ sec, which string }{{secs[0], "section total"}, {secs[1], "grand total"}} {
		code, resBody := c.try("POST", "/api/soq/"+id+"/sections/"+tc.sec+"/items", map[string]any{"reference": "X" + tc.sec[:4],
			"description": "One cent too many", "unit": "nr", "quantity": 1, "rate": 1}, nil)
		if code != 400 || !strings.Contains(fmt.Sprint(fieldsOf(t, resBody)["rate"]), tc.which+" exceed the largest amount") {
			t.Errorf("add item (%s): %d %s", tc.which, code, resBody)
		}
	}
	// PATCH (API): the rate, or only the quantity, of an existing item.
	code, resBody := c.try("PATCH", "/api/soq/"+id+"/items/"+b1, map[string]any{"rate": 5}, nil)
	if code != 400 || fieldsOf(t, resBody)["rate"] == nil {
		t.Errorf("patch rate: %d %s", code, resBody)
	}
	// Writes by hand (as before the totals check existed) store the amount as migration
	// 00008's backfill does.
	if _, err := f.a.st.DB().Exec(`UPDATE soq_items SET rate = 1, amount = round(quantity * 1) WHERE id = $1`, b1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.st.DB().Exec(`UPDATE soq_items SET rate = $2::bigint, amount = round(quantity * $2::bigint) WHERE soq_id = $1 AND reference = 'A1'`, id, max-1); err != nil {
		t.Fatal(err)
	}
	code, resBody = c.try("PATCH", "/api/soq/"+id+"/items/"+b1, map[string]any{"quantity": 3}, nil)
	if code != 400 || !strings.Contains(fmt.Sprint(fieldsOf(t, resBody)["quantity"]), "grand total") {
		t.Errorf("patch quantity: %d %s", code, resBody)
	}
	// The item being changed counts once, with its new values: on an SOQ one cent over the
	// limit (stored before the check existed), lowering B1's rate brings the grand total back
	// exactly to the limit, which fits.
	if _, err := f.a.st.DB().Exec(`UPDATE soq_items SET rate = 2, amount = round(quantity * 2) WHERE id = $1`, b1); err != nil {
		t.Fatal(err)
	}
	if code, resBody = c.try("PATCH", "/api/soq/"+id+"/items/"+b1, map[string]any{"rate": 1}, nil); code != 200 {
		t.Errorf("patch back to the limit: %d %s", code, resBody)
	}
	// Cell save (sheet): 422 with the message in the row, nothing saved.
	base := "/projects/" + f.P.ID + "/soq/" + id
	res := c.form(base+"/items/"+b1+"/cells/rate", url.Values{"value": {"1.00"}}, "HX-Request", "true")
	if res.Code != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "largest amount 14Build can hold") {
		t.Errorf("cell save: %d %s", res.Code, res.Body)
	}
	// Add item (sheet form).
	res = c.form(base+"/sections/"+secs[1]+"/items", url.Values{"reference": {"B9"}, "description": {"More"}, "unit": {"nr"}, "quantity": {"2"}, "rate": {"0.01"}})
	if res.Code != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "largest amount 14Build can hold") {
		t.Errorf("sheet add item: %d", res.Code)
	}
	if n := items(); n != 2 {
		t.Errorf("%d items after refused writes, want 2", n)
	}
	var rate int64
	if err := f.a.st.DB().Get(&rate, `SELECT rate FROM soq_items WHERE id = $1`, b1); err != nil || rate != 1 {
		t.Errorf("B1 rate %d %v: a refused edit was written", rate, err)
	}
	// Whole SOQ: POST and PUT with two items of the largest amount.
	twice := map[string]any{"projectId": f.P.ID, "title": "Twice", "currency": "usd", "sections": []any{
		map[string]any{"code": "A", "title": "Big", "items": []any{
			map[string]any{"reference": "A1", "description": "Half", "unit": "nr", "quantity": 1, "rate": max},
			map[string]any{"reference": "A2", "description": "Other half", "unit": "nr", "quantity": 1, "rate": max},
		}}}}
	code, resBody = c.try("POST", "/api/soq", twice, nil)
	if code != 400 || fieldsOf(t, resBody)["sections[0].items[1].rate"] == nil {
		t.Errorf("POST whole SOQ: %d %s", code, resBody)
	}
	cur := c.get("/api/soq/" + id).JSON(t)
	twice["version"] = cur["version"]
	code, resBody = c.try("PUT", "/api/soq/"+id, twice, nil)
	if code != 400 || fieldsOf(t, resBody)["sections[0].items[1].rate"] == nil {
		t.Errorf("PUT whole SOQ: %d %s", code, resBody)
	}
	if n := f.a.count(`SELECT count(*) FROM soqs`); n != 1 {
		t.Errorf("%d SOQs: the refused POST wrote one", n)
	}
	if got := c.get("/api/soq/" + id).JSON(t); got["title"] != "Huge" || got["version"] != cur["version"] {
		t.Errorf("the refused PUT changed the SOQ: %v v%v", got["title"], got["version"])
	}

	// Rows written before this check (or by hand) that overflow: reads still answer.
	if _, err := f.a.st.DB().Exec(`UPDATE soq_items SET rate = $2::bigint, quantity = 1000000000, amount = LEAST(round(1000000000::numeric * $2::bigint), 9007199254740993) WHERE id = $1`, b1, max); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/soq?projectId=" + f.P.ID, "/api/soq/" + id, "/api/soq/" + id + "/items/" + b1, "/api/soq/" + id + "/export.csv",
		"/api/soq/" + id + "/export.xlsx", "/projects/" + f.P.ID + "/soq", base, base + "/sections/" + secs[1] + "/rows", base + "/items/" + b1 + "/row"} {
		if res := c.get(p, "HX-Request", "true"); res.Code >= 500 {
			t.Errorf("GET %s on an overflowing SOQ: %d", p, res.Code)
		}
	}
	if res := c.get(base); res.Code != 200 || res.Doc(t).Find("#soq-overflow").Length() != 1 {
		t.Errorf("the sheet does not say its totals are capped: %d", res.Code)
	}
	// Deleting the offending item is always possible.
	if res := c.do("DELETE", "/api/soq/"+id+"/items/"+b1, nil); res.Code != 204 {
		t.Errorf("delete: %d %s", res.Code, res.Body)
	}
}

// Concurrent adds cannot sneak past the check together: each sees the others' committed
// items because the check runs under the SOQ's row lock.
func TestSOQTotalsConcurrentAdds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	part := money.MaxMinor / 5 // five fit, the sixth does not
	for trial := 0; trial < 3; trial++ {
		q := newSOQ(t, c, map[string]any{"projectId": f.P.ID, "title": fmt.Sprintf("Race %d", trial), "currency": "usd",
			"sections": []any{map[string]any{"code": "A", "title": "A", "items": []any{}}}})
		id, sec := q["id"].(string), sectionIDs(q)[0]
		var wg sync.WaitGroup
		codes := make([]int, 20)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _ = c.try("POST", "/api/soq/"+id+"/sections/"+sec+"/items", map[string]any{"reference": fmt.Sprintf("R%d", i),
					"description": "A fifth", "unit": "nr", "quantity": 1, "rate": part}, nil)
			}()
		}
		wg.Wait()
		ok := 0
		for _, code := range codes {
			switch code {
			case 201:
				ok++
			case 400:
			default:
				t.Errorf("trial %d: status %d", trial, code)
			}
		}
		got := c.get("/api/soq/" + id).JSON(t)
		if ok != 5 || got["itemCount"] != 5.0 || got["total"] != float64(5*part) {
			t.Errorf("trial %d: %d accepted, %v items, total %v", trial, ok, got["itemCount"], got["total"])
		}
	}
}

// Identifiers: a zero-width space does not make a second "A-01", and two Unicode
// spellings of é are the same identifier.
func TestIdentifiersNormalisedAndVisible(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	ubase := "/api/projects/" + f.P.ID + "/units"
	nfc, nfd := "Unit \u00e9", "Unit e\u0301"
	if res := c.do("POST", ubase, map[string]any{"units": []any{unitJSON("A-01", 10, 10), unitJSON(nfc, 10, 10)}}); res.Code != 201 {
		t.Fatalf("create: %d %s", res.Code, res.Body)
	}
	for _, num := range []string{"A-0\u200b1", "\ufeffA-01", "A-0\u00ad1", "A-01\u202e", "\u2066A-01\u2069", "A\u200d-01", "A\u200c-01", "A-01\u200f"} {
		res := c.do("POST", ubase, map[string]any{"units": []any{unitJSON(num, 10, 10)}})
		if res.Code != 400 || !strings.Contains(fmt.Sprint(fieldsOf(t, res.Body)["units[0].unitNumber"]), "invisible") {
			t.Errorf("unit number %q: %d %s", num, res.Code, res.Body)
		}
	}
	res := c.do("POST", ubase, map[string]any{"units": []any{unitJSON(nfd, 10, 10)}})
	if res.Code != 400 || !strings.Contains(fmt.Sprint(fieldsOf(t, res.Body)["units[0].unitNumber"]), "already used") {
		t.Errorf("NFD duplicate of an NFC unit number: %d %s", res.Code, res.Body)
	}
	// The page form refuses the same.
	form := url.Values{"unitNumber": {"A-0\u200b1"}, "unitType": {"T"}, "totalFloorArea": {"10"}, "numberOfFloors": {"1"}, "numberOfRooms": {"1"},
		"numberOfBathrooms": {"1"}, "floors[0].floorNumber": {"1"}, "floors[0].floorArea": {"10"}}
	if res := c.form("/projects/"+f.P.ID+"/units", form); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("unit form with a zero-width space: %d", res.Code)
	}
	if n := f.a.count(`SELECT count(*) FROM units`); n != 2 {
		t.Errorf("%d units, want 2", n)
	}
	var stored string
	if err := f.a.st.DB().Get(&stored, `SELECT unit_number FROM units WHERE lower(unit_number) = lower($1)`, nfc); err != nil || stored != nfc {
		t.Errorf("stored %q %v", stored, err)
	}
	// A unit saved with an NFD number is stored NFC.
	if res := c.do("POST", ubase, map[string]any{"units": []any{unitJSON("Caf"+"e\u0301", 10, 10)}}); res.Code != 201 || res.JSON(t)["units"].([]any)[0].(map[string]any)["unitNumber"] != "Caf\u00e9" {
		t.Errorf("NFD unit number not normalised: %d %s", res.Code, res.Body)
	}

	// SOQ item references and section codes.
	q := newSOQ(t, c, map[string]any{"projectId": f.P.ID, "title": "Idents", "currency": "usd", "sections": []any{
		map[string]any{"code": "S\u00e9", "title": "One", "items": []any{
			map[string]any{"reference": "A-01", "description": "x", "unit": "nr", "quantity": 1, "rate": 1},
			map[string]any{"reference": nfc, "description": "y", "unit": "nr", "quantity": 1, "rate": 1},
		}}}})
	id, sec := q["id"].(string), sectionIDs(q)[0]
	item := func(ref string) map[string]any {
		return map[string]any{"reference": ref, "description": "z", "unit": "nr", "quantity": 1, "rate": 1}
	}
	for ref, want := range map[string]string{"A-0\u200b1": "invisible", "A-01\u202e": "invisible", nfd: "already used"} {
		res := c.do("POST", "/api/soq/"+id+"/sections/"+sec+"/items", item(ref))
		if res.Code != 400 || !strings.Contains(fmt.Sprint(fieldsOf(t, res.Body)["reference"]), want) {
			t.Errorf("item reference %q: %d %s", ref, res.Code, res.Body)
		}
	}
	for code, want := range map[string]string{"S\u200b\u00e9": "invisible", "Se\u0301": "already used"} {
		res := c.do("POST", "/api/soq/"+id+"/sections", map[string]any{"code": code, "title": "Two"})
		if res.Code != 400 || !strings.Contains(fmt.Sprint(fieldsOf(t, res.Body)["code"]), want) {
			t.Errorf("section code %q: %d %s", code, res.Code, res.Body)
		}
	}
	// PATCH and the sheet's cell save take the same rule.
	a1 := q["sections"].([]any)[0].(map[string]any)["items"].([]any)[0].(map[string]any)["id"].(string)
	if res := c.do("PATCH", "/api/soq/"+id+"/items/"+a1, map[string]any{"reference": "B\u200b-1"}); res.Code != 400 {
		t.Errorf("PATCH reference with a zero-width space: %d %s", res.Code, res.Body)
	}
	if res := c.form("/projects/"+f.P.ID+"/soq/"+id+"/items/"+a1+"/cells/reference", url.Values{"value": {nfd}}, "HX-Request", "true"); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("cell save of an NFD duplicate: %d", res.Code)
	}
	if res := c.form("/projects/"+f.P.ID+"/soq/"+id+"/sections", url.Values{"code": {"S\u2066\u00e9"}, "title": {"T"}}); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("section form with a bidi isolate: %d", res.Code)
	}
	// A whole body with the two spellings of one reference.
	res = c.do("POST", "/api/soq", map[string]any{"projectId": f.P.ID, "title": "Dup", "currency": "usd", "sections": []any{
		map[string]any{"code": "A", "title": "One", "items": []any{item(nfc), item(nfd)}}}})
	if res.Code != 400 || fieldsOf(t, res.Body)["sections[0].items[1].reference"] == nil {
		t.Errorf("body with NFC and NFD references: %d %s", res.Code, res.Body)
	}
	if n := f.a.count(`SELECT count(*) FROM soq_items`); n != 2 {
		t.Errorf("%d items, want 2", n)
	}
	if n := f.a.count(`SELECT count(*) FROM soq_sections`); n != 1 {
		t.Errorf("%d sections, want 1", n)
	}
}

// Three people edit different fields of one item at once, twenty times: no edit is lost,
// through the API's PATCH and through the sheet's cell save alike.
func TestConcurrentFieldEditsKeepEveryEdit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, inhouse, admin := f.clients["owner"], f.clients["inhouse"], f.clients["admin"]
	q := newSOQ(t, owner, soqBodyFor(f.P.ID))
	id := q["id"].(string)
	item := q["sections"].([]any)[1].(map[string]any)["items"].([]any)[0].(map[string]any)["id"].(string)
	page := "/projects/" + f.P.ID + "/soq/" + id + "/items/" + item + "/cells/"
	lost := 0
	for trial := 1; trial <= 20; trial++ {
		desc, qty, rate := fmt.Sprintf("Excavate, trial %d", trial), trial*10, int64(1000+trial)
		var wg sync.WaitGroup
		codes := make([]int, 3)
		sheet := trial%2 == 0 // odd trials through the API, even ones through the sheet
		wg.Add(3)
		go func() {
			defer wg.Done()
			if sheet {
				codes[0], _ = owner.try("POST", page+"description", nil, url.Values{"value": {desc}})
			} else {
				codes[0], _ = owner.try("PATCH", "/api/soq/"+id+"/items/"+item, map[string]any{"description": desc}, nil)
			}
		}()
		go func() {
			defer wg.Done()
			if sheet {
				codes[1], _ = inhouse.try("POST", page+"quantity", nil, url.Values{"value": {fmt.Sprint(qty)}})
			} else {
				codes[1], _ = inhouse.try("PATCH", "/api/soq/"+id+"/items/"+item, map[string]any{"quantity": qty}, nil)
			}
		}()
		go func() {
			defer wg.Done()
			if sheet {
				codes[2], _ = admin.try("POST", page+"rate", nil, url.Values{"value": {money.Input(rate, money.Currencies[0])}})
			} else {
				codes[2], _ = admin.try("PATCH", "/api/soq/"+id+"/items/"+item, map[string]any{"rate": rate}, nil)
			}
		}()
		wg.Wait()
		for i, code := range codes {
			if code != 200 && code != 303 {
				t.Fatalf("trial %d edit %d: status %d", trial, i, code)
			}
		}
		got := owner.get("/api/soq/" + id + "/items/" + item).JSON(t)
		if got["description"] != desc || got["quantity"] != float64(qty) || got["rate"] != float64(rate) {
			lost++
			t.Errorf("trial %d: an edit was lost: %v %v %v", trial, got["description"], got["quantity"], got["rate"])
		}
		if a, _ := soq.Amount(soq.Quantity(qty*1000), rate); got["amount"] != float64(a) {
			t.Errorf("trial %d: amount %v, want %d", trial, got["amount"], a)
		}
	}
	if lost > 0 {
		t.Errorf("edits lost in %d of 20 trials", lost)
	}
	// An edit of an item deleted meanwhile: a clear 404.
	if res := owner.do("DELETE", "/api/soq/"+id+"/items/"+item, nil); res.Code != 204 {
		t.Fatal(res.Body)
	}
	if res := owner.form(page+"rate", url.Values{"value": {"1"}}, "HX-Request", "true"); res.Code != 404 || !strings.Contains(res.Body, "deleted") {
		t.Errorf("cell save on a deleted item: %d %s", res.Code, res.Body)
	}
	if res := owner.do("PATCH", "/api/soq/"+id+"/items/"+item, map[string]any{"rate": 1}); res.Code != 404 || !strings.Contains(res.Body, "deleted") {
		t.Errorf("PATCH on a deleted item: %d %s", res.Code, res.Body)
	}
}

// A whole-object replace carries the version it read: stale → 409 and nothing written;
// missing → 400 asking for it. Of twenty concurrent PUTs from one version, one wins.
func TestStaleReplaceRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	q := newSOQ(t, c, soqBodyFor(f.P.ID))
	id, v := q["id"].(string), q["version"]
	item := q["sections"].([]any)[0].(map[string]any)["items"].([]any)[0].(map[string]any)["id"].(string)
	// Someone edits one item; a PUT from the version read before it is refused.
	if res := c.do("PATCH", "/api/soq/"+id+"/items/"+item, map[string]any{"description": "Edited meanwhile"}); res.Code != 200 {
		t.Fatal(res.Body)
	}
	body := soqBodyFor(f.P.ID)
	body["title"] = "Overwritten"
	body["version"] = v
	res := c.do("PUT", "/api/soq/"+id, body)
	if res.Code != http.StatusConflict || fieldsOf(t, res.Body)["version"] == nil {
		t.Errorf("stale PUT: %d %s", res.Code, res.Body)
	}
	delete(body, "version")
	if res := c.do("PUT", "/api/soq/"+id, body); res.Code != 400 || fieldsOf(t, res.Body)["version"] == nil {
		t.Errorf("PUT without version: %d %s", res.Code, res.Body)
	}
	got := c.get("/api/soq/" + id).JSON(t)
	if got["title"] != "Main SOQ" || !strings.Contains(c.get("/api/soq/"+id+"/items/"+item).Body, "Edited meanwhile") {
		t.Fatalf("a refused PUT wrote: %v", got["title"])
	}
	// Twenty PUTs from the current version at once: exactly one is applied.
	cur := got["version"]
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := soqBodyFor(f.P.ID)
			b["title"], b["version"] = fmt.Sprintf("Writer %d", i), cur
			codes[i], _ = c.try("PUT", "/api/soq/"+id, b, nil)
		}()
	}
	wg.Wait()
	won := 0
	for _, code := range codes {
		switch code {
		case 200:
			won++
		case 409:
		default:
			t.Errorf("concurrent PUT: %d", code)
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent PUTs from one version applied, want 1", won)
	}

	// Units: the same rule.
	ubase := "/api/projects/" + f.P.ID + "/units"
	u := c.do("POST", ubase, map[string]any{"units": []any{unitJSON("U-1", 10, 10)}}).JSON(t)["units"].([]any)[0].(map[string]any)
	uid, uv := u["id"].(string), u["version"]
	put := unitJSON("U-1", 20, 20)
	put["version"] = uv
	if res := c.do("PUT", ubase+"/"+uid, put); res.Code != 200 {
		t.Fatalf("unit PUT: %d %s", res.Code, res.Body)
	}
	stale := unitJSON("U-1-stale", 30, 30)
	stale["version"] = uv
	if res := c.do("PUT", ubase+"/"+uid, stale); res.Code != http.StatusConflict {
		t.Errorf("stale unit PUT: %d %s", res.Code, res.Body)
	}
	if res := c.do("PUT", ubase+"/"+uid, unitJSON("U-1-none", 30, 30)); res.Code != 400 || fieldsOf(t, res.Body)["version"] == nil {
		t.Errorf("unit PUT without version: %d %s", res.Code, res.Body)
	}
	if got := c.get(ubase + "/" + uid).JSON(t); got["unitNumber"] != "U-1" || got["totalFloorArea"] != 20.0 {
		t.Errorf("a refused unit PUT wrote: %v", got)
	}
	// The edit page carries the version it showed: saving after someone else's change is
	// refused with a message, and their change stays.
	edit := c.get("/projects/" + f.P.ID + "/units/" + uid + "/edit").Doc(t)
	pageVersion, ok := edit.Find(`#unit-form input[name="version"]`).Attr("value")
	if !ok {
		t.Fatal("the edit form carries no version")
	}
	put = unitJSON("U-1-api", 20, 20)
	put["version"] = c.get(ubase + "/" + uid).JSON(t)["version"]
	if res := c.do("PUT", ubase+"/"+uid, put); res.Code != 200 {
		t.Fatalf("unit PUT: %d %s", res.Code, res.Body)
	}
	form := url.Values{"unitNumber": {"U-1-page"}, "unitType": {"T"}, "totalFloorArea": {"10"}, "numberOfFloors": {"1"}, "numberOfRooms": {"1"},
		"numberOfBathrooms": {"1"}, "floors[0].floorNumber": {"1"}, "floors[0].floorArea": {"10"}, "version": {pageVersion}}
	if res := c.form("/projects/"+f.P.ID+"/units/"+uid, form); res.Code != http.StatusConflict || !strings.Contains(res.Body, "changed by someone else") {
		t.Errorf("stale unit form: %d", res.Code)
	}
	if got := c.get(ubase + "/" + uid).JSON(t); got["unitNumber"] != "U-1-api" {
		t.Errorf("a stale unit form wrote: %v", got["unitNumber"])
	}
}

// Fifty concurrent adds of items and sections, with moves running alongside: every
// position stays unique among its siblings, and nothing fails.
func TestPositionsUniqueUnderConcurrentAddsAndMoves(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	q := newSOQ(t, c, soqBodyFor(f.P.ID))
	id, secs := q["id"].(string), sectionIDs(q)
	first := q["sections"].([]any)[1].(map[string]any)["items"].([]any)[0].(map[string]any)["id"].(string)
	base := "/projects/" + f.P.ID + "/soq/" + id
	for round := 0; round < 2; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var bad []string
		note := func(what string, code int, body string) {
			if code >= 400 || code == 0 {
				mu.Lock()
				bad = append(bad, fmt.Sprintf("%s: %d %.200s", what, code, body))
				mu.Unlock()
			}
		}
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, body := c.try("POST", "/api/soq/"+id+"/sections/"+secs[1]+"/items", map[string]any{"reference": fmt.Sprintf("N%d-%d", round, i),
					"description": "Concurrent add", "unit": "nr", "quantity": 1, "rate": 100}, nil)
				note("add item", code, body)
			}()
			if i%5 == 0 {
				wg.Add(2)
				go func() {
					defer wg.Done()
					code, body := c.try("POST", "/api/soq/"+id+"/sections", map[string]any{"code": fmt.Sprintf("C%d-%d", round, i), "title": "Concurrent"}, nil)
					note("add section", code, body)
				}()
				go func() {
					defer wg.Done()
					dir := "down"
					if i%10 == 0 {
						dir = "up"
					}
					code, body := c.try("POST", base+"/items/"+first+"/move", nil, url.Values{"dir": {dir}})
					note("move item", code, body)
					code, body = c.try("POST", base+"/sections/"+secs[0]+"/move", nil, url.Values{"dir": {dir}})
					note("move section", code, body)
				}()
			}
		}
		wg.Wait()
		for _, b := range bad {
			t.Error(b)
		}
		if n := f.a.count(`SELECT count(*) FROM soq_items WHERE section_id = $1`, secs[1]); n != 2+50*(round+1) {
			t.Errorf("round %d: %d items in the section, want %d", round, n, 2+50*(round+1))
		}
		if n := f.a.count(`SELECT count(*) - count(DISTINCT (section_id, position)) FROM soq_items WHERE soq_id = $1`, id); n != 0 {
			t.Errorf("round %d: %d items share a position", round, n)
		}
		if n := f.a.count(`SELECT count(*) - count(DISTINCT position) FROM soq_sections WHERE soq_id = $1`, id); n != 0 {
			t.Errorf("round %d: %d sections share a position", round, n)
		}
		// The order people see is a strict order: each item's position is above the last.
		var positions []int
		if err := f.a.st.DB().Select(&positions, `SELECT position FROM soq_items WHERE section_id = $1 ORDER BY position`, secs[1]); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(positions); i++ {
			if positions[i] <= positions[i-1] {
				t.Fatalf("round %d: positions not strictly increasing at %d: %v", round, i, positions)
			}
		}
	}
}

// The database refuses a duplicate position even from a writer that skips the lock.
func TestPositionConstraint(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	q := newSOQ(t, f.clients["owner"], soqBodyFor(f.P.ID))
	sec := sectionIDs(q)[1]
	_, err := f.a.st.DB().Exec(`UPDATE soq_items SET position = (SELECT min(position) FROM soq_items WHERE section_id = $1) WHERE section_id = $1`, sec)
	if err == nil || !strings.Contains(err.Error(), "soq_items_position_key") {
		t.Errorf("duplicate item positions allowed: %v", err)
	}
	_, err = f.a.st.DB().Exec(`UPDATE soq_sections SET position = 1 WHERE soq_id = $1`, q["id"])
	if err == nil || !strings.Contains(err.Error(), "soq_sections_position_key") {
		t.Errorf("duplicate section positions allowed: %v", err)
	}
}

// FuzzUnitJSON: any body for POST /api/projects/{id}/units, decoded as the API decodes it
// and checked by units.Validate, never panics; what is accepted keeps the unit rules.
func FuzzUnitJSON(f *testing.F) {
	for _, s := range []string{
		`{"units":[{"unitNumber":"A-01","unitType":"Townhouse","totalFloorArea":85,"numberOfFloors":2,"numberOfRooms":3,"numberOfBathrooms":2,"floors":[{"floorNumber":1,"floorArea":42.5},{"floorNumber":2,"floorArea":42.5}]}]}`,
		`{"units":[{"unitNumber":"A-01","totalFloorArea":1e308,"numberOfFloors":9223372036854775807,"numberOfRooms":1,"numberOfBathrooms":1,"floors":[]}]}`,
		`{"units":[{"unitNumber":"A-01","totalFloorArea":"NaN","numberOfFloors":"Infinity","numberOfRooms":-1,"numberOfBathrooms":0.5}]}`,
		`{"units":[{"unitNumber":"A\u0000-01","unitType":"\u0000","totalFloorArea":10,"numberOfFloors":1,"numberOfRooms":1,"numberOfBathrooms":1,"floors":[{"floorNumber":1,"floorArea":10}]}]}`,
		"{\"units\":[{\"unitNumber\":\"\xff\xfe\",\"unitType\":\"\xc3\",\"totalFloorArea\":10}]}",
		`{"units":[{"unitNumber":"A-0\u200b1","totalFloorArea":10,"numberOfFloors":1,"numberOfRooms":1,"numberOfBathrooms":1,"floors":[{"floorNumber":1,"floorArea":10}]}]}`,
		`{"units":[{"unitNumber":"e\u0301","totalFloorArea":0.001,"numberOfFloors":1.0,"numberOfRooms":1e3,"numberOfBathrooms":1,"floors":[{"floorNumber":1,"floorArea":-0}]}]}`,
		`{"units":[{"unitNumber":12,"floors":[{"floorNumber":null,"floorArea":{}}]}]}`,
		`{"units":null}`, `[]`, `{"units":[{}]}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var body struct {
			Units []unitBody `json:"units"`
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if dec.Decode(&body) != nil || len(body.Units) > units.MaxBatch {
			return
		}
		typeErrs := field.Errors{}
		ins := make([]units.Input, len(body.Units))
		for i, b := range body.Units {
			ins[i] = b.input(fmt.Sprintf("units[%d].", i), typeErrs)
		}
		valid, verrs := units.Validate(ins, map[string]bool{}, func(i int) string { return fmt.Sprintf("units[%d].", i) })
		if len(typeErrs) > 0 || len(verrs) > 0 {
			return
		}
		for _, u := range valid {
			if clean := strings.TrimSpace(u.UnitNumber); clean == "" || clean != u.UnitNumber || strings.ContainsAny(u.UnitNumber, "\x00\u200b\u202e\ufeff") {
				t.Fatalf("accepted unit number %q", u.UnitNumber)
			}
			if u.TotalArea <= 0 || u.TotalArea > units.MaxArea || u.NumberOfFloors < 1 || u.NumberOfFloors > units.MaxFloors ||
				u.NumberOfRooms < 1 || u.NumberOfBathrooms < 1 || len(u.FloorAreas) != u.NumberOfFloors {
				t.Fatalf("accepted unit out of range: %+v", u)
			}
			var sum units.Area
			for _, a := range u.FloorAreas {
				if a <= 0 {
					t.Fatalf("accepted floor area %d", a)
				}
				sum += a
			}
			if d := sum - u.TotalArea; d > 1 || d < -1 {
				t.Fatalf("accepted floors summing to %d for %d", sum, u.TotalArea)
			}
		}
	})
}

// FuzzSOQItemJSON: any body for POST /api/soq/{id}/sections/{sid}/items, decoded as the API
// decodes it and checked by the SOQ rules, never panics; an accepted item's amount is
// quantity × rate rounded half up, within the money range, and its totals check passes.
func FuzzSOQItemJSON(f *testing.F) {
	for _, s := range []string{
		`{"reference":"B1","description":"Excavate","unit":"m3","quantity":12.5,"rate":1999,"itemType":"measured"}`,
		`{"reference":"P1","description":"Allowance","rate":500000,"itemType":"provisional_sum"}`,
		`{"reference":"H","description":"Huge","unit":"nr","quantity":999999999.999,"rate":9007199254740992}`,
		`{"reference":"H","description":"Huge","unit":"nr","quantity":1e400,"rate":99999999999999999999999}`,
		`{"reference":"N","description":"NaN","unit":"nr","quantity":"NaN","rate":"Infinity"}`,
		`{"reference":"N","description":"neg","unit":"nr","quantity":-0.0005,"rate":-1}`,
		`{"reference":"A\u0000","description":"nul\u0000","unit":"nr","quantity":1,"rate":1}`,
		"{\"reference\":\"\xff\",\"description\":\"\xc3(\",\"unit\":\"nr\",\"quantity\":1,\"rate\":1}",
		`{"reference":"A-0\u200b1","description":"zwsp","unit":"nr","quantity":1,"rate":1}`,
		`{"reference":"R","description":"half","unit":"m","quantity":0.001,"rate":500}`,
		`{"reference":"R","description":"exp","unit":"m","quantity":1e2,"rate":1e2}`,
		`{"reference":"D","description":"daywork","unit":"hr","quantity":8,"rate":4500,"itemType":"daywork","unitIds":["x"]}`,
		`{}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	h := &Handlers{}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b soqItemBody
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if dec.Decode(&b) != nil {
			return
		}
		errs := field.Errors{}
		it := h.checkItem(b, soq.Categories{}, "", errs)
		if len(errs) > 0 {
			return
		}
		if it.Quantity < 0 || it.Quantity > soq.MaxQuantity || it.Rate < 0 || it.Rate > money.MaxMinor || !it.Type.Valid() {
			t.Fatalf("accepted out of range: %+v", it.Item)
		}
		if it.Reference == "" || strings.ContainsAny(it.Reference, "\x00\u200b\u202e\ufeff") || strings.ContainsRune(it.Description, 0) {
			t.Fatalf("accepted text %q %q", it.Reference, it.Description)
		}
		amount, err := soq.Amount(it.Quantity, it.Rate)
		if err != nil || amount > money.MaxMinor {
			t.Fatalf("accepted an amount out of range: %v", err)
		}
		// amount = round half up of quantity (thousandths) × rate / 1000, checked without big numbers
		// by its defining inequality: 1000·amount − 500 ≤ q·r < 1000·amount + 500.
		q, r := int64(it.Quantity), it.Rate
		if q != 0 && r > (1<<62)/q {
			return // the product needs more than 62 bits; soq.Amount's big-number path covers it
		}
		if p := q * r; 1000*amount-500 > p || p >= 1000*amount+500 {
			t.Fatalf("amount %d for %d × %d", amount, q, r)
		}
		if _, err := soq.CheckTotals(nil, []soq.Line{{Key: "rate", Section: "s", Quantity: it.Quantity, Rate: it.Rate}}); err != nil {
			t.Fatalf("an accepted item fails the totals check: %v", err)
		}
	})
}

// ?page= far past the end (or past int64) on the units page shows a page, never a 500.
func TestUnitsPageHugePageNumber(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	if res := c.do("POST", "/api/projects/"+f.P.ID+"/units", map[string]any{"units": []any{unitJSON("A-01", 10, 10)}}); res.Code != 201 {
		t.Fatal(res.Body)
	}
	for _, p := range []string{"9223372036854775807", "92233720368547758", "99999999999999999999", "-1", "x"} {
		res := c.get("/projects/" + f.P.ID + "/units?page=" + p)
		if res.Code != 200 && res.Code != 400 {
			t.Errorf("page=%s: %d", p, res.Code)
		}
		if res.Code == 200 && !strings.Contains(res.Body, "A-01") {
			t.Errorf("page=%s does not show the last page", p)
		}
	}
}

// The importer takes the same identifier rule: invisible characters are refused per row,
// and the two Unicode spellings of one reference are one reference.
func TestImportIdentifiersCleaned(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	id := f.uploadOK(t, "idents.csv", csvBytes([][]string{
		{"Section", "Reference", "Description", "Unit", "Quantity", "Rate"},
		{"B", "B1", "Good row", "m3", "10", "20"},
		{"B", "B\u200b1", "Zero-width twin of B1", "m3", "1", "5"},
		{"B", "R\u00e9f", "NFC", "nr", "1", "5"},
		{"B", "Re\u0301f", "NFD twin", "nr", "1", "5"},
		{"B", "B\u202e9", "Bidi override", "nr", "1", "5"},
	}))
	imp := f.run(t, id, "", store.ModeValidRows)
	refused := f.refusals(t, id)
	if imp.Status != soq.ImportDone || imp.ImportedRows != 2 || imp.RefusedRows != 3 {
		t.Fatalf("import: %+v %v", imp, refused)
	}
	for _, row := range []int{3, 5, 6} {
		if refused[row] == "" {
			t.Errorf("row %d not refused: %v", row, refused)
		}
	}
	if n := f.a.count(`SELECT count(*) FROM soq_items WHERE soq_id = $1 AND reference = $2`, f.soqID, "R\u00e9f"); n != 1 {
		t.Errorf("NFC reference stored %d times", n)
	}
}

// A unit id of the right length that is not a UUID is a 400 on the field, not a driver error.
func TestSOQItemUnitIDsMalformed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	body := soqBodyFor(f.P.ID)
	body["sections"].([]any)[0].(map[string]any)["items"].([]any)[0].(map[string]any)["unitIds"] = []any{"00000000-0000-0000-0000-00000000000G"}
	res := c.do("POST", "/api/soq", body)
	if res.Code != 400 || fieldsOf(t, res.Body)["sections[0].items[0].unitIds"] == nil {
		t.Errorf("POST: %d %s", res.Code, res.Body)
	}
	q := newSOQ(t, c, soqBodyFor(f.P.ID))
	res = c.do("POST", "/api/soq/"+q["id"].(string)+"/sections/"+sectionIDs(q)[0]+"/items", map[string]any{"reference": "U1", "description": "x",
		"unit": "nr", "quantity": 1, "rate": 1, "unitIds": []any{"zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"}})
	if res.Code != 400 || fieldsOf(t, res.Body)["unitIds"] == nil {
		t.Errorf("add item: %d %s", res.Code, res.Body)
	}
}

// An import goes through the same totals rule as every other write: in "valid rows" mode the
// rows that would overflow a total are refused rows (the job still succeeds); all-or-nothing
// writes none of them. A section code with an invisible character is refused like in the sheet.
func TestImportTotalsAndSectionCodes(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	rows := [][]string{
		{"Section", "Reference", "Description", "Unit", "Quantity", "Rate"},
		{"B", "B1", "Fits", "m3", "1000", "50000000000"},
		{"B", "B2", "Takes the section past the limit", "m3", "1000", "50000000000"},
		{"C", "C1", "Own section, fits", "m3", "1000", "50000000000"},
		{"D\u200b", "D1", "Zero-width section code", "nr", "1", "5"},
	}
	id := f.uploadOK(t, "totals.csv", csvBytes(rows))
	imp := f.run(t, id, "", store.ModeValidRows)
	refused := f.refusals(t, id)
	if imp.Status != soq.ImportDone || imp.ImportedRows != 1 || imp.RefusedRows != 3 {
		t.Fatalf("valid rows: %+v %v", imp, refused)
	}
	if !strings.Contains(refused[3], "section total") || !strings.Contains(refused[4], "grand total") || !strings.Contains(refused[5], "invisible") {
		t.Errorf("refusal reasons: %v", refused)
	}
	if n := f.a.count(`SELECT count(*) FROM soq_items WHERE soq_id = $1`, f.soqID); n != 1 {
		t.Errorf("items stored: %d, want 1", n)
	}

	id = f.uploadOK(t, "totals2.csv", csvBytes([][]string{rows[0], {"E", "E1", "Overflows with B1", "m3", "1000", "90000000000"}, {"E", "E2", "Fits", "nr", "1", "1"}}))
	imp = f.run(t, id, "", store.ModeAllOrNothing)
	if imp.ImportedRows != 0 || imp.RefusedRows != 1 {
		t.Fatalf("all or nothing: %+v %v", imp, f.refusals(t, id))
	}
	if n := f.a.count(`SELECT count(*) FROM soq_items WHERE soq_id = $1`, f.soqID); n != 1 {
		t.Errorf("items stored after all-or-nothing: %d, want 1", n)
	}
}
