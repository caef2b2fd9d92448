package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The retention release and a dispute's resolution, through the API and the pages: the
// owner's alone; the retention only once every milestone is paid, then once.
func TestRetentionReleaseAndResolveRoutes(t *testing.T) {
	t.Parallel()
	w := newEscrowWorld(t)
	ctx := context.Background()
	if err := w.a.st.SetRetention(ctx, w.contractID, 500); err != nil {
		t.Fatal(err)
	}
	if res := w.clients["contractor"].do("POST", "/api/contracts/"+w.contractID+"/onboarding", nil); res.Code != http.StatusOK {
		t.Fatalf("onboard: %d %s", res.Code, res.Body)
	}
	m1 := w.addMilestone(t, "One", 200000)
	m2 := w.addMilestone(t, "Two", w.sum-200000)
	api := "/api/contracts/" + w.contractID + "/retention/release"
	page := "/contracts/" + w.contractID + "/retention/release"

	// A dispute freezes m1 once funded; only the owner resolves it, back to funded.
	id1 := w.fund(t, m1)["id"].(string)
	if res := w.clients["owner"].do("POST", "/api/escrow/"+id1+"/simulate-payment", nil); res.Code != http.StatusOK {
		t.Fatalf("simulate: %d %s", res.Code, res.Body)
	}
	if res := w.clients["contractor"].do("POST", "/api/milestones/"+m1+"/dispute", map[string]any{"reason": "Scope unclear"}); res.Code != http.StatusOK {
		t.Fatalf("dispute: %d %s", res.Code, res.Body)
	}
	w.expectCodes(t, "POST", "/api/milestones/"+m1+"/resolve", nil, map[string]int{
		"contractor": http.StatusForbidden, "inhouse": http.StatusForbidden, "bidder": http.StatusNotFound,
		"otherOwner": http.StatusNotFound, "anonymous": http.StatusUnauthorized})
	if !strings.Contains(w.clients["owner"].get("/contracts/"+w.contractID).Body, `data-action="resolve"`) {
		t.Error("the contract page offers the owner no Resolve dispute button")
	}
	res := w.clients["owner"].do("POST", "/api/milestones/"+m1+"/resolve", nil)
	if res.Code != http.StatusOK || res.JSON(t)["status"] != "funded" {
		t.Fatalf("resolve: %d %s", res.Code, res.Body)
	}
	if res := w.clients["owner"].do("POST", "/api/milestones/"+m1+"/resolve", nil); res.Code != http.StatusConflict {
		t.Errorf("resolve again: %d %s", res.Code, res.Body)
	}
	w.completeApprove(t, m1)
	if res := w.clients["owner"].do("POST", "/api/escrow/"+id1+"/release", nil); res.Code != http.StatusOK {
		t.Fatalf("release 1: %d %s", res.Code, res.Body)
	}

	// Not before every milestone is paid: 409 on the API, the reason on the page; nothing posted.
	if res := w.clients["owner"].do("POST", api, nil); res.Code != http.StatusConflict || !strings.Contains(res.Body, "every milestone") {
		t.Errorf("retention release early: %d %s", res.Code, res.Body)
	}
	if res := w.clients["owner"].get(page); res.Code != http.StatusConflict {
		t.Errorf("retention confirm early: %d", res.Code)
	}
	id2 := w.payAndApprove(t, m2)
	if res := w.clients["owner"].do("POST", "/api/escrow/"+id2+"/release", nil); res.Code != http.StatusOK {
		t.Fatalf("release 2: %d %s", res.Code, res.Body)
	}
	w.expectCodes(t, "POST", api, nil, map[string]int{
		"contractor": http.StatusForbidden, "inhouse": http.StatusForbidden, "bidder": http.StatusNotFound,
		"otherOwner": http.StatusNotFound, "anonymous": http.StatusUnauthorized})
	held := (200000*500+5000)/10000 + ((w.sum-200000)*500+5000)/10000 // half-up, as escrow.Retention
	body := w.clients["owner"].get("/contracts/" + w.contractID).Body
	if !strings.Contains(body, `id="retention-release"`) {
		t.Fatal("no Release retention button once every milestone is paid")
	}
	if res := w.clients["owner"].get(page); res.Code != http.StatusOK || !strings.Contains(res.Body, "Retention held") {
		t.Fatalf("retention confirm: %d", res.Code)
	}
	res = w.clients["owner"].form(page, url.Values{})
	if res.Code >= 400 {
		t.Fatalf("retention release (page): %d %s", res.Code, res.Body)
	}
	// Once paid: 409, and the ledger shows it all out of retention_held and paid.
	if res := w.clients["owner"].do("POST", api, nil); res.Code != http.StatusConflict {
		t.Errorf("retention release twice: %d %s", res.Code, res.Body)
	}
	b := w.clients["owner"].get("/api/contracts/" + w.contractID + "/ledger").JSON(t)["balances"].(map[string]any)
	if amountOf(t, b["retention_held"]) != 0 || amountOf(t, b["contractor_payable"]) != 0 {
		t.Errorf("balances after the retention release %v (held %d)", b, held)
	}
	if !strings.Contains(w.clients["owner"].get("/contracts/"+w.contractID).Body, "Retention paid") {
		t.Error("the contract page does not say the retention was paid")
	}
}
