package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/14build/14build/drafting"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

func TestWorkPackagesReplaceAndTender(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSOQFixture(t)
	items, err := f.st.PlanningItems(ctx, f.soqID)
	if err != nil || len(items) != 3 {
		t.Fatalf("items %v err %v", items, err)
	}
	ps, err := drafting.PlanPackages(items)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing unchecked is saved: a package missing an item is refused whole.
	var refused *store.PackagesRefused
	if err := f.st.ReplaceWorkPackages(ctx, testProject, f.soqID, testOwner, ps[:0], true); !errors.As(err, &refused) {
		t.Fatalf("empty: %v", err)
	}
	if err := f.st.ReplaceWorkPackages(ctx, otherProj, f.soqID, testOwner, ps, true); !errors.Is(err, store.ErrUnknownSOQ) {
		t.Fatalf("another project's SOQ: %v", err)
	}
	// Two packages by hand: A's items, then B's depending on A.
	two := []drafting.Package{
		{Trade: "Concrete", Title: "Alpha", Sequence: 1, DurationDays: 3, ItemIDs: []string{f.items["A2"], f.items["A1"]}},
		{Trade: "Roofing", Title: "Beta", Sequence: 2, DurationDays: 2, DependsOn: []int{1}, ItemIDs: []string{f.items["B1"]}},
	}
	if err := f.st.ReplaceWorkPackages(ctx, testProject, f.soqID, testOwner, two, true); err != nil {
		t.Fatal(err)
	}
	// Saving again replaces them.
	if err := f.st.ReplaceWorkPackages(ctx, testProject, f.soqID, testOwner, two, true); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.WorkPackages(ctx, testProject, f.soqID)
	if err != nil || len(got) != 2 {
		t.Fatalf("packages %v err %v", got, err)
	}
	amounts := f.amounts(t)
	if got[0].Value != amounts["A1"]+amounts["A2"] || got[1].Value != amounts["B1"] || !got[0].CreatedByAI {
		t.Fatalf("values %d %d", got[0].Value, got[1].Value)
	}
	if !slices.Equal(got[1].DependsOn, []int64{1}) || len(got[0].DependsOn) != 0 {
		t.Fatalf("depends %v %v", got[0].DependsOn, got[1].DependsOn)
	}
	if !slices.Equal([]string(got[0].ItemIDs), []string{f.items["A1"], f.items["A2"]}) {
		t.Fatalf("items in SOQ order: %v", got[0].ItemIDs)
	}
	// An item is in at most one package, whatever the application does.
	if _, err := f.db.Exec(`INSERT INTO work_package_items (package_id, soq_item_id) VALUES ($1, $2)`, got[1].ID, f.items["A1"]); err == nil {
		t.Fatal("an item went into two packages")
	}

	tid, err := f.st.CreatePackageTender(ctx, testProject, got[1].ID, testOwner, tenderNow)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := f.st.Tender(ctx, tid)
	if err != nil || tn.Status != tender.Draft || tn.Title != "Beta" || tn.SOQID == f.soqID {
		t.Fatalf("tender %+v err %v", tn, err)
	}
	copyQ, err := f.st.SOQHeader(ctx, tn.SOQID)
	if err != nil || copyQ.ItemCount != 1 || copyQ.Status != "issued" {
		t.Fatalf("copy %+v err %v", copyQ, err)
	}
	if err := f.st.LoadSOQ(ctx, &copyQ, store.ItemFilter{}); err != nil || copyQ.Total != amounts["B1"] || copyQ.Sections[0].Items[0].Reference != "B1" {
		t.Fatalf("copy total %d err %v", copyQ.Total, err)
	}
	if _, err := f.st.CreatePackageTender(ctx, testProject, got[1].ID, testOwner, tenderNow); !errors.Is(err, store.ErrPackageHasTender) {
		t.Fatalf("second tender: %v", err)
	}
	if _, err := f.st.CreatePackageTender(ctx, otherProj, got[0].ID, testOwner, tenderNow); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other project: %v", err)
	}
	// Once a package has a tender, the SOQ's packages stay.
	if err := f.st.ReplaceWorkPackages(ctx, testProject, f.soqID, testOwner, two, true); !errors.Is(err, store.ErrPackagesHaveTenders) {
		t.Fatalf("replace after a tender: %v", err)
	}
	// The tender opens on its own SOQ (categories/invitees aside: none here, so it is draft only).
	p, err := f.st.WorkPackage(ctx, testProject, got[1].ID)
	if err != nil || p.TenderID.String != tid || p.TenderSOQID.String != tn.SOQID {
		t.Fatalf("package %+v err %v", p, err)
	}
}
