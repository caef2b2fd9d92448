package store

import (
	"context"

	"github.com/14build/14build/mail"
)

const (
	// contractorAddrsSQL: the contractor company's active bidders (who complete and are paid).
	contractorAddrsSQL = `SELECT email::text FROM users WHERE entity_id = $1 AND role = 'bidder' AND active ORDER BY email`
	// projectOwnerAddrsSQL: the project's owner (who approves and releases).
	projectOwnerAddrsSQL = `SELECT u.email::text FROM projects p JOIN users u ON u.id = p.owner_id WHERE p.id = $1 AND u.active`
)

// mailMilestone writes a milestone's notice in the transaction of its change, so it exists
// if and only if the change committed: "funded" and "paid" go to the contractor's people,
// "marked complete" to the project's owner.
func (tx *Tx) mailMilestone(ctx context.Context, c lockedContract, m Milestone, what string, toContractor bool) error {
	_, mt, err := tx.mailTender(ctx, c.TenderID)
	if err != nil {
		return err
	}
	var to []string
	if toContractor {
		err = tx.q.sel(ctx, &to, contractorAddrsSQL, c.ContractorEntityID)
	} else {
		err = tx.q.sel(ctx, &to, projectOwnerAddrsSQL, c.ProjectID)
	}
	if err != nil {
		return err
	}
	return tx.enqueueEach(ctx, mail.KindMilestone, to, mail.Milestone(mt, c.ID, m.Title, what), c.ProjectID, c.TenderID)
}
