package jobs_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/14build/14build/jobs"
	"github.com/14build/14build/mail"
	"github.com/14build/14build/store"
)

// fakeSender answers each Send with the next of errs (nil past their end) and counts.
type fakeSender struct {
	mu   sync.Mutex
	errs []error
	sent int
}

func (f *fakeSender) Send(context.Context, mail.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent++
	if len(f.errs) == 0 {
		return nil
	}
	err := f.errs[0]
	f.errs = f.errs[1:]
	return err
}

func (f *fakeSender) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent
}

func heldMail(t *testing.T, w *world, to string) int64 {
	t.Helper()
	var id int64
	err := w.st.WithTx(t.Context(), func(tx *store.Tx) error {
		var err error
		id, err = tx.EnqueueMail(t.Context(), mail.Message{Kind: "test", To: []string{to}, Subject: "J-1: test", HTML: "<p>h</p>", Text: "t"}, w.project, "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// DeliverMail: a temporary failure on the last attempt marks the row failed; a row not
// queued is not sent again.
func TestDeliverMailOutcomes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	w.st.SetMail(store.MailHooks{Deliver: func(context.Context, *sql.Tx, int64) error { return nil }})
	id := heldMail(t, w, "a@example.com")
	s := &fakeSender{errs: []error{errors.New("451 4.3.0 busy"), errors.New("451 4.3.0 busy")}}
	if err := jobs.DeliverMail(ctx, w.st, s, id, false); err == nil {
		t.Fatal("a 451 is not an error")
	}
	if m, _ := w.st.OutboxMailByID(ctx, id); m.Status != store.MailQueued || m.Attempts != 1 {
		t.Fatalf("after one 451: %+v", m)
	}
	if err := jobs.DeliverMail(ctx, w.st, s, id, true); err == nil {
		t.Fatal("a 451 on the last attempt is not an error")
	}
	if m, _ := w.st.OutboxMailByID(ctx, id); m.Status != store.MailFailed || m.Attempts != 2 {
		t.Fatalf("after the last attempt: %+v", m)
	}
	if err := jobs.DeliverMail(ctx, w.st, s, id, false); err != nil || s.count() != 2 {
		t.Errorf("a failed mail was sent again: %v, %d sends", err, s.count())
	}
}

// The client delivers a queued mail through its worker, retrying a temporary failure.
func TestDeliverMailJob(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := &fakeSender{errs: []error{errors.New("dial tcp: connection refused")}}
	jc := w.client(t, nil, jobs.Config{Mail: jobs.MailConfig{Sender: s, RetryBase: 20 * time.Millisecond}})
	w.st.SetMail(jc.MailHooks("http://x", true))
	id := heldMail(t, w, "b@example.com")
	deadline := time.Now().Add(15 * time.Second)
	for {
		m, err := w.st.OutboxMailByID(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status == store.MailSent {
			if m.Attempts != 2 || s.count() != 2 {
				t.Errorf("sent after %d attempts, %d sends", m.Attempts, s.count())
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not sent: %+v", m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
