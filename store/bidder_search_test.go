package store_test

import (
	"context"
	"testing"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
)

func TestSearchBidders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := newAccounts(t)
	cats, err := a.st.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var electrical int64
	for _, c := range cats {
		if c.Name == "Electrical" {
			electrical = c.ID
		}
	}
	if _, err := a.st.CreateUser(ctx, store.NewUser{Name: "Bea Builder", Email: "bea@spark.test", PasswordHash: "x",
		Role: authz.RoleBidder, Entity: "Spark Electrical", CategoryID: electrical}); err != nil {
		t.Fatal(err)
	}
	a.create(authz.RoleBidder, "Bob Plumber", "bob@flow.test", "Flow 100% Plumbing")
	a.create(authz.RoleInHouse, "Bea Staff", "staff@spark.test", "Spark Electrical") // not a bidder

	for q, want := range map[string][]string{
		"bea": {"Bea Builder"}, "SPARK": {"Bea Builder"}, "electr": {"Bea Builder"}, "flow.test": {"Bob Plumber"},
		"100%": {"Bob Plumber"}, "%": {"Bob Plumber"}, "_": nil, // LIKE wildcards match only themselves "": nil, "   ": nil, "nobody": nil,
	} {
		ms, err := a.st.SearchBidders(ctx, q, 20)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Name)
		}
		if len(got) != len(want) || (len(want) > 0 && got[0] != want[0]) {
			t.Errorf("search %q: %v, want %v", q, got, want)
		}
	}
	ms, _ := a.st.SearchBidders(ctx, "bea", 20)
	if len(ms) == 1 && (ms[0].EntityName != "Spark Electrical" || ms[0].CategoryName != "Electrical" || ms[0].Email != "bea@spark.test") {
		t.Errorf("match %+v", ms[0])
	}
}
