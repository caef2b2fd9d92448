package handlers

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func unitJSON(num string, total any, floors ...any) map[string]any {
	fl := make([]any, len(floors))
	for i, a := range floors {
		fl[i] = map[string]any{"floorNumber": i + 1, "floorArea": a}
	}
	return map[string]any{"unitNumber": num, "unitType": "Townhouse", "totalFloorArea": total, "numberOfFloors": len(floors),
		"numberOfRooms": 3, "numberOfBathrooms": 2, "floors": fl}
}

func TestUnitsBatchAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["inhouse"]
	base := "/api/projects/" + f.P.ID + "/units"
	res := c.do("POST", base, map[string]any{"units": []any{unitJSON("A-01", 85, 42.5, 42.5), unitJSON("A-02", 100, 33.33, 33.33, 33.33)}})
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.Body)
	}
	created := res.JSON(t)["units"].([]any)
	u := created[1].(map[string]any)
	if len(created) != 2 || u["unitNumber"] != "A-02" || u["totalFloorArea"] != 100.0 || len(u["floors"].([]any)) != 3 || u["createdByAI"] != false {
		t.Fatalf("created %v", created)
	}
	// A batch with one bad unit saves nothing, and says which unit and floor.
	res = c.do("POST", base, map[string]any{"units": []any{unitJSON("A-03", 85, 42.5, 42.5), unitJSON("A-04", 85, 42, 42.5)}})
	if res.Code != 400 {
		t.Fatalf("bad batch: %d", res.Code)
	}
	m := res.JSON(t)
	if msg := m["fields"].(map[string]any)["units[1].floors"]; msg != "Unit A-04: floor areas sum to 84.50 m², total is 85.00 m²" {
		t.Errorf("message %q", msg)
	}
	if n := f.a.count(`SELECT count(*) FROM units`); n != 2 {
		t.Errorf("%d units after a refused batch", n)
	}
	// Duplicates inside a batch and against the project.
	res = c.do("POST", base, map[string]any{"units": []any{unitJSON("B-01", 10, 10), unitJSON("b-01", 10, 10)}})
	if res.Code != 400 || !strings.Contains(res.Body, "twice in this batch") {
		t.Errorf("in-batch duplicate: %d %s", res.Code, res.Body)
	}
	res = c.do("POST", base, map[string]any{"units": []any{unitJSON("a-01", 10, 10)}})
	if res.Code != 400 || !strings.Contains(res.Body, "already used") {
		t.Errorf("taken number: %d %s", res.Code, res.Body)
	}
	// Read, update, delete one.
	id := u["id"].(string)
	if res := c.get(base + "/" + id); res.Code != 200 || res.JSON(t)["unitNumber"] != "A-02" {
		t.Errorf("get: %d", res.Code)
	}
	put := unitJSON("A-02", 90, 30, 30, 30)
	put["version"] = u["version"]
	res = c.do("PUT", base+"/"+id, put)
	if res.Code != 200 || res.JSON(t)["totalFloorArea"] != 90.0 {
		t.Errorf("put: %d %s", res.Code, res.Body)
	}
	put = unitJSON("A-01", 90, 30, 30, 30)
	put["version"] = res.JSON(t)["version"]
	res = c.do("PUT", base+"/"+id, put)
	if res.Code != 400 || res.JSON(t)["fields"].(map[string]any)["unitNumber"] == nil {
		t.Errorf("put taken number: %d %s", res.Code, res.Body)
	}
	if res := c.do("DELETE", base+"/"+id, nil); res.Code != 204 {
		t.Errorf("delete: %d", res.Code)
	}
	if n := f.a.count(`SELECT count(*) FROM unit_floors`); n != 2 {
		t.Errorf("%d floor rows left, want 2", n)
	}
}

func TestUnitsBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	base := "/api/projects/" + f.P.ID + "/units"
	huge := make([]any, 1001)
	for i := range huge {
		huge[i] = unitJSON(fmt.Sprintf("H-%d", i), 1, 1)
	}
	tenThousand := unitJSON("F", 10, 10)
	tenThousand["numberOfFloors"] = 10000
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"negative area", map[string]any{"units": []any{unitJSON("A", -5, -5)}}, "units[0].totalFloorArea"},
		{"10,000 floors", map[string]any{"units": []any{tenThousand}}, "units[0].numberOfFloors"},
		{"area as text", map[string]any{"units": []any{unitJSON("A", "lots", 10)}}, "units[0].totalFloorArea"},
		{"number as string", map[string]any{"units": []any{unitJSON("A", "10", 10)}}, "units[0].totalFloorArea"},
		{"floor area as bool", map[string]any{"units": []any{unitJSON("A", 10, true)}}, "units[0].floors[0].floorArea"},
		{"missing fields", map[string]any{"units": []any{map[string]any{"unitNumber": "A"}}}, "units[0].totalFloorArea"},
		{"rooms fractional", map[string]any{"units": []any{func() map[string]any { u := unitJSON("A", 10, 10); u["numberOfRooms"] = 2.5; return u }()}}, "units[0].numberOfRooms"},
		{"no units key", map[string]any{}, "units"},
		{"empty batch", map[string]any{"units": []any{}}, "units"},
		{"huge batch", map[string]any{"units": huge}, "units"},
		{"unknown field", map[string]any{"units": []any{func() map[string]any { u := unitJSON("A", 10, 10); u["createdByAI"] = true; return u }()}}, "createdByAI"},
	}
	for _, tc := range cases {
		res := c.do("POST", base, tc.body)
		if res.Code != 400 {
			t.Errorf("%s: %d %s", tc.name, res.Code, res.Body)
			continue
		}
		if fields, _ := res.JSON(t)["fields"].(map[string]any); fields[tc.field] == nil {
			t.Errorf("%s: no message for %s: %s", tc.name, tc.field, res.Body)
		}
	}
	if n := f.a.count(`SELECT count(*) FROM units`); n != 0 {
		t.Errorf("%d units written by bad requests", n)
	}
}

func TestUnitsPermissions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res := f.clients["owner"].do("POST", "/api/projects/"+f.P2.ID+"/units", map[string]any{"units": []any{unitJSON("X", 1, 1)}})
	if res.Code != 404 {
		t.Errorf("owner writing into another team's project: %d", res.Code)
	}
	own := f.clients["otherOwner"].do("POST", "/api/projects/"+f.P2.ID+"/units", map[string]any{"units": []any{unitJSON("X", 1, 1)}})
	if own.Code != 201 {
		t.Fatal(own.Body)
	}
	otherUnit := own.JSON(t)["units"].([]any)[0].(map[string]any)["id"].(string)
	// Another project's unit id through a project the caller is on: 404 for every verb.
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		var body any
		if m == "PUT" {
			body = unitJSON("X", 1, 1)
		}
		if res := f.clients["owner"].do(m, "/api/projects/"+f.P.ID+"/units/"+otherUnit, body); res.Code != 404 {
			t.Errorf("%s another project's unit: %d", m, res.Code)
		}
	}
	for _, path := range []string{"/projects/" + f.P.ID + "/units/" + otherUnit + "/edit", "/projects/" + f.P.ID + "/units/" + otherUnit + "/delete"} {
		if res := f.clients["owner"].get(path); res.Code != 404 {
			t.Errorf("page %s: %d", path, res.Code)
		}
	}
	if n := f.a.count(`SELECT count(*) FROM units`); n != 1 {
		t.Errorf("%d units", n)
	}
	batch := map[string]any{"units": []any{unitJSON("P-1", 1, 1)}}
	// The owner goes first (a map's order is random): after it, P-1 is taken.
	wants := map[string]int{"owner": 201, "inhouse": 400 /* P-1 now taken */, "admin": 400, "bidder": 404, "outsider": 404, "otherOwner": 404, "anonymous": 401}
	for _, role := range []string{"owner", "inhouse", "admin", "bidder", "outsider", "otherOwner", "anonymous"} {
		want := wants[role]
		res := f.clients[role].do("POST", "/api/projects/"+f.P.ID+"/units", batch)
		if role == "owner" {
			if res.Code != 201 {
				t.Fatalf("owner create: %d", res.Code)
			}
			continue
		}
		if (role == "inhouse" || role == "admin") && res.Code != 400 {
			t.Errorf("%s: %d (allowed, refused only for the taken number)", role, res.Code)
		}
		if role != "inhouse" && role != "admin" && res.Code != want {
			t.Errorf("%s create: %d, want %d", role, res.Code, want)
		}
	}
	for role, want := range map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "bidder": 404, "outsider": 404, "otherOwner": 404, "anonymous": 401} {
		if res := f.clients[role].get("/api/projects/" + f.P.ID + "/units"); res.Code != want {
			t.Errorf("%s list: %d, want %d", role, res.Code, want)
		}
		page := f.clients[role].get("/projects/" + f.P.ID + "/units")
		if want == 401 {
			want = 303
		}
		if page.Code != want {
			t.Errorf("%s page: %d, want %d", role, page.Code, want)
		}
	}
}

func TestUnitEditorForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	base := "/projects/" + f.P.ID + "/units"
	// Changing the number of floors re-renders the floor rows, keeping typed areas.
	form := url.Values{"unitNumber": {"A-01"}, "totalFloorArea": {"90"}, "numberOfFloors": {"3"}, "numberOfRooms": {"3"}, "numberOfBathrooms": {"2"},
		"floors[0].floorNumber": {"1"}, "floors[0].floorArea": {"30"}}
	res := c.form(base+"/preview?part=floors", form, "HX-Request", "true")
	d := res.Doc(t)
	if res.Code != 200 || d.Find("[data-floor-area]").Length() != 3 || d.Find("nav").Length() != 0 {
		t.Fatalf("floor rows: %d %d", res.Code, d.Find("[data-floor-area]").Length())
	}
	if v, _ := d.Find(`[name="floors[0].floorArea"]`).Attr("value"); v != "30" {
		t.Errorf("typed area lost: %q", v)
	}
	// The sum indicator, computed on the server.
	form.Set("floors[1].floorArea", "30")
	form.Set("floors[2].floorArea", "29.5")
	res = c.form(base+"/preview?part=sum", form, "HX-Request", "true")
	if state, _ := res.Doc(t).Find("#floor-sum").Attr("data-state"); state != "off" || !strings.Contains(res.Body, "0.50 m² short") {
		t.Errorf("sum off: %s", res.Body)
	}
	form.Set("floors[2].floorArea", "30")
	res = c.form(base+"/preview?part=sum", form, "HX-Request", "true")
	if state, _ := res.Doc(t).Find("#floor-sum").Attr("data-state"); state != "ok" {
		t.Errorf("sum ok: %s", res.Body)
	}
	// Split evenly fills the floors from the total, exactly.
	form.Set("totalFloorArea", "100")
	res = c.form(base+"/preview?part=floors&action=split", form, "HX-Request", "true")
	var got []string
	res.Doc(t).Find("[data-floor-area]").Each(func(_ int, s *goquery.Selection) { v, _ := s.Attr("value"); got = append(got, v) })
	if strings.Join(got, " ") != "33.33 33.33 33.34" {
		t.Errorf("split: %v", got)
	}
	// Without JavaScript the same button re-renders the whole page.
	form.Set("action", "split")
	if res := c.form(base+"/preview", form); res.Code != 200 || res.Doc(t).Find("#unit-form").Length() != 1 {
		t.Errorf("no-JS split: %d", res.Code)
	}
	form.Del("action")
	// Save with an error: 422, message in place, nothing lost.
	form.Set("floors[2].floorArea", "10")
	res = c.form(base, form)
	if res.Code != 422 || !strings.Contains(res.Doc(t).Find("#err-floors").Text(), "sum to 70.00 m², total is 100.00 m²") {
		t.Fatalf("invalid save: %d %q", res.Code, res.Doc(t).Find("#err-floors").Text())
	}
	if v, _ := res.Doc(t).Find(`[name="floors[2].floorArea"]`).Attr("value"); v != "10" {
		t.Errorf("typed value lost: %q", v)
	}
	form.Set("floors[0].floorArea", "33.33")
	form.Set("floors[1].floorArea", "33.33")
	form.Set("floors[2].floorArea", "33.34")
	if res := c.form(base, form); res.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.Code, res.Body)
	}
	// Duplicate 5 times: A-02…A-06, and the schedule counts them.
	var id string
	if err := f.a.st.DB().Get(&id, `SELECT id FROM units WHERE unit_number = 'A-01'`); err != nil {
		t.Fatal(err)
	}
	if res := c.form(base+"/"+id+"/duplicate", url.Values{"count": {"5"}}); res.Code != http.StatusSeeOther {
		t.Fatalf("duplicate: %d %s", res.Code, res.Body)
	}
	page := c.get(base).Doc(t)
	if n := page.Find("#units-table tbody tr").Length(); n != 6 {
		t.Errorf("%d rows after duplicate", n)
	}
	if page.Find(`[data-unit="A-06"]`).Length() != 1 || page.Find("[data-gross-area]").Text() != "600.00" || page.Find("[data-total-units]").Text() != "6" {
		t.Errorf("schedule: gross %q units %q", page.Find("[data-gross-area]").Text(), page.Find("[data-total-units]").Text())
	}
	for _, bad := range []string{"0", "501", "x"} {
		if res := c.form(base+"/"+id+"/duplicate", url.Values{"count": {bad}}); res.Code != 400 {
			t.Errorf("duplicate count %q: %d", bad, res.Code)
		}
	}
	// Delete with confirmation.
	if res := c.get(base + "/" + id + "/delete"); res.Code != 200 || !strings.Contains(res.Body, "Delete unit A-01?") {
		t.Errorf("confirm: %d", res.Code)
	}
	if res := c.form(base+"/"+id+"/delete", nil); res.Code != http.StatusSeeOther {
		t.Errorf("delete: %d", res.Code)
	}
	if n := f.a.count(`SELECT count(*) FROM units`); n != 5 {
		t.Errorf("%d units after delete", n)
	}
}

func TestAreaScheduleExport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["inhouse"]
	res := c.do("POST", "/api/projects/"+f.P.ID+"/units", map[string]any{"units": []any{
		unitJSON("A-01", 85, 42.5, 42.5), unitJSON("A-02", 85, 42.5, 42.5),
		func() map[string]any { u := unitJSON("=cmd|x", 60.01, 60.01); u["unitType"] = "Flat"; return u }(),
	}})
	if res.Code != 201 {
		t.Fatal(res.Body)
	}
	s := c.get("/api/projects/" + f.P.ID + "/units/schedule").JSON(t)
	total := s["total"].(map[string]any)
	if total["area"] != 230.01 || total["units"] != 3.0 || total["rooms"] != 9.0 || total["bathrooms"] != 6.0 {
		t.Errorf("total %v", total)
	}
	levels := s["byFloorLevel"].([]any)
	if len(levels) != 2 || levels[0].(map[string]any)["area"] != 145.01 || levels[1].(map[string]any)["area"] != 85.0 {
		t.Errorf("levels %v", levels)
	}
	csvRes := c.get("/projects/" + f.P.ID + "/units/schedule.csv")
	if csvRes.Code != 200 || !strings.HasPrefix(csvRes.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", csvRes.Code, csvRes.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(csvRes.Body)).ReadAll()
	if err != nil {
		// Rows differ in length between the two tables.
		r := csv.NewReader(strings.NewReader(csvRes.Body))
		r.FieldsPerRecord = -1
		rows, err = r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
	}
	var gross, injected bool
	for _, r := range rows {
		if len(r) == 7 && r[0] == "Total" && r[6] == "230.01" && r[2] == "3" {
			gross = true
		}
		if len(r) > 0 && r[0] == "'=cmd|x" {
			injected = true
		}
	}
	if !gross || !injected {
		t.Errorf("csv rows (gross %v, formula escaped %v): %v", gross, injected, rows)
	}
}

// The unit form's messages are sentences with the first field in error focused; the unit
// page writes areas with thousands separators and two decimals.
func TestUnitFormSentencesAndAreaFormat(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clients["owner"]
	base := "/projects/" + f.P.ID + "/units"
	form := url.Values{"unitNumber": {"B-01"}, "unitType": {"Villa"}, "totalFloorArea": {""}, "numberOfFloors": {"2"}, "numberOfRooms": {"3"}, "numberOfBathrooms": {"2"},
		"floors[0].floorNumber": {"1"}, "floors[0].floorArea": {"995.52"}, "floors[1].floorNumber": {"2"}, "floors[1].floorArea": {""}}
	res := c.form(base, form)
	d := res.Doc(t)
	if res.Code != 422 {
		t.Fatalf("refused unit: %d", res.Code)
	}
	for id, want := range map[string]string{"#err-totalFloorArea": "Enter the total floor area.", "#err-floors\\[1\\]\\.floorArea": "Enter the area of floor 2."} {
		if got := d.Find(id).Text(); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if _, ok := d.Find("#totalFloorArea").Attr("autofocus"); !ok {
		t.Error("the first field in error has no autofocus")
	}
	if _, ok := d.Find("#unitNumber").Attr("autofocus"); ok {
		t.Error("the unit number (not in error) kept autofocus")
	}
	form.Set("totalFloorArea", "1991.04")
	form.Set("floors[1].floorArea", "995.52")
	if res := c.form(base, form); res.Code != http.StatusSeeOther {
		t.Fatalf("save: %d", res.Code)
	}
	page := c.get(base).Doc(t)
	if got := strings.TrimSpace(page.Find(`[data-unit="B-01"] td`).Eq(3).Text()); got != "1,991.04" {
		t.Errorf("unit total %q, want 1,991.04", got)
	}
	if got := page.Find("#schedule-by-level").Text(); !strings.Contains(got, "995.52") {
		t.Errorf("level areas: %q", got)
	}
	if got := page.Find("#units-table thead").Text(); !strings.Contains(got, "(m²)") {
		t.Errorf("headings %q: the unit is written m²", got)
	}
}
