package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
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

const unitColumns = `id, project_id, unit_number, unit_type, (total_floor_area * 100)::bigint AS total_area,
	number_of_floors, number_of_rooms, number_of_bathrooms, created_by_ai, version, created_at, updated_at`

// Units lists a project's units with their floors: two queries, whatever the count.
func (s *Store) Units(ctx context.Context, projectID string) ([]Unit, error) {
	var us []Unit
	if err := s.q.sel(ctx, &us, `SELECT `+unitColumns+` FROM units WHERE project_id = $1
ORDER BY lower(unit_number), id`, projectID); err != nil {
		return nil, err
	}
	return us, s.attachFloors(ctx, s.q, us)
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
	if err := q.sel(ctx, &fs, `SELECT unit_id, floor_number, (floor_area * 100)::bigint AS floor_area
FROM unit_floors WHERE unit_id = ANY($1) ORDER BY unit_id, floor_number`, pq.Array(ids)); err != nil {
		return err
	}
	for _, f := range fs {
		i := idx[f.UnitID]
		us[i].Floors = append(us[i].Floors, f)
	}
	return nil
}

// Unit returns one unit of the project, with its floors.
func (s *Store) Unit(ctx context.Context, projectID, unitID string) (Unit, error) {
	if !validUUID(unitID) {
		return Unit{}, ErrNotFound
	}
	var u Unit
	if err := s.q.get(ctx, &u, `SELECT `+unitColumns+` FROM units WHERE project_id = $1 AND id = $2`, projectID, unitID); err != nil {
		return Unit{}, err
	}
	us := []Unit{u}
	err := s.attachFloors(ctx, s.q, us)
	return us[0], err
}

// UnitNumbers returns the project's unit numbers in lower case, leaving out one unit (the
// one being edited), for the uniqueness check.
func (s *Store) UnitNumbers(ctx context.Context, projectID, exceptID string) (map[string]bool, error) {
	var nums []string
	if !validUUID(exceptID) {
		exceptID = "00000000-0000-0000-0000-000000000000"
	}
	if err := s.q.sel(ctx, &nums, `SELECT lower(unit_number) FROM units WHERE project_id = $1 AND id <> $2`, projectID, exceptID); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(nums))
	for _, n := range nums {
		out[n] = true
	}
	return out, nil
}

// CreateUnits saves a validated batch with its floors in one transaction: all or nothing,
// in a constant number of statements.
func (s *Store) CreateUnits(ctx context.Context, projectID string, batch []units.Unit, createdByAI bool) ([]Unit, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	ids := make([]string, len(batch))
	nums, types := make([]string, len(batch)), make([]string, len(batch))
	totals, floors, rooms, baths := make([]int64, len(batch)), make([]int64, len(batch)), make([]int64, len(batch)), make([]int64, len(batch))
	var fUnit []string
	var fNum, fArea []int64
	for i, u := range batch {
		ids[i] = newUUID()
		nums[i], types[i] = u.UnitNumber, u.UnitType
		totals[i], floors[i], rooms[i], baths[i] = int64(u.TotalArea), int64(u.NumberOfFloors), int64(u.NumberOfRooms), int64(u.NumberOfBathrooms)
		for j, a := range u.FloorAreas {
			fUnit = append(fUnit, ids[i])
			fNum = append(fNum, int64(j+1))
			fArea = append(fArea, int64(a))
		}
	}
	err := s.WithTx(ctx, func(tx *Tx) error {
		_, err := tx.q.exec(ctx, `INSERT INTO units (id, project_id, unit_number, unit_type, total_floor_area, number_of_floors,
	number_of_rooms, number_of_bathrooms, created_by_ai)
SELECT u.id, $1, u.num, u.typ, u.total::numeric / 100, u.floors, u.rooms, u.baths, $9
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::int[], $7::int[], $8::int[]) AS u(id, num, typ, total, floors, rooms, baths)`,
			projectID, pq.Array(ids), pq.Array(nums), pq.Array(types), pq.Array(totals), pq.Array(floors), pq.Array(rooms), pq.Array(baths), createdByAI)
		if c, ok := uniqueViolation(err); ok && c == "units_project_number_key" {
			return ErrUnitNumberTaken
		}
		if err != nil {
			return fmt.Errorf("insert units: %w", err)
		}
		if err := tx.insertFloors(ctx, fUnit, fNum, fArea); err != nil {
			return err
		}
		_, err = tx.q.exec(ctx, `UPDATE projects SET updated_at = now() WHERE id = $1`, projectID)
		return err
	})
	if err != nil {
		return nil, err
	}
	var us []Unit
	if err := s.q.sel(ctx, &us, `SELECT `+unitColumns+` FROM units WHERE id = ANY($1) ORDER BY array_position($1, id)`, pq.Array(ids)); err != nil {
		return nil, err
	}
	return us, s.attachFloors(ctx, s.q, us)
}

func (tx *Tx) insertFloors(ctx context.Context, unitIDs []string, nums, areas []int64) error {
	if len(unitIDs) == 0 {
		return nil
	}
	_, err := tx.q.exec(ctx, `INSERT INTO unit_floors (unit_id, floor_number, floor_area)
SELECT f.unit_id, f.num, f.area::numeric / 100 FROM unnest($1::uuid[], $2::int[], $3::bigint[]) AS f(unit_id, num, area)`,
		pq.Array(unitIDs), pq.Array(nums), pq.Array(areas))
	if err != nil {
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
		ids, nums, areas := make([]string, len(u.FloorAreas)), make([]int64, len(u.FloorAreas)), make([]int64, len(u.FloorAreas))
		for j, a := range u.FloorAreas {
			ids[j], nums[j], areas[j] = unitID, int64(j+1), int64(a)
		}
		if err := tx.insertFloors(ctx, ids, nums, areas); err != nil {
			return err
		}
		_, err = tx.q.exec(ctx, `UPDATE projects SET updated_at = now() WHERE id = $1`, projectID)
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
