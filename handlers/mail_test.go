package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/14build/14build/jobs"
	"github.com/14build/14build/mail"
	"github.com/14build/14build/store"
)

// smtpSink is an SMTP server inside the test (github.com/emersion/go-smtp): it keeps what
// it receives, and refuses a recipient with the reply reject gives (nil: accept).
type smtpSink struct {
	mu     sync.Mutex
	msgs   []sunkMail
	rcpts  int // RCPT commands seen
	reject func(n int) error
	addr   string
}

type sunkMail struct {
	To   []string
	Data string
}

type sinkSession struct {
	s  *smtpSink
	to []string
}

func (s *sinkSession) Reset()        { s.to = nil }
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Mail(string, *smtp.MailOptions) error {
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.s.mu.Lock()
	s.s.rcpts++
	n, reject := s.s.rcpts, s.s.reject
	s.s.mu.Unlock()
	if reject != nil {
		if err := reject(n); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.s.mu.Lock()
	s.s.msgs = append(s.s.msgs, sunkMail{To: s.to, Data: string(b)})
	s.s.mu.Unlock()
	return nil
}

func newSMTPSink(t testing.TB) *smtpSink {
	t.Helper()
	sink := &smtpSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: sink}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return sink
}

func (s *smtpSink) received() []sunkMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunkMail(nil), s.msgs...)
}

// withSMTP makes a's store deliver its outbox to a new sink through a River client of its
// own (mails queued, not held), retrying after 50 ms.
func withSMTP(t *testing.T, a *testApp) *smtpSink {
	t.Helper()
	sink := newSMTPSink(t)
	sender, err := mail.NewSender("smtp://"+sink.addr+"?tls=none", "14Build <noreply@14build.test>")
	if err != nil {
		t.Fatal(err)
	}
	jc, err := jobs.New(a.st, slog.New(slog.DiscardHandler), jobs.Config{PollInterval: 50 * time.Millisecond,
		Mail: jobs.MailConfig{Sender: sender, RetryBase: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := jc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = jc.Stop(ctx)
	})
	a.st.SetMail(jc.MailHooks("http://14build.test", true))
	return sink
}

// waitMail waits until the outbox row to addr has left 'queued', and returns it.
func waitMail(t *testing.T, a *testApp, addr string) store.OutboxMail {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ms, err := a.st.MailsTo(context.Background(), addr)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) > 0 && ms[0].Status != store.MailQueued {
			return ms[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail to %s: still queued or missing: %+v", addr, ms)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var invitationLink = regexp.MustCompile(`http://14build\.test/invitations/[A-Za-z0-9_-]+`)

func TestMailTeamInvitationDelivered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sink := withSMTP(t, f.a)
	res := f.clients["owner"].do("POST", "/api/projects/"+f.P.ID+"/team", map[string]any{"email": "newcomer@example.com"})
	if res.Code != http.StatusCreated {
		t.Fatalf("invite: %d %s", res.Code, res.Body)
	}
	m := waitMail(t, f.a, "newcomer@example.com")
	if m.Status != store.MailSent || m.Attempts != 1 || m.Kind != mail.KindTeamInvitation {
		t.Fatalf("outbox row: %+v", m)
	}
	if !strings.Contains(m.Subject, f.P.Name) {
		t.Errorf("subject %q does not name the project", m.Subject)
	}
	got := sink.received()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "newcomer@example.com" {
		t.Fatalf("received %+v", got)
	}
	data := got[0].Data
	for _, want := range []string{"Subject: ", "multipart/alternative", "text/plain", "text/html", "From: \"14Build\" <noreply@14build.test>"} {
		if !strings.Contains(data, want) {
			t.Errorf("the message lacks %q", want)
		}
	}
	link := invitationLink.FindString(m.Text)
	if link == "" || !strings.Contains(m.HTML, link) {
		t.Fatalf("no invitation link in both parts: %q", m.Text)
	}
	// The link is the invitation's: its page opens for anyone who has it.
	page := f.a.client().get(strings.TrimPrefix(link, "http://14build.test"))
	if page.Code != http.StatusOK || !strings.Contains(page.Body, f.P.Name) {
		t.Errorf("the link's page: %d", page.Code)
	}
}

func TestMailRolledBackChangeSendsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sink := withSMTP(t, f.a)
	ctx := context.Background()
	boom := errors.New("boom")
	err := f.a.st.WithTx(ctx, func(tx *store.Tx) error {
		m, err := mail.Build("test", []string{"ghost@example.com"}, mail.Content{Subject: "P: never", Heading: "never"})
		if err != nil {
			return err
		}
		if _, err := tx.EnqueueMail(ctx, m, f.P.ID, ""); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// An invitation refused (already invited) rolls back its mail too.
	for range 2 {
		f.clients["owner"].do("POST", "/api/projects/"+f.P.ID+"/team", map[string]any{"email": "twice@example.com"})
	}
	waitMail(t, f.a, "twice@example.com")
	time.Sleep(300 * time.Millisecond) // the delivery job of a rolled-back mail would have run
	if ms, _ := f.a.st.MailsTo(ctx, "ghost@example.com"); len(ms) != 0 {
		t.Errorf("a rolled-back mail is in the outbox: %+v", ms)
	}
	if ms, _ := f.a.st.MailsTo(ctx, "twice@example.com"); len(ms) != 1 {
		t.Errorf("twice invited, %d mails", len(ms))
	}
	if got := sink.received(); len(got) != 1 {
		t.Errorf("received %d mails, want the one invitation", len(got))
	}
}

func TestMailTemporaryFailureRetries(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sink := withSMTP(t, f.a)
	sink.reject = func(n int) error {
		if n == 1 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
		}
		return nil
	}
	f.clients["owner"].do("POST", "/api/projects/"+f.P.ID+"/team", map[string]any{"email": "later@example.com"})
	m := waitMail(t, f.a, "later@example.com")
	if m.Status != store.MailSent || m.Attempts != 2 {
		t.Fatalf("after a 451: %+v", m)
	}
	if len(sink.received()) != 1 {
		t.Errorf("received %d", len(sink.received()))
	}
}

func TestMailPermanentFailureRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sink := withSMTP(t, f.a)
	sink.reject = func(int) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	f.clients["owner"].do("POST", "/api/projects/"+f.P.ID+"/team", map[string]any{"email": "nobody@example.com"})
	m := waitMail(t, f.a, "nobody@example.com")
	if m.Status != store.MailFailed || m.Attempts != 1 || !strings.Contains(m.LastError, "550") {
		t.Fatalf("after a 550: %+v", m)
	}
	time.Sleep(300 * time.Millisecond)
	if m2, _ := f.a.st.OutboxMailByID(context.Background(), m.ID); m2.Attempts != 1 {
		t.Errorf("a permanent failure was tried again: %+v", m2)
	}
	// The Mailbox shows it failed, with the reason.
	page := f.clients["admin"].get("/admin/mailbox")
	if page.Code != http.StatusOK || !strings.Contains(page.Body, "No such user here") {
		t.Errorf("mailbox: %d", page.Code)
	}
}

func TestMailRemindersScheduledAndCancelled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	jc, err := jobs.New(f.a.st, slog.New(slog.DiscardHandler), jobs.Config{}) // not started: jobs stay scheduled
	if err != nil {
		t.Fatal(err)
	}
	f.a.st.SetMail(jc.MailHooks("http://14build.test", false)) // held, reminders scheduled
	soqID := issuedSOQ(t, f)
	id := draftTender(t, f, soqID)
	if res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	tn, err := f.a.st.Tender(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// The invitation to bid went to the invited bidder, held (no SMTP), linking the tender.
	ms, _ := f.a.st.MailsTo(ctx, "b@example.com")
	if len(ms) != 1 || ms[0].Kind != mail.KindTenderInvitation || ms[0].Status != store.MailHeld ||
		!strings.Contains(ms[0].Text, "http://14build.test/tenders/"+id) || !strings.Contains(ms[0].Subject, "Substructure package") {
		t.Fatalf("tender invitation: %+v", ms)
	}
	var at []time.Time
	if err := f.a.st.DB().Select(&at, `SELECT scheduled_at FROM river_job WHERE kind = 'tender_reminder' ORDER BY scheduled_at`); err != nil {
		t.Fatal(err)
	}
	if len(at) != 2 || !at[0].Equal(tn.ClosesAt.Add(-24*time.Hour)) || !at[1].Equal(tn.ClosesAt.Add(-2*time.Hour)) {
		t.Fatalf("reminders scheduled at %v, closing %v", at, tn.ClosesAt)
	}
	// Run now, a reminder reaches the bidder who has not submitted.
	if n, err := f.a.st.SendReminders(ctx, id, tn.ClosesAt, "24 hours"); err != nil || n != 1 {
		t.Fatalf("reminders: %d, %v", n, err)
	}
	// Reminders off: none.
	if err := f.a.st.SetNotifyReminders(ctx, f.users["bidder"].ID, false); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.a.st.SendReminders(ctx, id, tn.ClosesAt, "2 hours"); n != 0 {
		t.Errorf("reminders off, %d sent", n)
	}
	if res := f.clients["bidder"].form("/account/notifications", url.Values{"reminders": {"on"}}); res.Code != http.StatusSeeOther {
		t.Fatalf("switch: %d", res.Code)
	}
	// The closing moved by an addendum: the old reminders send nothing, new ones are scheduled.
	moved := tn.ClosesAt.Add(24 * time.Hour).UTC()
	if res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/addenda", map[string]any{"text": "More time", "closesAt": moved.Format(time.RFC3339)}); res.Code != http.StatusCreated {
		t.Fatalf("addendum: %d %s", res.Code, res.Body)
	}
	if n, _ := f.a.st.SendReminders(ctx, id, tn.ClosesAt, "2 hours"); n != 0 {
		t.Errorf("closing moved, the old reminder sent %d", n)
	}
	var count int
	_ = f.a.st.DB().Get(&count, `SELECT count(*) FROM river_job WHERE kind = 'tender_reminder'`)
	if count != 4 {
		t.Errorf("%d reminder jobs, want 4 (two for each closing time)", count)
	}
	if ms, _ := f.a.st.MailsTo(ctx, "b@example.com"); len(ms) != 3 || ms[0].Kind != mail.KindAddendum {
		t.Errorf("mails to the bidder: %d", len(ms))
	}
	// A bidder who submitted gets none.
	if _, err := f.a.st.DB().Exec(`INSERT INTO bids (tender_id, bidder_id, entity_id, status, revision, content_hash, content_nonce, submitted_at)
SELECT $1, id, entity_id, 'submitted', 1, decode(repeat('00', 32), 'hex'), decode(repeat('00', 32), 'hex'), now() FROM users WHERE id = $2`, id, f.users["bidder"].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.a.st.SendReminders(ctx, id, moved, "24 hours"); n != 0 {
		t.Errorf("submitted, %d reminders", n)
	}
}

var resetLink = regexp.MustCompile(`http://14build\.test(/password/reset/[A-Za-z0-9_-]+)`)

func TestPasswordResetSingleUseAndExpiring(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.a.st.SetMail(store.MailHooks{BaseURL: "http://14build.test"}) // held
	ctx := context.Background()
	anon := f.a.client()
	same := ""
	for _, email := range []string{"i@example.com", "unknown@example.com"} {
		res := anon.form("/password/forgot", url.Values{"email": {email}})
		if res.Code != http.StatusOK {
			t.Fatalf("forgot %s: %d", email, res.Code)
		}
		msg := res.Doc(t).Find("[role=status]").Text()
		if same != "" && msg != same {
			t.Errorf("the answer tells whether %s has an account", email)
		}
		same = msg
	}
	if ms, _ := f.a.st.MailsTo(ctx, "unknown@example.com"); len(ms) != 0 {
		t.Errorf("a mail to an unknown address")
	}
	ms, _ := f.a.st.MailsTo(ctx, "i@example.com")
	if len(ms) != 1 || ms[0].Kind != mail.KindPasswordReset {
		t.Fatalf("reset mails: %+v", ms)
	}
	path := resetLink.FindStringSubmatch(ms[0].Text)[1]
	if res := anon.get(path); res.Code != http.StatusOK {
		t.Fatalf("reset page: %d", res.Code)
	}
	if res := anon.form(path, url.Values{"password": {"short"}}); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("short password: %d", res.Code)
	}
	old := f.clients["inhouse"]
	if res := anon.form(path, url.Values{"password": {"a-brand-new-password"}}); res.Code != http.StatusOK {
		t.Fatalf("reset: %d %s", res.Code, res.Body)
	}
	if res := old.get("/api/me"); res.Code != http.StatusUnauthorized {
		t.Errorf("the old session still works after a reset: %d", res.Code)
	}
	if res := f.a.client().do("POST", "/api/auth/login", map[string]any{"email": "i@example.com", "password": "a-brand-new-password"}); res.Code != http.StatusOK {
		t.Errorf("sign in with the new password: %d", res.Code)
	}
	// Single use.
	if res := anon.form(path, url.Values{"password": {"another-new-password"}}); res.Code != http.StatusGone {
		t.Errorf("a used link: %d", res.Code)
	}
	// Expiring: an hour.
	anon.form("/password/forgot", url.Values{"email": {"i@example.com"}})
	ms, _ = f.a.st.MailsTo(ctx, "i@example.com")
	path2 := resetLink.FindStringSubmatch(ms[0].Text)[1]
	if path2 == path {
		t.Fatal("the same token twice")
	}
	if _, err := f.a.st.DB().Exec(`UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if res := anon.get(path2); res.Code != http.StatusGone {
		t.Errorf("an expired link: %d", res.Code)
	}
	if res := anon.form(path2, url.Values{"password": {"another-new-password"}}); res.Code != http.StatusGone {
		t.Errorf("an expired link, posted: %d", res.Code)
	}
}

func TestMailboxAndOutboxAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.clients["owner"].do("POST", "/api/projects/"+f.P.ID+"/team", map[string]any{"email": "held@example.com"})
	for name, want := range map[string]int{"admin": 200, "owner": 403, "bidder": 403, "anonymous": 401} {
		if res := f.clients[name].get("/api/outbox"); res.Code != want {
			t.Errorf("%s GET /api/outbox: %d, want %d", name, res.Code, want)
		}
		if res := f.clients[name].get("/admin/mailbox"); res.Code != want && !(name == "anonymous" && res.Code == http.StatusSeeOther) {
			t.Errorf("%s GET /admin/mailbox: %d, want %d", name, res.Code, want)
		}
	}
	m := f.clients["admin"].get("/api/outbox").JSON(t)
	mails := m["mails"].([]any)
	if len(mails) != 1 {
		t.Fatalf("outbox %v", m)
	}
	first := mails[0].(map[string]any)
	if first["status"] != "held" || first["to"].([]any)[0] != "held@example.com" || first["createdAt"] == nil || first["text"] == "" {
		t.Errorf("outbox mail %v", first)
	}
	ms, _ := f.a.st.MailsTo(context.Background(), "held@example.com")
	doc := f.clients["admin"].get("/admin/mailbox/" + itoa(int(ms[0].ID))).Doc(t)
	if doc.Find("iframe[sandbox][srcdoc]").Length() != 1 || !strings.Contains(doc.Find("#mail-text").Text(), "/invitations/") {
		t.Errorf("the mail's page lacks its parts")
	}
	if res := f.clients["admin"].get("/admin/mailbox/999999"); res.Code != http.StatusNotFound {
		t.Errorf("unknown mail: %d", res.Code)
	}
}

// The forgot form is limited like sign-in attempts: it cannot flood an inbox.
func TestPasswordForgotLimited(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	anon := f.a.client()
	limited := false
	for range 30 {
		res := anon.form("/password/forgot", url.Values{"email": {"i@example.com"}})
		if res.Code == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("30 reset requests for one address, none refused")
	}
	if ms, _ := f.a.st.MailsTo(context.Background(), "i@example.com"); len(ms) >= 30 {
		t.Errorf("%d reset mails", len(ms))
	}
}

// The 2-hour reminder's job runs at its time and the mail reaches the SMTP server; the
// 24-hour one, already past at opening, is not scheduled.
func TestMailReminderJobDelivers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sink := withSMTP(t, f.a)
	soqID := issuedSOQ(t, f)
	body := tenderBodyFor(f.P.ID, soqID)
	body["closesAt"] = time.Now().Add(2*time.Hour + 3*time.Second).UTC().Format(time.RFC3339)
	res := f.clients["owner"].do("POST", "/api/tenders", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.Body)
	}
	id := res.JSON(t)["id"].(string)
	if res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	if n := f.a.count(`SELECT count(*) FROM river_job WHERE kind = 'tender_reminder'`); n != 1 {
		t.Errorf("%d reminders scheduled, want the 2-hour one", n)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ms, _ := f.a.st.MailsTo(context.Background(), "b@example.com")
		if len(ms) == 2 && ms[0].Kind == mail.KindReminder && ms[0].Status == store.MailSent {
			if !strings.Contains(ms[0].Subject, "closes in 2 hours") || !strings.Contains(ms[0].Text, "/tenders/"+id+"/bid") {
				t.Errorf("reminder: %q %q", ms[0].Subject, ms[0].Text)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reminder sent: %+v", ms)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := sink.received(); len(got) != 2 {
		t.Errorf("received %d mails, want the invitation and the reminder", len(got))
	}
}
