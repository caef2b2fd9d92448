package handlers

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/14build/14build/money"
	"github.com/14build/14build/views"
)

// Distinctive prices of the sealed bid: eight digits or more, so that no hex id, hash or
// stylesheet can hold one by chance.
const (
	sealedRateA1 = 31415926 // A1, preliminaries ×1: also its amount
	sealedRateB1 = 98765432 // B1, measured ×12.5
)

// sealedForms is every way a page, partial, JSON body or export could write an amount in
// minor units: raw digits, with thousands separators, as a decimal with and without
// separators, with the currency's symbol.
func sealedForms(amounts ...int64) []string {
	usd := money.Of("usd")
	var out []string
	for _, n := range amounts {
		out = append(out, strconv.FormatInt(n, 10), views.Thousands(n), money.Plain(n, usd), money.Input(n, usd), money.Format(n, usd))
	}
	return out
}

// TestSealedBidNeverShownToTeam is the sealed rule through the whole route table: with a
// submitted bid on an open sealed tender, every GET route (whatever it is and whoever added
// it: the table is walked, with every path parameter filled with a real id) is requested
// as the project's owner, an in-house member, an administrator and another bidder the
// tender is open to, as a page, as an HTMX
// partial and with ?projectId=, and no answer — nor any file inside a zip (XLSX) answer —
// holds the bid's rates, amounts or total in any form.
func TestSealedBidNeverShownToTeam(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids := walkSetup(t, f)
	bt := openBidTender(t, f)
	res := f.clients["bidder"].do("POST", "/api/tenders/"+bt.id+"/bids", bt.body(sealedRateA1, sealedRateB1, true))
	if res.Code != http.StatusCreated {
		t.Fatalf("submit: %d %s", res.Code, res.Body)
	}
	bid := res.JSON(t)
	total := int64(amountOf(t, bid["total"]))
	amountB1 := int64(sealedRateB1) * 125 / 10
	if total != sealedRateA1+amountB1+500000 {
		t.Fatalf("total %d", total)
	}
	secrets := sealedForms(sealedRateA1, sealedRateB1, amountB1, total)

	// The bid's tender, SOQ and bid are the ones the walk fills in.
	ids["tenderId"], ids["bidId"] = bt.id, bid["id"].(string)
	one := func(name, q string, args ...any) {
		t.Helper()
		var v string
		if err := f.a.st.DB().Get(&v, q, args...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ids[name] = v
	}
	one("soqId", `SELECT soq_id::text FROM tenders WHERE id = $1`, bt.id)
	one("sectionId", `SELECT s.id::text FROM soq_sections s JOIN tenders t ON t.soq_id = s.soq_id WHERE t.id = $1 ORDER BY s.position LIMIT 1`, bt.id)
	one("itemId", `SELECT i.id::text FROM soq_items i JOIN soq_sections s ON s.id = i.section_id JOIN tenders t ON t.soq_id = s.soq_id WHERE t.id = $1 LIMIT 1`, bt.id)
	for name, v := range map[string]string{"contractId": "00000000-0000-4000-8000-00000000c0c0", "qid": "00000000-0000-4000-8000-0000000000a1", "number": "1"} {
		if ids[name] == "" {
			ids[name] = v
		}
	}

	// The bidder sees its own prices: the forms are right, so their absence below means something.
	if own := f.clients["bidder"].get("/api/tenders/" + bt.id + "/bids/" + ids["bidId"]); !strings.Contains(own.Body, strconv.Itoa(sealedRateB1)) {
		t.Fatalf("the bidder's own bid lacks its rate: %d %s", own.Code, own.Body)
	}

	// Another bidder of the tender's trade never sees them either.
	f.clients["otherBidder"] = civilBidder(t, f, "rival@example.com", "Rival Works")

	reached := map[string]int{}
	for _, r := range f.a.h.Routes() {
		if r.Method != http.MethodGet {
			continue
		}
		path := fill(r, ids, "", "")
		for _, role := range []string{"owner", "inhouse", "admin", "otherBidder"} {
			for _, v := range []struct{ query, hx string }{{"", ""}, {"?projectId=" + f.P.ID, ""}, {"", "true"}} {
				req, _ := http.NewRequest("GET", f.a.srv.URL+path+v.query, nil)
				if v.hx != "" {
					req.Header.Set("HX-Request", "true")
				}
				got := f.clients[role].send(req)
				if got.Code < 300 {
					reached[r.Path()]++
				}
				for _, body := range sealedBodies(t, got.Body) {
					for _, s := range secrets {
						if strings.Contains(body, s) {
							t.Errorf("GET %s%s as %s (HX %q) → %d shows the sealed %q", path, v.query, role, v.hx, got.Code, s)
						}
					}
				}
			}
		}
	}
	// Not vacuous: the tender's own routes answered.
	for _, p := range []string{"/api/tenders/:tenderId", "/api/tenders/:tenderId/bids", "/api/tenders/:tenderId/bids/:bidId", "/tenders/:tenderId"} {
		if reached[p] == 0 {
			t.Errorf("GET %s never answered 2xx: the walk did not reach it", p)
		}
	}
	t.Logf("%d GET routes answered 2xx at least once", len(reached))
	for _, r := range f.a.h.Routes() {
		if r.Method == http.MethodGet && reached[r.Path()] == 0 {
			t.Logf("never 2xx: %s", r.Path())
		}
	}

	// The forms searched for are the ones shown: once the closing time has passed, the
	// team's list holds the total.
	closeNow(t, f, bt.id)
	after := f.clients["owner"].get("/api/tenders/" + bt.id + "/bids")
	if !strings.Contains(after.Body, strconv.FormatInt(total, 10)) {
		t.Errorf("after closing the team's list lacks the total: %d %s", after.Code, after.Body)
	}
}

// sealedBodies is the answer's text, and when it is a zip (an XLSX) the text of each file
// inside it.
func sealedBodies(t *testing.T, body string) []string {
	out := []string{body}
	if !strings.HasPrefix(body, "PK") {
		return out
	}
	zr, err := zip.NewReader(bytes.NewReader([]byte(body)), int64(len(body)))
	if err != nil {
		return out
	}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Errorf("zip entry %s: %v", zf.Name, err)
			continue
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out = append(out, string(b))
	}
	return out
}
