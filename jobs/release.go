package jobs

import (
	"context"
	"errors"
	"log/slog"

	"github.com/riverqueue/river"

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
