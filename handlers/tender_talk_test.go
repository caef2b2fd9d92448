package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// talkFixture is f with an open tender of P inviting "bidder" (no trades, so only the
// invitee may bid), a second bidder ("stranger") it is not open to, and the frozen
// copy's item ids by reference.
func talkFixture(t *testing.T) (*fixture, string, map[string]string) {
	t.Helper()
	f := newFixture(t)
	u := f.a.user(authz.RoleBidder, "b2@example.com")
	f.users["stranger"], f.clients["stranger"] = u, f.a.login(u.Email)
	body := tenderBodyFor(f.P.ID, issuedSOQ(t, f))
	body["categories"] = []string{}
	res := f.clients["owner"].do("POST", "/api/tenders", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("create tender: %d %s", res.Code, res.Body)
	}
	id := res.JSON(t)["id"].(string)
	res = f.clients["owner"].do("POST", "/api/tenders/"+id+"/open", nil)
	if res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	items := map[string]string{}
	for _, s := range res.JSON(t)["sections"].([]any) {
		for _, it := range s.(map[string]any)["items"].([]any) {
			m := it.(map[string]any)
			items[m["reference"].(string)] = m["id"].(string)
		}
	}
	return f, id, items
}

type talkCase struct {
	who, method, path string
	body              any
	want              int
}

func runTalkCases(t *testing.T, f *fixture, cases []talkCase) {
	t.Helper()
	for _, c := range cases {
		res := f.clients[c.who].do(c.method, c.path, c.body)
		if res.Code != c.want {
			t.Errorf("%s %s %s: %d, want %d: %s", c.who, c.method, c.path, res.Code, c.want, res.Body)
		}
		if res.Code >= 500 {
			t.Errorf("%s %s %s: a 5xx", c.who, c.method, c.path)
		}
	}
}

func TestTenderTalkAccess(t *testing.T) {
	t.Parallel()
	f, id, items := talkFixture(t)
	base := "/api/tenders/" + id
	intent := map[string]any{"intent": "bidding"}
	addendum := map[string]any{"text": "Site visit on Monday."}
	question := map[string]any{"text": "Which cement?"}
	runTalkCases(t, f, []talkCase{
		// Intent: a bidder the tender is open to; the team lacks SUBMIT_BID (403).
		{"bidder", "POST", base + "/intent", intent, 200},
		{"stranger", "POST", base + "/intent", intent, 404},
		{"owner", "POST", base + "/intent", intent, 403},
		{"inhouse", "POST", base + "/intent", intent, 403},
		{"otherOwner", "POST", base + "/intent", intent, 403},
		{"anonymous", "POST", base + "/intent", intent, 401},
		{"bidder", "POST", base + "/intent", map[string]any{"intent": "maybe"}, 400},
		// Addenda: the team issues (off the team: 404).
		{"owner", "POST", base + "/addenda", addendum, 201},
		{"inhouse", "POST", base + "/addenda", addendum, 201},
		{"otherOwner", "POST", base + "/addenda", addendum, 404},
		{"outsider", "POST", base + "/addenda", addendum, 404},
		{"bidder", "POST", base + "/addenda", addendum, 404},
		{"owner", "POST", base + "/addenda", map[string]any{"text": " "}, 400},
		{"owner", "POST", base + "/addenda", map[string]any{"text": "x", "closesAt": "2020-01-01T10:00"}, 400},
		{"owner", "POST", base + "/addenda", map[string]any{"text": "x", "changes": []any{map[string]any{"itemId": id, "quantity": 2}}}, 400},
		{"owner", "POST", base + "/addenda", map[string]any{"text": "x", "changes": []any{map[string]any{"itemId": items["A1"], "quantity": "2"}}}, 400},
		{"owner", "POST", base + "/addenda", map[string]any{"text": "x", "unknown": 1}, 400},
		{"owner", "GET", base + "/addenda", nil, 200},
		{"bidder", "GET", base + "/addenda", nil, 200},
		{"stranger", "GET", base + "/addenda", nil, 404},
		{"otherOwner", "GET", base + "/addenda", nil, 404},
		// Acknowledgements: the bidder's.
		{"bidder", "POST", base + "/addenda/1/acknowledge", nil, 200},
		{"bidder", "POST", base + "/addenda/1/acknowledge", nil, 200},
		{"bidder", "POST", base + "/addenda/9/acknowledge", nil, 404},
		{"bidder", "POST", base + "/addenda/x/acknowledge", nil, 404},
		{"stranger", "POST", base + "/addenda/1/acknowledge", nil, 404},
		{"owner", "POST", base + "/addenda/1/acknowledge", nil, 403},
		// Questions: bidders ask, everyone it concerns lists.
		{"bidder", "POST", base + "/questions", question, 201},
		{"bidder", "POST", base + "/questions", map[string]any{"text": ""}, 400},
		{"stranger", "POST", base + "/questions", question, 404},
		{"owner", "POST", base + "/questions", question, 403},
		{"owner", "GET", base + "/questions", nil, 200},
		{"inhouse", "GET", base + "/questions", nil, 200},
		{"bidder", "GET", base + "/questions", nil, 200},
		{"stranger", "GET", base + "/questions", nil, 404},
		{"otherOwner", "GET", base + "/questions", nil, 404},
		{"owner", "GET", "/api/tenders/00000000-0000-4000-8000-000000000000/questions", nil, 404},
	})
	if n := f.a.count(`SELECT count(*) FROM addenda WHERE tender_id = $1`, id); n != 2 {
		t.Errorf("%d addenda, want the owner's and the in-house user's", n)
	}

	var qid string
	if err := f.a.st.DB().Get(&qid, `SELECT id::text FROM questions WHERE tender_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	answer := map[string]any{"text": "CEM I.", "publish": true}
	runTalkCases(t, f, []talkCase{
		{"owner", "POST", base + "/questions/" + qid + "/answer", answer, 200},
		{"inhouse", "POST", base + "/questions/" + qid + "/answer", answer, 200},
		{"bidder", "POST", base + "/questions/" + qid + "/answer", answer, 404},
		{"otherOwner", "POST", base + "/questions/" + qid + "/answer", answer, 404},
		{"owner", "POST", base + "/questions/" + qid + "/answer", map[string]any{"text": ""}, 400},
		{"owner", "POST", base + "/questions/" + id + "/answer", answer, 404},
		{"owner", "POST", base + "/questions/nope/answer", answer, 404},
	})

	// Closed: every change is a 409; the lists still answer.
	if err := f.a.st.CloseTender(context.Background(), id, f.users["owner"].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	runTalkCases(t, f, []talkCase{
		{"bidder", "POST", base + "/intent", intent, 409},
		{"owner", "POST", base + "/addenda", addendum, 409},
		{"bidder", "POST", base + "/addenda/1/acknowledge", nil, 409},
		{"bidder", "POST", base + "/questions", question, 409},
		{"owner", "POST", base + "/questions/" + qid + "/answer", answer, 409},
		{"bidder", "GET", base + "/addenda", nil, 200},
		{"bidder", "GET", base + "/questions", nil, 200},
	})
}

func TestTenderTalkShapes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, id, items := talkFixture(t)
	base := "/api/tenders/" + id
	bidder := f.users["bidder"]

	res := f.clients["bidder"].do("POST", base+"/intent", map[string]any{"intent": "bidding"})
	if res.Code != 200 || res.JSON(t)["intent"] != "bidding" {
		t.Fatalf("intent: %d %s", res.Code, res.Body)
	}
	if got := f.clients["owner"].get(base).JSON(t)["invitees"].([]any); got[0].(map[string]any)["intent"] != "bidding" {
		t.Errorf("the team's invitees %v", got)
	}

	// A submitted bid goes back to draft: A1 kept, B1 (altered) dropped; the B2 allowance
	// is removed.
	rates := []tender.Rate{{ItemID: items["A1"], Rate: 100}, {ItemID: items["B1"], Rate: 200}}
	if _, err := f.a.st.SubmitBid(ctx, id, bidder.ID, bidder.EntityID, store.BidInput{Rates: rates}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	closes := time.Now().Add(96 * time.Hour).UTC().Truncate(time.Minute)
	res = f.clients["owner"].do("POST", base+"/addenda", map[string]any{"text": "B1 changes, B2 goes.",
		"closesAt":      closes.Format("2006-01-02T15:04"), // the project's zone (UTC)
		"changes":       []any{map[string]any{"itemId": items["B1"], "quantity": 3.5, "description": "Deeper"}},
		"removeItemIds": []string{items["B2"]}})
	if res.Code != http.StatusCreated {
		t.Fatalf("addendum: %d %s", res.Code, res.Body)
	}
	m := res.JSON(t)
	if m["number"] != 1.0 || m["changed"] != 1.0 || m["removed"] != 1.0 || m["closesAt"] != closes.Format(time.RFC3339) || m["acks"] != 0.0 {
		t.Errorf("addendum %v", m)
	}
	b, err := f.a.st.BidOf(ctx, id, bidder.ID)
	if err != nil || b.Status != tender.BidDraft || len(b.Rates) != 1 || b.Rates[0].ItemID != items["A1"] || b.Total != 100 {
		t.Errorf("bid after the addendum: %+v, %v", b, err)
	}
	if got := f.clients["owner"].get(base).JSON(t)["closesAt"]; got != closes.Format(time.RFC3339) {
		t.Errorf("tender closesAt %v", got)
	}

	list := f.clients["bidder"].get(base + "/addenda").JSON(t)["addenda"].([]any)
	if a := list[0].(map[string]any); a["acknowledged"] != false || a["acks"] != nil {
		t.Errorf("bidder's addenda %v", list)
	}
	res = f.clients["bidder"].do("POST", base+"/addenda/1/acknowledge", nil)
	if a := res.JSON(t); res.Code != 200 || a["acknowledged"] != true || a["acknowledgedAt"] == nil {
		t.Errorf("acknowledge: %d %v", res.Code, a)
	}
	if a := f.clients["owner"].get(base + "/addenda").JSON(t)["addenda"].([]any)[0].(map[string]any); a["acks"] != 1.0 || a["acknowledged"] != nil {
		t.Errorf("team's addenda %v", a)
	}

	// Questions: the team sees who asked; bidders never do.
	res = f.clients["bidder"].do("POST", base+"/questions", map[string]any{"text": "Is B1 in m3?"})
	if res.Code != http.StatusCreated {
		t.Fatalf("ask: %d %s", res.Code, res.Body)
	}
	q := res.JSON(t)
	if q["mine"] != true || q["answer"] != nil || q["published"] != false {
		t.Errorf("asked %v", q)
	}
	if _, ok := q["askedBy"]; ok {
		t.Errorf("the asker's name went to a bidder: %v", q)
	}
	team := f.clients["owner"].get(base + "/questions").JSON(t)["questions"].([]any)
	if len(team) != 1 || team[0].(map[string]any)["askedBy"] != bidder.Name {
		t.Errorf("team's questions %v", team)
	}
	res = f.clients["owner"].do("POST", base+"/questions/"+q["id"].(string)+"/answer", map[string]any{"text": "Yes.", "publish": true})
	if a := res.JSON(t); res.Code != 200 || a["answer"] != "Yes." || a["published"] != true {
		t.Errorf("answer: %d %v", res.Code, a)
	}
	got := f.clients["bidder"].get(base + "/questions").Body
	if strings.Contains(got, bidder.Name) || strings.Contains(got, "askedBy") {
		t.Errorf("bidder's questions name the asker: %s", got)
	}
}

// An invited bidder who declines through the API no longer holds the tender open: the
// owner may close it early (apiTenderClose reads the invitation's intent).
func TestDeclinedIntentLetsTheOwnerCloseEarly(t *testing.T) {
	t.Parallel()
	f, id, _ := talkFixture(t)
	if res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/close", nil); res.Code != http.StatusConflict {
		t.Fatalf("close early while the invitee is undecided: %d %s", res.Code, res.Body)
	}
	if res := f.clients["bidder"].do("POST", "/api/tenders/"+id+"/intent", map[string]any{"intent": "declined"}); res.Code != 200 {
		t.Fatalf("decline: %d %s", res.Code, res.Body)
	}
	if res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/close", nil); res.Code != http.StatusOK {
		t.Errorf("close early once declined: %d %s", res.Code, res.Body)
	}
}
