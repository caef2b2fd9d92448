package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"

	"github.com/14build/14build/drafting"
	"github.com/14build/14build/field"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/tender"
)

// WorkPackage is a saved work package with its items (in SOQ order) and value (the sum of
// their stored amounts). DependsOn holds the sequences of the packages it waits for.
type WorkPackage struct {
	ID           string         `db:"id"`
	ProjectID    string         `db:"project_id"`
	SOQID        string         `db:"soq_id"`
	Trade        string         `db:"trade"`
	Title        string         `db:"title"`
	Phase        string         `db:"phase"`
	Sequence     int            `db:"sequence"`
	DurationDays int            `db:"duration_days"`
	DependsOn    pq.Int64Array  `db:"depends_on_seq"`
	CreatedByAI  bool           `db:"created_by_ai"`
	CreatedAt    time.Time      `db:"created_at"`
	TenderID     sql.NullString `db:"tender_id"`
	TenderSOQID  sql.NullString `db:"tender_soq_id"`
	Value        int64          `db:"value"`
	ItemIDs      pq.StringArray `db:"item_ids"`
}

// PackagesRefused is a set of packages that breaks drafting.CheckPackages against the
// SOQ's current items (it may have changed since the proposal).
type PackagesRefused struct{ Fields field.Errors }

func (e *PackagesRefused) Error() string { return "work packages refused" }

// ErrPackagesHaveTenders refuses to replace an SOQ's packages once one has a tender.
var ErrPackagesHaveTenders = errors.New("a package of this SOQ already has a tender")

// ErrPackageHasTender refuses a second tender for one package.
var ErrPackageHasTender = errors.New("the package already has a tender")

// planningItemsSQL is an SOQ's ($1) items as the package planner reads them, in order.
const planningItemsSQL = `
SELECT i.id, i.reference, i.description, s.code, s.title, COALESCE(c.name, '') AS trade, i.item_type, i.unit,
       (i.quantity * 1000)::bigint AS quantity, i.amount
FROM soq_items i
JOIN soq_sections s ON s.id = i.section_id
LEFT JOIN categories c ON c.id = i.category_id
WHERE i.soq_id = $1
ORDER BY s.position, s.id, i.position, i.id`

// PlanningItems returns an SOQ's items for drafting packages.
func (s *Store) PlanningItems(ctx context.Context, soqID string) ([]drafting.Item, error) {
	return planningItems(ctx, s.q, soqID)
}

func planningItems(ctx context.Context, q *counted, soqID string) ([]drafting.Item, error) {
	return scanRows(ctx, q, func(r *sql.Rows, it *drafting.Item) error {
		return r.Scan(&it.ID, &it.Reference, &it.Description, &it.SectionCode, &it.SectionTitle, &it.Trade, &it.Type, &it.Unit,
			&it.Quantity, &it.Amount)
	}, planningItemsSQL, soqID)
}

// workPackagesSQL is a project's ($1) packages, optionally of one SOQ ($2, or NULL), by
// SOQ and sequence, with their items, value and dependencies as sequences.
const workPackagesSQL = `
SELECT p.id, p.project_id, p.soq_id, p.trade, p.title, p.phase, p.sequence, p.duration_days, p.created_by_ai,
       p.created_at, p.tender_id, p.tender_soq_id,
       ARRAY(SELECT d.sequence FROM work_packages d WHERE d.id = ANY(p.depends_on) ORDER BY d.sequence)::bigint[] AS depends_on_seq,
       COALESCE((SELECT sum(i.amount) FROM work_package_items w JOIN soq_items i ON i.id = w.soq_item_id WHERE w.package_id = p.id), 0)::bigint AS value,
       ARRAY(SELECT w.soq_item_id::text FROM work_package_items w JOIN soq_items i ON i.id = w.soq_item_id
             WHERE w.package_id = p.id ORDER BY i.position, i.id) AS item_ids
FROM work_packages p
WHERE p.project_id = $1 AND ($2::uuid IS NULL OR p.soq_id = $2)
ORDER BY p.soq_id, p.sequence`

// WorkPackages lists a project's packages (of one SOQ when soqID is not "").
func (s *Store) WorkPackages(ctx context.Context, projectID, soqID string) ([]WorkPackage, error) {
	var soqArg any
	if soqID != "" {
		if !validUUID(soqID) {
			return nil, nil
		}
		soqArg = soqID
	}
	var out []WorkPackage
	err := s.q.sel(ctx, &out, workPackagesSQL, projectID, soqArg)
	return out, err
}

// WorkPackage returns one package of the project.
func (s *Store) WorkPackage(ctx context.Context, projectID, id string) (WorkPackage, error) {
	if !validUUID(id) {
		return WorkPackage{}, ErrNotFound
	}
	ps, err := s.WorkPackages(ctx, projectID, "")
	if err != nil {
		return WorkPackage{}, err
	}
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
	}
	return WorkPackage{}, ErrNotFound
}

// packageRow is one package as written (jsonb_to_recordset).
type packageRow struct {
	ID           string   `json:"id"`
	Trade        string   `json:"trade"`
	Title        string   `json:"title"`
	Phase        string   `json:"phase"`
	Sequence     int      `json:"sequence"`
	DurationDays int      `json:"duration_days"`
	DependsOn    []string `json:"depends_on"`
}

type packageItemRow struct {
	PackageID string `json:"package_id"`
	ItemID    string `json:"item_id"`
}

const (
	insertPackagesSQL = `
INSERT INTO work_packages (id, project_id, soq_id, trade, title, phase, sequence, duration_days, depends_on, created_by_ai, created_by)
SELECT p.id, $1, $2, p.trade, p.title, p.phase, p.sequence, p.duration_days,
       ARRAY(SELECT jsonb_array_elements_text(p.depends_on))::uuid[], $4, $5
FROM jsonb_to_recordset($3::jsonb) AS p(id uuid, trade text, title text, phase text, sequence int, duration_days int, depends_on jsonb)`
	insertPackageItemsSQL = `
INSERT INTO work_package_items (package_id, soq_item_id)
SELECT w.package_id, w.item_id FROM jsonb_to_recordset($1::jsonb) AS w(package_id uuid, item_id uuid)`
)

// ReplaceWorkPackages makes ps the SOQ's packages, in one transaction: the SOQ is held
// (FOR SHARE) so its items cannot change meanwhile, the packages are checked against its
// current items (else *PackagesRefused), and the SOQ's earlier packages are replaced,
// unless one has a tender (ErrPackagesHaveTenders). The packages' values are filled.
func (s *Store) ReplaceWorkPackages(ctx context.Context, projectID, soqID, userID string, ps []drafting.Package, createdByAI bool) error {
	if !validUUID(soqID) {
		return ErrUnknownSOQ
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		var owner string
		if err := tx.q.get(ctx, &owner, `SELECT project_id FROM soqs WHERE id = $1 FOR SHARE`, soqID); err != nil {
			if errors.Is(err, ErrNotFound) {
				return ErrUnknownSOQ
			}
			return err
		}
		if owner != projectID {
			return ErrUnknownSOQ
		}
		items, err := planningItems(ctx, tx.q, soqID)
		if err != nil {
			return err
		}
		if errs := drafting.CheckPackages(ps, items); errs.Any() {
			return &PackagesRefused{Fields: errs}
		}
		// The rows are locked: a tender being made from one of them (CreatePackageTender
		// locks its package) is either seen here or waits for this replace.
		var tendered []bool
		if err := tx.q.sel(ctx, &tendered, `SELECT tender_id IS NOT NULL FROM work_packages WHERE soq_id = $1 FOR UPDATE`, soqID); err != nil {
			return err
		}
		if slices.Contains(tendered, true) {
			return ErrPackagesHaveTenders
		}
		if _, err := tx.q.exec(ctx, `DELETE FROM work_packages WHERE soq_id = $1`, soqID); err != nil {
			return err
		}
		idOf := map[int]string{}
		for _, p := range ps {
			idOf[p.Sequence] = newUUID()
		}
		rows := make([]packageRow, len(ps))
		var links []packageItemRow
		for i, p := range ps {
			rows[i] = packageRow{ID: idOf[p.Sequence], Trade: strings.TrimSpace(p.Trade), Title: strings.TrimSpace(p.Title), Phase: p.Phase,
				Sequence: p.Sequence, DurationDays: p.DurationDays, DependsOn: []string{}}
			for _, d := range p.DependsOn {
				rows[i].DependsOn = append(rows[i].DependsOn, idOf[d])
			}
			for _, id := range p.ItemIDs {
				links = append(links, packageItemRow{PackageID: rows[i].ID, ItemID: id})
			}
		}
		rj, err := json.Marshal(rows)
		if err != nil {
			return err
		}
		lj, err := json.Marshal(links)
		if err != nil {
			return err
		}
		var by any
		if userID != "" {
			by = userID
		}
		if _, err := tx.q.exec(ctx, insertPackagesSQL, projectID, soqID, rj, createdByAI, by); err != nil {
			return fmt.Errorf("insert packages: %w", err)
		}
		if _, err := tx.q.exec(ctx, insertPackageItemsSQL, lj); err != nil {
			return fmt.Errorf("insert package items: %w", err)
		}
		return nil
	})
}

// Copying a package's items into an SOQ of their own ($1 the new SOQ; sections: $2 the
// package's SOQ, $3 the package; items: $2 the package): its sections that hold a package
// item, then those items, renumbered in the SOQ's order. Amounts are copied as stored (they were computed by soq.Amount).
const (
	copyPackageSectionsSQL = `
INSERT INTO soq_sections (id, soq_id, code, title, position)
SELECT gen_random_uuid(), $1, s.code, s.title, row_number() OVER (ORDER BY s.position, s.id)
FROM soq_sections s
WHERE s.soq_id = $2 AND EXISTS (
    SELECT 1 FROM soq_items i JOIN work_package_items w ON w.soq_item_id = i.id AND w.package_id = $3
    WHERE i.section_id = s.id)`
	copyPackageItemsSQL = `
INSERT INTO soq_items (id, soq_id, section_id, reference, description, unit, quantity, rate, item_type, category_id, position, amount)
SELECT gen_random_uuid(), $1, ns.id, i.reference, i.description, i.unit, i.quantity, i.rate, i.item_type, i.category_id,
       row_number() OVER (ORDER BY os.position, os.id, i.position, i.id), i.amount
FROM work_package_items w
JOIN soq_items i ON i.id = w.soq_item_id
JOIN soq_sections os ON os.id = i.section_id
JOIN soq_sections ns ON ns.soq_id = $1 AND lower(ns.code) = lower(os.code)
WHERE w.package_id = $2`
)

// PackageTenderDays is how far ahead a package's draft tender closes (editable before it
// opens).
const PackageTenderDays = 14

// CreatePackageTender turns a package into a draft tender scoped to its items. A tender
// takes a whole SOQ, so the package's items are first copied into a new SOQ of their own
// (issued, so the tender can open once its details are set); the draft tender is on that
// SOQ, open to the package's trade category when it names one. One transaction; a
// package has at most one tender (ErrPackageHasTender).
func (s *Store) CreatePackageTender(ctx context.Context, projectID, packageID, userID string, now time.Time) (string, error) {
	if !validUUID(packageID) {
		return "", ErrNotFound
	}
	tenderID := newUUID()
	err := s.WithTx(ctx, func(tx *Tx) error {
		var p struct {
			SOQID    string         `db:"soq_id"`
			Title    string         `db:"title"`
			Trade    string         `db:"trade"`
			TenderID sql.NullString `db:"tender_id"`
			SOQTitle string         `db:"soq_title"`
			Currency string         `db:"currency"`
		}
		if err := tx.q.get(ctx, &p, `
SELECT p.soq_id, p.title, p.trade, p.tender_id, s.title AS soq_title, s.currency
FROM work_packages p JOIN soqs s ON s.id = p.soq_id
WHERE p.project_id = $1 AND p.id = $2
FOR UPDATE OF p`, projectID, packageID); err != nil {
			return err
		}
		if p.TenderID.Valid {
			return ErrPackageHasTender
		}
		soqID := newUUID()
		title := clipText(p.Title+" — "+p.SOQTitle, 200)
		if _, err := tx.q.exec(ctx, `INSERT INTO soqs (id, project_id, title, currency, status, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
			soqID, projectID, title, p.Currency, soq.Issued, userID); err != nil {
			return err
		}
		if _, err := tx.q.exec(ctx, copyPackageSectionsSQL, soqID, p.SOQID, packageID); err != nil {
			return fmt.Errorf("copy sections: %w", err)
		}
		res, err := tx.q.exec(ctx, copyPackageItemsSQL, soqID, packageID)
		if err != nil {
			return fmt.Errorf("copy items: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNothingToTender
		}
		var cats []int64
		if err := tx.q.sel(ctx, &cats, `SELECT id FROM categories WHERE lower(name) = lower($1)`, p.Trade); err != nil {
			return err
		}
		in := NewTender{SOQID: soqID, Title: clipText(p.Title, 200), Sealed: true, CategoryIDs: cats,
			ClosesAt:     now.Add(PackageTenderDays * 24 * time.Hour).UTC().Truncate(time.Minute),
			Instructions: "Work package " + p.Title + ": the items of this package only."}
		if _, err := tx.q.exec(ctx, insertTenderSQL, tenderID, projectID, in.SOQID, in.Title, in.Instructions, in.ClosesAt,
			in.Sealed, in.AllowLateBids, in.ScopeByTrade, userID); err != nil {
			return tenderWriteError(err)
		}
		if err := tx.setTenderLists(ctx, tenderID, in); err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, `UPDATE work_packages SET tender_id = $2, tender_soq_id = $3 WHERE id = $1`, packageID, tenderID, soqID); err != nil {
			return err
		}
		return tx.appendActivity(ctx, projectID, tender.Entry{Kind: tender.KindCreated, TenderID: tenderID, ActorID: userID,
			At: now, Content: map[string]string{"title": in.Title}})
	})
	return tenderID, err
}

// clipText keeps at most n characters of s.
func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
