package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
)

func (a accounts) projectOf(owner store.User, code string) store.Project {
	a.t.Helper()
	p, err := a.st.CreateProject(a.t.Context(), owner.ID, store.ProjectInput{Name: "Project " + code, Code: code, Status: "planning", Currency: "usd", TimeZone: "UTC"})
	if err != nil {
		a.t.Fatal(err)
	}
	return p
}

func TestTeamMembers(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	ctx := t.Context()
	o := a.create(authz.RoleOwner, "Olivia", "o@example.com", "Harbour Homes")
	i := a.create(authz.RoleInHouse, "Ivy", "ivy@example.com", "Harbour Homes")
	p := a.projectOf(o, "HV")
	on := func(email string) bool {
		t.Helper()
		ok, err := a.st.OnTeamByEmail(ctx, p.ID, email)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !on("O@EXAMPLE.COM") || on("ivy@example.com") {
		t.Fatal("before: the owner is on the team, Ivy is not")
	}
	if err := a.st.AddMember(ctx, p.ID, i.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.st.AddMember(ctx, p.ID, i.ID); !errors.Is(err, store.ErrAlreadyMember) {
		t.Fatalf("added twice: %v", err)
	}
	if !on("Ivy@Example.com") || a.count(`SELECT count(*) FROM team_members WHERE project_id = $1`, p.ID) != 2 {
		t.Fatal("Ivy not on the team once")
	}
	// The owner cannot be removed; a member can, once; ids that are no member are not found.
	if err := a.st.RemoveMember(ctx, p.ID, o.ID); !errors.Is(err, store.ErrNotFound) || !on(o.Email) {
		t.Fatalf("removing the owner: %v", err)
	}
	if err := a.st.RemoveMember(ctx, p.ID, i.ID); err != nil || on(i.Email) {
		t.Fatalf("removing Ivy: %v", err)
	}
	for _, id := range []string{i.ID, "not-a-uuid"} {
		if err := a.st.RemoveMember(ctx, p.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RemoveMember(%q): %v", id, err)
		}
	}
}

func TestInvitations(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	ctx := t.Context()
	o := a.create(authz.RoleOwner, "Olivia", "o@example.com", "Harbour Homes")
	i := a.create(authz.RoleInHouse, "Ivy", "ivy@example.com", "Harbour Homes")
	p, p2 := a.projectOf(o, "HV"), a.projectOf(o, "QS")

	inv, err := a.st.CreateInvitation(ctx, p.ID, "ivy@example.com", o.ID, "tok-1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if inv.ProjectName != "Project HV" || inv.InvitedBy != "Olivia" || inv.Email != "ivy@example.com" || inv.AcceptedAt != nil ||
		inv.ExpiresAt.Sub(inv.CreatedAt).Round(time.Minute) != time.Hour {
		t.Fatalf("invitation %+v", inv)
	}
	// One pending invitation per project and email, whatever its case.
	if _, err := a.st.CreateInvitation(ctx, p.ID, "IVY@example.com", o.ID, "tok-2", time.Hour); !errors.Is(err, store.ErrAlreadyInvited) {
		t.Fatalf("invited twice: %v", err)
	}
	inv2, err := a.st.CreateInvitation(ctx, p2.ID, "Ivy@Example.com", o.ID, "tok-3", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// An expired one is nobody's to accept.
	if _, err := a.st.CreateInvitation(ctx, p2.ID, "late@example.com", o.ID, "tok-old", -time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.InvitationByToken(ctx, "tok-old"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired by token: %v", err)
	}
	if _, err := a.st.AcceptInvitation(ctx, "tok-old", i.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired accepted: %v", err)
	}

	// The invitee's own list: both, newest first, without regard to case.
	mine, err := a.st.InvitationsFor(ctx, "IVY@EXAMPLE.COM")
	if err != nil || len(mine) != 2 || mine[0].ID != inv2.ID || mine[1].ID != inv.ID {
		t.Fatalf("Ivy's invitations: %+v %v", mine, err)
	}
	if pending, err := a.st.PendingInvitations(ctx, p.ID); err != nil || len(pending) != 1 || pending[0].ID != inv.ID {
		t.Fatalf("pending on HV: %+v %v", pending, err)
	}

	// By token: accepting joins the team, once.
	if got, err := a.st.InvitationByToken(ctx, "tok-1"); err != nil || got.ID != inv.ID {
		t.Fatalf("by token: %+v %v", got, err)
	}
	if pid, err := a.st.AcceptInvitation(ctx, "tok-1", i.ID); err != nil || pid != p.ID {
		t.Fatalf("accept: %s %v", pid, err)
	}
	if _, err := a.st.AcceptInvitation(ctx, "tok-1", i.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("accepted twice: %v", err)
	}
	if on, _ := a.st.OnTeamByEmail(ctx, p.ID, i.Email); !on {
		t.Fatal("accepted but not on the team")
	}
	if pending, _ := a.st.PendingInvitations(ctx, p.ID); len(pending) != 0 {
		t.Fatalf("still pending: %+v", pending)
	}

	// By id, only by the account it is addressed to.
	if _, err := a.st.AcceptInvitationFor(ctx, inv2.ID, o.ID, o.Email); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("accepted by someone else: %v", err)
	}
	if on, _ := a.st.OnTeamByEmail(ctx, p2.ID, i.Email); on {
		t.Fatal("on the team before accepting")
	}
	if err := a.st.DeclineInvitation(ctx, inv2.ID, "someone@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("declined by someone else: %v", err)
	}
	if pid, err := a.st.AcceptInvitationFor(ctx, inv2.ID, i.ID, "IVY@example.com"); err != nil || pid != p2.ID {
		t.Fatalf("accept by id: %s %v", pid, err)
	}
	if err := a.st.DeclineInvitation(ctx, inv2.ID, i.Email); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("declined after accepting: %v", err)
	}

	// Revoking: only a pending invitation of that project.
	inv3, err := a.st.CreateInvitation(ctx, p.ID, "new@example.com", o.ID, "tok-4", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.st.RevokeInvitation(ctx, p2.ID, inv3.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked through another project: %v", err)
	}
	if err := a.st.RevokeInvitation(ctx, p.ID, inv3.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.InvitationByToken(ctx, "tok-4"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked invitation still usable: %v", err)
	}
	if err := a.st.RevokeInvitation(ctx, p.ID, inv.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked an accepted invitation: %v", err)
	}
}
