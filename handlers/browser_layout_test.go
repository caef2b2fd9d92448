package handlers

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/14build/14build/authz"
)

// TestBrowserPhoneLayout opens the main pages, filled with data, on a phone-sized screen
// and checks that none is wider than the screen: wide tables scroll inside their own box,
// the page never scrolls sideways. (A visually hidden label inside a scroll box that is not
// positioned escapes its clipping and widens the page; this catches that kind of slip.)
func TestBrowserPhoneLayout(t *testing.T) {
	exe := findBrowser(t)
	a := newTestApp(t)
	admin := a.user(authz.RoleAdmin, "ada@14build.test")
	ivy := a.user(authz.RoleInHouse, "ivy@harbourhomes.test")
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	p := a.project(o, "PHONE-1", ivy)
	oc := a.login(o.Email)
	units := []any{}
	for i := 1; i <= 3; i++ {
		units = append(units, unitJSON(fmt.Sprintf("A-%02d", i), 120.5, 60.25, 60.25))
	}
	if res := oc.do("POST", "/api/projects/"+p.ID+"/units", map[string]any{"units": units}); res.Code != http.StatusCreated {
		t.Fatalf("units: %d %s", res.Code, res.Body)
	}
	soqID := bigSOQ(t, a.st, p.ID, o.ID, 3, 8)
	project := "/projects/" + p.ID
	sheet := project + "/soq/" + soqID

	const width = 390
	b := startBrowser(t, exe, a.srv.URL)
	b.do("use a phone-sized screen", chromedp.EmulateViewport(width, 844, chromedp.EmulateMobile))
	signIn := func(email string) {
		b.t.Helper()
		b.do("sign in as "+email,
			chromedp.Navigate(b.base+"/login"),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
			chromedp.WaitReady(chromedp.CSS(`form[action="/logout"]`)))
	}
	fits := func(path string) {
		b.t.Helper()
		b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("#main")))
		w := run(b, "measure "+path, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if w > width {
			wide := run(b, "find what sticks out", chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelectorAll("#main *")]
  .filter(e => e.getBoundingClientRect().right > %d && ![...e.children].some(c => c.getBoundingClientRect().right > %d))
  .slice(0, 5).map(e => e.tagName + "." + String(e.className.baseVal ?? e.className) + ": " + e.textContent.trim().slice(0, 60))`, width, width)))
			t.Errorf("%s is %d px wide on a %d px screen; sticking out: %q", path, w, width, wide)
		}
	}
	fits("/login")
	fits("/register")
	signIn(o.Email)
	for _, path := range []string{"/", "/projects", "/projects/new", project, project + "/team", project + "/units",
		project + "/units/new", project + "/soq", sheet, sheet + "?type=measured", sheet + "/import", project + "/jobs", "/account"} {
		fits(path)
	}
	b.do("sign out", chromedp.Navigate(b.base+"/account"), chromedp.Submit(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)))
	signIn(admin.Email)
	fits("/admin/users")
	fits("/admin/users/new")
	b.wantNoJSErrors()
}
