package handlers

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
)

// pdfText reads a PDF back as text with poppler's pdftotext (installed by .ci/run).
func pdfText(t *testing.T, pdf string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = strings.NewReader(pdf)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftotext: %v: %s", err, errb.String())
	}
	return out.String()
}

// TestTenderPDFAccess: the team and the bidders the tender is open to get the document;
// other bidders and other projects' owners never learn of it; a draft has none yet.
func TestTenderPDFAccess(t *testing.T) {
	t.Parallel()
	f, id, items := talkFixture(t) // open; invites b@example.com; "stranger" is not invited
	ref := tenderReference(f.P.Code, id)
	for _, path := range []string{paths.APITenderPDF(id), paths.TenderPDF(id)} {
		for who, want := range map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "bidder": 200,
			"stranger": 404, "otherOwner": 404, "outsider": 404} {
			res := f.clients[who].get(path)
			if res.Code != want {
				t.Errorf("%s GET %s: %d, want %d", who, path, res.Code, want)
				continue
			}
			if want != 200 {
				continue
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/pdf" {
				t.Errorf("%s: Content-Type %q", who, ct)
			}
			if cd := res.Header.Get("Content-Disposition"); cd != `inline; filename="`+pdfFilename(ref)+`.pdf"` {
				t.Errorf("%s: Content-Disposition %q", who, cd)
			}
			if cc := res.Header.Get("Cache-Control"); cc != "private, max-age=0, must-revalidate" {
				t.Errorf("%s: Cache-Control %q", who, cc)
			}
			if !strings.HasPrefix(res.Body, "%PDF-") {
				t.Fatalf("%s: not a PDF: %.40q", who, res.Body)
			}
			txt := pdfText(t, res.Body)
			want := []string{"Substructure package", ref}
			for r := range items {
				want = append(want, r)
			}
			for _, s := range want {
				if !strings.Contains(txt, s) {
					t.Errorf("%s: the PDF lacks %q", who, s)
				}
			}
		}
	}
	// Signed out: 401 from the API, a redirect to sign in from the page.
	if res := f.clients["anonymous"].get(paths.APITenderPDF(id)); res.Code != http.StatusUnauthorized {
		t.Errorf("anonymous API: %d", res.Code)
	}
	if res := f.clients["anonymous"].get(paths.TenderPDF(id)); res.Code/100 != 3 || !strings.Contains(res.Header.Get("Location"), paths.Login()) {
		t.Errorf("anonymous page: %d %q", res.Code, res.Header.Get("Location"))
	}
	// An id that is no tender: 404, never a 500.
	if res := f.clients["owner"].get(paths.APITenderPDF("not-a-uuid")); res.Code != http.StatusNotFound {
		t.Errorf("bad id: %d", res.Code)
	}
}

func TestTenderPDFDraftConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := draftTender(t, f, issuedSOQ(t, f))
	res := f.clients["owner"].get(paths.APITenderPDF(id))
	if res.Code != http.StatusConflict || !strings.Contains(res.JSON(t)["error"].(string), "once the tender opens") {
		t.Errorf("draft: %d %s", res.Code, res.Body)
	}
	// A bidder does not see a draft at all.
	if res := f.clients["bidder"].get(paths.APITenderPDF(id)); res.Code != http.StatusNotFound {
		t.Errorf("bidder on a draft: %d", res.Code)
	}
}

// TestTenderPDFETag: a repeat download with the ETag is a 304; an addendum changes the
// document and so its ETag.
func TestTenderPDFETag(t *testing.T) {
	t.Parallel()
	f, id, _ := talkFixture(t)
	c := f.clients["bidder"]
	first := c.get(paths.APITenderPDF(id))
	etag := first.Header.Get("ETag")
	if first.Code != 200 || etag == "" {
		t.Fatalf("first: %d ETag %q", first.Code, etag)
	}
	if res := c.get(paths.APITenderPDF(id), "If-None-Match", etag); res.Code != http.StatusNotModified || res.Body != "" {
		t.Errorf("If-None-Match: %d (%d bytes)", res.Code, len(res.Body))
	}
	// The team's copy is the same document.
	if res := f.clients["owner"].get(paths.TenderPDF(id), "If-None-Match", etag); res.Code != http.StatusNotModified {
		t.Errorf("owner If-None-Match: %d", res.Code)
	}
	if res := c.get(paths.APITenderPDF(id), "If-None-Match", `"stale"`); res.Code != 200 || res.Body != first.Body {
		t.Errorf("stale tag: %d, same body %v", res.Code, res.Body == first.Body)
	}
	res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/addenda", map[string]any{"text": "Site visit on Monday."})
	if res.Code != http.StatusCreated {
		t.Fatalf("addendum: %d %s", res.Code, res.Body)
	}
	after := c.get(paths.APITenderPDF(id), "If-None-Match", etag)
	if after.Code != 200 || after.Header.Get("ETag") == etag || after.Header.Get("ETag") == "" {
		t.Errorf("after an addendum: %d ETag %q (was %q)", after.Code, after.Header.Get("ETag"), etag)
	}
	// The cover shows the project's name: renaming it makes a new document.
	etag = after.Header.Get("ETag")
	p := f.P
	if err := f.a.st.UpdateProject(context.Background(), p.ID, store.ProjectInput{Name: "Renamed project", Code: p.Code,
		Address: p.Address, Status: p.Status, BudgetAmount: p.BudgetAmount, Currency: p.Currency, TimeZone: p.TimeZone}); err != nil {
		t.Fatal(err)
	}
	renamed := c.get(paths.APITenderPDF(id), "If-None-Match", etag)
	if renamed.Code != 200 || renamed.Header.Get("ETag") == etag {
		t.Errorf("after a rename: %d ETag %q (was %q)", renamed.Code, renamed.Header.Get("ETag"), etag)
	}
	if txt := pdfText(t, renamed.Body); !strings.Contains(txt, "Renamed project") {
		t.Errorf("the renamed project is not on the cover")
	}
}

func TestPDFCacheEvicts(t *testing.T) {
	c := newPDFCache(2)
	c.put("a", cachedPDF{reference: "a"})
	c.put("b", cachedPDF{reference: "b"})
	c.get("a") // a is now the most recent
	c.put("c", cachedPDF{reference: "c"})
	if _, ok := c.get("b"); ok {
		t.Error("b should have been evicted")
	}
	for _, k := range []string{"a", "c"} {
		if d, ok := c.get(k); !ok || d.reference != k {
			t.Errorf("%s: %v %v", k, d, ok)
		}
	}
}

// TestTenderPDFButtons: the team's tender page and the bidder's bid page link the
// document once the tender opens; a draft's page does not.
func TestTenderPDFButtons(t *testing.T) {
	t.Parallel()
	f, id, _ := talkFixture(t)
	for who, sel := range map[string]string{"owner": "#tender-pdf", "inhouse": "#tender-pdf", "bidder": "#bid-tender-pdf"} {
		res := f.clients[who].get(paths.Tender(id))
		if res.Code != 200 {
			t.Fatalf("%s page: %d", who, res.Code)
		}
		a := res.Doc(t).Find(sel)
		if href, _ := a.Attr("href"); a.Length() != 1 || href != paths.TenderPDF(id) || strings.TrimSpace(a.Text()) != "Print / PDF" {
			t.Errorf("%s: %s %d %q %q", who, sel, a.Length(), href, a.Text())
		}
	}
	draft := draftTender(t, f, issuedSOQ(t, f))
	if res := f.clients["owner"].get(paths.Tender(draft)); res.Code != 200 || res.Doc(t).Find("#tender-pdf").Length() != 0 {
		t.Errorf("draft page: %d, has the PDF link", res.Code)
	}
}
