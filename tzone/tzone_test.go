package tzone

import (
	"strings"
	"testing"
	"time"
)

func TestEveryZoneInTheTableLoads(t *testing.T) {
	seen := map[string]bool{}
	for _, z := range All() {
		if seen[z.Name] {
			t.Errorf("%s is listed twice", z.Name)
		}
		seen[z.Name] = true
		if _, err := time.LoadLocation(z.Name); err != nil {
			t.Errorf("%s: %v", z.Name, err)
		}
		if len(z.Cities) == 0 {
			t.Errorf("%s has no city to search it by", z.Name)
		}
	}
	if len(seen) < 300 {
		t.Errorf("only %d zones; the table should hold every zone in zone.tab", len(seen))
	}
}

func TestSearchFindsZonesByTheCitiesPeopleKnow(t *testing.T) {
	for q, want := range map[string]string{
		"Wellington":    "Pacific/Auckland",
		"wellington":    "Pacific/Auckland",
		"Mumbai":        "Asia/Kolkata",
		"San Francisco": "America/Los_Angeles",
		"Cape Town":     "Africa/Johannesburg",
		"Abu Dhabi":     "Asia/Dubai",
		"Edinburgh":     "Europe/London",
		"Auckland":      "Pacific/Auckland",
		"New Zealand":   "Pacific/Auckland",
	} {
		got := Search(q)
		if len(got) == 0 || got[0].Name != want {
			names := []string{}
			for _, z := range got {
				names = append(names, z.Name)
			}
			t.Errorf("Search(%q) = %v, want %s first", q, names, want)
		}
	}
	if got := Search("   "); got != nil {
		t.Errorf("a blank search found %d zones", len(got))
	}
}

func TestResolve(t *testing.T) {
	nz := Zone{Name: "Pacific/Auckland", Country: "New Zealand", Cities: []string{"Wellington", "Auckland"}}
	label := nz.Label(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
	if label != "Wellington, Auckland — Pacific/Auckland, New Zealand (UTC+13)" {
		t.Errorf("Label = %q", label)
	}
	for in, want := range map[string]string{
		"Pacific/Auckland": "Pacific/Auckland",
		"pacific/auckland": "Pacific/Auckland",
		" UTC ":            "UTC",
		"Wellington":       "Pacific/Auckland",
		label:              "Pacific/Auckland",
		"Asia/Calcutta":    "Asia/Calcutta", // a link: still a real zone
	} {
		if got, ok := Resolve(in); !ok || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "Local", "Mars/Olympus_Mons", "Atlantis", "../../etc/passwd", "Europe/"} {
		if got, ok := Resolve(in); ok {
			t.Errorf("Resolve(%q) = %q, want refused", in, got)
		}
	}
}

func TestOffsetWritesHalfHours(t *testing.T) {
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for zone, want := range map[string]string{"Asia/Kolkata": "+5:30", "America/St_Johns": "-2:30", "UTC": "", "Asia/Kathmandu": "+5:45"} {
		loc, _ := time.LoadLocation(zone)
		if got := Offset(at.In(loc)); got != want {
			t.Errorf("Offset in %s = %q, want %q", zone, got, want)
		}
	}
	if !strings.Contains(Zone{Name: "Asia/Kolkata", Cities: []string{"Mumbai"}}.Label(at), "(UTC+5:30)") {
		t.Error("Kolkata's label does not show its half-hour offset")
	}
}
