package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/14build/14build/store"
)

// Closing a tender at its closing time. Bids are refused from the closing instant by the
// store whatever the tender's status says (store.SubmitBid reads the database's clock);
// these jobs make the status follow:
//
//   - CloseTenderArgs, scheduled at the closing time when the tender opens
//     (ScheduleTenderClose), closes that one tender;
//   - SweepTendersArgs, a periodic job every SweepEvery, closes every open tender past its
//     closing time: a closing time an addendum moved (the scheduled job then finds it not
//     yet due and does nothing), a job lost between the open's commit and its enqueue.
//
// Both go through store.CloseTenderIfDue, which decides under the tender's row lock, so
// either may run any number of times, in any order. Tenders allowing late bids stay open
// until the team closes them (see CloseTenderIfDue).

// SweepEvery is how often the sweep looks for open tenders past their closing time.
const SweepEvery = time.Minute

// CloseTenderArgs closes one tender at its closing time.
type CloseTenderArgs struct {
	TenderID string `json:"tender_id"`
}

// KindCloseTender is the closing job's kind.
const KindCloseTender = "tender_close"

// Kind names the job.
func (CloseTenderArgs) Kind() string { return KindCloseTender }

// InsertOpts: the default queue; retried like every job.
func (CloseTenderArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts}
}

type closeTenderWorker struct {
	river.WorkerDefaults[CloseTenderArgs]
	st  *store.Store
	log *slog.Logger
}

func (w *closeTenderWorker) Work(ctx context.Context, job *river.Job[CloseTenderArgs]) error {
	closed, err := CloseTender(ctx, w.st, job.Args.TenderID, time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err) // deleted (a draft cannot be, but nothing to retry)
	}
	if err != nil {
		return err
	}
	if closed {
		w.log.Info("tender closed at its closing time", "tender", job.Args.TenderID)
	}
	return nil
}

// CloseTender is the closing job's work, callable directly: it closes tenderID if it is
// due at now, and reports whether it did.
func CloseTender(ctx context.Context, st *store.Store, tenderID string, now time.Time) (bool, error) {
	return st.CloseTenderIfDue(ctx, tenderID, now)
}

// SweepTendersArgs closes every open tender past its closing time.
type SweepTendersArgs struct{}

// KindSweepTenders is the sweep's kind.
const KindSweepTenders = "tender_close_sweep"

// Kind names the job.
func (SweepTendersArgs) Kind() string { return KindSweepTenders }

// InsertOpts: a failed sweep is not retried; the next minute's sweep is its retry.
func (SweepTendersArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1}
}

type sweepTendersWorker struct {
	river.WorkerDefaults[SweepTendersArgs]
	st  *store.Store
	log *slog.Logger
}

func (w *sweepTendersWorker) Work(ctx context.Context, _ *river.Job[SweepTendersArgs]) error {
	n, err := SweepTenders(ctx, w.st, time.Now())
	if n > 0 {
		w.log.Info("tenders closed by the sweep", "closed", n)
	}
	return err
}

// SweepTenders closes every tender due at now and returns how many it closed. One
// tender's failure does not stop the others; the first error is returned (the next sweep
// tries again).
func SweepTenders(ctx context.Context, st *store.Store, now time.Time) (int, error) {
	ids, err := st.TendersDueToClose(ctx, now)
	if err != nil {
		return 0, err
	}
	n := 0
	var first error
	for _, id := range ids {
		closed, err := st.CloseTenderIfDue(ctx, id, now)
		if err != nil && first == nil {
			first = err
		}
		if closed {
			n++
		}
	}
	return n, first
}

// periodicJobs are the jobs River's leader inserts on a schedule: the closing sweep, if
// sweep (Config.CloseSweep).
func periodicJobs(sweep bool) []*river.PeriodicJob {
	if !sweep {
		return nil
	}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(SweepEvery), func() (river.JobArgs, *river.InsertOpts) {
			return SweepTendersArgs{}, nil
		}, &river.PeriodicJobOpts{ID: KindSweepTenders, RunOnStart: true}),
	}
}

// ScheduleTenderClose schedules the closing of a tender at its closing time.
func (c *Client) ScheduleTenderClose(ctx context.Context, tenderID string, at time.Time) error {
	_, err := c.river.Insert(ctx, CloseTenderArgs{TenderID: tenderID}, &river.InsertOpts{ScheduledAt: at})
	return err
}

// ScheduleTenderCloseTx is ScheduleTenderClose inside tx (committed with it): for a
// change of the closing time made in a transaction. A job at the old time finds the
// tender not yet due and does nothing.
func (c *Client) ScheduleTenderCloseTx(ctx context.Context, tx *sql.Tx, tenderID string, at time.Time) error {
	_, err := c.river.InsertTx(ctx, tx, CloseTenderArgs{TenderID: tenderID}, &river.InsertOpts{ScheduledAt: at})
	return err
}
