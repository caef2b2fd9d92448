// Package pdfdoc writes printable documents as PDF: the tender document (a bill of
// quantities with a collection and a form of tender). Text is set in an embedded DejaVu
// font so that m², €, £ and accents print the same on every machine.
package pdfdoc

import (
	"time"

	"github.com/14build/14build/soq"
)

// Tender is everything the printed tender document shows.
type Tender struct {
	Reference                                              string // printed on every page, e.g. "HVT-01/T-3F2A"
	ProjectName, ProjectCode, ProjectAddress, OwnerCompany string
	Title, Instructions                                    string
	IssuedAt, ClosesAt                                     time.Time // printed in TimeZone
	TimeZone                                               string    // IANA
	Currency                                               string    // ISO code, e.g. "nzd"
	Addenda                                                []Addendum
	Sections                                               []Section
}

// Addendum is one issued addendum.
type Addendum struct {
	Number   int
	Text     string
	IssuedAt time.Time
}

// Section is one section of the bill.
type Section struct {
	Code, Title string
	Items       []Item
	Total       int64 // a priced bid's section total (WriteBid); unused by WriteTender
}

// Item is one line of the bill.
type Item struct {
	Reference, Description, Unit string
	Quantity                     soq.Quantity
	Type                         soq.ItemType
	Allowance                    int64 // the fixed amount of a provisional or prime cost sum (printed); 0 otherwise
	// A priced bid's line (WriteBid): the rate and amount, when a rate is entered.
	Rate, Amount int64
	HasRate      bool
}
