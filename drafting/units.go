package drafting

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/14build/14build/field"
	"github.com/14build/14build/units"
)

// Limits of a units brief.
const (
	MaxDraftUnits = 500  // units in one proposal
	MaxBriefLen   = 4000 // characters of free text
)

// UnitBriefInput is a units brief as typed (a form or the JSON API): numbers as text.
// Give either FloorAreaPerUnit (each unit's total floor area, all its floors) or
// TotalArea (the whole batch's, split exactly over the units).
type UnitBriefInput struct {
	Count            string
	UnitType         string
	Floors           string
	FloorAreaPerUnit string
	TotalArea        string
	Rooms            string
	Bathrooms        string
	StartNumber      string
	Brief            string // free text: used only with a service configured
}

// UnitBrief is a checked brief. With Brief set (and a service), the structured fields are
// hints and may be zero.
type UnitBrief struct {
	Count            int
	UnitType         string
	Floors           int
	FloorAreaPerUnit units.Area
	TotalArea        units.Area
	Rooms            int
	Bathrooms        int
	StartNumber      string
	Brief            string
}

// MsgBriefNeedsService refuses a free-text brief when no service is configured.
const MsgBriefNeedsService = "needs a drafting service (AI_BASE_URL, AI_API_KEY, AI_MODEL): without one, use the structured fields"

// ParseUnitBrief checks a brief. withService says whether free text can be used; without a
// service a brief with free text is refused (MsgBriefNeedsService) rather than ignored, so
// nobody believes it was read. With free text the structured fields become optional.
func ParseUnitBrief(in UnitBriefInput, withService bool) (UnitBrief, field.Errors) {
	errs := field.Errors{}
	b := UnitBrief{UnitType: strings.TrimSpace(in.UnitType), StartNumber: strings.TrimSpace(in.StartNumber), Brief: strings.TrimSpace(in.Brief)}
	if b.Brief != "" {
		if !withService {
			errs.Add("brief", MsgBriefNeedsService)
		}
		errs.Text("brief", b.Brief, 1, MaxBriefLen)
		if !utf8.ValidString(b.Brief) {
			errs.Add("brief", "must be valid text (UTF-8)")
		}
	}
	free := b.Brief != ""
	count := func(name, s string, max int) int {
		s = strings.TrimSpace(s)
		if s == "" {
			if !free {
				errs.Add(name, "is required")
			}
			return 0
		}
		n, err := strconv.Atoi(strings.TrimSuffix(s, ".0"))
		switch {
		case err != nil:
			errs.Add(name, "must be a whole number")
		case n < 1:
			errs.Add(name, "must be at least 1")
		case n > max:
			errs.Add(name, fmt.Sprintf("must be at most %d", max))
		}
		return n
	}
	b.Count = count("count", in.Count, MaxDraftUnits)
	b.Floors = count("floors", in.Floors, units.MaxFloors)
	b.Rooms = count("rooms", in.Rooms, units.MaxRooms)
	b.Bathrooms = count("bathrooms", in.Bathrooms, units.MaxRooms)
	area := func(name, s string) units.Area {
		if strings.TrimSpace(s) == "" {
			return 0
		}
		a, msg := units.ParseArea(s)
		if msg != "" {
			errs.Add(name, msg)
		}
		return a
	}
	b.FloorAreaPerUnit = area("floorAreaPerUnit", in.FloorAreaPerUnit)
	b.TotalArea = area("totalArea", in.TotalArea)
	switch {
	case errs.Has("floorAreaPerUnit") || errs.Has("totalArea"):
	case b.FloorAreaPerUnit > 0 && b.TotalArea > 0:
		errs.Add("floorAreaPerUnit", "give the area per unit or the total area, not both")
	case b.FloorAreaPerUnit == 0 && b.TotalArea == 0 && !free:
		errs.Add("floorAreaPerUnit", "give the area per unit or the total area")
	}
	// Every floor needs at least 0.01 m².
	if b.Count > 0 && b.Floors > 0 {
		if b.FloorAreaPerUnit > 0 && int64(b.FloorAreaPerUnit) < int64(b.Floors) {
			errs.Add("floorAreaPerUnit", fmt.Sprintf("is too small for %d floors", b.Floors))
		}
		if b.TotalArea > 0 && int64(b.TotalArea) < int64(b.Floors)*int64(b.Count) {
			errs.Add("totalArea", fmt.Sprintf("is too small for %d units of %d floors", b.Count, b.Floors))
		}
	}
	if b.StartNumber == "" {
		b.StartNumber = "A-01"
	}
	if utf8.RuneCountInString(b.StartNumber) > 30 || strings.ContainsRune(b.StartNumber, 0) {
		errs.Add("startNumber", "must be at most 30 characters")
	}
	if utf8.RuneCountInString(b.UnitType) > 100 || strings.ContainsRune(b.UnitType, 0) {
		errs.Add("unitType", "must be at most 100 characters")
	}
	if errs.Any() {
		return UnitBrief{}, errs
	}
	return b, nil
}

// UnitProposal is one proposed unit in the units batch shape (POST
// /api/projects/{id}/units); it is also the service's answer, its JSON schema derived from
// this type (SchemaOf).
type UnitProposal struct {
	UnitNumber        string          `json:"unitNumber" desc:"unique in the project, following the numbering pattern"`
	UnitType          string          `json:"unitType"`
	TotalFloorArea    float64         `json:"totalFloorArea" desc:"square metres, at most 2 decimals; the floors' areas sum to it exactly"`
	NumberOfFloors    int             `json:"numberOfFloors"`
	NumberOfRooms     int             `json:"numberOfRooms"`
	NumberOfBathrooms int             `json:"numberOfBathrooms"`
	Floors            []FloorProposal `json:"floors" desc:"one row per floor, numbered 1..numberOfFloors"`
}

// FloorProposal is one floor of a proposed unit.
type FloorProposal struct {
	FloorNumber int     `json:"floorNumber"`
	FloorArea   float64 `json:"floorArea" desc:"square metres, at most 2 decimals, greater than 0"`
}

// unitsAnswer is what the service is asked to answer for units.
type unitsAnswer struct {
	Units []UnitProposal `json:"units"`
}

// Input is the proposal as the validator's text input.
func (p UnitProposal) Input() units.Input {
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	in := units.Input{UnitNumber: p.UnitNumber, UnitType: p.UnitType, TotalFloorArea: num(p.TotalFloorArea),
		NumberOfFloors: strconv.Itoa(p.NumberOfFloors), NumberOfRooms: strconv.Itoa(p.NumberOfRooms),
		NumberOfBathrooms: strconv.Itoa(p.NumberOfBathrooms)}
	for _, f := range p.Floors {
		in.Floors = append(in.Floors, units.FloorInput{FloorNumber: strconv.Itoa(f.FloorNumber), FloorArea: num(f.FloorArea)})
	}
	return in
}

// ProposalOf is a valid unit in the proposal shape.
func ProposalOf(u units.Unit) UnitProposal {
	p := UnitProposal{UnitNumber: u.UnitNumber, UnitType: u.UnitType, TotalFloorArea: u.TotalArea.Float(),
		NumberOfFloors: u.NumberOfFloors, NumberOfRooms: u.NumberOfRooms, NumberOfBathrooms: u.NumberOfBathrooms}
	for i, a := range u.FloorAreas {
		p.Floors = append(p.Floors, FloorProposal{FloorNumber: i + 1, FloorArea: a.Float()})
	}
	return p
}

// CheckUnits validates proposed units with the rules of hand entry (units.Validate)
// against the project's taken numbers (lower case), keyed "units[i]....".
func CheckUnits(ps []UnitProposal, taken map[string]bool) ([]units.Unit, field.Errors) {
	if len(ps) == 0 {
		return nil, field.Errors{"units": "the proposal has no units"}
	}
	if len(ps) > MaxDraftUnits {
		return nil, field.Errors{"units": fmt.Sprintf("at most %d units", MaxDraftUnits)}
	}
	in := make([]units.Input, len(ps))
	for i, p := range ps {
		in[i] = p.Input()
	}
	return units.Validate(in, taken, func(i int) string { return fmt.Sprintf("units[%d].", i) })
}

// PlanUnits is the built-in planner: Count units of the brief, numbered from StartNumber
// around the taken numbers, each area split exactly to the hundredth (SplitFirst). The
// result passes units.Validate (checked again here).
func PlanUnits(b UnitBrief, taken map[string]bool) ([]units.Unit, field.Errors) {
	if b.Count < 1 || b.Floors < 1 || b.Rooms < 1 || b.Bathrooms < 1 || (b.FloorAreaPerUnit <= 0 && b.TotalArea <= 0) {
		return nil, field.Errors{"brief": "the built-in planner needs the number of units, floors, rooms, bathrooms and an area"}
	}
	per := make([]units.Area, b.Count)
	if b.FloorAreaPerUnit > 0 {
		for i := range per {
			per[i] = b.FloorAreaPerUnit
		}
	} else {
		per = SplitFirst(b.TotalArea, b.Count)
	}
	nums := Numbers(b.StartNumber, b.Count, taken)
	ps := make([]UnitProposal, b.Count)
	for i := range ps {
		floors := SplitFirst(per[i], b.Floors)
		u := units.Unit{UnitNumber: nums[i], UnitType: b.UnitType, TotalArea: per[i], NumberOfFloors: b.Floors,
			NumberOfRooms: b.Rooms, NumberOfBathrooms: b.Bathrooms, FloorAreas: floors}
		ps[i] = ProposalOf(u)
	}
	return CheckUnits(ps, taken)
}

// SplitFirst divides total into n parts of whole hundredths that sum to total exactly;
// the hundredths left over go to the first parts (so 100.01 over 3 floors is 33.34,
// 33.34, 33.33).
func SplitFirst(total units.Area, n int) []units.Area {
	if n <= 0 {
		return nil
	}
	parts := make([]units.Area, n)
	base, rem := total/units.Area(n), int(total%units.Area(n))
	for i := range parts {
		parts[i] = base
		if i < rem {
			parts[i]++
		}
	}
	return parts
}

// Numbers returns count unit numbers from start on, keeping its prefix and zero padding
// (A-01 → … A-12), skipping those taken (lower case). A start without a
// number gets "-1", "-2" …
func Numbers(start string, count int, taken map[string]bool) []string {
	start = strings.TrimSpace(start)
	i := len(start)
	for i > 0 && start[i-1] >= '0' && start[i-1] <= '9' {
		i--
	}
	prefix, num := start[:i], start[i:]
	n, width := 1, 0
	if num == "" {
		prefix += "-"
	} else {
		n, _ = strconv.Atoi(num)
		width = len(num)
	}
	out := make([]string, 0, count)
	for len(out) < count {
		s := fmt.Sprintf("%s%0*d", prefix, width, n)
		n++
		if taken[strings.ToLower(s)] {
			continue
		}
		out = append(out, s)
	}
	return out
}
