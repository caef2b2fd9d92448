package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/14build/14build/escrow"
	"github.com/14build/14build/payments"
	"github.com/14build/14build/payouts"
	"github.com/14build/14build/store"
)

// Releasing an escrow whose transfer Stripe could not take at the time (unreachable, 5xx,
// 429): the owner's release is recorded as requested (with its postings) and this job
// repeats the transfer with the escrow's idempotency key until Stripe answers, then records
// it as sent (payouts.Service.RetryRelease). One job per escrow: unique by its arguments.

// ReleaseEscrowArgs retries one escrow's owed release.
type ReleaseEscrowArgs struct {
	EscrowID string `json:"escrow_id"`
}

// KindReleaseEscrow is the release job's kind.
const KindReleaseEscrow = "escrow_release"

// ReleaseMaxAttempts: River's backoff (attempt⁴ seconds, jittered) over this many attempts
// spans about a week before the job is discarded; an owed release stays listed by
// store.ReleasesOwed after that.
const ReleaseMaxAttempts = 25

// Kind names the job.
func (ReleaseEscrowArgs) Kind() string { return KindReleaseEscrow }

// InsertOpts: unique by the escrow, so a second failed release does not queue another.
func (ReleaseEscrowArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: ReleaseMaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type releaseEscrowWorker struct {
	river.WorkerDefaults[ReleaseEscrowArgs]
	st       *store.Store
	provider payments.Provider
	log      *slog.Logger
}

// errNoProvider: this process was started without a payment provider (Config.Payments);
// the job waits for one that has it.
var errNoProvider = errors.New("jobs: no payment provider configured for escrow releases")

func (w *releaseEscrowWorker) Work(ctx context.Context, job *river.Job[ReleaseEscrowArgs]) error {
	if w.provider == nil {
		return errNoProvider
	}
	svc := &payouts.Service{Store: w.st, Provider: w.provider, Log: w.log}
	err := svc.RetryRelease(ctx, job.Args.EscrowID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	return err
}

// EnqueueEscrowRelease queues the retry of escrowID's owed release (payouts.Enqueuer).
// A job already queued or running for it is left as it is.
func (c *Client) EnqueueEscrowRelease(ctx context.Context, escrowID string) error {
	_, err := c.river.Insert(ctx, ReleaseEscrowArgs{EscrowID: escrowID}, nil)
	return err
}

// A release whose job was lost (queueing failed after the request committed, or the job
// ran out of attempts and was discarded) is still owed: store.ReleasesOwed lists it. The
// periodic sweep queues a job for each (unique by escrow, so a live one is not doubled).

// ReleaseSweepEvery is how often the sweep looks for owed releases.
const ReleaseSweepEvery = 5 * time.Minute

// SweepReleasesArgs queues the retry of every owed release.
type SweepReleasesArgs struct{}

// KindSweepReleases is the sweep's kind.
const KindSweepReleases = "escrow_release_sweep"

// Kind names the job.
func (SweepReleasesArgs) Kind() string { return KindSweepReleases }

// InsertOpts: a failed sweep is not retried; the next one is its retry.
func (SweepReleasesArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

type sweepReleasesWorker struct {
	river.WorkerDefaults[SweepReleasesArgs]
	st       *store.Store
	provider payments.Provider
	log      *slog.Logger
}

func (w *sweepReleasesWorker) Work(ctx context.Context, _ *river.Job[SweepReleasesArgs]) error {
	rc := river.ClientFromContext[*sql.Tx](ctx)
	n, err := SweepReleases(ctx, w.st, enqueueFunc(func(ctx context.Context, id string) error {
		_, err := rc.Insert(ctx, ReleaseEscrowArgs{EscrowID: id}, nil)
		return err
	}))
	if n > 0 {
		w.log.Info("owed escrow releases queued by the sweep", "owed", n)
	}
	if err != nil || w.provider == nil {
		return err
	}
	// A retention release owed (its transfer failed while Stripe was unreachable) is
	// retried here with its same idempotency key: one per contract, rare enough for a sweep.
	svc := &payouts.Service{Store: w.st, Provider: w.provider, Log: w.log}
	paid, err := RetryRetentionReleases(ctx, w.st, svc)
	if paid > 0 {
		w.log.Info("owed retention releases paid by the sweep", "paid", paid)
	}
	return err
}

// RetryRetentionReleases retries each owed retention release (at most 100 a sweep) and
// returns how many were paid. One that fails again stays owed for the next sweep.
func RetryRetentionReleases(ctx context.Context, st *store.Store, svc *payouts.Service) (int, error) {
	owed, err := st.RetentionReleasesOwed(ctx, 100)
	if err != nil {
		return 0, err
	}
	paid := 0
	var firstErr error
	for _, k := range owed {
		out, err := svc.RetentionRelease(ctx, k.ID)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if out.RetentionReleaseState == escrow.ReleaseSent {
			paid++
		}
	}
	return paid, firstErr
}

type enqueueFunc func(ctx context.Context, escrowID string) error

func (f enqueueFunc) EnqueueEscrowRelease(ctx context.Context, escrowID string) error {
	return f(ctx, escrowID)
}

// SweepReleases queues a release job for each owed release (at most 500 a sweep) and
// returns how many it found.
func SweepReleases(ctx context.Context, st *store.Store, q payouts.Enqueuer) (int, error) {
	owed, err := st.ReleasesOwed(ctx, 500)
	if err != nil {
		return 0, err
	}
	for _, e := range owed {
		if err := q.EnqueueEscrowRelease(ctx, e.ID); err != nil {
			return 0, err
		}
	}
	return len(owed), nil
}

// releasePeriodicJobs is the release sweep, when the server runs the sweeps (sweep).
func releasePeriodicJobs(sweep bool) []*river.PeriodicJob {
	if !sweep {
		return nil
	}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(ReleaseSweepEvery), func() (river.JobArgs, *river.InsertOpts) {
			return SweepReleasesArgs{}, nil
		}, &river.PeriodicJobOpts{ID: KindSweepReleases, RunOnStart: true}),
	}
}
