package drafting

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/14build/14build/soq"
	"github.com/14build/14build/units"
)

func TestSplitFirstIsExact(t *testing.T) {
	got := SplitFirst(10001, 3) // 100.01 m² over 3 floors
	if !slices.Equal(got, []units.Area{3334, 3334, 3333}) {
		t.Fatalf("split = %v", got)
	}
	for total := units.Area(1); total < 2000; total += 37 {
		for n := 1; n <= 7; n++ {
			var sum units.Area
			for _, a := range SplitFirst(total, n) {
				sum += a
			}
			if sum != total {
				t.Fatalf("SplitFirst(%d, %d) sums to %d", total, n, sum)
			}
		}
	}
}

func TestNumbersSkipTaken(t *testing.T) {
	got := Numbers("A-01", 5, map[string]bool{"a-02": true, "a-04": true})
	want := []string{"A-01", "A-03", "A-05", "A-06", "A-07"}
	if !slices.Equal(got, want) {
		t.Fatalf("numbers = %v, want %v", got, want)
	}
	if got := Numbers("A-01", 12, nil); got[11] != "A-12" {
		t.Fatalf("12th = %q", got[11])
	}
	if got := Numbers("Villa", 2, nil); !slices.Equal(got, []string{"Villa-1", "Villa-2"}) {
		t.Fatalf("no digits: %v", got)
	}
}

func TestPlanUnits(t *testing.T) {
	b, errs := ParseUnitBrief(UnitBriefInput{Count: "12", UnitType: "Two-bed apartment", Floors: "3", TotalArea: "1000.01",
		Rooms: "4", Bathrooms: "2", StartNumber: "A-01"}, false)
	if errs.Any() {
		t.Fatal(errs)
	}
	us, errs := PlanUnits(b, map[string]bool{"a-03": true})
	if errs.Any() {
		t.Fatal(errs)
	}
	if len(us) != 12 || us[0].UnitNumber != "A-01" || us[2].UnitNumber != "A-04" || us[11].UnitNumber != "A-13" {
		t.Fatalf("numbers: %v %v %v", us[0].UnitNumber, us[2].UnitNumber, us[11].UnitNumber)
	}
	var total units.Area
	for _, u := range us {
		var sum units.Area
		for _, a := range u.FloorAreas {
			sum += a
		}
		if sum != u.TotalArea {
			t.Fatalf("unit %s floors sum %d, total %d", u.UnitNumber, sum, u.TotalArea)
		}
		total += u.TotalArea
	}
	if total != 100001 {
		t.Fatalf("total %d", total)
	}
	// 100001 hundredths over 12 units: the first unit gets the extra hundredths.
	if us[0].TotalArea != 8334 || us[11].TotalArea != 8333 {
		t.Fatalf("areas %d %d", us[0].TotalArea, us[11].TotalArea)
	}
	if us[0].FloorAreas[0] != 2778 || us[0].FloorAreas[2] != 2778 {
		t.Fatalf("floors %v", us[0].FloorAreas)
	}
}

func TestParseUnitBrief(t *testing.T) {
	_, errs := ParseUnitBrief(UnitBriefInput{Brief: "12 apartments"}, false)
	if errs.Get("brief") != MsgBriefNeedsService {
		t.Fatalf("brief without service: %v", errs)
	}
	if _, errs := ParseUnitBrief(UnitBriefInput{Brief: "12 apartments"}, true); errs.Any() {
		t.Fatalf("brief with service: %v", errs)
	}
	_, errs = ParseUnitBrief(UnitBriefInput{Count: "2", Floors: "2", Rooms: "1", Bathrooms: "1", FloorAreaPerUnit: "80", TotalArea: "160"}, false)
	if !errs.Has("floorAreaPerUnit") {
		t.Fatalf("both areas: %v", errs)
	}
	_, errs = ParseUnitBrief(UnitBriefInput{Count: "0", Floors: "x", Rooms: "1", Bathrooms: "1", FloorAreaPerUnit: "0.01"}, false)
	if !errs.Has("count") || !errs.Has("floors") {
		t.Fatalf("bad counts: %v", errs)
	}
}

func demoItems() []Item {
	var out []Item
	add := func(sec, title, trade string, typ soq.ItemType, amount int64) {
		out = append(out, Item{ID: fmt.Sprintf("i%02d", len(out)), Reference: fmt.Sprintf("R%d", len(out)), SectionCode: sec,
			SectionTitle: title, Trade: trade, Type: typ, Amount: amount, Unit: "m2", Quantity: 1000})
	}
	add("E", "Roof", "Roofing", soq.Measured, 700_001)
	add("A", "Preliminaries", "General Building", soq.Preliminaries, 1_000_000)
	add("C", "Substructure", "Concrete", soq.Measured, 333_333)
	add("C", "Substructure", "Civil Works", soq.Measured, 1)
	add("D", "Frame and upper floors", "Carpentry & Joinery", soq.Measured, 5_000_001)
	add("H", "Services", "Electrical", soq.Measured, 42)
	add("K", "Provisional sums", "Plumbing", soq.ProvisionalSum, 99)
	add("K", "Provisional sums", "", soq.ProvisionalSum, 7)
	add("J", "External works", "Landscaping", soq.Measured, 12)
	add("C", "Substructure", "Concrete", soq.Measured, 1)
	add("B", "Demolition", "Civil Works", soq.Measured, 5)
	return out
}

func TestPlanPackages(t *testing.T) {
	items := demoItems()
	ps, err := PlanPackages(items)
	if err != nil {
		t.Fatal(err)
	}
	if errs := CheckPackages(ps, items); errs.Any() {
		t.Fatal(errs)
	}
	var total, sum int64
	for _, it := range items {
		total += it.Amount
	}
	seen := map[string]int{}
	lastPhase := -1
	for i, p := range ps {
		sum += p.Value
		for _, id := range p.ItemIDs {
			seen[id]++
		}
		if p.Sequence != i+1 {
			t.Fatalf("sequence %d at %d", p.Sequence, i)
		}
		if ph := phaseIndex(p.Phase); ph < lastPhase {
			t.Fatalf("phase order: %s after index %d", p.Phase, lastPhase)
		} else {
			lastPhase = ph
		}
		if p.DurationDays < 1 {
			t.Fatalf("duration %d", p.DurationDays)
		}
	}
	if sum != total {
		t.Fatalf("values sum %d, SOQ total %d", sum, total)
	}
	for _, it := range items {
		if seen[it.ID] != 1 {
			t.Fatalf("item %s in %d packages", it.ID, seen[it.ID])
		}
	}
	var titles []string
	for _, p := range ps {
		titles = append(titles, p.Title)
	}
	want := []string{"Preliminaries: General Building", "Demolition and site preparation: Civil Works",
		"Substructure: Civil Works", "Substructure: Concrete", "Frame and structure: Carpentry & Joinery", "Roofing: Roofing",
		"Services: Electrical", "Services: Plumbing", "External works: Landscaping", "Other: General Building"}
	if !slices.Equal(titles, want) {
		t.Fatalf("titles:\n%q\nwant\n%q", titles, want)
	}
	// Substructure depends on demolition; services on roofing (the envelope is empty).
	if !slices.Equal(ps[2].DependsOn, []int{2}) || !slices.Equal(ps[6].DependsOn, []int{6}) || len(ps[0].DependsOn) != 0 {
		t.Fatalf("depends: %v %v %v", ps[0].DependsOn, ps[2].DependsOn, ps[6].DependsOn)
	}
	// Substructure concrete: 333,334 minor → 1 day; the frame's 5,000,001 → 11 days.
	if ps[3].Value != 333_334 || ps[3].DurationDays != 1 || ps[4].DurationDays != 11 {
		t.Fatalf("values/durations: %d %d %d", ps[3].Value, ps[3].DurationDays, ps[4].DurationDays)
	}
	spans, length := Timeline(ps)
	if spans[2].Start != spans[1].End || length < spans[len(spans)-1].End {
		t.Fatalf("timeline %v %d", spans, length)
	}
}

func TestCheckPackagesRules(t *testing.T) {
	items := demoItems()
	ps, _ := PlanPackages(items)
	bad := slices.Clone(ps)
	bad[1].ItemIDs = append(slices.Clone(bad[1].ItemIDs), ps[0].ItemIDs[0]) // an item twice
	bad[2].DependsOn = []int{5}                                             // a later package
	bad[3].Sequence = 1                                                     // a sequence twice
	errs := CheckPackages(bad, items)
	for _, k := range []string{"packages[1].itemIds", "packages[2].dependsOn", "packages[3].sequence"} {
		if !errs.Has(k) {
			t.Errorf("no %s in %v", k, errs)
		}
	}
	errs = CheckPackages(ps[1:], items)
	if !strings.Contains(errs.Get("packages"), "in no package") {
		t.Fatalf("missing items: %v", errs)
	}
}

func TestSchemaOfMatchesTypes(t *testing.T) {
	s := SchemaOf(unitsAnswer{})
	unit := s["properties"].(map[string]any)["units"].(map[string]any)["items"].(map[string]any)
	props := unit["properties"].(map[string]any)
	// Every JSON field of UnitProposal is a required property, and nothing else.
	var fields []string
	rt := reflect.TypeOf(UnitProposal{})
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		fields = append(fields, name)
		if _, ok := props[name]; !ok {
			t.Errorf("schema lacks %s", name)
		}
	}
	if !slices.Equal(unit["required"].([]string), fields) || len(props) != len(fields) || unit["additionalProperties"] != false {
		t.Fatalf("schema %v", unit)
	}
	if props["floors"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)["floorArea"].(map[string]any)["type"] != "number" {
		t.Fatal("floorArea is not a number")
	}
	// A planner proposal decodes strictly against the same type.
	b, _ := json.Marshal(unitsAnswer{Units: []UnitProposal{ProposalOf(units.Unit{UnitNumber: "A-01", TotalArea: 100, NumberOfFloors: 1,
		NumberOfRooms: 1, NumberOfBathrooms: 1, FloorAreas: []units.Area{100}})}})
	var a unitsAnswer
	if err := decodeStrict(string(b), &a); err != nil {
		t.Fatal(err)
	}
}

func TestConfigNeverPrintsKey(t *testing.T) {
	c := Config{BaseURL: "http://x", APIKey: "sk-secret-123", Model: "m"}
	if s := fmt.Sprintf("%v %s %+v", c, c, c); strings.Contains(s, "sk-secret") {
		t.Fatalf("key printed: %s", s)
	}
	if strings.Contains(c.LogValue().String(), "sk-secret") {
		t.Fatal("key in LogValue")
	}
}

// fakeAI speaks the chat-completions protocol: each request gets the next of answers
// (the last repeats). An answer is the message content, or "429", "slow", "refuse".
type fakeAI struct {
	answers []string
	calls   atomic.Int32
	auth    atomic.Value
	body    atomic.Value
}

func (f *fakeAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	f.auth.Store(r.Header.Get("Authorization"))
	var req map[string]any
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.body.Store(req)
	n := int(f.calls.Add(1)) - 1
	a := f.answers[min(n, len(f.answers)-1)]
	msg := map[string]any{"role": "assistant", "content": a, "refusal": ""}
	switch a {
	case "429":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"message":"slow down","type":"rate_limit","code":"rate_limit"}}`))
		return
	case "slow":
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
			return
		}
		msg["content"] = "{}"
	case "refuse":
		msg["content"], msg["refusal"] = "", "I can't help with that."
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "created": 1, "model": "m",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": msg}}})
}

func newFake(t *testing.T, answers ...string) (*fakeAI, *Service) {
	f := &fakeAI{answers: answers}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, NewService(Config{BaseURL: srv.URL + "/v1", APIKey: "sk-test", Model: "test-model", Timeout: 300 * time.Millisecond})
}

const goodUnits = `{"units":[{"unitNumber":"A-01","unitType":"Two-bed","totalFloorArea":85.5,"numberOfFloors":2,"numberOfRooms":4,"numberOfBathrooms":2,
"floors":[{"floorNumber":1,"floorArea":42.75},{"floorNumber":2,"floorArea":42.75}]}]}`

func TestServiceUnits(t *testing.T) {
	brief := UnitBrief{Brief: "one two-bed townhouse of 85.5 m²", StartNumber: "A-01"}
	ctx := context.Background()

	t.Run("good answer", func(t *testing.T) {
		f, s := newFake(t, goodUnits)
		us, err := s.DraftUnits(ctx, brief, nil)
		if err != nil || len(us) != 1 || us[0].TotalArea != 8550 {
			t.Fatalf("units %v err %v", us, err)
		}
		if f.auth.Load() != "Bearer sk-test" {
			t.Fatalf("auth %v", f.auth.Load())
		}
		req := f.body.Load().(map[string]any)
		rf := req["response_format"].(map[string]any)
		js := rf["json_schema"].(map[string]any)
		if rf["type"] != "json_schema" || js["strict"] != true || js["schema"].(map[string]any)["type"] != "object" || req["model"] != "test-model" {
			t.Fatalf("request %v", req)
		}
	})
	t.Run("retry after a bad answer", func(t *testing.T) {
		f, s := newFake(t, "{not json", goodUnits)
		if _, err := s.DraftUnits(ctx, brief, nil); err != nil || f.calls.Load() != 2 {
			t.Fatalf("err %v calls %d", err, f.calls.Load())
		}
	})
	cases := []struct {
		name, answer, reason string
		taken                map[string]bool
	}{
		{"malformed JSON", `{"units": [`, "malformed JSON", nil},
		{"unknown field", `{"units": [], "extra": 1}`, "malformed JSON", nil},
		{"breaks the rules", strings.Replace(goodUnits, `"floorArea":42.75}]`, `"floorArea":40}]`, 1), "break the rules", nil},
		{"number taken", goodUnits, "already used", map[string]bool{"a-01": true}},
		{"slow", "slow", "did not answer within", nil},
		{"429", "429", "429", nil},
		{"refusal", "refuse", "refused", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, s := newFake(t, c.answer)
			start := time.Now()
			us, err := s.DraftUnits(ctx, brief, c.taken)
			se, ok := err.(*ServiceError)
			if !ok || us != nil || !strings.Contains(se.Reason, c.reason) {
				t.Fatalf("units %v err %v", us, err)
			}
			if f.calls.Load() != 2 {
				t.Fatalf("calls %d, want one retry", f.calls.Load())
			}
			if time.Since(start) > 2*time.Second {
				t.Fatalf("took %s", time.Since(start))
			}
			if strings.Contains(se.Message(), "sk-test") {
				t.Fatal("key in message")
			}
		})
	}
}

func TestServicePackages(t *testing.T) {
	items := demoItems()
	var refs []string
	for _, it := range items {
		refs = append(refs, it.Reference)
	}
	one := func(rs []string) string {
		b, _ := json.Marshal(packagesAnswer{Packages: []packageAnswer{{Trade: "General Building", Title: "Everything", Sequence: 1,
			DurationDays: 10, DependsOn: []int{}, ItemRefs: rs}}})
		return string(b)
	}
	_, s := newFake(t, one(refs))
	ps, err := s.DraftPackages(context.Background(), items)
	if err != nil || len(ps) != 1 || len(ps[0].ItemIDs) != len(items) {
		t.Fatalf("packages %v err %v", ps, err)
	}
	var total int64
	for _, it := range items {
		total += it.Amount
	}
	if ps[0].Value != total {
		t.Fatalf("value %d, total %d", ps[0].Value, total)
	}
	_, s = newFake(t, one(refs[1:]))
	if _, err := s.DraftPackages(context.Background(), items); err == nil || !strings.Contains(err.Error(), "in no package") {
		t.Fatalf("missing item: %v", err)
	}
}
