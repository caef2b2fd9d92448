package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
)

// TestBrowserSOQSheet uses the SOQ sheet as an estimator uses a spreadsheet, on one page
// load: 20 cells typed without waiting between keys, a refused value, a block pasted from
// a spreadsheet and undone, and three items added in place.
func TestBrowserSOQSheet(t *testing.T) {
	exe := findBrowser(t)
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	p := a.project(o, "HVA-01")
	ctx := context.Background()

	// Sections A (12 items) and B (10), quantities and rates whose amounts are exact cents.
	var sections []store.NewSection
	for s, n := range map[string]int{"A": 12, "B": 10} {
		sec := store.NewSection{Code: s, Title: "Section " + s}
		for i := 1; i <= n; i++ {
			sec.Items = append(sec.Items, store.NewItem{Item: soq.Item{Reference: s + strconv.Itoa(i), Description: "Work " + s + strconv.Itoa(i),
				Unit: "m2", Quantity: soq.Quantity(i * 1000), Rate: int64(100 * i), Type: soq.Measured}})
		}
		sections = append(sections, sec)
	}
	if sections[0].Code != "A" {
		sections[0], sections[1] = sections[1], sections[0]
	}
	id, err := a.st.CreateSOQ(ctx, p.ID, o.ID, store.NewSOQ{Title: "Main SOQ", Currency: "usd", Status: "draft", Sections: sections})
	if err != nil {
		t.Fatal(err)
	}
	q, err := a.st.SOQHeader(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.st.LoadSOQ(ctx, &q, store.ItemFilter{}); err != nil {
		t.Fatal(err)
	}
	// The rows top to bottom, and each cell's value as the test expects it.
	type cellKey struct {
		row   int
		field string
	}
	var items []store.Item
	for _, s := range q.Sections {
		items = append(items, s.Items...)
	}
	want := map[cellKey]string{}
	for i, it := range items {
		want[cellKey{i, "quantity"}] = it.Quantity.String()
		want[cellKey{i, "rate"}] = fmt.Sprintf("%d.%02d", it.Rate/100, it.Rate%100)
		want[cellKey{i, "unit"}] = it.Unit
	}
	cell := func(row int, field string) string {
		return `#item-` + items[row].ID + ` td[data-cell="` + field + `"]`
	}
	focused := func(sel string) string { return `document.activeElement === document.querySelector('` + sel + `')` }
	drained := `document.getElementById('soq-sheet').dataset.pending === "0" && !document.querySelector('#soq-sheet .soq-saving')`
	// total is the grand total the test expects: every amount is exact in cents here.
	total := func() int64 {
		var sum int64
		for i := range items {
			qty, err := soq.ParseQuantity(want[cellKey{i, "quantity"}])
			if err != nil {
				t.Fatal(err)
			}
			rate := strings.ReplaceAll(want[cellKey{i, "rate"}], ".", "")
			r, _ := strconv.ParseInt(rate, 10, 64)
			if int64(qty)*r%1000 != 0 {
				t.Fatalf("row %d: %s × %s is not exact in cents", i, want[cellKey{i, "quantity"}], want[cellKey{i, "rate"}])
			}
			sum += int64(qty) * r / 1000
		}
		return sum
	}
	// wantSheet checks every cell the test changed, in the page and in the database, and
	// the grand total against the sum the test computes.
	b := startBrowser(t, exe, a.srv.URL)
	wantSheet := func(what string) {
		t.Helper()
		b.waitJS(what+": every save is answered", drained)
		for k, v := range want {
			if got := run(b, "read a cell", chromedp.Evaluate[string](`document.querySelector('`+cell(k.row, k.field)+`').dataset.value`)); got != v {
				t.Fatalf("%s: %s of %s is %q, want %q%s", what, k.field, items[k.row].Reference, got, v, b.snapshot())
			}
		}
		for i, it := range items {
			var qtyText, unit string
			var rate int64
			row := a.st.DB().QueryRowx(`SELECT quantity::text, rate, unit FROM soq_items WHERE id = $1`, it.ID)
			if err := row.Scan(&qtyText, &rate, &unit); err != nil {
				t.Fatal(err)
			}
			qty, err := soq.ParseQuantity(qtyText)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%s %d.%02d %s", qty.String(), rate/100, rate%100, unit); got != fmt.Sprintf("%s %s %s", want[cellKey{i, "quantity"}], want[cellKey{i, "rate"}], want[cellKey{i, "unit"}]) {
				t.Fatalf("%s: %s is stored as %s, want %s %s %s", what, it.Reference, got, want[cellKey{i, "quantity"}], want[cellKey{i, "rate"}], want[cellKey{i, "unit"}])
			}
		}
		b.wantText("#soq-total", usd(total()))
		b.wantText("#soq-total-foot", usd(total()))
	}

	page := "/projects/" + p.ID + "/soq/" + id
	b.do("sign in and open the SOQ",
		chromedp.Navigate(b.base+"/login?next="+page),
		chromedp.SendKeys(chromedp.CSS("#email"), o.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#soq-sheet")))
	b.wantText("#soq-total", usd(total()))
	b.wantJS("the grid is one tab stop", `document.querySelectorAll('#soq-sheet [tabindex="0"]').length === 1`)
	b.wantJS("the sheet is a grid", `document.getElementById('soq-sheet').getAttribute('role') === 'grid'`)
	b.markPage("soq")

	// 1. Typing fast: "44", Enter, "12.5", Tab, "9", Enter… over 20 cells, with no wait
	// between keys. Quantity: Tab moves to the rate; from the rate Shift+Tab comes back.
	shiftTab := chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
	quantities := []string{"44", "12.5", "9", "3", "100", "0.5", "7.5", "16", "2", "30"}
	rates := []string{"8", "12.50", "20.40", "10", "3.60", "7", "14", "1.20", "9", "0.80"}
	row, field := 0, "quantity"
	var keys []chromedp.Action[chromedp.Void]
	for i := 0; i < 20; i++ {
		var v string
		if field == "quantity" {
			v = quantities[i%len(quantities)]
		} else {
			v = rates[i%len(rates)]
		}
		want[cellKey{row, field}] = v
		if field == "rate" && !strings.Contains(v, ".") {
			want[cellKey{row, field}] = v + ".00" // the rate as the sheet writes it
		}
		keys = append(keys, chromedp.KeyEvent(v))
		switch i % 4 {
		case 0: // quantity, Tab → rate
			keys = append(keys, chromedp.KeyEvent(kb.Tab))
			field = "rate"
		case 1: // rate, Enter → the next row's rate
			keys = append(keys, chromedp.KeyEvent(kb.Enter))
			row++
		case 2: // rate, Shift+Tab → quantity
			keys = append(keys, shiftTab)
			field = "quantity"
		case 3: // quantity, Enter → the next row's quantity
			keys = append(keys, chromedp.KeyEvent(kb.Enter))
			row++
		}
	}
	b.do("select A1's quantity", chromedp.Click(chromedp.CSS(cell(0, "quantity"))))
	b.waitJS("A1's quantity is selected", focused(cell(0, "quantity")))
	b.do("type 20 cells without waiting", keys...)
	b.waitJS("the selection ends where the keys left it", focused(cell(row, field)))
	wantSheet("after typing")
	b.wantSamePage("soq")

	// 2. A refused value marks its cell (the message and what was typed), and the focus
	// stays where the user went.
	bad := row
	b.do("type a rate with too many decimals and press Enter",
		chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent("5.555"), chromedp.KeyEvent(kb.Enter))
	b.waitJS("the rate is marked refused", `document.querySelector('`+cell(bad, "rate")+`').getAttribute('aria-invalid') === 'true'`)
	b.wantJS("the focus stayed where the user went", focused(cell(bad+1, "rate")))
	b.wantJS("the mark describes the cell",
		`(() => { const td = document.querySelector('`+cell(bad, "rate")+`'); const d = document.getElementById(td.getAttribute('aria-describedby')); return !!d && d.textContent.includes('decimal places') && d.textContent.includes('5.555'); })()`)
	b.waitJS("the refusal is answered", drained)
	if n := a.count(`SELECT count(*) FROM soq_items WHERE id = $1 AND rate = 555`, items[bad].ID); n != 0 {
		t.Fatal("the refused rate was saved")
	}
	b.do("go back and type a good rate", chromedp.KeyEvent(kb.ArrowUp), chromedp.KeyEvent("5.5"), chromedp.KeyEvent(kb.Enter))
	want[cellKey{bad, "rate"}] = "5.50"
	b.waitJS("the mark goes", `!document.querySelector('`+cell(bad, "rate")+`').hasAttribute('aria-invalid')`)
	wantSheet("after correcting the refused rate")

	// 3. A 5 × 3 block pasted at B1's unit (unit, quantity, rate), then undone.
	b1 := 12
	before := map[cellKey]string{}
	for k, v := range want {
		before[k] = v
	}
	block := [][]string{{"m3", "2", "10.00"}, {"nr", "4", "2.50"}, {"m", "6", "1.00"}, {"m2", "8", "0.50"}, {"kg", "10", "3.00"}}
	var tsv strings.Builder
	for i, r := range block {
		tsv.WriteString(strings.Join(r, "\t") + "\r\n")
		want[cellKey{b1 + i, "unit"}], want[cellKey{b1 + i, "quantity"}], want[cellKey{b1 + i, "rate"}] = r[0], r[1], r[2]
	}
	b.do("select B1's unit", chromedp.Click(chromedp.CSS(cell(b1, "unit"))))
	b.waitJS("B1's unit is selected", focused(cell(b1, "unit")))
	b.do("paste a block copied from a spreadsheet", chromedp.Evaluate[chromedp.Void](`(() => {
		const dt = new DataTransfer();
		dt.setData('text/plain', `+strconv.Quote(tsv.String())+`);
		document.activeElement.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
	})()`))
	wantSheet("after the paste")
	b.wantText(`#item-`+items[b1+1].ID+` [data-amount]`, "10.00")
	b.do("undo the paste", chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	want = before
	wantSheet("after undoing the paste")
	b.do("redo it", chromedp.KeyEvent("y", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	for i, r := range block {
		want[cellKey{b1 + i, "unit"}], want[cellKey{b1 + i, "quantity"}], want[cellKey{b1 + i, "rate"}] = r[0], r[1], r[2]
	}
	wantSheet("after redoing the paste")

	// A block with a bad value is refused whole: that cell is marked, the others go back.
	b.do("paste a block with a bad quantity", chromedp.Evaluate[chromedp.Void](`(() => {
		const dt = new DataTransfer();
		dt.setData('text/plain', "m3\tlots\t1.00\n");
		document.activeElement.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
	})()`))
	b.waitJS("the bad quantity is marked", `document.querySelector('`+cell(b1, "quantity")+`').getAttribute('aria-invalid') === 'true'`)
	b.wantJS("the good cells are not marked", `!document.querySelector('`+cell(b1, "unit")+`').hasAttribute('aria-invalid') && !document.querySelector('`+cell(b1, "rate")+`').hasAttribute('aria-invalid')`)
	b.wantJS("the mark says what was typed", `document.querySelector('`+cell(b1, "quantity")+` [data-cell-error]').textContent.includes('“lots”')`)
	b.waitJS("the refusal is answered", drained)
	b.wantJS("the unit shows its saved value again", `document.querySelector('`+cell(b1, "unit")+`').dataset.value === 'm3'`)
	b.do("type the quantity again", chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent("2"), chromedp.KeyEvent(kb.Enter))
	wantSheet("after the refused paste")

	// 4. Three items added in a row, in place: the form stays open with the next reference.
	b.do("open B's add form", chromedp.Click(chromedp.CSS(`[data-add-item="B"]`)))
	ref := `#add-reference-` + q.Sections[1].ID
	b.wantValue(ref, "B11")
	for i, next := range []string{"B11", "B12", "B13"} {
		desc := `#add-description-` + q.Sections[1].ID
		b.do("fill in item "+next,
			chromedp.SetValue(chromedp.CSS(desc), "New work "+next),
			chromedp.SetValue(chromedp.CSS(`#add-unit-`+q.Sections[1].ID), "m2"),
			chromedp.SetValue(chromedp.CSS(`#add-quantity-`+q.Sections[1].ID), strconv.Itoa(i+1)),
			chromedp.SetValue(chromedp.CSS(`#add-rate-`+q.Sections[1].ID), "10"),
			chromedp.Click(chromedp.CSS(`[data-add-form="B"] button[type="submit"]`)))
		b.waitJS(next+" is added to the sheet", `[...document.querySelectorAll('#section-`+q.Sections[1].ID+` td[data-cell="reference"]')].some(td => td.dataset.value === '`+next+`')`)
		b.waitJS("the form is open again", `!!document.querySelector('`+ref+`') && document.querySelector('`+ref+`').closest('details').open`)
	}
	b.wantValue(ref, "B14")
	b.wantSamePage("soq")
	if n := a.count(`SELECT count(*) FROM soq_items i JOIN soq_sections s ON s.id = i.section_id WHERE s.soq_id = $1 AND i.reference IN ('B11', 'B12', 'B13')`, id); n != 3 {
		t.Fatalf("%d of the 3 added items are stored", n)
	}
	b.do("add one whose reference is taken",
		chromedp.SetValue(chromedp.CSS(ref), "A1"),
		chromedp.SetValue(chromedp.CSS(`#add-description-`+q.Sections[1].ID), "Twice"),
		chromedp.SetValue(chromedp.CSS(`#add-quantity-`+q.Sections[1].ID), "1"),
		chromedp.SetValue(chromedp.CSS(`#add-rate-`+q.Sections[1].ID), "1"),
		chromedp.Click(chromedp.CSS(`[data-add-form="B"] button[type="submit"]`)))
	b.waitJS("the duplicate is named next to the field", `!!document.querySelector('#add-err-reference-`+q.Sections[1].ID+`')`)
	b.wantText(`#add-err-reference-`+q.Sections[1].ID, "already used")
	b.wantJS("the field is marked and focused", focused(ref)+` && document.querySelector('`+ref+`').getAttribute('aria-invalid') === 'true'`)
	b.wantSamePage("soq")
	b.wantNoJSErrors()
}

// usd formats minor units as the sheet shows dollars: $5,499.88.
func usd(minor int64) string {
	whole := strconv.FormatInt(minor/100, 10)
	var s strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			s.WriteByte(',')
		}
		s.WriteRune(r)
	}
	return fmt.Sprintf("$%s.%02d", s.String(), minor%100)
}
