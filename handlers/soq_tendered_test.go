package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
)

// TestDeleteTenderedSOQ: an SOQ a tender was made from cannot be deleted; the owner gets a
// 409 that says why, not the database's foreign-key error, and the SOQ stays.
func TestDeleteTenderedSOQ(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	p := a.project(o, "HVA-01")
	ctx := context.Background()
	id, err := a.st.CreateSOQ(ctx, p.ID, o.ID, store.NewSOQ{Title: "Main SOQ", Currency: "usd", Status: "draft", Sections: []store.NewSection{
		{Code: "A", Title: "Substructure", Items: []store.NewItem{{Item: soq.Item{Reference: "A1", Description: "Excavate", Unit: "m3", Quantity: 1000, Rate: 100, Type: soq.Measured}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.st.SetSOQStatus(ctx, id, soq.Draft, soq.Issued); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.CreateTender(ctx, p.ID, o.ID, store.NewTender{SOQID: id, Title: "Groundworks", ClosesAt: time.Now().Add(48 * time.Hour), Sealed: true}); err != nil {
		t.Fatal(err)
	}
	res := a.login(o.Email).do("DELETE", "/api/soq/"+id, nil)
	if res.Code != http.StatusConflict {
		t.Fatalf("DELETE a tendered SOQ: %d %s, want 409", res.Code, res.Body)
	}
	if n := a.count(`SELECT count(*) FROM soqs WHERE id = $1`, id); n != 1 {
		t.Errorf("%d SOQs left, want the one still there", n)
	}
}
