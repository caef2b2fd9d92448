package handlers

import (
	"context"
	"fmt"
	"testing"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/units"
)

// GET /api/projects brings each project with its owner, its units with floors and its team
// with each member's account, in the paging envelope, and costs the same number of
// statements for 2 projects as for 7.
func TestAPIProjectListWithChildrenInConstantQueries(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	ctx := context.Background()
	small := a.user(authz.RoleOwner, "small@example.com")
	big := a.user(authz.RoleOwner, "big@example.com")
	staff := a.user(authz.RoleInHouse, "staff@example.com")
	batch := []units.Unit{
		{UnitNumber: "A-1", UnitType: "Flat", TotalArea: 12050, NumberOfFloors: 2, NumberOfRooms: 3, NumberOfBathrooms: 1, FloorAreas: []units.Area{6000, 6050}},
		{UnitNumber: "A-2", UnitType: "Studio", TotalArea: 4000, NumberOfFloors: 1, NumberOfRooms: 1, NumberOfBathrooms: 1, FloorAreas: []units.Area{4000}},
	}
	for i := range 9 {
		owner := big
		if i < 2 {
			owner = small
		}
		p := a.project(owner, fmt.Sprintf("P%d", i), staff)
		if _, err := a.st.CreateUnits(ctx, p.ID, batch, false); err != nil {
			t.Fatal(err)
		}
	}

	list := func(email string, want int) (map[string]any, int64) {
		t.Helper()
		c := a.login(email)
		c.get("/api/projects") // the first request of a session may prepare statements
		before := a.st.QueryCount()
		res := c.get("/api/projects?perPage=50")
		n := a.st.QueryCount() - before
		m := res.JSON(t)
		if res.Code != 200 || m["total"] != float64(want) || m["page"] != float64(1) || m["perPage"] != float64(50) {
			t.Fatalf("%s: %d %v", email, res.Code, res.Body)
		}
		ps := m["projects"].([]any)
		if len(ps) != want {
			t.Fatalf("%s: %d projects, want %d", email, len(ps), want)
		}
		for _, pv := range ps {
			p := pv.(map[string]any)
			o := p["owner"].(map[string]any)
			if (o["email"] != small.Email && o["email"] != big.Email) || (email != staff.Email && o["email"] != email) || o["id"] != p["ownerId"] {
				t.Errorf("%s: owner %v", email, o)
			}
			us := p["units"].([]any)
			if len(us) != 2 || p["unitCount"] != float64(2) {
				t.Fatalf("units: %v", us)
			}
			u := us[0].(map[string]any)
			fl := u["floors"].([]any)
			if u["unitNumber"] != "A-1" || u["projectId"] != p["id"] || u["totalFloorArea"] != 120.5 || len(fl) != 2 ||
				fl[1].(map[string]any)["floorNumber"] != float64(2) || fl[1].(map[string]any)["floorArea"] != 60.5 {
				t.Errorf("unit: %v", u)
			}
			team := p["teamMembers"].([]any)
			if len(team) != 2 {
				t.Fatalf("team: %v", team)
			}
			m0, m1 := team[0].(map[string]any), team[1].(map[string]any)
			if m0["role"] != "Project Owner" || m0["user"].(map[string]any)["email"] != o["email"] ||
				m1["userId"] != staff.ID || m1["user"].(map[string]any)["email"] != staff.Email || m1["user"].(map[string]any)["entity"] == nil {
				t.Errorf("team: %v", team)
			}
		}
		return m, n
	}
	_, nSmall := list(small.Email, 2)
	_, nBig := list(big.Email, 7)
	// The session with its user, the page, units, floors, team.
	if nSmall != 5 || nBig != 5 {
		t.Errorf("statements per request: %d for 2 projects, %d for 7; want 5 and 5", nSmall, nBig)
	}
	// The in-house member sees the projects whose team they are on, a bidder none.
	if m, _ := list(staff.Email, 9); len(m["projects"].([]any)) != 9 {
		t.Errorf("staff: %v", m["total"])
	}
	bidder := a.user(authz.RoleBidder, "bidder@example.com")
	owned, err := a.st.OwnedProjects(ctx, big.ID)
	if err != nil || len(owned) == 0 {
		t.Fatal(err)
	}
	if err := a.st.AddMember(ctx, owned[0].ID, bidder.ID); err != nil {
		t.Fatal(err)
	}
	if m := a.login(bidder.Email).get("/api/projects").JSON(t); m["total"] != float64(0) || len(m["projects"].([]any)) != 0 {
		t.Errorf("a bidder with a stale team row sees %v projects", m["total"])
	}
}
