package jobs_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/jobs"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
)

// The jobs run for real: River on the test's own database, the import read from a stored
// file and written through the store.

type world struct {
	st                     *store.Store
	userID, project, soqID string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	st := store.New(testdb.New(t))
	u, err := st.CreateUser(ctx, store.NewUser{Name: "Olivia Owner", Email: "o@example.com", PasswordHash: "x", Role: authz.RoleOwner, Entity: "Harbour Homes"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateProject(ctx, u.ID, store.ProjectInput{Name: "Jobs", Code: "J-1", Status: "planning", Currency: "usd", TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	q, err := st.CreateSOQ(ctx, p.ID, u.ID, store.NewSOQ{Title: "Main works", Currency: "usd"})
	if err != nil {
		t.Fatal(err)
	}
	return &world{st: st, userID: u.ID, project: p.ID, soqID: q}
}

// client starts a River client on the world's database, stopped at the test's end.
func (w *world) client(t *testing.T, log *slog.Logger, cfg jobs.Config) *jobs.Client {
	t.Helper()
	if log == nil {
		log = slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	}
	cfg.PollInterval = 20 * time.Millisecond
	jc, err := jobs.New(w.st, log, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := jc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := jc.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return jc
}

var columns = []string{"section", "reference", "description", "unit", "quantity", "rate"}

// queue stores a CSV upload and queues its import with the usual column mapping.
func (w *world) queue(t *testing.T, jc *jobs.Client, csv string) string {
	t.Helper()
	ctx := t.Context()
	id, err := w.st.CreateImport(ctx, store.NewImport{SOQID: w.soqID, ProjectID: w.project, Filename: "bill.csv", Format: "csv",
		CreatedBy: w.userID, Content: []byte(csv)})
	if err != nil {
		t.Fatal(err)
	}
	queued, err := w.st.QueueImport(ctx, id, w.userID, 0, "", columns, store.ModeAllOrNothing, func(tx *sql.Tx) (int64, error) {
		return jc.EnqueueImportTx(ctx, tx, w.project, w.soqID, id)
	})
	if err != nil || !queued {
		t.Fatalf("queue: %v %v", queued, err)
	}
	return id
}

// wait polls until the import has finished.
func (w *world) wait(t *testing.T, id string) store.SOQImport {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		imp, err := w.st.Import(t.Context(), w.soqID, id)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Finished() {
			return imp
		}
		if time.Now().After(deadline) {
			t.Fatalf("import still %s after 30 s (job %s, attempt %d): %s", imp.Status, imp.JobState, imp.JobAttempt, imp.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *world) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := w.st.DB().Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitJob polls until the import's River job is in state (River records a job's end in
// batches, after the import itself is finished).
func (w *world) waitJob(t *testing.T, state string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); w.count(t, `SELECT count(*) FROM river_job WHERE state = $1`, state) != 1; {
		if time.Now().After(deadline) {
			var states []string
			_ = w.st.DB().Select(&states, `SELECT state || ' attempt ' || attempt FROM river_job`)
			t.Fatalf("no job %s: %v", state, states)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const bill = "Section,Ref,Description,Unit,Qty,Rate\n" +
	"A Preliminaries,A1,Site set-up,item,1,1500\n" +
	"A Preliminaries,A2,Scaffolding,m2,120.5,12.40\n" +
	"B Substructure,B1,Excavate to reduced level,m3,42,18\n"

func TestImportJobWritesTheRows(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	jc := w.client(t, nil, jobs.Config{})
	id := w.queue(t, jc, bill)
	imp := w.wait(t, id)
	if imp.Status != soq.ImportDone || imp.ImportedRows != 3 || imp.RefusedRows != 0 || imp.Error != "" {
		t.Fatalf("import: %s, %d imported, %d refused, %q", imp.Status, imp.ImportedRows, imp.RefusedRows, imp.Error)
	}
	if n := w.count(t, `SELECT count(*) FROM soq_items WHERE soq_id = $1`, w.soqID); n != 3 {
		t.Fatalf("%d items, want 3", n)
	}
	if n := w.count(t, `SELECT count(*) FROM soq_sections WHERE soq_id = $1`, w.soqID); n != 2 {
		t.Fatalf("%d sections, want 2", n)
	}
	// The row as the file has it: 120.5 m2 at 12.40, the rate in cents.
	var it struct {
		Quantity string `db:"quantity"`
		Rate     int64  `db:"rate"`
		Unit     string `db:"unit"`
	}
	if err := w.st.DB().Get(&it, `SELECT quantity::text AS quantity, rate, unit FROM soq_items WHERE soq_id = $1 AND reference = 'A2'`, w.soqID); err != nil {
		t.Fatal(err)
	}
	if it.Quantity != "120.500" || it.Rate != 1240 || it.Unit != "m2" {
		t.Fatalf("A2 stored as %+v", it)
	}
	w.waitJob(t, "completed")
}

// A problem with the file fails the import with a message for people, writes nothing, and
// is not retried: another attempt would read the same file.
func TestImportJobFileProblemFailsTheImport(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	jc := w.client(t, nil, jobs.Config{})
	// The mapping names six columns; this file has two.
	id := w.queue(t, jc, "Ref,Description\nA1,Site set-up\n")
	imp := w.wait(t, id)
	if imp.Status != soq.ImportFailed || imp.Error == "" || imp.ImportedRows != 0 {
		t.Fatalf("import: %s, %d imported, %q", imp.Status, imp.ImportedRows, imp.Error)
	}
	if n := w.count(t, `SELECT count(*) FROM soq_items WHERE soq_id = $1`, w.soqID); n != 0 {
		t.Fatalf("%d items written by a failed import", n)
	}
	w.waitJob(t, "cancelled")
	if n := w.count(t, `SELECT count(*) FROM river_job WHERE attempt > 1`); n != 0 {
		t.Fatal("a file problem was retried")
	}
}

// An attempt that fails for another reason (here the database refuses the first write) is
// retried, says so meanwhile, and the next attempt imports the rows once.
func TestImportJobRetriedAfterAFailedAttempt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// A sequence is not rolled back with the attempt's transaction: only the first write
	// of items fails.
	w.st.DB().MustExec(`CREATE SEQUENCE fail_once;
CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF nextval('fail_once') = 1 THEN
		RAISE EXCEPTION 'injected failure';
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER fail_once BEFORE INSERT ON soq_items FOR EACH STATEMENT EXECUTE FUNCTION fail_once();`)
	jc := w.client(t, nil, jobs.Config{})
	id := w.queue(t, jc, bill)

	// Between the attempts the import is queued again, with a message.
	deadline := time.Now().Add(30 * time.Second)
	for {
		imp, err := w.st.Import(t.Context(), w.soqID, id)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Finished() {
			t.Fatalf("the import finished (%s) before a retry was seen", imp.Status)
		}
		// (River records the attempt's end just after the import is queued again.)
		if imp.Status == soq.ImportQueued && strings.Contains(imp.Error, "Attempt 1 of 5") && imp.Retrying() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retry seen: %s %q", imp.Status, imp.Error)
		}
		time.Sleep(10 * time.Millisecond)
	}
	imp := w.wait(t, id)
	if imp.Status != soq.ImportDone || imp.ImportedRows != 3 {
		t.Fatalf("after the retry: %s, %d imported, %q", imp.Status, imp.ImportedRows, imp.Error)
	}
	if n := w.count(t, `SELECT count(*) FROM soq_items WHERE soq_id = $1`, w.soqID); n != 3 {
		t.Fatalf("%d items, want 3", n)
	}
	w.waitJob(t, "completed")
	if n := w.count(t, `SELECT attempt FROM river_job`); n != 2 {
		t.Fatalf("completed on attempt %d, want 2", n)
	}
}

// Running an import's job again (a retry after its worker died having written) leaves one
// copy of the rows.
func TestRunImportTwiceWritesOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// Queued by a client that is never started: the test runs the job itself.
	jc, err := jobs.New(w.st, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	id := w.queue(t, jc, bill)
	for range 2 {
		if err := jobs.RunImport(t.Context(), w.st, id); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.count(t, `SELECT count(*) FROM soq_items WHERE soq_id = $1`, w.soqID); n != 3 {
		t.Fatalf("%d items after two runs, want 3", n)
	}
	if n := w.count(t, `SELECT count(*) FROM soq_sections WHERE soq_id = $1`, w.soqID); n != 2 {
		t.Fatalf("%d sections after two runs, want 2", n)
	}
}

// River's notice that database/sql has no LISTEN is how this client always runs: it is
// debug, not info on every start.
func TestPollOnlyNoticeIsDebug(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var buf syncBuffer
		w.client(t, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level})), jobs.Config{})
		// The notice is logged as the client starts fetching.
		deadline := time.Now().Add(5 * time.Second)
		for level == slog.LevelDebug && !strings.Contains(buf.String(), "poll only mode") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		out := buf.String()
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "poll only mode") && !strings.Contains(line, "level=DEBUG") {
				t.Errorf("not at debug (the logger at %v): %s", level, line)
			}
		}
		if level == slog.LevelDebug && !strings.Contains(out, "poll only mode") {
			t.Errorf("the notice is gone at debug too:\n%s", out)
		}
		if level == slog.LevelInfo && !strings.Contains(out, "River client started") {
			t.Errorf("River's other info lines are gone too:\n%s", out)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
