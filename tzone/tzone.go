// Package tzone is the list of IANA time zones a person picks a project's zone from,
// searchable by the cities people know them by: nobody in Wellington looks for
// "Pacific/Auckland".
package tzone

import (
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // every zone in the table must resolve, with or without the system's tzdata
)

// Zone is one IANA zone with the names people search it by.
type Zone struct {
	Name    string   // "Pacific/Auckland"
	Country string   // "New Zealand"; "" for UTC
	Cities  []string // best known first: "Wellington", "Auckland", …
}

// All is every zone, UTC first, then by name. The slice is shared: do not modify it.
func All() []Zone { return table }

// Label is how a picker shows z at the instant now:
// "Wellington, Auckland, … — Pacific/Auckland, New Zealand (UTC+13)".
func (z Zone) Label(now time.Time) string {
	var b strings.Builder
	b.WriteString(strings.Join(z.Cities, ", "))
	b.WriteString(" — ")
	b.WriteString(z.Name)
	if z.Country != "" {
		b.WriteString(", ")
		b.WriteString(z.Country)
	}
	if loc := location(z.Name); loc != nil {
		b.WriteString(" (UTC")
		b.WriteString(Offset(now.In(loc)))
		b.WriteString(")")
	}
	return b.String()
}

// locations holds the table's zones loaded once: a picker labels every zone on each render,
// and time.LoadLocation reads and parses the zone's data on every call.
var locations = sync.OnceValue(func() map[string]*time.Location {
	m := make(map[string]*time.Location, len(table))
	for _, z := range table {
		if loc, err := time.LoadLocation(z.Name); err == nil {
			m[z.Name] = loc
		}
	}
	return m
})

func location(name string) *time.Location {
	if loc, ok := locations()[name]; ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}

// Offset writes t's offset from UTC as "+13", "+5:30", "-3:30", or "" for UTC itself.
func Offset(t time.Time) string {
	_, off := t.Zone()
	if off == 0 {
		return ""
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h, m := off/3600, off%3600/60
	if m == 0 {
		return sign + strconv.Itoa(h)
	}
	return sign + strconv.Itoa(h) + ":" + twoDigits(m)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// Search returns the zones whose name, country or one of whose cities contains q, ignoring
// case; the zones one of whose cities is exactly q come first.
func Search(q string) []Zone {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return nil
	}
	var exact, rest []Zone
	for _, z := range table {
		switch {
		case z.hasCity(q):
			exact = append(exact, z)
		case strings.Contains(strings.ToLower(z.Name), q) || strings.Contains(strings.ToLower(z.Country), q) || z.cityContains(q):
			rest = append(rest, z)
		}
	}
	return append(exact, rest...)
}

func (z Zone) hasCity(lower string) bool {
	for _, c := range z.Cities {
		if strings.ToLower(c) == lower {
			return true
		}
	}
	return false
}

func (z Zone) cityContains(lower string) bool {
	for _, c := range z.Cities {
		if strings.Contains(strings.ToLower(c), lower) {
			return true
		}
	}
	return false
}

// Resolve reads what a person typed into the zone field: a zone's name in any case
// ("pacific/auckland"), a picker label (which ends in "— Pacific/Auckland, New Zealand
// (UTC+13)"), or a city that names exactly one zone ("Wellington"). It returns the zone's
// canonical name, or false when the text names no zone or more than one.
func Resolve(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if _, after, ok := strings.Cut(s, " — "); ok {
		s, _, _ = strings.Cut(after, ",")
		s, _, _ = strings.Cut(s, " (")
		s = strings.TrimSpace(s)
	}
	for _, z := range table {
		if strings.EqualFold(z.Name, s) {
			return z.Name, true
		}
	}
	// Zones outside zone.tab (links such as "Asia/Calcutta", "US/Pacific") are real zones
	// too; "Local" is the server's clock, which means nothing to the project.
	if strings.Contains(s, "/") && !strings.EqualFold(s, "local") {
		if _, err := time.LoadLocation(s); err == nil {
			return s, true
		}
	}
	var found string
	lower := strings.ToLower(s)
	for _, z := range table {
		if z.hasCity(lower) {
			if found != "" && found != z.Name {
				return "", false
			}
			found = z.Name
		}
	}
	return found, found != ""
}
