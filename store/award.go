package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/14build/14build/escrow"
	"github.com/14build/14build/events"
	"github.com/14build/14build/tender"
)

// Contract is what an award makes: the winning bid's total, in the tender's currency, with
// the bidder's company as contractor.
type Contract struct {
	ID                 string    `db:"id"`
	TenderID           string    `db:"tender_id"`
	BidID              string    `db:"bid_id"`
	ContractorEntityID int64     `db:"contractor_entity_id"`
	ContractSum        int64     `db:"contract_sum"` // minor units of Currency
	Currency           string    `db:"currency"`
	CreatedAt          time.Time `db:"created_at"`

	// Retention (issue 14): RetentionBP of each milestone's payment is withheld, and paid
	// out in one transfer once every milestone is paid (RetentionReleaseState).
	RetentionBP           int                 `db:"retention_bp"`
	RetentionReleaseState escrow.ReleaseState `db:"retention_release_state"`
	RetentionTransferID   sql.NullString      `db:"retention_transfer_id"`
	RetentionReleasedAt   sql.NullTime        `db:"retention_released_at"`
	Version               int                 `db:"version"`
}

const contractColumns = `id, tender_id, bid_id, contractor_entity_id, contract_sum, currency, created_at,
retention_bp, retention_release_state, retention_transfer_id, retention_released_at, version`

const (
	contractSQL         = `SELECT ` + contractColumns + ` FROM contracts WHERE id = $1`
	contractOfTenderSQL = `SELECT ` + contractColumns + ` FROM contracts WHERE tender_id = $1`
)

// Contract returns a contract by id.
func (s *Store) Contract(ctx context.Context, id string) (Contract, error) {
	var c Contract
	if !validUUID(id) {
		return c, ErrNotFound
	}
	err := s.q.get(ctx, &c, contractSQL, id)
	return c, err
}

// ContractOfTender returns the contract an awarded tender made (ErrNotFound before).
func (s *Store) ContractOfTender(ctx context.Context, tenderID string) (Contract, error) {
	var c Contract
	if !validUUID(tenderID) {
		return c, ErrNotFound
	}
	err := s.q.get(ctx, &c, contractOfTenderSQL, tenderID)
	return c, err
}

// awardBidSQL locks bid $1 of tender $2 with what the contract needs: its total, its
// bidder's company and the currency of the tender's SOQ.
const awardBidSQL = `
SELECT b.status, b.revision, b.total, b.entity_id, b.content_hash, q.currency
FROM bids b
JOIN tenders t ON t.id = b.tender_id
JOIN soqs q ON q.id = t.soq_id
WHERE b.id = $1 AND b.tender_id = $2
FOR UPDATE OF b`

type awardedBid struct {
	Status      tender.BidStatus `db:"status"`
	Revision    int              `db:"revision"`
	Total       int64            `db:"total"`
	EntityID    int64            `db:"entity_id"`
	ContentHash []byte           `db:"content_hash"`
	Currency    string           `db:"currency"`
}

// losingStatuses are the bid statuses tender.BidStatus.Unsuccessful accepts: the SQL
// below asks the domain rather than repeating it.
var losingStatuses = func() pq.StringArray {
	var out pq.StringArray
	for _, s := range tender.BidStatuses {
		if _, err := s.Unsuccessful(); err == nil {
			out = append(out, string(s))
		}
	}
	return out
}()

const (
	// The other bids of tender $1 (not $2) in the statuses $4 lose.
	markUnsuccessfulSQL = `
UPDATE bids SET status = $3, updated_at = $5
WHERE tender_id = $1 AND id <> $2 AND status = ANY($4::text[])`
	markAwardedSQL = `UPDATE bids SET status = $2, updated_at = $3 WHERE id = $1`
	awardTenderSQL = `
UPDATE tenders SET status = $2, awarded_at = $3, updated_at = $3, version = version + 1 WHERE id = $1`
	insertContractSQL = `
INSERT INTO contracts (id, tender_id, bid_id, contractor_entity_id, contract_sum, currency, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING ` + contractColumns
)

// AwardBid awards a closed tender to one of its submitted bids at now, in one
// transaction: the tender's row locked (so concurrent awards take turns, and all but the
// first find it Awarded), tender.Status.Award (else *tender.TransitionError), the bid of
// this tender (else ErrNotFound) and BidStatus.Award (else *tender.BidTransitionError),
// every other submitted bid made unsuccessful, the contract inserted for the bid's total
// with the bidder's company as contractor, and the "awarded" ledger entry by actorID.
func (s *Store) AwardBid(ctx context.Context, tenderID, bidID, actorID string, now time.Time) (Contract, error) {
	var c Contract
	if !validUUID(bidID) {
		return c, ErrNotFound
	}
	now = tender.LedgerTime(now) // the contract and the entry record the same instant
	err := s.WithTx(ctx, func(tx *Tx) error {
		l, err := tx.lockTender(ctx, tenderID)
		if err != nil {
			return err
		}
		next, err := l.Status.Award()
		if err != nil {
			return err
		}
		var b awardedBid
		if err := tx.q.get(ctx, &b, awardBidSQL, bidID, tenderID); err != nil {
			return err
		}
		won, err := b.Status.Award()
		if err != nil {
			return err
		}
		if _, err := tx.q.exec(ctx, markUnsuccessfulSQL, tenderID, bidID, tender.BidUnsuccessful, losingStatuses, now); err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, markAwardedSQL, bidID, won, now); err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, awardTenderSQL, tenderID, next, now); err != nil {
			return err
		}
		if err := tx.q.get(ctx, &c, insertContractSQL, newUUID(), tenderID, bidID, b.EntityID, b.Total, b.Currency, now); err != nil {
			return err
		}
		if err := tx.appendActivity(ctx, l.ProjectID, tender.Entry{Kind: tender.KindAwarded, TenderID: tenderID, ActorID: actorID, At: now,
			Content: map[string]string{
				"bid_id":       bidID,
				"revision":     strconv.Itoa(b.Revision),
				"content_hash": hex.EncodeToString(b.ContentHash),
				"contract_id":  c.ID,
				"contract_sum": strconv.FormatInt(b.Total, 10),
				"currency":     b.Currency,
			}}); err != nil {
			return err
		}
		if err := tx.mailAward(ctx, tenderID, bidID); err != nil { // award and "unsuccessful" notices (outbox.go)
			return err
		}
		return tx.emit(ctx, events.Change{Kind: events.TenderAwarded, ProjectID: l.ProjectID, TenderID: tenderID, BidID: bidID,
			UserID: actorID})
	})
	if err != nil {
		return Contract{}, err
	}
	return c, nil
}
