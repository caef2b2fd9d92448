package mail

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

func TestNewSenderURLs(t *testing.T) {
	for _, bad := range []string{"", "mail.example.com", "http://host:25", "smtp://host:x", "smtp://host?tls=maybe"} {
		if _, err := NewSender(bad, "a@example.com"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := NewSender("smtp://host", ""); err == nil {
		t.Error("no MAIL_FROM accepted")
	}
	for _, good := range []string{"smtp://u:p@host:587", "smtp://host?tls=none", "smtp://host:2525?tls=opportunistic", "smtps://u:p@host"} {
		if _, err := NewSender(good, "14Build <a@example.com>"); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
}

type nopSession struct{}

func (nopSession) Reset()                               {}
func (nopSession) Logout() error                        { return nil }
func (nopSession) Mail(string, *smtp.MailOptions) error { return nil }
func (nopSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (nopSession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }

// smtp:// without ?tls= requires STARTTLS: a server without it gets nothing.
func TestStartTLSRequired(t *testing.T) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return nopSession{}, nil }))
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	m, err := Build(KindPasswordReset, []string{"a@example.com"}, PasswordReset("http://x", "tok"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, _ := NewSender("smtp://"+ln.Addr().String(), "a@example.com")
	if err := s.Send(ctx, m); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("sent without STARTTLS: %v", err)
	}
	s, _ = NewSender("smtp://"+ln.Addr().String()+"?tls=none", "a@example.com")
	if err := s.Send(ctx, m); err != nil {
		t.Errorf("tls=none: %v", err)
	}
}

func TestPermanent(t *testing.T) {
	for err, want := range map[error]bool{
		errors.New("550 5.1.1 no such user"):       true,
		errors.New("451 4.3.0 try again later"):    false,
		errors.New("dial tcp: connection refused"): false,
		&PermanentError{errors.New("bad address")}: true,
	} {
		if Permanent(err) != want {
			t.Errorf("Permanent(%v) != %v", err, want)
		}
	}
}

func TestEveryMailLinksAndNamesItsTender(t *testing.T) {
	tn := Tender{BaseURL: "https://app.example/", Project: "Harbour View", ZoneName: "Pacific/Auckland", ID: "t1", Title: "Substructure", ClosesAt: time.Date(2026, 5, 1, 4, 0, 0, 0, time.UTC)}
	for name, c := range map[string]Content{
		"invitation": TenderInvitation(tn), "addendum": Addendum(tn, 2, "More time"), "answer": Answer(tn, "Q?", "A."),
		"reminder": Reminder(tn, "2 hours"), "closed": Closed(tn, false), "closed team": Closed(tn, true),
		"awarded": Awarded(tn), "unsuccessful": Unsuccessful(tn), "milestone": Milestone(tn, "k1", "Stage 1", "funded"),
	} {
		m, err := Build(name, []string{"b@example.com"}, c)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Subject, "Harbour View") || !strings.Contains(m.Subject, "Substructure") {
			t.Errorf("%s: subject %q", name, m.Subject)
		}
		if !strings.HasPrefix(c.URL, "https://app.example/") || strings.Contains(c.URL, "example//") ||
			!strings.Contains(m.Text, c.URL) || !strings.Contains(m.HTML, c.URL) {
			t.Errorf("%s: link %q not in both parts", name, c.URL)
		}
	}
	if !strings.Contains(Text(TenderInvitation(tn)), "Fri 1 May 2026, 16:00 NZST") {
		t.Errorf("the closing time is not in the project's zone: %s", Text(TenderInvitation(tn)))
	}
}
