package store_test

import (
	"errors"
	"testing"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
)

// A transfer's writes: the owner changes, the new owner is the team's Project Owner, the old
// one leaves the team, other members stay; a clash with the new owner's codes writes nothing.
func TestTransferProject(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	ctx := t.Context()
	o := a.create(authz.RoleOwner, "Olivia", "o@example.com", "Harbour Homes")
	n := a.create(authz.RoleOwner, "Noah", "n@example.com", "North Build")
	i := a.create(authz.RoleInHouse, "Ivy", "i@example.com", "Harbour Homes")
	in := store.ProjectInput{Name: "Harbour View", Code: "HV", Status: "planning", Currency: "usd", TimeZone: "UTC"}
	p, err := a.st.CreateProject(ctx, o.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.DB().Exec(`INSERT INTO team_members (project_id, user_id, role) VALUES ($1, $2, $3)`, p.ID, i.ID, authz.TeamInHouse); err != nil {
		t.Fatal(err)
	}
	transfer := func(to string) error {
		return a.st.WithTx(ctx, func(tx *store.Tx) error {
			old, err := tx.LockProjectOwner(ctx, p.ID)
			if err != nil {
				return err
			}
			return tx.TransferProject(ctx, p.ID, old, to)
		})
	}
	// Noah has a project coded HV too: refused, nothing changes.
	clash, err := a.st.CreateProject(ctx, n.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := transfer(n.ID); !errors.Is(err, store.ErrCodeTaken) {
		t.Fatalf("clashing code: %v", err)
	}
	if a.count(`SELECT count(*) FROM projects WHERE id = $1 AND owner_id = $2`, p.ID, o.ID) != 1 {
		t.Fatal("a refused transfer moved the project")
	}
	if err := a.st.DeleteProject(ctx, clash.ID); err != nil {
		t.Fatal(err)
	}
	if err := transfer(n.ID); err != nil {
		t.Fatal(err)
	}
	if a.count(`SELECT count(*) FROM projects WHERE id = $1 AND owner_id = $2`, p.ID, n.ID) != 1 ||
		a.count(`SELECT count(*) FROM team_members WHERE project_id = $1 AND user_id = $2 AND role = 'Project Owner'`, p.ID, n.ID) != 1 ||
		a.count(`SELECT count(*) FROM team_members WHERE project_id = $1 AND user_id = $2`, p.ID, o.ID) != 0 ||
		a.count(`SELECT count(*) FROM team_members WHERE project_id = $1 AND user_id = $2`, p.ID, i.ID) != 1 {
		t.Fatal("transfer left an inconsistent owner or team")
	}
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "x"} {
		err := a.st.WithTx(ctx, func(tx *store.Tx) error {
			_, err := tx.LockProjectOwner(ctx, id)
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LockProjectOwner(%q): %v", id, err)
		}
	}
}
