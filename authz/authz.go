// Package authz is the permission matrix of DOMAIN.md, in one place. Handlers ask it;
// routes.go names the permission of every route.
package authz

// Role is an account's role.
type Role string

const (
	RoleOwner   Role = "owner"
	RoleInHouse Role = "inhouse"
	RoleBidder  Role = "bidder"
	RoleAdmin   Role = "admin"
)

// Roles lists every role, in the order forms show them.
var Roles = []Role{RoleOwner, RoleInHouse, RoleBidder, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleInHouse, RoleBidder, RoleAdmin:
		return true
	}
	return false
}

// Label is the role's name as people read it (and as the seed spells it).
func (r Role) Label() string {
	switch r {
	case RoleOwner:
		return "Project Owner"
	case RoleInHouse:
		return "In-House User"
	case RoleBidder:
		return "Bidder"
	case RoleAdmin:
		return "Administrator"
	}
	return string(r)
}

// Permission is a role-level capability from the matrix.
type Permission string

const (
	CreateProject Permission = "create_project"
	CreateTender  Permission = "create_tender"
	CreateSOQ     Permission = "create_soq"
	AwardBid      Permission = "award_bid"
	DeleteProject Permission = "delete_project"
	ManageUsers   Permission = "manage_users"
	SubmitBid     Permission = "submit_bid"
)

// matrix is DOMAIN.md's table. The first six rows are the seed's, kept exactly:
// an owner cannot delete a project.
var matrix = map[Role]map[Permission]bool{
	RoleOwner:   {CreateProject: true, CreateTender: true, CreateSOQ: true, AwardBid: true},
	RoleInHouse: {CreateTender: true, CreateSOQ: true, AwardBid: true},
	RoleBidder:  {SubmitBid: true},
	RoleAdmin:   {CreateProject: true, CreateTender: true, CreateSOQ: true, AwardBid: true, DeleteProject: true, ManageUsers: true},
}

// Can reports whether the role holds the permission.
func Can(r Role, p Permission) bool { return matrix[r][p] }

// ProjectAction is something done inside one project. Beyond the role check, it needs the
// user to be on the project's team (administrators: everywhere).
type ProjectAction string

const (
	// ViewProject: any team member.
	ViewProject ProjectAction = "view_project"
	// EditProject: the project's owner (its name, dates, budget are the owner's).
	EditProject ProjectAction = "edit_project"
	// ManageTeam: inviting and removing members is the owner's alone.
	ManageTeam ProjectAction = "manage_team"
	// RemoveProject: DELETE_PROJECT, administrators only.
	RemoveProject ProjectAction = "delete_project"
	// EditUnits: the owner and in-house staff on the team edit units and floors.
	EditUnits ProjectAction = "edit_units"
	// EditSOQ: CREATE_SOQ inside the project: its owner and in-house staff.
	EditSOQ ProjectAction = "edit_soq"
	// TransferProject: giving the project to another owner is an administrator's.
	TransferProject ProjectAction = "transfer_project"
	// ManageMoney: a contract's milestones, funding, approval, release and refunds are the
	// project owner's (DOMAIN.md: money and team belong to the owner).
	ManageMoney ProjectAction = "manage_money"
)

// Membership is what the caller is in one project, as stored: a team_members row and
// projects.owner_id. It says nothing about the role the user has now; CanInProject weighs
// both.
type Membership struct {
	OnTeam  bool // a team member (owner or in-house)
	IsOwner bool // projects.owner_id is the user
}

// CanInProject reports whether a user with role r and membership m may do a in the project.
// A false answer for a user who is not on the team must be shown as 404, not 403.
//
// Rights follow the role the user has now, not the one they had when they joined: a
// bidder has no team rights whatever rows remain, and owning a project counts only for a
// Project Owner (administrators can do everything anyway).
func CanInProject(r Role, m Membership, a ProjectAction) bool {
	if r == RoleAdmin {
		return true
	}
	if !m.OnTeam || !CanSeeProjects(r) || !r.Valid() {
		return false
	}
	switch a {
	case ViewProject:
		return true
	case EditProject, ManageTeam, ManageMoney:
		return m.IsOwner && r == RoleOwner
	case EditUnits:
		return r == RoleOwner || r == RoleInHouse
	case EditSOQ:
		return Can(r, CreateSOQ)
	case RemoveProject:
		return Can(r, DeleteProject)
	}
	return false
}

// CanSeeProjects reports whether the role works inside projects at all (bidders do not:
// they see tenders open to them).
func CanSeeProjects(r Role) bool { return r != RoleBidder }

// CanOwnProjects reports whether an account with this role may own projects: create them,
// and keep those it owns. Project Owners and administrators may; an account that owns
// projects keeps such a role until an administrator transfers them (CanChangeRole).
func (r Role) CanOwnProjects() bool { return Can(r, CreateProject) }

// CanReceiveProjects reports whether a project may be transferred to an account with this
// role: Project Owners only (an administrator keeps what they created but is not handed
// other people's projects).
func (r Role) CanReceiveProjects() bool { return r == RoleOwner }

// CanChangeRole reports whether an account with role from that owns ownedProjects projects
// may be given role to: never one that cannot own them while it owns any. Keeping the role
// it has is always allowed (an edit of the name of an account left in that state).
func CanChangeRole(from, to Role, ownedProjects int) bool {
	return from == to || ownedProjects == 0 || to.CanOwnProjects()
}

// TeamRole is a member's role on one project's team, as stored (and as the seed spells
// it). It follows from the account's role when the member joins: the project's owner is
// its Project Owner, in-house staff join as In-House Users.
type TeamRole string

const (
	TeamOwner   TeamRole = "Project Owner"
	TeamInHouse TeamRole = "In-House User"
)

// TeamRoles lists every team role.
var TeamRoles = []TeamRole{TeamOwner, TeamInHouse}

// Valid reports whether r is a team role.
func (r TeamRole) Valid() bool { return r == TeamOwner || r == TeamInHouse }

// Removable reports whether a member with this role can be removed from the team: the
// project's owner cannot (transfer the project instead).
func (r TeamRole) Removable() bool { return r != TeamOwner }

// TeamRoleOf is the team role an account with role r takes on a project's team, or false
// for a role that does not join teams (bidders; administrators see every project anyway).
func TeamRoleOf(r Role) (TeamRole, bool) {
	switch r {
	case RoleOwner:
		return TeamOwner, true
	case RoleInHouse:
		return TeamInHouse, true
	}
	return "", false
}
