package handlers

import (
	"net/http"
	"testing"
	"time"
)

// Opening a tender schedules its closing job at the closing time (jobs.CloseTenderArgs);
// the job itself is tested in package jobs.
func TestTenderOpenSchedulesItsClosing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := draftTender(t, f, issuedSOQ(t, f))
	if res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	tn, err := f.a.st.Tender(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var jobs []struct {
		ScheduledAt time.Time `db:"scheduled_at"`
	}
	if err := f.a.st.DB().Select(&jobs, `SELECT scheduled_at FROM river_job WHERE kind = 'tender_close' AND args->>'tender_id' = $1`, id); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || !jobs[0].ScheduledAt.Equal(tn.ClosesAt) {
		t.Fatalf("closing jobs %v, want one at %s", jobs, tn.ClosesAt)
	}
}
