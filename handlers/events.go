package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/events"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
	"github.com/14build/14build/views"
)

// Live updates (issue 12). A client names what it follows (?stream=tender-{id},
// project-{id}, me); who asks decides which audience streams it gets, so that no message
// is filtered at send time: the tender's team, every bidder of the tender, one bidder's
// own bid, the project, the user. The Router below renders each change once per audience.

func (h *Handlers) eventRoutes() []Route {
	return []Route{
		{"GET", paths.NameEvents, signedIn(), h.eventsPage},
		{"GET", paths.NameAPIEvents, signedIn(), h.eventsAPI},
	}
}

// Hub is this instance's fan-out of live updates (main closes it before shutting down).
func (h *Handlers) Hub() *events.Hub { return h.hub }

// EventListener is the listener that feeds this instance's hub from the database
// (LISTEN on dsn); Run it once per instance.
func (h *Handlers) EventListener(dsn string) *events.Listener {
	return &events.Listener{DSN: dsn, DB: h.st.DB().DB, Route: h.RouteEvent, Hub: h.hub, Log: h.log}
}

func (h *Handlers) eventsPage(c echo.Context) error { return h.serveEvents(c, "") }
func (h *Handlers) eventsAPI(c echo.Context) error  { return h.serveEvents(c, ".json") }

func (h *Handlers) serveEvents(c echo.Context, suffix string) error {
	streams, err := h.eventStreams(c)
	if err != nil {
		return err
	}
	for i := range streams {
		streams[i] += suffix
	}
	err = h.hub.Serve(c.Response(), c.Request(), streams...)
	if errors.Is(err, events.ErrSlowClient) {
		Logger(c.Request().Context(), h.log).Info("events: slow client dropped", "streams", strings.Join(streams, " "))
	}
	return nil // Serve has answered (a stream, or 503 while shutting down)
}

// maxFollowed bounds the streams one connection names (a board page's tenders).
const maxFollowed = 100

// eventStreams are the audience streams the caller may follow for its ?stream= (one or
// more: the board follows each tender of its page): the same rule as the pages (404 for
// what the caller may not see), 400 for a name not understood.
func (h *Handlers) eventStreams(c echo.Context) ([]string, error) {
	names := c.QueryParams()["stream"]
	if len(names) == 0 || len(names) > maxFollowed {
		return nil, errInvalid(field.Errors{"stream": "name 1 to " + itoa(maxFollowed) + " streams: tender-{id}, project-{id} or me"})
	}
	var out []string
	for _, name := range names {
		streams, err := h.streamsOf(c, name)
		if err != nil {
			return nil, err
		}
		for _, s := range streams {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// streamsOf is eventStreams for one name.
func (h *Handlers) streamsOf(c echo.Context, s string) ([]string, error) {
	u, ctx := currentUser(c), c.Request().Context()
	switch {
	case s == "me":
		return []string{"user/" + u.ID}, nil
	case strings.HasPrefix(s, "tender-"):
		t, err := h.st.Tender(ctx, strings.TrimPrefix(s, "tender-"))
		if err != nil {
			return nil, err
		}
		if u.Role == authz.RoleBidder {
			if !openToBidder(t, u) {
				return nil, errNotFound()
			}
			return []string{"tender/" + t.ID + "/bidders", "tender/" + t.ID + "/bidder/" + u.ID}, nil
		}
		if err := h.onTeam(ctx, t.ProjectID, u); err != nil {
			return nil, err
		}
		return []string{"tender/" + t.ID + "/team"}, nil
	case strings.HasPrefix(s, "project-"):
		id := strings.TrimPrefix(s, "project-")
		if err := h.onTeam(ctx, id, u); err != nil {
			return nil, err
		}
		return []string{"project/" + id}, nil
	}
	return nil, errInvalid(field.Errors{"stream": "must be tender-{id}, project-{id} or me"})
}

// onTeam is nil when u may view the project (its team, an admin), else a 404.
func (h *Handlers) onTeam(ctx context.Context, projectID string, u *store.User) error {
	_, m, err := h.st.ProjectFor(ctx, projectID, u.ID)
	if err != nil {
		return err
	}
	if !authz.CanInProject(u.Role, m, authz.ViewProject) {
		return errNotFound()
	}
	return nil
}

// RouteEvent is the events.Router of this instance: each change's messages, per audience.
func (h *Handlers) RouteEvent(ctx context.Context, c events.Change) ([]events.Message, error) {
	switch c.Kind {
	case events.ImportProgress, events.ProjectUpdated:
		return h.routeUserEvents(ctx, c)
	case events.BidSubmitted, events.BidWithdrawn, events.IntentChanged, events.AddendumIssued,
		events.QuestionAnswered, events.TenderClosed, events.TenderAwarded:
		msgs, err := h.routeTenderEvent(ctx, c)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil // gone since (a deleted project): nobody to tell
		}
		return msgs, err
	case events.MilestoneCompleted:
		return h.routeMilestoneEvent(ctx, c) // the contract page: contract_pages.go
	}
	return nil, nil
}

// liveMessages builds one change's messages: each audience's HTML and its JSON twin.
type liveMessages struct {
	ctx  context.Context
	c    events.Change
	msgs []events.Message
	err  error
}

func (l *liveMessages) add(stream string, html templ.Component, data any) {
	if l.err != nil {
		return
	}
	var b bytes.Buffer
	if l.err = html.Render(l.ctx, &b); l.err != nil {
		return
	}
	js, err := json.Marshal(data)
	if l.err = err; err != nil {
		return
	}
	l.msgs = append(l.msgs,
		events.Message{ID: l.c.ID, Stream: stream, Name: l.c.Kind, Data: b.Bytes()},
		events.Message{ID: l.c.ID, Stream: stream + ".json", Name: l.c.Kind, Data: js})
}

// liveBidder names a bidder in JSON events.
type liveBidder struct {
	Name    string `json:"name"`
	Company string `json:"company"`
}

// liveBid is the JSON data of a bid's change; Total only on streams whose viewers may see
// it (the bidder's own; the team's once the sealed rule allows).
type liveBid struct {
	TenderID    string     `json:"tenderId"`
	BidID       string     `json:"bidId"`
	Bidder      liveBidder `json:"bidder"`
	Status      string     `json:"status"`
	Revision    int        `json:"revision"`
	SubmittedAt *time.Time `json:"submittedAt"`
	Total       *int64     `json:"total,omitempty"`
}

// liveTender is the JSON data of a change to the tender itself.
type liveTender struct {
	TenderID string `json:"tenderId"`
	Status   string `json:"status"`
	BidID    string `json:"bidId,omitempty"`
	Addendum int    `json:"addendum,omitempty"`
}

// noOne stands in for a user id where ProjectFor needs one (the router acts for nobody).
const noOne = "00000000-0000-0000-0000-000000000000"

// liveTeamView is what the team's tender page shows of its bidders, sealed-safe exactly as
// the page (renderTeamTender): totals only when tender.Seal lets the team see prices.
func (h *Handlers) liveTeamView(ctx context.Context, t store.Tender, now time.Time) (views.TeamTenderView, error) {
	v := views.TeamTenderView{Tender: t, Now: now}
	pr, _, err := h.st.ProjectFor(ctx, t.ProjectID, noOne)
	if err != nil {
		return v, err
	}
	q, err := h.st.SOQHeader(ctx, t.SOQID)
	if err != nil {
		return v, err
	}
	v.Project, v.Currency = pr, q.Currency
	if v.Bidders, err = h.st.BiddersOfTender(ctx, t.ID); err != nil {
		return v, err
	}
	return v, h.teamBidPrices(ctx, &v, t, now)
}

func (h *Handlers) routeTenderEvent(ctx context.Context, c events.Change) ([]events.Message, error) {
	t, err := h.st.Tender(ctx, c.TenderID)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	team := "tender/" + t.ID + "/team"
	bidders := "tender/" + t.ID + "/bidders"
	own := func(uid string) string { return "tender/" + t.ID + "/bidder/" + uid }
	l := &liveMessages{ctx: ctx, c: c}
	var data struct {
		Number     int    `json:"number"`
		QuestionID string `json:"questionId"`
		Published  bool   `json:"published"`
		AskedBy    string `json:"askedBy"`
	}
	if len(c.Data) > 0 {
		_ = json.Unmarshal(c.Data, &data) // small facts; a missing one is its zero
	}
	status := liveTender{TenderID: t.ID, Status: string(t.Status)}

	switch c.Kind {
	case events.BidSubmitted, events.BidWithdrawn, events.IntentChanged:
		v, err := h.liveTeamView(ctx, t, now)
		if err != nil {
			return nil, err
		}
		var who store.BidderIntent
		for _, b := range v.Bidders {
			if b.BidderID.Valid && b.BidderID.String == c.UserID {
				who = b
			}
		}
		js := liveBid{TenderID: t.ID, BidID: c.BidID, Bidder: liveBidder{Name: who.Name, Company: who.Company},
			Status: string(who.BidStatus), Revision: who.Revision}
		if who.SubmittedAt.Valid {
			at := who.SubmittedAt.Time.UTC()
			js.SubmittedAt = &at
		}
		teamJS := js
		if tot, ok := v.Totals[c.UserID]; ok && v.Prices {
			teamJS.Total = &tot
		}
		if c.Kind == events.IntentChanged {
			l.add(team, views.LiveTeamBidders(v), struct {
				TenderID string     `json:"tenderId"`
				Bidder   liveBidder `json:"bidder"`
				Intent   string     `json:"intent"`
			}{t.ID, teamJS.Bidder, string(who.Intent)})
			break
		}
		l.add(team, views.LiveTeamBidders(v), teamJS)
		// The bidder's own stream (its other tabs): its bid, with its total.
		if c.BidID != "" && c.UserID != "" {
			b, err := h.st.Bid(ctx, c.BidID)
			if err != nil {
				return nil, err
			}
			ownJS := js
			ownJS.Status, ownJS.Revision = string(b.Status), b.Revision
			ownJS.Total = &b.Total
			title := "Revision " + itoa(b.Revision) + " of your bid was received."
			if c.Kind == events.BidWithdrawn {
				title = "Your bid was withdrawn."
			}
			l.add(own(c.UserID), views.LiveBidStatus(t.ID, b.Status, b.Revision, t.Title+": "+title, ""), ownJS)
		}
	case events.AddendumIssued:
		// Each bidder's acknowledgement differs: every bidder gets the same neutral news.
		status.Addendum = data.Number
		l.add(bidders, views.LiveBidderNote(t.ID, t.Status, false, true, t.Title+": addendum "+itoa(data.Number)+" was issued.",
			"Acknowledge it before you submit: it may have changed what you price."), status)
	case events.QuestionAnswered:
		qs, err := h.st.QuestionsForTeam(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		for _, q := range qs {
			if q.ID != data.QuestionID || !q.Answer.Valid {
				continue
			}
			q.AskerName, q.Mine = "", false // never who asked
			js := struct {
				TenderID   string `json:"tenderId"`
				QuestionID string `json:"questionId"`
				Question   string `json:"question"`
				Answer     string `json:"answer"`
				Published  bool   `json:"published"`
			}{t.ID, q.ID, q.Text, q.Answer.String, q.Published}
			switch {
			case q.Published:
				l.add(bidders, views.LiveAnswer(q), js)
			case data.AskedBy != "":
				l.add(own(data.AskedBy), views.LiveAnswer(q), js)
			}
		}
	case events.TenderClosed, events.TenderAwarded:
		v, err := h.liveTeamView(ctx, t, now)
		if err != nil {
			return nil, err
		}
		if c.Kind == events.TenderClosed {
			l.add(team, views.LiveTeamStatus(v, t.Sealed && v.Prices, "The tender has closed.", "No more bids are taken, and the bids may now be leveled."), status)
			l.add(bidders, views.LiveBidderNote(t.ID, t.Status, true, false, t.Title+" has closed.", "Bids can no longer change."), status)
			break
		}
		status.BidID = c.BidID
		l.add(team, views.LiveTeamStatus(v, false, "The tender was awarded.", ""), status)
		l.add(bidders, views.LiveBidderNote(t.ID, t.Status, true, false, t.Title+" was awarded.", ""), liveTender{TenderID: t.ID, Status: string(t.Status)})
		// Each bidder's own outcome, after the common news so that it is what stays shown.
		bids, err := h.st.BidsWithTotals(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		for _, b := range bids {
			var title string
			switch b.Status {
			case tender.BidAwarded:
				title = "Your bid was awarded."
			case tender.BidUnsuccessful:
				title = "Another bid was awarded. Thank you for bidding."
			default:
				continue
			}
			tot := b.Total
			js := liveBid{TenderID: t.ID, BidID: b.ID, Bidder: liveBidder{Name: b.BidderName, Company: b.EntityName},
				Status: string(b.Status), Revision: b.Revision, Total: &tot}
			if b.SubmittedAt.Valid {
				at := b.SubmittedAt.Time.UTC()
				js.SubmittedAt = &at
			}
			l.add(own(b.BidderID), views.LiveBidStatus(t.ID, b.Status, b.Revision, t.Title+": "+title, ""), js)
		}
	}
	return l.msgs, l.err
}
