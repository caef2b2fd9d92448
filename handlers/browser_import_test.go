package handlers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
)

// TestBrowserImport uploads a CSV through the import page, maps the one column the guess
// missed (every row is checked again as it changes), chooses to import the valid rows,
// starts the import and watches the progress bar (polled by HTMX) reach 100% and the
// report appear, on the same page.
func TestBrowserImport(t *testing.T) {
	exe := findBrowser(t)
	a := newTestApp(t)
	a.listen(t) // as main does: the progress bar follows the import over SSE (issue 12)
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	p := a.project(o, "IMP-02")
	soqID, err := a.st.CreateSOQ(context.Background(), p.ID, o.ID, store.NewSOQ{Title: "Main works", Currency: "usd"})
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]string{{"Work group", "Ref", "Description", "Unit", "Qty", "Rate", "Amount"}}
	for i := 1; i <= 3000; i++ {
		rows = append(rows, []string{"E Services", fmt.Sprintf("E%d", i), fmt.Sprintf("Cable run %d, 2.5mm", i), "m", "12.5", "3.20", ""})
	}
	rows[42][4] = "twelve" // row 43 of the file
	file := filepath.Join(t.TempDir(), "services.csv")
	if err := os.WriteFile(file, csvBytes(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBrowser(t, exe, a.srv.URL)
	sheet := "/projects/" + p.ID + "/soq/" + soqID

	b.do("sign in and open the SOQ",
		chromedp.Navigate(b.base+"/login?next="+sheet),
		chromedp.SendKeys(chromedp.CSS("#email"), o.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#soq-actions")))
	b.do("open the import page from the sheet",
		chromedp.Click(chromedp.CSS("#soq-import")),
		chromedp.WaitVisible(chromedp.CSS("#import-upload")))
	b.wantJS("export links are offered", `!!document.querySelector('#export-xlsx') && !!document.querySelector('#export-csv')`)

	b.do("choose the file and upload it",
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
		chromedp.Click(chromedp.CSS("#upload-submit")),
		chromedp.WaitVisible(chromedp.CSS("#import-map")))
	b.wantText("#import-filename", "services.csv")
	b.wantJS("ten rows are previewed", `document.querySelectorAll('#import-preview tbody tr').length === 10`)
	b.wantValue("#col-1", "reference")
	b.wantValue("#col-4", "quantity")
	b.wantValue("#col-6", "ignore")
	b.wantValue("#col-0", "ignore")

	b.waitJS("the check says what the guess left unmapped", `(document.querySelector('#check-pending') || {innerText: ''}).innerText.includes('section')`)
	b.markPage("map")
	b.wantJS("map the first column to section", `(() => { const s = document.querySelector('#col-0'); s.value = 'section'; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`)
	b.waitJS("every row is checked", `!!document.querySelector('#check-result')`)
	b.wantSamePage("map")
	b.wantText("#check-valid", "2,999")
	b.wantText("#check-refused", "1")
	b.wantText(`#check-rows tr[data-row="43"]`, "E42", "Cable run 42", `Quantity "twelve" must be a number such as 12.5.`)
	b.do("choose to import the valid rows", chromedp.Click(chromedp.CSS(`label:has(#mode-valid)`)))
	b.wantJS("valid rows is chosen", `document.querySelector('#mode-valid').checked`)
	b.do("start the import",
		chromedp.Click(chromedp.CSS("#import-start")),
		chromedp.WaitVisible(chromedp.CSS("#import-status")))
	b.markPage("status")
	b.waitJS("the bar reaches 100%", `document.querySelector('#import-percent').innerText.trim() === '100%' && document.querySelector('#import-bar').style.width === '100%'`)
	b.waitJS("the report appears", `!!document.querySelector('#import-report')`)
	b.wantSamePage("status")
	b.wantJS("polling stopped", `!document.querySelector('#import-status').hasAttribute('hx-trigger')`)
	b.wantText("#import-imported", "2,999")
	b.wantText("#import-refused", "1")
	b.wantText(`#refused-rows tr[data-row="43"]`, "43", `Quantity "twelve" must be a number such as 12.5.`)
	if n := a.count(`SELECT count(*) FROM soq_items WHERE soq_id = $1`, soqID); n != 2999 {
		t.Fatalf("%d items imported, want 2999", n)
	}
	b.do("open the jobs page",
		chromedp.Click(chromedp.CSS(`a[href="/projects/`+p.ID+`/jobs"]`)),
		chromedp.WaitVisible(chromedp.CSS("#jobs-table")))
	// waitJS, not wantText: the list is refreshed once its live stream opens, and may be
	// swapped while it is read.
	b.waitJS("the job is listed as done", `(t => t.includes('SOQ import') && t.includes('services.csv') && t.includes('2,999 imported'))((document.querySelector('#jobs-table') || {}).innerText || '')`)
	b.wantNoJSErrors()
}
