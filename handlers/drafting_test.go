package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/14build/14build/drafting"
	"github.com/14build/14build/paths"
)

func unitsBrief(projectID string) map[string]any {
	return map[string]any{"projectId": projectID, "count": 3, "unitType": "Two-bed", "floors": 2, "totalArea": "250.01",
		"rooms": 4, "bathrooms": "2", "startNumber": "A-01"}
}

func TestAICreateUnitsPlanner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["inhouse"]
	// A-02 exists: the proposal numbers around it.
	res := c.do("POST", "/api/projects/"+f.P.ID+"/units", map[string]any{"units": []any{map[string]any{"unitNumber": "A-02", "unitType": "x",
		"totalFloorArea": 10, "numberOfFloors": 1, "numberOfRooms": 1, "numberOfBathrooms": 1,
		"floors": []any{map[string]any{"floorNumber": 1, "floorArea": 10}}}}})
	if res.Code != http.StatusCreated {
		t.Fatalf("unit: %d %s", res.Code, res.Body)
	}
	res = c.do("POST", paths.APIAICreateUnits(), unitsBrief(f.P.ID))
	if res.Code != http.StatusOK {
		t.Fatalf("create-units: %d %s", res.Code, res.Body)
	}
	var got struct {
		Units      []drafting.UnitProposal `json:"units"`
		ProposedBy string                  `json:"proposedBy"`
	}
	if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Units) != 3 || got.Units[0].UnitNumber != "A-01" || got.Units[1].UnitNumber != "A-03" || got.ProposedBy != "planner" {
		t.Fatalf("proposal %+v", got)
	}
	// 250.01 over 3 units: 83.34, 83.34, 83.33; over 2 floors: 41.67 + 41.67.
	if got.Units[0].TotalFloorArea != 83.34 || got.Units[2].TotalFloorArea != 83.33 || got.Units[0].Floors[0].FloorArea != 41.67 {
		t.Fatalf("areas %+v", got.Units)
	}
	if n := f.a.count(`SELECT count(*) FROM units WHERE project_id = $1`, f.P.ID); n != 1 {
		t.Fatalf("a proposal saved units: %d", n)
	}
	// The proposal goes through the normal batch unchanged, marked as drafted.
	res = c.do("POST", "/api/projects/"+f.P.ID+"/units", map[string]any{"units": got.Units, "createdByAI": true})
	if res.Code != http.StatusCreated {
		t.Fatalf("batch of the proposal: %d %s", res.Code, res.Body)
	}
	if n := f.a.count(`SELECT count(*) FROM units WHERE project_id = $1 AND created_by_ai`, f.P.ID); n != 3 {
		t.Fatalf("drafted units saved: %d", n)
	}

	// A free-text brief needs a service: 400 naming the field, not silently ignored.
	b := unitsBrief(f.P.ID)
	b["brief"] = "12 two-bed apartments"
	res = c.do("POST", paths.APIAICreateUnits(), b)
	if res.Code != http.StatusBadRequest || !strings.Contains(res.Body, "drafting service") {
		t.Fatalf("brief without service: %d %s", res.Code, res.Body)
	}
	b = unitsBrief(f.P.ID)
	b["count"] = "many"
	if res = c.do("POST", paths.APIAICreateUnits(), b); res.Code != http.StatusBadRequest || res.JSON(t)["fields"].(map[string]any)["count"] == nil {
		t.Fatalf("bad count: %d %s", res.Code, res.Body)
	}
	// Outsiders: 404; bidders: 404 (not on the team).
	for _, who := range []string{"outsider", "bidder"} {
		if res := f.clients[who].do("POST", paths.APIAICreateUnits(), unitsBrief(f.P.ID)); res.Code != http.StatusNotFound {
			t.Errorf("%s: %d", who, res.Code)
		}
	}
}

// fakeChat is an OpenAI-compatible chat-completions server answering with answer (the
// message content), or "429" or "slow".
type fakeChat struct {
	answer atomic.Value
	calls  atomic.Int32
}

func (f *fakeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	f.calls.Add(1)
	a := f.answer.Load().(string)
	w.Header().Set("Content-Type", "application/json")
	switch a {
	case "429":
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"message":"rate limited","type":"rate_limit"}}`))
		return
	case "slow":
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
			return
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"id": "c", "object": "chat.completion", "created": 1, "model": "m",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": a}}}})
}

func TestAICreateUnitsService(t *testing.T) {
	t.Parallel()
	fake := &fakeChat{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	f := newFixtureWith(t, func(c *Config) {
		c.Drafting = drafting.Config{BaseURL: srv.URL + "/v1", APIKey: "sk-very-secret", Model: "test-model", Timeout: 300 * time.Millisecond}
	})
	c := f.clients["owner"]
	body := map[string]any{"projectId": f.P.ID, "brief": "one townhouse of 85.5 m² over two floors", "startNumber": "T-1"}
	good := `{"units":[{"unitNumber":"T-1","unitType":"Townhouse","totalFloorArea":85.5,"numberOfFloors":2,"numberOfRooms":4,"numberOfBathrooms":2,` +
		`"floors":[{"floorNumber":1,"floorArea":42.75},{"floorNumber":2,"floorArea":42.75}]}]}`
	fake.answer.Store(good)
	res := c.do("POST", paths.APIAICreateUnits(), body)
	if res.Code != http.StatusOK || res.JSON(t)["proposedBy"] != "service" {
		t.Fatalf("good: %d %s", res.Code, res.Body)
	}
	for name, answer := range map[string]string{
		"malformed JSON":   `{"units": [`,
		"breaks the rules": strings.Replace(good, `"floorArea":42.75}]`, `"floorArea":40}]`, 1),
		"slow":             "slow",
		"429":              "429",
	} {
		fake.answer.Store(answer)
		before := fake.calls.Load()
		res := c.do("POST", paths.APIAICreateUnits(), body)
		if res.Code != http.StatusBadGateway || !strings.HasPrefix(res.JSON(t)["error"].(string), "The drafting service ") {
			t.Errorf("%s: %d %s", name, res.Code, res.Body)
		}
		if n := fake.calls.Load() - before; n != 2 {
			t.Errorf("%s: %d calls, want one retry", name, n)
		}
		if strings.Contains(res.Body, "sk-very-secret") {
			t.Errorf("%s: the key reached the answer", name)
		}
	}
	if n := f.a.count(`SELECT count(*) FROM units WHERE project_id = $1`, f.P.ID); n != 0 {
		t.Fatalf("units saved: %d", n)
	}
	// The page offers the free-text brief, and a service failure there is a 502 too.
	page := c.get(paths.UnitsDraft(f.P.ID))
	if page.Code != 200 || page.Doc(t).Find("textarea#brief").Length() != 1 || strings.Contains(page.Body, "sk-very-secret") {
		t.Fatalf("draft page: %d", page.Code)
	}
	fake.answer.Store("429")
	res = c.form(paths.UnitsDraft(f.P.ID), url.Values{"brief": {"two townhouses"}, "startNumber": {"T-1"}})
	if res.Code != http.StatusBadGateway {
		t.Fatalf("page 429: %d", res.Code)
	}
}

func TestUnitsDraftPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["inhouse"]
	page := c.get(paths.Units(f.P.ID))
	if page.Doc(t).Find("a#draft-units").Length() != 1 {
		t.Fatal("no Draft units button")
	}
	page = c.get(paths.UnitsDraft(f.P.ID))
	if page.Code != 200 || page.Doc(t).Find("textarea#brief").Length() != 0 {
		t.Fatalf("draft page: %d (no service: no free text)", page.Code)
	}
	brief := url.Values{"count": {"3"}, "unitType": {"Villa"}, "floors": {"1"}, "floorAreaPerUnit": {"120"}, "rooms": {"3"},
		"bathrooms": {"1"}, "startNumber": {"V-01"}}
	res := c.form(paths.UnitsDraft(f.P.ID), brief)
	d := res.Doc(t)
	if res.Code != 200 || d.Find("[data-draft-unit]").Length() != 3 {
		t.Fatalf("proposal: %d %d", res.Code, d.Find("[data-draft-unit]").Length())
	}
	// Drop the second, edit the first's type, then save.
	form := url.Values{}
	for k, v := range brief {
		form[k] = v
	}
	d.Find("#review-form input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		val, _ := s.Attr("value")
		if strings.HasPrefix(name, "units[") {
			form.Set(name, val)
		}
	})
	form.Set("drop", "1")
	res = c.form(paths.UnitsDraft(f.P.ID), form)
	d = res.Doc(t)
	if res.Code != 200 || d.Find("[data-draft-unit]").Length() != 2 || d.Find(`[data-draft-unit="V-02"]`).Length() != 0 {
		t.Fatalf("drop: %d %d", res.Code, d.Find("[data-draft-unit]").Length())
	}
	form = url.Values{}
	d.Find("#review-form input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		val, _ := s.Attr("value")
		form.Set(name, val)
	})
	form.Set("units[0].unitType", "Corner villa")
	// A floor area that breaks the sum: 422, nothing saved.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("units[1].floors[0].floorArea", "119")
	if res := c.form(paths.UnitsDraftSave(f.P.ID), bad); res.Code != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "floor areas sum") {
		t.Fatalf("bad save: %d", res.Code)
	}
	if n := f.a.count(`SELECT count(*) FROM units WHERE project_id = $1`, f.P.ID); n != 0 {
		t.Fatalf("saved on error: %d", n)
	}
	res = c.form(paths.UnitsDraftSave(f.P.ID), form)
	if res.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.Code, res.Body)
	}
	if n := f.a.count(`SELECT count(*) FROM units WHERE project_id = $1 AND created_by_ai AND unit_number IN ('V-01', 'V-03')`, f.P.ID); n != 2 {
		t.Fatalf("saved drafted units: %d", n)
	}
	if n := f.a.count(`SELECT count(*) FROM units WHERE project_id = $1 AND unit_type = 'Corner villa'`, f.P.ID); n != 1 {
		t.Fatal("the edit was not saved")
	}
	page = c.get(paths.Units(f.P.ID))
	if !strings.Contains(page.Body, ">Drafted<") {
		t.Fatal("no Drafted badge")
	}
	// Bidders and outsiders never reach the pages.
	if res := f.clients["outsider"].get(paths.UnitsDraft(f.P.ID)); res.Code != http.StatusNotFound {
		t.Fatalf("outsider: %d", res.Code)
	}
}

func TestWorkPackagesFlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	res := c.do("POST", "/api/soq", soqBodyFor(f.P.ID))
	if res.Code != http.StatusCreated {
		t.Fatalf("SOQ: %d %s", res.Code, res.Body)
	}
	soqID := res.JSON(t)["id"].(string)
	total := res.JSON(t)["total"].(float64)

	res = c.do("POST", paths.APIAICreateJobs(), map[string]any{"soqId": soqID})
	if res.Code != http.StatusOK {
		t.Fatalf("create-jobs: %d %s", res.Code, res.Body)
	}
	var got struct {
		Packages []struct {
			Trade, Title string
			Sequence     int
			DurationDays int
			DependsOn    []int
			ItemIDs      []string `json:"itemIds"`
			Value        struct{ Amount int64 }
		}
	}
	if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
		t.Fatal(err)
	}
	var sum float64
	items := 0
	for _, p := range got.Packages {
		sum += float64(p.Value.Amount)
		items += len(p.ItemIDs)
	}
	if len(got.Packages) != 3 || sum != total || items != 3 || got.Packages[0].Title != "Preliminaries: General Building" ||
		got.Packages[1].Title != "Substructure: Civil Works" || got.Packages[2].DependsOn[0] != 1 {
		t.Fatalf("packages %+v (sum %v, total %v)", got.Packages, sum, total)
	}
	if n := f.a.count(`SELECT count(*) FROM work_packages`); n != 0 {
		t.Fatal("a proposal was saved")
	}
	for who, want := range map[string]int{"bidder": 404, "outsider": 404, "otherOwner": 404} {
		if res := f.clients[who].do("POST", paths.APIAICreateJobs(), map[string]any{"soqId": soqID}); res.Code != want {
			t.Errorf("%s: %d", who, res.Code)
		}
	}
	// Save through the API: one package missing an item is refused whole.
	var body []map[string]any
	raw := c.do("POST", paths.APIAICreateJobs(), map[string]any{"soqId": soqID}).JSON(t)["packages"].([]any)
	for _, p := range raw {
		body = append(body, p.(map[string]any))
	}
	res = c.do("POST", paths.APIWorkPackages(f.P.ID), map[string]any{"soqId": soqID, "createdByAI": true, "packages": body[1:]})
	if res.Code != http.StatusBadRequest {
		t.Fatalf("incomplete: %d %s", res.Code, res.Body)
	}
	res = c.do("POST", paths.APIWorkPackages(f.P.ID), map[string]any{"soqId": soqID, "createdByAI": true, "packages": body})
	if res.Code != http.StatusCreated {
		t.Fatalf("save: %d %s", res.Code, res.Body)
	}
	list := c.get(paths.APIWorkPackages(f.P.ID)).JSON(t)["packages"].([]any)
	if len(list) != 3 || list[0].(map[string]any)["createdByAI"] != true {
		t.Fatalf("list %v", list)
	}

	// The page: propose, save, make a draft tender.
	page := c.get(paths.WorkPackages(f.P.ID))
	if page.Code != 200 || page.Doc(t).Find("#saved-packages tbody tr").Length() != 3 || page.Doc(t).Find("svg[role=img]").Length() != 1 {
		t.Fatalf("page: %d", page.Code)
	}
	res = c.form(paths.WorkPackagesDraft(f.P.ID), url.Values{"soqId": {soqID}})
	d := res.Doc(t)
	if res.Code != 200 || d.Find("#proposed-packages tbody tr").Length() != 3 {
		t.Fatalf("propose page: %d", res.Code)
	}
	form := url.Values{}
	d.Find("#packages-form input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		val, _ := s.Attr("value")
		form.Add(name, val)
	})
	form.Set("packages[1].title", "Groundworks")
	if res := c.form(paths.WorkPackages(f.P.ID), form); res.Code != http.StatusSeeOther {
		t.Fatalf("save page: %d %s", res.Code, res.Body)
	}
	var pkgID string
	if err := f.a.st.DB().Get(&pkgID, `SELECT id FROM work_packages WHERE title = 'Groundworks'`); err != nil {
		t.Fatal(err)
	}
	if res := f.clients["bidder"].form(paths.WorkPackageTender(f.P.ID, pkgID), nil); res.Code != http.StatusNotFound {
		t.Fatalf("bidder tender: %d", res.Code)
	}
	res = c.form(paths.WorkPackageTender(f.P.ID, pkgID), nil)
	if res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/tenders/") {
		t.Fatalf("tender: %d %s", res.Code, res.Header.Get("Location"))
	}
	tid := strings.TrimPrefix(res.Header.Get("Location"), "/tenders/")
	tn := c.get("/api/tenders/" + tid).JSON(t)
	if tn["status"] != "draft" || tn["title"] != "Groundworks" {
		t.Fatalf("tender %v", tn)
	}
	// Its SOQ holds the package's item (B1) only.
	if n := f.a.count(`SELECT count(*) FROM soq_items i JOIN tenders t ON t.soq_id = i.soq_id WHERE t.id = $1`, tid); n != 1 {
		t.Fatalf("tender SOQ items: %d", n)
	}
	if res := c.form(paths.WorkPackageTender(f.P.ID, pkgID), nil); res.Code != http.StatusConflict {
		t.Fatalf("second tender: %d", res.Code)
	}
	// The SOQ's packages now stay.
	if res := c.form(paths.WorkPackages(f.P.ID), form); res.Code != http.StatusConflict {
		t.Fatalf("replace after tender: %d", res.Code)
	}
}
