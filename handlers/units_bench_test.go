package handlers

import (
	"context"
	"fmt"
	"testing"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/units"
)

func batchOf(n, floors int) map[string]any {
	us := make([]any, n)
	areas := make([]any, floors)
	for j := range areas {
		areas[j] = 30.5
	}
	for i := range us {
		us[i] = unitJSON(fmt.Sprintf("U-%04d", i+1), 30.5*float64(floors), areas...)
	}
	return map[string]any{"units": us}
}

// BenchmarkUnitsBatchCreate saves batches of units with 3 floors each through the API;
// queries/op must not grow with the batch.
func BenchmarkUnitsBatchCreate(b *testing.B) {
	for _, n := range []int{50, 500} {
		b.Run(fmt.Sprintf("units=%d", n), func(b *testing.B) {
			a := newTestApp(b)
			o := a.user(authz.RoleOwner, "o@example.com")
			c := a.login(o.Email)
			body := batchOf(n, 3)
			var queries int64
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				p := a.project(o, fmt.Sprintf("B%d", i))
				before := a.st.QueryCount()
				b.StartTimer()
				res := c.do("POST", "/api/projects/"+p.ID+"/units", body)
				b.StopTimer()
				queries += a.st.QueryCount() - before
				if res.Code != 201 {
					b.Fatalf("%d %s", res.Code, res.Body[:min(len(res.Body), 300)])
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(queries)/float64(b.N), "queries/op")
		})
	}
}

// BenchmarkUnitsEditorRender renders the unit editor page (table, schedule) for a project;
// queries/op must not grow with the number of units.
func BenchmarkUnitsEditorRender(b *testing.B) {
	for _, n := range []int{50, 500} {
		b.Run(fmt.Sprintf("units=%d", n), func(b *testing.B) {
			a := newTestApp(b)
			o := a.user(authz.RoleOwner, "o@example.com")
			p := a.project(o, "R")
			batch := make([]units.Unit, n)
			for i := range batch {
				batch[i] = units.Unit{UnitNumber: fmt.Sprintf("U-%04d", i+1), UnitType: []string{"Townhouse", "Apartment", "Villa"}[i%3],
					TotalArea: 9150, NumberOfFloors: 3, NumberOfRooms: 3, NumberOfBathrooms: 2, FloorAreas: []units.Area{3050, 3050, 3050}}
			}
			if _, err := a.st.CreateUnits(context.Background(), p.ID, batch, false); err != nil {
				b.Fatal(err)
			}
			c := a.login(o.Email)
			before := a.st.QueryCount()
			for b.Loop() {
				if res := c.get("/projects/" + p.ID + "/units"); res.Code != 200 {
					b.Fatal(res.Code)
				}
			}
			b.ReportMetric(float64(a.st.QueryCount()-before)/float64(b.N), "queries/op")
		})
	}
}
