package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
)

// soqFixture is the fixture with soqBodyFor's SOQ in P (S) and one in P2 (S2).
type soqFixture struct {
	*fixture
	S, S2      string
	secA       string // A Preliminaries: A1
	secB       string // B Substructure: B1 (12.5 m3 × 19.99, Civil Works), B2 (provisional sum 5,000.00)
	A1, B1, B2 string
}

func newSOQFixture(t *testing.T) *soqFixture {
	t.Helper()
	f := &soqFixture{fixture: newFixture(t)}
	res := f.clients["owner"].do("POST", "/api/soq", soqBodyFor(f.P.ID))
	if res.Code != http.StatusCreated {
		t.Fatalf("create SOQ: %d %s", res.Code, res.Body)
	}
	m := res.JSON(t)
	f.S = m["id"].(string)
	secs := m["sections"].([]any)
	item := func(s, i int) string {
		return secs[s].(map[string]any)["items"].([]any)[i].(map[string]any)["id"].(string)
	}
	f.secA, f.secB = secs[0].(map[string]any)["id"].(string), secs[1].(map[string]any)["id"].(string)
	f.A1, f.B1, f.B2 = item(0, 0), item(1, 0), item(1, 1)
	res = f.clients["otherOwner"].do("POST", "/api/soq", soqBodyFor(f.P2.ID))
	if res.Code != http.StatusCreated {
		t.Fatalf("create SOQ in P2: %d %s", res.Code, res.Body)
	}
	f.S2 = res.JSON(t)["id"].(string)
	return f
}

func (f *soqFixture) base() string { return "/projects/" + f.P.ID + "/soq/" + f.S }

// item reads an item through the API.
func (f *soqFixture) item(t *testing.T, id string) map[string]any {
	t.Helper()
	res := f.clients["owner"].get("/api/soq/" + f.S + "/items/" + id)
	if res.Code != 200 {
		t.Fatalf("item %s: %d %s", id, res.Code, res.Body)
	}
	return res.JSON(t)
}

func (f *soqFixture) soq(t *testing.T) map[string]any {
	t.Helper()
	return f.clients["owner"].get("/api/soq/" + f.S).JSON(t)
}

var hx = []string{"HX-Request", "true"}

func TestSOQPagePermissions(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	s2InP := "/projects/{P}/soq/" + f.S2
	cases := []struct {
		path string
		want map[string]int
		def  int
	}{
		{"/projects/{P}/soq", map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "anonymous": 303}, 404},
		{"/projects/{P}/soq/" + f.S, map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "anonymous": 303}, 404},
		{"/projects/{P}/soq/" + f.S + "/items/" + f.B1 + "/cells/quantity", map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "anonymous": 303}, 404},
		{"/projects/{P}/soq/" + f.S + "/items/" + f.B1 + "/delete", map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "anonymous": 303}, 404},
		// Another project's SOQ under this project's address is not found, for everyone.
		{s2InP, map[string]int{"anonymous": 303}, 404},
		{"/projects/{P2}/soq/" + f.S, map[string]int{"anonymous": 303}, 404},
		{s2InP + "/items/" + f.B1 + "/row", map[string]int{"anonymous": 303}, 404},
		{"/projects/{P}/soq/not-a-uuid", map[string]int{"anonymous": 303}, 404},
		{"/projects/{P}/soq/" + f.S + "/items/not-a-uuid/cells/quantity", map[string]int{"anonymous": 303}, 404},
		{"/projects/{P}/soq/" + f.S + "/items/" + f.B1 + "/cells/amount", map[string]int{"anonymous": 303}, 404},
	}
	for _, c := range cases {
		for _, role := range everyone {
			want, ok := c.want[role]
			if !ok {
				want = c.def
			}
			if res := f.clients[role].get(f.expand(c.path)); res.Code != want {
				t.Errorf("GET %s as %s: %d, want %d", c.path, role, res.Code, want)
			}
		}
	}
	// Refused writes change nothing: the bidder, outsiders and another owner get 404.
	for _, role := range []string{"bidder", "outsider", "otherOwner"} {
		c := f.clients[role]
		if res := c.form(f.base()+"/items/"+f.B1+"/cells/quantity", url.Values{"value": {"99"}}, hx...); res.Code != 404 {
			t.Errorf("%s cell save: %d", role, res.Code)
		}
		if res := c.form(f.base()+"/sections", url.Values{"code": {"Z"}, "title": {"Hijack"}}); res.Code != 404 {
			t.Errorf("%s add section: %d", role, res.Code)
		}
		if res := c.form(f.base()+"/items/"+f.B1+"/delete", nil); res.Code != 404 {
			t.Errorf("%s delete item: %d", role, res.Code)
		}
		if res := c.form("/projects/"+f.P.ID+"/soq", url.Values{"title": {"Mine"}}); res.Code != 404 {
			t.Errorf("%s create SOQ: %d", role, res.Code)
		}
	}
	// The owner cannot write to P2's SOQ through P's address.
	if res := f.clients["owner"].form(s2InPath(f), url.Values{"value": {"99"}}, hx...); res.Code != 404 {
		t.Errorf("owner writing another project's SOQ: %d", res.Code)
	}
	if res := f.clients["anonymous"].form(f.base()+"/items/"+f.B1+"/cells/quantity", url.Values{"value": {"99"}}); res.Code != 401 {
		t.Errorf("anonymous cell save: %d", res.Code)
	}
	if q := f.item(t, f.B1)["quantity"]; q != 12.5 {
		t.Errorf("B1 quantity changed by refused writes: %v", q)
	}
	if n := f.a.count(`SELECT count(*) FROM soqs`); n != 2 {
		t.Errorf("%d SOQs, want 2", n)
	}
	// The bidder's 404 page does not name the SOQ.
	if res := f.clients["bidder"].get(f.base()); strings.Contains(res.Body, "Main SOQ") {
		t.Error("404 page leaks the SOQ's title")
	}
}

func s2InPath(f *soqFixture) string {
	return "/projects/" + f.P.ID + "/soq/" + f.S2 + "/items/" + f.B1 + "/cells/quantity"
}

func TestSOQListAndCreate(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	c := f.clients["inhouse"]
	res := c.get("/projects/" + f.P.ID + "/soq")
	if res.Code != 200 {
		t.Fatal(res.Code)
	}
	d := res.Doc(t)
	row := d.Find(`#soq-list tr[data-soq="` + f.S + `"]`)
	// 12,500.00 + 249.88 + 5,000.00
	if row.Length() != 1 || !strings.Contains(row.Text(), "$17,749.88") || !strings.Contains(row.Text(), "Main SOQ") || !strings.Contains(row.Text(), "3") {
		t.Errorf("list row: %q", row.Text())
	}
	if d.Find(`nav[aria-label="Project"] a[aria-current="page"]`).Text() != "SOQ" {
		t.Error("the SOQ tab is not current")
	}
	if v, _ := d.Find(`#new-soq select[name="currency"] option[selected]`).Attr("value"); v != "usd" {
		t.Errorf("currency defaults to %q, want the project's usd", v)
	}
	res = c.form("/projects/"+f.P.ID+"/soq", url.Values{"title": {""}, "currency": {"usd"}})
	if res.Code != 422 || !strings.Contains(res.Body, "is required") {
		t.Errorf("empty title: %d", res.Code)
	}
	res = c.form("/projects/"+f.P.ID+"/soq", url.Values{"title": {"Fit-out"}, "currency": {"eur"}})
	if res.Code != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/projects/"+f.P.ID+"/soq/") {
		t.Fatalf("create: %d %s", res.Code, res.Header.Get("Location"))
	}
	page := c.get(res.Header.Get("Location"))
	if page.Code != 200 || !strings.Contains(page.Body, "No sections yet") || !strings.Contains(page.Body, "Fit-out") || !strings.Contains(page.Body, "€0.00") {
		t.Errorf("new SOQ page: %d", page.Code)
	}
}

var trRe = regexp.MustCompile(`<tr[\s>]`)

// oob returns the text of the out-of-band element with the given id.
func oob(t *testing.T, body, id string) string {
	t.Helper()
	re := regexp.MustCompile(`<span id="` + regexp.QuoteMeta(id) + `"[^>]*hx-swap-oob="true"[^>]*>([^<]*)</span>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no out-of-band %s in:\n%s", id, body)
	}
	return m[1]
}

func rowDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + body + "</tbody></table>"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSOQCellEdit(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	c := f.clients["owner"]
	cell := f.base() + "/items/" + f.B1 + "/cells/"

	// The editor starts with the stored value; the rate in major units.
	res := c.get(cell+"rate", hx...)
	if res.Code != 200 || !strings.HasPrefix(strings.TrimSpace(res.Body), "<td") || !strings.Contains(res.Body, `value="19.99"`) {
		t.Fatalf("rate editor: %d %s", res.Code, res.Body)
	}

	save := func(field, value string) response {
		t.Helper()
		return c.form(cell+field, url.Values{"value": {value}}, hx...)
	}
	res = save("quantity", "10")
	if res.Code != 200 {
		t.Fatalf("save: %d %s", res.Code, res.Body)
	}
	// 10 × 19.99 = 199.90; section B: 199.90 + 5,000.00; grand total: + 12,500.00.
	if got := oob(t, res.Body, "section-total-"+f.secB); got != "$5,199.90" {
		t.Errorf("section total %q", got)
	}
	if got := oob(t, res.Body, "soq-total"); got != "$17,699.90" {
		t.Errorf("grand total %q", got)
	}
	res = save("quantity", "12.5")
	// Only that row, plus the totals: one edit never re-renders the table.
	if n := len(trRe.FindAllString(res.Body, -1)); n != 1 {
		t.Errorf("%d rows in the answer, want 1", n)
	}
	if strings.Contains(res.Body, "<table") || strings.Contains(res.Body, "section-total-"+f.secA) || strings.Contains(res.Body, "<html") {
		t.Error("the answer holds more than the row and its totals")
	}
	d := rowDoc(t, res.Body)
	row := d.Find("tr#item-" + f.B1)
	if row.Length() != 1 {
		t.Fatalf("no row item-%s in %s", f.B1, res.Body)
	}
	// 12.5 × 19.99 = 249.875 → 249.88 (soq.Amount rounds half up).
	want, _ := soq.Amount(12500, 1999)
	if want != 24988 {
		t.Fatalf("soq.Amount = %d", want)
	}
	if got := strings.TrimSpace(row.Find("[data-amount]").Text()); got != "249.88" {
		t.Errorf("amount %q, want 249.88", got)
	}
	// The quantity shows as entered, with invisible digits that line it up on the decimal
	// point with the column's three decimals.
	qty := row.Find(`[data-cell="quantity"]`)
	if got := strings.TrimSpace(qty.Find(`[aria-hidden="true"]`).Text()); got != "00" {
		t.Errorf("quantity cell's alignment padding %q, want 00", got)
	}
	qty.Find(`[aria-hidden="true"]`).Remove()
	if got := strings.TrimSpace(qty.Text()); got != "12.5" {
		t.Errorf("quantity cell %q", got)
	}
	if got := oob(t, res.Body, "section-total-"+f.secB); got != "$5,249.88" {
		t.Errorf("section total %q", got)
	}
	if got := oob(t, res.Body, "soq-total"); got != "$17,749.88" {
		t.Errorf("grand total %q", got)
	}
	if got := oob(t, res.Body, "soq-total-foot"); got != "$17,749.88" {
		t.Errorf("footer total %q", got)
	}

	// Rate in major units, then the other fields.
	if res := save("rate", "1,250.5"); res.Code != 200 || f.item(t, f.B1)["rate"] != 125050.0 {
		t.Errorf("rate: %d %v", res.Code, f.item(t, f.B1)["rate"])
	}
	for field, value := range map[string]string{"reference": "B1a", "description": "Excavate to formation", "unit": "m³"} {
		if res := save(field, value); res.Code != 200 {
			t.Errorf("%s: %d %s", field, res.Code, res.Body)
		}
	}
	it := f.item(t, f.B1)
	if it["reference"] != "B1a" || it["description"] != "Excavate to formation" || it["unit"] != "m3" {
		t.Errorf("after edits: %v", it)
	}
	cats, _ := f.a.st.Categories(context.Background())
	if res := save("category", fmt.Sprint(cats[1].ID)); res.Code != 200 || f.item(t, f.B1)["category"].(map[string]any)["name"] != cats[1].Name {
		t.Errorf("category: %d", res.Code)
	}
	if res := save("category", ""); res.Code != 200 || f.item(t, f.B1)["category"] != nil {
		t.Errorf("clear category: %d", res.Code)
	}
	// Becoming an allowance keeps the line's amount as the allowance: one sum.
	before := f.item(t, f.B1)["amount"]
	if res := save("itemType", "prime_cost_sum"); res.Code != 200 {
		t.Fatalf("to prime cost: %d %s", res.Code, res.Body)
	}
	it = f.item(t, f.B1)
	if it["itemType"] != "prime_cost_sum" || it["unit"] != "sum" || it["quantity"] != 1.0 || it["amount"] != before {
		t.Errorf("as prime cost sum: %v (amount before %v)", it, before)
	}
	// Allowances are marked: tinted row, badge, locks.
	res = c.get(f.base())
	d = res.Doc(t)
	b2 := d.Find("tr#item-" + f.B2)
	if v, _ := b2.Attr("data-fixed"); v != "true" || !strings.Contains(b2.AttrOr("class", ""), "bg-amber") {
		t.Errorf("allowance row not marked: %v", b2.AttrOr("class", ""))
	}
	if b2.Find(`[data-cell="description"]`).Text() == "" || !strings.Contains(b2.Find(`[data-cell="description"]`).Text(), "PS") {
		t.Error("allowance has no PS badge")
	}
	if b2.Find(`[data-cell="quantity"] svg`).Length() != 1 || b2.Find(`[data-cell="unit"] svg`).Length() != 1 {
		t.Error("allowance quantity/unit have no lock")
	}
	if d.Find("tr#item-"+f.A1).AttrOr("data-fixed", "") != "" {
		t.Error("a measured row is marked as an allowance")
	}
}

func TestSOQCellEditRefused(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	c := f.clients["inhouse"]
	cases := []struct {
		item, field, value, msg string
	}{
		{f.B1, "quantity", "abc", "Quantity must be a number such as 12.5"},
		{f.B1, "quantity", "1.2345", "Quantity must have at most 3 decimal places"},
		{f.B1, "quantity", "-3", "Quantity must not be negative"},
		{f.B1, "rate", "19.999", "Rate has more decimal places than the currency allows"},
		{f.B1, "rate", "", "Rate is required"}, // one rule everywhere (soq.ParseRate): a blank rate is refused
		{f.B1, "reference", "", "Reference is required"},
		{f.B1, "reference", "A1", "Reference is already used in this SOQ"},
		{f.B1, "unit", "furlong", "Unit must be one of"},
		{f.B1, "itemType", "guess", "Item type must be one of"},
		{f.B1, "category", "999999", "Trade is not a trade category we know"},
		{f.B2, "quantity", "2", "Quantity must be 1 for a provisional sum"},
	}
	for _, tc := range cases {
		res := c.form(f.base()+"/items/"+tc.item+"/cells/"+tc.field, url.Values{"value": {tc.value}}, hx...)
		if res.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s=%q: %d, want 422", tc.field, tc.value, res.Code)
			continue
		}
		d := rowDoc(t, res.Body)
		ed := d.Find(`tr#item-` + tc.item + ` td[data-editing][data-cell="` + tc.field + `"]`)
		if ed.Length() != 1 {
			t.Errorf("%s: the editor is not open in the row: %s", tc.field, res.Body)
			continue
		}
		if msg := ed.Find("[data-cell-error]").Text(); !strings.Contains(msg, tc.msg) {
			t.Errorf("%s=%q: message %q, want %q", tc.field, tc.value, msg, tc.msg)
		}
		if tc.field != "itemType" && tc.field != "category" {
			if v, _ := ed.Find(`[name="value"]`).Attr("value"); v != tc.value {
				t.Errorf("%s: the editor holds %q, want what was typed %q", tc.field, v, tc.value)
			}
		}
		if strings.Contains(res.Body, "hx-swap-oob") {
			t.Errorf("%s: a refusal must not touch the totals", tc.field)
		}
	}
	it := f.item(t, f.B1)
	if it["quantity"] != 12.5 || it["rate"] != 1999.0 || it["reference"] != "B1" || it["unit"] != "m3" || it["itemType"] != "measured" {
		t.Errorf("refused edits saved something: %v", it)
	}
	if q := f.item(t, f.B2)["quantity"]; q != 1.0 {
		t.Errorf("allowance quantity %v", q)
	}
	// Without JavaScript: the refusal is the page with the cell open; a save redirects.
	res := c.form(f.base()+"/items/"+f.B1+"/cells/quantity", url.Values{"value": {"lots"}})
	if res.Code != 422 || !strings.Contains(res.Body, "<html") || !strings.Contains(res.Body, "Quantity must be a number") {
		t.Errorf("no-JS refusal: %d", res.Code)
	}
	res = c.form(f.base()+"/items/"+f.B1+"/cells/quantity", url.Values{"value": {"3"}})
	if res.Code != 303 || res.Header.Get("Location") != f.base()+"#item-"+f.B1 {
		t.Errorf("no-JS save: %d %s", res.Code, res.Header.Get("Location"))
	}
	res = c.get(f.base() + "/items/" + f.B1 + "/cells/description")
	if res.Code != 200 || res.Doc(t).Find(`td[data-editing][data-cell="description"] form[method="post"] input[name="value"]`).Length() != 1 {
		t.Errorf("no-JS editor page: %d", res.Code)
	}
	// Escape restores the row as saved.
	res = c.get(f.base()+"/items/"+f.B1+"/row", hx...)
	if res.Code != 200 || rowDoc(t, res.Body).Find(`tr#item-`+f.B1+` [data-cell="quantity"]`).Text() == "" || strings.Contains(res.Body, "data-editing") {
		t.Errorf("row: %d %s", res.Code, res.Body)
	}
}

func sectionOrder(t *testing.T, f *soqFixture) string {
	var codes []string
	for _, s := range f.soq(t)["sections"].([]any) {
		codes = append(codes, s.(map[string]any)["code"].(string))
	}
	return strings.Join(codes, ",")
}

func itemOrder(t *testing.T, f *soqFixture, section int) string {
	var refs []string
	for _, it := range f.soq(t)["sections"].([]any)[section].(map[string]any)["items"].([]any) {
		refs = append(refs, it.(map[string]any)["reference"].(string))
	}
	return strings.Join(refs, ",")
}

func TestSOQStructureEdits(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	c := f.clients["owner"]

	// Sections: add, refuse a duplicate code, move, delete.
	res := c.form(f.base()+"/sections", url.Values{"code": {"C"}, "title": {"Superstructure"}})
	if res.Code != 303 || !strings.HasPrefix(res.Header.Get("Location"), f.base()+"#section-") {
		t.Fatalf("add section: %d %s", res.Code, res.Header.Get("Location"))
	}
	secC := strings.TrimPrefix(res.Header.Get("Location"), f.base()+"#section-")
	res = c.form(f.base()+"/sections", url.Values{"code": {"c"}, "title": {"Again"}})
	if res.Code != 422 || !res.Doc(t).Find("#add-section #err-code").Is("p") || !strings.Contains(res.Body, "is already used") {
		t.Errorf("duplicate code: %d", res.Code)
	}
	if got := sectionOrder(t, f); got != "A,B,C" {
		t.Fatalf("sections %s", got)
	}
	// The new section shows its empty state.
	if d := c.get(f.base()).Doc(t); d.Find("#section-"+secC+" [data-empty-section]").Length() != 1 {
		t.Error("empty section has no empty state")
	}
	if res := c.form(f.base()+"/sections/"+secC+"/move", url.Values{"dir": {"up"}}); res.Code != 303 {
		t.Errorf("move section: %d", res.Code)
	}
	if got := sectionOrder(t, f); got != "A,C,B" {
		t.Errorf("after moving C up: %s", got)
	}

	// Items: add (rate in major units), refuse an invalid one, move, delete.
	res = c.form(f.base()+"/sections/"+secC+"/items", url.Values{"reference": {"C1"}, "description": {"Concrete columns"},
		"unit": {"m3"}, "quantity": {"3"}, "rate": {"250.50"}, "itemType": {"measured"}})
	if res.Code != 303 {
		t.Fatalf("add item: %d %s", res.Code, res.Body)
	}
	c1 := strings.TrimPrefix(res.Header.Get("Location"), f.base()+"#item-")
	if it := f.item(t, c1); it["amount"] != 75150.0 || it["sectionId"] != secC {
		t.Errorf("C1: %v", it)
	}
	res = c.form(f.base()+"/sections/"+secC+"/items", url.Values{"reference": {""}, "description": {"No ref"}, "unit": {"m"}, "quantity": {"x"}, "rate": {"1"}})
	if res.Code != 422 {
		t.Errorf("invalid item: %d", res.Code)
	}
	errs := res.Doc(t).Find("#section-" + secC + " [data-add-error]").Text()
	if !strings.Contains(errs, "Reference is required") || !strings.Contains(errs, "Quantity must be a number") {
		t.Errorf("invalid item messages: %q", errs)
	}
	if v, _ := res.Doc(t).Find(`#add-description-` + secC).Attr("value"); v != "No ref" {
		t.Errorf("the add form lost what was typed: %q", v)
	}
	// An allowance needs no quantity.
	res = c.form(f.base()+"/sections/"+secC+"/items", url.Values{"reference": {"C2"}, "description": {"Lift allowance"}, "rate": {"80000"}, "itemType": {"prime_cost_sum"}})
	if res.Code != 303 {
		t.Fatalf("add allowance: %d %s", res.Code, res.Body)
	}
	if n := f.a.count(`SELECT count(*) FROM soq_items WHERE section_id = $1`, secC); n != 2 {
		t.Errorf("%d items in C, want 2", n)
	}
	if got := itemOrder(t, f, 1); got != "C1,C2" {
		t.Errorf("C items %s", got)
	}
	if res := c.form(f.base()+"/items/"+f.B2+"/move", url.Values{"dir": {"up"}}); res.Code != 303 {
		t.Errorf("move item: %d", res.Code)
	}
	if got := itemOrder(t, f, 2); got != "B2,B1" {
		t.Errorf("after moving B2 up: %s", got)
	}
	if res := c.form(f.base()+"/items/"+f.B2+"/move", url.Values{"dir": {"down"}}); res.Code != 303 || itemOrder(t, f, 2) != "B1,B2" {
		t.Errorf("move item down: %d %s", res.Code, itemOrder(t, f, 2))
	}
	// Delete: a confirm page without JavaScript, an HX-Redirect with it.
	res = c.get(f.base() + "/items/" + c1 + "/delete")
	if res.Code != 200 || res.Doc(t).Find(`form[action="`+f.base()+`/items/`+c1+`/delete"]`).Length() != 1 || !strings.Contains(res.Body, "Delete item C1?") {
		t.Errorf("confirm page: %d", res.Code)
	}
	res = c.form(f.base()+"/items/"+c1+"/delete", nil, hx...)
	if res.Code != 204 || !strings.HasPrefix(res.Header.Get("HX-Redirect"), f.base()) {
		t.Errorf("HTMX delete: %d %v", res.Code, res.Header)
	}
	if n := f.a.count(`SELECT count(*) FROM soq_items WHERE id = $1`, c1); n != 0 {
		t.Error("C1 not deleted")
	}
	if res := c.get(f.base() + "/sections/" + secC + "/delete"); res.Code != 200 || !strings.Contains(res.Body, "1 item(s)") {
		t.Errorf("section confirm: %d", res.Code)
	}
	if res := c.form(f.base()+"/sections/"+secC+"/delete", nil); res.Code != 303 {
		t.Errorf("delete section: %d", res.Code)
	}
	if got := sectionOrder(t, f); got != "A,B" {
		t.Errorf("after delete: %s", got)
	}
	if res := c.form(f.base()+"/sections/"+secC+"/delete", nil); res.Code != 404 {
		t.Errorf("delete again: %d", res.Code)
	}
	if res := c.form(f.base()+"/sections/not-an-id/move", url.Values{"dir": {"up"}}); res.Code != 404 {
		t.Errorf("malformed section id: %d", res.Code)
	}
}

func TestSOQFilters(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	c := f.clients["owner"]
	cats, _ := f.a.st.Categories(context.Background())
	var civil int64
	for _, ct := range cats {
		if ct.Name == "Civil Works" {
			civil = ct.ID
		}
	}
	shown := func(d *goquery.Document) string {
		var refs []string
		d.Find("#soq-sheet tr[data-item]").Each(func(_ int, s *goquery.Selection) {
			refs = append(refs, strings.TrimSpace(s.Find(`[data-cell="reference"]`).Text()))
		})
		return strings.Join(refs, ",")
	}
	cases := []struct{ query, want string }{
		{"", "A1,B1,B2"},
		{"?q=excavate", "B1"},
		{"?q=a1", "A1"},
		{"?type=provisional_sum", "B2"},
		{fmt.Sprintf("?trade=%d", civil), "B1"},
		{"?section=" + f.secA, "A1"},
		{"?section=" + f.secB + "&q=allowance", "B2"},
	}
	for _, tc := range cases {
		for _, hdr := range [][]string{nil, hx} {
			res := c.get(f.base()+tc.query, hdr...)
			if res.Code != 200 {
				t.Fatalf("%s: %d", tc.query, res.Code)
			}
			if hdr != nil && strings.Contains(res.Body, "<html") {
				t.Errorf("%s: the HTMX answer is a whole page", tc.query)
			}
			d := res.Doc(t)
			if got := shown(d); got != tc.want {
				t.Errorf("%s: shows %s, want %s", tc.query, got, tc.want)
			}
			// Totals still cover every item.
			if got := d.Find("#soq-total-foot").Text(); got != "$17,749.88" {
				t.Errorf("%s: grand total %q", tc.query, got)
			}
			if sec := d.Find("#section-total-" + f.secB); sec.Length() == 1 && sec.Text() != "$5,249.88" {
				t.Errorf("%s: section B total %q", tc.query, sec.Text())
			}
		}
	}
	res := c.get(f.base() + "?q=nothing-like-this")
	if d := res.Doc(t); !strings.Contains(d.Find("#soq-region").Text(), "No items match") || d.Find("tr[data-item]").Length() != 0 {
		t.Error("no empty state for a filter that matches nothing")
	}
	// The filter form keeps its values for a shared URL.
	d := c.get(f.base() + "?q=excavate&type=measured").Doc(t)
	if v, _ := d.Find("#soq-q").Attr("value"); v != "excavate" {
		t.Errorf("search box holds %q", v)
	}
	if v, _ := d.Find(`#f-type option[selected]`).Attr("value"); v != "measured" {
		t.Errorf("type filter holds %q", v)
	}
}

func TestSOQIssuedRefusesEdits(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	c := f.clients["owner"]
	if res := c.form(f.base()+"/status", url.Values{"status": {"issued"}}); res.Code != 303 {
		t.Fatalf("issue: %d", res.Code)
	}
	writes := []struct {
		path string
		v    url.Values
	}{
		{"/items/" + f.B1 + "/cells/quantity", url.Values{"value": {"99"}}},
		{"/sections/" + f.secB + "/items", url.Values{"reference": {"B9"}, "description": {"x"}, "unit": {"m"}, "quantity": {"1"}}},
		{"/items/" + f.B1 + "/delete", nil},
		{"/items/" + f.B1 + "/move", url.Values{"dir": {"up"}}},
		{"/sections", url.Values{"code": {"Z"}, "title": {"Z"}}},
		{"/sections/" + f.secA + "/move", url.Values{"dir": {"down"}}},
		{"/sections/" + f.secA + "/delete", nil},
	}
	for _, w := range writes {
		for _, hdr := range [][]string{nil, hx} {
			res := c.form(f.base()+w.path, w.v, hdr...)
			if res.Code != http.StatusConflict || !strings.Contains(res.Body, "issued") {
				t.Errorf("POST %s (htmx=%v): %d", w.path, hdr != nil, res.Code)
			}
			if hdr != nil && res.Header.Get("HX-Retarget") != "#toasts" {
				t.Errorf("POST %s: the refusal is not a toast", w.path)
			}
		}
	}
	if res := c.get(f.base()+"/items/"+f.B1+"/cells/quantity", hx...); res.Code != http.StatusConflict {
		t.Errorf("editor on an issued SOQ: %d", res.Code)
	}
	if got := f.soq(t); got["total"] != 1774988.0 || got["itemCount"] != 3.0 {
		t.Errorf("issued SOQ changed: %v %v", got["total"], got["itemCount"])
	}
	d := c.get(f.base()).Doc(t)
	if _, ok := d.Find("#soq-sheet").Attr("data-editable"); ok || d.Find("#add-section").Length() != 0 || d.Find("[data-delete-item]").Length() != 0 {
		t.Error("an issued SOQ's page offers editing")
	}
	if !strings.Contains(d.Find("#main").Text(), "This SOQ is issued") {
		t.Error("no read-only notice")
	}
	// Issued: still exported, no longer imported into.
	if d.Find("#soq-import").Length() != 0 || d.Find("#soq-export-xlsx").Length() != 1 {
		t.Error("an issued SOQ's page offers import, or no export")
	}
	// Back to draft: editable again.
	if res := c.form(f.base()+"/status", url.Values{"status": {"draft"}}); res.Code != 303 {
		t.Fatalf("draft: %d", res.Code)
	}
	d = c.get(f.base()).Doc(t)
	if href, _ := d.Find("#soq-import").Attr("href"); href != f.base()+"/import" {
		t.Errorf("a draft's import link: %q", href)
	}
	for _, format := range []string{"xlsx", "csv"} {
		href, _ := d.Find("#soq-export-" + format).Attr("href")
		if res := c.get(href); res.Code != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "."+format) {
			t.Errorf("export %s from the page (%q): %d", format, href, res.Code)
		}
	}
	if res := c.form(f.base()+"/items/"+f.B1+"/cells/quantity", url.Values{"value": {"2"}}, hx...); res.Code != 200 {
		t.Errorf("edit after returning to draft: %d", res.Code)
	}
}

// bigSOQ makes an SOQ of sections × items measured items (quantity 1.5 × rate 10.00).
func bigSOQ(t testing.TB, st *store.Store, projectID, userID string, sections, items int) string {
	t.Helper()
	in := store.NewSOQ{Title: "Tower", Currency: "usd", Status: "draft"}
	for s := range sections {
		sec := store.NewSection{Code: fmt.Sprintf("S%02d", s+1), Title: fmt.Sprintf("Section %d", s+1)}
		for i := range items {
			sec.Items = append(sec.Items, store.NewItem{Item: soq.Item{Reference: fmt.Sprintf("S%02d.%03d", s+1, i+1),
				Description: fmt.Sprintf("Work item %d of section %d", i+1, s+1), Unit: "m2", Quantity: 1500, Rate: 1000, Type: soq.Measured}})
		}
		in.Sections = append(in.Sections, sec)
	}
	id, err := st.CreateSOQ(context.Background(), projectID, userID, in)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSOQLargeLoadsSectionsLazily(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := bigSOQ(t, f.a.st, f.P.ID, f.users["owner"].ID, 3, 250)
	c := f.clients["owner"]
	base := "/projects/" + f.P.ID + "/soq/" + id
	d := c.get(base).Doc(t)
	if n := d.Find("tr[data-item]").Length(); n != 0 {
		t.Errorf("%d rows rendered with the page, want them loaded per section", n)
	}
	loaders := d.Find("tr[data-rows-loader]")
	if loaders.Length() != 3 {
		t.Fatalf("%d loaders, want one per section", loaders.Length())
	}
	// 750 items × 15.00 = 11,250.00; 250 × 15.00 per section.
	if got := d.Find("#soq-total").Text(); got != "$11,250.00" {
		t.Errorf("grand total %q", got)
	}
	if got := d.Find("[data-section-total]").First().Text(); got != "$3,750.00" {
		t.Errorf("section total %q", got)
	}
	url0, _ := loaders.First().Attr("hx-get")
	res := c.get(url0, hx...)
	rows := rowDoc(t, res.Body)
	if n := rows.Find("tr[data-item]").Length(); res.Code != 200 || n != soqRowsPage {
		t.Fatalf("first page: %d, %d rows", res.Code, n)
	}
	next, _ := rows.Find("tr[data-rows-loader]").Attr("hx-get")
	if !strings.Contains(next, "offset=200") {
		t.Fatalf("next page loader %q", next)
	}
	res = c.get(next, hx...)
	rows = rowDoc(t, res.Body)
	if n := rows.Find("tr[data-item]").Length(); n != 50 || rows.Find("tr[data-rows-loader]").Length() != 0 {
		t.Errorf("second page: %d rows", n)
	}
	// A narrow filter renders its matches directly.
	d = c.get(base + "?q=S02.01").Doc(t)
	if n := d.Find("tr[data-item]").Length(); n != 10 || d.Find("tr[data-rows-loader]").Length() != 0 {
		t.Errorf("filtered: %d rows", n)
	}
	// A filter on a lazy section carries into its rows.
	d = c.get(base + "?q=Work").Doc(t)
	if u, _ := d.Find("tr[data-rows-loader]").First().Attr("hx-get"); !strings.Contains(u, "q=Work") {
		t.Errorf("loader does not carry the filter: %q", u)
	}
}
