package handlers

import (
	"context"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/14build/14build/authz"
)

// TestBrowserUnitEditor adds a unit with three floors through the editor, watches the
// server-computed sum indicator turn green, saves, duplicates the unit five times and sees
// the area schedule follow.
func TestBrowserUnitEditor(t *testing.T) {
	exe := findBrowser(t)
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	p := a.project(o, "HVT-01")
	b := startBrowser(t, exe, a.srv.URL)

	b.do("sign in",
		chromedp.Navigate(b.base+"/login?next=/projects/"+p.ID+"/units"),
		chromedp.SendKeys(chromedp.CSS("#email"), o.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#add-unit")))
	b.wantText("#main", "No units yet")

	b.do("open the unit form",
		chromedp.Click(chromedp.CSS("#add-unit")),
		chromedp.WaitVisible(chromedp.CSS("#unit-form")))
	b.markPage("unit-form")
	b.do("type the unit",
		chromedp.SendKeys(chromedp.CSS("#unitNumber"), "A-01"),
		chromedp.SendKeys(chromedp.CSS("#unitType"), "Townhouse"),
		chromedp.SendKeys(chromedp.CSS("#totalFloorArea"), "90"),
		clearField(chromedp.CSS("#numberOfRooms")), chromedp.SendKeys(chromedp.CSS("#numberOfRooms"), "3"),
		clearField(chromedp.CSS("#numberOfBathrooms")), chromedp.SendKeys(chromedp.CSS("#numberOfBathrooms"), "2"),
		clearField(chromedp.CSS("#numberOfFloors")), chromedp.SendKeys(chromedp.CSS("#numberOfFloors"), "3"))
	b.waitJS("three floor rows appear", `document.querySelectorAll('[data-floor-area]').length === 3`)
	b.do("type the floor areas, one short",
		chromedp.SendKeys(chromedp.CSS(`[name="floors[0].floorArea"]`), "30"),
		chromedp.SendKeys(chromedp.CSS(`[name="floors[1].floorArea"]`), "30"),
		chromedp.SendKeys(chromedp.CSS(`[name="floors[2].floorArea"]`), "29.5"))
	b.waitJS("the indicator shows the difference", `document.querySelector('#floor-sum').dataset.state === 'off' && document.querySelector('#floor-sum').innerText.includes('0.50 m² short')`)
	b.do("correct the third floor",
		clearField(chromedp.CSS(`[name="floors[2].floorArea"]`)),
		chromedp.SendKeys(chromedp.CSS(`[name="floors[2].floorArea"]`), "30"))
	b.waitJS("the indicator turns green", `document.querySelector('#floor-sum').dataset.state === 'ok'`)
	b.wantSamePage("unit-form")

	// "Split evenly" after changing the total: exact hundredths, the remainder on top.
	b.do("change the total and split evenly",
		clearField(chromedp.CSS("#totalFloorArea")), chromedp.SendKeys(chromedp.CSS("#totalFloorArea"), "100"))
	b.waitJS("the indicator turns red", `document.querySelector('#floor-sum').dataset.state === 'off'`)
	b.do("split", chromedp.Click(chromedp.CSS("#split-evenly")))
	b.waitJS("the floors are split", `[...document.querySelectorAll('[data-floor-area]')].map(e => e.value).join(' ') === '33.33 33.33 33.34'`)
	b.waitJS("the indicator is green again", `document.querySelector('#floor-sum').dataset.state === 'ok'`)
	b.wantSamePage("unit-form")

	b.do("save the unit",
		chromedp.Click(chromedp.CSS("#save-unit")),
		chromedp.WaitVisible(chromedp.CSS(`[data-unit="A-01"]`)))
	b.wantText("#main", "Unit A-01 saved.")
	b.wantText("[data-gross-area]", "100.00")

	// The Duplicate pop-over by keyboard: it opens with focus in its field, and Escape closes
	// it with focus back on its button.
	b.do("open the pop-over", chromedp.Click(chromedp.CSS(`[data-unit="A-01"] details summary`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-unit="A-01"] [data-dup-count]`)))
	b.waitJS("focus is in the count", `document.activeElement.matches('[data-unit="A-01"] [data-dup-count]')`)
	b.do("press Escape", chromedp.KeyEvent(kb.Escape))
	b.waitJS("the pop-over closed, focus on its button", `!document.querySelector('[data-unit="A-01"] details').open && document.activeElement.matches('[data-unit="A-01"] summary')`)
	b.do("duplicate it five times",
		chromedp.Click(chromedp.CSS(`[data-unit="A-01"] details summary`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-unit="A-01"] [data-dup-count]`)),
		clearField(chromedp.CSS(`[data-unit="A-01"] [data-dup-count]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-unit="A-01"] [data-dup-count]`), "5"),
		chromedp.Click(chromedp.CSS(`[data-unit="A-01"] details button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-unit="A-06"]`)))
	b.wantText("#main", "Made 5 copies: A-02 to A-06.")
	b.wantJS("six rows", `document.querySelectorAll('#units-table tbody tr').length === 6`)
	b.wantText("[data-gross-area]", "600.00")
	b.wantText("[data-total-units]", "6")
	b.wantText("#schedule-by-level", "Floor 3", "200.04")
	b.wantNoJSErrors()
}

// clearField empties an input the way selecting its text and deleting it would (without
// firing events; the typing that follows fires them).
func clearField(sel chromedp.CSS) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+strconv.Quote(string(sel))+`); e.value = ''; return true })()`)(ctx, t)
		return err
	})
}
