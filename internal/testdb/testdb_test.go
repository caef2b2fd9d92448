package testdb_test

import (
	"testing"

	"github.com/14build/14build/internal/testdb"
)

// A test's writes, to ordinary tables and to the rows the migrations seeded, and a schema
// change, are gone for the next test to claim the database: it sees what the migrations
// left, sequences included.
func TestClaimedDatabaseIsTheTemplates(t *testing.T) {
	var categories string
	var nextEntity int64
	fresh := func(t *testing.T) {
		db := testdb.New(t)
		var cats string
		if err := db.Get(&cats, `SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM categories`); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Get(&n, `SELECT (SELECT count(*) FROM entities) + (SELECT count(*) FROM users) + (SELECT count(*) FROM pg_trigger WHERE tgname = 'testdb_trigger')`); err != nil {
			t.Fatal(err)
		}
		var next int64
		if err := db.Get(&next, `INSERT INTO entities (name) VALUES ('probe') RETURNING id`); err != nil {
			t.Fatal(err)
		}
		if categories == "" {
			categories, nextEntity = cats, next
		}
		if cats != categories || n != 0 || next != nextEntity {
			t.Errorf("claimed a used database: categories %q (want %q), %d rows or triggers left, next entity id %d (want %d)",
				cats, categories, n, next, nextEntity)
		}
		if categories == "" || cats == "" {
			t.Fatal("the template has no categories")
		}
	}
	for round := range 3 {
		t.Run("fresh", fresh)
		t.Run("dirty", func(t *testing.T) {
			db := testdb.New(t)
			db.MustExec(`UPDATE categories SET name = name || ' (renamed)' WHERE id = (SELECT min(id) FROM categories)`)
			db.MustExec(`INSERT INTO entities (name) VALUES ('E1'), ('E2')`)
			db.MustExec(`INSERT INTO users (name, email, password_hash, role, entity_id) SELECT 'U', 'u@example.com', 'x', 'owner', min(id) FROM entities`)
			if round == 1 {
				db.MustExec(`CREATE FUNCTION testdb_f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
					CREATE TRIGGER testdb_trigger BEFORE INSERT ON entities FOR EACH STATEMENT EXECUTE FUNCTION testdb_f()`)
			}
		})
	}
	t.Run("fresh", fresh)
}
