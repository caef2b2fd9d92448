package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/14build/14build/soq"
	"github.com/14build/14build/tender"
)

// Addendum is a numbered change to an open tender. Acknowledged and AcknowledgedAt are
// the asking bidder's (Addenda with a bidderID); Acks counts every bidder's (team view).
type Addendum struct {
	ID             string       `db:"id"`
	TenderID       string       `db:"tender_id"`
	Number         int          `db:"number"`
	Text           string       `db:"text"`
	ClosesAt       sql.NullTime `db:"closes_at"` // the new closing time it set, if any
	CreatedAt      time.Time    `db:"created_at"`
	Changed        int          `db:"changed"`
	Added          int          `db:"added"`
	Removed        int          `db:"removed"`
	Acknowledged   bool         `db:"acknowledged"`
	AcknowledgedAt sql.NullTime `db:"acknowledged_at"`
	Acks           int          `db:"acks"`
}

// ItemChange alters one item of the frozen copy; nil fields are kept.
type ItemChange struct {
	ItemID      string
	Quantity    *soq.Quantity
	Description *string
}

// AddedItem is an item (NewItem is taken by the SOQ) an addendum adds to a section of the frozen copy. Allowance is the
// rate of a fixed allowance (provisional or prime cost sum) only.
type AddedItem struct {
	SectionID                    string
	Reference, Description, Unit string
	Quantity                     soq.Quantity
	Type                         soq.ItemType
	Allowance                    int64
}

// AddendumInput is what the team sends to issue an addendum. A zero ClosesAt keeps the
// closing time.
type AddendumInput struct {
	Text          string
	ClosesAt      time.Time
	Changes       []ItemChange
	Add           []AddedItem
	RemoveItemIDs []string
}

// Question is a bidder's clarification question and the team's answer.
type Question struct {
	ID         string         `db:"id"`
	TenderID   string         `db:"tender_id"`
	Text       string         `db:"question"`
	Answer     sql.NullString `db:"answer"`
	Published  bool           `db:"published"`
	AskedAt    time.Time      `db:"asked_at"`
	AnsweredAt sql.NullTime   `db:"answered_at"`
	Mine       bool           `db:"mine"`       // asked by the bidder viewing
	AskerName  string         `db:"asker_name"` // the team's view only; "" for bidders, always
}

// BidderIntent is one bidder the team sees on the tender page: invited, or having stated
// an intent or started a bid. No amounts.
type BidderIntent struct {
	BidderID    sql.NullString   `db:"bidder_id"`
	Name        string           `db:"name"`
	Email       string           `db:"email"`
	Company     string           `db:"company"`
	Invited     bool             `db:"invited"`
	Intent      tender.Intent    `db:"intent"`
	IntentAt    sql.NullTime     `db:"intent_at"`
	BidStatus   tender.BidStatus `db:"bid_status"` // "" when no bid
	Revision    int              `db:"revision"`
	SubmittedAt sql.NullTime     `db:"submitted_at"`
}

var errTODO = errors.New("not implemented yet")

func (s *Store) IssueAddendum(ctx context.Context, tenderID, actorID string, in AddendumInput, now time.Time) (Addendum, error) {
	return Addendum{}, errTODO
}

func (s *Store) Addenda(ctx context.Context, tenderID, bidderID string) ([]Addendum, error) {
	return []Addendum{}, nil
}

func (s *Store) AcknowledgeAddendum(ctx context.Context, tenderID string, number int, bidderID string, now time.Time) error {
	return errTODO
}

func (s *Store) AskQuestion(ctx context.Context, tenderID, bidderID, text string, now time.Time) (Question, error) {
	return Question{}, errTODO
}

func (s *Store) AnswerQuestion(ctx context.Context, tenderID, questionID, actorID, text string, publish bool, now time.Time) (Question, error) {
	return Question{}, errTODO
}

func (s *Store) QuestionsForTeam(ctx context.Context, tenderID string) ([]Question, error) {
	return []Question{}, nil
}

func (s *Store) QuestionsForBidder(ctx context.Context, tenderID, bidderID string) ([]Question, error) {
	return []Question{}, nil
}

func (s *Store) SetIntent(ctx context.Context, tenderID, bidderID string, i tender.Intent, now time.Time) error {
	return errTODO
}

func (s *Store) IntentOf(ctx context.Context, tenderID, bidderID string) (tender.Intent, error) {
	return tender.Undecided, nil
}

func (s *Store) BiddersOfTender(ctx context.Context, tenderID string) ([]BidderIntent, error) {
	return []BidderIntent{}, nil
}
