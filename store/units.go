package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/14build/14build/units"
)

// ErrUnitNumberTaken is returned when a unit number is already used in the project.
var ErrUnitNumberTaken = errors.New("unit number already used in this project")

// Unit is a unit of a project with its floors. Areas are hundredths of a square metre.
type Unit struct {
	ID                string     `db:"id"`
	ProjectID         string     `db:"project_id"`
	UnitNumber        string     `db:"unit_number"`
	UnitType          string     `db:"unit_type"`
	TotalArea         units.Area `db:"total_area"`
	NumberOfFloors    int        `db:"number_of_floors"`
	NumberOfRooms     int        `db:"number_of_rooms"`
	NumberOfBathrooms int        `db:"number_of_bathrooms"`
	CreatedByAI       bool       `db:"created_by_ai"`
	Version           int64      `db:"version"`
	CreatedAt         time.Time  `db:"created_at"`
	UpdatedAt         time.Time  `db:"updated_at"`
	Floors            []Floor    `db:"-"`
}

// Floor is one floor of a unit.
type Floor struct {
	UnitID      string     `db:"unit_id"`
	FloorNumber int        `db:"floor_number"`
	FloorArea   units.Area `db:"floor_area"`
}

// unitsSQL is a project's units in unit-number order. Areas are numeric square metres in
// the table and hundredths (units.Area) here.
const unitsSQL = `
SELECT id, project_id, unit_number, unit_type, (total_floor_area * 100)::bigint AS total_area,
       number_of_floors, number_of_rooms, number_of_bathrooms, created_by_ai, version, created_at, updated_at
FROM units
WHERE project_id = $1
ORDER BY lower(unit_number), id`

// Units lists a project's units with their floors: two queries, whatever the count.
func (s *Store) Units(ctx context.Context, projectID string) ([]Unit, error) {
	var us []Unit
	if err := s.q.sel(ctx, &us, unitsSQL, projectID); err != nil {
		return nil, err
	}
	return us, s.attachFloors(ctx, s.q, us)
}

// unitsOfSQL is the units of projects $1 (uuid[]), in no order: UnitsOf orders them. (For
// the 500 units of a 50-project page, PostgreSQL's sort cost 1.5 ms of its CPU per request,
// measured, against 0.1 ms in Go.) Times are microseconds since 1970: lib/pq parses
// timestamps from text (6% of the list's CPU, profiled) but reads a bigint in binary.
const unitsOfSQL = `
SELECT id, project_id, unit_number, unit_type, (total_floor_area * 100)::bigint AS total_area,
       number_of_floors, number_of_rooms, number_of_bathrooms, created_by_ai, version,
       (extract(epoch FROM created_at) * 1000000)::bigint AS created_us,
       (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_us
FROM units
WHERE project_id = ANY($1)`

// floorsOfProjectsSQL is the floors of the units of projects $1 (uuid[]), in no order.
// Selected by project, not by unit: the parameter is the page's few project ids, not every
// unit's. A separate statement rather than arrays aggregated per unit: the aggregation (a
// lateral subquery or a grouped join) cost PostgreSQL 1.5–9 ms per page against 0.5 ms for
// this join, measured with EXPLAIN ANALYZE.
const floorsOfProjectsSQL = `
SELECT f.unit_id, f.floor_number, (f.floor_area * 100)::bigint AS floor_area
FROM unit_floors f
JOIN units u ON u.id = f.unit_id
WHERE u.project_id = ANY($1)`

// UnitsOf loads the units of several projects with their floors, keyed by project id: two
// queries, whatever the number of projects or units, scanned by hand.
func (s *Store) UnitsOf(ctx context.Context, projectIDs []string) (map[string][]Unit, error) {
	out := make(map[string][]Unit, len(projectIDs))
	if len(projectIDs) == 0 {
		return out, nil
	}
	ids := pq.Array(projectIDs)
	var created, updated int64
	us, err := scanRows(ctx, s.q, func(r *sql.Rows, u *Unit) error {
		err := r.Scan(&u.ID, &u.ProjectID, &u.UnitNumber, &u.UnitType, &u.TotalArea, &u.NumberOfFloors,
			&u.NumberOfRooms, &u.NumberOfBathrooms, &u.CreatedByAI, &u.Version, &created, &updated)
		u.CreatedAt, u.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
		return err
	}, unitsOfSQL, ids)
	if err != nil {
		return nil, err
	}
	fs, err := scanRows(ctx, s.q, func(r *sql.Rows, f *Floor) error {
		return r.Scan(&f.UnitID, &f.FloorNumber, &f.FloorArea)
	}, floorsOfProjectsSQL, ids)
	if err != nil {
		return nil, err
	}
	idx := make(map[string]int, len(us))
	for i, u := range us {
		idx[u.ID] = i
	}
	for _, f := range fs {
		// A unit added between the two reads has no row here; its floors wait for the
		// next read.
		if i, ok := idx[f.UnitID]; ok {
			us[i].Floors = append(us[i].Floors, f)
		}
	}
	// The order Units gives (lower(unit_number) under the database's C.UTF-8 collation,
	// which compares code points, as Go compares strings); numbers are unique per project
	// case-insensitively, so there are no ties. The keys are lowered once and an index is
	// sorted: lowering in the comparison, and swapping whole units, cost a tenth of the
	// request's CPU (profiled).
	keys := make([]string, len(us))
	order := make([]int, len(us))
	for i := range us {
		keys[i], order[i] = strings.ToLower(us[i].UnitNumber), i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(us[a].ProjectID, us[b].ProjectID), cmp.Compare(keys[a], keys[b]), cmp.Compare(us[a].ID, us[b].ID))
	})
	for _, i := range order {
		u := us[i]
		slices.SortFunc(u.Floors, func(a, b Floor) int { return cmp.Compare(a.FloorNumber, b.FloorNumber) })
		out[u.ProjectID] = append(out[u.ProjectID], u)
	}
	return out, nil
}

// floorsOfSQL is the floors of units $1 (uuid[]).
const floorsOfSQL = `
SELECT unit_id, floor_number, (floor_area * 100)::bigint AS floor_area
FROM unit_floors
WHERE unit_id = ANY($1)
ORDER BY unit_id, floor_number`

// scanRows runs q and scans each row with scan, in the order of the query's columns.
func scanRows[T any](ctx context.Context, q *counted, scan func(*sql.Rows, *T) error, query string, args ...any) ([]T, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Store) attachFloors(ctx context.Context, q *counted, us []Unit) error {
	if len(us) == 0 {
		return nil
	}
	ids := make([]string, len(us))
	idx := make(map[string]int, len(us))
	for i, u := range us {
		ids[i] = u.ID
		idx[u.ID] = i
	}
	var fs []Floor
	if err := q.sel(ctx, &fs, floorsOfSQL, pq.Array(ids)); err != nil {
		return err
	}
	for _, f := range fs {
		i := idx[f.UnitID]
		us[i].Floors = append(us[i].Floors, f)
	}
	return nil
}

const unitSQL = `
SELECT id, project_id, unit_number, unit_type, (total_floor_area * 100)::bigint AS total_area,
       number_of_floors, number_of_rooms, number_of_bathrooms, created_by_ai, version, created_at, updated_at
FROM units
WHERE project_id = $1 AND id = $2`

// Unit returns one unit of the project, with its floors.
func (s *Store) Unit(ctx context.Context, projectID, unitID string) (Unit, error) {
	if !validUUID(unitID) {
		return Unit{}, ErrNotFound
	}
	var u Unit
	if err := s.q.get(ctx, &u, unitSQL, projectID, unitID); err != nil {
		return Unit{}, err
	}
	us := []Unit{u}
	err := s.attachFloors(ctx, s.q, us)
	return us[0], err
}

const (
	// unitNumbersSQL is a project's ($1) unit numbers, in lower case.
	unitNumbersSQL = `SELECT lower(unit_number) FROM units WHERE project_id = $1`
	// otherUnitNumbersSQL is unitNumbersSQL without unit $2's.
	otherUnitNumbersSQL = `SELECT lower(unit_number) FROM units WHERE project_id = $1 AND id <> $2`
)

// UnitNumbers returns the project's unit numbers in lower case, leaving out one unit (the
// one being edited; "" or a malformed id leaves out none), for the uniqueness check.
func (s *Store) UnitNumbers(ctx context.Context, projectID, exceptID string) (map[string]bool, error) {
	var nums []string
	var err error
	if validUUID(exceptID) {
		err = s.q.sel(ctx, &nums, otherUnitNumbersSQL, projectID, exceptID)
	} else {
		err = s.q.sel(ctx, &nums, unitNumbersSQL, projectID)
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(nums))
	for _, n := range nums {
		out[n] = true
	}
	return out, nil
}

// unitRow and floorRow are the rows a batch writes, sent as one JSON array each
// (jsonb_to_recordset): one parameter per batch, the columns named in the SQL beside them.
type unitRow struct {
	ID                string `json:"id"`
	UnitNumber        string `json:"unit_number"`
	UnitType          string `json:"unit_type"`
	TotalArea         int64  `json:"total_area"` // hundredths of a square metre
	NumberOfFloors    int    `json:"number_of_floors"`
	NumberOfRooms     int    `json:"number_of_rooms"`
	NumberOfBathrooms int    `json:"number_of_bathrooms"`
}

type floorRow struct {
	UnitID      string `json:"unit_id"`
	FloorNumber int    `json:"floor_number"`
	FloorArea   int64  `json:"floor_area"` // hundredths of a square metre
}

// insertUnitsSQL inserts units $2 (a JSON array of unitRow) into project $1.
const insertUnitsSQL = `
INSERT INTO units (id, project_id, unit_number, unit_type, total_floor_area,
                   number_of_floors, number_of_rooms, number_of_bathrooms, created_by_ai)
SELECT u.id, $1, u.unit_number, u.unit_type, u.total_area::numeric / 100,
       u.number_of_floors, u.number_of_rooms, u.number_of_bathrooms, $3
FROM jsonb_to_recordset($2::jsonb) AS u(id uuid, unit_number text, unit_type text, total_area bigint,
                                        number_of_floors int, number_of_rooms int, number_of_bathrooms int)`

// insertFloorsSQL inserts floors $1 (a JSON array of floorRow).
const insertFloorsSQL = `
INSERT INTO unit_floors (unit_id, floor_number, floor_area)
SELECT f.unit_id, f.floor_number, f.floor_area::numeric / 100
FROM jsonb_to_recordset($1::jsonb) AS f(unit_id uuid, floor_number int, floor_area bigint)`

// unitsByIDSQL reads units $1 (uuid[]) back in the order of the array.
const unitsByIDSQL = `
SELECT id, project_id, unit_number, unit_type, (total_floor_area * 100)::bigint AS total_area,
       number_of_floors, number_of_rooms, number_of_bathrooms, created_by_ai, version, created_at, updated_at
FROM units
WHERE id = ANY($1)
ORDER BY array_position($1, id)`

const touchProjectSQL = `UPDATE projects SET updated_at = now() WHERE id = $1`

// CreateUnits saves a validated batch with its floors in one transaction: all or nothing,
// in a constant number of statements.
func (s *Store) CreateUnits(ctx context.Context, projectID string, batch []units.Unit, createdByAI bool) ([]Unit, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	ids := make([]string, len(batch))
	rows := make([]unitRow, len(batch))
	var floors []floorRow
	for i, u := range batch {
		ids[i] = newUUID()
		rows[i] = unitRow{ID: ids[i], UnitNumber: u.UnitNumber, UnitType: u.UnitType, TotalArea: int64(u.TotalArea),
			NumberOfFloors: u.NumberOfFloors, NumberOfRooms: u.NumberOfRooms, NumberOfBathrooms: u.NumberOfBathrooms}
		for j, a := range u.FloorAreas {
			floors = append(floors, floorRow{UnitID: ids[i], FloorNumber: j + 1, FloorArea: int64(a)})
		}
	}
	rowsJSON, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	err = s.WithTx(ctx, func(tx *Tx) error {
		_, err := tx.q.exec(ctx, insertUnitsSQL, projectID, rowsJSON, createdByAI)
		if c, ok := uniqueViolation(err); ok && c == "units_project_number_key" {
			return ErrUnitNumberTaken
		}
		if err != nil {
			return fmt.Errorf("insert units: %w", err)
		}
		if err := tx.insertFloors(ctx, floors); err != nil {
			return err
		}
		_, err = tx.q.exec(ctx, touchProjectSQL, projectID)
		return err
	})
	if err != nil {
		return nil, err
	}
	var us []Unit
	if err := s.q.sel(ctx, &us, unitsByIDSQL, pq.Array(ids)); err != nil {
		return nil, err
	}
	return us, s.attachFloors(ctx, s.q, us)
}

func (tx *Tx) insertFloors(ctx context.Context, floors []floorRow) error {
	if len(floors) == 0 {
		return nil
	}
	b, err := json.Marshal(floors)
	if err != nil {
		return err
	}
	if _, err := tx.q.exec(ctx, insertFloorsSQL, b); err != nil {
		return fmt.Errorf("insert floors: %w", err)
	}
	return nil
}

// UpdateUnit replaces a unit and its floors in one transaction. With a version, the unit
// must still be at that version (else *VersionConflict, nothing written): a replace never
// overwrites a change made since the caller read the unit. Every update bumps the version.
func (s *Store) UpdateUnit(ctx context.Context, projectID, unitID string, version *int64, u units.Unit) error {
	if !validUUID(unitID) {
		return ErrNotFound
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		var cur int64
		if err := tx.q.get(ctx, &cur, `SELECT version FROM units WHERE project_id = $1 AND id = $2 FOR NO KEY UPDATE`, projectID, unitID); err != nil {
			return err
		}
		if version != nil && *version != cur {
			return &VersionConflict{Current: cur}
		}
		err := tx.q.execOne(ctx, `UPDATE units SET unit_number = $3, unit_type = $4, total_floor_area = $5::numeric / 100,
	number_of_floors = $6, number_of_rooms = $7, number_of_bathrooms = $8, version = version + 1, updated_at = now()
WHERE project_id = $1 AND id = $2`, projectID, unitID, u.UnitNumber, u.UnitType, int64(u.TotalArea), u.NumberOfFloors, u.NumberOfRooms, u.NumberOfBathrooms)
		if c, ok := uniqueViolation(err); ok && c == "units_project_number_key" {
			return ErrUnitNumberTaken
		}
		if err != nil {
			return err
		}
		if _, err := tx.q.exec(ctx, `DELETE FROM unit_floors WHERE unit_id = $1`, unitID); err != nil {
			return err
		}
		floors := make([]floorRow, len(u.FloorAreas))
		for j, a := range u.FloorAreas {
			floors[j] = floorRow{UnitID: unitID, FloorNumber: j + 1, FloorArea: int64(a)}
		}
		if err := tx.insertFloors(ctx, floors); err != nil {
			return err
		}
		_, err = tx.q.exec(ctx, touchProjectSQL, projectID)
		return err
	})
}

// DeleteUnit removes a unit and its floors.
func (s *Store) DeleteUnit(ctx context.Context, projectID, unitID string) error {
	if !validUUID(unitID) {
		return ErrNotFound
	}
	return s.q.execOne(ctx, `DELETE FROM units WHERE project_id = $1 AND id = $2`, projectID, unitID)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
