package demo

import (
	"context"
	"testing"

	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/store"
)

func TestLoadDemoData(t *testing.T) {
	t.Parallel()
	st := store.New(testdb.New(t))
	ctx := context.Background()
	hash := func(string) (string, error) {
		return "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", nil
	}
	loaded, err := Load(ctx, st, hash)
	if err != nil || !loaded {
		t.Fatalf("Load: %v %v", loaded, err)
	}
	// Once only.
	if again, err := Load(ctx, st, hash); err != nil || again {
		t.Fatalf("second Load: %v %v", again, err)
	}
	owner, err := st.UserByEmail(ctx, "olivia@harbourhomes.test")
	if err != nil {
		t.Fatal(err)
	}
	ps, total, err := st.ListProjects(ctx, store.ProjectScope{UserID: owner.ID}, store.ProjectFilter{Page: 1, PerPage: 50})
	if err != nil || total != 3 {
		t.Fatalf("olivia's projects: %d %v", total, err)
	}
	var hv store.Project
	for _, p := range ps {
		if p.Code == "HVT-01" {
			hv = p
		}
	}
	us, err := st.Units(ctx, hv.ID)
	if err != nil || len(us) != 8 || len(us[7].Floors) != 3 {
		t.Fatalf("units: %d %v", len(us), err)
	}
	qs, err := st.SOQsOf(ctx, hv.ID)
	if err != nil || len(qs) != 1 {
		t.Fatalf("soqs: %v %v", qs, err)
	}
	if qs[0].ItemCount < 200 || qs[0].Total <= 0 {
		t.Errorf("demo SOQ has %d items, total %d", qs[0].ItemCount, qs[0].Total)
	}
}
