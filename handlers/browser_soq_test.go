package handlers

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
)

// TestBrowserSOQSheet edits an SOQ like a spreadsheet, from the keyboard: a quantity saved
// with Enter updates the amount, the section total and the grand total in place and opens
// the next row's quantity; Escape cancels; Tab saves and moves right; a bad value is
// refused in place.
func TestBrowserSOQSheet(t *testing.T) {
	exe := findBrowser(t)
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	p := a.project(o, "HVA-01")
	ctx := context.Background()
	item := func(ref, desc, unit string, qty soq.Quantity, rate int64, typ soq.ItemType) store.NewItem {
		return store.NewItem{Item: soq.Item{Reference: ref, Description: desc, Unit: unit, Quantity: qty, Rate: rate, Type: typ}}
	}
	id, err := a.st.CreateSOQ(ctx, p.ID, o.ID, store.NewSOQ{Title: "Main SOQ", Currency: "usd", Status: "draft", Sections: []store.NewSection{
		{Code: "A", Title: "Substructure", Items: []store.NewItem{
			item("A1", "Excavate to reduce levels", "m3", 12500, 1999, soq.Measured), // 249.88
			item("A2", "Blinding", "m2", 10000, 500, soq.Measured),                   // 50.00
			item("A3", "Pile caps", "nr", 2000, 10000, soq.Measured),                 // 200.00
		}},
		{Code: "B", Title: "Allowances", Items: []store.NewItem{
			item("B1", "Landscaping allowance", "sum", 1000, 500000, soq.ProvisionalSum), // 5,000.00
		}},
	}})
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
	secA := q.Sections[0].ID
	a1, a2 := q.Sections[0].Items[0].ID, q.Sections[0].Items[1].ID
	cell := func(item, field string) string { return `#item-` + item + ` td[data-cell="` + field + `"]` }
	editor := func(item, field string) string { return cell(item, field) + `[data-editing] [name="value"]` }
	focused := func(sel string) string { return `document.activeElement === document.querySelector('` + sel + `')` }
	text := func(sel string) string { return `document.querySelector('` + sel + `').textContent.trim()` }

	b := startBrowser(t, exe, a.srv.URL)
	page := "/projects/" + p.ID + "/soq/" + id
	b.do("sign in and open the SOQ",
		chromedp.Navigate(b.base+"/login?next="+page),
		chromedp.SendKeys(chromedp.CSS("#email"), o.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#soq-sheet")))
	b.wantText("#soq-total", "$5,499.88")
	b.wantText("#section-total-"+secA, "$499.88")
	b.markPage("soq")

	// 1. Click a quantity, type, Enter: saved, totals follow, the next row's quantity opens.
	b.do("click A1's quantity", chromedp.Click(chromedp.CSS(cell(a1, "quantity"))))
	b.waitJS("A1's quantity editor is open and focused", focused(editor(a1, "quantity")))
	b.wantValue(editor(a1, "quantity"), "12.5")
	b.do("type a new quantity and press Enter",
		clearField(chromedp.CSS(editor(a1, "quantity"))),
		chromedp.SendKeys(chromedp.CSS(editor(a1, "quantity")), "20"),
		chromedp.KeyEvent(kb.Enter))
	// 20 × 19.99 = 399.80; A: 399.80 + 50.00 + 200.00; total: + 5,000.00.
	b.waitJS("A1's amount changes", text(`#item-`+a1+` [data-amount]`)+` === "399.80"`)
	b.waitJS("the section total changes", text("#section-total-"+secA)+` === "$649.80"`)
	b.waitJS("the grand totals change", text("#soq-total")+` === "$5,649.80" && `+text("#soq-total-foot")+` === "$5,649.80"`)
	b.waitJS("A2's quantity editor opens, focused", focused(editor(a2, "quantity")))
	b.wantSamePage("soq")
	b.wantText(cell(a1, "quantity"), "20")

	// 2. Escape cancels: A2 keeps its quantity, nothing is saved, the cell keeps the focus.
	b.do("type, then press Escape",
		chromedp.SendKeys(chromedp.CSS(editor(a2, "quantity")), "999"),
		chromedp.KeyEvent(kb.Escape))
	b.waitJS("the editor closes", `!document.querySelector('#item-`+a2+` td[data-editing]')`)
	b.waitJS("the cell has the focus", focused(cell(a2, "quantity")))
	b.wantText(cell(a2, "quantity"), "10")
	b.wantText("#soq-total", "$5,649.80")
	if n := a.count(`SELECT count(*) FROM soq_items WHERE id = $1 AND quantity = 10`, a2); n != 1 {
		t.Fatal("Escape saved the quantity")
	}

	// 3. Enter on the focused cell opens it; Tab saves and moves right, to the rate.
	b.do("press Enter on the cell", chromedp.KeyEvent(kb.Enter))
	b.waitJS("A2's quantity editor opens", focused(editor(a2, "quantity")))
	b.do("type and press Tab",
		clearField(chromedp.CSS(editor(a2, "quantity"))),
		chromedp.SendKeys(chromedp.CSS(editor(a2, "quantity")), "12"),
		chromedp.KeyEvent(kb.Tab))
	b.waitJS("A2's amount changes", text(`#item-`+a2+` [data-amount]`)+` === "60.00"`)
	b.waitJS("A2's rate editor opens, focused", focused(editor(a2, "rate")))
	b.wantValue(editor(a2, "rate"), "5.00")
	b.waitJS("the totals follow", text("#section-total-"+secA)+` === "$659.80" && `+text("#soq-total")+` === "$5,659.80"`)

	// 4. A bad value is refused in place: the editor stays open with what was typed.
	b.do("type a bad rate and press Enter",
		clearField(chromedp.CSS(editor(a2, "rate"))),
		chromedp.SendKeys(chromedp.CSS(editor(a2, "rate")), "5.555"),
		chromedp.KeyEvent(kb.Enter))
	b.waitJS("the message shows", `!!document.querySelector('#item-`+a2+` [data-cell-error]')`)
	b.wantText(`#item-`+a2+` [data-cell-error]`, "Rate has more decimal places")
	b.wantValue(editor(a2, "rate"), "5.555")
	b.waitJS("the editor keeps the focus", focused(editor(a2, "rate")))
	b.do("correct it and press Escape", chromedp.KeyEvent(kb.Escape))
	b.waitJS("the editor closes", `!document.querySelector('#item-`+a2+` td[data-editing]')`)
	b.wantText(cell(a2, "rate"), "5.00")
	b.wantText("#soq-total", "$5,659.80")
	b.wantSamePage("soq")

	// 5. Arrow keys move between cells.
	b.do("press ArrowUp", chromedp.KeyEvent(kb.ArrowUp))
	b.waitJS("A1's rate has the focus", focused(cell(a1, "rate")))
	b.wantNoJSErrors()
}
