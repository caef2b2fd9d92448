package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/14build/14build/authz"
)

// The browser test drives the real server through headless Chromium: every form is filled
// by typing and sent by clicking, so the HTML, the HTMX attributes and the handlers are
// tested together the way a person uses them.

const (
	// browserTestTimeout bounds all the browser work of one test, so a hang fails it.
	browserTestTimeout = 90 * time.Second
	// stepTimeout bounds each single step (a click, a wait, a read).
	stepTimeout = 20 * time.Second
)

func TestBrowserOwnerJourney(t *testing.T) {
	exe := findBrowser(t)
	a := newTestApp(t)
	// An in-house account that exists before the owner invites it.
	ivy := a.user(authz.RoleInHouse, "ivy@harbourhomes.test")
	b := startBrowser(t, exe, a.srv.URL)

	// 1. Register as a project owner and land on the dashboard.
	b.do("open the registration page",
		chromedp.Navigate(b.base+"/register"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/register"]`)))
	// The role cards are labels around visually hidden radios: clicking a card picks it.
	b.do("choose the Bidder card", chromedp.Click(chromedp.CSS(`label:has(input[name="role"][value="bidder"])`)))
	b.wantJS("the Bidder card is chosen", `document.querySelector('input[name="role"][value="bidder"]').checked`)
	b.do("choose the Project owner card", chromedp.Click(chromedp.CSS(`label:has(input[name="role"][value="owner"])`)))
	b.wantJS("the Project owner card is chosen", `document.querySelector('input[name="role"][value="owner"]').checked`)
	b.do("fill in the registration form",
		chromedp.SendKeys(chromedp.CSS("#name"), "Olivia Owner"),
		chromedp.SendKeys(chromedp.CSS("#email"), "olivia@harbourhomes.test"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.SendKeys(chromedp.CSS("#entity"), "Harbour Homes"),
	)
	b.do("create the account",
		chromedp.Click(chromedp.CSS(`form[action="/register"] button[type="submit"]`)),
		chromedp.WaitVisible(`//h1[contains(., "Good to see you, Olivia")]`))
	b.wantText("#main", "Welcome to 14Build. Your account is ready.", "Harbour Homes")
	b.wantText(`nav[aria-label="Main"]`, "Olivia Owner", "Project Owner")

	// 2. Create a project through the form and land on its page.
	b.do("open the new project form",
		chromedp.Click(chromedp.CSS(`#main a[href="/projects/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[method="post"][action="/projects"]`)))
	b.do("fill in the project form",
		chromedp.SendKeys(chromedp.CSS("#name"), "Harbour View Apartments"),
		chromedp.SendKeys(chromedp.CSS("#code"), "HVA-01"),
		chromedp.SendKeys(chromedp.CSS("#address"), "12 Quay Street, Auckland"),
		chromedp.SendKeys(chromedp.CSS("#budget"), "1250000.50"),
		// Typing on a focused select picks the option that starts with the letters.
		chromedp.SendKeys(chromedp.CSS("#currency"), "eur"),
	)
	b.wantValue("#currency", "eur")
	b.wantValue("#status", "planning")
	b.do("save the project",
		chromedp.Click(chromedp.CSS(`form[action="/projects"] button[type="submit"]`)),
		chromedp.WaitVisible(`//h1[contains(., "Harbour View Apartments")]`))
	if loc := b.location(); !strings.HasPrefix(loc, b.base+"/projects/") {
		t.Fatalf("after saving, the browser is at %s, want the project's page", loc)
	}
	b.wantText("h1", "Harbour View Apartments", "Planning")
	b.wantText("#main", "Project created.", "€1,250,000.50", "HVA-01", "12 Quay Street, Auckland")

	// 3. The team tab: invitations swap #team-region in place.
	b.do("open the Team tab",
		chromedp.Click(chromedp.CSS(`nav[aria-label="Project"] a[href$="/team"]`)),
		chromedp.WaitVisible(chromedp.CSS("#invite-email")))
	b.wantJS("the owner is listed", `!!document.querySelector('#team-members [data-member="olivia@harbourhomes.test"]')`)
	b.markPage("team")

	// (a) An existing in-house user is invited, not added: they accept on their dashboard.
	// The owner learns nothing about the account.
	b.do("invite the existing in-house user",
		chromedp.SendKeys(chromedp.CSS("#invite-email"), ivy.Email),
		chromedp.Click(chromedp.CSS(`#team-region form button[type="submit"]`)))
	b.waitJS("the invitation appears", `!!document.querySelector('#pending-invitations [data-invitation="ivy@harbourhomes.test"]')`)
	b.wantSamePage("team")
	b.wantText("#invite-notice", "Invitation sent to ivy@harbourhomes.test.")
	b.wantJS("the invitee is not a member yet", `!document.querySelector('#team-members [data-member="ivy@harbourhomes.test"]')`)
	b.wantValue("#invite-email", "")

	// (b) An unknown email gets a pending invitation with its link.
	b.do("invite an unknown email",
		chromedp.SendKeys(chromedp.CSS("#invite-email"), "nora@newco.test"),
		chromedp.Click(chromedp.CSS(`#team-region form button[type="submit"]`)))
	b.waitJS("the invitation appears", `!!document.querySelector('#pending-invitations [data-invitation="nora@newco.test"]')`)
	b.wantSamePage("team")
	b.wantText("#invite-notice", "Invitation sent to nora@newco.test.")
	link := b.value(`[data-invitation="nora@newco.test"] input[readonly]`)
	if !strings.HasPrefix(link, "http://14build.test/invitations/") || len(link) <= len("http://14build.test/invitations/") {
		t.Fatalf("invitation link = %q, want http://14build.test/invitations/<token>", link)
	}
	if n := a.count(`SELECT count(*) FROM invitations WHERE email = 'nora@newco.test'`); n != 1 {
		t.Fatalf("%d invitations stored for nora@newco.test, want 1", n)
	}

	// An invalid email shows its error beside the field, and keeps what was typed.
	b.do("invite an invalid email",
		chromedp.SendKeys(chromedp.CSS("#invite-email"), "not-an-email"),
		chromedp.Click(chromedp.CSS(`#team-region form button[type="submit"]`)))
	b.waitJS("the field error appears", `!!document.querySelector('#team-region #err-email')`)
	b.wantSamePage("team")
	b.wantText("#err-email", "Enter an email address such as name@example.com.")
	b.wantValue("#invite-email", "not-an-email")
	// HTMX gives a kept element (same id) its new classes when the swap settles (20 ms after
	// it), so the mark is waited for, not asserted the moment the message appears.
	b.waitJS("the field is marked invalid", `document.querySelector('#invite-email').classList.contains('input-error')`)
	b.waitJS("focus moved to the field in error", `document.activeElement && document.activeElement.id === 'invite-email'`)
	b.wantJS("the members and invitations are still shown",
		`document.querySelectorAll('#team-members [data-member]').length === 1 && !!document.querySelector('[data-invitation="nora@newco.test"]')`)

	// 4. A second project in another status, then the status tabs of the list.
	b.do("open the projects list",
		chromedp.Click(chromedp.CSS(`nav[aria-label="Main"] a[href="/projects"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#projects-region a[data-status="tendering"]`)))
	b.do("open the new project form",
		chromedp.Click(chromedp.CSS(`#main a[href="/projects/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[method="post"][action="/projects"]`)))
	b.do("fill in the second project",
		chromedp.SendKeys(chromedp.CSS("#name"), "Quay Street Offices"),
		chromedp.SendKeys(chromedp.CSS("#code"), "QSO-02"),
		chromedp.SendKeys(chromedp.CSS("#status"), "tendering"),
		chromedp.SendKeys(chromedp.CSS("#budget"), "480000"),
	)
	b.wantValue("#status", "tendering")
	b.wantValue("#currency", "eur") // a new project starts in the currency of the owner's latest
	b.do("save the second project",
		chromedp.Click(chromedp.CSS(`form[action="/projects"] button[type="submit"]`)),
		chromedp.WaitVisible(`//h1[contains(., "Quay Street Offices")]`))
	b.wantText("h1", "Quay Street Offices", "Tendering")
	b.wantText("#main", "€480,000.00")

	b.do("go back to the projects list",
		chromedp.Click(chromedp.CSS(`nav[aria-label="Breadcrumb"] a[href="/projects"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#projects-region a[data-status="tendering"]`)))
	b.wantRows("Harbour View Apartments", "Quay Street Offices")
	b.wantText(`#projects-region a[data-status="tendering"]`, "1")
	b.markPage("projects")

	b.do("click the Tendering tab", chromedp.Click(chromedp.CSS(`#projects-region a[data-status="tendering"]`)))
	b.waitJS("the Tendering tab is current",
		`document.querySelector('#projects-region a[data-status="tendering"]').getAttribute('aria-current') === 'page'`)
	b.wantSamePage("projects")
	b.wantRows("Quay Street Offices")
	shared := b.location()
	if !strings.HasSuffix(shared, "/projects?status=tendering") {
		t.Fatalf("after the Tendering tab the URL is %s, want it to end in /projects?status=tendering", shared)
	}

	b.do("click the All tab", chromedp.Click(chromedp.CSS(`#projects-region a[data-status=""]`)))
	b.waitJS("the All tab is current",
		`document.querySelector('#projects-region a[data-status=""]').getAttribute('aria-current') === 'page'`)
	b.wantSamePage("projects")
	b.wantRows("Harbour View Apartments", "Quay Street Offices")
	if loc := b.location(); loc != b.base+"/projects" {
		t.Fatalf("after the All tab the URL is %s, want %s/projects", loc, b.base)
	}

	// The pushed URL is shareable: loading it shows the filtered list.
	b.do("load the shared Tendering URL",
		chromedp.Navigate(shared),
		chromedp.WaitVisible(chromedp.CSS(`#projects-region a[data-status="tendering"][aria-current="page"]`)))
	b.wantRows("Quay Street Offices")

	b.wantNoJSErrors()
}

// findBrowser returns the Chromium to drive: $CHROME_PATH, else the first of chromium,
// chromium-browser and google-chrome on the PATH. Without one the test fails;
// SKIP_BROWSER_TESTS=1 skips the browser tests whether or not there is one.
func findBrowser(t *testing.T) string {
	t.Helper()
	if os.Getenv("SKIP_BROWSER_TESTS") == "1" {
		t.Skip("SKIP_BROWSER_TESTS=1")
	}
	if p := os.Getenv("CHROME_PATH"); p != "" {
		exe, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("CHROME_PATH=%s: %v", p, err)
		}
		return exe
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if exe, err := exec.LookPath(name); err == nil {
			return exe
		}
	}
	t.Fatal("browser tests need Chromium: install it with `apt-get install -y chromium` " +
		"(or set CHROME_PATH to a Chrome binary); set SKIP_BROWSER_TESTS=1 to skip them")
	return ""
}

// browser is one headless Chromium tab on the test server.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab; it ends at the test's overall deadline
	base string

	mu       sync.Mutex
	jsErrors []string
}

// One Chromium serves every browser test of the run, each in its own tab and browser
// context (cookies and storage apart): starting a Chromium per test cost seconds of CPU
// each. One tab at a time (tabs), and the browser tests do not call t.Parallel: five tabs
// at once on two busy cores timed out, and beside the parallel tests an HTMX request was
// aborted. TestMain (app_test.go) ends it.
var chromium struct {
	once   sync.Once
	tabs   sync.Mutex
	ctx    context.Context // the browser; tabs are opened from it
	err    error
	output syncBuffer // Chromium's own stdout and stderr, shown when a test fails
	stop   func()
}

func sharedChromium(exe string) (context.Context, error) {
	chromium.once.Do(func() {
		dir, err := os.MkdirTemp("", "14build-chromium-")
		if err != nil {
			chromium.err = err
			return
		}
		// The profile and Chromium's own temporary files (its singleton socket) live under
		// dir, so the cleanup leaves nothing behind.
		profile, tmp := dir+"/profile", dir+"/tmp"
		for _, d := range []string{profile, tmp} {
			if err := os.Mkdir(d, 0o700); err != nil {
				chromium.err = err
				return
			}
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(exe),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			// Chromium was the largest CPU user of make test (43 s of 200); these took a
			// quarter off it and off the browser tests' time: composite in software without
			// a GPU process's round trips, keep the one test origin in one renderer, and
			// skip features a test never meets (translation, back-forward cache, paint
			// holding's delay before the first paint).
			chromedp.Flag("disable-gpu-compositing", true),
			chromedp.Flag("disable-features", "site-per-process,IsolateOrigins,Translate,OptimizationHints,MediaRouter,BackForwardCache,PaintHolding"),
			chromedp.Flag("renderer-process-limit", "1"),
			chromedp.UserDataDir(profile),
			chromedp.Env("TMPDIR="+tmp),
			chromedp.WindowSize(1280, 900),
			chromedp.CombinedOutput(&chromium.output),
		)
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, cancelBrowser := chromedp.NewContext(actx)
		chromium.stop = func() {
			cancelBrowser()
			cancelAlloc() // waits for Chromium to exit
			_ = os.RemoveAll(dir)
		}
		// The first action starts Chromium; it must run on the browser's own context,
		// which Chromium then lives as long as.
		if err := chromedp.Do(bctx); err != nil {
			chromium.stop()
			chromium.err = fmt.Errorf("start Chromium (%s): %w\n%s", exe, err, chromiumLog(chromium.output.String()))
			return
		}
		chromium.ctx = bctx
	})
	return chromium.ctx, chromium.err
}

// stopChromium ends the shared Chromium, if a test started it.
func stopChromium() {
	if chromium.stop != nil {
		chromium.stop()
	}
}

func startBrowser(t *testing.T, exe, base string) *browser {
	t.Helper()
	bctx, err := sharedChromium(exe)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, base: base}
	chromium.tabs.Lock()
	overall, cancelOverall := context.WithTimeout(bctx, browserTestTimeout)
	tab, cancelTab := chromedp.NewContext(overall, chromedp.WithNewBrowserContext(), chromedp.WithListener(b.listen))
	t.Cleanup(func() {
		cancelTab() // closes the tab and its browser context
		cancelOverall()
		chromium.tabs.Unlock()
		if t.Failed() {
			if out := chromiumLog(chromium.output.String()); out != "" {
				t.Logf("Chromium output:\n%s", tail(out, 4000))
			}
		}
	})
	// The first action opens the tab; it must run on the tab's own context (not a per-step
	// one), which the tab then lives as long as. A new window's size is Chromium's default,
	// not the flag's: set the desktop one.
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("open a tab: %v\n%s", err, chromiumLog(chromium.output.String()))
	}
	b.ctx = tab
	return b
}

// listen records uncaught exceptions and console errors. It runs in the tab's event loop,
// so it only appends.
func (b *browser) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		if d == nil {
			return
		}
		msg = "exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, string(a.Value))
			}
		}
		msg = "console.error: " + strings.Join(parts, " ")
	default:
		return
	}
	b.mu.Lock()
	b.jsErrors = append(b.jsErrors, msg)
	b.mu.Unlock()
}

func (b *browser) wantNoJSErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.jsErrors) > 0 {
		b.t.Fatalf("the pages logged JavaScript errors:\n%s", strings.Join(b.jsErrors, "\n"))
	}
}

// do runs steps within one step timeout and fails the test, with what the page shows, when
// one fails.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail(what, err)
	}
}

// run runs one action that returns a value, within one step timeout.
func run[T any](b *browser, what string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.fail(what, err)
	}
	return v
}

func (b *browser) fail(what string, err error) {
	b.t.Helper()
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, chromedp.ErrPollingTimeout):
		err = fmt.Errorf("timed out: %w", err)
	case strings.Contains(err.Error(), "navigated"):
		err = fmt.Errorf("the page was reloaded while waiting (a full page load where an HTMX swap was expected?): %w", err)
	}
	b.t.Fatalf("%s: %v%s", what, err, b.snapshot())
}

// snapshot describes the page for a failure message.
func (b *browser) snapshot() string {
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return " (the page could not be read)"
	}
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return fmt.Sprintf("\npage: %s\n%s", loc, tail(text, 2000))
}

// waitJS waits until expr is true in the page. It is for changes within a page (HTMX
// swaps); a full navigation ends the poll with an error.
func (b *browser) waitJS(what, expr string) {
	b.t.Helper()
	run(b, what, chromedp.Poll[bool](`!!(`+expr+`)`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
}

// wantJS checks that expr is true now.
func (b *browser) wantJS(what, expr string) {
	b.t.Helper()
	if !run(b, what, chromedp.Evaluate[bool](`!!(`+expr+`)`)) {
		b.t.Fatalf("want %s, but it is not so%s", what, b.snapshot())
	}
}

// markPage sets a value on window; wantSamePage then proves that the page was not
// reloaded since (an HTMX swap keeps it, a full page load loses it).
func (b *browser) markPage(name string) {
	b.t.Helper()
	run(b, "mark the page", chromedp.Evaluate[string](`window.__browserTestMark = `+strconv.Quote(name)))
}

func (b *browser) wantSamePage(name string) {
	b.t.Helper()
	got := run(b, "read the page mark", chromedp.Evaluate[string](`String(window.__browserTestMark)`))
	if got != name {
		b.t.Fatalf("the page was reloaded (mark %q, want %q): the update should have been swapped in place%s", got, name, b.snapshot())
	}
}

func (b *browser) location() string {
	b.t.Helper()
	return run(b, "read the URL", chromedp.Location())
}

func (b *browser) value(sel string) string {
	b.t.Helper()
	return run(b, "read the value of "+sel, chromedp.Value(chromedp.CSS(sel)))
}

func (b *browser) wantValue(sel, want string) {
	b.t.Helper()
	if got := b.value(sel); got != want {
		b.t.Fatalf("%s has the value %q, want %q%s", sel, got, want, b.snapshot())
	}
}

// wantText checks that the text of the first element matching sel holds each of wants.
func (b *browser) wantText(sel string, wants ...string) {
	b.t.Helper()
	got := run(b, "read the text of "+sel, chromedp.Text(chromedp.CSS(sel)))
	for _, w := range wants {
		if !strings.Contains(got, w) {
			b.t.Fatalf("the text of %s lacks %q:\n%s", sel, w, tail(got, 2000))
		}
	}
}

// wantRows checks that the projects table lists exactly the named projects.
func (b *browser) wantRows(names ...string) {
	b.t.Helper()
	got := run(b, "read the project rows", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#projects-table [data-project-row] td:first-child a')).map(a => a.textContent.trim())`))
	if strings.Join(got, "|") != strings.Join(names, "|") {
		// The list is newest first; compare as sets.
		if len(got) != len(names) || !sameSet(got, names) {
			b.t.Fatalf("the projects list shows %q, want %q%s", got, names, b.snapshot())
		}
	}
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// chromiumLog is the end of Chromium's output without the D-Bus complaints that every
// start in a container makes.
func chromiumLog(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "dbus") {
			keep = append(keep, l)
		}
	}
	return tail(strings.Join(keep, "\n"), 4000)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// syncBuffer is a bytes.Buffer that Chromium's output goroutine and the test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
