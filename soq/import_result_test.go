package soq

import "testing"

// An import is a success only when it brought rows in; a run that wrote nothing is
// Refused or Empty, never Complete; only a refused run can run again on its valid rows.
func TestImportResult(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status            ImportStatus
		imported, refused int
		want              ImportResult
		valid             int
		runValid          bool
	}{
		{ImportDone, 12, 0, ResultComplete, 12, false},
		{ImportDone, 10, 2, ResultPartial, 10, false},
		{ImportDone, 0, 2, ResultRefused, 10, true},
		{ImportDone, 0, 2, ResultRefused, 0, false},
		{ImportDone, 0, 0, ResultEmpty, 0, false},
		{ImportFailed, 0, 0, ResultFailed, 0, false},
		{ImportRunning, 0, 0, ResultPending, 0, false},
		{ImportUploaded, 0, 0, ResultPending, 0, false},
	} {
		got := c.status.Result(c.imported, c.refused)
		if got != c.want {
			t.Errorf("%s %d/%d: %q, want %q", c.status, c.imported, c.refused, got, c.want)
		}
		if got.Imported() != (c.imported > 0) {
			t.Errorf("%q.Imported() = %v", got, got.Imported())
		}
		next, err := c.status.RunValidRows(got, c.valid)
		if (err == nil) != c.runValid || err == nil && next != ImportQueued {
			t.Errorf("%s %q valid %d: RunValidRows %s %v", c.status, got, c.valid, next, err)
		}
	}
}
