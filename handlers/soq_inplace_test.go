package handlers

import (
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// rowsDoc parses an answer made of table rows, as the browser does where it swaps them in.
func rowsDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + body + "</tbody></table>"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestSOQSheetGrid checks what the sheet's script relies on in the page: a grid with one
// tab stop, each cell's raw value, the select cells' choices, the next reference of each
// section suggested, and a way to each cell's form without JavaScript.
func TestSOQSheetGrid(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	d := f.clients["owner"].get(f.base()).Doc(t)
	grid := d.Find(`table#soq-sheet[role="grid"][data-editable="true"]`)
	if grid.Length() != 1 {
		t.Fatal("the sheet is not an editable grid")
	}
	if v, _ := grid.Attr("data-paste-url"); v != "/api/soq/"+f.S+"/items" {
		t.Errorf("paste URL %q", v)
	}
	if n := d.Find(`#soq-sheet td[data-cell][tabindex="0"]`).Length(); n != 0 {
		t.Errorf("%d cells are tab stops before the script picks one", n)
	}
	if v, _ := d.Find(`#item-` + f.B1 + ` td[data-cell="rate"]`).Attr("data-value"); v != "19.99" {
		t.Errorf("B1's rate carries %q, want 19.99", v)
	}
	if v, _ := d.Find(`#item-` + f.B1 + ` td[data-cell="quantity"]`).Attr("data-value"); v != "12.5" {
		t.Errorf("B1's quantity carries %q, want 12.5", v)
	}
	if opts := d.Find(`script#soq-options[type="application/json"]`).Text(); !strings.Contains(opts, `"itemType"`) || !strings.Contains(opts, `"Civil Works"`) {
		t.Errorf("select options: %s", opts)
	}
	if v, _ := d.Find(`#add-reference-` + f.secB).Attr("value"); v != "B3" {
		t.Errorf("B's next reference suggested %q, want B3", v)
	}
	if d.Find(`#item-`+f.B1+` noscript`).Length() != 1 {
		t.Error("no way to B1's cell forms without JavaScript")
	}
}

// TestSOQAddInPlace adds items and sections the way the sheet does (HX-Request): the
// answer is the new row and the add row again, open, with the next reference; a refusal
// is the add row with each message beside its field; nothing redirects.
func TestSOQAddInPlace(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	c := f.clients["owner"]
	add := f.base() + "/sections/" + f.secB + "/items"

	res := c.form(add, url.Values{"reference": {"B3"}, "description": {"Hardfill"}, "unit": {"m3"}, "quantity": {"2"}, "rate": {"10"}, "itemType": {"measured"}}, hx...)
	if res.Code != 200 {
		t.Fatalf("add in place: %d %s", res.Code, res.Body)
	}
	d := rowsDoc(t, res.Body)
	row := d.Find(`tr[data-item]`)
	id, _ := row.Attr("data-item")
	if row.Length() != 1 || row.Find(`td[data-cell="reference"]`).AttrOr("data-value", "") != "B3" {
		t.Fatalf("the answer has no B3 row: %s", res.Body)
	}
	again := d.Find(`tr#add-row-` + f.secB)
	if again.AttrOr("data-added", "") != id {
		t.Errorf("the add row does not name the item added")
	}
	if again.Find("details[open]").Length() != 1 {
		t.Error("the add form is not open for the next item")
	}
	ref := again.Find(`#add-reference-` + f.secB)
	if ref.AttrOr("value", "") != "B4" || ref.AttrOr("autofocus", "x") == "x" {
		t.Errorf("next reference %q (autofocus %v), want B4 focused", ref.AttrOr("value", ""), ref.AttrOr("autofocus", "x") != "x")
	}
	// The totals it changed, out of band: B was 249.88 + 5,000.00, now + 20.00.
	if got := d.Find(`template #section-total-` + f.secB).Text(); !strings.Contains(got, "5,269.88") {
		t.Errorf("section total %q", got)
	}
	if d.Find(`template #soq-total[hx-swap-oob]`).Length() != 1 || d.Find(`template #soq-count`).Text() == "" {
		t.Error("no grand total or item count out of band")
	}
	if n := f.a.count(`SELECT count(*) FROM soq_items WHERE id = $1 AND reference = 'B3'`, id); n != 1 {
		t.Fatal("B3 not stored")
	}

	// A reference taken elsewhere in the SOQ: 422, the message beside the field, and the
	// field described by it; nothing stored.
	res = c.form(add, url.Values{"reference": {"a1"}, "description": {"Twice"}, "unit": {"m"}, "quantity": {"1"}, "rate": {"1"}}, hx...)
	if res.Code != 422 {
		t.Fatalf("duplicate reference: %d", res.Code)
	}
	d = rowsDoc(t, res.Body)
	msg := d.Find(`#add-err-reference-` + f.secB)
	if !strings.Contains(msg.Text(), "already used") {
		t.Errorf("duplicate message %q", msg.Text())
	}
	ref = d.Find(`#add-reference-` + f.secB)
	if ref.AttrOr("aria-invalid", "") != "true" || ref.AttrOr("aria-describedby", "") != "add-err-reference-"+f.secB || ref.AttrOr("value", "") != "a1" {
		t.Errorf("the reference field is not marked, described and kept: %v", ref.Nodes[0].Attr)
	}
	if d.Find(`#add-description-`+f.secB).AttrOr("value", "") != "Twice" || d.Find(`tr[data-item]`).Length() != 0 {
		t.Error("the refusal lost what was typed, or answered a row")
	}
	if n := f.a.count(`SELECT count(*) FROM soq_items WHERE description = 'Twice'`); n != 0 {
		t.Error("a refused item was stored")
	}

	// A section: the form again (empty, focused on the code) and the sheet out of band.
	res = c.form(f.base()+"/sections", url.Values{"code": {"C"}, "title": {"Superstructure"}}, hx...)
	if res.Code != 200 {
		t.Fatalf("add section in place: %d %s", res.Code, res.Body)
	}
	d = res.Doc(t)
	form := d.Find(`form#add-section`)
	sec := form.AttrOr("data-added-section", "")
	if sec == "" || d.Find(`#soq-region[hx-swap-oob] tbody#section-`+sec).Length() != 1 {
		t.Fatalf("the new section is not in the answer: %s", res.Body)
	}
	if form.Find(`#sec-code`).AttrOr("value", "x") != "" {
		t.Error("the section form is not empty again")
	}
	if v := d.Find(`#add-reference-`+sec).AttrOr("value", ""); v != "C1" {
		t.Errorf("the new section suggests %q, want C1", v)
	}
	res = c.form(f.base()+"/sections", url.Values{"code": {"c"}, "title": {"Again"}}, hx...)
	if res.Code != 422 || res.Doc(t).Find(`form#add-section #err-code`).Length() != 1 || res.Doc(t).Find(`#sec-code[aria-invalid="true"]`).Length() != 1 {
		t.Errorf("duplicate section code in place: %d %s", res.Code, res.Body)
	}
}
