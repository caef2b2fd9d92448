package soq

import (
	"database/sql/driver"

	"github.com/14build/14build/state"
)

// ImportStatus is where a spreadsheet import of an SOQ is in its life:
//
//	Uploaded --Queue--> Queued --Start--> Running --Done--> Done
//	                      ^                  |  \--Fail--> Failed
//	                      +------Retry-------+
//
// It lives in package soq beside the SOQ's own Status because an import is a way of
// writing an SOQ (its rows pass the same item rules) and has no rules of its own that
// would justify a package.
type ImportStatus string

const (
	ImportUploaded ImportStatus = "uploaded" // stored and previewed; columns not yet mapped
	ImportQueued   ImportStatus = "queued"   // mapped; its job waits for a worker (or a retry)
	ImportRunning  ImportStatus = "running"  // a worker is reading and checking the rows
	ImportDone     ImportStatus = "done"     // written (or, all-or-nothing, refused whole)
	ImportFailed   ImportStatus = "failed"   // ended without writing anything
)

// ImportStatuses lists every import status.
var ImportStatuses = []ImportStatus{ImportUploaded, ImportQueued, ImportRunning, ImportDone, ImportFailed}

// Valid reports whether s is an import status.
func (s ImportStatus) Valid() bool {
	for _, x := range ImportStatuses {
		if x == s {
			return true
		}
	}
	return false
}

// Finished reports whether the import has reached its end (done or failed).
func (s ImportStatus) Finished() bool { return s == ImportDone || s == ImportFailed }

// Active reports whether the import is waiting for or held by a worker: what counts
// against a person's limit of concurrent imports.
func (s ImportStatus) Active() bool { return s == ImportQueued || s == ImportRunning }

// Mappable reports whether the import's columns can still be mapped and the import
// started (only once: a second Start enqueues nothing).
func (s ImportStatus) Mappable() bool { return s == ImportUploaded }

// ImportTransitionError refuses a change of import status its life does not allow.
type ImportTransitionError = state.TransitionError[ImportStatus]

func (s ImportStatus) to(next ImportStatus, ok bool) (ImportStatus, error) {
	if !ok {
		return s, &ImportTransitionError{From: s, To: next, Of: state.Noun{A: "an import", The: "the import"}}
	}
	return next, nil
}

// Queue is Uploaded → Queued: the columns are mapped and the job enqueued.
func (s ImportStatus) Queue() (ImportStatus, error) { return s.to(ImportQueued, s == ImportUploaded) }

// Start is a worker taking the import. River may run a job again at any point after a
// crash (even after its import was recorded as finished, if the worker died before River
// did), and a run is idempotent — it first removes what an earlier run wrote — so every
// status but Uploaded (never queued) may start.
func (s ImportStatus) Start() (ImportStatus, error) {
	return s.to(ImportRunning, s.Valid() && s != ImportUploaded)
}

// Progress is a running import recording how far it got; it stays Running.
func (s ImportStatus) Progress() (ImportStatus, error) {
	return s.to(ImportRunning, s == ImportRunning)
}

// Retry puts an interrupted attempt back in the queue for River's next attempt.
func (s ImportStatus) Retry() (ImportStatus, error) {
	return s.to(ImportQueued, s == ImportQueued || s == ImportRunning)
}

// Fail ends an import that has not finished without writing anything: a problem with the
// file, the last attempt interrupted, or River giving up on the job.
func (s ImportStatus) Fail() (ImportStatus, error) {
	return s.to(ImportFailed, s.Valid() && !s.Finished())
}

// Done records a run that wrote its rows (or refused them).
func (s ImportStatus) Done() (ImportStatus, error) { return s.to(ImportDone, s == ImportRunning) }

// Value stores the status as its text.
func (s ImportStatus) Value() (driver.Value, error) { return state.Value(s, "import status") }

// Scan reads a stored import status, refusing one the domain does not know.
func (s *ImportStatus) Scan(src any) error { return state.Scan(s, src, "import status") }

// ImportResult is what a finished import came to, as people are told it: only an import
// that brought rows in is Complete (or Partial), so a run that wrote nothing never shows as
// a success.
type ImportResult string

const (
	ResultPending  ImportResult = ""         // not finished
	ResultComplete ImportResult = "complete" // every item row imported
	ResultPartial  ImportResult = "partial"  // some rows imported, the others refused
	ResultRefused  ImportResult = "refused"  // rows were refused and nothing was imported
	ResultEmpty    ImportResult = "empty"    // nothing imported and nothing refused: the sheet had no item rows
	ResultFailed   ImportResult = "failed"   // ended without writing anything (Failed)
)

// Result is the result of an import in status s that imported and refused so many rows.
func (s ImportStatus) Result(imported, refused int) ImportResult {
	switch {
	case s == ImportFailed:
		return ResultFailed
	case s != ImportDone:
		return ResultPending
	case imported > 0 && refused > 0:
		return ResultPartial
	case imported > 0:
		return ResultComplete
	case refused > 0:
		return ResultRefused
	}
	return ResultEmpty
}

// Imported reports whether the import brought rows in.
func (r ImportResult) Imported() bool { return r == ResultComplete || r == ResultPartial }

// RunValidRows is Done → Queued for an import whose rows were refused and nothing imported
// (all or nothing): it runs again on the same stored file and mapping, importing the rows
// that pass. valid is how many rows passed the first run's checks; with none there is
// nothing to run again.
func (s ImportStatus) RunValidRows(r ImportResult, valid int) (ImportStatus, error) {
	return s.to(ImportQueued, s == ImportDone && r == ResultRefused && valid > 0)
}
