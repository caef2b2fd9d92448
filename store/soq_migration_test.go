package store_test

import (
	"context"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/migrations"
)

// Migration 00007 on data written before it: duplicate positions (left by concurrent adds)
// are renumbered in their order, NFD identifiers become NFC unless that would collide, and
// the new unique constraints then hold.
func TestMigration00007FixesExistingData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 6); err != nil {
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
	exec(`INSERT INTO projects (id, name, code, status, currency, owner_id) VALUES ('00000000-0000-0000-0000-0000000000b1', 'P', 'P', 'planning', 'usd', '00000000-0000-0000-0000-0000000000a1')`)
	exec(`INSERT INTO soqs (id, project_id, title, currency) VALUES ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000b1', 'S', 'usd')`)
	exec(`INSERT INTO soq_sections (id, soq_id, code, title, position) VALUES
		('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000c1', 'Se'||U&'\0301', 'One', 1),
		('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000c1', 'B', 'Two', 1)`)
	for i, ref := range []string{"A1", "A2", "A3", "Re\u0301f", "R\u00e9f"} {
		exec(`INSERT INTO soq_items (id, soq_id, section_id, reference, description, unit, quantity, rate, item_type, position)
			VALUES (gen_random_uuid(), '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000d1', $1, 'x', 'nr', 1, 1, 'measured', $2)`,
			ref, 7+i%2) // positions 7, 8, 7, 8, 7: duplicates
	}
	exec(`INSERT INTO units (id, project_id, unit_number, total_floor_area, number_of_floors, number_of_rooms, number_of_bathrooms) VALUES
		(gen_random_uuid(), '00000000-0000-0000-0000-0000000000b1', 'Unit e'||U&'\0301', 10, 1, 1, 1)`)
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up over existing data: %v", err)
	}
	var n int
	if err := db.Get(&n, `SELECT count(DISTINCT position) FROM soq_items WHERE section_id = '00000000-0000-0000-0000-0000000000d1'`); err != nil || n != 5 {
		t.Errorf("%d distinct item positions of 5 (%v)", n, err)
	}
	if err := db.Get(&n, `SELECT count(DISTINCT position) FROM soq_sections`); err != nil || n != 2 {
		t.Errorf("%d distinct section positions of 2 (%v)", n, err)
	}
	var s string
	if err := db.Get(&s, `SELECT unit_number FROM units`); err != nil || s != "Unit \u00e9" {
		t.Errorf("unit number %q (%v)", s, err)
	}
	if err := db.Get(&s, `SELECT code FROM soq_sections WHERE id = '00000000-0000-0000-0000-0000000000d1'`); err != nil || s != "S\u00e9" {
		t.Errorf("section code %q (%v)", s, err)
	}
	// The NFD reference whose NFC twin exists stays as it was rather than failing the migration.
	if err := db.Get(&n, `SELECT count(*) FROM soq_items WHERE reference = 'Re'||U&'\0301'||'f'`); err != nil || n != 1 {
		t.Errorf("colliding NFD reference: %d (%v)", n, err)
	}
	if err := db.Get(&n, `SELECT version FROM soqs`); err != nil || n != 1 {
		t.Errorf("version %d (%v)", n, err)
	}
}
