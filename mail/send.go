package mail

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Sender delivers Messages to one SMTP server.
type Sender struct {
	host string
	opts []gomail.Option
	from string
}

// NewSender reads SMTP_URL's form: smtp://user:pass@host:587 (STARTTLS required),
// smtp://host:25?tls=none (no TLS: a local relay or a test server), ?tls=opportunistic
// (STARTTLS when offered), or smtps://user:pass@host:465 (TLS from the first byte).
// from is MAIL_FROM, e.g. "14Build <noreply@example.com>".
func NewSender(smtpURL, from string) (*Sender, error) {
	u, err := url.Parse(smtpURL)
	if err != nil || u.Host == "" {
		return nil, errors.New("SMTP_URL must look like smtp://user:pass@host:587")
	}
	if from == "" {
		return nil, errors.New("MAIL_FROM is required with SMTP_URL")
	}
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second)}
	port := 587
	switch u.Scheme {
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	case "smtp":
		switch u.Query().Get("tls") {
		case "", "required", "starttls":
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		case "opportunistic":
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
		case "none":
			opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
			port = 25
		default:
			return nil, errors.New("SMTP_URL: tls= must be required, opportunistic or none")
		}
	default:
		return nil, errors.New("SMTP_URL must start with smtp:// or smtps://")
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, errors.New("SMTP_URL: the port is not a number")
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil && u.User.Username() != "" {
		pw, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	return &Sender{host: u.Hostname(), opts: opts, from: from}, nil
}

// Send delivers m: a multipart/alternative of its text and HTML parts.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return permanent(fmt.Errorf("MAIL_FROM: %w", err))
	}
	if err := msg.To(m.To...); err != nil {
		return permanent(fmt.Errorf("recipients: %w", err))
	}
	msg.Subject(m.Subject)
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return permanent(err)
	}
	return c.DialAndSendWithContext(ctx, msg)
}

// PermanentError is a failure that sending again will not fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

func permanent(err error) error { return &PermanentError{Err: err} }

var replyCode = regexp.MustCompile(`\b([45])\d\d\b`)

// Permanent reports whether err is a permanent failure: a 5xx reply of the server (a
// refused recipient, a rejected message) or a mail that cannot be built. Temporary ones
// (4xx replies, a server that cannot be reached, a timeout) are retried.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	var pe *PermanentError
	if errors.As(err, &pe) {
		return true
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code != 0 {
			return code >= 500
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 500
	}
	if m := replyCode.FindStringSubmatch(err.Error()); m != nil {
		return m[1] == "5"
	}
	return false
}
