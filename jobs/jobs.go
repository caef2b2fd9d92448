// Package jobs runs 14Build's background work on River (github.com/riverqueue/river)
// over the store's database/sql pool: the workers, the client that polls for jobs, and the
// functions that enqueue them. Jobs are retried with River's exponential backoff.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/14build/14build/payments"
	"github.com/14build/14build/store"
)

// MaxAttempts is how many times a job runs before it is discarded.
const MaxAttempts = 5

// QueueImports is the queue of spreadsheet imports: its own, so that its worker count
// caps the imports running at once in a process whatever else is queued.
const QueueImports = "imports"

// Defaults of Config.
const (
	DefaultWorkers       = 4
	DefaultImportWorkers = 2
	// DefaultImportTimeout is how long a running import may go without a heartbeat
	// before River takes its worker for dead and retries it. River looks for such jobs
	// every 30 s, so a killed import is rescued within a minute. A live import beats its
	// heart every third of this and may run longer (MaxImportRun).
	DefaultImportTimeout = 30 * time.Second
)

// Config tunes the client.
type Config struct {
	// PollInterval is how often the client looks for new jobs (database/sql has no
	// LISTEN, so the client polls). Default 1s; tests use less.
	PollInterval time.Duration
	// Workers is how many jobs of the default queue run at once in this process.
	Workers int
	// ImportWorkers is how many imports run at once in this process (IMPORT_WORKERS).
	ImportWorkers int
	// ImportTimeout is how long an import may go without a heartbeat (IMPORT_TIMEOUT).
	ImportTimeout time.Duration
	// RescueAfter is how long a job may run before River takes it for stuck (its worker
	// was killed) and retries it. Default ImportTimeout; never less.
	RescueAfter time.Duration
	// CloseSweep runs the sweep that closes open tenders past their closing time every
	// SweepEvery (close_tender.go). The server sets it; off, tests that count River's
	// jobs see only their own.
	CloseSweep bool
	// Mail delivers the outbox and writes closing reminders (mail.go, issue 16).
	Mail MailConfig
	// Payments is the payment provider the escrow release job retries transfers with
	// (release.go); without it those jobs wait (fail and retry).
	Payments payments.Provider
}

func (c Config) withDefaults() Config {
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.ImportWorkers <= 0 {
		c.ImportWorkers = DefaultImportWorkers
	}
	if c.ImportTimeout <= 0 {
		c.ImportTimeout = DefaultImportTimeout
	}
	c.RescueAfter = max(c.RescueAfter, c.ImportTimeout)
	return c
}

// Client is the River client with 14Build's workers registered.
type Client struct {
	river *river.Client[*sql.Tx]
	st    *store.Store
	log   *slog.Logger
}

// New builds the client on the store's pool. It does not start working until Start.
func New(st *store.Store, log *slog.Logger, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &importWorker{st: st, log: log, timeout: cfg.ImportTimeout}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &closeTenderWorker{st: st, log: log}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &sweepTendersWorker{st: st, log: log}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &releaseEscrowWorker{st: st, provider: cfg.Payments, log: log}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &sweepReleasesWorker{st: st, provider: cfg.Payments, log: log}); err != nil {
		return nil, err
	}
	if err := addMailWorkers(workers, st, log, cfg.Mail); err != nil {
		return nil, err
	}
	rc, err := river.NewClient(riverdatabasesql.New(st.DB().DB), &river.Config{
		Logger: slog.New(riverLog{log.Handler()}),
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: cfg.Workers},
			QueueImports:       {MaxWorkers: cfg.ImportWorkers},
		},
		Workers: workers,
		// The closing sweep (close_tender.go), inserted by the elected leader.
		PeriodicJobs: append(periodicJobs(cfg.CloseSweep), releasePeriodicJobs(cfg.CloseSweep)...),
		// A job running past its timeout is cancelled; one still "running" after
		// RescueAfter had its worker die (kill -9, a lost machine) and is retried.
		JobTimeout:                  cfg.ImportTimeout,
		RescueStuckJobsAfter:        cfg.RescueAfter,
		MaxAttempts:                 MaxAttempts,
		FetchPollInterval:           cfg.PollInterval,
		FetchCooldown:               min(cfg.PollInterval, 100*time.Millisecond),
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour,
		CancelledJobRetentionPeriod: 7 * 24 * time.Hour,
		DiscardedJobRetentionPeriod: 30 * 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return &Client{river: rc, st: st, log: log}, nil
}

// Start starts the workers; they stop when Stop is called (not when ctx ends).
func (c *Client) Start(ctx context.Context) error {
	return c.river.Start(context.WithoutCancel(ctx))
}

// Stop waits for running jobs to finish, until ctx ends; then it cancels them (they are
// retried later: an import's write is one transaction, so a cancelled one left nothing).
func (c *Client) Stop(ctx context.Context) error {
	err := c.river.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return c.river.StopAndCancel(cctx)
	}
	return err
}

// EnqueueImportTx inserts an import job inside tx (committed with it).
func (c *Client) EnqueueImportTx(ctx context.Context, tx *sql.Tx, projectID, soqID, importID string) (int64, error) {
	res, err := c.river.InsertTx(ctx, tx, ImportArgs{ProjectID: projectID, SOQID: soqID, ImportID: importID}, nil)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

// riverLog passes River's log records through, but its notice that database/sql has no
// LISTEN ("entering poll only mode"), which it logs at info on every start and which is
// how this client is meant to run (Config.PollInterval), goes at debug.
type riverLog struct{ slog.Handler }

func (h riverLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo && strings.Contains(r.Message, "poll only mode") {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

func (h riverLog) WithAttrs(as []slog.Attr) slog.Handler { return riverLog{h.Handler.WithAttrs(as)} }
func (h riverLog) WithGroup(name string) slog.Handler    { return riverLog{h.Handler.WithGroup(name)} }
