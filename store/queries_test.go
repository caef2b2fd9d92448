package store

import (
	"strings"
	"testing"
)

// Queries that fill the same struct are written out whole, each beside its method; their
// column lists must stay the same (a column left out of one would read as a zero value).
func TestSameColumns(t *testing.T) {
	t.Parallel()
	columns := func(q string) string {
		q = strings.Join(strings.Fields(q), " ")
		from := strings.LastIndex(q, " FROM soq") // the main FROM, after any subquery's
		if !strings.HasPrefix(q, "SELECT ") || from < 0 {
			t.Fatalf("no SELECT … FROM in %q", q)
		}
		return q[len("SELECT "):from]
	}
	for name, group := range map[string][]string{
		"soq":    {soqsOfSQL, soqHeaderSQL},
		"item":   {soqItemsSQL, soqItemSQL, sectionItemsSQL},
		"import": {importSQL, recentImportsSQL, strings.Replace(importContentSQL, ",\n       i.content\n", "\n", 1)},
	} {
		want := columns(group[0])
		for i, q := range group[1:] {
			if got := columns(q); got != want {
				t.Errorf("%s query %d selects\n%s\nnot\n%s", name, i+1, got, want)
			}
		}
	}
	// The swap's statements differ from one table to the other only by its name and scope.
	for _, pair := range [][2]string{
		{itemPositionSQL.lock, sectionPositionSQL.lock}, {itemPositionSQL.above, sectionPositionSQL.above},
		{itemPositionSQL.below, sectionPositionSQL.below}, {itemPositionSQL.swap, sectionPositionSQL.swap},
	} {
		item := strings.NewReplacer("soq_items", "soq_sections", "section_id", "soq_id").Replace(pair[0])
		if item != pair[1] {
			t.Errorf("item and section statements differ:\n%s\n%s", pair[0], pair[1])
		}
	}
}
