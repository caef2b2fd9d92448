package handlers

import (
	"strings"
	"testing"
)

// A page shows a control exactly when the route behind it lets the viewer through: views
// read capability flags (views.Page.Can, .InProject) that h.page fills from the same authz
// rules as the route table, so the two cannot drift apart.
func TestControlsMatchRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	controls := []struct{ page, link string }{
		{"/", "/projects/new"},
		{"/", "/admin/users"},
		{"/projects", "/projects/new"},
		{"/projects/{P}", "/projects/{P}/edit"},
		{"/projects/{P}", "/projects/{P}/delete"},
		{"/projects/{P}/team", "/projects/{P}/team/{I}/remove"},
		{"/projects/{P}/units", "/projects/{P}/units/new"},
	}
	for _, role := range []string{"owner", "inhouse", "otherOwner", "bidder", "admin", "outsider"} {
		c := f.clients[role]
		for _, ctl := range controls {
			page := c.get(f.expand(ctl.page))
			if page.Code != 200 {
				continue // a page the role cannot see shows no controls at all
			}
			link := f.expand(ctl.link)
			shown := page.Doc(t).Find(`a[href="`+link+`"]`).Length() > 0
			allowed := c.get(link).Code == 200
			if shown != allowed {
				t.Errorf("%s on %s: link to %s shown=%v, but the route allows=%v", role, ctl.page, ctl.link, shown, allowed)
			}
		}
		// Bidders see tenders, not projects: no Projects menu, and the dashboard says so.
		d := c.get("/").Doc(t)
		menu := d.Find(`nav a[href="/projects"]`).Length() > 0
		if menu != (role != "bidder") {
			t.Errorf("%s: Projects menu shown=%v", role, menu)
		}
		if tenders := d.Find(`h2:contains("Tenders open to you")`).Length() > 0; tenders != (role == "bidder") {
			t.Errorf("%s: tenders section shown=%v", role, tenders)
		}
	}
	// The overview's team link says what the viewer may do there.
	for role, want := range map[string]string{"owner": "Manage", "admin": "Manage", "inhouse": "View"} {
		got := f.clients[role].get(f.expand("/projects/{P}")).Doc(t).Find(`a[href="` + f.expand("/projects/{P}/team") + `"]`).Last().Text()
		if got == "" || !strings.Contains(got, want) {
			t.Errorf("%s: team link %q, want %q", role, got, want)
		}
	}
}
