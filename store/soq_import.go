package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/lib/pq"
	"github.com/riverqueue/river/rivertype"

	"github.com/14build/14build/soq"
)

// Import modes.
const (
	ModeAllOrNothing = "all_or_nothing"
	ModeValidRows    = "valid_rows"
)

// ErrSOQIssued is returned when an import meets an SOQ that was issued meanwhile.
var ErrSOQIssued = errors.New("the SOQ is issued")

// ImportRefusal is one refused row (soq.ImportRefusal).
type ImportRefusal = soq.ImportRefusal

// SOQImport is an uploaded spreadsheet and what became of it. Content is loaded only by
// ImportContent.
type SOQImport struct {
	ID            string           `db:"id"`
	SOQID         string           `db:"soq_id"`
	ProjectID     string           `db:"project_id"`
	Filename      string           `db:"filename"`
	Format        string           `db:"format"`
	SizeBytes     int              `db:"size_bytes"`
	Sheet         string           `db:"sheet"`
	MappingJSON   []byte           `db:"mapping"`
	Mode          string           `db:"mode"`
	Status        soq.ImportStatus `db:"status"`
	TotalRows     int              `db:"total_rows"`
	ProcessedRows int              `db:"processed_rows"`
	ImportedRows  int              `db:"imported_rows"`
	SkippedRows   int              `db:"skipped_rows"`
	RefusedRows   int              `db:"refused_rows"`
	Error         string           `db:"error"`
	RiverJobID    sql.NullInt64    `db:"river_job_id"`
	CreatedBy     sql.NullString   `db:"created_by"`
	CreatedAt     time.Time        `db:"created_at"`
	UpdatedAt     time.Time        `db:"updated_at"`
	StartedAt     sql.NullTime     `db:"started_at"`
	FinishedAt    sql.NullTime     `db:"finished_at"`
	// The River job's state and attempt (empty and 0 before the import is queued).
	JobState       rivertype.JobState `db:"job_state"`
	JobAttempt     int                `db:"job_attempt"`
	JobMaxAttempts int                `db:"job_max_attempts"`
	Content        []byte             `db:"-"`
}

// Finished reports whether the import has reached its end (done or failed).
func (i SOQImport) Finished() bool { return i.Status.Finished() }

// Retrying reports whether an earlier attempt of the import was interrupted (its worker
// died or timed out, or an error ended it) and the import is waiting for, or running, a
// later one.
func (i SOQImport) Retrying() bool {
	if i.Finished() || i.JobState == "" {
		return false
	}
	waiting := i.JobState == rivertype.JobStateRetryable || i.JobState == rivertype.JobStateAvailable || i.JobState == rivertype.JobStateScheduled
	return i.JobAttempt > 1 || i.JobAttempt == 1 && waiting
}

// Abandoned reports whether River gave up on the import's job (every attempt was
// interrupted) while the import itself never finished.
func (i SOQImport) Abandoned() bool {
	return !i.Finished() && (i.JobState == rivertype.JobStateDiscarded || i.JobState == rivertype.JobStateCancelled)
}

// Result is what the import came to (soq.ImportResult).
func (i SOQImport) Result() soq.ImportResult { return i.Status.Result(i.ImportedRows, i.RefusedRows) }

// ValidRows is how many item rows passed the checks of the last run (imported or, when
// all or nothing refused the run, not).
func (i SOQImport) ValidRows() int { return max(0, i.TotalRows-i.SkippedRows-i.RefusedRows) }

// Mapping is the column mapping (one field name per column).
func (i SOQImport) Mapping() []string {
	var m []string
	_ = json.Unmarshal(i.MappingJSON, &m)
	return m
}

// Percent is the progress shown on the bar, 0..100.
func (i SOQImport) Percent() int {
	switch {
	case i.Finished():
		return 100
	case i.TotalRows <= 0:
		return 0
	}
	return min(99, i.ProcessedRows*100/i.TotalRows)
}

// NewImport is an upload to store. Preview is the JSON of the file's preview (read once
// at upload; the mapping page shows it without reading the file).
type NewImport struct {
	SOQID, ProjectID, Filename, Format, Sheet, CreatedBy string
	Content, Preview                                     []byte
}

// CreateImport stores an uploaded file and its preview, status uploaded.
func (s *Store) CreateImport(ctx context.Context, in NewImport) (string, error) {
	id := newUUID()
	preview := in.Preview
	if len(preview) == 0 {
		preview = []byte("{}")
	}
	_, err := s.q.exec(ctx, `INSERT INTO soq_imports (id, soq_id, project_id, filename, format, content, size_bytes, sheet, created_by, preview)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, '')::uuid, $10)`, id, in.SOQID, in.ProjectID, in.Filename, in.Format, in.Content, len(in.Content), in.Sheet, in.CreatedBy, preview)
	return id, err
}

// ImportPreview returns the stored preview (JSON) of an import.
func (s *Store) ImportPreview(ctx context.Context, id string) ([]byte, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var b []byte
	err := s.q.get(ctx, &b, `SELECT preview FROM soq_imports WHERE id = $1`, id)
	return b, err
}

// importSQL is one import ($2) of an SOQ ($1) without its file, with its River job's state
// (empty before it is queued).
const importSQL = `
SELECT i.id, i.soq_id, i.project_id, i.filename, i.format, i.size_bytes, i.sheet, i.mapping, i.mode, i.status, i.total_rows,
       i.processed_rows, i.imported_rows, i.skipped_rows, i.refused_rows, i.error, i.river_job_id, i.created_by, i.created_at, i.updated_at,
       i.started_at, i.finished_at, COALESCE(j.state::text, '') AS job_state, COALESCE(j.attempt, 0) AS job_attempt,
       COALESCE(j.max_attempts, 0) AS job_max_attempts
FROM soq_imports i
LEFT JOIN river_job j ON j.id = i.river_job_id
WHERE i.soq_id = $1 AND i.id = $2`

// Import returns an import of the SOQ, without its file.
func (s *Store) Import(ctx context.Context, soqID, id string) (SOQImport, error) {
	if !validUUID(id) {
		return SOQImport{}, ErrNotFound
	}
	var imp SOQImport
	err := s.q.get(ctx, &imp, importSQL, soqID, id)
	return imp, err
}

// importContentSQL is importSQL for any import ($1), with its file.
const importContentSQL = `
SELECT i.id, i.soq_id, i.project_id, i.filename, i.format, i.size_bytes, i.sheet, i.mapping, i.mode, i.status, i.total_rows,
       i.processed_rows, i.imported_rows, i.skipped_rows, i.refused_rows, i.error, i.river_job_id, i.created_by, i.created_at, i.updated_at,
       i.started_at, i.finished_at, COALESCE(j.state::text, '') AS job_state, COALESCE(j.attempt, 0) AS job_attempt,
       COALESCE(j.max_attempts, 0) AS job_max_attempts,
       i.content
FROM soq_imports i
LEFT JOIN river_job j ON j.id = i.river_job_id
WHERE i.id = $1`

// ImportContent returns an import with its file.
func (s *Store) ImportContent(ctx context.Context, id string) (SOQImport, error) {
	if !validUUID(id) {
		return SOQImport{}, ErrNotFound
	}
	var row struct {
		SOQImport
		Content []byte `db:"content"`
	}
	if err := s.q.get(ctx, &row, importContentSQL, id); err != nil {
		return SOQImport{}, err
	}
	row.SOQImport.Content = row.Content
	return row.SOQImport, nil
}

// ImportRefusals returns up to limit refused rows of an import, in row order.
func (s *Store) ImportRefusals(ctx context.Context, id string, limit int) ([]ImportRefusal, error) {
	var out []ImportRefusal
	err := s.q.sel(ctx, &out, `SELECT (r->>'row')::int AS row, COALESCE(r->>'reference', '') AS reference,
       COALESCE(r->>'description', '') AS description, r->>'reason' AS reason
FROM soq_imports i, jsonb_array_elements(i.refused) WITH ORDINALITY AS x(r, n) WHERE i.id = $1 ORDER BY x.n LIMIT $2`, id, limit)
	return out, err
}

// recentImportsSQL is an SOQ's ($1) latest $2 imports, newest first, as importSQL reads them.
const recentImportsSQL = `
SELECT i.id, i.soq_id, i.project_id, i.filename, i.format, i.size_bytes, i.sheet, i.mapping, i.mode, i.status, i.total_rows,
       i.processed_rows, i.imported_rows, i.skipped_rows, i.refused_rows, i.error, i.river_job_id, i.created_by, i.created_at, i.updated_at,
       i.started_at, i.finished_at, COALESCE(j.state::text, '') AS job_state, COALESCE(j.attempt, 0) AS job_attempt,
       COALESCE(j.max_attempts, 0) AS job_max_attempts
FROM soq_imports i
LEFT JOIN river_job j ON j.id = i.river_job_id
WHERE i.soq_id = $1
ORDER BY i.created_at DESC, i.id DESC
LIMIT $2`

// RecentImports lists an SOQ's latest imports (without files).
func (s *Store) RecentImports(ctx context.Context, soqID string, limit int) ([]SOQImport, error) {
	var out []SOQImport
	err := s.q.sel(ctx, &out, recentImportsSQL, soqID, limit)
	return out, err
}

// TooManyImportsError refuses to queue an import for a user who already has Limit imports
// waiting or running.
type TooManyImportsError struct{ Running, Limit int }

func (e *TooManyImportsError) Error() string {
	return fmt.Sprintf("%d imports already running (limit %d)", e.Running, e.Limit)
}

// SetImportPreview stores the preview of an import uploaded before previews were kept.
func (s *Store) SetImportPreview(ctx context.Context, id string, preview []byte) error {
	return s.q.execOne(ctx, `UPDATE soq_imports SET preview = $2 WHERE id = $1`, id, preview)
}

// QueueImport saves the chosen sheet, mapping and mode and enqueues the job in the same
// transaction, so the job never runs on settings that were not saved. enqueue inserts the
// job on tx and returns its id. An import that is no longer "uploaded" is left as it is
// (a second click of Start enqueues nothing); queued reports whether this call queued it.
//
// userID queues it; a user who already has perUser imports queued or running (whose job
// River has not finished with) gets a *TooManyImportsError. The count and the insert run
// under a per-user advisory lock, so concurrent starts cannot all pass the count.
func (s *Store) QueueImport(ctx context.Context, id, userID string, perUser int, sheet string, mapping []string, mode string, enqueue func(tx *sql.Tx) (int64, error)) (queued bool, err error) {
	m, err := json.Marshal(mapping)
	if err != nil {
		return false, err
	}
	err = s.WithTx(ctx, func(tx *Tx) error {
		q := tx.q
		if err := tx.checkImportsPerUser(ctx, userID, perUser); err != nil {
			return err
		}
		var status soq.ImportStatus
		if err := q.get(ctx, &status, `SELECT status FROM soq_imports WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		next, terr := status.Queue()
		if terr != nil {
			return nil // started already: a second click of Start enqueues nothing
		}
		jobID, err := tx.enqueue(enqueue)
		if err != nil {
			return err
		}
		if err := q.execOne(ctx, `UPDATE soq_imports SET sheet = $2, mapping = $3, mode = $4, status = $7, river_job_id = $5,
	queued_by = NULLIF($6, '')::uuid, updated_at = now() WHERE id = $1`, id, sheet, m, mode, jobID, userID, next); err != nil {
			return err
		}
		queued = true
		return nil
	})
	return queued && err == nil, err
}

// enqueue runs a job's insert on tx's own connection, so the job exists only if tx commits
// (River's InsertTx), and counts it among tx's statements.
func (tx *Tx) enqueue(insert func(tx *sql.Tx) (int64, error)) (int64, error) {
	sqltx, err := tx.sqlTx()
	if err != nil {
		return 0, err
	}
	id, err := insert(sqltx)
	if err != nil {
		return 0, fmt.Errorf("enqueue: %w", err)
	}
	tx.q.n.Add(1)
	return id, nil
}

// checkImportsPerUser refuses (*TooManyImportsError) a user who already has perUser imports
// queued or running, under a per-user advisory lock held to the end of tx, so concurrent
// starts cannot all pass the count.
func (tx *Tx) checkImportsPerUser(ctx context.Context, userID string, perUser int) error {
	if userID == "" || perUser <= 0 {
		return nil
	}
	if _, err := tx.q.exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('soq_import_user:' || $1::text, 0))`, userID); err != nil {
		return err
	}
	var running int
	if err := tx.q.get(ctx, &running, `SELECT count(*) FROM soq_imports i JOIN river_job j ON j.id = i.river_job_id
WHERE i.queued_by = $1::uuid AND i.status IN ($2, $3) AND j.state NOT IN ($4, $5, $6)`, userID, soq.ImportQueued, soq.ImportRunning,
		rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded); err != nil {
		return err
	}
	if running >= perUser {
		return &TooManyImportsError{Running: running, Limit: perUser}
	}
	return nil
}

// RunValidRows queues again an import that all or nothing refused (soq.ImportStatus.
// RunValidRows), in mode valid_rows, on the file and mapping it keeps: the upload stays in
// soq_imports.content for as long as the import exists (until its SOQ or project is
// deleted), so nothing is uploaded again. Like QueueImport, the job is enqueued in the same
// transaction and the per-user cap applies; an import that cannot run again (already
// re-queued by a second click, or with nothing valid) is left as it is, queued false.
func (s *Store) RunValidRows(ctx context.Context, id, userID string, perUser int, enqueue func(tx *sql.Tx) (int64, error)) (queued bool, err error) {
	err = s.WithTx(ctx, func(tx *Tx) error {
		if err := tx.checkImportsPerUser(ctx, userID, perUser); err != nil {
			return err
		}
		var cur struct {
			Status   soq.ImportStatus `db:"status"`
			Imported int              `db:"imported_rows"`
			Refused  int              `db:"refused_rows"`
			Total    int              `db:"total_rows"`
			Skipped  int              `db:"skipped_rows"`
		}
		if err := tx.q.get(ctx, &cur, `SELECT status, imported_rows, refused_rows, total_rows, skipped_rows FROM soq_imports WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		imp := SOQImport{Status: cur.Status, ImportedRows: cur.Imported, RefusedRows: cur.Refused, TotalRows: cur.Total, SkippedRows: cur.Skipped}
		next, terr := cur.Status.RunValidRows(imp.Result(), imp.ValidRows())
		if terr != nil {
			return nil
		}
		jobID, err := tx.enqueue(enqueue)
		if err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, `UPDATE soq_imports SET mode = $2, status = $3, river_job_id = $4, queued_by = NULLIF($5, '')::uuid,
	processed_rows = 0, error = '', updated_at = now() WHERE id = $1`, id, ModeValidRows, next, jobID, userID); err != nil {
			return err
		}
		queued = true
		return nil
	})
	return queued && err == nil, err
}

// JobHeartbeat marks a running River job as alive now: River's rescuer takes a job whose
// attempted_at is older than its timeout for one whose worker died.
func (s *Store) JobHeartbeat(ctx context.Context, jobID int64) error {
	_, err := s.q.exec(ctx, `UPDATE river_job SET attempted_at = now() WHERE id = $1 AND state = $2`, jobID, rivertype.JobStateRunning)
	return err
}

// StartImportRun marks an import running (soq.ImportStatus.Start, checked by the caller)
// and clears the previous run's figures.
func (s *Store) StartImportRun(ctx context.Context, id string) error {
	return s.q.execOne(ctx, `UPDATE soq_imports SET status = $2, processed_rows = 0, error = '', started_at = now(), finished_at = NULL, updated_at = now() WHERE id = $1`,
		id, soq.ImportRunning)
}

// ImportProgress records how many rows are read (total) and checked (processed).
func (s *Store) ImportProgress(ctx context.Context, id string, total, processed int) error {
	// With its "import-progress" event, in one transaction (import_events.go).
	return s.WithTx(ctx, func(tx *Tx) error { return tx.ImportProgress(ctx, id, total, processed) })
}

// FailImport ends an import with a message for people; nothing is written. Only an
// import that has not finished fails (soq.ImportStatus.Fail): a finished one is left as
// it is, so a late failure of a retried job never overwrites a recorded outcome.
func (s *Store) FailImport(ctx context.Context, id, message string) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		r, err := tx.q.exec(ctx, `UPDATE soq_imports SET status = $3, error = $2, imported_rows = 0, finished_at = now(), updated_at = now()
WHERE id = $1 AND status NOT IN ($4, $3)`, id, message, soq.ImportFailed, soq.ImportDone)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil // finished already: nothing changed
		}
		return tx.emitImport(ctx, id) // the live progress bar shows the failure
	})
}

// RetryImport puts an import back in the queue after a failed attempt, with a message
// (soq.ImportStatus.Retry: only a queued or running import goes back in the queue).
func (s *Store) RetryImport(ctx context.Context, id, message string) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		r, err := tx.q.exec(ctx, `UPDATE soq_imports SET status = $3, error = $2, updated_at = now() WHERE id = $1 AND status IN ($3, $4)`,
			id, message, soq.ImportQueued, soq.ImportRunning)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil
		}
		return tx.emitImport(ctx, id) // the live progress bar says it is retrying
	})
}

// ImportLine is one checked row of a spreadsheet, ready to be written (soq.ImportLine).
type ImportLine = soq.ImportLine

// ImportSection is a section named in the file, created when missing (soq.ImportSection).
type ImportSection = soq.ImportSection

// ImportPlan is what an import run decided from the file.
type ImportPlan struct {
	ImportID, SOQID, ProjectID string
	AllOrNothing               bool
	Total, Skipped             int
	Lines                      []ImportLine
	Sections                   []ImportSection // in order of first appearance
	Refused                    []ImportRefusal
}

// ImportOutcome is what an import wrote.
type ImportOutcome struct {
	Imported, SectionsCreated int
	Refused                   []ImportRefusal
}

// ApplyImport writes an import in one transaction: it first deletes the items a previous
// run of the same import wrote (so a retried job never duplicates rows), refuses rows whose
// reference other rows of the SOQ already use, and then — unless the plan is all-or-nothing
// and a row was refused — creates the missing sections and inserts the items, in a constant
// number of statements. The import is marked done in the same transaction.
func (s *Store) ApplyImport(ctx context.Context, p ImportPlan) (ImportOutcome, error) {
	var out ImportOutcome
	err := s.WithTx(ctx, func(tx *Tx) error {
		out = ImportOutcome{}
		// Locks the SOQ for the run and bumps its version: every write of items does, so
		// that a cell save's compare-and-set sees that the items changed (soq_write.go).
		var status soq.Status
		if err := tx.q.get(ctx, &status, `UPDATE soqs SET version = version + 1, updated_at = now() WHERE id = $1 RETURNING status`, p.SOQID); err != nil {
			return err
		}
		if !status.Editable() {
			return ErrSOQIssued
		}
		if _, err := tx.q.exec(ctx, `DELETE FROM soq_items WHERE soq_id = $1 AND import_id = $2`, p.SOQID, p.ImportID); err != nil {
			return fmt.Errorf("delete previous run: %w", err)
		}
		// The SOQ's references, matched against the rows here: sending the file's 50,000
		// references as an array cost more (parsing it alone took 120 ms) than reading the
		// SOQ's own, which are none on a first import.
		var taken []string
		if len(p.Lines) > 0 {
			if err := tx.q.sel(ctx, &taken, `SELECT lower(reference) FROM soq_items WHERE soq_id = $1`, p.SOQID); err != nil {
				return err
			}
		}
		isTaken := make(map[string]bool, len(taken))
		for _, r := range taken {
			isTaken[r] = true
		}
		refused := append([]ImportRefusal(nil), p.Refused...)
		lines := make([]ImportLine, 0, len(p.Lines))
		for _, l := range p.Lines {
			if isTaken[soq.RefKey(l.Item.Reference)] {
				refused = append(refused, refusalOf(l, fmt.Sprintf("reference %s is already used in this SOQ", l.Item.Reference)))
				continue
			}
			lines = append(lines, l)
		}
		// The same totals rule as every other write of items: lines that would take an
		// amount, a section total or the grand total past the money range are refused rows,
		// not a failed job (a retry could never succeed).
		lines, refused, err := tx.fitImportTotals(ctx, p.SOQID, lines, refused)
		if err != nil {
			return err
		}
		sort.SliceStable(refused, func(a, b int) bool { return refused[a].Row < refused[b].Row })
		out.Refused = refused
		if p.AllOrNothing && len(refused) > 0 {
			lines = nil
		}
		if len(lines) > 0 || (!p.AllOrNothing || len(refused) == 0) && len(p.Sections) > 0 {
			var err error
			if out.SectionsCreated, err = tx.writeImport(ctx, p, lines); err != nil {
				return err
			}
		}
		out.Imported = len(lines)
		if refused == nil {
			refused = []ImportRefusal{} // stored as [], never JSON null (ImportRefusals expands it)
		}
		rj, err := json.Marshal(refused)
		if err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, `UPDATE soq_imports SET status = $7, error = '', total_rows = $2, processed_rows = $2, skipped_rows = $3,
	imported_rows = $4, refused_rows = $5, refused = $6, finished_at = now(), updated_at = now() WHERE id = $1`,
			p.ImportID, p.Total, p.Skipped, out.Imported, len(refused), rj, soq.ImportDone); err != nil {
			return err
		}
		return tx.emitImport(ctx, p.ImportID) // the live progress bar shows the report
	})
	return out, err
}

// fitImportTotals keeps the lines that fit the money range with the SOQ's stored items (a
// previous run's rows are already deleted) and moves the others to refused, by row.
func (tx *Tx) fitImportTotals(ctx context.Context, soqID string, lines []ImportLine, refused []ImportRefusal) ([]ImportLine, []ImportRefusal, error) {
	if len(lines) == 0 {
		return lines, refused, nil
	}
	var secs []struct {
		ID   string `db:"id"`
		Code string `db:"code"`
	}
	if err := tx.q.sel(ctx, &secs, `SELECT id, lower(code) AS code FROM soq_sections WHERE soq_id = $1`, soqID); err != nil {
		return nil, nil, err
	}
	byCode := make(map[string]string, len(secs))
	for _, s := range secs {
		byCode[s.Code] = s.ID
	}
	ch := SOQChange{Lines: make([]soq.Line, len(lines))}
	for i, l := range lines {
		// A section the import creates has no id yet: its code keys its total.
		sec, ok := byCode[soq.RefKey(l.SectionCode)]
		if !ok {
			sec = "new:" + soq.RefKey(l.SectionCode)
		}
		ch.Lines[i] = soq.Line{Key: strconv.Itoa(i), Section: sec, Quantity: l.Item.Quantity, Rate: l.Item.Rate}
	}
	_, over, err := tx.FitSOQTotals(ctx, soqID, ch)
	if err != nil || len(over) == 0 {
		return lines, refused, err
	}
	drop := make(map[int]string, len(over))
	for _, te := range over {
		i, _ := strconv.Atoi(te.Key)
		drop[i] = te.Error()
	}
	kept := lines[:0:0]
	for i, l := range lines {
		if why, ok := drop[i]; ok {
			refused = append(refused, refusalOf(l, why))
			continue
		}
		kept = append(kept, l)
	}
	return kept, refused, nil
}

// refusalOf refuses a checked line, with its reference and description.
func refusalOf(l ImportLine, reason string) ImportRefusal {
	return ImportRefusal{Row: l.Row, Reference: l.Item.Reference, Description: l.Item.Description, Reason: reason}
}

// writeImport creates the plan's missing sections and inserts lines.
func (tx *Tx) writeImport(ctx context.Context, p ImportPlan, lines []ImportLine) (int, error) {
	var secs []struct {
		ID   string `db:"id"`
		Code string `db:"code"`
	}
	if err := tx.q.sel(ctx, &secs, `SELECT id, lower(code) AS code FROM soq_sections WHERE soq_id = $1`, p.SOQID); err != nil {
		return 0, err
	}
	var pos struct {
		Section int64 `db:"section"`
		Item    int64 `db:"item"`
	}
	if err := tx.q.get(ctx, &pos, `SELECT (SELECT COALESCE(max(position), 0) FROM soq_sections WHERE soq_id = $1) AS section,
	(SELECT COALESCE(max(position), 0) FROM soq_items WHERE soq_id = $1) AS item`, p.SOQID); err != nil {
		return 0, err
	}
	byCode := make(map[string]string, len(secs))
	for _, s := range secs {
		byCode[s.Code] = s.ID
	}
	var sIDs, sCodes, sTitles []string
	var sPos []int64
	for _, s := range p.Sections {
		k := soq.RefKey(s.Code)
		if _, ok := byCode[k]; ok {
			continue
		}
		id := newUUID()
		byCode[k] = id
		pos.Section++
		sIDs, sCodes, sTitles, sPos = append(sIDs, id), append(sCodes, s.Code), append(sTitles, s.Title), append(sPos, pos.Section)
	}
	if len(sIDs) > 0 {
		_, err := tx.q.exec(ctx, `INSERT INTO soq_sections (id, soq_id, code, title, position)
SELECT x.id, $1, x.code, x.title, x.pos FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[]) AS x(id, code, title, pos)`,
			p.SOQID, pq.Array(sIDs), pq.Array(sCodes), pq.Array(sTitles), pq.Array(sPos))
		if err != nil {
			return 0, fmt.Errorf("insert sections: %w", err)
		}
	}
	rows := make([]itemRow, len(lines))
	check := make([]soq.Line, len(lines))
	ids := newUUIDs(len(lines))
	for i, l := range lines {
		sid, ok := byCode[soq.RefKey(l.SectionCode)]
		if !ok {
			return 0, fmt.Errorf("row %d: section %q not in the plan", l.Row, l.SectionCode)
		}
		r, err := newItemRow(ids[i], sid, l.Item, l.CategoryID, pos.Item+int64(i+1))
		if err != nil {
			return 0, fmt.Errorf("row %d: %w", l.Row, err)
		}
		r.ImportID = &p.ImportID
		rows[i] = r
		check[i] = soq.Line{Key: l.Item.Reference, Section: sid, Quantity: l.Item.Quantity, Rate: l.Item.Rate}
	}
	// Backstop: the rows were fitted to the totals above; checking them again against
	// what is stored means no total past the money range is ever written, whatever the
	// import's own row checks did.
	if err := tx.CheckSOQTotals(ctx, p.SOQID, SOQChange{Lines: check}); err != nil {
		return 0, err
	}
	if err := tx.copyItemRows(ctx, p.SOQID, rows); err != nil {
		return 0, err
	}
	return len(sIDs), nil
}

// JobRow is one background job of a project, with its import's progress when it is one.
type JobRow struct {
	ID          int64              `db:"id"`
	Kind        string             `db:"kind"`
	State       rivertype.JobState `db:"state"`
	Attempt     int                `db:"attempt"`
	MaxAttempts int                `db:"max_attempts"`
	ErrorCount  int                `db:"error_count"`
	CreatedAt   time.Time          `db:"created_at"`
	FinalizedAt sql.NullTime       `db:"finalized_at"`
	ImportID    sql.NullString     `db:"import_id"`
	SOQID       sql.NullString     `db:"soq_id"`
	SOQTitle    sql.NullString     `db:"soq_title"`
	Filename    sql.NullString     `db:"filename"`
	Status      sql.NullString     `db:"status"` // the import's soq.ImportStatus (ImportStatus)
	Total       sql.NullInt64      `db:"total_rows"`
	Processed   sql.NullInt64      `db:"processed_rows"`
	Imported    sql.NullInt64      `db:"imported_rows"`
	Refused     sql.NullInt64      `db:"refused_rows"`
	Message     sql.NullString     `db:"error"`
}

// projectJobCountSQL counts River's jobs whose args carry the project's id ($1), as
// projectJobsSQL selects them.
const projectJobCountSQL = `
SELECT count(*)
FROM river_job j
WHERE j.args @> jsonb_build_object('project_id', $1::text)`

// projectJobsSQL is one page ($2 rows from $3) of the jobs of a project ($1), newest first,
// each with the import it runs, if any. The import is found by the job's args, not its
// river_job_id: an import run again on its valid rows has a second job, and the first must
// still show the import (not a bare green "Completed" for a run that imported nothing).
const projectJobsSQL = `
SELECT j.id, j.kind, j.state::text AS state, j.attempt, j.max_attempts,
       COALESCE(array_length(j.errors, 1), 0) AS error_count, j.created_at, j.finalized_at,
       i.id::text AS import_id, i.soq_id::text AS soq_id, q.title AS soq_title, i.filename, i.status, i.total_rows, i.processed_rows,
       i.imported_rows, i.refused_rows, i.error
FROM river_job j
LEFT JOIN soq_imports i ON i.id = CASE WHEN j.kind = 'soq_import' THEN (j.args->>'import_id')::uuid END
LEFT JOIN soqs q ON q.id = i.soq_id
WHERE j.args @> jsonb_build_object('project_id', $1::text)
ORDER BY j.created_at DESC, j.id DESC
LIMIT $2 OFFSET $3`

// ProjectJobs lists a project's background jobs, newest first: River's jobs whose args
// carry the project's id, joined to the imports they run. Two queries.
func (s *Store) ProjectJobs(ctx context.Context, projectID string, limit, offset int) ([]JobRow, int, error) {
	var total int
	if err := s.q.get(ctx, &total, projectJobCountSQL, projectID); err != nil {
		return nil, 0, err
	}
	var out []JobRow
	err := s.q.sel(ctx, &out, projectJobsSQL, projectID, limit, offset)
	return out, total, err
}

// ImportStatus is the status of the import the job runs ("" when it runs none).
func (j JobRow) ImportStatus() soq.ImportStatus { return soq.ImportStatus(j.Status.String) }

// newUUIDs makes n random (version 4) UUIDs as newUUID does, from one read of crypto/rand
// and without fmt: an import's 50,000 ids one by one took 6% of its Go CPU.
func newUUIDs(n int) []string {
	raw := make([]byte, 16*n)
	if _, err := rand.Read(raw); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	text := make([]byte, 36*n)
	ids := make([]string, n)
	for i := range ids {
		b, t := raw[16*i:16*i+16], text[36*i:36*i+36]
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		hex.Encode(t[0:8], b[0:4])
		t[8] = '-'
		hex.Encode(t[9:13], b[4:6])
		t[13] = '-'
		hex.Encode(t[14:18], b[6:8])
		t[18] = '-'
		hex.Encode(t[19:23], b[8:10])
		t[23] = '-'
		hex.Encode(t[24:36], b[10:16])
	}
	// One string holds all the ids; each id is a slice of it.
	all := string(text)
	for i := range ids {
		ids[i] = all[36*i : 36*i+36]
	}
	return ids
}

// RememberMapping keeps the mapping a user chose for a header row (signature, see
// soqfile.HeaderSignature), replacing the one kept before for it.
func (s *Store) RememberMapping(ctx context.Context, userID, signature string, mapping []string) error {
	m, err := json.Marshal(mapping)
	if err != nil {
		return err
	}
	_, err = s.q.exec(ctx, `INSERT INTO import_mappings (user_id, signature, mapping) VALUES ($1, $2, $3)
ON CONFLICT (user_id, signature) DO UPDATE SET mapping = EXCLUDED.mapping, updated_at = now()`, userID, signature, m)
	return err
}

// RememberedMapping returns the mapping a user last chose for a header row, or nil.
func (s *Store) RememberedMapping(ctx context.Context, userID, signature string) ([]string, error) {
	if !validUUID(userID) {
		return nil, nil
	}
	var b []byte
	err := s.q.get(ctx, &b, `SELECT mapping FROM import_mappings WHERE user_id = $1 AND signature = $2`, userID, signature)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m []string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil // unreadable: propose the guess instead
	}
	return m, nil
}

// SOQReferenceKeys returns the references of an SOQ's items as soq.RefKey compares them,
// for the import's check of a file against what the SOQ already holds.
func (s *Store) SOQReferenceKeys(ctx context.Context, soqID string) (map[string]bool, error) {
	var refs []string
	if err := s.q.sel(ctx, &refs, `SELECT lower(reference) FROM soq_items WHERE soq_id = $1`, soqID); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(refs))
	for _, r := range refs {
		out[r] = true
	}
	return out, nil
}
