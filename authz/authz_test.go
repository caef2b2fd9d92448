package authz

import "testing"

func TestMatrix(t *testing.T) {
	t.Parallel()
	// Each row of DOMAIN.md's table, every cell, allowed and refused.
	want := map[Role][]Permission{
		RoleOwner:   {CreateProject, CreateTender, CreateSOQ, AwardBid},
		RoleInHouse: {CreateTender, CreateSOQ, AwardBid},
		RoleBidder:  {SubmitBid},
		RoleAdmin:   {CreateProject, CreateTender, CreateSOQ, AwardBid, DeleteProject, ManageUsers},
	}
	all := []Permission{CreateProject, CreateTender, CreateSOQ, AwardBid, DeleteProject, ManageUsers, SubmitBid}
	for role, allowed := range want {
		set := map[Permission]bool{}
		for _, p := range allowed {
			set[p] = true
		}
		for _, p := range all {
			if got := Can(role, p); got != set[p] {
				t.Errorf("Can(%s, %s) = %v, want %v", role, p, got, set[p])
			}
		}
	}
	if Can(Role("nobody"), CreateProject) {
		t.Error("unknown role must hold no permission")
	}
}

func TestCanInProject(t *testing.T) {
	t.Parallel()
	owner := Membership{OnTeam: true, IsOwner: true}
	member := Membership{OnTeam: true}
	outsider := Membership{}
	cases := []struct {
		role Role
		m    Membership
		a    ProjectAction
		want bool
	}{
		{RoleOwner, owner, ViewProject, true},
		{RoleOwner, owner, EditProject, true},
		{RoleOwner, owner, ManageTeam, true},
		{RoleOwner, owner, RemoveProject, false}, // the seed: owners cannot delete
		{RoleOwner, outsider, ViewProject, false},
		{RoleInHouse, member, ViewProject, true},
		{RoleInHouse, member, EditProject, false},
		{RoleInHouse, member, ManageTeam, false},
		{RoleInHouse, member, RemoveProject, false},
		{RoleInHouse, outsider, ViewProject, false},
		{RoleBidder, outsider, ViewProject, false},
		{RoleAdmin, outsider, ViewProject, true},
		{RoleAdmin, outsider, RemoveProject, true},
		{RoleAdmin, outsider, ManageTeam, true},
		{RoleOwner, owner, EditUnits, true},
		{RoleInHouse, member, EditUnits, true},
		{RoleInHouse, outsider, EditUnits, false},
		{RoleBidder, outsider, EditUnits, false},
		{RoleOwner, owner, EditSOQ, true},
		{RoleInHouse, member, EditSOQ, true},
		{RoleOwner, outsider, EditSOQ, false},
		{RoleAdmin, outsider, EditSOQ, true},
	}
	for _, c := range cases {
		if got := CanInProject(c.role, c.m, c.a); got != c.want {
			t.Errorf("CanInProject(%s, %+v, %s) = %v, want %v", c.role, c.m, c.a, got, c.want)
		}
	}
}

// Rights follow the role a user has now: rows left from an earlier role grant nothing.
func TestCanInProjectFollowsCurrentRole(t *testing.T) {
	t.Parallel()
	owner := Membership{OnTeam: true, IsOwner: true}
	member := Membership{OnTeam: true}
	all := []ProjectAction{ViewProject, EditProject, ManageTeam, RemoveProject, EditUnits, EditSOQ, TransferProject, ManageMoney}
	for _, a := range all {
		// A former owner (or member) who is a bidder now: nothing, anywhere.
		if CanInProject(RoleBidder, owner, a) || CanInProject(RoleBidder, member, a) {
			t.Errorf("bidder with a leftover team row may %s", a)
		}
		// An unknown role holds nothing either.
		if CanInProject(Role("nobody"), owner, a) {
			t.Errorf("unknown role may %s", a)
		}
		// Administrators may do everything, transfers included.
		if !CanInProject(RoleAdmin, Membership{}, a) {
			t.Errorf("admin may not %s", a)
		}
	}
	// An owner demoted to in-house who still owns the project: a member's rights, never the owner's.
	for a, want := range map[ProjectAction]bool{ViewProject: true, EditUnits: true, EditSOQ: true,
		EditProject: false, ManageTeam: false, RemoveProject: false, TransferProject: false, ManageMoney: false} {
		if got := CanInProject(RoleInHouse, owner, a); got != want {
			t.Errorf("in-house with owner_id, %s = %v, want %v", a, got, want)
		}
	}
	// Money is the owner's: an in-house member of the team may not fund or release.
	if !CanInProject(RoleOwner, owner, ManageMoney) || CanInProject(RoleInHouse, member, ManageMoney) || CanInProject(RoleOwner, member, ManageMoney) {
		t.Error("ManageMoney is the project owner's alone")
	}
	// Only administrators transfer projects, not even the owner.
	if CanInProject(RoleOwner, owner, TransferProject) {
		t.Error("owner may transfer")
	}
}

func TestTeamRoles(t *testing.T) {
	t.Parallel()
	for r, want := range map[Role]TeamRole{RoleOwner: TeamOwner, RoleInHouse: TeamInHouse, RoleBidder: "", RoleAdmin: ""} {
		got, ok := TeamRoleOf(r)
		if got != want || ok != (want != "") {
			t.Errorf("TeamRoleOf(%s) = %q, %v", r, got, ok)
		}
	}
	if TeamOwner.Removable() || !TeamInHouse.Removable() {
		t.Error("only the Project Owner stays on the team")
	}
	if !TeamOwner.Valid() || !TeamInHouse.Valid() || TeamRole("Bidder").Valid() || TeamRole("project owner").Valid() {
		t.Error("Valid")
	}
	// The spellings are the database's CHECK constraint's (migrations/00001_init.sql).
	if string(TeamOwner) != "Project Owner" || string(TeamInHouse) != "In-House User" {
		t.Error("team roles must keep the stored spellings")
	}
}

func TestOwnership(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r            Role
		own, receive bool
	}{
		{RoleOwner, true, true},
		{RoleAdmin, true, false},
		{RoleInHouse, false, false},
		{RoleBidder, false, false},
		{Role("ghost"), false, false},
	} {
		if got := tc.r.CanOwnProjects(); got != tc.own {
			t.Errorf("%s.CanOwnProjects() = %v", tc.r, got)
		}
		if got := tc.r.CanReceiveProjects(); got != tc.receive {
			t.Errorf("%s.CanReceiveProjects() = %v", tc.r, got)
		}
	}
	for _, tc := range []struct {
		from, to Role
		owned    int
		ok       bool
	}{
		{RoleOwner, RoleBidder, 1, false},
		{RoleOwner, RoleInHouse, 2, false},
		{RoleOwner, RoleAdmin, 1, true},
		{RoleAdmin, RoleOwner, 3, true},
		{RoleOwner, RoleBidder, 0, true},
		{RoleInHouse, RoleInHouse, 1, true}, // left in that state: other edits go through
	} {
		if got := CanChangeRole(tc.from, tc.to, tc.owned); got != tc.ok {
			t.Errorf("CanChangeRole(%s, %s, %d) = %v", tc.from, tc.to, tc.owned, got)
		}
	}
}
