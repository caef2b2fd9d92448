package handlers

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
)

// countPolls counts, in every page the tab opens, the requests of #import-status that no
// event triggered: its polls (a refresh on the stream's (re)open has an event).
const countPolls = `window.__polls = 0;
document.addEventListener('htmx:beforeRequest', function (e) {
  var d = e.detail;
  if (d && d.elt && d.elt.id === 'import-status' && !(d.requestConfig && d.requestConfig.triggeringEvent)) window.__polls++;
});`

// The import page's progress bar follows the import over SSE without polling (the
// person's own stream; a teammate's, the project's); where EventSource is missing it polls
// instead. The import is driven by the test (its progress
// and its failure), so that every step happens while the page is open.
func TestBrowserImportLive(t *testing.T) {
	exe := findBrowser(t)
	for _, tc := range []struct {
		name string
		sse  bool
		mate bool // a teammate watches the owner's import
	}{{"sse", true, false}, {"teammate over the project's stream", true, true}, {"polling fallback", false, false}} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestApp(t)
			a.listen(t)
			o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
			m := a.user(authz.RoleInHouse, "ivan@harbourhomes.test")
			p := a.project(o, "LIVE-IMP", m)
			viewer, stream := o, "me"
			if tc.mate {
				viewer, stream = m, "project-"+p.ID
			}
			ctx := context.Background()
			soqID, err := a.st.CreateSOQ(ctx, p.ID, o.ID, store.NewSOQ{Title: "Main works", Currency: "usd"})
			if err != nil {
				t.Fatal(err)
			}
			imp, err := a.st.CreateImport(ctx, store.NewImport{SOQID: soqID, ProjectID: p.ID, Filename: "services.csv", Format: "csv",
				Content: []byte("Ref,Description\n"), CreatedBy: o.ID})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.st.StartImportRun(ctx, imp); err != nil {
				t.Fatal(err)
			}

			b := startBrowser(t, exe, a.srv.URL)
			script := countPolls
			if !tc.sse {
				script = "delete window.EventSource;\n" + script
			}
			if _, err := chromedp.Call(b.ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
				t.Fatal(err)
			}
			b.do("sign in and open the import",
				chromedp.Navigate(b.base+"/login?next="+paths.Import(p.ID, soqID, imp)),
				chromedp.SendKeys(chromedp.CSS("#email"), viewer.Email),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
				chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS("#import-status")))
			b.markPage("status")
			if tc.sse {
				b.waitJS("the page follows the stream", `!!document.querySelector('#import-live[data-live="open"]')`)
				b.wantJS("the right stream", `document.querySelector('#import-live').getAttribute('sse-connect') === '`+paths.Events(stream)+`'`)
				waitSubs(t, a, 1)
			} else {
				b.wantJS("no stream without EventSource", `!document.querySelector('[sse-connect]')`)
			}

			if err := a.st.ImportProgress(ctx, imp, 1000, 500); err != nil {
				t.Fatal(err)
			}
			b.waitJS("the bar moves to 50%", `document.querySelector('#import-percent').innerText.trim() === '50%' && document.querySelector('#import-bar').style.width === '50%'`)
			b.wantText("#import-processed", "500")
			if err := a.st.ImportProgress(ctx, imp, 1000, 900); err != nil {
				t.Fatal(err)
			}
			b.waitJS("the bar moves to 90%", `document.querySelector('#import-percent').innerText.trim() === '90%'`)
			if err := a.st.FailImport(ctx, imp, "The file could not be read."); err != nil {
				t.Fatal(err)
			}
			b.waitJS("the failure is reported", `!!document.querySelector('#import-error')`)
			b.wantText("#import-error", "The file could not be read.")
			b.wantJS("polling stopped", `!document.querySelector('#import-status').hasAttribute('hx-trigger')`)
			b.wantSamePage("status")
			if tc.sse {
				b.wantJS("no poll while the stream was open", `window.__polls === 0`)
			} else {
				b.wantJS("it polled", `window.__polls > 0`)
			}
			b.wantNoJSErrors()
		})
	}
}

// The project's overview page shows a notice when the project's details change, without
// a reload.
func TestBrowserProjectUpdatedLive(t *testing.T) {
	exe := findBrowser(t)
	a := newTestApp(t)
	a.listen(t)
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	p := a.project(o, "LIVE-PRJ")
	b := startBrowser(t, exe, a.srv.URL)
	b.do("sign in and open the project",
		chromedp.Navigate(b.base+"/login?next="+paths.Project(p.ID)),
		chromedp.SendKeys(chromedp.CSS("#email"), o.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitReady(chromedp.CSS("#project-live")))
	b.markPage("overview")
	b.waitJS("the page follows the project's stream", `!!document.querySelector('#project-live[data-live="open"]')`)
	waitSubs(t, a, 1)
	in := store.ProjectInput{Name: "Renamed while open", Code: p.Code, Status: p.Status, Currency: p.Currency, TimeZone: p.TimeZone, BudgetAmount: p.BudgetAmount}
	if err := a.st.UpdateProject(context.Background(), p.ID, in); err != nil {
		t.Fatal(err)
	}
	b.waitJS("the notice appears", `document.querySelector('#project-live').innerText.includes('Project updated.')`)
	b.wantText("#project-live", "Renamed while open", "Reload the page")
	b.wantSamePage("overview")
	b.wantNoJSErrors()
}

// The jobs page refreshes its list on the person's import-progress events, without
// polling; where EventSource is missing it polls while a job is unfinished. The job is
// queued with no worker running, and the test drives the import.
func TestBrowserJobsLive(t *testing.T) {
	exe := findBrowser(t)
	for _, tc := range []struct {
		name string
		sse  bool
	}{{"sse", true}, {"polling fallback", false}} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestApp(t)
			a.listen(t)
			o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
			p := a.project(o, "LIVE-JOBS")
			ctx := context.Background()
			soqID, err := a.st.CreateSOQ(ctx, p.ID, o.ID, store.NewSOQ{Title: "Main works", Currency: "usd"})
			if err != nil {
				t.Fatal(err)
			}
			imp, err := a.st.CreateImport(ctx, store.NewImport{SOQID: soqID, ProjectID: p.ID, Filename: "services.csv", Format: "csv",
				Content: []byte("Ref,Description\n"), CreatedBy: o.ID})
			if err != nil {
				t.Fatal(err)
			}
			// Enqueued on the unstarted client: the job waits, nothing runs it.
			if _, err := a.st.QueueImport(ctx, imp, o.ID, 5, "Sheet1", []string{"reference", "description"}, store.ModeAllOrNothing,
				func(tx *sql.Tx) (int64, error) { return a.jobs.Client.EnqueueImportTx(ctx, tx, p.ID, soqID, imp) }); err != nil {
				t.Fatal(err)
			}
			if err := a.st.StartImportRun(ctx, imp); err != nil {
				t.Fatal(err)
			}

			b := startBrowser(t, exe, a.srv.URL)
			script := strings.ReplaceAll(countPolls, "'import-status'", "'jobs-live'") // the list's own requests are its polls
			if !tc.sse {
				script = "delete window.EventSource;\n" + script
			}
			if _, err := chromedp.Call(b.ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
				t.Fatal(err)
			}
			b.do("sign in and open the jobs",
				chromedp.Navigate(b.base+"/login?next="+paths.Jobs(p.ID)),
				chromedp.SendKeys(chromedp.CSS("#email"), o.Email),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
				chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS("#jobs-table")))
			b.markPage("jobs")
			// waitJS, not wantText: the list may be swapped (its refresh on the stream's open)
			// while it is read.
			b.waitJS("the job is listed at 0%", `(t => t.includes('services.csv') && t.includes('0%'))(document.querySelector('#jobs-table').innerText)`)
			if tc.sse {
				b.waitJS("the page follows the person's stream", `!!document.querySelector('[sse-connect][data-live="open"]')`)
				waitSubs(t, a, 1)
			}
			if err := a.st.ImportProgress(ctx, imp, 1000, 400); err != nil {
				t.Fatal(err)
			}
			b.waitJS("the job's bar moves to 40%", `document.querySelector('#jobs-table').innerText.includes('40%')`)
			if err := a.st.FailImport(ctx, imp, "The file could not be read."); err != nil {
				t.Fatal(err)
			}
			b.waitJS("the failure shows", `document.querySelector('#jobs-table').innerText.includes('The file could not be read.')`)
			b.wantSamePage("jobs")
			if tc.sse {
				b.wantJS("no poll while the stream was open", `window.__polls === 0`)
			} else {
				b.wantJS("it polled", `window.__polls > 0`)
			}
			b.wantNoJSErrors()
		})
	}
}
