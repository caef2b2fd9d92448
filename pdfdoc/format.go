package pdfdoc

import (
	"time"

	"github.com/14build/14build/soq"
)

// QuantityText formats a quantity as the document prints it (significant decimals,
// thousands separators); the HTML print view uses it so both read the same.
func QuantityText(q soq.Quantity) string { return quantityText(q) }

// UnitText is a unit as printed: m2 and m3 as m² and m³.
func UnitText(u string) string { return unitText(u) }

// SectionTitle is a section's heading, "Section A — Groundworks".
func SectionTitle(s Section) string { return sectionTitle(s) }

// Zone is the location the document prints t's times in (UTC when unknown).
func (t Tender) Zone() *time.Location {
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil || t.TimeZone == "" {
		return time.UTC
	}
	return loc
}

// When writes a time as the document does, "Monday 2 January 2006, 15:04", in t's zone.
func (t Tender) When(at time.Time) string {
	if at.IsZero() {
		return "—"
	}
	return at.In(t.Zone()).Format("Monday 2 January 2006, 15:04")
}
