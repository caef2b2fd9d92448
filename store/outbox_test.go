package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/14build/14build/mail"
	"github.com/14build/14build/store"
)

// The outbox: mails written in the transaction of their change, to the bidders a tender is
// open to (invited by account or email, or of its trade), never to one who declined.

func TestOutboxTenderNoticesReachItsBidders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, id := newTenderFixture(t, store.NewTender{CategoryIDs: []int64{3}, Invitees: []string{"noaccount@example.com", "invited@example.com", "declined@example.com"}})
	for _, q := range []string{
		`INSERT INTO users (name, email, password_hash, role, entity_id) VALUES ('I', 'invited@example.com', 'x', 'bidder', 9001)`,
		`INSERT INTO users (name, email, password_hash, role, entity_id, category_id) VALUES ('T', 'trade@example.com', 'x', 'bidder', 9001, 3)`,
		`INSERT INTO users (name, email, password_hash, role, entity_id, category_id) VALUES ('X', 'other@example.com', 'x', 'bidder', 9001, 4)`,
		`INSERT INTO users (name, email, password_hash, role, entity_id) VALUES ('D', 'declined@example.com', 'x', 'bidder', 9001)`,
	} {
		if _, err := f.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var delivered []int64
	f.st.SetMail(store.MailHooks{BaseURL: "https://app.example", Deliver: func(_ context.Context, tx *sql.Tx, id int64) error {
		if tx == nil {
			return errors.New("no transaction")
		}
		delivered = append(delivered, id)
		return nil
	}})
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"noaccount@example.com", "invited@example.com", "trade@example.com", "declined@example.com"} {
		ms, err := f.st.MailsTo(ctx, addr)
		if err != nil || len(ms) != 1 {
			t.Fatalf("invitations to %s: %d, %v", addr, len(ms), err)
		}
		m := ms[0]
		if m.Kind != mail.KindTenderInvitation || m.Status != store.MailQueued || len(m.To) != 1 ||
			!strings.Contains(m.Text, "https://app.example/tenders/"+id) || !strings.Contains(m.Subject, "Package 1") ||
			!m.TenderID.Valid || m.TenderID.String != id {
			t.Errorf("invitation to %s: %+v", addr, m)
		}
	}
	if ms, _ := f.st.MailsTo(ctx, "other@example.com"); len(ms) != 0 {
		t.Errorf("a bidder of another trade was invited")
	}
	if len(delivered) != 4 {
		t.Errorf("deliveries enqueued: %v", delivered)
	}
	// Declined: no addendum notice.
	if _, err := f.db.Exec(`UPDATE tender_invitees SET intent = 'declined' WHERE email = 'declined@example.com'`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.IssueAddendum(ctx, id, testOwner, store.AddendumInput{Text: "Site visit on Friday"}, tenderNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ms, _ := f.st.MailsTo(ctx, "declined@example.com"); len(ms) != 1 {
		t.Errorf("a bidder who declined heard of the addendum")
	}
	if ms, _ := f.st.MailsTo(ctx, "trade@example.com"); len(ms) != 2 || ms[0].Kind != mail.KindAddendum || !strings.Contains(ms[0].Text, "Site visit on Friday") {
		t.Errorf("addendum notice: %+v", ms)
	}
	// Closing tells the owner (the leveling page).
	if err := f.st.CloseTender(ctx, id, testOwner, tenderNow.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ms, _ := f.st.MailsTo(ctx, "o@example.com"); len(ms) != 1 || ms[0].Kind != mail.KindTenderClosed || !strings.Contains(ms[0].Text, "/leveling") {
		t.Errorf("closed notice to the owner: %+v", ms)
	}
}

func TestOutboxFailedEnqueueRollsBackTheChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, id := newTenderFixture(t, store.NewTender{Invitees: []string{"a@example.com"}})
	f.st.SetMail(store.MailHooks{Deliver: func(context.Context, *sql.Tx, int64) error { return errors.New("queue down") }})
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err == nil {
		t.Fatal("opened although its mail could not be queued")
	}
	if n := f.count(t, `SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("%d mails of a rolled-back open", n)
	}
	if n := f.count(t, `SELECT count(*) FROM tenders WHERE id = $1 AND status = 'draft'`, id); n != 1 {
		t.Error("the tender opened")
	}
	// Without hooks a mail is held; a rolled-back transaction leaves none.
	f.st.SetMail(store.MailHooks{})
	err := f.st.WithTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.EnqueueMail(ctx, mail.Message{Kind: "x", To: []string{"a@example.com"}, Subject: "s", HTML: "h", Text: "t"}, "", ""); err != nil {
			return err
		}
		return errors.New("undo")
	})
	if err == nil || f.count(t, `SELECT count(*) FROM outbox`) != 0 {
		t.Errorf("rolled back: %v, %d mails", err, f.count(t, `SELECT count(*) FROM outbox`))
	}
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	ms, total, err := f.st.Outbox(ctx, 1, 10)
	if err != nil || total != 1 || len(ms) != 1 || ms[0].Status != store.MailHeld {
		t.Fatalf("outbox: %+v %d %v", ms, total, err)
	}
	if err := f.st.MailAttempt(ctx, ms[0].ID, errors.New("550 5.1.1 no such user"), true); err != nil {
		t.Fatal(err)
	}
	m, _ := f.st.OutboxMailByID(ctx, ms[0].ID)
	if m.Status != store.MailFailed || m.Attempts != 1 || !strings.Contains(m.LastError, "550") {
		t.Errorf("failed: %+v", m)
	}
}

func TestPasswordResetTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, _ := newTenderFixture(t, store.NewTender{})
	if err := f.st.RequestPasswordReset(ctx, "nobody@example.com", "tok0"); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM password_resets`) + f.count(t, `SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("an unknown address left %d rows", n)
	}
	for _, tok := range []string{"tok1", "tok2"} {
		if err := f.st.RequestPasswordReset(ctx, "O@example.com", tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM password_resets WHERE token_hash = 'tok1'::bytea`); n != 0 {
		t.Error("a token kept as is")
	}
	if ok, _ := f.st.PasswordResetValid(ctx, "tok1"); !ok {
		t.Fatal("a new token is not valid")
	}
	if _, err := f.st.ResetPassword(ctx, "tok1", "new-hash"); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"tok1", "tok2", "unknown"} { // used, spent with it, never issued
		if _, err := f.st.ResetPassword(ctx, tok, "again"); !errors.Is(err, store.ErrResetInvalid) {
			t.Errorf("%s: %v", tok, err)
		}
	}
	if h, _ := f.st.PasswordHash(ctx, testOwner); h != "new-hash" {
		t.Errorf("hash %q", h)
	}
	if err := f.st.RequestPasswordReset(ctx, "o@example.com", "tok3"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`UPDATE password_resets SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ResetPassword(ctx, "tok3", "late"); !errors.Is(err, store.ErrResetInvalid) {
		t.Errorf("expired: %v", err)
	}
}
