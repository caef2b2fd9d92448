package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/a-h/templ"

	"github.com/14build/14build/events"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

// Live updates for a person and a project (issue 12). An import's progress goes to the
// stream of the person whose import it is ("user/{id}", its JSON twin "user/{id}.json"),
// never another person's, and to the project's team stream ("project/{id}", ".json"),
// which sees the project's jobs anyway (the jobs page, a teammate's import page). A
// project's update goes to the team's stream. The store announces both by ids only; here
// they are loaded as they stand and rendered once.

// importEvent is the data of an import-progress change (store.emitImport), and the JSON
// twin's.
type importEvent struct {
	ImportID  string `json:"importId"`
	SOQID     string `json:"soqId,omitempty"`
	Processed int    `json:"processed"`
	Total     int    `json:"total"`
	State     string `json:"state"`
}

// nobodyID stands in for a user where ProjectFor needs one (the router acts for no one).
const nobodyID = "00000000-0000-0000-0000-000000000000"

// routeUserEvents is the events.Router part for "import-progress" and "project-updated".
func (h *Handlers) routeUserEvents(ctx context.Context, c events.Change) ([]events.Message, error) {
	var msgs []events.Message
	var err error
	switch c.Kind {
	case events.ImportProgress:
		msgs, err = h.routeImportProgress(ctx, c)
	case events.ProjectUpdated:
		msgs, err = h.routeProjectUpdated(ctx, c)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // gone since (a deleted project or SOQ): nobody to tell
	}
	return msgs, err
}

func (h *Handlers) routeImportProgress(ctx context.Context, c events.Change) ([]events.Message, error) {
	var d importEvent
	if err := json.Unmarshal(c.Data, &d); err != nil || d.ImportID == "" || d.SOQID == "" {
		return nil, nil // not ours to tell anyone
	}
	imp, err := h.st.Import(ctx, d.SOQID, d.ImportID)
	if err != nil {
		return nil, err
	}
	pr, _, err := h.st.ProjectFor(ctx, imp.ProjectID, nobodyID)
	if err != nil {
		return nil, err
	}
	q, err := h.st.SOQHeader(ctx, imp.SOQID)
	if err != nil {
		return nil, err
	}
	// What the import's page shows (statusView): the bar, and the report once finished.
	v := views.ImportStatusView{Project: pr, SOQ: q, Import: imp}
	if imp.Status == soq.ImportDone && imp.RefusedRows > 0 {
		if v.Refused, err = h.st.ImportRefusals(ctx, imp.ID, reportRefusedRows); err != nil {
			return nil, err
		}
		v.RefusedMore = imp.RefusedRows - len(v.Refused)
	}
	// The JSON twin says what the change announced (the HTML shows the import as it
	// stands now, which is at least as far).
	js := importEvent{ImportID: imp.ID, Processed: d.Processed, Total: d.Total, State: d.State}
	msgs, err := userMessages(ctx, c, "project/"+imp.ProjectID, views.ImportProgressLive(v), js)
	if err != nil || c.UserID == "" {
		return msgs, err
	}
	// The same bytes to the person's own streams: rendered once.
	for _, m := range msgs[:2] {
		m.Stream = "user/" + c.UserID + strings.TrimPrefix(m.Stream, "project/"+imp.ProjectID)
		msgs = append(msgs, m)
	}
	return msgs, nil
}

func (h *Handlers) routeProjectUpdated(ctx context.Context, c events.Change) ([]events.Message, error) {
	if c.ProjectID == "" {
		return nil, nil
	}
	pr, _, err := h.st.ProjectFor(ctx, c.ProjectID, nobodyID)
	if err != nil {
		return nil, err
	}
	js := struct {
		ProjectID string `json:"projectId"`
	}{pr.ID}
	return userMessages(ctx, c, "project/"+pr.ID, views.LiveProjectUpdated(pr.Name), js)
}

// userMessages is one change's message to stream (HTML) and its JSON twin (stream.json).
func userMessages(ctx context.Context, c events.Change, stream string, html templ.Component, data any) ([]events.Message, error) {
	var b bytes.Buffer
	if err := html.Render(ctx, &b); err != nil {
		return nil, err
	}
	js, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	return []events.Message{
		{ID: c.ID, Stream: stream, Name: c.Kind, Data: b.Bytes()},
		{ID: c.ID, Stream: stream + ".json", Name: c.Kind, Data: js},
	}, nil
}
