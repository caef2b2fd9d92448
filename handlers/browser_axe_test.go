package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
)

// TestBrowserAccessibility runs axe-core, the engine behind the browsers' accessibility
// audits, on every main page in headless Chromium: signed in as each role that sees it, at
// a desktop and a phone width, with some forms in their error state. Any violation of WCAG
// 2.1 A/AA or of axe's best practices fails the test, so that a page added later is held
// to the same bar as soon as it is listed here.
func TestBrowserAccessibility(t *testing.T) {
	exe := findBrowser(t)
	axeJS := axeSource(t)
	a := newTestApp(t)
	admin := a.user(authz.RoleAdmin, "ada@14build.test")
	ivy := a.user(authz.RoleInHouse, "ivy@harbourhomes.test")
	bea := a.user(authz.RoleBidder, "bea@bidders.test")
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	p := a.project(o, "AXE-1", ivy)
	other := a.project(o, "AXE-2")
	oc := a.login(o.Email)

	// Data on every page: units, a sheet with sections and items, a pending invitation on
	// the team page and on the in-house user's dashboard, an import waiting for its mapping
	// and one finished with a refused row.
	units := []any{}
	for i := 1; i <= 3; i++ {
		units = append(units, unitJSON(fmt.Sprintf("A-%02d", i), 120.5, 60.25, 60.25))
	}
	if res := oc.do("POST", paths.NameAPIUnits.Path(p.ID), map[string]any{"units": units}); res.Code != http.StatusCreated {
		t.Fatalf("units: %d %s", res.Code, res.Body)
	}
	var invitation string // the page a new user opens from the invitation email
	for _, email := range []string{"nora@newco.test", ivy.Email} {
		pid := p.ID
		if email == ivy.Email {
			pid = other.ID
		}
		res := oc.do("POST", paths.NameAPITeam.Path(pid), map[string]any{"email": email})
		if res.Code >= 300 {
			t.Fatalf("invite %s: %d %s", email, res.Code, res.Body)
		}
		if invitation == "" {
			u, err := url.Parse(res.JSON(t)["invitation"].(map[string]any)["url"].(string))
			if err != nil {
				t.Fatal(err)
			}
			invitation = u.Path
		}
	}
	// Issue 16: the invitations' mails are held in the outbox (the Mailbox shows them).
	mailID := a.count(`SELECT COALESCE(max(id), 0) FROM outbox`)
	if err := a.st.RequestPasswordReset(context.Background(), o.Email, "axe-reset-token"); err != nil {
		t.Fatal(err)
	}
	soqID := bigSOQ(t, a.st, p.ID, o.ID, 2, 4)
	emptySOQ, err := a.st.CreateSOQ(context.Background(), p.ID, o.ID, store.NewSOQ{Title: "Services", Currency: "usd"})
	if err != nil {
		t.Fatal(err)
	}
	csv := csvBytes([][]string{{"Work group", "Ref", "Description", "Unit", "Qty", "Rate"},
		{"E Services", "E1", "Cable run, 2.5mm", "m", "12.5", "3.20"}, {"E Services", "E2", "Switchboard", "No", "twelve", "900"}})
	upload := func() string {
		res := oc.upload(paths.ImportUpload(p.ID, emptySOQ), "services.csv", csv)
		m := importIDRe.FindStringSubmatch(res.Header.Get("Location"))
		if res.Code != http.StatusSeeOther || m == nil {
			t.Fatalf("upload: %d %s", res.Code, res.Header.Get("Location"))
		}
		return m[1]
	}
	preview, done := upload(), upload()
	start := url.Values{"mode": {"valid_rows"}, "sheet": {""}, "col-0": {"section"}, "col-1": {"reference"},
		"col-2": {"description"}, "col-3": {"unit"}, "col-4": {"quantity"}, "col-5": {"rate"}}
	if res := oc.form(paths.ImportStart(p.ID, emptySOQ, done), start); res.Code != http.StatusSeeOther {
		t.Fatalf("start the import: %d %s", res.Code, res.Body)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		imp, err := a.st.Import(context.Background(), emptySOQ, done)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Finished() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("import still %s", imp.Status)
		}
	}

	// Tenders: an open one (the bidder's draft bid on it) and a closed one with two bids.
	openTender, closedTender, awardBid := axeTenders(t, a, oc, o.ID, p.ID, bea)
	// Issue 14: a contract awarded to bea, one milestone funded (simulated), one planned.
	contractID, plannedMS, fundedMS := axeContract(t, a, oc, o.ID, p.ID, bea)
	contractPages := []page{
		{path: paths.Contract(contractID)},
		{path: paths.ContractLedger(contractID)},
		{path: paths.Contracts()},
	}
	tenderPages := []page{
		{path: paths.Tenders(p.ID)},
		{path: paths.Tender(openTender)},
		{path: paths.Tender(closedTender)},
		{path: paths.TenderLeveling(closedTender)},
		{path: paths.TenderLeveling(openTender)}, // not yet: the notice, without amounts
		{path: paths.TenderPrint(openTender)},    // the standalone print view
		{path: paths.TenderAward(closedTender) + "?bid=" + awardBid},
		{path: paths.Activity(p.ID)},
	}

	sheet := paths.SOQ(p.ID, soqID)
	// The pages without JavaScript's in-place editing: a cell's editor, the delete
	// confirmations.
	var itemID, sectionID, unitID string
	db := a.st.DB()
	if err := db.Get(&itemID, `SELECT i.id FROM soq_items i JOIN soq_sections s ON s.id = i.section_id WHERE s.soq_id = $1 LIMIT 1`, soqID); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&sectionID, `SELECT id FROM soq_sections WHERE soq_id = $1 LIMIT 1`, soqID); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&unitID, `SELECT id FROM units WHERE project_id = $1 LIMIT 1`, p.ID); err != nil {
		t.Fatal(err)
	}
	// submit sends a form as it is (empty): the page comes back with its errors.
	submit := func(form string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.Evaluate[chromedp.Void](`document.querySelector(` + strconv.Quote(form) + `).requestSubmit()`),
			chromedp.WaitVisible(chromedp.CSS("[data-field-error], [role=alert]")),
		}
	}
	inProject := func(more ...page) []page {
		return append([]page{
			{path: paths.Dashboard()},
			{path: paths.Projects()},
			{path: paths.Project(p.ID)},
			{path: paths.Team(p.ID)},
			{path: paths.Units(p.ID)},
			{path: paths.SOQs(p.ID)},
			{path: sheet},
			{path: sheet + "?type=measured"},
			{path: paths.Jobs(p.ID)},
			{path: paths.Account()},
		}, more...)
	}
	roles := []struct {
		role  string
		email string
		pages []page
	}{
		{"signed out", "", []page{
			{path: paths.Login()},
			{path: paths.Login(), state: "with errors", steps: submit(`form[action="/login"]`)},
			{path: paths.Register()},
			{path: paths.Register(), state: "with errors", steps: submit(`form[action="/register"]`)},
			{path: invitation},
			{path: invitation, state: "with errors", steps: submit(`#main form[method="post"]`)},
			{path: paths.PasswordForgot()},
			{path: paths.PasswordForgot(), state: "with errors", steps: submit(`#main form[method="post"]`)},
			{path: paths.PasswordReset("expired-or-unknown")},
			{path: paths.PasswordReset("axe-reset-token")},
			{path: paths.PasswordReset("axe-reset-token"), state: "with errors", steps: submit(`#main form[method="post"]`)},
		}},
		{"owner", o.Email, append(inProject(
			page{path: paths.ProjectNew()},
			page{path: paths.ProjectNew(), state: "with errors", steps: submit(`form[action="/projects"]`)},
			page{path: paths.ProjectEdit(p.ID)},
			page{path: paths.TeamRemove(p.ID, ivy.ID)},
			page{path: paths.UnitDelete(p.ID, unitID)},
			page{path: paths.SOQItemCell(p.ID, soqID, itemID, "quantity")},
			page{path: paths.SOQItemDelete(p.ID, soqID, itemID)},
			page{path: paths.SOQSectionDelete(p.ID, soqID, sectionID)},
			page{path: paths.Units(p.ID), state: "the last unit's Duplicate pop-over open", steps: []chromedp.Action[chromedp.Void]{
				chromedp.Click(chromedp.CSS(`[data-unit="A-03"] details summary`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-unit="A-03"] details form`)),
			}},
			page{path: paths.Units(p.ID), state: "a unit's edit form", steps: []chromedp.Action[chromedp.Void]{
				chromedp.Click(chromedp.CSS(`#main a[href$="/edit"][href*="/units/"]`)),
				chromedp.WaitVisible(chromedp.CSS("#unit-form")),
			}},
			page{path: paths.Account(), state: "a new API token shown", steps: []chromedp.Action[chromedp.Void]{
				chromedp.SendKeys(chromedp.CSS("#token-name"), "Cost report script"),
				chromedp.Evaluate[chromedp.Void](`document.querySelector('#token-name').form.requestSubmit()`),
				chromedp.WaitVisible(chromedp.CSS("#new-token")),
			}},
			page{path: paths.Team(p.ID), state: "an invitation refused", steps: []chromedp.Action[chromedp.Void]{
				chromedp.SendKeys(chromedp.CSS("#invite-email"), "not-an-email"),
				chromedp.Click(chromedp.CSS(`#team-region form button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS("#err-email")),
			}},
			// The grid with a refused cell marked and an add-item form open.
			page{path: sheet, state: "a refused cell, the add form open", steps: []chromedp.Action[chromedp.Void]{
				chromedp.Click(chromedp.CSS(`#soq-sheet td[data-cell="rate"]`)),
				chromedp.KeyEvent("5.555"), chromedp.KeyEvent(kb.Enter),
				chromedp.WaitVisible(chromedp.CSS(`#soq-sheet td[aria-invalid="true"]`)),
				chromedp.Click(chromedp.CSS(`[data-add-item]`)),
			}},
			page{path: paths.UnitNew(p.ID)},
			page{path: paths.UnitNew(p.ID), state: "with errors", steps: submit(`#unit-form`)},
			page{path: paths.UnitsDraft(p.ID)}, // issue 15: the brief (its review: browser_drafting_test.go)
			page{path: paths.UnitsDraft(p.ID), state: "with errors", steps: []chromedp.Action[chromedp.Void]{
				clearField(chromedp.CSS("#brief-count")),
				chromedp.Click(chromedp.CSS("#propose-units")),
				chromedp.WaitVisible(chromedp.CSS("[data-field-error]")),
			}},
			page{path: paths.WorkPackages(p.ID)},
			page{path: paths.SOQ(p.ID, emptySOQ)},
			page{path: paths.Imports(p.ID, soqID)},
			// The mapping, and every row checked (loaded by HTMX): a refused row listed.
			page{path: paths.Import(p.ID, emptySOQ, preview), steps: []chromedp.Action[chromedp.Void]{
				chromedp.WaitVisible(chromedp.CSS("#check-result, #check-error")),
			}},
			page{path: paths.Import(p.ID, emptySOQ, done)},
		), append(tenderPages,
			page{path: paths.TenderNew(p.ID)},
			page{path: paths.TenderNew(p.ID), state: "with errors", steps: submit(`#tender-form`)},
			page{path: paths.Contract(contractID)},
			page{path: paths.ContractLedger(contractID)},
			page{path: paths.Contracts()},
			page{path: paths.MilestoneEdit(plannedMS), state: "a refused amount", steps: []chromedp.Action[chromedp.Void]{
				chromedp.SetValue(chromedp.CSS("#amount"), "not money"),
				chromedp.Evaluate[chromedp.Void](`document.querySelector('#milestone-form').requestSubmit()`),
				chromedp.WaitVisible(chromedp.CSS("#err-amount")),
			}},
			page{path: paths.MilestoneEdit(plannedMS)},
			page{path: paths.MilestoneDelete(plannedMS)},
			page{path: paths.MilestoneFund(plannedMS)},
			page{path: paths.MilestoneRefund(fundedMS)},
			page{path: paths.MilestoneDispute(fundedMS)},
		)...)},
		{"in-house", ivy.Email, append(append(inProject(
			page{path: paths.Imports(p.ID, soqID)},
		), tenderPages...), contractPages...)},
		{"bidder", bea.Email, []page{
			{path: paths.Dashboard()},
			{path: paths.Projects()},
			{path: paths.Account()},
			{path: paths.TenderBoard()},
			{path: paths.Tender(openTender)}, // the bid page: the grid with the draft's rates
			{path: paths.Tender(closedTender)},
			{path: paths.Contracts()}, // the contractor's contracts and payouts
			{path: paths.Contract(contractID)},
			{path: paths.Contract(contractID), state: "the completion note open", steps: []chromedp.Action[chromedp.Void]{
				chromedp.Click(chromedp.CSS(`[data-action="complete"]`)),
				chromedp.WaitVisible(chromedp.CSS(`textarea[name="note"]`)),
			}},
			{path: paths.ContractLedger(contractID)},
			{path: paths.MilestoneDispute(fundedMS)},
		}},
		{"admin", admin.Email, []page{
			{path: paths.Dashboard()},
			{path: paths.Projects()},
			{path: paths.Project(p.ID)},
			{path: paths.AdminUsers()},
			{path: paths.AdminUserNew()},
			{path: paths.AdminUserNew(), state: "with errors", steps: submit(`form[action="/admin/users"]`)},
			{path: paths.AdminUserEdit(o.ID)},
			{path: paths.AdminUserDeactivate(ivy.ID)},
			{path: paths.ProjectDelete(p.ID)}, // removing a project is the administrators' (authz)
			{path: paths.Mailbox()},
			{path: paths.MailboxMail(int64(mailID))},
		}},
	}

	// Failures name pages by their route, not by the ids of this run.
	names := strings.NewReplacer(path.Base(invitation), "{token}", p.ID, "{project}", soqID, "{soq}", emptySOQ, "{soq}", preview, "{import}",
		done, "{import}", o.ID, "{user}", ivy.ID, "{user}",
		itemID, "{item}", sectionID, "{section}", unitID, "{unit}",
		openTender, "{tender}", closedTender, "{tender}", awardBid, "{bid}",
		contractID, "{contract}", plannedMS, "{milestone}", fundedMS, "{milestone}")
	for _, r := range roles {
		// A tab per role: its own cookies, and its own time budget.
		t.Run(r.role, func(t *testing.T) {
			b := startBrowser(t, exe, a.srv.URL)
			var found []axeFinding
			if r.email != "" {
				b.do("sign in as "+r.role,
					chromedp.EmulateViewport(1440, 900),
					chromedp.Navigate(b.base+paths.Login()),
					chromedp.SendKeys(chromedp.CSS("#email"), r.email),
					chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
					chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
					chromedp.WaitReady(chromedp.CSS(`form[action="/logout"]`)))
			}
			for _, pg := range r.pages {
				name := names.Replace(pg.path)
				if pg.state != "" {
					name += " (" + pg.state + ")"
				}
				found = append(found, b.audit(axeJS, r.role, name, pg)...)
			}
			if len(found) > 0 {
				t.Errorf("axe-core found %d accessibility violations:\n%s", len(found), formatFindings(found))
			}
			b.wantNoJSErrors()
		})
	}
}

// page is one page to audit: its path, and steps that bring it into a state (a form
// submitted empty shows its errors).
type page struct {
	path  string
	state string
	steps []chromedp.Action[chromedp.Void]
}

// axeWidths are the widths every page is audited at: a desktop and a phone.
var axeWidths = []struct {
	width, height int64
	mobile        bool
}{{1440, 900, false}, {390, 844, true}}

// axeRun runs the audit on the document. Every WCAG 2.0 and 2.1 A and AA rule, and axe's
// best practices (landmarks, heading order, unique labels…), which catch what a
// screen-reader user trips on though WCAG does not name it. Only violations are reported:
// collecting the passes costs most of axe's time.
const axeRun = `axe.run(document, {
  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
  resultTypes: ['violations'],
}).then(r => JSON.stringify(r.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
}))))`

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  string `json:"target"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// axeFinding is one element failing one rule on one page, at the widths listed.
type axeFinding struct {
	rule, impact, help, target, summary string
	page, role                          string
	widths                              []int64
}

// audit opens the page, brings it into its state, injects axe once and runs it at each
// width.
func (b *browser) audit(axeJS, role, name string, pg page) []axeFinding {
	b.t.Helper()
	w := axeWidths[0]
	b.do("open "+name+" as "+role,
		chromedp.EmulateViewport(w.width, w.height),
		chromedp.Navigate(b.base+pg.path),
		chromedp.WaitReady(chromedp.CSS("#main")))
	if len(pg.steps) > 0 {
		b.do("bring "+name+" into its state", pg.steps...)
	}
	b.do("inject axe-core into "+name, chromedp.Evaluate[chromedp.Void](axeJS))
	byKey := map[string]*axeFinding{}
	var out []axeFinding
	var order []string
	for i, w := range axeWidths {
		if i > 0 {
			opts := []chromedp.EmulateViewportOption{}
			if w.mobile {
				opts = append(opts, chromedp.EmulateMobile)
			}
			b.do(fmt.Sprintf("resize to %d px", w.width), chromedp.EmulateViewport(w.width, w.height, opts...))
		}
		raw := run(b, fmt.Sprintf("run axe-core on %s at %d px", name, w.width),
			chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
		var vs []axeViolation
		if err := json.Unmarshal([]byte(raw), &vs); err != nil {
			b.t.Fatalf("axe-core's result on %s: %v", name, err)
		}
		for _, v := range vs {
			for _, n := range v.Nodes {
				key := v.ID + "\x00" + n.Target
				if f, ok := byKey[key]; ok {
					f.widths = append(f.widths, w.width)
					continue
				}
				byKey[key] = &axeFinding{rule: v.ID, impact: v.Impact, help: v.Help, target: n.Target,
					summary: n.Summary, page: name, role: role, widths: []int64{w.width}}
				order = append(order, key)
			}
		}
	}
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	return out
}

func formatFindings(fs []axeFinding) string {
	var s strings.Builder
	for _, f := range fs {
		ws := make([]string, len(f.widths))
		for i, w := range f.widths {
			ws[i] = fmt.Sprint(w)
		}
		// The summary's last line is the specific reason ("…contrast of 3.12 (foreground
		// color: #94a3b8 …)"); the lines above it are boilerplate.
		lines := strings.Split(strings.TrimSpace(f.summary), "\n")
		fmt.Fprintf(&s, "- %s [%s] %s as %s at %s px: %s\n    %s: %s\n", f.rule, f.impact, f.page, f.role,
			strings.Join(ws, ", "), f.target, f.help, strings.TrimSpace(lines[len(lines)-1]))
	}
	return s.String()
}

// axeSource reads axe-core from node_modules, where `make test` installs it with the
// other front-end tools (npm ci). Its absence fails the test, never skips it: an audit that
// silently did not run would pass every page.
func axeSource(t *testing.T) string {
	t.Helper()
	// go test runs a package's tests in its directory.
	path := filepath.Join("..", "node_modules", "axe-core", "axe.min.js")
	js, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the accessibility test needs axe-core (%v): run `npm ci` in the repository root, "+
			"or `make test`, which installs it with the other front-end tools", err)
	}
	return string(js)
}
