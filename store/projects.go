package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/events"
	"github.com/14build/14build/project"
)

// Project is a construction project with its owner's name and a few counts.
type Project struct {
	ID           string         `db:"id"`
	Name         string         `db:"name"`
	Code         string         `db:"code"`
	Address      string         `db:"address"`
	Status       project.Status `db:"status"`
	BudgetAmount int64          `db:"budget_amount"`
	Currency     string         `db:"currency"`
	TimeZone     string         `db:"time_zone"`
	OwnerID      string         `db:"owner_id"`
	OwnerName    string         `db:"owner_name"`
	OwnerEmail   string         `db:"owner_email"`
	OwnerEntity  string         `db:"owner_entity"`
	UnitCount    int            `db:"unit_count"`
	MemberCount  int            `db:"member_count"`
	CreatedAt    time.Time      `db:"created_at"`
	UpdatedAt    time.Time      `db:"updated_at"`
}

// ProjectInput is the editable part of a project, already validated.
type ProjectInput struct {
	Name         string
	Code         string
	Address      string
	Status       project.Status
	BudgetAmount int64
	Currency     string
	TimeZone     string
}

// ErrCodeTaken is returned when the owner already has a project with that code.
var ErrCodeTaken = errors.New("project code already used")

// ProjectScope is which projects a list covers. The caller decides it from the viewer's
// rights; a scope with neither All nor a UserID covers nothing.
type ProjectScope struct {
	All    bool   // every project
	UserID string // otherwise: the projects whose team this user is on
}

// scopeUser is the scope as the list queries take it: NULL for every project, else the
// user whose team a project must have.
func (sc ProjectScope) scopeUser() *string {
	if sc.All {
		return nil
	}
	return &sc.UserID
}

func (sc ProjectScope) empty() bool { return !sc.All && sc.UserID == "" }

// ProjectFilter narrows a project list.
type ProjectFilter struct {
	Status  project.Status // "": any
	Query   string
	Page    int
	PerPage int
}

// listProjectsSQL is one page of the projects in a scope, last changed first, with their
// owner, unit and member counts, and the total over all pages.
// $1 scope (ProjectScope.scopeUser), $2 status (empty: any), $3 LIKE-escaped text in the
// name, code or address (empty: any), $4 limit, $5 offset.
const listProjectsSQL = `
SELECT p.id, p.name, p.code, p.address, p.status, p.budget_amount, p.currency, p.time_zone,
       p.owner_id, o.name AS owner_name, o.email::text AS owner_email, oe.name AS owner_entity,
       (SELECT count(*) FROM units un WHERE un.project_id = p.id) AS unit_count,
       (SELECT count(*) FROM team_members m WHERE m.project_id = p.id) AS member_count,
       p.created_at, p.updated_at,
       count(*) OVER () AS total
FROM projects p
JOIN users o ON o.id = p.owner_id
JOIN entities oe ON oe.id = o.entity_id
WHERE ($1::uuid IS NULL OR p.id IN (SELECT tm.project_id FROM team_members tm WHERE tm.user_id = $1))
  AND ($2 = '' OR p.status = $2)
  AND ($3 = '' OR p.name ILIKE '%' || $3 || '%' OR p.code ILIKE '%' || $3 || '%' OR p.address ILIKE '%' || $3 || '%')
ORDER BY p.updated_at DESC, p.id
LIMIT $4 OFFSET $5`

// ListProjects returns one page of the projects in scope, with counts, and the total.
func (s *Store) ListProjects(ctx context.Context, scope ProjectScope, f ProjectFilter) ([]Project, int, error) {
	if scope.empty() {
		return nil, 0, nil
	}
	var rows []struct {
		Project
		Total int `db:"total"`
	}
	page, per := clampPage(f.Page, f.PerPage)
	if err := s.q.sel(ctx, &rows, listProjectsSQL, scope.scopeUser(), string(f.Status), escapeLike(f.Query), per, (page-1)*per); err != nil {
		return nil, 0, err
	}
	ps := make([]Project, len(rows))
	total := 0
	for i, r := range rows {
		ps[i] = r.Project
		total = r.Total
	}
	return ps, total, nil
}

// ProjectDetail is a project with its units (each with its floors) and its team.
type ProjectDetail struct {
	Project
	Units []Unit
	Team  []Member
}

// listProjectDetailsSQL is listProjectsSQL without the counts: the units and the team
// come whole (their lengths are the counts). Same parameters. Times are microseconds since
// 1970 (lib/pq's timestamp parsing showed in the list's profile).
const listProjectDetailsSQL = `
SELECT p.id, p.name, p.code, p.address, p.status, p.budget_amount, p.currency, p.time_zone,
       p.owner_id, o.name AS owner_name, o.email::text AS owner_email, oe.name AS owner_entity,
       (extract(epoch FROM p.created_at) * 1000000)::bigint AS created_us,
       (extract(epoch FROM p.updated_at) * 1000000)::bigint AS updated_us,
       count(*) OVER () AS total
FROM projects p
JOIN users o ON o.id = p.owner_id
JOIN entities oe ON oe.id = o.entity_id
WHERE ($1::uuid IS NULL OR p.id IN (SELECT tm.project_id FROM team_members tm WHERE tm.user_id = $1))
  AND ($2 = '' OR p.status = $2)
  AND ($3 = '' OR p.name ILIKE '%' || $3 || '%' OR p.code ILIKE '%' || $3 || '%' OR p.address ILIKE '%' || $3 || '%')
ORDER BY p.updated_at DESC, p.id
LIMIT $4 OFFSET $5`

// ListProjectDetails is ListProjects with each project's units, floors and team, in four
// queries whatever the page size: the page, then one batch per level (= ANY). Rows are
// scanned by hand: sqlx's reflection was a sixth of the list's CPU.
func (s *Store) ListProjectDetails(ctx context.Context, scope ProjectScope, f ProjectFilter) ([]ProjectDetail, int, error) {
	if scope.empty() {
		return nil, 0, nil
	}
	page, per := clampPage(f.Page, f.PerPage)
	total := 0
	var created, updated int64
	ps, err := scanRows(ctx, s.q, func(r *sql.Rows, p *Project) error {
		err := r.Scan(&p.ID, &p.Name, &p.Code, &p.Address, &p.Status, &p.BudgetAmount, &p.Currency, &p.TimeZone,
			&p.OwnerID, &p.OwnerName, &p.OwnerEmail, &p.OwnerEntity, &created, &updated, &total)
		p.CreatedAt, p.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
		return err
	}, listProjectDetailsSQL, scope.scopeUser(), string(f.Status), escapeLike(f.Query), per, (page-1)*per)
	if err != nil {
		return nil, 0, err
	}
	if len(ps) == 0 {
		return nil, 0, nil
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	units, err := s.UnitsOf(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	teams, err := s.TeamMembers(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]ProjectDetail, len(ps))
	for i, p := range ps {
		p.UnitCount, p.MemberCount = len(units[p.ID]), len(teams[p.ID])
		out[i] = ProjectDetail{Project: p, Units: units[p.ID], Team: teams[p.ID]}
	}
	return out, total, nil
}

// projectStatusCountsSQL counts the projects in a scope per status; $1 as in listProjectsSQL.
const projectStatusCountsSQL = `
SELECT p.status, count(*) AS n
FROM projects p
WHERE ($1::uuid IS NULL OR p.id IN (SELECT tm.project_id FROM team_members tm WHERE tm.user_id = $1))
GROUP BY p.status`

// ProjectStatusCounts counts the projects in scope per status.
func (s *Store) ProjectStatusCounts(ctx context.Context, scope ProjectScope) (map[project.Status]int, error) {
	if scope.empty() {
		return map[project.Status]int{}, nil
	}
	var rows []struct {
		Status project.Status `db:"status"`
		N      int            `db:"n"`
	}
	if err := s.q.sel(ctx, &rows, projectStatusCountsSQL, scope.scopeUser()); err != nil {
		return nil, err
	}
	out := make(map[project.Status]int, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// projectForSQL is one project with its owner and counts, and whether user $2 is on its team.
const projectForSQL = `
SELECT p.id, p.name, p.code, p.address, p.status, p.budget_amount, p.currency, p.time_zone,
       p.owner_id, o.name AS owner_name, o.email::text AS owner_email, oe.name AS owner_entity,
       (SELECT count(*) FROM units un WHERE un.project_id = p.id) AS unit_count,
       (SELECT count(*) FROM team_members m WHERE m.project_id = p.id) AS member_count,
       p.created_at, p.updated_at,
       EXISTS (SELECT 1 FROM team_members tm WHERE tm.project_id = p.id AND tm.user_id = $2) AS on_team
FROM projects p
JOIN users o ON o.id = p.owner_id
JOIN entities oe ON oe.id = o.entity_id
WHERE p.id = $1`

// ProjectFor returns a project and what the user is in it. A project that does not exist
// is ErrNotFound; one that exists but the user is not on is returned with an empty
// membership, and the caller answers 404 so ids do not leak.
func (s *Store) ProjectFor(ctx context.Context, id string, userID string) (Project, authz.Membership, error) {
	if !validUUID(id) {
		return Project{}, authz.Membership{}, ErrNotFound
	}
	var row struct {
		Project
		OnTeam bool `db:"on_team"`
	}
	err := s.q.get(ctx, &row, projectForSQL, id, userID)
	if err != nil {
		return Project{}, authz.Membership{}, err
	}
	return row.Project, authz.Membership{OnTeam: row.OnTeam, IsOwner: row.OwnerID == userID}, nil
}

// CreateProject inserts a project owned by ownerID, with the owner on its team as its
// "Project Owner", in one transaction, and returns it. It does not ask whether the owner
// may own projects: it is for seeding and tests. A request creates its project through
// tx.CreateProject, having decided under tx.ShareLockUser (see handlers' createProject).
func (s *Store) CreateProject(ctx context.Context, ownerID string, in ProjectInput) (Project, error) {
	var id string
	err := s.WithTx(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.CreateProject(ctx, ownerID, in)
		return err
	})
	if err != nil {
		return Project{}, err
	}
	p, _, err := s.ProjectFor(ctx, id, ownerID)
	return p, err
}

const insertProjectSQL = `
INSERT INTO projects (name, code, address, status, budget_amount, currency, time_zone, owner_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id`

// CreateProject inserts a project owned by ownerID and puts the owner on its team as its
// "Project Owner"; it returns the project's id.
func (tx *Tx) CreateProject(ctx context.Context, ownerID string, in ProjectInput) (string, error) {
	var id string
	err := tx.q.get(ctx, &id, insertProjectSQL,
		strings.TrimSpace(in.Name), strings.TrimSpace(in.Code), strings.TrimSpace(in.Address), in.Status, in.BudgetAmount, in.Currency, in.TimeZone, ownerID)
	if c, ok := uniqueViolation(err); ok && c == "projects_owner_code_key" {
		return "", ErrCodeTaken
	}
	if err != nil {
		return "", fmt.Errorf("insert project: %w", err)
	}
	_, err = tx.q.exec(ctx, `INSERT INTO team_members (project_id, user_id, role) VALUES ($1, $2, $3)`, id, ownerID, authz.TeamOwner)
	return id, err
}

// UpdateProject replaces a project's editable fields.
// The team's open pages hear of it ("project-updated", in the same transaction).
func (s *Store) UpdateProject(ctx context.Context, id string, in ProjectInput) error {
	err := s.WithTx(ctx, func(tx *Tx) error {
		if err := tx.q.execOne(ctx, `UPDATE projects SET name = $2, code = $3, address = $4, status = $5, budget_amount = $6,
currency = $7, time_zone = $8, updated_at = now() WHERE id = $1`,
			id, strings.TrimSpace(in.Name), strings.TrimSpace(in.Code), strings.TrimSpace(in.Address), in.Status, in.BudgetAmount, in.Currency, in.TimeZone); err != nil {
			return err
		}
		return tx.emit(ctx, events.Change{Kind: events.ProjectUpdated, ProjectID: id, Data: eventData(map[string]any{"projectId": id})})
	})
	if c, ok := uniqueViolation(err); ok && c == "projects_owner_code_key" {
		return ErrCodeTaken
	}
	return err
}

// DeleteProject removes a project with its team, invitations and units.
func (s *Store) DeleteProject(ctx context.Context, id string) error {
	if !validUUID(id) {
		return ErrNotFound
	}
	err := s.q.execOne(ctx, `DELETE FROM projects WHERE id = $1`, id)
	var fk *pq.Error
	// Through its tenders (contracts) or directly (escrows: issue 14).
	if errors.As(err, &fk) && fk.Code == "23503" && (fk.Table == "contracts" || fk.Table == "escrows") {
		return ErrProjectHasContract
	}
	return err
}

// ErrProjectHasContract refuses to delete a project one of whose tenders was awarded: the
// contract (and the money that follows it) outlives any wish to tidy up.
var ErrProjectHasContract = errors.New("the project has a contract")

// Member is a team member with their account.
type Member struct {
	ProjectID string         `db:"project_id"`
	TeamRole  authz.TeamRole `db:"team_role"`
	JoinedAt  time.Time      `db:"joined_at"`
	User
}

// teamMembersSQL is the teams of projects $1 (uuid[]) with each member's account, in no
// order: TeamMembers orders them (a sort here cost PostgreSQL more CPU than Go). Times are
// microseconds since 1970, as in listProjectDetailsSQL.
const teamMembersSQL = `
SELECT tm.project_id, tm.role AS team_role, (extract(epoch FROM tm.joined_at) * 1000000)::bigint AS joined_us,
       u.id, u.name, u.email::text AS email, u.role, u.entity_id, e.name AS entity_name,
       u.category_id, c.name AS category_name, u.active, (extract(epoch FROM u.created_at) * 1000000)::bigint AS created_us
FROM team_members tm
JOIN users u ON u.id = tm.user_id
JOIN entities e ON e.id = u.entity_id
LEFT JOIN categories c ON c.id = u.category_id
WHERE tm.project_id = ANY($1)`

// TeamMembers loads the teams of several projects in one query, keyed by project id. Rows
// are scanned by hand (it serves every page of the project list).
func (s *Store) TeamMembers(ctx context.Context, projectIDs []string) (map[string][]Member, error) {
	out := make(map[string][]Member, len(projectIDs))
	if len(projectIDs) == 0 {
		return out, nil
	}
	var joined, created int64
	rows, err := scanRows(ctx, s.q, func(r *sql.Rows, m *Member) error {
		err := r.Scan(&m.ProjectID, &m.TeamRole, &joined, &m.ID, &m.Name, &m.Email, &m.Role, &m.EntityID, &m.EntityName,
			&m.CategoryID, &m.CategoryName, &m.Active, &created)
		m.JoinedAt, m.CreatedAt = time.UnixMicro(joined).UTC(), time.UnixMicro(created).UTC()
		return err
	}, teamMembersSQL, pq.Array(projectIDs))
	if err != nil {
		return nil, err
	}
	// The owner ("Project Owner" sorts after "In-House User", hence descending) first, then
	// by name: byte order, as the database's C.UTF-8 collation compares.
	slices.SortFunc(rows, func(a, b Member) int {
		return cmp.Or(cmp.Compare(b.TeamRole, a.TeamRole), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	for _, m := range rows {
		out[m.ProjectID] = append(out[m.ProjectID], m)
	}
	return out, nil
}

// LockProjectOwner returns a project's owner and locks the project's row for update until
// tx ends (a transfer reads the owner it replaces).
func (tx *Tx) LockProjectOwner(ctx context.Context, projectID string) (string, error) {
	if !validUUID(projectID) {
		return "", ErrNotFound
	}
	var owner string
	err := tx.q.get(ctx, &owner, `SELECT owner_id FROM projects WHERE id = $1 FOR UPDATE`, projectID)
	return owner, err
}

// TransferProject gives a project from its owner oldOwnerID (read by LockProjectOwner) to
// newOwnerID: projects.owner_id changes, the new owner is on the team as 'Project Owner'
// (promoted if they were a member), and the old owner's membership is removed (an
// administrator can invite them back). Who may receive it is the caller's decision, taken
// under tx.ShareLockUser of the new owner: a role change of theirs then waits for tx and
// counts the project. The new owner's own project with the same code is ErrCodeTaken.
func (tx *Tx) TransferProject(ctx context.Context, projectID, oldOwnerID, newOwnerID string) error {
	err := tx.q.execOne(ctx, `UPDATE projects SET owner_id = $2, updated_at = now() WHERE id = $1`, projectID, newOwnerID)
	if c, ok := uniqueViolation(err); ok && c == "projects_owner_code_key" {
		return ErrCodeTaken
	}
	if err != nil {
		return err
	}
	if _, err := tx.q.exec(ctx, `INSERT INTO team_members (project_id, user_id, role) VALUES ($1, $2, $3)
ON CONFLICT (project_id, user_id) DO UPDATE SET role = $3`, projectID, newOwnerID, authz.TeamOwner); err != nil {
		return err
	}
	_, err = tx.q.exec(ctx, `DELETE FROM team_members WHERE project_id = $1 AND user_id = $2`, projectID, oldOwnerID)
	return err
}

// OwnedProjects lists the projects a user owns (for the administrator's transfer form).
func (s *Store) OwnedProjects(ctx context.Context, userID string) ([]Project, error) {
	var ps []Project
	err := s.q.sel(ctx, &ps, ownedProjectsSQL, userID)
	return ps, err
}

const ownedProjectsSQL = `
SELECT p.id, p.name, p.code, p.address, p.status, p.budget_amount, p.currency, p.time_zone,
       p.owner_id, o.name AS owner_name, o.email::text AS owner_email, oe.name AS owner_entity,
       (SELECT count(*) FROM units un WHERE un.project_id = p.id) AS unit_count,
       (SELECT count(*) FROM team_members m WHERE m.project_id = p.id) AS member_count,
       p.created_at, p.updated_at
FROM projects p
JOIN users o ON o.id = p.owner_id
JOIN entities oe ON oe.id = o.entity_id
WHERE p.owner_id = $1
ORDER BY p.name, p.id`
