package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soqfile"
	"github.com/14build/14build/store"
)

// ImportArgs is an SOQ spreadsheet import job. project_id lets the jobs page find a
// project's jobs.
type ImportArgs struct {
	ProjectID string `json:"project_id"`
	SOQID     string `json:"soq_id"`
	ImportID  string `json:"import_id"`
}

// KindImport is the import job's kind.
const KindImport = "soq_import"

// Kind names the job.
func (ImportArgs) Kind() string { return KindImport }

// InsertOpts sets the import's queue and attempts.
func (ImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueImports, MaxAttempts: MaxAttempts}
}

type importWorker struct {
	river.WorkerDefaults[ImportArgs]
	st      *store.Store
	log     *slog.Logger
	timeout time.Duration
}

// Timeout is how long an import may go without a heartbeat before River's rescuer takes
// its worker for dead (the rescuer waits this long after attempted_at). River also cancels
// the attempt's context after it; Work keeps a live import going past that (see alive).
func (w *importWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return w.timeout }

// MaxImportRun bounds one attempt of an import that is alive and beating its heart.
const MaxImportRun = 15 * time.Minute

func (w *importWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	// A large file on a busy machine can take longer than the timeout (100,000 rows took
	// 28–47 s here while others worked): the import continues, and its heartbeat keeps
	// attempted_at fresh so the rescuer leaves it alone. A killed worker's heartbeat
	// stops, and its job is rescued Timeout (plus the rescuer's 30 s period) later.
	ctx, cancel := alive(ctx, MaxImportRun)
	defer cancel()
	stop := w.heartbeat(ctx, job.ID)
	defer stop()
	err := RunImport(ctx, w.st, job.Args.ImportID)
	var fe *soqfile.FileError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe), errors.Is(err, store.ErrNotFound), errors.Is(err, errNotStarted):
		// The file (or the import) is the problem: retrying cannot help.
		return river.JobCancel(err)
	}
	w.log.Error("import job attempt failed", "import", job.Args.ImportID, "attempt", job.Attempt, "err", err.Error())
	// The context may be ending (shutdown); record the outcome regardless.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if job.Attempt >= job.MaxAttempts {
		_ = w.st.FailImport(rctx, job.Args.ImportID, fmt.Sprintf("The import could not be completed after %d attempts; nothing was imported. Please try again later.", job.Attempt))
	} else {
		_ = w.st.RetryImport(rctx, job.Args.ImportID, fmt.Sprintf("Attempt %d of %d did not finish; it will be retried shortly.", job.Attempt, job.MaxAttempts))
	}
	return err
}

var errNotStarted = errors.New("import was not started")

// alive returns a context that ignores the parent's deadline (River's Timeout) but ends
// with any other cancellation of it (shutdown with StopAndCancel), or after limit.
func alive(parent context.Context, limit time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), limit)
	stop := context.AfterFunc(parent, func() {
		if !errors.Is(parent.Err(), context.DeadlineExceeded) {
			cancel()
		}
	})
	return ctx, func() { stop(); cancel() }
}

// heartbeat refreshes the running job's attempted_at every third of the timeout until
// stop is called.
func (w *importWorker) heartbeat(ctx context.Context, jobID int64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(max(w.timeout/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if err := w.st.JobHeartbeat(ctx, jobID); err != nil && ctx.Err() == nil {
					w.log.Warn("import job heartbeat", "job", jobID, "err", err.Error())
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// RunImport runs one import from its stored file: it reads the sheet, maps the columns,
// checks every row (recording progress every soqfile.ProgressEvery rows) and writes the
// result in one transaction that first removes what an earlier run of the same import
// wrote, so running it twice — a retry after a crash — never duplicates rows.
//
// A problem with the file ends the import as failed with a message for people, and is
// returned as a *soqfile.FileError; any other error is returned for a retry.
func RunImport(ctx context.Context, st *store.Store, importID string) error {
	imp, err := st.ImportContent(ctx, importID)
	if err != nil {
		return err
	}
	if _, err := imp.Status.Start(); err != nil {
		return errNotStarted // never queued: nothing to run
	}
	fail := func(fe *soqfile.FileError) error {
		if err := st.FailImport(ctx, imp.ID, fe.Msg); err != nil {
			return err
		}
		return fe
	}
	q, err := st.SOQHeader(ctx, imp.SOQID)
	if err != nil {
		return err
	}
	if !q.Status.Editable() {
		return fail(&soqfile.FileError{Msg: "The SOQ is issued; return it to draft to import into it. Nothing was imported."})
	}
	cur := money.Of(q.Currency)
	if err := st.StartImportRun(ctx, imp.ID); err != nil {
		return err
	}
	t, err := soqfile.Read(imp.Format, imp.Content, imp.Sheet, soqfile.MaxRows)
	var fe *soqfile.FileError
	if errors.As(err, &fe) {
		return fail(fe)
	}
	if err != nil {
		return err
	}
	mapping := make([]soqfile.Field, 0, t.Columns())
	for _, m := range imp.Mapping() {
		mapping = append(mapping, soqfile.Field(m))
	}
	for len(mapping) < t.Columns() {
		mapping = append(mapping, soqfile.Ignore)
	}
	if msg := soqfile.CheckMapping(mapping, t.Columns()); msg != "" {
		return fail(&soqfile.FileError{Msg: msg})
	}
	cats, err := st.Categories(ctx)
	if err != nil {
		return err
	}
	total := len(t.Rows)
	if err := st.ImportProgress(ctx, imp.ID, total, 0); err != nil {
		return err
	}
	res, err := soqfile.Check(t, mapping, cur, cats, func(done int) error {
		return st.ImportProgress(ctx, imp.ID, total, done)
	})
	if err != nil {
		return err
	}
	_, err = st.ApplyImport(ctx, store.ImportPlan{
		ImportID: imp.ID, SOQID: imp.SOQID, ProjectID: imp.ProjectID, AllOrNothing: imp.Mode != store.ModeValidRows,
		Total: res.Total, Skipped: res.Skipped, Lines: res.Lines, Sections: res.Sections, Refused: res.Refused,
	})
	if errors.Is(err, store.ErrSOQIssued) {
		return fail(&soqfile.FileError{Msg: "The SOQ was issued before the import ran; nothing was imported."})
	}
	return err
}
