package handlers

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
)

// The owner invites a new person; without SMTP the mail is held, and the administrator's
// Mailbox shows it as it would arrive; its link registers the person and lands them on
// the project.
func TestBrowserMailboxInvitation(t *testing.T) {
	exe := findBrowser(t)
	a := newTestApp(t)
	a.st.SetMail(store.MailHooks{BaseURL: a.srv.URL}) // links to this server; mails held
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	admin := a.user(authz.RoleAdmin, "ada@14build.test")
	p := a.project(o, "HVM-01")
	b := startBrowser(t, exe, a.srv.URL)

	signIn := func(email, next, wait string) {
		b.do("sign in as "+email,
			chromedp.Navigate(b.base+"/login?next="+next),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(wait)))
	}
	signOut := func() {
		b.do("sign out",
			chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/logout"]').requestSubmit()`),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)))
	}

	signIn(o.Email, "/projects/"+p.ID+"/team", "#invite-email")
	b.do("invite a new person",
		chromedp.SendKeys(chromedp.CSS("#invite-email"), "nora@newco.test"),
		chromedp.Click(chromedp.CSS(`#team-region form button[type="submit"]`)))
	b.waitJS("the invitation appears", `!!document.querySelector('#pending-invitations [data-invitation="nora@newco.test"]')`)
	signOut()

	signIn(admin.Email, "/admin/mailbox", "#main table")
	b.wantText("#main table", "nora@newco.test", p.Name, "held")
	b.do("open the mail",
		chromedp.Click(chromedp.CSS(`#main table a[href^="/admin/mailbox/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#mail-text")))
	b.wantText("#mail-to", "nora@newco.test")
	b.wantJS("the HTML part is in a sandboxed iframe", `(() => { const f = document.querySelector('iframe[sandbox]'); return !!f && f.getAttribute('sandbox') === '' && f.srcdoc.includes('/invitations/') })()`)
	text := run(b, "read the text part", chromedp.Text(chromedp.CSS("#mail-text")))
	i := strings.Index(text, a.srv.URL+"/invitations/")
	if i < 0 {
		t.Fatalf("no invitation link in the mail: %q", text)
	}
	link := strings.Fields(text[i:])[0]
	signOut()

	b.do("follow the mail's link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#name")))
	b.do("register",
		chromedp.SendKeys(chromedp.CSS("#name"), "Nora New"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.SendKeys(chromedp.CSS("#entity"), "Harbour Homes"),
		chromedp.Click(chromedp.CSS(`#main form button[type="submit"]`)),
		// The invitation page's heading names the project too ("Join …"): wait for what
		// only the project's overview has.
		chromedp.WaitReady(chromedp.CSS("#project-live")))
	if loc := b.location(); !strings.HasPrefix(loc, b.base+"/projects/"+p.ID) {
		t.Fatalf("after registering, the browser is at %s, want the project", loc)
	}
	if n := a.count(`SELECT count(*) FROM team_members tm JOIN users u ON u.id = tm.user_id WHERE tm.project_id = $1 AND u.email = 'nora@newco.test'`, p.ID); n != 1 {
		t.Errorf("nora is not on the team (%d)", n)
	}
	b.wantNoJSErrors()
}
