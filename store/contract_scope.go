package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// contractScopeSQL finds a contract with its tender's project through the contract's id, a
// milestone's ($2) or an escrow's ($3): the one route parameter given.
var contractScopeSQL = `SELECT ` + contractColumnsK + `, t.project_id
FROM contracts k JOIN tenders t ON t.id = k.tender_id
WHERE k.id = COALESCE($1::uuid, (SELECT contract_id FROM milestones WHERE id = $2::uuid),
	(SELECT contract_id FROM escrows WHERE id = $3::uuid))`

// contractColumnsK is contractColumns qualified by the alias k.
var contractColumnsK = "k." + strings.ReplaceAll(strings.ReplaceAll(contractColumns, "\n", " "), ", ", ", k.")

// ContractScope returns the contract a route names (by its own id, or through one of its
// milestones or escrows: the first non-empty id is used) and its project's id. An unknown or
// malformed id is ErrNotFound.
func (s *Store) ContractScope(ctx context.Context, contractID, milestoneID, escrowID string) (Contract, string, error) {
	var args [3]any
	for i, id := range []string{contractID, milestoneID, escrowID} {
		if id == "" {
			continue
		}
		if !validUUID(id) {
			return Contract{}, "", ErrNotFound
		}
		args[i] = id
		break
	}
	if args == [3]any{} {
		return Contract{}, "", ErrNotFound
	}
	var row struct {
		Contract
		ProjectID string `db:"project_id"`
	}
	err := s.db.GetContext(ctx, &row, contractScopeSQL, args[0], args[1], args[2])
	if errors.Is(err, sql.ErrNoRows) {
		return Contract{}, "", ErrNotFound
	}
	if err != nil {
		return Contract{}, "", err
	}
	return row.Contract, row.ProjectID, nil
}
