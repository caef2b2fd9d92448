package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"

	"github.com/14build/14build/escrow"
	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/tender"
)

// A contract's milestones and their escrow (issue 14). Every write is one transaction
// that first locks the contract's row (FOR UPDATE), then the milestone or escrow, so that
// sums, states and the ledger of one contract change one writer at a time. Each money
// movement writes its double-entry postings (escrow.*Postings) and an entry of the
// project's hash-chained activity ledger in the same transaction as the state change.

// Milestone is a part of a contract's sum, paid into escrow and released on approval.
type Milestone struct {
	ID             string                 `db:"id"`
	ContractID     string                 `db:"contract_id"`
	Position       int                    `db:"position"` // 1..n within the contract
	Title          string                 `db:"title"`
	Description    string                 `db:"description"`
	DueDate        sql.NullTime           `db:"due_date"`
	Amount         int64                  `db:"amount"` // minor units of the contract's currency
	Status         escrow.MilestoneStatus `db:"status"`
	DisputedFrom   sql.NullString         `db:"disputed_from"` // the state a dispute froze
	CompletionNote string                 `db:"completion_note"`
	DisputeReason  string                 `db:"dispute_reason"`
	CompletedAt    sql.NullTime           `db:"completed_at"`
	ApprovedAt     sql.NullTime           `db:"approved_at"`
	PaidAt         sql.NullTime           `db:"paid_at"`
	Version        int                    `db:"version"`
	CreatedAt      time.Time              `db:"created_at"`
	UpdatedAt      time.Time              `db:"updated_at"`
}

const milestoneColumns = `id, contract_id, position, title, description, due_date, amount, status, disputed_from,
completion_note, dispute_reason, completed_at, approved_at, paid_at, version, created_at, updated_at`

// MilestoneInput is what the owner edits of a milestone.
type MilestoneInput struct {
	Title, Description string
	DueDate            *time.Time // a date; nil for none
	Amount             int64
}

// Escrow is one payment into escrow for a milestone: pending until Stripe says it
// succeeded, funded until released to the contractor (or refunded). Fee and Retention are
// fixed when it is opened (escrow.Split).
type Escrow struct {
	ID                 string              `db:"id"`
	MilestoneID        string              `db:"milestone_id"`
	ContractID         string              `db:"contract_id"`
	ProjectID          string              `db:"project_id"`
	Amount             int64               `db:"amount"`
	Currency           string              `db:"currency"`
	Fee                int64               `db:"fee"`
	Retention          int64               `db:"retention"`
	Status             escrow.Status       `db:"status"`
	Simulated          bool                `db:"simulated"`
	PaymentIntentID    sql.NullString      `db:"payment_intent_id"`
	ClientSecret       sql.NullString      `db:"client_secret"`
	ReleaseState       escrow.ReleaseState `db:"release_state"`
	TransferID         sql.NullString      `db:"transfer_id"`
	RefundID           sql.NullString      `db:"refund_id"`
	FundedAt           sql.NullTime        `db:"funded_at"`
	ReleaseRequestedAt sql.NullTime        `db:"release_requested_at"`
	ReleasedAt         sql.NullTime        `db:"released_at"`
	RefundedAt         sql.NullTime        `db:"refunded_at"`
	CancelledAt        sql.NullTime        `db:"cancelled_at"`
	Version            int                 `db:"version"`
	CreatedAt          time.Time           `db:"created_at"`
	UpdatedAt          time.Time           `db:"updated_at"`
}

// Payout is the escrow's split: its amount, fee, retention and the transfer they leave.
func (e Escrow) Payout() escrow.Payout {
	return escrow.Payout{Amount: e.Amount, Fee: e.Fee, Retention: e.Retention, Transfer: e.Amount - e.Fee - e.Retention}
}

const escrowColumns = `id, milestone_id, contract_id, project_id, amount, currency, fee, retention, status, simulated,
payment_intent_id, client_secret, release_state, transfer_id, refund_id, funded_at, release_requested_at,
released_at, refunded_at, cancelled_at, version, created_at, updated_at`

// Posting is a stored ledger posting: Amount moved from Credit to Debit, for a
// milestone's escrow or (retention released) for the contract as a whole.
type Posting struct {
	ID          int64          `db:"id"`
	ContractID  string         `db:"contract_id"`
	MilestoneID sql.NullString `db:"milestone_id"`
	EscrowID    sql.NullString `db:"escrow_id"`
	escrow.Posting
	Currency  string    `db:"currency"`
	CreatedAt time.Time `db:"created_at"`
}

const postingColumns = `id, contract_id, milestone_id, escrow_id, kind, debit, credit, amount, currency, created_at`

// PostingBalances is the balance of each account over ps (debits less credits).
func PostingBalances(ps []Posting) escrow.Balances {
	b := escrow.Balances{}
	for _, p := range ps {
		b[p.Debit] += p.Amount
		b[p.Credit] -= p.Amount
	}
	return b
}

// PayoutAccount is a contractor company's Stripe Express account.
type PayoutAccount struct {
	EntityID         int64     `db:"entity_id"`
	StripeAccountID  string    `db:"stripe_account_id"`
	Simulated        bool      `db:"simulated"`
	DetailsSubmitted bool      `db:"details_submitted"`
	PayoutsEnabled   bool      `db:"payouts_enabled"` // can receive transfers
	CreatedAt        time.Time `db:"created_at"`
	UpdatedAt        time.Time `db:"updated_at"`
}

const payoutAccountColumns = `entity_id, stripe_account_id, simulated, details_submitted, payouts_enabled, created_at, updated_at`

// ContractSummary is a contract as the lists show it, with its milestones' totals.
type ContractSummary struct {
	Contract
	ProjectID       string `db:"project_id"`
	ProjectName     string `db:"project_name"`
	TenderTitle     string `db:"tender_title"`
	ContractorName  string `db:"contractor_name"`
	MilestonesTotal int64  `db:"milestones_total"` // the milestones' amounts
	Paid            int64  `db:"paid"`             // amounts of paid milestones
	InEscrow        int64  `db:"in_escrow"`        // funded, not yet transferred
	Milestones      int    `db:"milestones"`
}

// actorKey carries the acting user's id to the activity entries a write appends.
type actorKey struct{}

// WithActor returns ctx carrying userID as the actor of the activity entries that the
// escrow writes append (the system, NULL, without it: e.g. a Stripe webhook).
func WithActor(ctx context.Context, userID string) context.Context {
	return context.WithValue(ctx, actorKey{}, userID)
}

func actorOf(ctx context.Context) string {
	if id, ok := ctx.Value(actorKey{}).(string); ok && validUUID(id) {
		return id
	}
	return ""
}

// ---- reads ----

const (
	milestonesSQL            = `SELECT ` + milestoneColumns + ` FROM milestones WHERE contract_id = $1 ORDER BY position, created_at`
	milestoneSQL             = `SELECT ` + milestoneColumns + ` FROM milestones WHERE id = $1`
	escrowSQL                = `SELECT ` + escrowColumns + ` FROM escrows WHERE id = $1`
	liveEscrowSQL            = `SELECT ` + escrowColumns + ` FROM escrows WHERE milestone_id = $1 AND status NOT IN ('cancelled', 'refunded')`
	escrowsOfContractSQL     = `SELECT ` + escrowColumns + ` FROM escrows WHERE contract_id = $1 ORDER BY created_at, id`
	escrowsOfProjectSQL      = `SELECT ` + escrowColumns + ` FROM escrows WHERE project_id = $1 ORDER BY created_at, id`
	escrowByPaymentIntentSQL = `SELECT ` + escrowColumns + ` FROM escrows WHERE payment_intent_id = $1`
	postingsSQL              = `SELECT ` + postingColumns + ` FROM ledger_postings WHERE contract_id = $1 ORDER BY id`
	payoutAccountSQL         = `SELECT ` + payoutAccountColumns + ` FROM payout_accounts WHERE entity_id = $1`
	releasesOwedSQL          = `SELECT ` + escrowColumns + ` FROM escrows WHERE release_state = 'requested' ORDER BY release_requested_at, id LIMIT $1`
	retentionsOwedSQL        = `SELECT ` + contractColumns + ` FROM contracts WHERE retention_release_state = 'requested' ORDER BY id LIMIT $1`
)

// byID reads the one row query q finds for a uuid id; a malformed id is ErrNotFound.
func byID[T any](ctx context.Context, c *counted, q, id string) (T, error) {
	var v T
	if !validUUID(id) {
		return v, ErrNotFound
	}
	err := c.get(ctx, &v, q, id)
	return v, err
}

// listByID reads the rows query q lists for a uuid id; a malformed id lists none.
func listByID[T any](ctx context.Context, c *counted, q, id string) ([]T, error) {
	out := []T{}
	if !validUUID(id) {
		return out, nil
	}
	err := c.sel(ctx, &out, q, id)
	return out, err
}

// Milestones returns a contract's milestones by position.
func (s *Store) Milestones(ctx context.Context, contractID string) ([]Milestone, error) {
	return listByID[Milestone](ctx, s.q, milestonesSQL, contractID)
}

// Milestone returns a milestone by id (ErrNotFound).
func (s *Store) Milestone(ctx context.Context, id string) (Milestone, error) {
	return byID[Milestone](ctx, s.q, milestoneSQL, id)
}

// Escrow returns an escrow by id (ErrNotFound).
func (s *Store) Escrow(ctx context.Context, id string) (Escrow, error) {
	return byID[Escrow](ctx, s.q, escrowSQL, id)
}

// LiveEscrowOf returns the milestone's escrow that is neither cancelled nor refunded
// (ErrNotFound when none).
func (s *Store) LiveEscrowOf(ctx context.Context, milestoneID string) (Escrow, error) {
	return byID[Escrow](ctx, s.q, liveEscrowSQL, milestoneID)
}

// EscrowsOfContract returns every escrow of a contract, oldest first.
func (s *Store) EscrowsOfContract(ctx context.Context, contractID string) ([]Escrow, error) {
	return listByID[Escrow](ctx, s.q, escrowsOfContractSQL, contractID)
}

// EscrowsOfProject returns every escrow of a project's contracts, oldest first.
func (s *Store) EscrowsOfProject(ctx context.Context, projectID string) ([]Escrow, error) {
	return listByID[Escrow](ctx, s.q, escrowsOfProjectSQL, projectID)
}

// EscrowByPaymentIntent returns the escrow a Stripe PaymentIntent pays (ErrNotFound).
func (s *Store) EscrowByPaymentIntent(ctx context.Context, paymentIntentID string) (Escrow, error) {
	var e Escrow
	if paymentIntentID == "" {
		return e, ErrNotFound
	}
	err := s.q.get(ctx, &e, escrowByPaymentIntentSQL, paymentIntentID)
	return e, err
}

// Postings returns a contract's ledger postings in the order they were made.
func (s *Store) Postings(ctx context.Context, contractID string) ([]Posting, error) {
	return listByID[Posting](ctx, s.q, postingsSQL, contractID)
}

// PayoutAccount returns a company's payout account (ErrNotFound when it has none yet).
func (s *Store) PayoutAccount(ctx context.Context, entityID int64) (PayoutAccount, error) {
	var a PayoutAccount
	err := s.q.get(ctx, &a, payoutAccountSQL, entityID)
	return a, err
}

// ReleasesOwed returns up to limit escrows whose release was requested and whose transfer
// is not yet made, oldest request first: what the retry job works through.
func (s *Store) ReleasesOwed(ctx context.Context, limit int) ([]Escrow, error) {
	out := []Escrow{}
	err := s.q.sel(ctx, &out, releasesOwedSQL, max(limit, 1))
	return out, err
}

// RetentionReleasesOwed returns up to limit contracts whose retention release was
// requested and whose transfer is not yet made.
func (s *Store) RetentionReleasesOwed(ctx context.Context, limit int) ([]Contract, error) {
	out := []Contract{}
	err := s.q.sel(ctx, &out, retentionsOwedSQL, max(limit, 1))
	return out, err
}

// contractSummarySQL selects the summary columns; callers add the WHERE clause.
const contractSummarySQL = `
SELECT c.id, c.tender_id, c.bid_id, c.contractor_entity_id, c.contract_sum, c.currency, c.created_at,
       c.retention_bp, c.retention_release_state, c.retention_transfer_id, c.retention_released_at, c.version,
       t.project_id, p.name AS project_name, t.title AS tender_title, e.name AS contractor_name,
       COALESCE(m.total, 0) AS milestones_total, COALESCE(m.paid, 0) AS paid, COALESCE(m.n, 0) AS milestones,
       COALESCE(x.held, 0) AS in_escrow
FROM contracts c
JOIN tenders t ON t.id = c.tender_id
JOIN projects p ON p.id = t.project_id
JOIN entities e ON e.id = c.contractor_entity_id
LEFT JOIN LATERAL (
    SELECT sum(amount) AS total, sum(amount) FILTER (WHERE status = 'paid') AS paid, count(*) AS n
    FROM milestones WHERE contract_id = c.id) m ON true
LEFT JOIN LATERAL (
    SELECT sum(amount) AS held FROM escrows WHERE contract_id = c.id AND status = 'funded') x ON true
`

const (
	contractsOfEntitySQL  = contractSummarySQL + `WHERE c.contractor_entity_id = $1 ORDER BY c.created_at DESC, c.id`
	contractsOfProjectSQL = contractSummarySQL + `WHERE t.project_id = $1 ORDER BY c.created_at DESC, c.id`
	contractSummaryOfSQL  = contractSummarySQL + `WHERE c.id = $1`
	// The contracts of many projects, and the milestones of many contracts: a list page
	// or the dashboard reads them in one query each, whatever their number.
	contractsOfProjectsSQL   = contractSummarySQL + `WHERE t.project_id = ANY($1::uuid[]) ORDER BY c.created_at DESC, c.id`
	milestonesOfContractsSQL = `SELECT ` + milestoneColumns + ` FROM milestones WHERE contract_id = ANY($1::uuid[]) ORDER BY contract_id, position, created_at`
)

// ContractsOfProjects returns the contracts of the given projects, newest first.
func (s *Store) ContractsOfProjects(ctx context.Context, projectIDs []string) ([]ContractSummary, error) {
	out := []ContractSummary{}
	ids := validUUIDs(projectIDs)
	if len(ids) == 0 {
		return out, nil
	}
	err := s.q.sel(ctx, &out, contractsOfProjectsSQL, pq.Array(ids))
	return out, err
}

// MilestonesOfContracts returns the given contracts' milestones by contract, each by position.
func (s *Store) MilestonesOfContracts(ctx context.Context, contractIDs []string) (map[string][]Milestone, error) {
	out := map[string][]Milestone{}
	ids := validUUIDs(contractIDs)
	if len(ids) == 0 {
		return out, nil
	}
	var ms []Milestone
	if err := s.q.sel(ctx, &ms, milestonesOfContractsSQL, pq.Array(ids)); err != nil {
		return nil, err
	}
	for _, m := range ms {
		out[m.ContractID] = append(out[m.ContractID], m)
	}
	return out, nil
}

// validUUIDs keeps the well-formed ids (a malformed one names nothing).
func validUUIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if validUUID(id) {
			out = append(out, id)
		}
	}
	return out
}

// ContractsOfEntity returns the contracts a company is the contractor of, newest first.
func (s *Store) ContractsOfEntity(ctx context.Context, entityID int64) ([]ContractSummary, error) {
	out := []ContractSummary{}
	err := s.q.sel(ctx, &out, contractsOfEntitySQL, entityID)
	return out, err
}

// ContractSummaryOf returns one contract with its names and sums (ErrNotFound).
func (s *Store) ContractSummaryOf(ctx context.Context, id string) (ContractSummary, error) {
	return byID[ContractSummary](ctx, s.q, contractSummaryOfSQL, id)
}

// ContractsOfProject returns a project's contracts, newest first.
func (s *Store) ContractsOfProject(ctx context.Context, projectID string) ([]ContractSummary, error) {
	out := []ContractSummary{}
	if !validUUID(projectID) {
		return out, nil
	}
	err := s.q.sel(ctx, &out, contractsOfProjectSQL, projectID)
	return out, err
}

// ---- locking ----

// lockedContract is a contract locked for a write, with its project.
type lockedContract struct {
	Contract
	ProjectID string `db:"project_id"`
}

const (
	lockContractSQL = `SELECT ` + contractColumns + `,
    (SELECT project_id FROM tenders t WHERE t.id = contracts.tender_id) AS project_id
FROM contracts WHERE id = $1 FOR UPDATE`
	milestoneContractSQL = `SELECT contract_id FROM milestones WHERE id = $1`
	escrowContractSQL    = `SELECT contract_id FROM escrows WHERE id = $1`
	lockMilestoneSQL     = `SELECT ` + milestoneColumns + ` FROM milestones WHERE id = $1 FOR UPDATE`
	lockEscrowSQL        = `SELECT ` + escrowColumns + ` FROM escrows WHERE id = $1 FOR UPDATE`
	lockLiveEscrowSQL    = liveEscrowSQL + ` FOR UPDATE`
	milestoneAmountsSQL  = `SELECT amount FROM milestones WHERE contract_id = $1 AND id <> $2 ORDER BY position`
)

func (tx *Tx) lockContract(ctx context.Context, id string) (lockedContract, error) {
	var c lockedContract
	if !validUUID(id) {
		return c, ErrNotFound
	}
	err := tx.q.get(ctx, &c, lockContractSQL, id)
	return c, err
}

// lockMilestone locks a milestone's contract, then the milestone. A milestone's contract
// never changes, so reading it unlocked first is safe.
func (tx *Tx) lockMilestone(ctx context.Context, id string) (lockedContract, Milestone, error) {
	var m Milestone
	if !validUUID(id) {
		return lockedContract{}, m, ErrNotFound
	}
	var contractID string
	if err := tx.q.get(ctx, &contractID, milestoneContractSQL, id); err != nil {
		return lockedContract{}, m, err
	}
	c, err := tx.lockContract(ctx, contractID)
	if err != nil {
		return c, m, err
	}
	err = tx.q.get(ctx, &m, lockMilestoneSQL, id)
	return c, m, err
}

// lockEscrow locks an escrow's contract, then its milestone and the escrow.
func (tx *Tx) lockEscrow(ctx context.Context, id string) (lockedContract, Milestone, Escrow, error) {
	var e Escrow
	if !validUUID(id) {
		return lockedContract{}, Milestone{}, e, ErrNotFound
	}
	var contractID string
	if err := tx.q.get(ctx, &contractID, escrowContractSQL, id); err != nil {
		return lockedContract{}, Milestone{}, e, err
	}
	c, err := tx.lockContract(ctx, contractID)
	if err != nil {
		return c, Milestone{}, e, err
	}
	if err := tx.q.get(ctx, &e, lockEscrowSQL, id); err != nil {
		return c, Milestone{}, e, err
	}
	var m Milestone
	err = tx.q.get(ctx, &m, lockMilestoneSQL, e.MilestoneID)
	return c, m, e, err
}

// liveEscrow is the milestone's live escrow, locked; ok false when it has none.
func (tx *Tx) liveEscrow(ctx context.Context, milestoneID string) (Escrow, bool, error) {
	var e Escrow
	err := tx.q.get(ctx, &e, lockLiveEscrowSQL, milestoneID)
	if errors.Is(err, ErrNotFound) {
		return e, false, nil
	}
	return e, err == nil, err
}

// ---- ledger and activity ----

const insertPostingSQL = `
INSERT INTO ledger_postings (contract_id, milestone_id, escrow_id, kind, debit, credit, amount, currency, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// post writes ps for the contract (and the escrow and its milestone, when e.ID is set).
func (tx *Tx) post(ctx context.Context, c lockedContract, e Escrow, ps []escrow.Posting, now time.Time) error {
	for _, p := range ps {
		if _, err := tx.q.exec(ctx, insertPostingSQL, c.ID, nullUUID(e.MilestoneID), nullUUID(e.ID),
			p.Kind, p.Debit, p.Credit, p.Amount, strings.ToLower(c.Currency), now); err != nil {
			return err
		}
	}
	return nil
}

// activity appends kind to the contract's project's chain, with what every escrow entry
// says (contract, milestone, currency) and more.
func (tx *Tx) activity(ctx context.Context, c lockedContract, kind tender.Kind, m Milestone, now time.Time, more map[string]string) error {
	content := map[string]string{"contract_id": c.ID, "currency": c.Currency}
	if m.ID != "" {
		content["milestone_id"] = m.ID
		content["milestone"] = m.Title
		content["amount"] = strconv.FormatInt(m.Amount, 10)
	}
	for k, v := range more {
		content[k] = v
	}
	return tx.appendActivity(ctx, c.ProjectID, tender.Entry{Kind: kind, TenderID: c.TenderID, ActorID: actorOf(ctx),
		At: now, Content: content})
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }

// ---- milestones ----

const (
	maxMilestoneTitle = 200
	maxMilestoneText  = 4000
)

// checkMilestone is the per-field check of a milestone's input.
func checkMilestone(in *MilestoneInput) field.Errors {
	errs := field.Errors{}
	in.Title = strings.TrimSpace(in.Title)
	in.Description = strings.TrimSpace(in.Description)
	switch {
	case in.Title == "":
		errs.Add("title", "Enter a title.")
	case utf8.RuneCountInString(in.Title) > maxMilestoneTitle:
		errs.Add("title", "Use at most 200 characters.")
	}
	if utf8.RuneCountInString(in.Description) > maxMilestoneText {
		errs.Add("description", "Use at most 4000 characters.")
	}
	if in.Amount <= 0 {
		errs.Add("amount", "Enter an amount more than zero.")
	}
	if in.DueDate != nil && (in.DueDate.Year() < 2000 || in.DueDate.Year() > 2200) {
		errs.Add("dueDate", "Enter a date between 2000 and 2200.")
	}
	return errs
}

// checkSum refuses amount beside the contract's other milestones (all but exceptID) when
// their total would exceed the contract sum: the excess and what remains, in money.
func (tx *Tx) checkSum(ctx context.Context, c lockedContract, exceptID string, amount int64) error {
	var amounts []int64
	if exceptID == "" {
		exceptID = "00000000-0000-0000-0000-000000000000"
	}
	if err := tx.q.sel(ctx, &amounts, milestoneAmountsSQL, c.ID, exceptID); err != nil {
		return err
	}
	remaining, err := escrow.ValidateMilestones(c.ContractSum, amounts)
	if err != nil {
		return err // the others already exceed it: a broken invariant, not input
	}
	if _, err := escrow.ValidateMilestones(c.ContractSum, append(amounts, amount)); err != nil {
		var se *escrow.SumError
		if errors.As(err, &se) && !se.NotPositive {
			return &FieldsRefused{Fields: field.Errors{"amount": "This amount exceeds the contract sum by " +
				money.FormatCode(amount-remaining, c.Currency) + " (remaining " + money.FormatCode(remaining, c.Currency) + ")."}}
		}
		return &FieldsRefused{Fields: field.Errors{"amount": "Enter an amount more than zero."}}
	}
	return nil
}

func dueDate(d *time.Time) sql.NullTime {
	if d == nil {
		return sql.NullTime{}
	}
	y, m, day := d.Date()
	return sql.NullTime{Time: time.Date(y, m, day, 0, 0, 0, 0, time.UTC), Valid: true}
}

const (
	insertMilestoneSQL = `
INSERT INTO milestones (id, contract_id, position, title, description, due_date, amount, created_at, updated_at)
VALUES ($1, $2, (SELECT COALESCE(max(position), 0) + 1 FROM milestones WHERE contract_id = $2), $3, $4, $5, $6, $7, $7)
RETURNING ` + milestoneColumns
	updateMilestoneSQL = `
UPDATE milestones SET title = $2, description = $3, due_date = $4, amount = $5, updated_at = $6, version = version + 1
WHERE id = $1 RETURNING ` + milestoneColumns
)

// AddMilestone adds a milestone at the end of a contract's list. *FieldsRefused when the
// input is invalid or the milestones' total would exceed the contract sum ("amount" names
// the excess and what remains); ErrNotFound for no such contract.
func (s *Store) AddMilestone(ctx context.Context, contractID string, in MilestoneInput) (Milestone, error) {
	var m Milestone
	if errs := checkMilestone(&in); errs.Any() {
		return m, refused(errs)
	}
	now := tender.LedgerTime(time.Now())
	err := s.WithTx(ctx, func(tx *Tx) error {
		c, err := tx.lockContract(ctx, contractID)
		if err != nil {
			return err
		}
		if err := tx.checkSum(ctx, c, "", in.Amount); err != nil {
			return err
		}
		return tx.q.get(ctx, &m, insertMilestoneSQL, newUUID(), c.ID, in.Title, in.Description, dueDate(in.DueDate), in.Amount, now)
	})
	return m, err
}

// errChanged refuses a write based on an old version.
var errChanged = &escrow.StateError{Message: "This milestone was changed by someone else; reload it and try again."}

// UpdateMilestone changes a planned milestone at version (else *escrow.StateError: not
// planned, or changed by someone else). Its amount cannot change while a payment into
// escrow is under way (cancel it first).
func (s *Store) UpdateMilestone(ctx context.Context, id string, version int, in MilestoneInput) (Milestone, error) {
	var m Milestone
	if errs := checkMilestone(&in); errs.Any() {
		return m, refused(errs)
	}
	now := tender.LedgerTime(time.Now())
	err := s.WithTx(ctx, func(tx *Tx) error {
		c, cur, err := tx.lockMilestone(ctx, id)
		if err != nil {
			return err
		}
		if !cur.Status.Editable() {
			return &escrow.StateError{Message: "Only a planned milestone can be edited."}
		}
		if cur.Version != version {
			return errChanged
		}
		if in.Amount != cur.Amount {
			if _, live, err := tx.liveEscrow(ctx, id); err != nil {
				return err
			} else if live {
				return &escrow.StateError{Message: "A payment for this milestone has been started; cancel it before changing the amount."}
			}
			if err := tx.checkSum(ctx, c, id, in.Amount); err != nil {
				return err
			}
		}
		return tx.q.get(ctx, &m, updateMilestoneSQL, id, in.Title, in.Description, dueDate(in.DueDate), in.Amount, now)
	})
	return m, err
}

const (
	milestoneHistorySQL = `SELECT count(*) FROM escrows WHERE milestone_id = $1 AND status <> 'cancelled'`
	deleteCancelledSQL  = `DELETE FROM escrows WHERE milestone_id = $1 AND status = 'cancelled'`
	deleteMilestoneSQL  = `DELETE FROM milestones WHERE id = $1`
	closeGapSQL         = `UPDATE milestones SET position = position - 1 WHERE contract_id = $1 AND position > $2`
)

// DeleteMilestone deletes a planned milestone that has no payment under way or in its
// past (*escrow.StateError), and closes the gap in the positions.
func (s *Store) DeleteMilestone(ctx context.Context, id string) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		c, m, err := tx.lockMilestone(ctx, id)
		if err != nil {
			return err
		}
		if !m.Status.Editable() {
			return &escrow.StateError{Message: "Only a planned milestone can be deleted."}
		}
		var n int
		if err := tx.q.get(ctx, &n, milestoneHistorySQL, id); err != nil {
			return err
		}
		if n > 0 {
			return &escrow.StateError{Message: "This milestone has a payment under way or in its history; it cannot be deleted."}
		}
		if _, err := tx.q.exec(ctx, deleteCancelledSQL, id); err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, deleteMilestoneSQL, id); err != nil {
			return err
		}
		_, err = tx.q.exec(ctx, closeGapSQL, c.ID, m.Position)
		return err
	})
}

const (
	milestoneCountSQL = `SELECT count(*) FROM milestones WHERE contract_id = $1`
	// Move the milestone from $2 to $3 within contract $1, shifting those between.
	moveMilestoneSQL = `
UPDATE milestones SET position = CASE
    WHEN position = $2::int THEN $3::int
    WHEN $2::int < $3::int THEN position - 1
    ELSE position + 1 END,
  updated_at = $4
WHERE contract_id = $1 AND position BETWEEN LEAST($2::int, $3::int) AND GREATEST($2::int, $3::int)`
)

// MoveMilestone moves a milestone to position (clamped to 1..n), shifting the others so
// positions stay 1..n. Any state: the order is only how the list reads.
func (s *Store) MoveMilestone(ctx context.Context, id string, position int) error {
	now := tender.LedgerTime(time.Now())
	return s.WithTx(ctx, func(tx *Tx) error {
		c, m, err := tx.lockMilestone(ctx, id)
		if err != nil {
			return err
		}
		var n int
		if err := tx.q.get(ctx, &n, milestoneCountSQL, c.ID); err != nil {
			return err
		}
		position = min(max(position, 1), n)
		if position == m.Position {
			return nil
		}
		_, err = tx.q.exec(ctx, moveMilestoneSQL, c.ID, m.Position, position, now)
		return err
	})
}

const (
	escrowsStartedSQL = `SELECT count(*) FROM escrows WHERE contract_id = $1 AND status <> 'cancelled'`
	setRetentionSQL   = `UPDATE contracts SET retention_bp = $2, version = version + 1 WHERE id = $1`
)

// SetRetention sets the retention withheld from each milestone's payment, in basis points
// (0..escrow.MaxRetentionBP, else *FieldsRefused "retention"), only before any payment into
// escrow is under way (*escrow.StateError).
func (s *Store) SetRetention(ctx context.Context, contractID string, bp int) error {
	if !escrow.ValidRetentionBP(bp) {
		return &FieldsRefused{Fields: field.Errors{"retention": "Enter a retention between 0 % and 20 %."}}
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		c, err := tx.lockContract(ctx, contractID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.q.get(ctx, &n, escrowsStartedSQL, c.ID); err != nil {
			return err
		}
		if n > 0 {
			if c.RetentionBP == bp {
				return nil
			}
			return &escrow.StateError{Message: "Retention cannot change once a milestone's payment has started."}
		}
		return tx.q.execOne(ctx, setRetentionSQL, c.ID, bp)
	})
}

// ---- escrow: funding ----

const (
	contractAmountsSQL = `SELECT amount FROM milestones WHERE contract_id = $1 ORDER BY position`
	insertEscrowSQL    = `
INSERT INTO escrows (id, milestone_id, contract_id, project_id, amount, currency, fee, retention, simulated, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
RETURNING ` + escrowColumns
)

// OpenEscrow opens the escrow a planned milestone is paid into: its fee and retention
// fixed now (escrow.Split at the contract's retention). Only once the milestones add up
// to the contract sum exactly (else *escrow.StateError saying what is left to allocate).
// When a pending escrow exists already it is returned with created false.
func (s *Store) OpenEscrow(ctx context.Context, milestoneID string, simulated bool) (Escrow, bool, error) {
	var e Escrow
	created := false
	now := tender.LedgerTime(time.Now())
	err := s.WithTx(ctx, func(tx *Tx) error {
		c, m, err := tx.lockMilestone(ctx, milestoneID)
		if err != nil {
			return err
		}
		live, ok, err := tx.liveEscrow(ctx, milestoneID)
		if err != nil {
			return err
		}
		if ok && live.Status == escrow.EscrowPending {
			e = live
			return nil
		}
		if ok {
			return &escrow.StateError{Message: "This milestone is already funded."}
		}
		if _, err := m.Status.Next(escrow.ActFund); err != nil {
			return err
		}
		var amounts []int64
		if err := tx.q.sel(ctx, &amounts, contractAmountsSQL, c.ID); err != nil {
			return err
		}
		if !escrow.FundingAllowed(c.ContractSum, amounts) {
			rem, _ := escrow.ValidateMilestones(c.ContractSum, amounts)
			return escrow.FundingError(rem, c.Currency)
		}
		p := escrow.Split(m.Amount, c.RetentionBP)
		created = true
		return tx.q.get(ctx, &e, insertEscrowSQL, newUUID(), m.ID, c.ID, c.ProjectID, p.Amount,
			strings.ToLower(c.Currency), p.Fee, p.Retention, simulated, now)
	})
	return e, created, err
}

const setPaymentIntentSQL = `
UPDATE escrows SET payment_intent_id = $2, client_secret = $3, updated_at = $4, version = version + 1 WHERE id = $1`

// SetPaymentIntent records the Stripe PaymentIntent (and its client secret for the
// Payment Element) that pays a pending escrow (else *escrow.StateError).
func (s *Store) SetPaymentIntent(ctx context.Context, escrowID, paymentIntentID, clientSecret string) error {
	now := tender.LedgerTime(time.Now())
	return s.WithTx(ctx, func(tx *Tx) error {
		_, _, e, err := tx.lockEscrow(ctx, escrowID)
		if err != nil {
			return err
		}
		if e.Status != escrow.EscrowPending {
			return &escrow.StateError{Message: "Only a payment not yet made can be started."}
		}
		return tx.q.execOne(ctx, setPaymentIntentSQL, e.ID, paymentIntentID, sql.NullString{String: clientSecret, Valid: clientSecret != ""}, now)
	})
}

const recordStripeEventSQL = `INSERT INTO stripe_events (id, type) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`

// RecordStripeEvent records a Stripe event by id inside tx: fresh is false when it was
// recorded before (a replay: do nothing). A concurrent delivery of the same event waits
// for the first transaction and then finds it recorded.
func (s *Store) RecordStripeEvent(ctx context.Context, tx *Tx, id, typ string) (fresh bool, err error) {
	if id == "" {
		return false, errors.New("record stripe event: no id")
	}
	res, err := tx.q.exec(ctx, recordStripeEventSQL, id, typ)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

const (
	escrowIDByPaymentIntentSQL = `SELECT id FROM escrows WHERE payment_intent_id = $1`
	fundEscrowSQL              = `
UPDATE escrows SET status = 'funded', funded_at = $2, updated_at = $2, version = version + 1 WHERE id = $1
RETURNING ` + escrowColumns
	fundMilestoneSQL = `
UPDATE milestones SET status = $2, disputed_from = $3, updated_at = $4, version = version + 1 WHERE id = $1`
)

// FundEscrow applies Stripe's payment_intent.succeeded (or the simulator's stand-in) for
// paymentIntentID, in one transaction with the event's record: a replayed event id changes
// nothing (changed false, no error); an unknown PaymentIntent returns the zero Escrow,
// false, nil; an escrow not pending (cancelled, already funded: events out of order)
// is returned unchanged. Otherwise the escrow becomes funded, its milestone funded (or, if
// disputed meanwhile, disputed from funded), the funding postings and the
// "milestone.funded" activity entry are written.
func (s *Store) FundEscrow(ctx context.Context, eventID, eventType, paymentIntentID string) (Escrow, bool, error) {
	var e Escrow
	changed := false
	now := tender.LedgerTime(time.Now())
	err := s.WithTx(ctx, func(tx *Tx) error {
		fresh, err := s.RecordStripeEvent(ctx, tx, eventID, eventType)
		if err != nil {
			return err
		}
		var id string
		if paymentIntentID == "" {
			return nil
		}
		if err := tx.q.get(ctx, &id, escrowIDByPaymentIntentSQL, paymentIntentID); errors.Is(err, ErrNotFound) {
			return nil // not ours, or not yet recorded: nothing to change
		} else if err != nil {
			return err
		}
		c, m, cur, err := tx.lockEscrow(ctx, id)
		if err != nil {
			return err
		}
		e = cur
		if !fresh {
			return nil
		}
		if _, err := cur.Status.Next(escrow.ActFundSucceeded); err != nil {
			return nil // not pending: out of order, recorded and ignored
		}
		ms, from := m.Status, m.DisputedFrom
		switch {
		case m.Status == escrow.MilestoneDisputed && from.String == string(escrow.MilestonePlanned):
			from = sql.NullString{String: string(escrow.MilestoneFunded), Valid: true}
		default:
			if ms, err = m.Status.Next(escrow.ActFundSucceeded); err != nil {
				return err // a live pending escrow with its milestone past planned: a broken invariant
			}
		}
		if err := tx.q.get(ctx, &e, fundEscrowSQL, cur.ID, now); err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, fundMilestoneSQL, m.ID, ms, from, now); err != nil {
			return err
		}
		if err := tx.post(ctx, c, e, escrow.FundingPostings(e.Amount), now); err != nil {
			return err
		}
		changed = true
		more := map[string]string{"escrow_id": e.ID, "payment_intent_id": paymentIntentID, "simulated": strconv.FormatBool(e.Simulated)}
		if err := tx.activity(ctx, c, tender.KindMilestoneFunded, m, now, more); err != nil {
			return err
		}
		return tx.mailMilestone(ctx, c, m, "funded", true)
	})
	return e, changed, err
}

// ---- milestone steps ----

const (
	completeMilestoneSQL = `
UPDATE milestones SET status = $2, completion_note = $3, completed_at = $4, updated_at = $4, version = version + 1
WHERE id = $1 RETURNING ` + milestoneColumns
	approveMilestoneSQL = `
UPDATE milestones SET status = $2, approved_at = $3, updated_at = $3, version = version + 1
WHERE id = $1 RETURNING ` + milestoneColumns
	disputeMilestoneSQL = `
UPDATE milestones SET status = 'disputed', disputed_from = $2, dispute_reason = $3, updated_at = $4, version = version + 1
WHERE id = $1 RETURNING ` + milestoneColumns
	resolveMilestoneSQL = `
UPDATE milestones SET status = $2, disputed_from = NULL, updated_at = $3, version = version + 1
WHERE id = $1 RETURNING ` + milestoneColumns
)

// requiredText is a milestone's note or reason trimmed, or *FieldsRefused under name when
// it is empty (with ifEmpty) or longer than maxMilestoneText.
func requiredText(name, text, ifEmpty string) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", &FieldsRefused{Fields: field.Errors{name: ifEmpty}}
	case utf8.RuneCountInString(text) > maxMilestoneText:
		return "", &FieldsRefused{Fields: field.Errors{name: "Use at most 4000 characters."}}
	}
	return text, nil
}

// CompleteMilestone marks a funded milestone complete with the contractor's note
// (*FieldsRefused "note" when empty or too long; *escrow.StateError when not funded).
func (s *Store) CompleteMilestone(ctx context.Context, id, note string) (Milestone, error) {
	var m Milestone
	note, err := requiredText("note", note, "Describe the work done.")
	if err != nil {
		return m, err
	}
	now := tender.LedgerTime(time.Now())
	err = s.WithTx(ctx, func(tx *Tx) error {
		c, cur, err := tx.lockMilestone(ctx, id)
		if err != nil {
			return err
		}
		next, err := cur.Status.Next(escrow.ActComplete)
		if err != nil {
			return err
		}
		if err := tx.q.get(ctx, &m, completeMilestoneSQL, id, next, note, now); err != nil {
			return err
		}
		if err := tx.activity(ctx, c, tender.KindMilestoneCompleted, m, now, map[string]string{"note": note}); err != nil {
			return err
		}
		return tx.mailMilestone(ctx, c, m, "marked complete", false)
	})
	return m, err
}

// ApproveMilestone approves a completed milestone (else *escrow.StateError).
func (s *Store) ApproveMilestone(ctx context.Context, id string) (Milestone, error) {
	var m Milestone
	now := tender.LedgerTime(time.Now())
	err := s.WithTx(ctx, func(tx *Tx) error {
		c, cur, err := tx.lockMilestone(ctx, id)
		if err != nil {
			return err
		}
		next, err := cur.Status.Next(escrow.ActApprove)
		if err != nil {
			return err
		}
		if err := tx.q.get(ctx, &m, approveMilestoneSQL, id, next, now); err != nil {
			return err
		}
		return tx.activity(ctx, c, tender.KindMilestoneApproved, m, now, nil)
	})
	return m, err
}

// DisputeMilestone freezes a milestone not yet paid (*FieldsRefused "reason" when the
// reason is empty; *escrow.StateError when paid, already disputed, or its release
// already requested: the transfer is then owed).
func (s *Store) DisputeMilestone(ctx context.Context, id, reason string) (Milestone, error) {
	var m Milestone
	reason, err := requiredText("reason", reason, "Say what is disputed.")
	if err != nil {
		return m, err
	}
	now := tender.LedgerTime(time.Now())
	err = s.WithTx(ctx, func(tx *Tx) error {
		c, cur, err := tx.lockMilestone(ctx, id)
		if err != nil {
			return err
		}
		if _, err := cur.Status.Next(escrow.ActDispute); err != nil {
			return err
		}
		if e, ok, err := tx.liveEscrow(ctx, id); err != nil {
			return err
		} else if ok && e.ReleaseState != escrow.ReleaseNone {
			return &escrow.StateError{Message: "The payment was already released; it cannot be disputed."}
		}
		if err := tx.q.get(ctx, &m, disputeMilestoneSQL, id, cur.Status, reason, now); err != nil {
			return err
		}
		return tx.activity(ctx, c, tender.KindMilestoneDisputed, m, now, map[string]string{"reason": reason, "from": string(cur.Status)})
	})
	return m, err
}

// ResolveDispute ends a milestone's dispute: back to the state it froze (else
// *escrow.StateError).
func (s *Store) ResolveDispute(ctx context.Context, id string) (Milestone, error) {
	var m Milestone
	now := tender.LedgerTime(time.Now())
	err := s.WithTx(ctx, func(tx *Tx) error {
		c, cur, err := tx.lockMilestone(ctx, id)
		if err != nil {
			return err
		}
		next, err := cur.Status.Resume(escrow.MilestoneStatus(cur.DisputedFrom.String))
		if err != nil {
			return err
		}
		if err := tx.q.get(ctx, &m, resolveMilestoneSQL, id, next, now); err != nil {
			return err
		}
		return tx.activity(ctx, c, tender.KindMilestoneResolved, m, now, map[string]string{"to": string(next)})
	})
	return m, err
}

// ---- release ----

const (
	requestReleaseSQL = `
UPDATE escrows SET release_state = 'requested', release_requested_at = $2, updated_at = $2, version = version + 1
WHERE id = $1 RETURNING ` + escrowColumns
	completeReleaseSQL = `
UPDATE escrows SET status = $2, release_state = 'sent', transfer_id = $3, released_at = $4, updated_at = $4, version = version + 1
WHERE id = $1 RETURNING ` + escrowColumns
	payMilestoneSQL = `
UPDATE milestones SET status = $2, paid_at = $3, updated_at = $3, version = version + 1 WHERE id = $1`
)

// RequestRelease is the owner's release of a funded escrow whose milestone is approved:
// release state requested, the release postings (transfer payable, fee, retention held)
// and the "escrow.released" entry, in one transaction. When the release was already
// requested or sent it returns the escrow with changed false and no error (a double
// click, a retry); any other state is an *escrow.StateError. The transfer follows
// (CompleteRelease).
func (s *Store) RequestRelease(ctx context.Context, escrowID string) (Escrow, bool, error) {
	var e Escrow
	changed := false
	now := tender.LedgerTime(time.Now())
	err := s.WithTx(ctx, func(tx *Tx) error {
		c, m, cur, err := tx.lockEscrow(ctx, escrowID)
		if err != nil {
			return err
		}
		e = cur
		if cur.ReleaseState != escrow.ReleaseNone {
			return nil
		}
		if err := escrow.CanRelease(cur.Status, cur.ReleaseState, m.Status); err != nil {
			return err
		}
		if err := tx.q.get(ctx, &e, requestReleaseSQL, cur.ID, now); err != nil {
			return err
		}
		p := e.Payout()
		if err := tx.post(ctx, c, e, escrow.ReleasePostings(p), now); err != nil {
			return err
		}
		changed = true
		return tx.activity(ctx, c, tender.KindEscrowReleased, m, now, map[string]string{"escrow_id": e.ID,
			"fee": i64(p.Fee), "retention": i64(p.Retention), "transfer": i64(p.Transfer)})
	})
	return e, changed, err
}

// CompleteRelease records the transfer Stripe made for a requested release: the escrow
// released, its milestone paid, the transfer postings and the "escrow.transferred" entry.
// Already sent: the escrow unchanged, no error. Not requested: *escrow.StateError.
func (s *Store) CompleteRelease(ctx context.Context, escrowID, transferID string) (Escrow, error) {
	var e Escrow
	now := tender.LedgerTime(time.Now())
	err := s.WithTx(ctx, func(tx *Tx) error {
		c, m, cur, err := tx.lockEscrow(ctx, escrowID)
		if err != nil {
			return err
		}
		e = cur
		switch cur.ReleaseState {
		case escrow.ReleaseSent:
			return nil
		case escrow.ReleaseNone:
			return &escrow.StateError{Message: "The release was not requested."}
		}
		st, err := cur.Status.Next(escrow.ActRelease)
		if err != nil {
			return err
		}
		ms, err := m.Status.Next(escrow.ActRelease)
		if err != nil {
			return err
		}
		if err := tx.q.get(ctx, &e, completeReleaseSQL, cur.ID, st, sql.NullString{String: transferID, Valid: transferID != ""}, now); err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, payMilestoneSQL, m.ID, ms, now); err != nil {
			return err
		}
		p := e.Payout()
		if err := tx.post(ctx, c, e, escrow.TransferPostings(p.Transfer), now); err != nil {
			return err
		}
		if err := tx.activity(ctx, c, tender.KindEscrowTransferred, m, now, map[string]string{"escrow_id": e.ID,
			"transfer": i64(p.Transfer), "transfer_id": transferID}); err != nil {
			return err
		}
		return tx.mailMilestone(ctx, c, m, "paid", true)
	})
	return e, err
}

// ---- cancel and refund ----

const (
	cancelEscrowSQL = `UPDATE escrows SET status = $2, cancelled_at = $3, updated_at = $3, version = version + 1 WHERE id = $1`
	refundEscrowSQL = `
UPDATE escrows SET status = $2, refund_id = $3, refunded_at = $4, updated_at = $4, version = version + 1
WHERE id = $1 RETURNING ` + escrowColumns
	refundMilestoneSQL = `
UPDATE milestones SET status = $2, disputed_from = NULL, completion_note = '', completed_at = NULL, approved_at = NULL,
  updated_at = $3, version = version + 1
WHERE id = $1`
)

// CancelEscrow cancels a milestone's pending escrow before it is funded; the milestone
// stays planned and may be funded again. No pending escrow: *escrow.StateError.
func (s *Store) CancelEscrow(ctx context.Context, milestoneID string) error {
	now := tender.LedgerTime(time.Now())
	return s.WithTx(ctx, func(tx *Tx) error {
		if _, _, err := tx.lockMilestone(ctx, milestoneID); err != nil {
			return err
		}
		e, ok, err := tx.liveEscrow(ctx, milestoneID)
		if err != nil {
			return err
		}
		if !ok {
			return &escrow.StateError{Message: "This milestone has no payment under way."}
		}
		st, err := e.Status.Next(escrow.ActCancel)
		if err != nil {
			return err
		}
		return tx.q.execOne(ctx, cancelEscrowSQL, e.ID, st, now)
	})
}

// RequestRefund checks that an escrow may be refunded now (funded, its release not
// requested: else *escrow.StateError) and returns it: the caller then asks Stripe and
// records the refund with CompleteRefund.
func (s *Store) RequestRefund(ctx context.Context, escrowID string) (Escrow, error) {
	var e Escrow
	err := s.WithTx(ctx, func(tx *Tx) error {
		_, _, cur, err := tx.lockEscrow(ctx, escrowID)
		if err != nil {
			return err
		}
		e = cur
		if cur.Status == escrow.EscrowRefunded {
			return nil
		}
		return escrow.CanRefund(cur.Status, cur.ReleaseState)
	})
	return e, err
}

// CompleteRefund records an escrow's refund to the owner: the escrow refunded, its
// milestone planned again (a new escrow may fund it), the refund postings and the
// "escrow.refunded" entry. Already refunded: unchanged, no error; otherwise not funded or
// its release requested: *escrow.StateError.
func (s *Store) CompleteRefund(ctx context.Context, escrowID, refundID string) (Escrow, error) {
	var e Escrow
	now := tender.LedgerTime(time.Now())
	err := s.WithTx(ctx, func(tx *Tx) error {
		c, m, cur, err := tx.lockEscrow(ctx, escrowID)
		if err != nil {
			return err
		}
		e = cur
		if cur.Status == escrow.EscrowRefunded {
			return nil
		}
		if err := escrow.CanRefund(cur.Status, cur.ReleaseState); err != nil {
			return err
		}
		st, err := cur.Status.Next(escrow.ActRefund)
		if err != nil {
			return err
		}
		ms, err := m.Status.Next(escrow.ActRefund)
		if err != nil {
			return err
		}
		if err := tx.q.get(ctx, &e, refundEscrowSQL, cur.ID, st, sql.NullString{String: refundID, Valid: refundID != ""}, now); err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, refundMilestoneSQL, m.ID, ms, now); err != nil {
			return err
		}
		if err := tx.post(ctx, c, e, escrow.RefundPostings(e.Amount), now); err != nil {
			return err
		}
		return tx.activity(ctx, c, tender.KindEscrowRefunded, m, now, map[string]string{"escrow_id": e.ID, "refund_id": refundID})
	})
	return e, err
}

// ---- retention ----

const (
	unpaidMilestonesSQL = `SELECT count(*) FILTER (WHERE status <> 'paid') AS unpaid, count(*) AS "all" FROM milestones WHERE contract_id = $1`
	retentionHeldSQL    = `SELECT COALESCE(sum(retention), 0) FROM escrows WHERE contract_id = $1 AND release_state <> 'none'`
	requestRetentionSQL = `UPDATE contracts SET retention_release_state = $2, version = version + 1 WHERE id = $1`
	sendRetentionSQL    = `
UPDATE contracts SET retention_release_state = 'sent', retention_transfer_id = $2, retention_released_at = $3, version = version + 1
WHERE id = $1`
)

// RetentionHeld is the retention a contract's released escrows withheld.
func (s *Store) RetentionHeld(ctx context.Context, contractID string) (int64, error) {
	var n int64
	if !validUUID(contractID) {
		return 0, ErrNotFound
	}
	err := s.q.get(ctx, &n, retentionHeldSQL, contractID)
	return n, err
}

// RequestRetentionRelease releases a contract's retention once every milestone is paid
// (else *escrow.StateError): the retention_released postings (held → contractor
// payable) and the "retention.released" entry; with nothing held it is sent at once.
// Already requested or sent: the contract unchanged, changed false.
func (s *Store) RequestRetentionRelease(ctx context.Context, contractID string) (Contract, bool, error) {
	var out Contract
	changed := false
	now := tender.LedgerTime(time.Now())
	err := s.WithTx(ctx, func(tx *Tx) error {
		c, err := tx.lockContract(ctx, contractID)
		if err != nil {
			return err
		}
		out = c.Contract
		if c.RetentionReleaseState != escrow.ReleaseNone {
			return nil
		}
		var counts struct {
			Unpaid int `db:"unpaid"`
			All    int `db:"all"`
		}
		if err := tx.q.get(ctx, &counts, unpaidMilestonesSQL, c.ID); err != nil {
			return err
		}
		if counts.All == 0 || counts.Unpaid > 0 {
			return &escrow.StateError{Message: "Retention is released once every milestone is paid."}
		}
		var held int64
		if err := tx.q.get(ctx, &held, retentionHeldSQL, c.ID); err != nil {
			return err
		}
		next := escrow.ReleaseRequested
		if held == 0 {
			next = escrow.ReleaseSent
		}
		if err := tx.q.execOne(ctx, requestRetentionSQL, c.ID, next); err != nil {
			return err
		}
		if err := tx.post(ctx, c, Escrow{}, escrow.RetentionReleasePostings(held), now); err != nil {
			return err
		}
		changed = true
		out.RetentionReleaseState, out.Version = next, c.Version+1
		return tx.activity(ctx, c, tender.KindRetentionReleased, Milestone{}, now, map[string]string{"retention": i64(held)})
	})
	return out, changed, err
}

// CompleteRetentionRelease records the retention's transfer: sent, the transfer postings
// and an "escrow.transferred" entry for the retention. Already sent: unchanged, no error;
// not requested: *escrow.StateError.
func (s *Store) CompleteRetentionRelease(ctx context.Context, contractID, transferID string) (Contract, error) {
	var out Contract
	now := tender.LedgerTime(time.Now())
	err := s.WithTx(ctx, func(tx *Tx) error {
		c, err := tx.lockContract(ctx, contractID)
		if err != nil {
			return err
		}
		out = c.Contract
		switch c.RetentionReleaseState {
		case escrow.ReleaseSent:
			return nil
		case escrow.ReleaseNone:
			return &escrow.StateError{Message: "The retention's release was not requested."}
		}
		var held int64
		if err := tx.q.get(ctx, &held, retentionHeldSQL, c.ID); err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, sendRetentionSQL, c.ID, sql.NullString{String: transferID, Valid: transferID != ""}, now); err != nil {
			return err
		}
		if err := tx.post(ctx, c, Escrow{}, escrow.TransferPostings(held), now); err != nil {
			return err
		}
		if err := tx.activity(ctx, c, tender.KindEscrowTransferred, Milestone{}, now,
			map[string]string{"retention": i64(held), "transfer": i64(held), "transfer_id": transferID}); err != nil {
			return err
		}
		return tx.q.get(ctx, &out, contractSQL, c.ID)
	})
	return out, err
}

// ---- payout accounts ----

const (
	upsertPayoutAccountSQL = `
INSERT INTO payout_accounts (entity_id, stripe_account_id, simulated, details_submitted, payouts_enabled)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (entity_id) DO UPDATE SET stripe_account_id = EXCLUDED.stripe_account_id, simulated = EXCLUDED.simulated,
  details_submitted = EXCLUDED.details_submitted, payouts_enabled = EXCLUDED.payouts_enabled, updated_at = now()`
	setAccountStateSQL = `
UPDATE payout_accounts SET details_submitted = $2, payouts_enabled = $3, updated_at = now() WHERE stripe_account_id = $1`
)

// UpsertPayoutAccount records a company's payout account (one per company).
func (s *Store) UpsertPayoutAccount(ctx context.Context, a PayoutAccount) error {
	if a.StripeAccountID == "" {
		return errors.New("payout account: no Stripe account id")
	}
	_, err := s.q.exec(ctx, upsertPayoutAccountSQL, a.EntityID, a.StripeAccountID, a.Simulated, a.DetailsSubmitted, a.PayoutsEnabled)
	return err
}

// SetAccountState records Stripe's account.updated for an account (ErrNotFound when
// it is not one of ours).
func (s *Store) SetAccountState(ctx context.Context, stripeAccountID string, detailsSubmitted, payoutsEnabled bool) error {
	return s.q.execOne(ctx, setAccountStateSQL, stripeAccountID, detailsSubmitted, payoutsEnabled)
}
