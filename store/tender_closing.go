package store

import (
	"context"
	"time"

	"github.com/14build/14build/events"
	"github.com/14build/14build/tender"
)

// The closing job's side of the store (package jobs runs it): which tenders are due to
// close, and closing one only if it still is, decided under the tender's row lock.

// tendersDueSQL is every open tender whose closing time is at or before $1 and which does
// not take late bids (tenders_status_closes_idx, if any, or a scan of the open ones).
const tendersDueSQL = `
SELECT id FROM tenders
WHERE status = 'open' AND NOT allow_late_bids AND closes_at <= $1
ORDER BY closes_at, id`

// TendersDueToClose lists the open tenders past their closing time at now that the
// closing job closes: those allowing late bids stay open until the team closes them (see
// CloseTenderIfDue). One query.
func (s *Store) TendersDueToClose(ctx context.Context, now time.Time) ([]string, error) {
	ids := []string{}
	err := s.q.sel(ctx, &ids, tendersDueSQL, now.UTC())
	return ids, err
}

const lockTenderDueSQL = `SELECT project_id, status, closes_at, allow_late_bids FROM tenders WHERE id = $1 FOR UPDATE`

// CloseTenderIfDue closes tender id for the system (no actor) if, under its row's lock,
// it is still open, its closing time is at or before now, and it does not allow late
// bids; it reports whether it closed it. Anything else is a no-op, not an error, so the
// job scheduled at the opening's closing time and the minute's sweep may both run, in any
// order, any number of times: a tender already closed or cancelled, or whose closing time
// an addendum moved later, is left as it is. An unknown tender is ErrNotFound.
//
// Late bids: a tender that allows them takes bids after its closing time only while it
// is open (lockTenderForBid), and its prices stay sealed until it is closed
// (tender.Seal.Shows); closing it here would end the late bids the owner allowed and
// unseal the bids before the late ones arrive. So it stays open until the team closes it
// (POST /api/tenders/{id}/close, allowed at any time after the closing time), and only
// then is it leveled.
//
// The transition and ledger entry are CloseTender's (tender.Status.Close, "closed" with
// no actor), repeated here because they must be decided under the same lock as the
// closing time.
func (s *Store) CloseTenderIfDue(ctx context.Context, id string, now time.Time) (bool, error) {
	if !validUUID(id) {
		return false, ErrNotFound
	}
	closed := false
	err := s.WithTx(ctx, func(tx *Tx) error {
		var l struct {
			ProjectID string        `db:"project_id"`
			Status    tender.Status `db:"status"`
			ClosesAt  time.Time     `db:"closes_at"`
			AllowLate bool          `db:"allow_late_bids"`
		}
		if err := tx.q.get(ctx, &l, lockTenderDueSQL, id); err != nil {
			return err
		}
		if l.Status != tender.Open || l.AllowLate || l.ClosesAt.After(now) {
			return nil
		}
		next, err := l.Status.Close()
		if err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, `UPDATE tenders SET status = $2, closed_at = $3, updated_at = $3, version = version + 1 WHERE id = $1`,
			id, next, now.UTC()); err != nil {
			return err
		}
		closed = true
		if err := tx.appendActivity(ctx, l.ProjectID, tender.Entry{Kind: tender.KindClosed, TenderID: id, At: now}); err != nil {
			return err
		}
		if err := tx.mailTenderClosed(ctx, id); err != nil {
			return err
		}
		return tx.emit(ctx, events.Change{Kind: events.TenderClosed, ProjectID: l.ProjectID, TenderID: id})
	})
	return closed && err == nil, err
}
