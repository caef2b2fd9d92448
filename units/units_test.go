package units

import (
	"fmt"
	"strings"
	"testing"
)

func one(i int) string { return fmt.Sprintf("units[%d].", i) }

func unit(num, total, floors string, areas ...string) Input {
	u := Input{UnitNumber: num, UnitType: "Townhouse", TotalFloorArea: total, NumberOfFloors: floors, NumberOfRooms: "3", NumberOfBathrooms: "2"}
	for i, a := range areas {
		u.Floors = append(u.Floors, FloorInput{FloorNumber: fmt.Sprint(i + 1), FloorArea: a})
	}
	return u
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	cases := []Input{
		unit("A-01", "85.00", "2", "42.50", "42.50"),
		unit("A-02", "85", "1", "85"),
		// Within 0.01 m²: 3 × 33.33 = 99.99 against 100.00.
		unit("A-03", "100.00", "3", "33.33", "33.33", "33.33"),
		unit("A-04", "100.00", "3", "33.34", "33.34", "33.33"),
		unit("A-05", "1,234.5", "2", "617.25", "617.25"),
	}
	got, errs := Validate(cases, nil, one)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if got[0].TotalArea != 8500 || got[0].FloorAreas[1] != 4250 || got[4].TotalArea != 123450 {
		t.Errorf("values: %+v", got)
	}
	// Floors in any order are placed by number.
	u := unit("B-1", "30", "2")
	u.Floors = []FloorInput{{"2", "20"}, {"1", "10"}}
	got, errs = Validate([]Input{u}, nil, one)
	if len(errs) > 0 || got[0].FloorAreas[0] != 1000 || got[0].FloorAreas[1] != 2000 {
		t.Errorf("unordered floors: %v %v", got, errs)
	}
}

func TestValidateRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		in    Input
		field string
		msg   string
	}{
		{"sum off by 0.02", unit("A-03", "100.00", "3", "33.33", "33.33", "33.32"), "floors", "Unit A-03: floor areas sum to 99.98 m², total is 100.00 m²"},
		{"sum off", unit("A-03", "85.00", "2", "42.00", "42.50"), "floors", "sum to 84.50 m², total is 85.00 m²"},
		{"zero total", unit("A", "0", "1", "1"), "totalFloorArea", "greater than 0"},
		{"negative total", unit("A", "-5", "1", "1"), "totalFloorArea", "greater than 0"},
		{"three decimals", unit("A", "10.005", "1", "10.005"), "totalFloorArea", "2 decimal places"},
		{"not a number", unit("A", "lots", "1", "1"), "totalFloorArea", "must be a number"},
		{"no floors", unit("A", "10", "0"), "numberOfFloors", "at least 1"},
		{"fractional floors", unit("A", "10", "2.5", "5", "5"), "numberOfFloors", "whole number"},
		{"10,000 floors", unit("A", "10", "10000", "10"), "numberOfFloors", "at most 100"},
		{"missing floor row", unit("A", "10", "2", "10"), "floors", "1 floor rows for 2 floors"},
		{"extra floor row", unit("A", "10", "1", "5", "5"), "floors", "2 floor rows for 1 floors"},
		{"zero floor area", unit("A", "10", "2", "10", "0"), "floors[1].floorArea", "Unit A: floor 2: floor area must be greater than 0"},
		{"missing number", unit("", "10", "1", "10"), "unitNumber", "Unit 1: unit number is required"},
		{"missing rooms", func() Input { u := unit("A", "10", "1", "10"); u.NumberOfRooms = ""; return u }(), "numberOfRooms", "rooms is required"},
		{"zero bathrooms", func() Input { u := unit("A", "10", "1", "10"); u.NumberOfBathrooms = "0"; return u }(), "numberOfBathrooms", "at least 1"},
		{"floor twice", func() Input { u := unit("A", "10", "2", "5", "5"); u.Floors[1].FloorNumber = "1"; return u }(), "floors[1].floorNumber", "floor 1: appears twice"},
		{"floor beyond", func() Input { u := unit("A", "10", "2", "5", "5"); u.Floors[1].FloorNumber = "3"; return u }(), "floors[1].floorNumber", "only 2 floors"},
		{"long number", unit(strings.Repeat("9", 41), "10", "1", "10"), "unitNumber", "at most 40"},
	}
	for _, c := range cases {
		_, errs := Validate([]Input{c.in}, nil, one)
		if msg := errs["units[0]."+c.field]; !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %q = %q, want it to contain %q (all: %v)", c.name, c.field, msg, c.msg, errs)
		}
	}
}

func TestValidateUniqueNumbers(t *testing.T) {
	t.Parallel()
	batch := []Input{unit("A-01", "10", "1", "10"), unit("a-01", "10", "1", "10"), unit("B-01", "10", "1", "10")}
	_, errs := Validate(batch, nil, one)
	if !strings.Contains(errs["units[1].unitNumber"], "twice in this batch") || len(errs) != 1 {
		t.Errorf("in-batch duplicate: %v", errs)
	}
	_, errs = Validate(batch[2:], map[string]bool{"b-01": true}, one)
	if !strings.Contains(errs["units[0].unitNumber"], "already used") {
		t.Errorf("taken number: %v", errs)
	}
}

func TestSplitEvenly(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		total Area
		n     int
	}{{10000, 3}, {8500, 2}, {1, 3}, {99999, 7}} {
		parts := SplitEvenly(c.total, c.n)
		var sum Area
		for _, p := range parts {
			sum += p
			if d := p - parts[0]; d > 1 || d < 0 {
				t.Errorf("uneven %v", parts)
			}
		}
		if sum != c.total {
			t.Errorf("SplitEvenly(%d, %d) = %v sums to %d", c.total, c.n, parts, sum)
		}
	}
}

func TestNextNumbers(t *testing.T) {
	t.Parallel()
	for from, want := range map[string]string{"A-01": "A-02 A-03 A-04", "7": "8 9 10", "Villa": "Villa-2 Villa-3 Villa-4", "B-09": "B-10 B-11 B-12"} {
		if got := strings.Join(NextNumbers(from, 3), " "); got != want {
			t.Errorf("NextNumbers(%q) = %q, want %q", from, got, want)
		}
	}
}

func TestParseAreaAndString(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"84.5": "84.50", "0.01": "0.01", "1,000": "1000.00", "12.340": "12.34"} {
		a, msg := ParseArea(in)
		if msg != "" || a.String() != want {
			t.Errorf("ParseArea(%q) = %v %q", in, a, msg)
		}
	}
	for _, bad := range []string{"", ".", "1e3", "0x10", "NaN", "12.3.4", "9999999999"} {
		if _, msg := ParseArea(bad); msg == "" {
			t.Errorf("ParseArea(%q) accepted", bad)
		}
	}
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	us := []Unit{
		{UnitType: "Townhouse", TotalArea: 14250, NumberOfFloors: 2, NumberOfRooms: 3, NumberOfBathrooms: 2, FloorAreas: []Area{7000, 7250}},
		{UnitType: "Townhouse", TotalArea: 14250, NumberOfFloors: 2, NumberOfRooms: 3, NumberOfBathrooms: 2, FloorAreas: []Area{7000, 7250}},
		{UnitType: "Apartment", TotalArea: 7801, NumberOfFloors: 1, NumberOfRooms: 2, NumberOfBathrooms: 1, FloorAreas: []Area{7801}},
		{UnitType: "Villa", TotalArea: 30000, NumberOfFloors: 3, NumberOfRooms: 5, NumberOfBathrooms: 3, FloorAreas: []Area{10000, 10000, 10000}},
	}
	s := MakeSchedule(us)
	if s.Total.Units != 4 || s.Total.Rooms != 13 || s.Total.Baths != 8 || s.Total.Area != 66301 || s.Total.Floors != 8 {
		t.Errorf("total %+v", s.Total)
	}
	if len(s.ByType) != 3 || s.ByType[0].Type != "Apartment" || s.ByType[1].Area != 28500 || s.ByType[1].Units != 2 {
		t.Errorf("by type %+v", s.ByType)
	}
	want := []LevelRow{{1, 4, 31801}, {2, 3, 24500}, {3, 1, 10000}}
	if fmt.Sprint(s.ByLevel) != fmt.Sprint(want) {
		t.Errorf("by level %+v, want %+v", s.ByLevel, want)
	}
	var levels Area
	for _, l := range s.ByLevel {
		levels += l.Area
	}
	if levels != s.Total.Area {
		t.Errorf("levels sum %v != gross %v", levels, s.Total.Area)
	}
}

func TestUnitNumberIdentifiers(t *testing.T) {
	t.Parallel()
	in := func(num string) []Input {
		return []Input{{UnitNumber: num, TotalFloorArea: "10", NumberOfFloors: "1", NumberOfRooms: "1", NumberOfBathrooms: "1",
			Floors: []FloorInput{{FloorNumber: "1", FloorArea: "10"}}}}
	}
	one := func(int) string { return "" }
	for _, num := range []string{"A-0\u200b1", "A\u2067-01", "\ufeffA-01", "A-0\u00ad1"} {
		if _, errs := Validate(in(num), nil, one); errs["unitNumber"] == "" {
			t.Errorf("%q accepted", num)
		}
	}
	// The NFD spelling of a number already taken (stored NFC, compared lower-cased) is taken.
	if _, errs := Validate(in("Unit E\u0301"), map[string]bool{"unit \u00e9": true}, one); errs["unitNumber"] == "" {
		t.Error("NFD duplicate accepted")
	}
	if v, errs := Validate(in("Unit e\u0301"), nil, one); len(errs) != 0 || v[0].UnitNumber != "Unit \u00e9" {
		t.Errorf("NFD number not normalised: %v %v", errs, v)
	}
}
