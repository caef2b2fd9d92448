package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/14build/14build/mail"
)

// The outbox (issue 16): every mail is a row written in the transaction of the change that
// causes it, so a mail exists if and only if its change committed. With a delivery hook
// (SetMail: SMTP configured and jobs running) the row is 'queued' and a deliver_mail job is
// enqueued in the same transaction; without one it is 'held' and the Mailbox page shows it.

// Outbox statuses.
const (
	MailQueued = "queued"
	MailSent   = "sent"
	MailFailed = "failed"
	MailHeld   = "held"
)

// MailHooks is what the store needs to write mail: the public address links start with,
// and how a mail and a tender's closing reminders reach the job queue (package jobs),
// both inside the caller's transaction.
type MailHooks struct {
	BaseURL string
	// Deliver enqueues the delivery of outbox row mailID. Nil: mails are held.
	Deliver func(ctx context.Context, tx *sql.Tx, mailID int64) error
	// Remind schedules a tender's closing reminders for its closing time. Nil: none.
	Remind func(ctx context.Context, tx *sql.Tx, tenderID string, closesAt time.Time) error
}

// SetMail sets the mail hooks. Call it once, before serving (not safe concurrently with
// transactions).
func (s *Store) SetMail(h MailHooks) { s.mail = &h }

// baseURL is where mails link to.
func (tx *Tx) baseURL() string {
	if tx.mail == nil || tx.mail.BaseURL == "" {
		return "http://localhost:8080"
	}
	return tx.mail.BaseURL
}

// OutboxMail is one row of the outbox.
type OutboxMail struct {
	ID        int64          `db:"id"`
	Kind      string         `db:"kind"`
	To        pq.StringArray `db:"to_addrs"`
	Subject   string         `db:"subject"`
	HTML      string         `db:"html"`
	Text      string         `db:"text"`
	Status    string         `db:"status"`
	Attempts  int            `db:"attempts"`
	LastError string         `db:"last_error"`
	ProjectID sql.NullString `db:"project_id"`
	TenderID  sql.NullString `db:"tender_id"`
	CreatedAt time.Time      `db:"created_at"`
	SentAt    sql.NullTime   `db:"sent_at"`
}

const insertMailSQL = `
INSERT INTO outbox (kind, to_addrs, subject, html, text, status, project_id, tender_id)
VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, '')::uuid, NULLIF($8, '')::uuid) RETURNING id`

// EnqueueMail writes m to the outbox inside tx, about projectID and tenderID ("" for
// none), and enqueues its delivery in the same transaction: the hook point for every mail
// (milestone notices too: mail.Milestone). A mail with no recipient is not written.
func (tx *Tx) EnqueueMail(ctx context.Context, m mail.Message, projectID, tenderID string) (int64, error) {
	if len(m.To) == 0 {
		return 0, nil
	}
	status := MailHeld
	if tx.mail != nil && tx.mail.Deliver != nil {
		status = MailQueued
	}
	var id int64
	if err := tx.q.get(ctx, &id, insertMailSQL, m.Kind, pq.Array(m.To), m.Subject, m.HTML, m.Text, status, projectID, tenderID); err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	if status == MailQueued {
		sqltx, err := tx.sqlTx()
		if err != nil {
			return 0, err
		}
		if err := tx.mail.Deliver(ctx, sqltx, id); err != nil {
			return 0, fmt.Errorf("enqueue mail: %w", err)
		}
	}
	return id, nil
}

const insertMailEachSQL = `
INSERT INTO outbox (kind, to_addrs, subject, html, text, status, project_id, tender_id)
SELECT $1, ARRAY[a], $3, $4, $5, $6, NULLIF($7, '')::uuid, NULLIF($8, '')::uuid FROM unnest($2::text[]) a RETURNING id`

// enqueueEach builds c and writes one mail per address (bidders never see each other's),
// in one statement whatever the number of addresses.
func (tx *Tx) enqueueEach(ctx context.Context, kind string, to []string, c mail.Content, projectID, tenderID string) error {
	if len(to) == 0 {
		return nil
	}
	m, err := mail.Build(kind, to, c)
	if err != nil {
		return err
	}
	if len(to) == 1 {
		_, err := tx.EnqueueMail(ctx, m, projectID, tenderID)
		return err
	}
	deliver := tx.mail != nil && tx.mail.Deliver != nil
	status := MailHeld
	if deliver {
		status = MailQueued
	}
	var ids []int64
	if err := tx.q.sel(ctx, &ids, insertMailEachSQL, m.Kind, pq.Array(to), m.Subject, m.HTML, m.Text, status, projectID, tenderID); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if !deliver {
		return nil
	}
	sqltx, err := tx.sqlTx()
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.mail.Deliver(ctx, sqltx, id); err != nil {
			return fmt.Errorf("enqueue mail: %w", err)
		}
	}
	return nil
}

const outboxColumns = `id, kind, to_addrs, subject, html, text, status, attempts, last_error, project_id, tender_id, created_at, sent_at`

// Outbox returns one page (from 1) of the outbox, newest first, and the total.
func (s *Store) Outbox(ctx context.Context, page, perPage int) ([]OutboxMail, int, error) {
	page, per := clampPage(page, perPage)
	var rows []struct {
		OutboxMail
		Total int `db:"total"`
	}
	if err := s.q.sel(ctx, &rows, `SELECT `+outboxColumns+`, count(*) OVER () AS total FROM outbox
ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`, per, (page-1)*per); err != nil {
		return nil, 0, err
	}
	out := make([]OutboxMail, 0, len(rows))
	total := 0
	for _, r := range rows {
		out = append(out, r.OutboxMail)
		total = r.Total
	}
	if len(rows) == 0 && page > 1 {
		err := s.q.get(ctx, &total, `SELECT count(*) FROM outbox`)
		return out, total, err
	}
	return out, total, nil
}

// OutboxMailByID returns one mail of the outbox.
func (s *Store) OutboxMailByID(ctx context.Context, id int64) (OutboxMail, error) {
	var m OutboxMail
	err := s.q.get(ctx, &m, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id)
	return m, err
}

// MailsTo lists the mails addressed to email, newest first (tests and the demo).
func (s *Store) MailsTo(ctx context.Context, email string) ([]OutboxMail, error) {
	var ms []OutboxMail
	err := s.q.sel(ctx, &ms, `SELECT `+outboxColumns+` FROM outbox WHERE lower($1) = ANY (SELECT lower(a) FROM unnest(to_addrs) a)
ORDER BY created_at DESC, id DESC`, email)
	return ms, err
}

// MailAttempt records the outcome of one delivery attempt of mail id: sent (err nil),
// failed for good (permanent), or still queued with the error for the next attempt.
func (s *Store) MailAttempt(ctx context.Context, id int64, err error, permanent bool) error {
	switch {
	case err == nil:
		return s.q.execOne(ctx, `UPDATE outbox SET status = 'sent', attempts = attempts + 1, last_error = '', sent_at = now() WHERE id = $1`, id)
	case permanent:
		return s.q.execOne(ctx, `UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1`, id, reason(err))
	default:
		return s.q.execOne(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, id, reason(err))
	}
}

// MailGaveUp marks a queued mail failed after its last attempt.
func (s *Store) MailGaveUp(ctx context.Context, id int64) error {
	return s.q.execOne(ctx, `UPDATE outbox SET status = 'failed' WHERE id = $1 AND status = 'queued'`, id)
}

// reason is an SMTP error as kept on the row (the server's reply, not ours to hide from
// the administrator), bounded.
func reason(err error) string {
	s := err.Error()
	if len(s) > 1000 {
		s = s[:1000]
	}
	return s
}

// mailTender is what a tender's mails say about it.
type mailTender struct {
	ProjectID   string    `db:"project_id"`
	ProjectName string    `db:"project_name"`
	TimeZone    string    `db:"time_zone"`
	OwnerEmail  string    `db:"owner_email"`
	ID          string    `db:"id"`
	Title       string    `db:"title"`
	Status      string    `db:"status"`
	ClosesAt    time.Time `db:"closes_at"`
}

const mailTenderSQL = `
SELECT t.project_id, p.name AS project_name, p.time_zone, o.email::text AS owner_email, t.id, t.title, t.status, t.closes_at
FROM tenders t JOIN projects p ON p.id = t.project_id JOIN users o ON o.id = p.owner_id
WHERE t.id = $1`

func (tx *Tx) mailTender(ctx context.Context, id string) (mailTender, mail.Tender, error) {
	var t mailTender
	if err := tx.q.get(ctx, &t, mailTenderSQL, id); err != nil {
		return t, mail.Tender{}, err
	}
	return t, mail.Tender{BaseURL: tx.baseURL(), Project: t.ProjectName, ZoneName: t.TimeZone, ID: t.ID, Title: t.Title, ClosesAt: t.ClosesAt}, nil
}

// audience is one address a tender is open to (bidders as the bidder board decides:
// invited by account or email, or of one of its trades), with what the reminders check.
type audience struct {
	Addr      string `db:"addr"`
	Declined  bool   `db:"declined"`
	Submitted bool   `db:"submitted"`
	Reminders bool   `db:"reminders"`
}

const tenderAudienceSQL = `
SELECT DISTINCT ON (addr) addr, declined, submitted, reminders FROM (
  SELECT u.email::text AS addr,
         COALESCE(i.intent, ti.intent, 'undecided') = 'declined' AS declined,
         EXISTS (SELECT 1 FROM bids b WHERE b.tender_id = t.id AND b.bidder_id = u.id AND b.status = 'submitted') AS submitted,
         u.notify_reminders AS reminders
  FROM tenders t
  JOIN users u ON u.role = 'bidder' AND u.active
  LEFT JOIN tender_invitees i ON i.tender_id = t.id AND (i.user_id = u.id OR i.email = u.email)
  LEFT JOIN tender_intents ti ON ti.tender_id = t.id AND ti.bidder_id = u.id
  WHERE t.id = $1
    AND (i.tender_id IS NOT NULL
         OR EXISTS (SELECT 1 FROM tender_categories c WHERE c.tender_id = t.id AND c.category_id = u.category_id))
  UNION ALL
  SELECT i.email::text, i.intent = 'declined', false, true
  FROM tender_invitees i
  WHERE i.tender_id = $1 AND NOT EXISTS (SELECT 1 FROM users u WHERE u.email = i.email)
) a
ORDER BY addr, declined DESC`

func (tx *Tx) tenderAudience(ctx context.Context, tenderID string) ([]audience, error) {
	var as []audience
	err := tx.q.sel(ctx, &as, tenderAudienceSQL, tenderID)
	return as, err
}

// mailTenderOpened invites every bidder the tender is open to and schedules the closing
// reminders: OpenTender's last step.
func (tx *Tx) mailTenderOpened(ctx context.Context, tenderID string) error {
	all := func(audience) bool { return true }
	t, _, err := tx.mailAudience(ctx, tenderID, mail.KindTenderInvitation, all, mail.TenderInvitation)
	if err != nil {
		return err
	}
	return tx.scheduleReminders(ctx, tenderID, t.ClosesAt)
}

// mailAudience sends content to the tender's audience that keep keeps (one mail each),
// and returns the tender for what the caller sends next.
func (tx *Tx) mailAudience(ctx context.Context, tenderID, kind string, keep func(audience) bool,
	content func(mail.Tender) mail.Content) (mailTender, mail.Tender, error) {
	t, mt, err := tx.mailTender(ctx, tenderID)
	if err != nil {
		return t, mt, err
	}
	as, err := tx.tenderAudience(ctx, tenderID)
	if err != nil {
		return t, mt, err
	}
	to := make([]string, 0, len(as))
	for _, a := range as {
		if keep(a) {
			to = append(to, a.Addr)
		}
	}
	return t, mt, tx.enqueueEach(ctx, kind, to, content(mt), t.ProjectID, t.ID)
}

// scheduleReminders schedules the closing reminders of a tender closing at closesAt. A
// reminder scheduled for an older closing time finds it moved when it runs and sends
// nothing (SendReminders).
func (tx *Tx) scheduleReminders(ctx context.Context, tenderID string, closesAt time.Time) error {
	if tx.mail == nil || tx.mail.Remind == nil {
		return nil
	}
	sqltx, err := tx.sqlTx()
	if err != nil {
		return err
	}
	return tx.mail.Remind(ctx, sqltx, tenderID, closesAt)
}

// mailToBidders sends c to the tender's bidders who have not declined.
func (tx *Tx) mailToBidders(ctx context.Context, tenderID, kind string, c func(mail.Tender) mail.Content) error {
	_, _, err := tx.mailAudience(ctx, tenderID, kind, func(a audience) bool { return !a.Declined }, c)
	return err
}

// mailAddendum tells the bidders of an addendum; movedTo (non-zero) is a new closing
// time, for which the reminders are scheduled again.
func (tx *Tx) mailAddendum(ctx context.Context, tenderID string, number int, summary string, movedTo time.Time) error {
	if err := tx.mailToBidders(ctx, tenderID, mail.KindAddendum, func(t mail.Tender) mail.Content {
		return mail.Addendum(t, number, summary)
	}); err != nil {
		return err
	}
	if movedTo.IsZero() {
		return nil
	}
	return tx.scheduleReminders(ctx, tenderID, movedTo)
}

// mailAnswer tells the bidders of a published answer.
func (tx *Tx) mailAnswer(ctx context.Context, tenderID, question, answer string) error {
	return tx.mailToBidders(ctx, tenderID, mail.KindAnswer, func(t mail.Tender) mail.Content {
		return mail.Answer(t, question, answer)
	})
}

// mailTenderClosed tells the bidders who submitted, and the project's owner.
func (tx *Tx) mailTenderClosed(ctx context.Context, tenderID string) error {
	submitted := func(a audience) bool { return a.Submitted }
	t, mt, err := tx.mailAudience(ctx, tenderID, mail.KindTenderClosed, submitted, func(x mail.Tender) mail.Content {
		return mail.Closed(x, false)
	})
	if err != nil {
		return err
	}
	return tx.enqueueEach(ctx, mail.KindTenderClosed, []string{t.OwnerEmail}, mail.Closed(mt, true), t.ProjectID, t.ID)
}

const awardRecipientsSQL = `
SELECT u.email::text AS addr, b.id = $2 AS won
FROM bids b JOIN users u ON u.id = b.bidder_id
WHERE b.tender_id = $1 AND b.revision > 0 AND b.status IN ('submitted', 'unsuccessful', 'awarded')
ORDER BY u.email`

// mailAward tells the winner (bid winningBid) and every other bidder who submitted.
func (tx *Tx) mailAward(ctx context.Context, tenderID, winningBid string) error {
	t, mt, err := tx.mailTender(ctx, tenderID)
	if err != nil {
		return err
	}
	var rs []struct {
		Addr string `db:"addr"`
		Won  bool   `db:"won"`
	}
	if err := tx.q.sel(ctx, &rs, awardRecipientsSQL, tenderID, winningBid); err != nil {
		return err
	}
	var won, lost []string
	for _, r := range rs {
		if r.Won {
			won = append(won, r.Addr)
		} else {
			lost = append(lost, r.Addr)
		}
	}
	if err := tx.enqueueEach(ctx, mail.KindAwarded, won, mail.Awarded(mt), t.ProjectID, t.ID); err != nil {
		return err
	}
	return tx.enqueueEach(ctx, mail.KindUnsuccessful, lost, mail.Unsuccessful(mt), t.ProjectID, t.ID)
}

// mailTeamInvitation sends a team invitation (mandatory: always goes).
func (tx *Tx) mailTeamInvitation(ctx context.Context, inv Invitation) error {
	c := mail.TeamInvitation(tx.baseURL(), inv.ProjectName, inv.InvitedBy, inv.Email, inv.Token, inv.ExpiresAt, inv.ProjectTimeZone)
	return tx.enqueueEach(ctx, mail.KindTeamInvitation, []string{inv.Email}, c, inv.ProjectID, "")
}

// SendReminders writes the closing reminders of a tender due closesAt (the closing time
// they were scheduled for), left being how long is left ("24 hours"). Nothing is sent if
// the tender is no longer open or its closing time moved (a reminder for the new time is
// scheduled), nor to a bidder who declined, submitted, or turned reminders off. It
// returns how many it wrote.
func (s *Store) SendReminders(ctx context.Context, tenderID string, closesAt time.Time, left string) (int, error) {
	if !validUUID(tenderID) {
		return 0, ErrNotFound
	}
	n := 0
	err := s.WithTx(ctx, func(tx *Tx) error {
		t, mt, err := tx.mailTender(ctx, tenderID)
		if err != nil {
			return err
		}
		if t.Status != "open" || !t.ClosesAt.Equal(closesAt) || !t.ClosesAt.After(time.Now()) {
			return nil
		}
		as, err := tx.tenderAudience(ctx, tenderID)
		if err != nil {
			return err
		}
		var to []string
		for _, a := range as {
			if !a.Declined && !a.Submitted && a.Reminders {
				to = append(to, a.Addr)
			}
		}
		n = len(to)
		return tx.enqueueEach(ctx, mail.KindReminder, to, mail.Reminder(mt, left), t.ProjectID, t.ID)
	})
	return n, err
}

// NotifyReminders reports whether the user wants closing reminders.
func (s *Store) NotifyReminders(ctx context.Context, userID string) (bool, error) {
	var on bool
	err := s.q.get(ctx, &on, `SELECT notify_reminders FROM users WHERE id = $1`, userID)
	return on, err
}

// SetNotifyReminders turns the user's closing reminders on or off.
func (s *Store) SetNotifyReminders(ctx context.Context, userID string, on bool) error {
	return s.q.execOne(ctx, `UPDATE users SET notify_reminders = $2, updated_at = now() WHERE id = $1`, userID, on)
}

// PasswordResetTTL is how long a reset link works.
const PasswordResetTTL = time.Hour

// ErrResetInvalid is a reset token that is unknown, used or expired.
var ErrResetInvalid = errors.New("the reset link is invalid or has expired")

func resetHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// RequestPasswordReset records a reset token for the active account with this email and
// mails it the link, in one transaction. An unknown or inactive email does nothing, and
// reports nothing: the caller answers the same either way.
func (s *Store) RequestPasswordReset(ctx context.Context, email, token string) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		var userID string
		err := tx.q.get(ctx, &userID, `SELECT id FROM users WHERE email = $1 AND active`, email)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.q.exec(ctx, `INSERT INTO password_resets (token_hash, user_id, expires_at)
VALUES ($1, $2, now() + $3 * interval '1 second')`, resetHash(token), userID, int64(PasswordResetTTL.Seconds())); err != nil {
			return err
		}
		return tx.enqueueEach(ctx, mail.KindPasswordReset, []string{email}, mail.PasswordReset(tx.baseURL(), token), "", "")
	})
}

// PasswordResetValid reports whether a reset token may still be used.
func (s *Store) PasswordResetValid(ctx context.Context, token string) (bool, error) {
	var ok bool
	err := s.q.get(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM password_resets r JOIN users u ON u.id = r.user_id
WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now() AND u.active)`, resetHash(token))
	return ok, err
}

// ResetPassword uses a reset token once: sets the password hash, ends every session and
// API token of the account, and spends the account's other reset links. ErrResetInvalid
// when the token is unknown, used or expired.
func (s *Store) ResetPassword(ctx context.Context, token, hash string) (userID string, err error) {
	err = s.WithTx(ctx, func(tx *Tx) error {
		err := tx.q.get(ctx, &userID, `UPDATE password_resets r SET used_at = now() FROM users u
WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now() AND u.id = r.user_id AND u.active
RETURNING r.user_id`, resetHash(token))
		if errors.Is(err, ErrNotFound) {
			return ErrResetInvalid
		}
		if err != nil {
			return err
		}
		if _, err := tx.q.exec(ctx, `UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, userID); err != nil {
			return err
		}
		return tx.setPassword(ctx, userID, hash, nil)
	})
	return userID, err
}
