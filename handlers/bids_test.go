package handlers

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
)

// bidTender is an open tender of soqBodyFor's SOQ on f.P (A1 preliminaries ×1, B1
// measured ×12.5, B2 a provisional sum of 500000), inviting b@example.com, with its
// frozen items' ids by reference.
type bidTender struct {
	id    string
	items map[string]string
}

func openBidTender(t *testing.T, f *fixture) bidTender {
	t.Helper()
	id := draftTender(t, f, issuedSOQ(t, f))
	res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/open", nil)
	if res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	bt := bidTender{id: id, items: map[string]string{}}
	for _, s := range res.JSON(t)["sections"].([]any) {
		for _, it := range s.(map[string]any)["items"].([]any) {
			m := it.(map[string]any)
			bt.items[m["reference"].(string)] = m["id"].(string)
		}
	}
	return bt
}

// rates is a bid body pricing A1 and B1 (B2 is the allowance, left out).
func (bt bidTender) body(a1, b1 int64, submit bool) map[string]any {
	return map[string]any{"rates": []any{
		map[string]any{"itemId": bt.items["A1"], "rate": a1},
		map[string]any{"itemId": bt.items["B1"], "rate": b1},
	}, "qualifications": "Excludes rock.", "submit": submit}
}

// civilBidder is another bidder of the tender's trade (Civil Works), of its own company.
func civilBidder(t *testing.T, f *fixture, email, company string) *client {
	t.Helper()
	cats, err := f.a.st.Categories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	civil := cats[slices.IndexFunc(cats, func(c store.Category) bool { return c.Name == "Civil Works" })].ID
	hash, _ := f.a.h.HashPassword(testPassword)
	if _, err := f.a.st.CreateUser(context.Background(), store.NewUser{Name: company + " Estimator", Email: email,
		PasswordHash: hash, Role: authz.RoleBidder, Entity: company, CategoryID: civil}); err != nil {
		t.Fatal(err)
	}
	return f.a.login(email)
}

// closeNow moves the tender's closing time just past, as if it had arrived, without the
// closing job.
func closeNow(t *testing.T, f *fixture, id string) {
	t.Helper()
	if _, err := f.a.st.DB().Exec(`UPDATE tenders SET closes_at = clock_timestamp() - interval '1 millisecond' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
}

func amountOf(t *testing.T, v any) float64 {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an amount: %v", v)
	}
	if m["currency"] != "usd" {
		t.Errorf("currency %v", m["currency"])
	}
	return m["amount"].(float64)
}

func TestBidDraftSubmitRevisionsWithdraw(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bt := openBidTender(t, f)
	b := f.clients["bidder"]
	path := "/api/tenders/" + bt.id + "/bids"

	// A draft: 200, its running total (the bidder's own) computed on the server.
	res := b.do("POST", path, map[string]any{"rates": []any{map[string]any{"itemId": bt.items["A1"], "rate": 1000000}}, "submit": false})
	if res.Code != http.StatusOK {
		t.Fatalf("draft: %d %s", res.Code, res.Body)
	}
	d := res.JSON(t)
	if d["status"] != "draft" || d["revision"] != 0.0 || amountOf(t, d["total"]) != 1000000+500000 {
		t.Errorf("draft %v", d)
	}
	bidID := d["id"].(string)

	// Missing lines: 409 naming them, with a list for machines.
	res = b.do("POST", path, map[string]any{"rates": []any{}, "submit": true})
	if res.Code != http.StatusConflict || !strings.Contains(res.Body, "B1") {
		t.Fatalf("submit with B1 unpriced: %d %s", res.Code, res.Body)
	}
	miss := res.JSON(t)["missing"].(map[string]any)["lines"].([]any)
	if len(miss) != 1 || miss[0].(map[string]any)["reference"] != "B1" || miss[0].(map[string]any)["itemId"] != bt.items["B1"] {
		t.Errorf("missing %v", miss)
	}

	// Submit: 201, the total the server's (a client's "total" is not even read).
	body := bt.body(1000000, 2000, true)
	body["rates"] = append(body["rates"].([]any), map[string]any{"itemId": bt.items["B2"], "rate": 500000})
	res = b.do("POST", path, body)
	if res.Code != http.StatusCreated {
		t.Fatalf("submit: %d %s", res.Code, res.Body)
	}
	s := res.JSON(t)
	if s["id"] != bidID || s["revision"] != 1.0 || s["status"] != "submitted" || amountOf(t, s["total"]) != 1000000+25000+500000 {
		t.Errorf("submitted %v", s)
	}
	// A total sent by the client is refused as an unknown field, never used.
	body["total"] = 1
	if res := b.do("POST", path, body); res.Code != http.StatusBadRequest {
		t.Errorf("a client total: %d %s", res.Code, res.Body)
	}
	// Revisions count up; a submitted bid is not saved as a draft.
	res = b.do("POST", path, bt.body(900000, 2000, true))
	if res.Code != http.StatusCreated || res.JSON(t)["revision"] != 2.0 || amountOf(t, res.JSON(t)["total"]) != 900000+25000+500000 {
		t.Errorf("resubmit: %d %s", res.Code, res.Body)
	}
	if res := b.do("POST", path, bt.body(1, 1, false)); res.Code != http.StatusConflict {
		t.Errorf("draft over a submitted bid: %d %s", res.Code, res.Body)
	}
	// A refused rate: 400 naming the line; an unknown item too.
	res = b.do("POST", path, map[string]any{"rates": []any{map[string]any{"itemId": bt.items["B2"], "rate": 1},
		map[string]any{"itemId": "not-an-item", "rate": 5}}, "submit": true})
	if res.Code != http.StatusBadRequest || !strings.Contains(res.Body, "B2") || !strings.Contains(res.Body, "not-an-item") {
		t.Errorf("refused rates: %d %s", res.Code, res.Body)
	}

	// The bidder reads its own bid, with rates.
	res = b.get(path + "/" + bidID)
	if res.Code != http.StatusOK || res.JSON(t)["revision"] != 2.0 || len(res.JSON(t)["rates"].([]any)) != 2 {
		t.Errorf("own bid: %d %s", res.Code, res.Body)
	}
	if res := b.get(path); res.Code != http.StatusOK || len(res.JSON(t)["bids"].([]any)) != 1 {
		t.Errorf("own list: %d %s", res.Code, res.Body)
	}

	// Another bidder's bid is not found; its own list is empty.
	other := civilBidder(t, f, "civil@example.com", "Civil Co")
	if res := other.get(path + "/" + bidID); res.Code != http.StatusNotFound {
		t.Errorf("another bidder's bid: %d %s", res.Code, res.Body)
	}
	if res := other.get(path); res.Code != http.StatusOK || len(res.JSON(t)["bids"].([]any)) != 0 {
		t.Errorf("other's list: %d %s", res.Code, res.Body)
	}
	if res := other.do("POST", path+"/"+bidID+"/withdraw", nil); res.Code != http.StatusNotFound {
		t.Errorf("another bidder withdraws: %d %s", res.Code, res.Body)
	}
	// The team may not bid (403); a bidder the tender is not open to does not see it (404).
	if res := f.clients["owner"].do("POST", path, bt.body(1, 1, true)); res.Code != http.StatusForbidden {
		t.Errorf("owner bids: %d %s", res.Code, res.Body)
	}
	stranger := f.a.user(authz.RoleBidder, "stranger@example.com")
	if res := f.a.login(stranger.Email).do("POST", path, bt.body(1, 1, true)); res.Code != http.StatusNotFound {
		t.Errorf("bidder not invited: %d %s", res.Code, res.Body)
	}

	// Withdraw: 200 withdrawn; again: 409.
	res = b.do("POST", path+"/"+bidID+"/withdraw", nil)
	if res.Code != http.StatusOK || res.JSON(t)["status"] != "withdrawn" {
		t.Errorf("withdraw: %d %s", res.Code, res.Body)
	}
	if res := b.do("POST", path+"/"+bidID+"/withdraw", nil); res.Code != http.StatusConflict {
		t.Errorf("withdraw twice: %d %s", res.Code, res.Body)
	}
}

func TestBidLateAtClosingInstant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bt := openBidTender(t, f)
	b := f.clients["bidder"]
	path := "/api/tenders/" + bt.id + "/bids"
	res := b.do("POST", path, bt.body(1000000, 2000, true))
	if res.Code != http.StatusCreated {
		t.Fatalf("submit: %d %s", res.Code, res.Body)
	}
	bidID := res.JSON(t)["id"].(string)
	// Leveling waits for the close.
	if res := f.clients["owner"].get("/api/tenders/" + bt.id + "/leveling"); res.Code != http.StatusConflict {
		t.Errorf("leveling while open: %d %s", res.Code, res.Body)
	}
	closeNow(t, f, bt.id) // the job has not run: the tender is still "open"
	for _, body := range []map[string]any{bt.body(1, 1, true), bt.body(1, 1, false)} {
		if res := b.do("POST", path, body); res.Code != http.StatusConflict {
			t.Errorf("late bid (submit %v): %d %s", body["submit"], res.Code, res.Body)
		}
	}
	if res := b.do("POST", path+"/"+bidID+"/withdraw", nil); res.Code != http.StatusConflict {
		t.Errorf("late withdrawal: %d %s", res.Code, res.Body)
	}
	// Past the closing instant the team sees the total, and leveling answers.
	res = f.clients["owner"].get(path)
	if res.Code != http.StatusOK {
		t.Fatalf("list: %d", res.Code)
	}
	bids := res.JSON(t)["bids"].([]any)
	if len(bids) != 1 || amountOf(t, bids[0].(map[string]any)["total"]) != 1525000 {
		t.Errorf("team list after closing %v", bids)
	}
	res = f.clients["owner"].get("/api/tenders/" + bt.id + "/leveling")
	if res.Code != http.StatusOK {
		t.Fatalf("leveling: %d %s", res.Code, res.Body)
	}
	lv := res.JSON(t)
	if lb := lv["bids"].([]any); len(lb) != 1 || amountOf(t, lb[0].(map[string]any)["total"]) != 1525000 ||
		lb[0].(map[string]any)["lowest"] != true || lb[0].(map[string]any)["costPerM2"] != nil {
		t.Errorf("leveling bids %v", lb)
	}
	if len(lv["lines"].([]any)) != 3 || len(lv["sections"].([]any)) != 2 {
		t.Errorf("leveling %v", lv)
	}
	// Bidders never level.
	if res := b.get("/api/tenders/" + bt.id + "/leveling"); res.Code != http.StatusNotFound {
		t.Errorf("bidder leveling: %d", res.Code)
	}
	res = f.clients["inhouse"].get("/tenders/" + bt.id + "/leveling.xlsx")
	if res.Code != http.StatusOK || !strings.HasPrefix(res.Body, "PK") {
		t.Errorf("leveling.xlsx: %d %.40q", res.Code, res.Body)
	}
}

// closedWithBids is a closed tender with bids of three bidders (totals lowest first:
// civil2, bidder, civil1).
func closedWithBids(t *testing.T, f *fixture) (bidTender, map[string]string) {
	t.Helper()
	bt := openBidTender(t, f)
	path := "/api/tenders/" + bt.id + "/bids"
	bids := map[string]string{}
	for name, c := range map[string]*client{"bidder": f.clients["bidder"],
		"civil1": civilBidder(t, f, "c1@example.com", "Civil One"), "civil2": civilBidder(t, f, "c2@example.com", "Civil Two")} {
		a1 := map[string]int64{"bidder": 1000000, "civil1": 1200000, "civil2": 800000}[name]
		res := c.do("POST", path, bt.body(a1, 2000, true))
		if res.Code != http.StatusCreated {
			t.Fatalf("%s submits: %d %s", name, res.Code, res.Body)
		}
		bids[name] = res.JSON(t)["id"].(string)
	}
	closeNow(t, f, bt.id)
	if res := f.clients["owner"].do("POST", "/api/tenders/"+bt.id+"/close", nil); res.Code != http.StatusOK {
		t.Fatalf("close: %d %s", res.Code, res.Body)
	}
	return bt, bids
}

func TestAwardMakesContract(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bt, bids := closedWithBids(t, f)
	award := "/api/tenders/" + bt.id + "/award"
	if res := f.clients["bidder"].do("POST", award, map[string]any{"bidId": bids["bidder"]}); res.Code != http.StatusNotFound {
		t.Errorf("bidder awards: %d", res.Code)
	}
	if res := f.clients["owner"].do("POST", award, map[string]any{"bidId": "00000000-0000-4000-8000-000000000000"}); res.Code != http.StatusBadRequest {
		t.Errorf("unknown bid: %d %s", res.Code, res.Body)
	}
	res := f.clients["owner"].do("POST", award, map[string]any{"bidId": bids["civil2"]})
	if res.Code != http.StatusOK {
		t.Fatalf("award: %d %s", res.Code, res.Body)
	}
	m := res.JSON(t)
	k := m["contract"].(map[string]any)
	if m["tender"].(map[string]any)["status"] != "awarded" || k["bidId"] != bids["civil2"] || k["tenderId"] != bt.id ||
		amountOf(t, k["sum"]) != 800000+25000+500000 || k["contractor"].(map[string]any)["name"] != "Civil Two" {
		t.Errorf("award %v", m)
	}
	if res := f.clients["owner"].do("POST", award, map[string]any{"bidId": bids["bidder"]}); res.Code != http.StatusConflict {
		t.Errorf("second award: %d %s", res.Code, res.Body)
	}
	// The contract: the team and the contractor's bidder; no one else.
	kid := k["id"].(string)
	for name, want := range map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "bidder": 404, "otherOwner": 404, "outsider": 404} {
		if res := f.clients[name].get("/api/contracts/" + kid); res.Code != want {
			t.Errorf("%s GET contract: %d, want %d", name, res.Code, want)
		}
	}
	if res := f.a.login("c2@example.com").get("/api/contracts/" + kid); res.Code != http.StatusOK || res.JSON(t)["id"] != kid {
		t.Errorf("contractor GET contract: %d %s", res.Code, res.Body)
	}
	// Leveling after the award: awarded and unsuccessful bids, lowest first.
	lv := f.clients["owner"].get("/api/tenders/" + bt.id + "/leveling").JSON(t)
	lb := lv["bids"].([]any)
	if len(lb) != 3 || lb[0].(map[string]any)["status"] != "awarded" || lb[1].(map[string]any)["status"] != "unsuccessful" {
		t.Errorf("leveling after award %v", lb)
	}
	// A project with a contract is not deleted: 409 from the API and the page, nothing gone.
	if res := f.clients["admin"].do("DELETE", "/api/projects/"+f.P.ID, nil); res.Code != http.StatusConflict || !strings.Contains(res.Body, "contract") {
		t.Errorf("API delete of a project with a contract: %d %s", res.Code, res.Body)
	}
	if res := f.clients["admin"].form("/projects/"+f.P.ID+"/delete", nil); res.Code != http.StatusConflict {
		t.Errorf("page delete of a project with a contract: %d", res.Code)
	}
	if res := f.clients["owner"].get("/api/contracts/" + kid); res.Code != http.StatusOK {
		t.Errorf("the contract after the refused deletes: %d", res.Code)
	}
}

func TestAwardConcurrentOverHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bt, bids := closedWithBids(t, f)
	award := "/api/tenders/" + bt.id + "/award"
	order := []string{"bidder", "civil1", "civil2"}
	codes := make([]int, 20)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = f.clients[[]string{"owner", "inhouse"}[i%2]].do("POST", award, map[string]any{"bidId": bids[order[i%3]]}).Code
		}()
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
			conflict++
		}
	}
	if ok != 1 || conflict != 19 {
		t.Errorf("20 concurrent awards: %v, want one 200 and 19 409", codes)
	}
	if n := f.a.count(`SELECT count(*) FROM contracts WHERE tender_id = $1`, bt.id); n != 1 {
		t.Errorf("%d contracts, want 1", n)
	}
}

func TestActivityLedgerVerify(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bt := openBidTender(t, f)
	if res := f.clients["bidder"].do("POST", "/api/tenders/"+bt.id+"/bids", bt.body(1000000, 2000, true)); res.Code != http.StatusCreated {
		t.Fatalf("submit: %d %s", res.Code, res.Body)
	}
	base := "/api/projects/" + f.P.ID + "/activity"
	res := f.clients["inhouse"].get(base)
	if res.Code != http.StatusOK {
		t.Fatalf("activity: %d %s", res.Code, res.Body)
	}
	m := res.JSON(t)
	entries := m["activity"].([]any)
	if m["total"] != 3.0 || len(entries) != 3 || entries[0].(map[string]any)["kind"] != "bid-submitted" ||
		entries[2].(map[string]any)["kind"] != "created" || m["page"] != 1.0 {
		t.Errorf("activity %v", m)
	}
	if res := f.clients["owner"].get(base + "?perPage=1&page=2"); res.Code != http.StatusOK || len(res.JSON(t)["activity"].([]any)) != 1 {
		t.Errorf("paged: %d %s", res.Code, res.Body)
	}
	for _, who := range []string{"bidder", "outsider"} {
		if res := f.clients[who].get(base); res.Code != http.StatusNotFound {
			t.Errorf("%s activity: %d", who, res.Code)
		}
	}
	v := f.clients["owner"].get(base + "/verify").JSON(t)
	if v["ok"] != true || v["entries"] != 3.0 || v["firstBadEntry"] != nil {
		t.Errorf("verify %v", v)
	}
	page := f.clients["owner"].get("/projects/" + f.P.ID + "/activity")
	if page.Code != http.StatusOK || !strings.Contains(page.Body, "Chain verified") || !strings.Contains(page.Body, "Bid submitted") {
		t.Errorf("page: %d", page.Code)
	}

	// Someone edits an entry in SQL: the chain no longer holds, from that entry.
	var seq int64
	if err := f.a.st.DB().Get(&seq, `SELECT seq FROM activity WHERE project_id = $1 AND kind = 'opened'`, f.P.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.st.DB().Exec(`UPDATE activity SET content = content || '{"items":"99"}'::jsonb WHERE project_id = $2 AND seq = $1`, seq, f.P.ID); err != nil {
		t.Fatal(err)
	}
	v = f.clients["owner"].get(base + "/verify").JSON(t)
	if v["ok"] != false || v["firstBadEntry"] != float64(seq) {
		t.Errorf("verify after an edit %v, want firstBadEntry %d", v, seq)
	}
	page = f.clients["owner"].get("/projects/" + f.P.ID + "/activity")
	if page.Code != http.StatusOK || !strings.Contains(page.Body, "does not verify") {
		t.Errorf("page after an edit: %d", page.Code)
	}
}

// Leveling: a zero rate and front-loading flagged with reasons, the lowest rate marked,
// section subtotals, cost per m² and per unit from the project's units; the XLSX holds the
// same figures with the lowest bidder marked.
func TestLevelingFlagsCostsXLSX(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res := f.clients["owner"].do("POST", "/api/projects/"+f.P.ID+"/units", map[string]any{"units": []any{
		map[string]any{"unitNumber": "A-01", "unitType": "Townhouse", "totalFloorArea": 60, "numberOfFloors": 1, "numberOfRooms": 3, "numberOfBathrooms": 2,
			"floors": []any{map[string]any{"floorNumber": 1, "floorArea": 60}}},
		map[string]any{"unitNumber": "A-02", "unitType": "Townhouse", "totalFloorArea": 40, "numberOfFloors": 1, "numberOfRooms": 2, "numberOfBathrooms": 1,
			"floors": []any{map[string]any{"floorNumber": 1, "floorArea": 40}}}}})
	if res.Code != http.StatusCreated {
		t.Fatalf("units: %d %s", res.Code, res.Body)
	}
	bt := openBidTender(t, f)
	path := "/api/tenders/" + bt.id + "/bids"
	for c, b1 := range map[*client]int64{f.clients["bidder"]: 0, civilBidder(t, f, "c1@example.com", "Civil One"): 2000,
		civilBidder(t, f, "c2@example.com", "Civil Two"): 2400} {
		if res := c.do("POST", path, bt.body(100000, b1, true)); res.Code != http.StatusCreated {
			t.Fatalf("submit: %d %s", res.Code, res.Body)
		}
	}
	closeNow(t, f, bt.id)
	res = f.clients["inhouse"].get("/api/tenders/" + bt.id + "/leveling")
	if res.Code != http.StatusOK {
		t.Fatalf("leveling: %d %s", res.Code, res.Body)
	}
	lv := res.JSON(t)
	if lv["grossFloorArea"] != "100.00" || lv["units"] != 2.0 {
		t.Errorf("gfa %v units %v", lv["grossFloorArea"], lv["units"])
	}
	bids := lv["bids"].([]any)
	first, second := bids[0].(map[string]any), bids[1].(map[string]any)
	// Lowest first: the zero-rated bid (100000 + 0 + 500000), then Civil One (+25000).
	if amountOf(t, first["total"]) != 600000 || first["lowest"] != true || second["company"].(map[string]any)["name"] != "Civil One" ||
		amountOf(t, second["overLowest"]) != 25000 || second["lowest"] != false {
		t.Errorf("bids %v", bids)
	}
	if amountOf(t, second["costPerM2"]) != 6250 || amountOf(t, second["costPerUnit"]) != 312500 {
		t.Errorf("costs %v %v", second["costPerM2"], second["costPerUnit"])
	}
	if fl := first["flags"].([]any); len(fl) != 1 || fl[0].(map[string]any)["flag"] != "front-loaded" || fl[0].(map[string]any)["reason"] == "" {
		t.Errorf("bid flags %v", fl)
	}
	if first["flaggedLines"] != 1.0 {
		t.Errorf("flagged lines %v", first["flaggedLines"])
	}
	var b1 map[string]any
	for _, l := range lv["lines"].([]any) {
		if l.(map[string]any)["reference"] == "B1" {
			b1 = l.(map[string]any)
		}
	}
	offers := b1["offers"].([]any)
	zero, low := offers[0].(map[string]any), offers[1].(map[string]any)
	if zero["rate"] != 0.0 || zero["lowest"] != false || zero["flags"].([]any)[0].(map[string]any)["flag"] != "zero-rate" ||
		low["lowest"] != true || low["amount"] != 25000.0 {
		t.Errorf("B1 offers %v", offers)
	}
	secs := lv["sections"].([]any)
	if s := secs[1].(map[string]any); s["section"] != "B" || s["totals"].([]any)[1] != 525000.0 {
		t.Errorf("sections %v", secs)
	}

	res = f.clients["owner"].get("/api/tenders/" + bt.id + "/leveling.xlsx")
	if res.Code != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), "leveling-") {
		t.Fatalf("xlsx: %d %v", res.Code, res.Header)
	}
	x, err := excelize.OpenReader(strings.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Leveling")
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Join(rows[0], "|")
	if !strings.Contains(head, "(lowest) rate") || !strings.Contains(head, "Civil Two amount") || !strings.Contains(head, "Flags") {
		t.Errorf("header %q", head)
	}
	last := rows[len(rows)-1]
	if last[2] != "Total" || last[7] != "6,000.00" {
		t.Errorf("total row %q: the lowest bid's total is its first amount column", last)
	}
	if !strings.Contains(strings.Join(rows[3], "|"), "Zero rate") {
		t.Errorf("B1 row lacks its flag: %q", rows[3])
	}
	if cs, err := x.GetComments("Leveling"); err != nil || len(cs) != 1 || cs[0].Cell != "G4" {
		t.Errorf("comments %v %v", cs, err)
	}
	bidsSheet, _ := x.GetRows("Bids")
	if len(bidsSheet) != 4 || !strings.HasSuffix(bidsSheet[1][0], "(lowest)") {
		t.Errorf("bids sheet %q", bidsSheet)
	}
}
