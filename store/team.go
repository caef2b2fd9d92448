package store

import (
	"context"
	"errors"
	"time"

	"github.com/14build/14build/authz"
)

// ErrAlreadyMember is returned when the user is already on the team.
var ErrAlreadyMember = errors.New("already on the team")

// ErrAlreadyInvited is returned when a pending invitation for that email exists.
var ErrAlreadyInvited = errors.New("already invited")

// AddMember puts an in-house user on a project's team.
func (s *Store) AddMember(ctx context.Context, projectID, userID string) error {
	return addMember(ctx, s.q, projectID, userID)
}

func addMember(ctx context.Context, q *counted, projectID, userID string) error {
	// ON CONFLICT rather than catching the violation: inside a transaction an error would
	// abort it.
	res, err := q.exec(ctx, `INSERT INTO team_members (project_id, user_id, role) VALUES ($1, $2, $3)
ON CONFLICT (project_id, user_id) DO NOTHING`, projectID, userID, authz.TeamInHouse)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrAlreadyMember
	}
	_, err = q.exec(ctx, `UPDATE projects SET updated_at = now() WHERE id = $1`, projectID)
	return err
}

// RemoveMember takes an in-house user off the team. The owner cannot be removed.
func (s *Store) RemoveMember(ctx context.Context, projectID, userID string) error {
	if !validUUID(userID) {
		return ErrNotFound
	}
	return s.q.execOne(ctx, `DELETE FROM team_members WHERE project_id = $1 AND user_id = $2 AND role <> $3`, projectID, userID, authz.TeamOwner)
}

// Invitation is a pending (or accepted) invitation to join a project's team.
type Invitation struct {
	ID              int64      `db:"id"`
	ProjectID       string     `db:"project_id"`
	ProjectName     string     `db:"project_name"`
	ProjectTimeZone string     `db:"project_time_zone"` // the zone its times are shown in
	Email           string     `db:"email"`
	Token           string     `db:"token"`
	InvitedBy       string     `db:"invited_by_name"`
	CreatedAt       time.Time  `db:"created_at"`
	ExpiresAt       time.Time  `db:"expires_at"`
	AcceptedAt      *time.Time `db:"accepted_at"`
}

// The invitation queries: each reads invitations with their project's name and time zone
// and the name of who invited.
const (
	invitationByIDSQL = `
SELECT i.id, i.project_id, p.name AS project_name, p.time_zone AS project_time_zone, i.email::text AS email, i.token,
       u.name AS invited_by_name, i.created_at, i.expires_at, i.accepted_at
FROM invitations i
JOIN projects p ON p.id = i.project_id
JOIN users u ON u.id = i.invited_by
WHERE i.id = $1`

	pendingInvitationsSQL = `
SELECT i.id, i.project_id, p.name AS project_name, p.time_zone AS project_time_zone, i.email::text AS email, i.token,
       u.name AS invited_by_name, i.created_at, i.expires_at, i.accepted_at
FROM invitations i
JOIN projects p ON p.id = i.project_id
JOIN users u ON u.id = i.invited_by
WHERE i.project_id = $1 AND i.accepted_at IS NULL
ORDER BY i.created_at DESC`

	invitationByTokenSQL = `
SELECT i.id, i.project_id, p.name AS project_name, p.time_zone AS project_time_zone, i.email::text AS email, i.token,
       u.name AS invited_by_name, i.created_at, i.expires_at, i.accepted_at
FROM invitations i
JOIN projects p ON p.id = i.project_id
JOIN users u ON u.id = i.invited_by
WHERE i.token = $1 AND i.accepted_at IS NULL AND i.expires_at > now()`

	invitationsForSQL = `
SELECT i.id, i.project_id, p.name AS project_name, p.time_zone AS project_time_zone, i.email::text AS email, i.token,
       u.name AS invited_by_name, i.created_at, i.expires_at, i.accepted_at
FROM invitations i
JOIN projects p ON p.id = i.project_id
JOIN users u ON u.id = i.invited_by
WHERE i.email = $1 AND i.accepted_at IS NULL AND i.expires_at > now()
ORDER BY i.created_at DESC, i.id DESC`
)

// CreateInvitation records a pending invitation and mails it to the invitee, in one
// transaction (the outbox). The token is also shown to the owner to pass on, so it is kept
// as is; it grants only joining this team.
func (s *Store) CreateInvitation(ctx context.Context, projectID, email, invitedBy, token string, ttl time.Duration) (Invitation, error) {
	var inv Invitation
	err := s.WithTx(ctx, func(tx *Tx) error {
		var id int64
		err := tx.q.get(ctx, &id, `INSERT INTO invitations (project_id, email, token, invited_by, expires_at)
VALUES ($1, $2, $3, $4, now() + $5 * interval '1 second') RETURNING id`, projectID, email, token, invitedBy, int64(ttl.Seconds()))
		if _, ok := uniqueViolation(err); ok {
			return ErrAlreadyInvited
		}
		if err != nil {
			return err
		}
		if err := tx.q.get(ctx, &inv, invitationByIDSQL, id); err != nil {
			return err
		}
		return tx.mailTeamInvitation(ctx, inv)
	})
	return inv, err
}

// PendingInvitations lists a project's unaccepted invitations, newest first.
func (s *Store) PendingInvitations(ctx context.Context, projectID string) ([]Invitation, error) {
	var invs []Invitation
	err := s.q.sel(ctx, &invs, pendingInvitationsSQL, projectID)
	return invs, err
}

// InvitationByToken returns a pending, unexpired invitation.
func (s *Store) InvitationByToken(ctx context.Context, token string) (Invitation, error) {
	var inv Invitation
	err := s.q.get(ctx, &inv, invitationByTokenSQL, token)
	return inv, err
}

// RevokeInvitation deletes a pending invitation of the project.
func (s *Store) RevokeInvitation(ctx context.Context, projectID string, id int64) error {
	return s.q.execOne(ctx, `DELETE FROM invitations WHERE project_id = $1 AND id = $2 AND accepted_at IS NULL`, projectID, id)
}

// AcceptInvitation marks the invitation accepted and adds the user to the team, inside tx.
// It fails with ErrNotFound when the invitation was already used or has expired.
func (tx *Tx) AcceptInvitation(ctx context.Context, token, userID string) (projectID string, err error) {
	err = tx.q.get(ctx, &projectID, `UPDATE invitations SET accepted_at = now()
WHERE token = $1 AND accepted_at IS NULL AND expires_at > now() RETURNING project_id`, token)
	if err != nil {
		return "", err
	}
	if err := addMember(ctx, tx.q, projectID, userID); err != nil && !errors.Is(err, ErrAlreadyMember) {
		return "", err
	}
	return projectID, nil
}

// AcceptInvitation is the same outside a caller's transaction.
func (s *Store) AcceptInvitation(ctx context.Context, token, userID string) (string, error) {
	var pid string
	err := s.WithTx(ctx, func(tx *Tx) error {
		var err error
		pid, err = tx.AcceptInvitation(ctx, token, userID)
		return err
	})
	return pid, err
}

// InvitationsFor lists the pending, unexpired invitations addressed to an email (the
// invitee's own list: their dashboard, GET /api/me/invitations), newest first.
func (s *Store) InvitationsFor(ctx context.Context, email string) ([]Invitation, error) {
	var invs []Invitation
	err := s.q.sel(ctx, &invs, invitationsForSQL, email)
	return invs, err
}

// AcceptInvitationFor accepts invitation id on behalf of the account it is addressed to
// (matched by email: nobody else can accept it) and adds them to the team, in one
// transaction. ErrNotFound when it is not theirs, used, revoked or expired.
func (s *Store) AcceptInvitationFor(ctx context.Context, id int64, userID, email string) (projectID string, err error) {
	err = s.WithTx(ctx, func(tx *Tx) error {
		if err := tx.q.get(ctx, &projectID, `UPDATE invitations SET accepted_at = now()
WHERE id = $1 AND email = $2 AND accepted_at IS NULL AND expires_at > now() RETURNING project_id`, id, email); err != nil {
			return err
		}
		if err := addMember(ctx, tx.q, projectID, userID); err != nil && !errors.Is(err, ErrAlreadyMember) {
			return err
		}
		return nil
	})
	return projectID, err
}

// DeclineInvitation deletes a pending invitation addressed to email.
func (s *Store) DeclineInvitation(ctx context.Context, id int64, email string) error {
	return s.q.execOne(ctx, `DELETE FROM invitations WHERE id = $1 AND email = $2 AND accepted_at IS NULL`, id, email)
}

// OnTeamByEmail reports whether the account with this email is on the project's team.
func (s *Store) OnTeamByEmail(ctx context.Context, projectID, email string) (bool, error) {
	var on bool
	err := s.q.get(ctx, &on, `SELECT EXISTS (SELECT 1 FROM team_members tm JOIN users u ON u.id = tm.user_id
WHERE tm.project_id = $1 AND u.email = $2)`, projectID, email)
	return on, err
}
