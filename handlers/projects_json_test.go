package handlers

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/project"
	"github.com/14build/14build/store"
	"github.com/14build/14build/units"
)

// TestProjectsPageJSON: the hand-written list encoder writes byte for byte what
// encoding/json's Encoder writes for the page's toProjectJSON/toUnitJSON values (what c.JSON
// answered before), over
// strings that need escaping, times in other zones and with nanoseconds, floats at the
// edges of encoding/json's formats, and nil and empty lists.
func TestProjectsPageJSON(t *testing.T) {
	t.Parallel()
	// A field added to one of these types must be added to its appender too.
	for typ, n := range map[reflect.Type]int{
		reflect.TypeFor[projectJSON](): 14, reflect.TypeFor[moneyOut](): 2, reflect.TypeFor[ownerJSON](): 4,
		reflect.TypeFor[memberJSON](): 4, reflect.TypeFor[userJSON](): 9, reflect.TypeFor[entityJSON](): 2,
		reflect.TypeFor[categoryJSON](): 2, reflect.TypeFor[unitOut](): 13, reflect.TypeFor[floorJSON](): 2,
	} {
		if typ.NumField() != n {
			t.Errorf("%s has %d fields, the appender writes %d: update appendProjectsPage", typ, typ.NumField(), n)
		}
	}

	paris, _ := time.LoadLocation("Europe/Paris")
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
	odd := []string{"", "plain", `quote " and \ backslash`, "<b>&amp;</b>", "tab\tnew\nline\x01", "ünïcödé €",
		"line\u2028sep\u2029", "bad \xff utf-8", "emoji 🏗️"}
	areas := []units.Area{0, 1, 5, 10, 8450, 12345678, 99999999999, -50}
	var ps []store.ProjectDetail
	for i, s := range odd {
		u := store.User{ID: "u" + s, Name: s, Email: s + "@x.test", Role: authz.Role(s), EntityID: int64(i) - 3, EntityName: s,
			Active: i%2 == 0, CreatedAt: t0.Add(time.Duration(i) * time.Second).In(paris)}
		if i%3 == 0 {
			u.CategoryID, u.CategoryName = sql.NullInt64{Int64: int64(i), Valid: true}, sql.NullString{String: s, Valid: true}
		}
		if i == 5 {
			u.Role = authz.RoleOwner // a role whose label is not its name
		}
		p := store.ProjectDetail{Project: store.Project{ID: s, Name: s, Code: s, Address: s, Status: project.Status(s),
			BudgetAmount: int64(i) * -1000003, Currency: s, TimeZone: s, OwnerID: s, OwnerName: s, OwnerEmail: s, OwnerEntity: s,
			UnitCount: i, MemberCount: i + 1, CreatedAt: t0, UpdatedAt: t0.Add(-time.Hour).In(paris)},
			Team: []store.Member{{ProjectID: s, TeamRole: authz.TeamRole(s), JoinedAt: t0.Add(time.Duration(i)), User: u}},
			Units: []store.Unit{{ID: s, ProjectID: s, UnitNumber: s, UnitType: s, TotalArea: areas[i%len(areas)],
				NumberOfFloors: i, NumberOfRooms: -i, NumberOfBathrooms: 1 << 40, CreatedByAI: i%2 == 1, Version: int64(i),
				Floors:    []store.Floor{{FloorNumber: 1, FloorArea: areas[(i+1)%len(areas)]}, {FloorNumber: 2, FloorArea: areas[(i+2)%len(areas)]}},
				CreatedAt: t0.In(paris), UpdatedAt: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}}}
		switch i {
		case 1:
			p.Team, p.Units = nil, nil
		case 2:
			p.Team, p.Units = []store.Member{}, []store.Unit{}
		case 3:
			p.Units[0].Floors = nil
		case 4:
			p.Units[0].Floors = []store.Floor{}
		}
		ps = append(ps, p)
	}
	// Areas as the list computes them: hundredths ÷ 100 against Area.Float's parse.
	for _, a := range areas {
		if areaJSON(a) != a.Float() {
			t.Errorf("area %d: %v, Area.Float %v", a, areaJSON(a), a.Float())
		}
		ps[0].Units = append(ps[0].Units, store.Unit{TotalArea: a, Floors: []store.Floor{{FloorArea: a}}})
	}

	for _, pg := range []projectsPage{
		{Projects: ps, Page: 2, PerPage: 50, Total: 123},
		{Projects: []store.ProjectDetail{}, Page: 1, PerPage: 25},
		{Projects: nil, Page: -1, PerPage: 0, Total: -7},
	} {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(map[string]any{"projects": projectsJSON(pg.Projects), "page": pg.Page, "perPage": pg.PerPage, "total": pg.Total}); err != nil {
			t.Fatal(err)
		}
		got := appendProjectsPage(nil, pg)
		if !bytes.Equal(got, want.Bytes()) {
			i := 0
			for i < len(got) && i < want.Len() && got[i] == want.Bytes()[i] {
				i++
			}
			t.Errorf("differs from encoding/json at byte %d:\n got %.200s\nwant %.200s", i, got[max(i-60, 0):], want.Bytes()[max(i-60, 0):])
		}
	}
}
