// Package demo loads the demo data shown in the README: an administrator, two owners with
// projects and teams, in-house staff, bidders, their companies and trades.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/project"
	"github.com/14build/14build/store"
	"github.com/14build/14build/units"
)

// Password is every demo account's password.
const Password = "demo-password"

// Account is one demo login.
type Account struct {
	Name, Email string
	Role        authz.Role
	Entity      string
	Category    string
}

// Accounts are the demo logins, listed in the README.
var Accounts = []Account{
	{"Ada Admin", "admin@14build.test", authz.RoleAdmin, "14Build", ""},
	{"Olivia Owner", "olivia@harbourhomes.test", authz.RoleOwner, "Harbour Homes", ""},
	{"Oscar Owner", "oscar@ridgeline.test", authz.RoleOwner, "Ridgeline Developments", ""},
	{"Ivan Estimator", "ivan@harbourhomes.test", authz.RoleInHouse, "Harbour Homes", ""},
	{"Quinn Surveyor", "quinn@harbourhomes.test", authz.RoleInHouse, "Harbour Homes", ""},
	{"Rosa Surveyor", "rosa@ridgeline.test", authz.RoleInHouse, "Ridgeline Developments", ""},
	{"Bea Builder", "bea@sparkelectrical.test", authz.RoleBidder, "Spark Electrical", "Electrical"},
	{"Bob Plumber", "bob@flowplumbing.test", authz.RoleBidder, "Flow Plumbing", "Plumbing"},
	{"Cara Concrete", "cara@solidform.test", authz.RoleBidder, "Solidform Concrete", "Concrete"},
}

type demoProject struct {
	owner   string
	in      store.ProjectInput
	members []string
	units   []units.Unit
}

// mkUnits makes n alike units numbered prefix-01…; area is in hundredths of m², split
// evenly over the floors.
func mkUnits(prefix, typ string, n int, area units.Area, floors, rooms, baths int) []units.Unit {
	us := make([]units.Unit, n)
	for i := range us {
		us[i] = units.Unit{UnitNumber: fmt.Sprintf("%s-%02d", prefix, i+1), UnitType: typ, TotalArea: area,
			NumberOfFloors: floors, NumberOfRooms: rooms, NumberOfBathrooms: baths, FloorAreas: units.SplitEvenly(area, floors)}
	}
	return us
}

// mixed is a realistic block: ground-floor flats larger than the upper ones.
func mixed(prefix string) []units.Unit {
	us := mkUnits(prefix, "Townhouse", 6, 14250, 2, 3, 2)
	us = append(us, units.Unit{UnitNumber: prefix + "-07", UnitType: "Townhouse (end)", TotalArea: 16800, NumberOfFloors: 3,
		NumberOfRooms: 4, NumberOfBathrooms: 3, FloorAreas: []units.Area{6200, 5800, 4800}})
	us = append(us, units.Unit{UnitNumber: prefix + "-08", UnitType: "Townhouse (end)", TotalArea: 16800, NumberOfFloors: 3,
		NumberOfRooms: 4, NumberOfBathrooms: 3, FloorAreas: []units.Area{6200, 5800, 4800}})
	return us
}

var projects = []demoProject{
	{"olivia@harbourhomes.test", store.ProjectInput{Name: "Harbour View Townhouses", Code: "HVT-01", Address: "12 Quay Street, Wellington", Status: project.Tendering, BudgetAmount: 485000000, Currency: "nzd", TimeZone: "Pacific/Auckland"},
		[]string{"ivan@harbourhomes.test", "quinn@harbourhomes.test"}, mixed("A")},
	{"olivia@harbourhomes.test", store.ProjectInput{Name: "Marina Apartments", Code: "MAR-02", Address: "3 Marina Parade, Wellington", Status: project.Planning, BudgetAmount: 1250000000, Currency: "nzd", TimeZone: "Pacific/Auckland"},
		[]string{"ivan@harbourhomes.test"}, mkUnits("B", "Apartment", 12, 7800, 1, 2, 1)},
	{"olivia@harbourhomes.test", store.ProjectInput{Name: "Kelburn Duplexes", Code: "KEL-03", Address: "40 Upland Road, Wellington", Status: project.Construction, BudgetAmount: 176000000, Currency: "nzd", TimeZone: "Pacific/Auckland"},
		[]string{"quinn@harbourhomes.test"}, mkUnits("D", "Duplex", 4, 16500, 2, 4, 2)},
	{"oscar@ridgeline.test", store.ProjectInput{Name: "Ridgeline Terraces", Code: "RT-100", Address: "200 Ridge Road, Denver CO", Status: project.Tendering, BudgetAmount: 920000000, Currency: "usd", TimeZone: "America/Denver"},
		[]string{"rosa@ridgeline.test"}, mkUnits("T", "Terrace house", 10, 11825, 2, 3, 2)},
	{"oscar@ridgeline.test", store.ProjectInput{Name: "Aspen Court", Code: "AC-7", Address: "7 Aspen Court, Boulder CO", Status: project.Completed, BudgetAmount: 310000000, Currency: "usd", TimeZone: "America/Denver"},
		nil, nil},
}

// pendingInvitations are invitations waiting for their invitee's answer, so the tour shows
// the consent step: Quinn sees Olivia's invitation to Marina Apartments on the dashboard.
var pendingInvitations = []struct{ project, email string }{
	{"MAR-02", "quinn@harbourhomes.test"},
}

// Load creates the demo data unless it is there already (it checks for the administrator).
// hash turns a password into its stored hash.
func Load(ctx context.Context, st *store.Store, hash func(string) (string, error)) (bool, error) {
	if _, err := st.UserByEmail(ctx, Accounts[0].Email); err == nil {
		return false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	pw, err := hash(Password)
	if err != nil {
		return false, err
	}
	cats, err := st.Categories(ctx)
	if err != nil {
		return false, err
	}
	ids := map[string]string{}
	for _, a := range Accounts {
		var catID int64
		for _, c := range cats {
			if c.Name == a.Category {
				catID = c.ID
			}
		}
		u, err := st.CreateUser(ctx, store.NewUser{Name: a.Name, Email: a.Email, PasswordHash: pw, Role: a.Role, Entity: a.Entity, CategoryID: catID})
		if err != nil {
			return false, fmt.Errorf("demo user %s: %w", a.Email, err)
		}
		ids[a.Email] = u.ID
	}
	catIDs := map[string]int64{}
	for _, c := range cats {
		catIDs[c.Name] = c.ID
	}
	for i, dp := range projects {
		p, err := st.CreateProject(ctx, ids[dp.owner], dp.in)
		if err != nil {
			return false, fmt.Errorf("demo project %s: %w", dp.in.Code, err)
		}
		for _, m := range dp.members {
			if err := st.AddMember(ctx, p.ID, ids[m]); err != nil {
				return false, err
			}
		}
		if _, err := st.CreateUnits(ctx, p.ID, dp.units, false); err != nil {
			return false, err
		}
		for _, inv := range pendingInvitations {
			if inv.project != dp.in.Code {
				continue
			}
			tok := make([]byte, 32)
			if _, err := rand.Read(tok); err != nil {
				return false, err
			}
			if _, err := st.CreateInvitation(ctx, p.ID, inv.email, ids[dp.owner], hex.EncodeToString(tok), 14*24*time.Hour); err != nil {
				return false, fmt.Errorf("demo invitation: %w", err)
			}
		}
		if i == 0 {
			// A realistic schedule of quantities on the first project.
			soqID, err := st.CreateSOQ(ctx, p.ID, ids[dp.owner], demoSOQ(catIDs))
			if err != nil {
				return false, fmt.Errorf("demo SOQ: %w", err)
			}
			// Its tenders, one open and one closed with bids to level (tenders.go).
			if err := loadTenders(ctx, st, p.ID, soqID, ids[dp.owner], ids, catIDs, pw, dp.in.TimeZone); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}
