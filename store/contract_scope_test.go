package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/14build/14build/store"
)

// TestContractScope: a contract is found through its own id, a milestone's or an escrow's,
// whole (the retention and version columns too: the pages read them from it), with its
// project; unknown and malformed ids are ErrNotFound.
func TestContractScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, c := newContractFixture(t, 10_000)
	st := f.st
	if err := st.SetRetention(ctx, c.ID, 500); err != nil {
		t.Fatal(err)
	}
	m := addMilestones(t, st, c.ID, 10_000)[0]
	e, _, err := st.OpenEscrow(ctx, m.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	project, err := projectOfContract(st, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][3]string{{c.ID, "", ""}, {"", m.ID, ""}, {"", "", e.ID}} {
		k, pid, err := st.ContractScope(ctx, ids[0], ids[1], ids[2])
		if err != nil || k.ID != c.ID || pid != project || k.RetentionBP != 500 || k.Version < 1 || k.ContractSum != 10_000 {
			t.Errorf("scope %v: %+v %s %v", ids, k, pid, err)
		}
	}
	for _, ids := range [][3]string{{"", "", ""}, {"nope", "", ""}, {"", "00000000-0000-0000-0000-000000000000", ""}} {
		if _, _, err := st.ContractScope(ctx, ids[0], ids[1], ids[2]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("scope %v: %v, want ErrNotFound", ids, err)
		}
	}
}
