package handlers

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// apiLevelingTotals is each bid's company and total as GET /api/tenders/{id}/leveling
// gives them, the totals formatted as the sheet prints them.
func apiLevelingTotals(t *testing.T, c *client, tenderID string) map[string]string {
	t.Helper()
	res := c.get(paths.APITenderLeveling(tenderID))
	if res.Code != http.StatusOK {
		t.Fatalf("leveling API: %d %s", res.Code, res.Body)
	}
	j := res.JSON(t)
	cur := money.Of(j["currency"].(string))
	out := map[string]string{}
	for _, b := range j["bids"].([]any) {
		bid := b.(map[string]any)
		name := bid["company"].(map[string]any)["name"].(string)
		out[name] = money.Plain(int64(bid["total"].(map[string]any)["amount"].(float64)), cur)
	}
	return out
}

// TestLevelingPDFAccess: the same answers as the leveling API, role by role, before and
// after closing: 409 to the team while the bids are sealed (no amount in it), 404 to a
// bidder and to anyone off the project.
func TestLevelingPDFAccess(t *testing.T) {
	t.Parallel()
	lf := newLevelingFixture(t)
	roles := []string{"owner", "inhouse", "admin", "bidder", "otherOwner", "outsider"}
	check := func(when string, team int) {
		for _, who := range roles {
			want := lf.clients[who].get(paths.APITenderLeveling(lf.tenderID)).Code
			if who == "owner" || who == "inhouse" || who == "admin" {
				if want != team {
					t.Fatalf("%s %s: the leveling API gives %d, want %d", when, who, want, team)
				}
			} else if want != http.StatusNotFound {
				t.Fatalf("%s %s: the leveling API gives %d", when, who, want)
			}
			for _, path := range []string{paths.APITenderLevelingPDF(lf.tenderID), paths.TenderLevelingPDF(lf.tenderID)} {
				res := lf.clients[who].get(path)
				if res.Code != want {
					t.Errorf("%s %s GET %s: %d, want %d as the API", when, who, path, res.Code, want)
				}
				if res.Code != http.StatusOK && (strings.Contains(res.Body, "15,250.00") || strings.HasPrefix(res.Body, "%PDF")) {
					t.Errorf("%s %s GET %s: a refusal with a document or a total", when, who, path)
				}
			}
		}
	}
	check("open", http.StatusConflict)
	if res := lf.clients["owner"].get(paths.APITenderLevelingPDF(lf.tenderID)); !strings.Contains(res.JSON(t)["error"].(string), "once the tender has closed") {
		t.Errorf("409's message: %s", res.Body)
	}
	lf.close(t)
	check("closed", http.StatusOK)
	if res := lf.clients["anonymous"].get(paths.APITenderLevelingPDF(lf.tenderID)); res.Code != http.StatusUnauthorized {
		t.Errorf("anonymous API: %d", res.Code)
	}
	if res := lf.clients["anonymous"].get(paths.TenderLevelingPDF(lf.tenderID)); res.Code/100 != 3 {
		t.Errorf("anonymous page: %d", res.Code)
	}
	if res := lf.clients["owner"].get(paths.APITenderLevelingPDF("not-a-uuid")); res.Code != http.StatusNotFound {
		t.Errorf("bad id: %d", res.Code)
	}
}

// TestLevelingPDFContents: every line's reference, every bidder with the API's total, the
// lowest rate marked; the page links the PDF.
func TestLevelingPDFContents(t *testing.T) {
	t.Parallel()
	lf := newLevelingFixture(t)
	lf.close(t)
	res := lf.clients["owner"].get(paths.TenderLevelingPDF(lf.tenderID))
	if res.Code != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(res.Body, "%PDF-") {
		t.Fatalf("leveling.pdf: %d %q", res.Code, res.Header.Get("Content-Type"))
	}
	ref := tenderReference(lf.P.Code, lf.tenderID)
	if cd := res.Header.Get("Content-Disposition"); cd != `inline; filename="leveling-`+pdfFilename(ref)+`.pdf"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	txt := pdfText(t, res.Body)
	for r := range lf.items {
		if !regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(r) + `\s`).MatchString(txt) {
			t.Errorf("the PDF lacks line %s", r)
		}
	}
	totals := apiLevelingTotals(t, lf.clients["owner"], lf.tenderID)
	if len(totals) != 2 || totals["Entity of b@example.com"] != "15,250.00" {
		t.Fatalf("API totals: %v", totals)
	}
	for name, total := range totals {
		if !regexp.MustCompile(regexp.QuoteMeta(name) + `.*\s` + regexp.QuoteMeta(total) + `\s`).MatchString(txt) {
			t.Errorf("the summary lacks %s with %s", name, total)
		}
		if strings.Count(txt, total) < 2 {
			t.Errorf("%s's total %s is not in the sheet's totals too", name, total)
		}
	}
	// The bidder is lowest on A1 (10,000.00), the second bidder on B1 (15.00).
	for _, want := range []string{`A1\s.*◆\s*10,000\.00`, `B1\s.*◆\s*15\.00`, ref, "Page 1 of", "Bid leveling", "5,000.00"} {
		if !regexp.MustCompile(want).MatchString(txt) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	// After the award the sheet says who won; the totals stay.
	if res := lf.clients["owner"].do("POST", "/api/tenders/"+lf.tenderID+"/award", map[string]any{"bidId": lf.bid2}); res.Code != http.StatusOK {
		t.Fatalf("award: %d %s", res.Code, res.Body)
	}
	txt = pdfText(t, lf.clients["owner"].get(paths.APITenderLevelingPDF(lf.tenderID)).Body)
	if !regexp.MustCompile(`Entity of second@example\.com · Awarded`).MatchString(txt) ||
		!strings.Contains(txt, "Unsuccessful") || !strings.Contains(txt, "20,187.50") {
		t.Errorf("after the award:\n%.1500s", txt)
	}
	// The leveling page links it beside the workbook.
	page := lf.clients["owner"].get(paths.TenderLeveling(lf.tenderID))
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(page.Body))
	if err != nil {
		t.Fatal(err)
	}
	if href, _ := doc.Find("#leveling-pdf").Attr("href"); href != paths.TenderLevelingPDF(lf.tenderID) {
		t.Errorf("Print / PDF link: %q", href)
	}
}

// TestLevelingPDFEightBidders: eight bids do not fit one page's width: the columns continue
// on following pages with the item columns repeated, and every total is the API's.
func TestLevelingPDFEightBidders(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pdfinfo"); err != nil {
		t.Skip("pdfinfo (poppler-utils) is not installed")
	}
	lf := newLevelingFixture(t)
	ctx := context.Background()
	for k := 3; k <= 8; k++ {
		u := lf.a.user(authz.RoleBidder, fmt.Sprintf("bidder%d@example.com", k))
		if _, err := lf.a.st.SubmitBid(ctx, lf.tenderID, u.ID, u.EntityID, store.BidInput{Rates: []tender.Rate{
			{ItemID: lf.items["A1"], Rate: int64(11_000_00 + k*100_00)}, {ItemID: lf.items["B1"], Rate: int64(20_00 + k*1_00)}}}, time.Time{}); err != nil {
			t.Fatalf("submit %d: %v", k, err)
		}
	}
	lf.close(t)
	res := lf.clients["inhouse"].get(paths.APITenderLevelingPDF(lf.tenderID))
	if res.Code != http.StatusOK {
		t.Fatalf("leveling.pdf: %d", res.Code)
	}
	txt := pdfText(t, res.Body)
	ps := strings.Split(strings.TrimRight(txt, "\f\n "), "\f")
	info := exec.Command("pdfinfo", "-")
	info.Stdin = strings.NewReader(res.Body)
	out, err := info.Output()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(string(out))
	// A summary, two column groups, the flags: at least four pages.
	if m == nil || m[1] != fmt.Sprint(len(ps)) || len(ps) < 4 {
		t.Fatalf("pages: pdfinfo %v, pdftotext %d", m, len(ps))
	}
	first := regexp.MustCompile(`Bidders 1–\d of 8 — bidders \d onwards continue on the following pages`)
	rest := regexp.MustCompile(`Bidders \d–8 of 8 \(continued\)`)
	if !first.MatchString(txt) || !rest.MatchString(txt) {
		t.Errorf("no continuation notes")
	}
	for i, pg := range ps {
		if first.MatchString(pg) || rest.MatchString(pg) {
			for _, r := range []string{"A1", "B1", "B2"} {
				if !regexp.MustCompile(`(?m)^\s*` + r + `\s`).MatchString(pg) {
					t.Errorf("page %d lacks line %s", i+1, r)
				}
			}
		}
	}
	totals := apiLevelingTotals(t, lf.clients["owner"], lf.tenderID)
	if len(totals) != 8 {
		t.Fatalf("API: %d bids", len(totals))
	}
	for name, total := range totals {
		if !strings.Contains(ps[0], name) || !strings.Contains(ps[0], total) || strings.Count(txt, total) < 2 {
			t.Errorf("%s's total %s is not printed on the summary and in the sheet", name, total)
		}
	}
	if !strings.Contains(txt, "Rank 8 of 8") {
		t.Error("no rank 8 of 8")
	}
}
