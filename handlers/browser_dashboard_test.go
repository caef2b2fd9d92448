package handlers

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/14build/14build/demo"
	"github.com/14build/14build/paths"
)

// TestBrowserDashboardTenders audits the dashboard with the demo's tenders in it (the
// accessibility test sees its lists empty): the owner's tenders closing soon and new
// bids, a bidder's open tenders, and one with a draft to submit.
func TestBrowserDashboardTenders(t *testing.T) {
	exe := findBrowser(t)
	axeJS := axeSource(t)
	a := newTestApp(t)
	if _, err := demo.Load(t.Context(), a.st, a.h.HashPassword); err != nil {
		t.Fatal(err)
	}
	for _, who := range []struct{ role, email, want string }{
		{"owner", "olivia@harbourhomes.test", "#closing-soon [data-tender]"},
		{"bidder", "bea@sparkelectrical.test", "#my-tenders [data-tender]"},
		{"bidder with a draft", "bob@flowplumbing.test", `#bidder-todo [data-todo="submit"]`},
	} {
		t.Run(who.role, func(t *testing.T) {
			b := startBrowser(t, exe, a.srv.URL)
			b.do("sign in as "+who.email,
				chromedp.EmulateViewport(1440, 900),
				chromedp.Navigate(b.base+paths.Login()),
				chromedp.SendKeys(chromedp.CSS("#email"), who.email),
				chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
				chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
				chromedp.WaitReady(chromedp.CSS(`form[action="/logout"]`)))
			found := b.audit(axeJS, who.role, "dashboard", page{path: paths.Dashboard(), steps: []chromedp.Action[chromedp.Void]{
				chromedp.WaitVisible(chromedp.CSS(who.want)),
			}})
			if len(found) > 0 {
				t.Errorf("axe-core found %d accessibility violations:\n%s", len(found), formatFindings(found))
			}
			b.wantNoJSErrors()
		})
	}
}
