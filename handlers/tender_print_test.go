package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/14build/14build/paths"
)

// TestTenderPrint: the print view is the PDF's content as one HTML page, for whoever may
// get the PDF, with print CSS repeating table heads; a draft has none yet.
func TestTenderPrint(t *testing.T) {
	t.Parallel()
	f, id, items := talkFixture(t)
	ref := tenderReference(f.P.Code, id)
	for who, want := range map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "bidder": 200,
		"stranger": 404, "otherOwner": 404, "outsider": 404} {
		res := f.clients[who].get(paths.TenderPrint(id))
		if res.Code != want {
			t.Errorf("%s: %d, want %d", who, res.Code, want)
			continue
		}
		if want != 200 {
			continue
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %q", who, ct)
		}
		wants := []string{"Substructure package", ref, "Bill of quantities", "Collection", "Form of tender",
			"display: table-header-group", "break-inside: avoid", "size: A4", "Price every line."}
		for r := range items {
			wants = append(wants, ">"+r+"<")
		}
		for _, s := range wants {
			if !strings.Contains(res.Body, s) {
				t.Errorf("%s: the print view lacks %q", who, s)
			}
		}
		if strings.Contains(res.Body, `id="navbar"`) || strings.Contains(res.Body, "app.js") {
			t.Errorf("%s: the print view carries the app's chrome", who)
		}
	}
	if res := f.clients["anonymous"].get(paths.TenderPrint(id)); res.Code/100 != 3 {
		t.Errorf("anonymous: %d", res.Code)
	}
	draft := draftTender(t, f, issuedSOQ(t, f))
	if res := f.clients["owner"].get(paths.TenderPrint(draft)); res.Code != http.StatusConflict {
		t.Errorf("draft: %d", res.Code)
	}
}
