// Store tests run against a real PostgreSQL, each on its own database (internal/testdb).
// They are in package store_test because testdb itself imports store.
package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/project"
	"github.com/14build/14build/store"
	"github.com/14build/14build/units"
)

type storeFixture struct {
	t  *testing.T
	st *store.Store
}

func newStore(t *testing.T) storeFixture {
	t.Helper()
	return storeFixture{t: t, st: store.New(testdb.New(t))}
}

func (f storeFixture) user(role authz.Role, email string) store.User {
	f.t.Helper()
	u, err := f.st.CreateUser(context.Background(), store.NewUser{Name: "Name of " + email, Email: email,
		PasswordHash: "x", Role: role, Entity: "Entity of " + email})
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f storeFixture) project(owner store.User, name, code, status string, members ...store.User) store.Project {
	f.t.Helper()
	ctx := context.Background()
	p, err := f.st.CreateProject(ctx, owner.ID, store.ProjectInput{Name: name, Code: code, Address: "1 Test Street",
		Status: project.Status(status), Currency: "usd", TimeZone: "UTC"})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, m := range members {
		if err := f.st.AddMember(ctx, p.ID, m.ID); err != nil {
			f.t.Fatal(err)
		}
	}
	return p
}

func names(ps []store.Project) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

func TestListProjectsScopeFiltersAndPaging(t *testing.T) {
	t.Parallel()
	f := newStore(t)
	ctx := context.Background()
	owner := f.user(authz.RoleOwner, "owner@example.com")
	staff := f.user(authz.RoleInHouse, "staff@example.com")
	other := f.user(authz.RoleOwner, "other@example.com")
	f.project(owner, "Harbour 50% off", "H1", "planning", staff)
	f.project(owner, "Hill Road", "H2", "tendering")
	f.project(owner, "Quay", "Q1", "tendering")
	f.project(other, "Elsewhere", "E1", "tendering")

	for _, tc := range []struct {
		name  string
		scope store.ProjectScope
		f     store.ProjectFilter
		want  []string // in order: last changed first
		total int
	}{
		{"owner's team", store.ProjectScope{UserID: owner.ID}, store.ProjectFilter{}, []string{"Quay", "Hill Road", "Harbour 50% off"}, 3},
		{"member of one", store.ProjectScope{UserID: staff.ID}, store.ProjectFilter{}, []string{"Harbour 50% off"}, 1},
		{"every project", store.ProjectScope{All: true}, store.ProjectFilter{}, []string{"Elsewhere", "Quay", "Hill Road", "Harbour 50% off"}, 4},
		{"nobody", store.ProjectScope{}, store.ProjectFilter{}, nil, 0},
		{"status", store.ProjectScope{UserID: owner.ID}, store.ProjectFilter{Status: "tendering"}, []string{"Quay", "Hill Road"}, 2},
		{"text in the code", store.ProjectScope{UserID: owner.ID}, store.ProjectFilter{Query: "h2"}, []string{"Hill Road"}, 1},
		// A % is the text "%", not a wildcard.
		{"escaped wildcard", store.ProjectScope{UserID: owner.ID}, store.ProjectFilter{Query: "50%"}, []string{"Harbour 50% off"}, 1},
		{"wildcard matches nothing else", store.ProjectScope{UserID: owner.ID}, store.ProjectFilter{Query: "%"}, []string{"Harbour 50% off"}, 1},
		{"second page", store.ProjectScope{UserID: owner.ID}, store.ProjectFilter{Page: 2, PerPage: 2}, []string{"Harbour 50% off"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, total, err := f.st.ListProjects(ctx, tc.scope, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(ps); fmt.Sprint(got) != fmt.Sprint(tc.want) || total != tc.total {
				t.Errorf("got %q (total %d), want %q (total %d)", got, total, tc.want, tc.total)
			}
			for _, p := range ps {
				if p.OwnerEmail == "" || p.MemberCount < 1 {
					t.Errorf("%s: owner %q, %d members", p.Name, p.OwnerEmail, p.MemberCount)
				}
			}
			details, dtotal, err := f.st.ListProjectDetails(ctx, tc.scope, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			dnames := make([]string, len(details))
			for i, d := range details {
				dnames[i] = d.Name
			}
			if fmt.Sprint(dnames) != fmt.Sprint(tc.want) || dtotal != tc.total {
				t.Errorf("details: got %q (total %d), want %q (total %d)", dnames, dtotal, tc.want, tc.total)
			}
		})
	}

	counts, err := f.st.ProjectStatusCounts(ctx, store.ProjectScope{UserID: owner.ID})
	if err != nil || counts["planning"] != 1 || counts["tendering"] != 2 || len(counts) != 2 {
		t.Errorf("owner's status counts: %v %v", counts, err)
	}
	counts, err = f.st.ProjectStatusCounts(ctx, store.ProjectScope{All: true})
	if err != nil || counts["tendering"] != 3 {
		t.Errorf("all status counts: %v %v", counts, err)
	}
	if counts, err := f.st.ProjectStatusCounts(ctx, store.ProjectScope{}); err != nil || len(counts) != 0 {
		t.Errorf("empty scope counts: %v %v", counts, err)
	}
}

// ListProjectDetails brings every project's units with floors and team with accounts, in
// the same number of statements for 2 projects as for 6.
func TestListProjectDetailsChildrenInConstantQueries(t *testing.T) {
	t.Parallel()
	f := newStore(t)
	ctx := context.Background()
	small := f.user(authz.RoleOwner, "small@example.com")
	big := f.user(authz.RoleOwner, "big@example.com")
	staff := f.user(authz.RoleInHouse, "staff@example.com")
	batch := []units.Unit{
		{UnitNumber: "B-2", UnitType: "Flat", TotalArea: 12050, NumberOfFloors: 2, NumberOfRooms: 3, NumberOfBathrooms: 1, FloorAreas: []units.Area{6000, 6050}},
		{UnitNumber: "a-1", UnitType: "Studio", TotalArea: 4000, NumberOfFloors: 1, NumberOfRooms: 1, NumberOfBathrooms: 1, FloorAreas: []units.Area{4000}},
	}
	for i := range 6 {
		owner := big
		if i < 2 {
			owner = small
		}
		p := f.project(owner, fmt.Sprintf("P%d", i), fmt.Sprintf("C%d", i), "planning", staff)
		if _, err := f.st.CreateUnits(ctx, p.ID, batch, false); err != nil {
			t.Fatal(err)
		}
	}
	f.project(big, "Empty", "E", "planning")

	queries := func(u store.User, want int) int64 {
		t.Helper()
		before := f.st.QueryCount()
		ps, total, err := f.st.ListProjectDetails(ctx, store.ProjectScope{UserID: u.ID}, store.ProjectFilter{})
		n := f.st.QueryCount() - before
		if err != nil || len(ps) != want || total != want {
			t.Fatalf("%s: %d projects (total %d), want %d: %v", u.Email, len(ps), total, want, err)
		}
		for _, p := range ps {
			if p.Name == "Empty" {
				if p.Units != nil || len(p.Team) != 1 || p.UnitCount != 0 || p.MemberCount != 1 {
					t.Errorf("empty project: %d units, %d members", len(p.Units), len(p.Team))
				}
				continue
			}
			if len(p.Units) != 2 || p.UnitCount != 2 || len(p.Team) != 2 || p.MemberCount != 2 {
				t.Fatalf("%s: %d units, %d members", p.Name, len(p.Units), len(p.Team))
			}
			// Units in unit-number order, case-insensitively, each with its own floors.
			a, b := p.Units[0], p.Units[1]
			if a.UnitNumber != "a-1" || b.UnitNumber != "B-2" || a.ProjectID != p.ID ||
				len(a.Floors) != 1 || len(b.Floors) != 2 || b.Floors[1].FloorNumber != 2 || b.Floors[1].FloorArea != 6050 || b.TotalArea != 12050 {
				t.Errorf("%s units: %+v", p.Name, p.Units)
			}
			// The owner first, each member with their account.
			if p.Team[0].TeamRole != "Project Owner" || p.Team[0].ID != u.ID || p.Team[1].Email != staff.Email || p.Team[1].EntityName == "" {
				t.Errorf("%s team: %+v", p.Name, p.Team)
			}
			if p.OwnerEmail != u.Email {
				t.Errorf("%s owner: %q", p.Name, p.OwnerEmail)
			}
			// Times read as microseconds since 1970 are the instants lib/pq reads.
			one, err := f.st.Unit(ctx, p.ID, a.ID)
			pr, _, err2 := f.st.ProjectFor(ctx, p.ID, u.ID)
			if err != nil || err2 != nil || !one.CreatedAt.Equal(a.CreatedAt) || !one.UpdatedAt.Equal(a.UpdatedAt) || a.CreatedAt.Nanosecond() == 0 ||
				!pr.CreatedAt.Equal(p.CreatedAt) || !pr.UpdatedAt.Equal(p.UpdatedAt) || !reflect.DeepEqual(one.Floors, a.Floors) {
				t.Errorf("%s: unit %+v, listed %+v; project times %v %v, listed %v %v (%v %v)", p.Name, one, a, pr.CreatedAt, pr.UpdatedAt, p.CreatedAt, p.UpdatedAt, err, err2)
			}
		}
		return n
	}
	if s, b := queries(small, 2), queries(big, 5); s != 4 || b != 4 {
		t.Errorf("statements: %d for 2 projects, %d for 5; want 4 and 4", s, b)
	}
}

func TestCreateUnitsAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newStore(t)
	ctx := context.Background()
	owner := f.user(authz.RoleOwner, "o@example.com")
	p := f.project(owner, "P", "P", "planning")
	made, err := f.st.CreateUnits(ctx, p.ID, []units.Unit{
		{UnitNumber: "Z 'quoted' \"unit\"", UnitType: "Flat, ground", TotalArea: 1, NumberOfFloors: 1, NumberOfRooms: 1, NumberOfBathrooms: 1, FloorAreas: []units.Area{1}},
		{UnitNumber: "Ünit 2", UnitType: "", TotalArea: 99999999, NumberOfFloors: 3, NumberOfRooms: 7, NumberOfBathrooms: 2, FloorAreas: []units.Area{1, 2, 3}},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	// Returned in the batch's order, every field as written.
	if len(made) != 2 || made[0].UnitNumber != "Z 'quoted' \"unit\"" || made[0].UnitType != "Flat, ground" || made[0].TotalArea != 1 ||
		made[1].UnitNumber != "Ünit 2" || made[1].TotalArea != 99999999 || made[1].NumberOfRooms != 7 || made[1].NumberOfBathrooms != 2 ||
		len(made[1].Floors) != 3 || made[1].Floors[2].FloorArea != 3 || !made[0].CreatedByAI {
		t.Fatalf("created: %+v", made)
	}
	// A batch with a taken number (case-insensitively) writes nothing, not even its other unit.
	_, err = f.st.CreateUnits(ctx, p.ID, []units.Unit{
		{UnitNumber: "New", TotalArea: 5, NumberOfFloors: 1, NumberOfRooms: 1, NumberOfBathrooms: 1, FloorAreas: []units.Area{5}},
		{UnitNumber: "ünit 2", TotalArea: 5, NumberOfFloors: 1, NumberOfRooms: 1, NumberOfBathrooms: 1, FloorAreas: []units.Area{5}},
	}, false)
	if !errors.Is(err, store.ErrUnitNumberTaken) {
		t.Fatalf("taken number: %v", err)
	}
	us, err := f.st.Units(ctx, p.ID)
	if err != nil || len(us) != 2 {
		t.Errorf("units after the refused batch: %d %v", len(us), err)
	}
	// Replacing a unit's floors keeps the new ones only.
	if err := f.st.UpdateUnit(ctx, p.ID, made[1].ID, nil, units.Unit{UnitNumber: "Ünit 2", TotalArea: 42, NumberOfFloors: 1, NumberOfRooms: 1, NumberOfBathrooms: 1, FloorAreas: []units.Area{42}}); err != nil {
		t.Fatal(err)
	}
	u, err := f.st.Unit(ctx, p.ID, made[1].ID)
	if err != nil || len(u.Floors) != 1 || u.Floors[0].FloorArea != 42 || u.Version != made[1].Version+1 {
		t.Errorf("updated unit: %+v %v", u, err)
	}
}

func TestSessionsLoadWithUserAndRevocation(t *testing.T) {
	t.Parallel()
	f := newStore(t)
	ctx := context.Background()
	u := f.user(authz.RoleOwner, "s@example.com")
	hashA, hashB := []byte("session-a-hash-32-bytes-long....."), []byte("session-b-hash-32-bytes-long.....")
	for _, h := range [][]byte{hashA, hashB} {
		if err := f.st.CreateSession(ctx, h, &u.ID, map[string]any{"flash": "hi"}, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	before := f.st.QueryCount()
	row, err := f.st.LoadSession(ctx, hashA)
	if err != nil || f.st.QueryCount()-before != 1 {
		t.Fatalf("load: %v, %d statements", err, f.st.QueryCount()-before)
	}
	if row.UserID == nil || *row.UserID != u.ID || row.User == nil || row.User.Email != u.Email || row.User.EntityName != u.EntityName ||
		row.User.Role != authz.RoleOwner || !row.User.Active || row.Data["flash"] != "hi" {
		t.Errorf("loaded session: %+v user %+v", row, row.User)
	}
	// An expired session is not found.
	expired := []byte("session-expired-hash-32-bytes....")
	if err := f.st.CreateSession(ctx, expired, &u.ID, map[string]any{}, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.LoadSession(ctx, expired); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
	// A password change keeps the session it came from and ends the others.
	if err := f.st.SetPassword(ctx, u.ID, "new-hash", hashA); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.LoadSession(ctx, hashA); err != nil {
		t.Errorf("kept session: %v", err)
	}
	if _, err := f.st.LoadSession(ctx, hashB); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other session after a password change: %v", err)
	}
	// An update never brings back a deleted session.
	if err := f.st.UpdateSession(ctx, hashB, &u.ID, map[string]any{}, time.Now().Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a deleted session: %v", err)
	}
	// Deactivation ends every session.
	if err := f.st.DeactivateUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.LoadSession(ctx, hashA); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session after deactivation: %v", err)
	}
}

// Transactions do not wait for a second connection to prepare a statement: with a pool of
// one connection, a transaction running statements never seen before still finishes.
func TestPreparedStatementsInTransactionsWithOneConnection(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	db.SetMaxOpenConns(1)
	st := store.New(db)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 3 { // first run unprepared, later ones prepared
		u, err := st.CreateUser(ctx, store.NewUser{Name: "N", Email: fmt.Sprintf("u%d@example.com", i), PasswordHash: "x", Role: authz.RoleOwner, Entity: "E"})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if _, err := st.CreateUser(ctx, store.NewUser{Name: "N", Email: u.Email, PasswordHash: "x", Role: authz.RoleOwner, Entity: "E"}); !errors.Is(err, store.ErrEmailTaken) {
			t.Fatalf("run %d: a taken email: %v", i, err)
		}
		time.Sleep(50 * time.Millisecond) // lets the statements prepare aside
	}
}

// BenchmarkListProjectDetails is the store's part of GET /api/projects on the load test's
// data: 50 projects × 10 units (one floor each) × 3 members.
func BenchmarkListProjectDetails(b *testing.B) {
	ctx := context.Background()
	st := store.New(testdb.New(b))
	mk := func(email string, role authz.Role) store.User {
		u, err := st.CreateUser(ctx, store.NewUser{Name: email, Email: email, PasswordHash: "x", Role: role, Entity: "E"})
		if err != nil {
			b.Fatal(err)
		}
		return u
	}
	owner, s1, s2 := mk("o@example.com", authz.RoleOwner), mk("s1@example.com", authz.RoleInHouse), mk("s2@example.com", authz.RoleInHouse)
	batch := make([]units.Unit, 10)
	for i := range batch {
		batch[i] = units.Unit{UnitNumber: fmt.Sprintf("U-%02d", i+1), UnitType: "Apartment", TotalArea: 8450,
			NumberOfFloors: 1, NumberOfRooms: 2, NumberOfBathrooms: 1, FloorAreas: []units.Area{8450}}
	}
	for i := range 50 {
		p, err := st.CreateProject(ctx, owner.ID, store.ProjectInput{Name: fmt.Sprintf("P%02d", i), Code: fmt.Sprintf("C%02d", i),
			Status: project.Statuses[0], Currency: "usd", TimeZone: "UTC"})
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range []store.User{s1, s2} {
			if err := st.AddMember(ctx, p.ID, m.ID); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := st.CreateUnits(ctx, p.ID, batch, false); err != nil {
			b.Fatal(err)
		}
	}
	scope, f := store.ProjectScope{UserID: owner.ID}, store.ProjectFilter{PerPage: 50}
	b.ReportAllocs()
	q0 := st.QueryCount()
	for b.Loop() {
		ps, _, err := st.ListProjectDetails(ctx, scope, f)
		if err != nil || len(ps) != 50 {
			b.Fatal(len(ps), err)
		}
	}
	b.ReportMetric(float64(st.QueryCount()-q0)/float64(b.N), "queries/op")
}
