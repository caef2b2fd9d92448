package handlers

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
)

// issuedSOQ creates an issued SOQ on f.P through the API and returns its id.
func issuedSOQ(t *testing.T, f *fixture) string {
	t.Helper()
	body := soqBodyFor(f.P.ID)
	body["status"] = "issued"
	res := f.clients["owner"].do("POST", "/api/soq", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("SOQ: %d %s", res.Code, res.Body)
	}
	return res.JSON(t)["id"].(string)
}

func tenderBodyFor(projectID, soqID string) map[string]any {
	return map[string]any{"projectId": projectID, "soqId": soqID, "title": "Substructure package",
		"instructions": "Price every line.", "closesAt": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339),
		"sealed": true, "allowLateBids": false, "categories": []string{"Civil Works"}, "invitees": []string{"b@example.com"},
		"scopeByTrade": false}
}

// draftTender creates a draft tender on f.P and returns its id.
func draftTender(t *testing.T, f *fixture, soqID string) string {
	t.Helper()
	res := f.clients["owner"].do("POST", "/api/tenders", tenderBodyFor(f.P.ID, soqID))
	if res.Code != http.StatusCreated {
		t.Fatalf("create tender: %d %s", res.Code, res.Body)
	}
	return res.JSON(t)["id"].(string)
}

func TestTenderCreateOpenFrozenCopy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	soqID := issuedSOQ(t, f)
	res := f.clients["inhouse"].do("POST", "/api/tenders", tenderBodyFor(f.P.ID, soqID))
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.Body)
	}
	m := res.JSON(t)
	id := m["id"].(string)
	if m["status"] != "draft" || m["soqId"] != soqID || m["sealed"] != true || m["sections"] != nil {
		t.Errorf("created %v", m)
	}
	if cats := m["categories"].([]any); len(cats) != 1 || cats[0] != "Civil Works" {
		t.Errorf("categories %v", cats)
	}
	if inv := m["invitees"].([]any); len(inv) != 1 || inv[0].(map[string]any)["email"] != "b@example.com" {
		t.Errorf("invitees %v", inv)
	}
	if _, err := time.Parse(time.RFC3339, m["closesAt"].(string)); err != nil || !strings.HasSuffix(m["closesAt"].(string), "Z") {
		t.Errorf("closesAt %v", m["closesAt"])
	}
	// A draft is the team's: the invited bidder does not see it yet.
	if res := f.clients["bidder"].get("/api/tenders/" + id); res.Code != http.StatusNotFound {
		t.Errorf("bidder GET draft: %d", res.Code)
	}

	res = f.clients["owner"].do("POST", "/api/tenders/"+id+"/open", nil)
	if res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	m = res.JSON(t)
	secs, _ := m["sections"].([]any)
	if m["status"] != "open" || len(secs) != 2 || m["openedAt"] == nil {
		t.Fatalf("opened %v", m)
	}
	items := secs[1].(map[string]any)["items"].([]any)
	b1, b2 := items[0].(map[string]any), items[1].(map[string]any)
	// Bidders price the measured line: the owner's rate is not in the copy; the
	// allowance keeps its sum.
	if b1["reference"] != "B1" || b1["quantity"] != 12.5 || b1["rate"] != 0.0 || b1["amount"] != 0.0 ||
		b1["category"].(map[string]any)["name"] != "Civil Works" {
		t.Errorf("measured line %v", b1)
	}
	if b2["amount"] != float64(500000) {
		t.Errorf("allowance %v", b2)
	}
	// The SOQ changing after opening does not change the copy.
	if res := f.clients["owner"].do("DELETE", "/api/soq/"+soqID, nil); res.Code < 400 {
		t.Logf("SOQ deleted after opening: %d", res.Code)
	}
	got := f.clients["bidder"].get("/api/tenders/" + id)
	if got.Code != http.StatusOK {
		t.Fatalf("bidder GET open: %d %s", got.Code, got.Body)
	}
	g := got.JSON(t)
	if len(g["sections"].([]any)) != 2 || g["invitees"] != nil {
		t.Errorf("bidder view %v", g)
	}
	// After opening: no edit, no delete, no second open.
	for _, r := range []struct{ method, path string }{{"PUT", "/api/tenders/" + id}, {"DELETE", "/api/tenders/" + id}, {"POST", "/api/tenders/" + id + "/open"}} {
		var body any
		if r.method == "PUT" {
			body = tenderBodyFor(f.P.ID, soqID)
		}
		if res := f.clients["owner"].do(r.method, r.path, body); res.Code != http.StatusConflict || res.JSON(t)["error"] == "" {
			t.Errorf("%s %s after open: %d %s", r.method, r.path, res.Code, res.Body)
		}
	}
}

func TestTenderPermissions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	soqID := issuedSOQ(t, f)
	draft := draftTender(t, f, soqID)
	// A tender of another project: its team is otherOwner's alone.
	body := soqBodyFor(f.P2.ID)
	body["status"] = "issued"
	res := f.clients["otherOwner"].do("POST", "/api/soq", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("P2 SOQ: %d %s", res.Code, res.Body)
	}
	res = f.clients["otherOwner"].do("POST", "/api/tenders", tenderBodyFor(f.P2.ID, res.JSON(t)["id"].(string)))
	if res.Code != http.StatusCreated {
		t.Fatalf("P2 tender: %d %s", res.Code, res.Body)
	}
	other := res.JSON(t)["id"].(string)

	type want map[string]int
	cases := []struct {
		method, path string
		body         any
		want         want
	}{
		{"GET", "/api/tenders?projectId=" + f.P.ID, nil, want{"owner": 200, "inhouse": 200, "admin": 200, "outsider": 404, "otherOwner": 404, "bidder": 404, "anonymous": 401}},
		{"POST", "/api/tenders", tenderBodyFor(f.P.ID, soqID), want{"owner": 201, "inhouse": 201, "admin": 201, "outsider": 404, "otherOwner": 404, "bidder": 403, "anonymous": 401}},
		{"GET", "/api/tenders/" + draft, nil, want{"owner": 200, "inhouse": 200, "admin": 200, "outsider": 404, "otherOwner": 404, "bidder": 404, "anonymous": 401}},
		{"PUT", "/api/tenders/" + draft, tenderBodyFor(f.P.ID, soqID), want{"owner": 200, "inhouse": 200, "admin": 200, "outsider": 404, "otherOwner": 404, "bidder": 404, "anonymous": 401}},
		{"POST", "/api/tenders/" + draft + "/close", nil, want{"owner": 409, "inhouse": 409, "admin": 409, "outsider": 404, "otherOwner": 404, "bidder": 404, "anonymous": 401}},
		{"POST", "/api/tenders/" + draft + "/open", nil, want{"outsider": 404, "otherOwner": 404, "bidder": 404, "anonymous": 401}},
		// Another project's tender through this project's team: not found.
		{"GET", "/api/tenders/" + other, nil, want{"owner": 404, "inhouse": 404, "admin": 200, "outsider": 404, "otherOwner": 200, "bidder": 404, "anonymous": 401}},
		{"PUT", "/api/tenders/" + other, tenderBodyFor(f.P2.ID, soqID), want{"owner": 404, "inhouse": 404, "outsider": 404, "bidder": 404}},
		{"DELETE", "/api/tenders/" + other, nil, want{"owner": 404, "inhouse": 404, "outsider": 404, "bidder": 404}},
		{"POST", "/api/tenders/" + other + "/open", nil, want{"owner": 404, "inhouse": 404, "outsider": 404, "bidder": 404}},
		{"GET", "/api/tenders/not-a-uuid", nil, want{"owner": 404}},
	}
	for _, tc := range cases {
		for role, code := range tc.want {
			if res := f.clients[role].do(tc.method, tc.path, tc.body); res.Code != code {
				t.Errorf("%s %s as %s: %d, want %d (%s)", tc.method, tc.path, role, res.Code, code, res.Body)
			}
		}
	}
	// Delete last: the draft goes, and then is not found.
	for role, code := range map[string]int{"outsider": 404, "bidder": 404, "inhouse": 204} {
		if res := f.clients[role].do("DELETE", "/api/tenders/"+draft, nil); res.Code != code {
			t.Errorf("DELETE as %s: %d, want %d", role, res.Code, code)
		}
	}
	if res := f.clients["owner"].get("/api/tenders/" + draft); res.Code != http.StatusNotFound {
		t.Errorf("GET deleted: %d", res.Code)
	}
	list := f.clients["owner"].get("/api/tenders?projectId=" + f.P.ID).JSON(t)["tenders"].([]any)
	for _, x := range list {
		if x.(map[string]any)["projectId"] != f.P.ID {
			t.Errorf("list holds %v", x)
		}
	}
}

func TestTenderInvalidBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	soqID := issuedSOQ(t, f)
	body := map[string]any{"projectId": f.P.ID, "soqId": "", "title": " ", "closesAt": "2001-01-01T00:00:00Z",
		"categories": []string{"Underwater Basket Weaving"}, "invitees": []string{"not-an-email"}}
	res := f.clients["owner"].do("POST", "/api/tenders", body)
	if res.Code != http.StatusBadRequest {
		t.Fatalf("invalid: %d %s", res.Code, res.Body)
	}
	fields, _ := res.JSON(t)["fields"].(map[string]any)
	for _, name := range []string{"soqId", "title", "closesAt", "categories", "invitees[0]"} {
		if fields[name] == nil {
			t.Errorf("no message for %s: %v", name, fields)
		}
	}
	// An SOQ of no project of ours: a field error on soqId.
	res = f.clients["owner"].do("POST", "/api/tenders", tenderBodyFor(f.P.ID, "00000000-0000-4000-8000-000000000000"))
	if res.Code != http.StatusBadRequest || res.JSON(t)["fields"].(map[string]any)["soqId"] == nil {
		t.Errorf("unknown SOQ: %d %s", res.Code, res.Body)
	}
	// Unknown fields and wrong types are refused as the SOQ API refuses them.
	bad := tenderBodyFor(f.P.ID, soqID)
	bad["sealed"] = "yes"
	if res := f.clients["owner"].do("POST", "/api/tenders", bad); res.Code != http.StatusBadRequest {
		t.Errorf("wrong type: %d %s", res.Code, res.Body)
	}
	id := draftTender(t, f, soqID)
	bad = tenderBodyFor(f.P.ID, soqID)
	bad["closesAt"] = "tomorrow"
	if res := f.clients["owner"].do("PUT", "/api/tenders/"+id, bad); res.Code != http.StatusBadRequest {
		t.Errorf("PUT invalid: %d %s", res.Code, res.Body)
	}
	stale := tenderBodyFor(f.P.ID, soqID)
	stale["version"] = 99
	if res := f.clients["owner"].do("PUT", "/api/tenders/"+id, stale); res.Code != http.StatusConflict {
		t.Errorf("PUT stale version: %d %s", res.Code, res.Body)
	}
}

func TestTenderOpenRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res := f.clients["owner"].do("POST", "/api/soq", soqBodyFor(f.P.ID)) // a draft SOQ
	if res.Code != http.StatusCreated {
		t.Fatalf("SOQ: %d %s", res.Code, res.Body)
	}
	id := draftTender(t, f, res.JSON(t)["id"].(string))
	res = f.clients["owner"].do("POST", "/api/tenders/"+id+"/open", nil)
	if res.Code != http.StatusBadRequest || res.JSON(t)["fields"].(map[string]any)["soqId"] == nil {
		t.Errorf("open on a draft SOQ: %d %s", res.Code, res.Body)
	}
	if got := f.clients["owner"].get("/api/tenders/" + id).JSON(t); got["status"] != "draft" {
		t.Errorf("status after refusal %v", got["status"])
	}
}

func TestTenderClose(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := draftTender(t, f, issuedSOQ(t, f))
	if res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	// Before the closing time, with the invited bidder neither submitted nor declined.
	res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/close", nil)
	if res.Code != http.StatusConflict || !strings.Contains(res.JSON(t)["error"].(string), "b@example.com") {
		t.Errorf("early close: %d %s", res.Code, res.Body)
	}
	if res := f.clients["bidder"].do("POST", "/api/tenders/"+id+"/close", nil); res.Code != http.StatusNotFound {
		t.Errorf("bidder close: %d", res.Code)
	}
	// Once the bidder declines, nothing is awaited.
	if _, err := f.a.st.DB().Exec(`UPDATE tender_invitees SET intent = 'declined' WHERE tender_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	res = f.clients["inhouse"].do("POST", "/api/tenders/"+id+"/close", nil)
	if res.Code != http.StatusOK || res.JSON(t)["status"] != "closed" {
		t.Fatalf("close: %d %s", res.Code, res.Body)
	}
	res = f.clients["owner"].do("POST", "/api/tenders/"+id+"/close", nil)
	if res.Code != http.StatusConflict || res.JSON(t)["error"] != "The tender is already closed." {
		t.Errorf("second close: %d %s", res.Code, res.Body)
	}
}

// TestTenderBidderVisibility: a bidder sees an opened tender it is invited to or of its
// trade, and no other (404, as if it did not exist).
func TestTenderBidderVisibility(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := draftTender(t, f, issuedSOQ(t, f)) // Civil Works; invites b@example.com
	if res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	stranger := f.a.user(authz.RoleBidder, "b2@example.com") // the first trade, not Civil Works
	cats, err := f.a.st.Categories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	civil := cats[slices.IndexFunc(cats, func(c store.Category) bool { return c.Name == "Civil Works" })].ID
	hash, _ := f.a.h.HashPassword(testPassword)
	if _, err := f.a.st.CreateUser(context.Background(), store.NewUser{Name: "Trade Bidder", Email: "b3@example.com",
		PasswordHash: hash, Role: authz.RoleBidder, Entity: "Civil Co", CategoryID: civil}); err != nil {
		t.Fatal(err)
	}
	for email, code := range map[string]int{"b@example.com": 200, "b3@example.com": 200, stranger.Email: 404} {
		c := f.a.login(email)
		res := c.get("/api/tenders/" + id)
		if res.Code != code {
			t.Errorf("%s: %d, want %d", email, res.Code, code)
			continue
		}
		if code == 200 {
			if m := res.JSON(t); m["invitees"] != nil || len(m["sections"].([]any)) != 2 {
				t.Errorf("%s sees %v", email, m)
			}
		}
		// Bidders never change a tender.
		if res := c.do("POST", "/api/tenders/"+id+"/close", nil); res.Code != http.StatusNotFound {
			t.Errorf("%s close: %d", email, res.Code)
		}
	}
}

// TestTenderCancel: the team cancels a draft, open or closed tender; an awarded or
// cancelled one is refused with the transition's sentence; bidders and outsiders never
// reach it.
func TestTenderCancel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	soqID := issuedSOQ(t, f)
	draft := draftTender(t, f, soqID)
	for _, role := range []string{"bidder", "outsider", "otherOwner"} {
		if res := f.clients[role].do("POST", "/api/tenders/"+draft+"/cancel", nil); res.Code != http.StatusNotFound {
			t.Errorf("%s cancel: %d", role, res.Code)
		}
	}
	if res := f.clients["anonymous"].do("POST", "/api/tenders/"+draft+"/cancel", nil); res.Code != http.StatusUnauthorized {
		t.Errorf("anonymous cancel: %d", res.Code)
	}
	res := f.clients["owner"].do("POST", "/api/tenders/"+draft+"/cancel", nil)
	if res.Code != http.StatusOK || res.JSON(t)["status"] != "cancelled" {
		t.Fatalf("cancel a draft: %d %s", res.Code, res.Body)
	}
	res = f.clients["owner"].do("POST", "/api/tenders/"+draft+"/cancel", nil)
	if res.Code != http.StatusConflict || res.JSON(t)["error"] != "The tender is already cancelled." {
		t.Errorf("cancel twice: %d %s", res.Code, res.Body)
	}

	open := draftTender(t, f, soqID)
	if res := f.clients["owner"].do("POST", "/api/tenders/"+open+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	if res := f.clients["bidder"].do("POST", "/api/tenders/"+open+"/cancel", nil); res.Code != http.StatusNotFound {
		t.Errorf("invited bidder cancel: %d", res.Code)
	}
	res = f.clients["inhouse"].do("POST", "/api/tenders/"+open+"/cancel", nil)
	if res.Code != http.StatusOK || res.JSON(t)["status"] != "cancelled" {
		t.Fatalf("cancel an open tender: %d %s", res.Code, res.Body)
	}

	awarded := draftTender(t, f, soqID)
	if _, err := f.a.st.DB().Exec(`UPDATE tenders SET status = 'awarded', opened_at = now(), closed_at = now(), awarded_at = now() WHERE id = $1`, awarded); err != nil {
		t.Fatal(err)
	}
	res = f.clients["owner"].do("POST", "/api/tenders/"+awarded+"/cancel", nil)
	if res.Code != http.StatusConflict || !strings.Contains(res.JSON(t)["error"].(string), "awarded") {
		t.Errorf("cancel an awarded tender: %d %s", res.Code, res.Body)
	}
	if got := f.clients["owner"].get("/api/tenders/" + awarded).JSON(t); got["status"] != "awarded" {
		t.Errorf("status after refusal %v", got["status"])
	}
}

// TestTenderBidderList: GET /api/tenders without ?projectId= lists for a bidder the opened
// tenders inviting it or of its trade; drafts never; the team still needs ?projectId=.
func TestTenderBidderList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	soqID := issuedSOQ(t, f)
	draftTender(t, f, soqID)       // a draft inviting b@example.com: never listed
	id := draftTender(t, f, soqID) // Civil Works; invites b@example.com
	if res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	stranger := f.a.user(authz.RoleBidder, "b2@example.com") // the first trade, not Civil Works
	cats, err := f.a.st.Categories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	civil := cats[slices.IndexFunc(cats, func(c store.Category) bool { return c.Name == "Civil Works" })].ID
	hash, _ := f.a.h.HashPassword(testPassword)
	if _, err := f.a.st.CreateUser(context.Background(), store.NewUser{Name: "Trade Bidder", Email: "b3@example.com",
		PasswordHash: hash, Role: authz.RoleBidder, Entity: "Civil Co", CategoryID: civil}); err != nil {
		t.Fatal(err)
	}
	for email, want := range map[string][]string{"b@example.com": {id}, "b3@example.com": {id}, stranger.Email: {}} {
		res := f.a.login(email).get("/api/tenders")
		if res.Code != http.StatusOK {
			t.Errorf("%s: %d %s", email, res.Code, res.Body)
			continue
		}
		m := res.JSON(t)
		var got []string
		for _, x := range m["tenders"].([]any) {
			tj := x.(map[string]any)
			got = append(got, tj["id"].(string))
			if tj["invitees"] != nil {
				t.Errorf("%s sees invitees %v", email, tj["invitees"])
			}
		}
		if !slices.Equal(got, want) || m["total"] != float64(len(want)) || m["page"] != 1.0 || m["perPage"] != 25.0 {
			t.Errorf("%s: %v, want %v (%v)", email, got, want, m)
		}
	}
	if res := f.clients["bidder"].get("/api/tenders?perPage=0"); res.Code != http.StatusBadRequest {
		t.Errorf("bidder perPage=0: %d", res.Code)
	}
	if res := f.clients["bidder"].get("/api/tenders?projectId=" + f.P.ID); res.Code != http.StatusNotFound {
		t.Errorf("bidder with projectId: %d", res.Code)
	}
	if res := f.clients["owner"].get("/api/tenders"); res.Code != http.StatusBadRequest {
		t.Errorf("owner without projectId: %d %s", res.Code, res.Body)
	}
	if res := f.clients["anonymous"].get("/api/tenders"); res.Code != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", res.Code)
	}
}
