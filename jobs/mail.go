package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/14build/14build/mail"
	"github.com/14build/14build/store"
)

// Mail (issue 16). The store writes each mail to the outbox in the transaction of the
// change that causes it and, through MailHooks, enqueues here in the same transaction:
//
//   - DeliverMailArgs sends one outbox row over SMTP. A permanent failure (a 5xx reply)
//     marks the row failed with the server's reason and stops; a temporary one (4xx, the
//     server unreachable) is retried with backoff, up to MailAttempts, then marked failed.
//   - ReminderArgs writes a tender's closing reminders 24 hours and 2 hours before its
//     closing time. They are scheduled when the tender opens and again when an addendum
//     moves the closing; at run time the store checks again (store.SendReminders): the
//     tender still open and closing at the time the reminder was for, and only to bidders
//     who have not declined or submitted and have reminders on.

// MailAttempts is how many times a mail is tried before it is marked failed.
const MailAttempts = 8

// DefaultMailRetry is the first retry's delay; each next one doubles it.
const DefaultMailRetry = 30 * time.Second

// ReminderLeads are how long before closing the reminders go.
var ReminderLeads = []time.Duration{24 * time.Hour, 2 * time.Hour}

// MailSender sends a mail (mail.Sender).
type MailSender interface {
	Send(ctx context.Context, m mail.Message) error
}

// MailConfig is the mail side of Config.
type MailConfig struct {
	// Sender delivers mail; nil when SMTP_URL is not set (mails are then held).
	Sender MailSender
	// RetryBase is the first retry's delay (DefaultMailRetry); tests use less.
	RetryBase time.Duration
}

// DeliverMailArgs delivers one outbox row.
type DeliverMailArgs struct {
	MailID int64 `json:"mail_id"`
}

// KindDeliverMail is the delivery job's kind.
const KindDeliverMail = "deliver_mail"

// Kind names the job.
func (DeliverMailArgs) Kind() string { return KindDeliverMail }

// InsertOpts: retried up to MailAttempts.
func (DeliverMailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MailAttempts}
}

type deliverMailWorker struct {
	river.WorkerDefaults[DeliverMailArgs]
	st    *store.Store
	log   *slog.Logger
	send  MailSender
	retry time.Duration
}

// NextRetry doubles the delay from RetryBase: 30 s, 1 min, 2 min … about an hour in all.
func (w *deliverMailWorker) NextRetry(job *river.Job[DeliverMailArgs]) time.Time {
	d := w.retry
	for i := 1; i < job.Attempt && d < 6*time.Hour; i++ {
		d *= 2
	}
	return time.Now().Add(d)
}

func (w *deliverMailWorker) Work(ctx context.Context, job *river.Job[DeliverMailArgs]) error {
	err := DeliverMail(ctx, w.st, w.send, job.Args.MailID, job.Attempt >= job.MaxAttempts)
	var perm *permanentError
	if errors.As(err, &perm) {
		w.log.Warn("mail refused", "mail", job.Args.MailID, "err", err.Error())
		return river.JobCancel(err)
	}
	return err
}

type permanentError struct{ error }

func (e *permanentError) Unwrap() error { return e.error }

// DeliverMail sends outbox row id once with send and records the outcome; last says this
// is the last attempt (a temporary failure then marks it failed too). It returns the
// delivery error, a *permanentError for one not worth retrying. A row no longer queued
// (sent already, or failed) is left alone.
func DeliverMail(ctx context.Context, st *store.Store, send MailSender, id int64, last bool) error {
	m, err := st.OutboxMailByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if m.Status != store.MailQueued {
		return nil
	}
	if send == nil {
		return errors.New("no SMTP server configured")
	}
	serr := send.Send(ctx, mail.Message{Kind: m.Kind, To: m.To, Subject: m.Subject, HTML: m.HTML, Text: m.Text})
	perm := mail.Permanent(serr)
	if err := st.MailAttempt(ctx, id, serr, perm || (serr != nil && last)); err != nil {
		return err
	}
	if perm {
		return &permanentError{serr}
	}
	return serr
}

// ReminderArgs writes a tender's closing reminders, Lead before ClosesAt.
type ReminderArgs struct {
	TenderID string        `json:"tender_id"`
	ClosesAt time.Time     `json:"closes_at"`
	Lead     time.Duration `json:"lead"`
}

// KindReminder is the reminders' kind.
const KindReminder = "tender_reminder"

// Kind names the job.
func (ReminderArgs) Kind() string { return KindReminder }

// InsertOpts: retried like every job.
func (ReminderArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: MaxAttempts} }

type reminderWorker struct {
	river.WorkerDefaults[ReminderArgs]
	st  *store.Store
	log *slog.Logger
}

func (w *reminderWorker) Work(ctx context.Context, job *river.Job[ReminderArgs]) error {
	n, err := w.st.SendReminders(ctx, job.Args.TenderID, job.Args.ClosesAt, leadWords(job.Args.Lead))
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	if n > 0 {
		w.log.Info("closing reminders written", "tender", job.Args.TenderID, "mails", n)
	}
	return err
}

func leadWords(d time.Duration) string {
	switch h := int(d.Round(time.Hour) / time.Hour); {
	case h == 1:
		return "1 hour"
	case h > 1:
		return strconv.Itoa(h) + " hours"
	}
	return d.String()
}

func addMailWorkers(workers *river.Workers, st *store.Store, log *slog.Logger, cfg MailConfig) error {
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = DefaultMailRetry
	}
	if err := river.AddWorkerSafely(workers, &deliverMailWorker{st: st, log: log, send: cfg.Sender, retry: cfg.RetryBase}); err != nil {
		return err
	}
	return river.AddWorkerSafely(workers, &reminderWorker{st: st, log: log})
}

// DeliverMailTx enqueues the delivery of outbox row id inside tx (committed with it).
func (c *Client) DeliverMailTx(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := c.river.InsertTx(ctx, tx, DeliverMailArgs{MailID: id}, nil)
	return err
}

// ScheduleRemindersTx schedules a tender's closing reminders (ReminderLeads before
// closesAt, those still in the future) inside tx. Reminders scheduled for an earlier
// closing time stay queued and send nothing when they run.
func (c *Client) ScheduleRemindersTx(ctx context.Context, tx *sql.Tx, tenderID string, closesAt time.Time) error {
	now := time.Now()
	for _, lead := range ReminderLeads {
		at := closesAt.Add(-lead)
		if !at.After(now) {
			continue
		}
		if _, err := c.river.InsertTx(ctx, tx, ReminderArgs{TenderID: tenderID, ClosesAt: closesAt, Lead: lead}, &river.InsertOpts{ScheduledAt: at}); err != nil {
			return err
		}
	}
	return nil
}

// MailHooks are the store's hooks into this client (store.SetMail): mails are delivered
// when deliver (an SMTP server is configured), held otherwise; reminders are scheduled
// either way (held ones show on the Mailbox page).
func (c *Client) MailHooks(baseURL string, deliver bool) store.MailHooks {
	h := store.MailHooks{BaseURL: baseURL, Remind: c.ScheduleRemindersTx}
	if deliver {
		h.Deliver = c.DeliverMailTx
	}
	return h
}
