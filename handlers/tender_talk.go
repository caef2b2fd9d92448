package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// tenderTalkRoutes: intent to bid, addenda and their acknowledgements, clarifications.
// The team's routes are onTender (404 off the team, 403 without the permission); a
// bidder's are bidderOn (403 for the team, 404 when the tender is not open to it); the two
// lists are onTender("", ViewProject): the team, or a bidder the tender is open to, each
// seeing its own view.
func (h *Handlers) tenderTalkRoutes() []Route {
	return []Route{
		{"POST", paths.NameAPITenderIntent, bidderOn(authz.SubmitBid), h.apiTenderIntent},
		{"GET", paths.NameAPITenderAddenda, onTender("", authz.ViewProject), h.apiAddendaList},
		{"POST", paths.NameAPITenderAddenda, onTender(authz.CreateTender, authz.EditSOQ), h.apiAddendumIssue},
		{"POST", paths.NameAPITenderAddendumAck, bidderOn(authz.SubmitBid), h.apiAddendumAcknowledge},
		{"GET", paths.NameAPITenderQuestions, onTender("", authz.ViewProject), h.apiQuestionsList},
		{"POST", paths.NameAPITenderQuestions, bidderOn(authz.SubmitBid), h.apiQuestionAsk},
		{"POST", paths.NameAPITenderAnswer, onTender(authz.CreateTender, authz.EditSOQ), h.apiQuestionAnswer},
	}
}

// maxAddendumBody bounds an addendum's body: its text and a few thousand item changes.
const maxAddendumBody = 2 << 20

// maxTalkBody bounds a question's, an answer's or an intent's body.
const maxTalkBody = 64 << 10

// errFields is a per-field refusal of the content sent: 400, as every JSON route answers
// invalid input (API.md).
func errFields(fields field.Errors) error { return errInvalid(fields) }

// talkStoreError answers the store's refusals of an intent, addendum, acknowledgement,
// question or answer; other errors pass as they are (ErrNotFound is a 404).
func talkStoreError(err error) error {
	var fr *store.FieldsRefused
	switch {
	case errors.As(err, &fr):
		return errFields(fr.Fields)
	case errors.Is(err, store.ErrTenderClosed):
		return &appError{Status: http.StatusConflict, Message: "The tender has closed: nothing more can be said or changed on it."}
	case errors.Is(err, store.ErrTenderNotOpen):
		return &appError{Status: http.StatusConflict, Message: "The tender is not open."}
	}
	return err
}

// isTeam reports whether the caller reached an onTender("", ViewProject) route as one of
// the tender's project team (the guard sets the project); a bidder gets none.
func isTeam(c echo.Context) bool { return currentProject(c) != nil }

// Intent

type intentBody struct {
	Intent string `json:"intent"`
}

func (h *Handlers) apiTenderIntent(c echo.Context) error {
	limitBody(c, maxTalkBody)
	var b intentBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	i := tender.Intent(b.Intent)
	if !i.Valid() {
		return errFields(field.Errors{"intent": "must be bidding, declined or undecided"})
	}
	if err := h.st.SetIntent(c.Request().Context(), currentTender(c).ID, currentUser(c).ID, i, time.Now()); err != nil {
		return talkStoreError(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"intent": i})
}

// Addenda

type addendumJSON struct {
	Number         int        `json:"number"`
	Text           string     `json:"text"`
	ClosesAt       *time.Time `json:"closesAt"` // the new closing time it set, or null
	CreatedAt      time.Time  `json:"createdAt"`
	Changed        int        `json:"changed"`
	Added          int        `json:"added"`
	Removed        int        `json:"removed"`
	Acknowledged   *bool      `json:"acknowledged,omitempty"`   // a bidder's view
	AcknowledgedAt *time.Time `json:"acknowledgedAt,omitempty"` // a bidder's view, once acknowledged
	Acks           *int       `json:"acks,omitempty"`           // the team's view: how many bidders acknowledged it
}

func toAddendumJSON(a store.Addendum, team bool) addendumJSON {
	j := addendumJSON{Number: a.Number, Text: a.Text, ClosesAt: utcPtr(a.ClosesAt.Valid, a.ClosesAt.Time),
		CreatedAt: a.CreatedAt.UTC(), Changed: a.Changed, Added: a.Added, Removed: a.Removed}
	if team {
		j.Acks = &a.Acks
	} else {
		j.Acknowledged = &a.Acknowledged
		j.AcknowledgedAt = utcPtr(a.AcknowledgedAt.Valid, a.AcknowledgedAt.Time)
	}
	return j
}

type itemChangeBody struct {
	ItemID      string          `json:"itemId"`
	Quantity    json.RawMessage `json:"quantity"`
	Description *string         `json:"description"`
}

type addedItemBody struct {
	SectionID   string          `json:"sectionId"`
	Reference   string          `json:"reference"`
	Description string          `json:"description"`
	Unit        string          `json:"unit"`
	Quantity    json.RawMessage `json:"quantity"`
	ItemType    string          `json:"itemType"`
	Rate        json.RawMessage `json:"rate"` // a fixed allowance's sum only
}

type addendumBody struct {
	Text          string           `json:"text"`
	ClosesAt      string           `json:"closesAt"`
	Changes       []itemChangeBody `json:"changes"`
	AddItems      []addedItemBody  `json:"addItems"`
	RemoveItemIDs []string         `json:"removeItemIds"`
}

// addendumInput reads an addendum body: the closing time in the project's zone
// (tender.CheckAddendum), quantities as exact numbers, the rest checked by the store.
func addendumInput(b addendumBody, p *store.Project, now time.Time) (store.AddendumInput, field.Errors) {
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	closes, errs := tender.CheckAddendum(strings.TrimSpace(b.Text), strings.TrimSpace(b.ClosesAt), loc, now)
	in := store.AddendumInput{Text: b.Text, ClosesAt: closes, RemoveItemIDs: b.RemoveItemIDs}
	for k, ch := range b.Changes {
		name := fmt.Sprintf("changes[%d]", k)
		c := store.ItemChange{ItemID: ch.ItemID, Description: ch.Description}
		if s := strings.TrimSpace(string(ch.Quantity)); s != "" && s != "null" {
			q, msg := rawQuantity(ch.Quantity)
			if msg != "" {
				errs.Add(name+".quantity", msg)
			}
			c.Quantity = &q
		}
		in.Changes = append(in.Changes, c)
	}
	for k, a := range b.AddItems {
		name := fmt.Sprintf("addItems[%d]", k)
		t, _ := soq.ParseItemType(a.ItemType) // an unknown type is named by the store's check
		it := store.AddedItem{SectionID: a.SectionID, Reference: a.Reference, Description: a.Description, Unit: a.Unit, Type: t}
		var msg string
		if s := strings.TrimSpace(string(a.Quantity)); s == "" || s == "null" {
			q, err := soq.ParseItemQuantity(t, "") // absent: as a blank quantity in the sheet
			if err != nil {
				errs.Add(name+".quantity", err.Error())
			}
			it.Quantity = q
		} else if it.Quantity, msg = rawQuantity(a.Quantity); msg != "" {
			errs.Add(name+".quantity", msg)
		}
		if s := strings.TrimSpace(string(a.Rate)); s != "" && s != "null" {
			if it.Allowance, msg = rawMinor(a.Rate); msg != "" {
				errs.Add(name+".rate", msg)
			}
		}
		in.Add = append(in.Add, it)
	}
	return in, errs
}

func (h *Handlers) apiAddendumIssue(c echo.Context) error {
	limitBody(c, maxAddendumBody)
	var b addendumBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	ctx, t, now := c.Request().Context(), currentTender(c), time.Now()
	in, errs := addendumInput(b, currentProject(c), now)
	if len(errs) > 0 {
		return errFields(errs)
	}
	a, err := h.st.IssueAddendum(ctx, t.ID, currentUser(c).ID, in, now)
	if err != nil {
		return talkStoreError(err)
	}
	// A later closing time: a closing job at it (the one at the old time finds the tender
	// not yet due). A failure is the sweep's to make up, as at opening.
	if a.ClosesAt.Valid && h.cfg.Jobs != nil {
		if err := h.cfg.Jobs.ScheduleTenderClose(ctx, t.ID, a.ClosesAt.Time); err != nil {
			h.log.Warn("schedule tender close (the sweep will close it)", "tender", t.ID, "err", err.Error())
		}
	}
	return c.JSON(http.StatusCreated, toAddendumJSON(a, true))
}

// apiAddendaList lists a tender's addenda: the team's with how many acknowledged each, a
// bidder's with its own acknowledgement.
func (h *Handlers) apiAddendaList(c echo.Context) error {
	team := isTeam(c)
	bidder := ""
	if !team {
		bidder = currentUser(c).ID
	}
	list, err := h.st.Addenda(c.Request().Context(), currentTender(c).ID, bidder)
	if err != nil {
		return err
	}
	out := make([]addendumJSON, len(list))
	for i, a := range list {
		out[i] = toAddendumJSON(a, team)
	}
	return c.JSON(http.StatusOK, map[string]any{"addenda": out})
}

func (h *Handlers) apiAddendumAcknowledge(c echo.Context) error {
	n, err := strconv.Atoi(c.Param("number"))
	if err != nil || n <= 0 {
		return errNotFound()
	}
	ctx, t, u := c.Request().Context(), currentTender(c), currentUser(c)
	if err := h.st.AcknowledgeAddendum(ctx, t.ID, n, u.ID, time.Now()); err != nil {
		return talkStoreError(err)
	}
	list, err := h.st.Addenda(ctx, t.ID, u.ID)
	if err != nil {
		return err
	}
	for _, a := range list {
		if a.Number == n {
			return c.JSON(http.StatusOK, toAddendumJSON(a, false))
		}
	}
	return errNotFound()
}

// Questions

type questionJSON struct {
	ID         string     `json:"id"`
	Text       string     `json:"text"`
	Answer     *string    `json:"answer"`
	Published  bool       `json:"published"`
	AskedAt    time.Time  `json:"askedAt"`
	AnsweredAt *time.Time `json:"answeredAt"`
	Mine       *bool      `json:"mine,omitempty"`    // a bidder's view: asked by it
	AskedBy    *string    `json:"askedBy,omitempty"` // the team's view only: bidders never learn who asked
}

func toQuestionJSON(q store.Question, team bool) questionJSON {
	j := questionJSON{ID: q.ID, Text: q.Text, Published: q.Published, AskedAt: q.AskedAt.UTC(),
		AnsweredAt: utcPtr(q.AnsweredAt.Valid, q.AnsweredAt.Time)}
	if q.Answer.Valid {
		j.Answer = &q.Answer.String
	}
	if team {
		j.AskedBy = &q.AskerName
	} else {
		j.Mine = &q.Mine
	}
	return j
}

func (h *Handlers) apiQuestionsList(c echo.Context) error {
	ctx, t := c.Request().Context(), currentTender(c)
	team := isTeam(c)
	var list []store.Question
	var err error
	if team {
		list, err = h.st.QuestionsForTeam(ctx, t.ID)
	} else {
		list, err = h.st.QuestionsForBidder(ctx, t.ID, currentUser(c).ID)
	}
	if err != nil {
		return err
	}
	out := make([]questionJSON, len(list))
	for i, q := range list {
		out[i] = toQuestionJSON(q, team)
	}
	return c.JSON(http.StatusOK, map[string]any{"questions": out})
}

type questionBody struct {
	Text string `json:"text"`
}

func (h *Handlers) apiQuestionAsk(c echo.Context) error {
	limitBody(c, maxTalkBody)
	var b questionBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if errs := tender.CheckQuestion(strings.TrimSpace(b.Text)); len(errs) > 0 {
		return errFields(errs)
	}
	q, err := h.st.AskQuestion(c.Request().Context(), currentTender(c).ID, currentUser(c).ID, b.Text, time.Now())
	if err != nil {
		return talkStoreError(err)
	}
	return c.JSON(http.StatusCreated, toQuestionJSON(q, false))
}

type answerBody struct {
	Text    string `json:"text"`
	Publish bool   `json:"publish"`
}

func (h *Handlers) apiQuestionAnswer(c echo.Context) error {
	limitBody(c, maxTalkBody)
	var b answerBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if errs := tender.CheckAnswer(strings.TrimSpace(b.Text)); len(errs) > 0 {
		return errFields(errs)
	}
	q, err := h.st.AnswerQuestion(c.Request().Context(), currentTender(c).ID, c.Param("qid"), currentUser(c).ID, b.Text, b.Publish, time.Now())
	if err != nil {
		return talkStoreError(err)
	}
	return c.JSON(http.StatusOK, toQuestionJSON(q, true))
}
