package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"github.com/14build/14build/field"
	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/migrations"
	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
)

const (
	testProject = "00000000-0000-0000-0000-0000000000b1"
	otherProj   = "00000000-0000-0000-0000-0000000000b2"
)

// soqFixture is a store on a fresh database with an owner, two projects and one SOQ of
// the first: sections A (items A1, A2) and B (item B1).
type soqFixture struct {
	db    *sqlx.DB
	st    *store.Store
	soqID string
	secs  map[string]string // code → id
	items map[string]string // reference → id
}

func newSOQFixture(t *testing.T) *soqFixture {
	t.Helper()
	db := testdb.New(t)
	for _, q := range []string{
		`INSERT INTO entities (id, name) VALUES (9001, 'E')`,
		`INSERT INTO users (id, name, email, password_hash, role, entity_id) VALUES ('00000000-0000-0000-0000-0000000000a1', 'O', 'o@example.com', 'x', 'owner', 9001)`,
		`INSERT INTO projects (id, name, code, status, currency, owner_id) VALUES ('` + testProject + `', 'P', 'P', 'planning', 'usd', '00000000-0000-0000-0000-0000000000a1')`,
		`INSERT INTO projects (id, name, code, status, currency, owner_id) VALUES ('` + otherProj + `', 'Q', 'Q', 'planning', 'usd', '00000000-0000-0000-0000-0000000000a1')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st := store.New(db)
	item := func(ref string, qty soq.Quantity, rate int64) store.NewItem {
		return store.NewItem{Item: soq.Item{Reference: ref, Description: "Item " + ref, Unit: "m2", Quantity: qty, Rate: rate, Type: soq.Measured}}
	}
	id, err := st.CreateSOQ(context.Background(), testProject, "00000000-0000-0000-0000-0000000000a1", store.NewSOQ{Title: "S", Currency: "usd",
		Sections: []store.NewSection{
			{Code: "A", Title: "Alpha", Items: []store.NewItem{item("A1", 2500, 101), item("A2", 1000, 1000)}}, // 2.5 × 1.01 = 2.525 → 253
			{Code: "B", Title: "Beta", Items: []store.NewItem{item("B1", 500, 1)}},                             // 0.5 × 0.01 → 1 (half-up)
		}})
	if err != nil {
		t.Fatal(err)
	}
	f := &soqFixture{db: db, st: st, soqID: id, secs: map[string]string{}, items: map[string]string{}}
	var rows []struct {
		Ref     string `db:"reference"`
		ID      string `db:"id"`
		Code    string `db:"code"`
		Section string `db:"section_id"`
	}
	if err := db.Select(&rows, `SELECT i.reference, i.id, s.code, i.section_id FROM soq_items i JOIN soq_sections s ON s.id = i.section_id WHERE i.soq_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		f.items[r.Ref], f.secs[r.Code] = r.ID, r.Section
	}
	return f
}

// amounts reads the stored amounts by reference.
func (f *soqFixture) amounts(t *testing.T) map[string]int64 {
	t.Helper()
	var rows []struct {
		Ref    string `db:"reference"`
		Amount int64  `db:"amount"`
	}
	if err := f.db.Select(&rows, `SELECT reference, amount FROM soq_items WHERE soq_id = $1`, f.soqID); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Ref] = r.Amount
	}
	return out
}

func (f *soqFixture) version(t *testing.T) int64 {
	t.Helper()
	var v int64
	if err := f.db.Get(&v, `SELECT version FROM soqs WHERE id = $1`, f.soqID); err != nil {
		t.Fatal(err)
	}
	return v
}

// Every writer stores soq.Amount of the item; totals are sums of what is stored.
func TestSOQWritersStoreAmounts(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	ctx := context.Background()
	want := map[string]int64{"A1": 253, "A2": 1000, "B1": 1}
	if got := f.amounts(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("amounts after CreateSOQ %v, want %v", got, want)
	}
	added, err := f.st.AddItem(ctx, f.soqID, testProject, f.secs["B"], store.NewItem{Item: soq.Item{Reference: "B2", Description: "Added",
		Unit: "nr", Quantity: 3333, Rate: 15, Type: soq.Measured}}) // 3.333 × 0.15 = 0.49995 → 50
	if err != nil {
		t.Fatal(err)
	}
	if added.Amount != 50 || added.SectionTotal != 51 || added.Total != 1304 {
		t.Errorf("added %+v: want amount 50, section 51, total 1304", added)
	}
	p, err := f.st.PatchItem(ctx, f.soqID, testProject, f.items["A2"], func(_ store.SOQ, it *store.Item) field.Errors {
		it.Quantity = 1500 // 1.5 × 10.00
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Items[0].Amount != 1500 || p.Sections[f.secs["A"]] != 1753 || p.Total != 1804 {
		t.Errorf("patched %+v: want amount 1500, section 1753, total 1804", p)
	}
	want = map[string]int64{"A1": 253, "A2": 1500, "B1": 1, "B2": 50}
	if got := f.amounts(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stored amounts %v, want %v", got, want)
	}
	// The totals every reader shows are the same sums.
	tot, err := f.st.SOQTotals(ctx, f.soqID)
	if err != nil {
		t.Fatal(err)
	}
	q, err := f.st.SOQHeader(ctx, f.soqID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.LoadSOQ(ctx, &q, store.ItemFilter{}); err != nil {
		t.Fatal(err)
	}
	list, err := f.st.SOQsOf(ctx, testProject)
	if err != nil {
		t.Fatal(err)
	}
	if tot.Total != 1804 || q.Total != 1804 || list[0].Total != 1804 || tot.Sections[f.secs["B"]] != 51 {
		t.Errorf("totals: SOQTotals %+v, LoadSOQ %d, SOQsOf %d; want 1804 (B 51)", tot, q.Total, list[0].Total)
	}
	for _, s := range q.Sections {
		if (s.Code == "A" && s.Total != 1753) || (s.Code == "B" && s.Total != 51) {
			t.Errorf("LoadSOQ section %s total %d", s.Code, s.Total)
		}
	}
	// A replace (PUT) stores amounts too.
	if err := f.st.ReplaceSOQ(ctx, f.soqID, testProject, f.version(t), store.NewSOQ{Title: "S", Currency: "usd", Status: soq.Draft,
		Sections: []store.NewSection{{Code: "C", Title: "Gamma", Items: []store.NewItem{{Item: soq.Item{Reference: "C1", Description: "PS",
			Unit: "sum", Quantity: 1000, Rate: 250000, Type: soq.ProvisionalSum}}}}}}); err != nil {
		t.Fatal(err)
	}
	if got := f.amounts(t); fmt.Sprint(got) != fmt.Sprint(map[string]int64{"C1": 250000}) {
		t.Errorf("amounts after replace %v", got)
	}
}

// A cell save and an add-row are two statements whatever the SOQ's size, and a paste of
// many items is two as well.
func TestSOQWritesConstantStatements(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	ctx := context.Background()
	var many []store.NewItem
	for i := range 500 {
		many = append(many, store.NewItem{Item: soq.Item{Reference: fmt.Sprintf("Z%d", i), Description: "Filler", Unit: "nr", Quantity: 1000, Rate: 1, Type: soq.Measured}})
	}
	if err := f.st.ReplaceSOQ(ctx, f.soqID, testProject, f.version(t), store.NewSOQ{Title: "S", Currency: "usd", Status: soq.Draft,
		Sections: []store.NewSection{{Code: "Z", Title: "Zed", Items: many}}}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := f.db.Select(&ids, `SELECT id FROM soq_items WHERE soq_id = $1 ORDER BY position`, f.soqID); err != nil {
		t.Fatal(err)
	}
	var sec string
	if err := f.db.Get(&sec, `SELECT id FROM soq_sections WHERE soq_id = $1`, f.soqID); err != nil {
		t.Fatal(err)
	}
	count := func(name string, do func() error) {
		t.Helper()
		before := f.st.QueryCount()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := f.st.QueryCount() - before; n != 2 {
			t.Errorf("%s: %d statements, want 2", name, n)
		}
	}
	count("cell save", func() error {
		_, err := f.st.PatchItem(ctx, f.soqID, testProject, ids[7], func(_ store.SOQ, it *store.Item) field.Errors { it.Rate = 99; return nil })
		return err
	})
	count("paste of 300 items", func() error {
		p, err := f.st.PatchItems(ctx, f.soqID, testProject, ids[:300], func(_ store.SOQ, items []*store.Item) error {
			for _, it := range items {
				it.Quantity = 2000
			}
			return nil
		})
		if err == nil && (len(p.Items) != 300 || p.Total != 299*2+2*99+200) {
			return fmt.Errorf("paste answered %d items, total %d", len(p.Items), p.Total)
		}
		return err
	})
	count("add row", func() error {
		_, err := f.st.AddItem(ctx, f.soqID, testProject, sec, store.NewItem{Item: soq.Item{Reference: "NEW", Description: "New", Unit: "nr", Quantity: 1000, Rate: 5, Type: soq.Measured}})
		return err
	})
}

// A write that lands between an edit's read and its write makes the edit read again and
// re-apply itself to what that write left: both changes survive, and the totals check
// counts the other write.
func TestSOQPatchRetriesOnRace(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	ctx := context.Background()
	applied := 0
	p, err := f.st.PatchItem(ctx, f.soqID, testProject, f.items["A1"], func(_ store.SOQ, it *store.Item) field.Errors {
		applied++
		if applied == 1 {
			// Someone else changes A1's description in between.
			if _, err := f.st.PatchItem(ctx, f.soqID, testProject, f.items["A1"], func(_ store.SOQ, it *store.Item) field.Errors {
				it.Description = "Changed meanwhile"
				return nil
			}); err != nil {
				t.Error(err)
			}
		}
		it.Rate = 200 // 2.5 × 2.00 = 5.00
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if applied != 2 {
		t.Errorf("applied %d times, want 2 (once more after the race)", applied)
	}
	if p.Items[0].Description != "Changed meanwhile" || p.Items[0].Rate != 200 || p.Items[0].Amount != 500 {
		t.Errorf("item after the race: %+v", p.Items[0])
	}
	var desc string
	var rate int64
	if err := f.db.QueryRow(`SELECT description, rate FROM soq_items WHERE id = $1`, f.items["A1"]).Scan(&desc, &rate); err != nil || desc != "Changed meanwhile" || rate != 200 {
		t.Errorf("stored %q %d (%v)", desc, rate, err)
	}
}

// Refusals write nothing: the item rules, a total past the money range, an issued SOQ,
// another project's SOQ, an item not in the SOQ.
func TestSOQPatchRefusals(t *testing.T) {
	t.Parallel()
	f := newSOQFixture(t)
	ctx := context.Background()
	v := f.version(t)
	before := f.amounts(t)
	_, err := f.st.PatchItems(ctx, f.soqID, testProject, []string{f.items["A1"], f.items["B1"]}, func(_ store.SOQ, items []*store.Item) error {
		items[0].Rate = 7
		items[1].Unit = "furlong"
		return nil
	})
	var refused *store.ItemsRefused
	if !errors.As(err, &refused) || refused.Items[f.items["B1"]]["unit"] == "" || len(refused.Items) != 1 {
		t.Errorf("bad unit: %v", err)
	}
	_, err = f.st.PatchItem(ctx, f.soqID, testProject, f.items["B1"], func(_ store.SOQ, it *store.Item) field.Errors {
		it.Quantity, it.Rate = 1000, money.MaxMinor-1200 // the SOQ's other items hold 1,253
		return nil
	})
	var over *soq.TotalError
	if !errors.As(err, &over) || over.Key != "rate" || over.Which != soq.OverGrand {
		t.Errorf("over the grand total: %v %+v", err, over)
	}
	_, err = f.st.PatchItem(ctx, f.soqID, otherProj, f.items["B1"], func(store.SOQ, *store.Item) field.Errors { return nil })
	if !errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrItemNotFound) {
		t.Errorf("another project's SOQ: %v", err)
	}
	_, err = f.st.PatchItems(ctx, f.soqID, testProject, []string{f.items["A1"], "00000000-0000-0000-0000-000000000999"}, func(store.SOQ, []*store.Item) error { return nil })
	var missing *store.ItemsMissing
	if !errors.As(err, &missing) || len(missing.IDs) != 1 {
		t.Errorf("missing item: %v", err)
	}
	if _, err := f.db.Exec(`UPDATE soqs SET status = 'issued' WHERE id = $1`, f.soqID); err != nil {
		t.Fatal(err)
	}
	_, err = f.st.PatchItem(ctx, f.soqID, testProject, f.items["B1"], func(_ store.SOQ, it *store.Item) field.Errors { it.Rate = 2; return nil })
	if !errors.Is(err, store.ErrSOQIssued) {
		t.Errorf("issued: %v", err)
	}
	_, err = f.st.AddItem(ctx, f.soqID, testProject, f.secs["A"], store.NewItem{Item: soq.Item{Reference: "X", Description: "X", Unit: "nr", Quantity: 1000, Rate: 1, Type: soq.Measured}})
	if !errors.Is(err, store.ErrSOQIssued) {
		t.Errorf("add to issued: %v", err)
	}
	if got := f.amounts(t); fmt.Sprint(got) != fmt.Sprint(before) || f.version(t) != v {
		t.Errorf("refused writes changed the SOQ: %v v%d (was %v v%d)", got, f.version(t), before, v)
	}
}

// Migration 00008's SQL backfill gives existing rows exactly soq.Amount — rounding half-up,
// allowances, the largest values — and caps rows past the money range one above it.
func TestMigration00008BackfillEqualsSoqAmount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO entities (id, name) VALUES (9001, 'E')`)
	exec(`INSERT INTO users (id, name, email, password_hash, role, entity_id) VALUES ('00000000-0000-0000-0000-0000000000a1', 'O', 'o@example.com', 'x', 'owner', 9001)`)
	exec(`INSERT INTO projects (id, name, code, status, currency, owner_id) VALUES ('` + testProject + `', 'P', 'P', 'planning', 'usd', '00000000-0000-0000-0000-0000000000a1')`)
	exec(`INSERT INTO soqs (id, project_id, title, currency) VALUES ('00000000-0000-0000-0000-0000000000c1', '` + testProject + `', 'S', 'usd')`)
	exec(`INSERT INTO soq_sections (id, soq_id, code, title, position) VALUES ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000c1', 'A', 'A', 1)`)
	cases := []struct {
		qty  soq.Quantity
		rate int64
		typ  string
	}{
		{0, 0, "measured"}, {1000, 0, "measured"}, {1, 1, "measured"}, {499, 1, "measured"}, {500, 1, "measured"}, {501, 1, "measured"},
		{1500, 1, "measured"}, {2500, 1, "measured"}, {2500, 101, "measured"}, {3333, 15, "measured"}, {12_345_678, 987_654, "daywork"},
		{1000, 250_000_00, "provisional_sum"}, {1000, money.MaxMinor, "prime_cost_sum"}, {soq.MaxQuantity, 9_007_199, "measured"},
		{soq.MaxQuantity, money.MaxMinor, "measured"}, // past the range: stored before the check existed
	}
	for i, c := range cases {
		exec(`INSERT INTO soq_items (id, soq_id, section_id, reference, description, unit, quantity, rate, item_type, position)
			VALUES (gen_random_uuid(), '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000d1', $1, 'x', 'nr', $2::numeric, $3, $4, $5)`,
			fmt.Sprintf("R%d", i), c.qty.Fixed(), c.rate, c.typ, i+1)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	for i, c := range cases {
		var got int64
		if err := db.Get(&got, `SELECT amount FROM soq_items WHERE reference = $1`, fmt.Sprintf("R%d", i)); err != nil {
			t.Fatal(err)
		}
		want, err := soq.Amount(c.qty, c.rate)
		if err != nil {
			want = money.MaxMinor + 1
		}
		if got != want {
			t.Errorf("%s × %d: backfilled %d, soq.Amount %d", c.qty.Fixed(), c.rate, got, want)
		}
	}
}
