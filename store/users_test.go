package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/store"
)

// accounts is a store on its own database, for the account and team tests.
type accounts struct {
	t  *testing.T
	st *store.Store
}

func newAccounts(t *testing.T) accounts {
	t.Helper()
	return accounts{t: t, st: store.New(testdb.New(t))}
}

func (a accounts) create(role authz.Role, name, email, entity string) store.User {
	a.t.Helper()
	u, err := a.st.CreateUser(context.Background(), store.NewUser{Name: name, Email: email, PasswordHash: "hash of " + email, Role: role, Entity: entity})
	if err != nil {
		a.t.Fatalf("create %s: %v", email, err)
	}
	return u
}

func (a accounts) count(q string, args ...any) int {
	a.t.Helper()
	var n int
	if err := a.st.DB().Get(&n, q, args...); err != nil {
		a.t.Fatal(err)
	}
	return n
}

func (a accounts) session(userID string, hash string) []byte {
	a.t.Helper()
	h := []byte(hash)
	if err := a.st.CreateSession(context.Background(), h, &userID, map[string]any{}, time.Now().Add(time.Hour)); err != nil {
		a.t.Fatal(err)
	}
	return h
}

func (a accounts) token(userID, name string) {
	a.t.Helper()
	if _, err := a.st.CreateAPIToken(context.Background(), userID, name, []byte(userID+name), "14b_"+name); err != nil {
		a.t.Fatal(err)
	}
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	ctx := t.Context()
	cats, err := a.st.Categories(ctx)
	if err != nil || len(cats) == 0 {
		t.Fatalf("categories: %v %v", cats, err)
	}
	u, err := a.st.CreateUser(ctx, store.NewUser{Name: "  Olivia Owner ", Email: " Olivia@Example.com ", PasswordHash: "h",
		Role: authz.RoleBidder, Entity: "Harbour Homes", CategoryID: cats[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Olivia Owner" || u.Email != "Olivia@Example.com" || u.Role != authz.RoleBidder || u.EntityName != "Harbour Homes" ||
		u.CategoryID.Int64 != cats[0].ID || u.CategoryName.String != cats[0].Name || !u.Active {
		t.Fatalf("created %+v", u)
	}
	// The entity is found again whatever its case and spaces, and keeps its first spelling.
	v := a.create(authz.RoleOwner, "Victor", "victor@example.com", "  harbour HOMES ")
	if v.EntityID != u.EntityID || v.EntityName != "Harbour Homes" || v.CategoryID.Valid {
		t.Fatalf("second user's entity %d %q (first %d), category %v", v.EntityID, v.EntityName, u.EntityID, v.CategoryID)
	}
	// Emails are unique without regard to case, and found without regard to it.
	if _, err := a.st.CreateUser(ctx, store.NewUser{Name: "Copy", Email: "OLIVIA@example.COM", PasswordHash: "h", Role: authz.RoleOwner, Entity: "E"}); !errors.Is(err, store.ErrEmailTaken) {
		t.Fatalf("same email in other case: %v", err)
	}
	if got, err := a.st.UserByEmail(ctx, "olivia@example.com"); err != nil || got.ID != u.ID {
		t.Fatalf("by email: %+v %v", got, err)
	}
	id, hash, active, err := a.st.Credentials(ctx, "OLIVIA@EXAMPLE.COM")
	if err != nil || id != u.ID || hash != "h" || !active {
		t.Fatalf("credentials: %s %s %v %v", id, hash, active, err)
	}
	if _, _, _, err := a.st.Credentials(ctx, "nobody@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown email: %v", err)
	}
	for _, id := range []string{"not-a-uuid", "00000000-0000-0000-0000-000000000000", "' OR 1=1 --"} {
		if _, err := a.st.UserByID(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByID(%q): %v", id, err)
		}
	}
	if a.count(`SELECT count(*) FROM entities`) != 1 {
		t.Fatal("the refused user left an entity behind, or the entity was duplicated")
	}
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	ctx := t.Context()
	for i := range 12 {
		a.create(authz.RoleInHouse, fmt.Sprintf("Builder %02d", i), fmt.Sprintf("b%02d@example.com", i), "Quay Builders")
	}
	a.create(authz.RoleOwner, "Olivia 100% Owner", "olivia@example.com", "Harbour Homes")
	inactive := a.create(authz.RoleAdmin, "Aaron Admin", "aaron@example.com", "14Build")
	if err := a.st.DeactivateUser(ctx, inactive.ID); err != nil {
		t.Fatal(err)
	}
	names := func(us []store.User) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.Name)
		}
		return out
	}
	cases := []struct {
		f     store.UserFilter
		first []string
		total int
	}{
		// Active first, then by name; the total is over every page.
		{store.UserFilter{Page: 1, PerPage: 5}, []string{"Builder 00", "Builder 01", "Builder 02", "Builder 03", "Builder 04"}, 14},
		{store.UserFilter{Page: 3, PerPage: 5}, []string{"Builder 10", "Builder 11", "Olivia 100% Owner", "Aaron Admin"}, 14},
		// Past the last page: nothing, and still the total.
		{store.UserFilter{Page: 9, PerPage: 5}, nil, 14},
		// By name, email or entity, without regard to case.
		{store.UserFilter{Query: "HARBOUR", Page: 1, PerPage: 5}, []string{"Olivia 100% Owner"}, 1},
		{store.UserFilter{Query: "b07@", Page: 1, PerPage: 5}, []string{"Builder 07"}, 1},
		// LIKE's wildcards are literal text.
		{store.UserFilter{Query: "0%", Page: 1, PerPage: 5}, []string{"Olivia 100% Owner"}, 1},
		{store.UserFilter{Query: "_", Page: 1, PerPage: 5}, nil, 0},
		{store.UserFilter{Role: authz.RoleAdmin, Page: 1, PerPage: 5}, []string{"Aaron Admin"}, 1},
		{store.UserFilter{Role: authz.RoleBidder, Page: 1, PerPage: 5}, nil, 0},
	}
	for _, c := range cases {
		us, total, err := a.st.ListUsers(ctx, c.f)
		if err != nil {
			t.Fatalf("%+v: %v", c.f, err)
		}
		if got := names(us); fmt.Sprint(got) != fmt.Sprint(c.first) || total != c.total {
			t.Errorf("%+v: %q total %d, want %q total %d", c.f, got, total, c.first, c.total)
		}
	}
	if n, err := a.st.CountAdmins(ctx); err != nil || n != 0 {
		t.Errorf("active administrators: %d %v", n, err)
	}
}

// A new password ends every other way in: the other sessions (the one that changed it is
// kept) and every API token.
func TestSetPasswordEndsOtherAccess(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	ctx := t.Context()
	u := a.create(authz.RoleOwner, "Olivia", "o@example.com", "Harbour Homes")
	other := a.create(authz.RoleOwner, "Victor", "v@example.com", "Harbour Homes")
	keep := a.session(u.ID, "keep")
	a.session(u.ID, "phone")
	a.session(other.ID, "victor's")
	a.token(u.ID, "ci")
	a.token(other.ID, "ci")
	if err := a.st.SetPassword(ctx, u.ID, "new hash", keep); err != nil {
		t.Fatal(err)
	}
	if h, err := a.st.PasswordHash(ctx, u.ID); err != nil || h != "new hash" {
		t.Fatalf("hash %q %v", h, err)
	}
	if n := a.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, u.ID); n != 1 {
		t.Errorf("%d sessions left, want the one kept", n)
	}
	if _, err := a.st.LoadSession(ctx, keep); err != nil {
		t.Errorf("the kept session: %v", err)
	}
	if n := a.count(`SELECT count(*) FROM api_tokens WHERE user_id = $1`, u.ID); n != 0 {
		t.Errorf("%d API tokens left", n)
	}
	if a.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, other.ID) != 1 || a.count(`SELECT count(*) FROM api_tokens WHERE user_id = $1`, other.ID) != 1 {
		t.Error("another user's access was ended")
	}
	// nil keeps no session.
	if err := a.st.SetPassword(ctx, u.ID, "newer hash", nil); err != nil {
		t.Fatal(err)
	}
	if n := a.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, u.ID); n != 0 {
		t.Errorf("%d sessions left after a reset", n)
	}
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	ctx := t.Context()
	o := a.create(authz.RoleOwner, "Olivia", "o@example.com", "Harbour Homes")
	i := a.create(authz.RoleInHouse, "Ivy", "i@example.com", "Quay Builders")
	if _, err := a.st.CreateProject(ctx, o.ID, store.ProjectInput{Name: "Harbour View", Code: "HV", Status: "planning", Currency: "usd", TimeZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	edit := func(u store.User) store.UserUpdate {
		return store.UserUpdate{Name: u.Name, Email: u.Email, Role: u.Role, Entity: u.EntityName, Active: true}
	}
	update := func(id string, uu store.UserUpdate) (u store.User, err error) {
		err = a.st.WithTx(ctx, func(tx *store.Tx) error {
			u, err = tx.UpdateUser(ctx, id, uu)
			return err
		})
		return u, err
	}

	// What a role change is decided from (authz.CanChangeRole): the account as it is, and
	// how many projects it owns, read under its lock.
	err := a.st.WithTx(ctx, func(tx *store.Tx) error {
		cur, err := tx.LockUser(ctx, o.ID)
		if err != nil || cur.Role != authz.RoleOwner || cur.Name != "Olivia" || cur.EntityName != "Harbour Homes" {
			t.Errorf("LockUser: %+v %v", cur, err)
		}
		if n, err := tx.CountOwnedProjects(ctx, o.ID); n != 1 || err != nil {
			t.Errorf("owned by Olivia: %d %v", n, err)
		}
		if n, err := tx.CountOwnedProjects(ctx, i.ID); n != 0 || err != nil {
			t.Errorf("owned by Ivy: %d %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	up := edit(o)
	up.Role, up.Name = authz.RoleAdmin, "Renamed"
	if got, err := update(o.ID, up); err != nil || got.Role != authz.RoleAdmin || got.Name != "Renamed" {
		t.Fatalf("owner to admin: %+v %v", got, err)
	}

	// Another account's email, in any case, is refused.
	up = edit(i)
	up.Email = "O@EXAMPLE.COM"
	if _, err := update(i.ID, up); !errors.Is(err, store.ErrEmailTaken) {
		t.Fatalf("taken email: %v", err)
	}

	// Deactivating ends the user's sessions and tokens; a password reset ends them too.
	a.session(i.ID, "ivy")
	a.token(i.ID, "ci")
	up = edit(i)
	up.Active = false
	if got, err := update(i.ID, up); err != nil || got.Active {
		t.Fatalf("deactivate: %+v %v", got, err)
	}
	if a.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, i.ID)+a.count(`SELECT count(*) FROM api_tokens WHERE user_id = $1`, i.ID) != 0 {
		t.Fatal("a deactivated user keeps sessions or tokens")
	}
	if _, _, active, _ := a.st.Credentials(ctx, i.Email); active {
		t.Fatal("credentials still active")
	}
	a.session(i.ID, "ivy again")
	up = edit(i)
	up.PasswordHash = "reset"
	if _, err := update(i.ID, up); err != nil {
		t.Fatal(err)
	}
	if h, _ := a.st.PasswordHash(ctx, i.ID); h != "reset" || a.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, i.ID) != 0 {
		t.Fatalf("reset: hash %q, sessions left", h)
	}

	// Unknown and malformed ids are not found.
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "x"} {
		if _, err := update(id, edit(i)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateUser(%q): %v", id, err)
		}
		err := a.st.WithTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.LockUser(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("LockUser(%q): %v", id, err)
			}
			_, err := tx.ShareLockUser(ctx, id)
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ShareLockUser(%q): %v", id, err)
		}
		if err := a.st.DeactivateUser(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeactivateUser(%q): %v", id, err)
		}
	}
}

func TestUpdateProfile(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	ctx := t.Context()
	b := a.create(authz.RoleBidder, "Bea", "b@example.com", "Bea Electrical")
	cats, _ := a.st.Categories(ctx)
	got, err := a.st.UpdateProfile(ctx, b.ID, " Bea Bidder ", "Bright Sparks Ltd", cats[1].ID)
	if err != nil || got.Name != "Bea Bidder" || got.EntityName != "Bright Sparks Ltd" || got.CategoryID.Int64 != cats[1].ID || got.Email != b.Email || got.Role != b.Role {
		t.Fatalf("profile: %+v %v", got, err)
	}
	// Category 0 is none.
	if got, err = a.st.UpdateProfile(ctx, b.ID, "Bea", "Bright Sparks Ltd", 0); err != nil || got.CategoryID != (sql.NullInt64{}) {
		t.Fatalf("no category: %+v %v", got, err)
	}
}

// A role change locks the account for update; a write that makes it a project's owner
// share-locks it. Each waits for the other, so neither decides from a stale role.
func TestUserLocks(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	ctx := t.Context()
	o := a.create(authz.RoleOwner, "Olivia", "o@example.com", "Harbour Homes")
	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- a.st.WithTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.LockUser(ctx, o.ID); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	err := a.st.WithTx(short, func(tx *store.Tx) error {
		_, err := tx.ShareLockUser(short, o.ID)
		return err
	})
	if err == nil {
		t.Error("ShareLockUser did not wait for LockUser")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Free again: it reads the account.
	err = a.st.WithTx(ctx, func(tx *store.Tx) error {
		u, err := tx.ShareLockUser(ctx, o.ID)
		if err == nil && (u.ID != o.ID || !u.Active || u.Role != authz.RoleOwner) {
			t.Errorf("ShareLockUser: %+v", u)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
