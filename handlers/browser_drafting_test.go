package handlers

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/14build/14build/demo"
	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
)

// TestBrowserDrafting drafts units from a brief on the demo project, drops one and saves
// the rest (shown as Drafted); then proposes work packages from the demo SOQ, saves them
// and turns one into a draft tender. The proposal states are audited with axe-core.
// DRAFTING_SCREENSHOTS=dir writes full-page screenshots of each step there.
func TestBrowserDrafting(t *testing.T) {
	exe := findBrowser(t)
	axeJS := axeSource(t)
	a := newTestApp(t)
	if _, err := demo.Load(t.Context(), a.st, a.h.HashPassword); err != nil {
		t.Fatal(err)
	}
	var projectID, soqID string
	var soqTotal int64
	db := a.st.DB()
	if err := db.Get(&soqID, `SELECT id FROM soqs WHERE title = 'Main contract SOQ' LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&projectID, `SELECT project_id FROM soqs WHERE id = $1`, soqID); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&soqTotal, `SELECT sum(amount) FROM soq_items WHERE soq_id = $1`, soqID); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("DRAFTING_SCREENSHOTS")
	b := startBrowser(t, exe, a.srv.URL)
	shot := func(name string) {
		if shots == "" {
			return
		}
		png := run(b, "screenshot "+name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.do("sign in as the owner",
		chromedp.EmulateViewport(1440, 900),
		chromedp.Navigate(b.base+paths.Login()+"?next="+paths.Units(projectID)),
		chromedp.SendKeys(chromedp.CSS("#email"), "olivia@harbourhomes.test"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#draft-units")))

	brief := []chromedp.Action[chromedp.Void]{
		clearField(chromedp.CSS("#brief-count")), chromedp.SendKeys(chromedp.CSS("#brief-count"), "3"),
		chromedp.SendKeys(chromedp.CSS("#brief-unitType"), "Studio"),
		clearField(chromedp.CSS("#brief-floors")), chromedp.SendKeys(chromedp.CSS("#brief-floors"), "2"),
		chromedp.SendKeys(chromedp.CSS("#brief-floorAreaPerUnit"), "45.05"),
		clearField(chromedp.CSS("#brief-rooms")), chromedp.SendKeys(chromedp.CSS("#brief-rooms"), "1"),
		clearField(chromedp.CSS("#brief-bathrooms")), chromedp.SendKeys(chromedp.CSS("#brief-bathrooms"), "1"),
		clearField(chromedp.CSS("#brief-startNumber")), chromedp.SendKeys(chromedp.CSS("#brief-startNumber"), "S-01"),
		chromedp.Click(chromedp.CSS("#propose-units")),
		chromedp.WaitVisible(chromedp.CSS("#review-form")),
	}
	b.do("open the draft form", chromedp.Click(chromedp.CSS("#draft-units")), chromedp.WaitVisible(chromedp.CSS("#brief-form")))
	shot("units-draft-brief")
	b.do("propose three studios", brief...)
	// 45.05 m² over two floors: 22.53 + 22.52 (the extra hundredth on the first floor).
	b.wantValue(`[name="units[0].floors[0].floorArea"]`, "22.53")
	b.wantValue(`[name="units[0].floors[1].floorArea"]`, "22.52")
	shot("units-draft-review")
	b.do("drop S-02",
		chromedp.Click(chromedp.CSS(`[data-draft-unit="S-02"] [data-drop]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-draft-unit="S-02"]`)))
	b.waitJS("two rows left", `document.querySelectorAll('[data-draft-unit]').length === 2`)
	b.do("save them",
		chromedp.Click(chromedp.CSS("#save-units")),
		chromedp.WaitVisible(chromedp.CSS(`[data-unit="S-03"]`)))
	b.wantText("#main", "2 drafted units saved.")
	b.wantText(`[data-unit="S-01"]`, "Drafted")
	if n := a.count(`SELECT count(*) FROM units WHERE project_id = $1 AND unit_number LIKE 'S-%' AND created_by_ai`, projectID); n != 2 {
		t.Fatalf("saved %d drafted units, want 2", n)
	}

	b.do("open the work packages",
		chromedp.Navigate(b.base+paths.WorkPackages(projectID)),
		chromedp.WaitVisible(chromedp.CSS("#propose-packages")))
	shot("packages-empty")
	b.do("propose from the demo SOQ",
		chromedp.SetValue(chromedp.CSS("#soqId"), soqID),
		chromedp.Click(chromedp.CSS("#propose-packages")),
		chromedp.WaitVisible(chromedp.CSS("#proposed-packages")))
	b.wantText("#proposal-total", money.FormatCode(soqTotal, "nzd"))
	b.wantJS("the packages in construction order", `(() => {
		const t = [...document.querySelectorAll('#proposed-packages input[name$=".title"]')].map(e => e.value);
		const i = n => t.indexOf(n);
		return i('Preliminaries: General Building') === 1 && i('Demolition and site preparation: Civil Works') === 2 &&
			i('Substructure: Concrete') < i('Frame and structure: Carpentry & Joinery') && i('Frame and structure: Carpentry & Joinery') < i('Roofing: Roofing') &&
			i('Services: Plumbing') < i('Internal finishes: Painting & Decorating') && i('External works: Landscaping') === t.length - 2;
	})()`)
	shot("packages-proposal")
	b.do("save the packages",
		chromedp.Click(chromedp.CSS("#save-packages")),
		chromedp.WaitVisible(chromedp.CSS("#saved-packages")))
	b.wantText("#main", "work packages saved.")
	shot("packages-saved")
	b.do("make a draft tender of the concrete substructure",
		chromedp.Click(chromedp.CSS(`[data-package="Substructure: Concrete"] [data-make-tender]`)),
		chromedp.WaitVisible(chromedp.CSS("#tender-title")))
	b.wantText("#main", "Draft tender made from the package", "Substructure: Concrete")
	shot("packages-tender")
	// The tender's SOQ holds exactly the package's items: the demo's four concrete lines of
	// the substructure, for each of its twelve townhouses.
	var items int
	if err := db.Get(&items, `SELECT count(*) FROM soq_items i JOIN tenders t ON t.soq_id = i.soq_id WHERE t.title = 'Substructure: Concrete'`); err != nil || items != 48 {
		t.Fatalf("the tender's SOQ holds %d items (%v), want the package's 48", items, err)
	}
	b.wantNoJSErrors()

	// Accessibility of the states only this flow reaches.
	var found []axeFinding
	found = append(found, b.audit(axeJS, "owner", "units draft review", page{path: paths.UnitsDraft(projectID), steps: brief})...)
	found = append(found, b.audit(axeJS, "owner", "work packages proposal", page{path: paths.WorkPackages(projectID), steps: []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS("#soqId"), soqID),
		chromedp.Click(chromedp.CSS("#propose-packages")),
		chromedp.WaitVisible(chromedp.CSS("#proposed-packages")),
	}})...)
	found = append(found, b.audit(axeJS, "owner", "work packages saved", page{path: paths.WorkPackages(projectID)})...)
	if len(found) > 0 {
		t.Errorf("axe-core found %d accessibility violations:\n%s", len(found), formatFindings(found))
	}
}
