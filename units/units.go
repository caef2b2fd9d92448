// Package units holds the rules for units and their floors (DOMAIN.md, "Units and
// floors"): one validation used by the pages, the API and the AI helper. Areas are exact:
// integer hundredths of a square metre, never floats.
package units

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/14build/14build/field"
	"github.com/14build/14build/ident"
)

// Limits, documented in the README. A request over them is refused whole.
const (
	MaxFloors    = 100  // floors per unit
	MaxRooms     = 1000 // rooms or bathrooms per unit
	MaxBatch     = 1000 // units in one POST
	MaxArea      = 1e10 // hundredths of m² (100,000,000 m²)
	MaxDuplicate = 500  // copies made by one "duplicate"
	maxNumberLen = 40
	maxTypeLen   = 100
)

// Input is a unit as a person or a client typed it: numbers as text, checked here.
type Input struct {
	UnitNumber        string
	UnitType          string
	TotalFloorArea    string
	NumberOfFloors    string
	NumberOfRooms     string
	NumberOfBathrooms string
	Floors            []FloorInput
}

// FloorInput is one floor row as typed.
type FloorInput struct {
	FloorNumber string
	FloorArea   string
}

// Unit is a valid unit, ready to store.
type Unit struct {
	UnitNumber        string
	UnitType          string
	TotalArea         Area
	NumberOfFloors    int
	NumberOfRooms     int
	NumberOfBathrooms int
	FloorAreas        []Area // index i is floor i+1
}

// Area is an area in hundredths of a square metre.
type Area int64

// String writes the area with two decimals ("84.50").
func (a Area) String() string {
	neg := ""
	if a < 0 {
		neg, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d", neg, a/100, a%100)
}

// Float is for JSON output only (API.md: areas are JSON numbers); exact to 2 decimals.
func (a Area) Float() float64 { f, _ := strconv.ParseFloat(a.String(), 64); return f }

// ParseArea reads "84.5", "84.50" or "1,084.50" exactly. At most two decimals.
func ParseArea(s string) (Area, string) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, "is required"
	}
	if strings.HasPrefix(s, "-") {
		return 0, "must be greater than 0"
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if s == "." || !digits(whole) || (frac != "" && !digits(frac)) {
		return 0, "must be a number such as 84.50"
	}
	if len(frac) > 2 {
		if strings.TrimRight(frac[2:], "0") != "" {
			return 0, "must have at most 2 decimal places"
		}
		frac = frac[:2]
	}
	frac += strings.Repeat("0", 2-len(frac))
	if len(whole) > 9 {
		return 0, "is too large"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	a := Area(w*100 + f)
	if a <= 0 {
		return 0, "must be greater than 0"
	}
	if a > MaxArea {
		return 0, "is too large"
	}
	return a, ""
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseCount reads a whole number in [1, max].
func parseCount(s string, max int) (int, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "is required"
	}
	if strings.HasSuffix(s, ".0") {
		s = strings.TrimSuffix(s, ".0")
	}
	if strings.HasPrefix(s, "-") {
		return 0, "must be at least 1"
	}
	if !digits(s) {
		return 0, "must be a whole number"
	}
	if len(s) > 6 {
		return 0, fmt.Sprintf("must be at most %d", max)
	}
	n, _ := strconv.Atoi(s)
	switch {
	case n < 1:
		return 0, "must be at least 1"
	case n > max:
		return 0, fmt.Sprintf("must be at most %d", max)
	}
	return n, ""
}

// Validate checks a batch. taken holds the unit numbers already in the project (lower
// case), except the unit being edited. prefix builds field paths: "units[i]." for a batch,
// "" for one unit. The errors are keyed by field path ("units[2].floors[1].floorArea", or
// "unitNumber" for a single unit), each message naming the unit and floor.
func Validate(in []Input, taken map[string]bool, prefix func(i int) string) ([]Unit, field.Errors) {
	errs := field.Errors{}
	out := make([]Unit, len(in))
	seen := map[string]int{}
	for i, u := range in {
		p := prefix(i)
		// Unit numbers are compared for uniqueness: one spelling (NFC), nothing invisible.
		name, identMsg := ident.Clean(u.UnitNumber)
		label := "Unit " + name
		if name == "" || identMsg != "" {
			label = fmt.Sprintf("Unit %d", i+1)
		}
		add := func(field, msg string) {
			if _, ok := errs[p+field]; !ok {
				errs[p+field] = label + ": " + msg
			}
		}
		var v Unit
		v.UnitNumber = name
		v.UnitType = strings.TrimSpace(u.UnitType)
		switch key := strings.ToLower(name); {
		case identMsg != "":
			add("unitNumber", "unit number "+identMsg)
		case name == "":
			add("unitNumber", "unit number is required")
		case utf8.RuneCountInString(name) > maxNumberLen:
			add("unitNumber", fmt.Sprintf("unit number must be at most %d characters", maxNumberLen))
		case taken[key]:
			add("unitNumber", "unit number is already used in this project")
		default:
			if j, dup := seen[key]; dup {
				add("unitNumber", fmt.Sprintf("unit number appears twice in this batch (also unit %d)", j+1))
			} else {
				seen[key] = i
			}
		}
		if !utf8.ValidString(v.UnitType) || strings.ContainsRune(v.UnitType, 0) {
			add("unitType", "unit type must be text without NUL characters (UTF-8)")
		} else if utf8.RuneCountInString(v.UnitType) > maxTypeLen {
			add("unitType", fmt.Sprintf("unit type must be at most %d characters", maxTypeLen))
		}
		var msg string
		if v.TotalArea, msg = ParseArea(u.TotalFloorArea); msg != "" {
			add("totalFloorArea", "total floor area "+msg)
		}
		if v.NumberOfFloors, msg = parseCount(u.NumberOfFloors, MaxFloors); msg != "" {
			add("numberOfFloors", "number of floors "+msg)
		}
		if v.NumberOfRooms, msg = parseCount(u.NumberOfRooms, MaxRooms); msg != "" {
			add("numberOfRooms", "rooms "+msg)
		}
		if v.NumberOfBathrooms, msg = parseCount(u.NumberOfBathrooms, MaxRooms); msg != "" {
			add("numberOfBathrooms", "bathrooms "+msg)
		}
		// Floors: exactly one row per floor, numbered 1..n.
		if v.NumberOfFloors > 0 {
			if len(u.Floors) != v.NumberOfFloors {
				add("floors", fmt.Sprintf("has %d floor rows for %d floors: give one row per floor", len(u.Floors), v.NumberOfFloors))
			}
			v.FloorAreas = make([]Area, v.NumberOfFloors)
			have := make([]bool, v.NumberOfFloors)
			floorsOK := len(u.Floors) == v.NumberOfFloors
			for j, f := range u.Floors {
				fp := fmt.Sprintf("floors[%d].", j)
				n, nmsg := parseCount(f.FloorNumber, MaxFloors)
				if nmsg != "" {
					add(fp+"floorNumber", fmt.Sprintf("floor row %d: floor number %s", j+1, nmsg))
					floorsOK = false
					continue
				}
				fl := fmt.Sprintf("floor %d: ", n)
				if n > v.NumberOfFloors {
					add(fp+"floorNumber", fmt.Sprintf("%sthere are only %d floors", fl, v.NumberOfFloors))
					floorsOK = false
					continue
				}
				if have[n-1] {
					add(fp+"floorNumber", fl+"appears twice")
					floorsOK = false
					continue
				}
				have[n-1] = true
				a, amsg := ParseArea(f.FloorArea)
				if amsg != "" {
					add(fp+"floorArea", fl+"floor area "+amsg)
					floorsOK = false
					continue
				}
				v.FloorAreas[n-1] = a
			}
			if floorsOK && v.TotalArea > 0 {
				var sum Area
				for _, a := range v.FloorAreas {
					sum += a
				}
				if d := sum - v.TotalArea; d > 1 || d < -1 {
					add("floors", fmt.Sprintf("floor areas sum to %s m², total is %s m²", sum, v.TotalArea))
				}
			}
		}
		out[i] = v
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// SplitEvenly divides total over n floors, hundredths that do not divide going to the
// top floors, so the parts always sum to the total exactly.
func SplitEvenly(total Area, n int) []Area {
	if n <= 0 {
		return nil
	}
	parts := make([]Area, n)
	base, rem := total/Area(n), int(total%Area(n))
	for i := range parts {
		parts[i] = base
		if i >= n-rem {
			parts[i]++
		}
	}
	return parts
}

// NextNumbers returns count unit numbers after from, keeping its prefix and zero padding:
// A-01 → …; 7 → 8, 9…; "Villa" → Villa-2, Villa-3…
func NextNumbers(from string, count int) []string {
	from = strings.TrimSpace(from)
	i := len(from)
	for i > 0 && from[i-1] >= '0' && from[i-1] <= '9' {
		i--
	}
	prefix, num := from[:i], from[i:]
	start, width := 1, 0
	if num == "" {
		prefix += "-"
	} else {
		start, _ = strconv.Atoi(num)
		width = len(num)
	}
	out := make([]string, count)
	for k := range out {
		out[k] = fmt.Sprintf("%s%0*d", prefix, width, start+k+1)
	}
	return out
}

// TypeRow is one line of the area schedule by unit type.
type TypeRow struct {
	Type                        string
	Units, Floors, Rooms, Baths int
	Area                        Area
}

// LevelRow is one line of the area schedule by floor level.
type LevelRow struct {
	Level int
	Units int // units that have this floor
	Area  Area
}

// Schedule is a project's area schedule.
type Schedule struct {
	ByType  []TypeRow
	ByLevel []LevelRow
	Total   TypeRow // Type is empty; Area is the gross area
}

// MakeSchedule totals units by type and by floor level, exactly.
func MakeSchedule(us []Unit) Schedule {
	var s Schedule
	typeIdx := map[string]int{}
	for _, u := range us {
		t := u.UnitType
		if t == "" {
			t = "(no type)"
		}
		i, ok := typeIdx[t]
		if !ok {
			i = len(s.ByType)
			typeIdx[t] = i
			s.ByType = append(s.ByType, TypeRow{Type: t})
		}
		r := &s.ByType[i]
		r.Units++
		r.Floors += u.NumberOfFloors
		r.Rooms += u.NumberOfRooms
		r.Baths += u.NumberOfBathrooms
		r.Area += u.TotalArea
		for lvl, a := range u.FloorAreas {
			for len(s.ByLevel) <= lvl {
				s.ByLevel = append(s.ByLevel, LevelRow{Level: len(s.ByLevel) + 1})
			}
			s.ByLevel[lvl].Units++
			s.ByLevel[lvl].Area += a
		}
		s.Total.Units++
		s.Total.Floors += u.NumberOfFloors
		s.Total.Rooms += u.NumberOfRooms
		s.Total.Baths += u.NumberOfBathrooms
		s.Total.Area += u.TotalArea
	}
	slices.SortFunc(s.ByType, func(a, b TypeRow) int { return strings.Compare(a.Type, b.Type) })
	return s
}
