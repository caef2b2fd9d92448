package store

import (
	"regexp"
	"testing"
)

// newUUIDs gives version 4 UUIDs in the canonical form, each different.
func TestNewUUIDs(t *testing.T) {
	t.Parallel()
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	ids := newUUIDs(1000)
	seen := map[string]bool{}
	for _, id := range ids {
		if !v4.MatchString(id) || seen[id] {
			t.Fatalf("id %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
	if len(newUUIDs(0)) != 0 {
		t.Error("ids for no rows")
	}
}
