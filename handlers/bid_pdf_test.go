package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
)

// TestBidPDF: the bidder prints its own bid at any time (a draft marked DRAFT), the team
// only after closing and only a bid that counts; the PDF's totals are the API's.
func TestBidPDF(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bt := openBidTender(t, f)
	bidder := f.clients["bidder"]
	civil := civilBidder(t, f, "c1@example.com", "Civil One")
	usd := money.Of("usd")

	// A draft: its bidder's alone, marked on every page.
	res := bidder.do("POST", "/api/tenders/"+bt.id+"/bids", bt.body(1000000, 2345, false))
	if res.Code != http.StatusOK {
		t.Fatalf("draft: %d %s", res.Code, res.Body)
	}
	bidID := res.JSON(t)["id"].(string)
	routes := []string{paths.BidPDF(bt.id, bidID), paths.APITenderBidPDF(bt.id, bidID)}
	// The bid page links it beside the tender document.
	if res := bidder.get(paths.Tender(bt.id)); !strings.Contains(res.Body, `id="bid-pdf"`) || !strings.Contains(res.Body, paths.BidPDF(bt.id, bidID)) {
		t.Errorf("the bid page lacks the Priced bid (PDF) link: %d", res.Code)
	}
	for _, path := range routes {
		res := bidder.get(path)
		if res.Code != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("bidder GET %s: %d %s", path, res.Code, res.Header.Get("Content-Type"))
		}
		txt := pdfText(t, res.Body)
		for _, want := range []string{"DRAFT — not submitted", "Priced bid", "A1", "B1", "B2", "10,000.00", "23.45"} {
			if !strings.Contains(txt, want) {
				t.Errorf("draft PDF lacks %q", want)
			}
		}
	}
	// The team, while sealed, and everyone else: 404; signed out: 401 / sign in.
	for _, who := range []string{"owner", "inhouse", "admin", "otherOwner", "outsider"} {
		for _, path := range routes {
			if res := f.clients[who].get(path); res.Code != http.StatusNotFound {
				t.Errorf("%s GET %s (sealed draft): %d", who, path, res.Code)
			}
		}
	}
	for _, path := range routes {
		if res := civil.get(path); res.Code != http.StatusNotFound {
			t.Errorf("another bidder GET %s: %d", path, res.Code)
		}
	}
	if res := f.clients["anonymous"].get(routes[1]); res.Code != http.StatusUnauthorized {
		t.Errorf("anonymous API: %d", res.Code)
	}
	if res := f.clients["anonymous"].get(routes[0]); res.Code/100 != 3 {
		t.Errorf("anonymous page: %d", res.Code)
	}
	// Malformed names: 404, never a 500.
	for _, bad := range []string{"/tenders/" + bt.id + "/bids/x.pdf", "/tenders/" + bt.id + "/bids/" + bidID,
		"/tenders/" + bt.id + "/bids/" + bidID + ".pdf.pdf", "/api/tenders/" + bt.id + "/bids/nope/bid.pdf"} {
		if res := bidder.get(bad); res.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d", bad, res.Code)
		}
	}

	// Submitted: no draft mark, the revision, and the API's total to the cent.
	if res := bidder.do("POST", "/api/tenders/"+bt.id+"/bids", bt.body(1000000, 2345, true)); res.Code != http.StatusCreated {
		t.Fatalf("submit: %d %s", res.Code, res.Body)
	}
	api := bidder.get("/api/tenders/" + bt.id + "/bids/" + bidID)
	if api.Code != http.StatusOK {
		t.Fatalf("API bid: %d %s", api.Code, api.Body)
	}
	total := money.Plain(int64(amountOf(t, api.JSON(t)["total"])), usd)
	first := bidder.get(routes[0])
	txt := pdfText(t, first.Body)
	if strings.Contains(txt, "DRAFT") {
		t.Error("a submitted bid is marked DRAFT")
	}
	for _, want := range []string{"Revision 1, submitted", total, "Carried to collection"} {
		if !strings.Contains(txt, want) {
			t.Errorf("submitted PDF lacks %q", want)
		}
	}
	if n := strings.Count(txt, total); n < 3 { // cover, collection, form of tender
		t.Errorf("the total %s appears %d times, want at least 3", total, n)
	}
	// Revalidation: 304 with the tag; the tag follows the bid.
	etag := first.Header.Get("ETag")
	if res := bidder.get(routes[1], "If-None-Match", etag); res.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", res.Code)
	}
	for _, path := range routes {
		if res := f.clients["owner"].get(path); res.Code != http.StatusNotFound {
			t.Errorf("owner before closing GET %s: %d", path, res.Code)
		}
	}
	if res := f.clients["owner"].get(paths.Tender(bt.id)); strings.Contains(res.Body, "data-bid-pdf") || strings.Contains(res.Body, bidID) {
		t.Error("the team's tender page names a bid's PDF while sealed")
	}
	// Another bidder's draft, never submitted, stays its own after closing.
	res = civil.do("POST", "/api/tenders/"+bt.id+"/bids", bt.body(900000, 2000, false))
	if res.Code != http.StatusOK {
		t.Fatalf("civil draft: %d %s", res.Code, res.Body)
	}
	civilID := res.JSON(t)["id"].(string)

	closeNow(t, f, bt.id)
	if res := f.clients["owner"].do("POST", "/api/tenders/"+bt.id+"/close", nil); res.Code != http.StatusOK {
		t.Fatalf("close: %d %s", res.Code, res.Body)
	}
	for _, who := range []string{"owner", "inhouse"} {
		for _, path := range routes {
			res := f.clients[who].get(path)
			if res.Code != http.StatusOK {
				t.Errorf("%s after closing GET %s: %d", who, path, res.Code)
				continue
			}
			if txt := pdfText(t, res.Body); !strings.Contains(txt, total) || !strings.Contains(txt, "23.45") {
				t.Errorf("%s: the PDF lacks the total %s or the rate", who, total)
			}
		}
		teamAPI := f.clients[who].get("/api/tenders/" + bt.id + "/bids/" + bidID)
		if got := money.Plain(int64(amountOf(t, teamAPI.JSON(t)["total"])), usd); got != total {
			t.Errorf("%s: API total %s, PDF total %s", who, got, total)
		}
		if res := f.clients[who].get(paths.BidPDF(bt.id, civilID)); res.Code != http.StatusNotFound {
			t.Errorf("%s GET a draft bid: %d", who, res.Code)
		}
	}
	// The leveling page and the team's tender page link each bid's PDF (a draft's never).
	if res := f.clients["owner"].get(paths.TenderLeveling(bt.id)); !strings.Contains(res.Body, paths.BidPDF(bt.id, bidID)) {
		t.Errorf("the leveling page lacks the bid's PDF link: %d", res.Code)
	}
	if res := f.clients["owner"].get(paths.Tender(bt.id)); !strings.Contains(res.Body, `data-bid-pdf="`+bidID+`"`) ||
		strings.Contains(res.Body, civilID) {
		t.Errorf("the team's tender page links the bids' PDFs wrongly: %d", res.Code)
	}
	for _, who := range []string{"otherOwner", "outsider"} {
		if res := f.clients[who].get(routes[0]); res.Code != http.StatusNotFound {
			t.Errorf("%s after closing: %d", who, res.Code)
		}
	}
	if res := civil.get(routes[0]); res.Code != http.StatusNotFound {
		t.Errorf("another bidder after closing: %d", res.Code)
	}
	if res := civil.get(paths.BidPDF(bt.id, civilID)); res.Code != http.StatusOK {
		t.Errorf("a bidder's own draft after closing: %d", res.Code)
	}
}
