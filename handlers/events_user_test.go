package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/events"
	"github.com/14build/14build/store"
)

// userEventsFixture is an owner with a project, an SOQ and an uploaded import, and a
// teammate who must never hear of the owner's import.
type userEventsFixture struct {
	a           *testApp
	owner, mate store.User
	project     store.Project
	soqID, imp  string
}

func newUserEventsFixture(t *testing.T) userEventsFixture {
	t.Helper()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	m := a.user(authz.RoleInHouse, "ivan@harbourhomes.test")
	p := a.project(o, "LIVE-1", m)
	ctx := context.Background()
	soqID, err := a.st.CreateSOQ(ctx, p.ID, o.ID, store.NewSOQ{Title: "Main works", Currency: "usd"})
	if err != nil {
		t.Fatal(err)
	}
	imp, err := a.st.CreateImport(ctx, store.NewImport{SOQID: soqID, ProjectID: p.ID, Filename: "services.csv", Format: "csv",
		Content: []byte("Ref,Description\n"), CreatedBy: o.ID})
	if err != nil {
		t.Fatal(err)
	}
	return userEventsFixture{a: a, owner: o, mate: m, project: p, soqID: soqID, imp: imp}
}

// importEvents counts the import-progress events of an import.
func (f userEventsFixture) importEvents() int {
	return f.a.count(`SELECT count(*) FROM events WHERE kind = $1 AND data->>'importId' = $2`, events.ImportProgress, f.imp)
}

// lastChange loads the newest event of kind.
func (f userEventsFixture) lastChange(t *testing.T, kind string) events.Change {
	t.Helper()
	var id int64
	if err := f.a.st.DB().Get(&id, `SELECT max(id) FROM events WHERE kind = $1`, kind); err != nil {
		t.Fatalf("no %s event: %v", kind, err)
	}
	cs, err := events.Load(context.Background(), f.a.st.DB(), id)
	if err != nil || len(cs) != 1 {
		t.Fatalf("load %d: %v %v", id, cs, err)
	}
	return cs[0]
}

// An import's progress is announced in the transaction that records it: one event per
// committed write, none for a write rolled back; its end (failed) too.
func TestImportProgressEmits(t *testing.T) {
	t.Parallel()
	f := newUserEventsFixture(t)
	ctx := context.Background()
	for _, done := range []int{0, 500, 1000} {
		if err := f.a.st.ImportProgress(ctx, f.imp, 1200, done); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.importEvents(); n != 3 {
		t.Fatalf("%d import-progress events, want 3", n)
	}
	boom := errors.New("rolled back")
	err := f.a.st.WithTx(ctx, func(tx *store.Tx) error {
		if err := tx.ImportProgress(ctx, f.imp, 1200, 1100); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WithTx = %v", err)
	}
	if n := f.importEvents(); n != 3 {
		t.Fatalf("%d import-progress events after a rolled-back write, want still 3", n)
	}
	if n := f.a.count(`SELECT processed_rows FROM soq_imports WHERE id = $1`, f.imp); n != 1000 {
		t.Fatalf("processed %d, want 1000 (the rolled-back write never happened)", n)
	}
	c := f.lastChange(t, events.ImportProgress)
	if c.UserID != f.owner.ID || c.ProjectID != f.project.ID {
		t.Fatalf("event for user %q project %q, want the importer %q in %q", c.UserID, c.ProjectID, f.owner.ID, f.project.ID)
	}
	if err := f.a.st.FailImport(ctx, f.imp, "The file is broken."); err != nil {
		t.Fatal(err)
	}
	if n := f.importEvents(); n != 4 {
		t.Fatalf("%d import-progress events after the import failed, want 4", n)
	}
	// Failing it again changes nothing, and announces nothing.
	if err := f.a.st.FailImport(ctx, f.imp, "Again."); err != nil {
		t.Fatal(err)
	}
	if n := f.importEvents(); n != 4 {
		t.Fatalf("%d import-progress events after a second failure, want still 4", n)
	}
}

// routeUserEvents sends an import's progress to its owner's streams, never another
// person's, and to the project's team stream: the progress bar the page renders (replacing
// this import's status out of band) and its JSON twin.
func TestRouteUserEventsImportProgress(t *testing.T) {
	t.Parallel()
	f := newUserEventsFixture(t)
	ctx := context.Background()
	if err := f.a.st.ImportProgress(ctx, f.imp, 1200, 600); err != nil {
		t.Fatal(err)
	}
	c := f.lastChange(t, events.ImportProgress)
	msgs, err := f.a.h.RouteEvent(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 {
		t.Fatalf("%d messages, want 4: %+v", len(msgs), msgs)
	}
	byStream := map[string]events.Message{}
	for _, m := range msgs {
		if m.Name != events.ImportProgress || m.ID != c.ID {
			t.Errorf("message %q id %d, want %q id %d", m.Name, m.ID, events.ImportProgress, c.ID)
		}
		if strings.Contains(m.Stream, f.mate.ID) {
			t.Errorf("the teammate's stream %q hears of the owner's import", m.Stream)
		}
		byStream[m.Stream] = m
	}
	html, ok := byStream["user/"+f.owner.ID]
	if !ok {
		t.Fatalf("no message on the importer's stream: %+v", msgs)
	}
	for _, want := range []string{`id="import-status"`, `data-import="` + f.imp + `"`,
		`hx-swap-oob="outerHTML:#import-status[data-import=&#39;` + f.imp + `&#39;]"`, `600`, `1,200`, `50%`} {
		if !strings.Contains(string(html.Data), want) {
			t.Errorf("fragment lacks %s:\n%s", want, html.Data)
		}
	}
	if team := byStream["project/"+f.project.ID]; string(team.Data) != string(html.Data) {
		t.Errorf("the team's stream carries %q, want the same fragment", team.Data)
	}
	if team := byStream["project/"+f.project.ID+".json"]; string(team.Data) != string(byStream["user/"+f.owner.ID+".json"].Data) {
		t.Errorf("the team's JSON twin is %q", team.Data)
	}
	js, ok := byStream["user/"+f.owner.ID+".json"]
	if !ok {
		t.Fatalf("no JSON twin: %+v", msgs)
	}
	var got map[string]any
	if err := json.Unmarshal(js.Data, &got); err != nil {
		t.Fatalf("JSON twin %s: %v", js.Data, err)
	}
	want := map[string]any{"importId": f.imp, "processed": 600.0, "total": 1200.0, "state": "uploaded"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("JSON %s = %v, want %v (%s)", k, got[k], v, js.Data)
		}
	}
}

// Over the wire: the importer's "me" stream carries the progress (HTML on /events, JSON
// on /api/events); the teammate's "me" stream carries nothing, the project's does.
func TestEventsImportProgressOverSSE(t *testing.T) {
	t.Parallel()
	f := newUserEventsFixture(t)
	f.a.listen(t)
	owner, mate := f.a.login(f.owner.Email), f.a.login(f.mate.Email)
	page := owner.subscribe(t, f.a.srv.URL, "/events?stream=me")
	api := owner.subscribe(t, f.a.srv.URL, "/api/events?stream=me")
	other := mate.subscribe(t, f.a.srv.URL, "/events?stream=me")
	team := mate.subscribe(t, f.a.srv.URL, "/events?stream=project-"+f.project.ID)
	if page.Code != http.StatusOK || api.Code != http.StatusOK || other.Code != http.StatusOK || team.Code != http.StatusOK {
		t.Fatalf("subscribe: %d %d %d %d", page.Code, api.Code, other.Code, team.Code)
	}
	waitSubs(t, f.a, 4)
	if err := f.a.st.ImportProgress(context.Background(), f.imp, 1000, 250); err != nil {
		t.Fatal(err)
	}
	e := page.next(t, 5*time.Second)
	if e.Name != events.ImportProgress || !strings.Contains(e.Data, `data-import="`+f.imp+`"`) || !strings.Contains(e.Data, "25%") {
		t.Fatalf("page event %s: %s", e.Name, e.Data)
	}
	j := api.next(t, 5*time.Second)
	if j.Name != events.ImportProgress || j.Data != `{"importId":"`+f.imp+`","processed":250,"total":1000,"state":"uploaded"}` {
		t.Fatalf("API event %s: %s", j.Name, j.Data)
	}
	if e := team.next(t, 5*time.Second); e.Name != events.ImportProgress || !strings.Contains(e.Data, `data-import="`+f.imp+`"`) {
		t.Fatalf("team event %s: %s", e.Name, e.Data)
	}
	other.none(t, 300*time.Millisecond)
}

// A project's update is announced in its transaction and routed to the project's stream
// (a notice for pages, {"projectId"} for API clients); a refused update announces nothing.
func TestProjectUpdatedEvent(t *testing.T) {
	t.Parallel()
	f := newUserEventsFixture(t)
	ctx := context.Background()
	in := store.ProjectInput{Name: "Harbour Homes, stage 2", Code: f.project.Code, Status: f.project.Status,
		Currency: f.project.Currency, TimeZone: f.project.TimeZone, BudgetAmount: f.project.BudgetAmount}
	if err := f.a.st.UpdateProject(ctx, f.project.ID, in); err != nil {
		t.Fatal(err)
	}
	n := func() int {
		return f.a.count(`SELECT count(*) FROM events WHERE kind = $1 AND project_id = $2`, events.ProjectUpdated, f.project.ID)
	}
	if got := n(); got != 1 {
		t.Fatalf("%d project-updated events, want 1", got)
	}
	// A code another project of the owner has: refused, rolled back, no event.
	other := f.a.project(f.owner, "LIVE-2")
	in.Code = other.Code
	if err := f.a.st.UpdateProject(ctx, f.project.ID, in); !errors.Is(err, store.ErrCodeTaken) {
		t.Fatalf("UpdateProject with a taken code = %v", err)
	}
	if got := n(); got != 1 {
		t.Fatalf("%d project-updated events after a refused update, want still 1", got)
	}
	msgs, err := f.a.h.RouteEvent(ctx, f.lastChange(t, events.ProjectUpdated))
	if err != nil || len(msgs) != 2 {
		t.Fatalf("RouteEvent = %+v, %v", msgs, err)
	}
	for _, m := range msgs {
		switch m.Stream {
		case "project/" + f.project.ID:
			if !strings.Contains(string(m.Data), "Project updated.") || !strings.Contains(string(m.Data), "Harbour Homes, stage 2") {
				t.Errorf("notice: %s", m.Data)
			}
		case "project/" + f.project.ID + ".json":
			if string(m.Data) != `{"projectId":"`+f.project.ID+`"}` {
				t.Errorf("JSON twin: %s", m.Data)
			}
		default:
			t.Errorf("message on stream %q", m.Stream)
		}
	}
}
