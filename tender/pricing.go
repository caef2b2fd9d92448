package tender

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/14build/14build/soq"
)

// Priced reports whether bidders price items of type t (a rate per unit of their own).
func Priced(t soq.ItemType) bool {
	return t == soq.Measured || t == soq.Daywork || t == soq.Preliminaries
}

// Locked reports whether items of type t come pre-filled from the SOQ and cannot be
// repriced: provisional and prime cost sums are the owner's allowances, the same in
// every bid.
func Locked(t soq.ItemType) bool { return t.Fixed() }

// Line is one line of a bid as the rules need it: the item of the tender's frozen SOQ and
// the bidder's rate for it.
type Line struct {
	ItemID    string
	Reference string // names the line in messages ("1.2")
	Section   string // the section it totals in
	Type      soq.ItemType
	Quantity  soq.Quantity
	Allowance int64 // the frozen SOQ's rate; the amount of a locked allowance
	Rate      int64 // the bidder's rate, minor units per unit of measure
	HasRate   bool  // a rate was entered: 0 is a rate (flagged at leveling), not a gap
}

// Effective is the rate the line counts at: the SOQ's allowance on a locked line,
// whatever the bid holds, else the bidder's rate (0 when none is entered yet).
func (l Line) Effective() int64 {
	if Locked(l.Type) {
		return l.Allowance
	}
	if !l.HasRate {
		return 0
	}
	return l.Rate
}

// CheckRate refuses a rate sent for a locked line that differs from its allowance; a
// message for people, "" when the rate is acceptable. Sending the allowance itself is
// allowed, so a client may post back every line it shows.
func CheckRate(l Line, rate int64) string {
	switch {
	case rate < 0:
		return "must not be negative"
	case Locked(l.Type) && rate != l.Allowance:
		return "is a " + strings.ToLower(l.Type.Label()) + ", fixed by the SOQ"
	}
	return ""
}

// BidTotal is the bid's amount per section and in total, each line at its Effective rate
// through soq.Amount, so a bid's total is computed one way only and never taken from the
// client. Lines not yet priced count as 0, which gives a draft's running total. The error
// is a *soq.TotalError naming the line (by ItemID) that takes a total past the money range.
func BidTotal(lines []Line) (soq.Totals, error) {
	ls := make([]soq.Line, len(lines))
	for i, l := range lines {
		ls[i] = soq.Line{Key: l.ItemID, Section: l.Section, Quantity: l.Quantity, Rate: l.Effective()}
	}
	return soq.CheckTotals(nil, ls)
}

// Addendum is what submitting needs to know of an addendum: whether this bidder has
// acknowledged it.
type Addendum struct {
	Number       int
	Acknowledged bool
}

// Blockers is what stops a bid being submitted: priced lines with no rate, and addenda
// not acknowledged. The zero value blocks nothing.
type Blockers struct {
	Lines   []Line // unpriced lines, in the order given
	Addenda []int  // numbers of unacknowledged addenda
}

// None reports whether nothing blocks the submission.
func (m Blockers) None() bool { return len(m.Lines) == 0 && len(m.Addenda) == 0 }

// maxNamed bounds how many line references the sentence names; the 409's body can list
// them all.
const maxNamed = 10

// Error is the refusal as a sentence naming what is missing, for the 409.
func (m Blockers) Error() string {
	var parts []string
	if n := len(m.Lines); n > 0 {
		refs := make([]string, 0, min(n, maxNamed))
		for _, l := range m.Lines[:min(n, maxNamed)] {
			refs = append(refs, l.Reference)
		}
		more := ""
		if n > maxNamed {
			more = fmt.Sprintf(" and %d more", n-maxNamed)
		}
		parts = append(parts, fmt.Sprintf("price %s (%s%s)", plural(n, "line", "lines"), strings.Join(refs, ", "), more))
	}
	if n := len(m.Addenda); n > 0 {
		nums := make([]string, n)
		for i, a := range m.Addenda {
			nums[i] = strconv.Itoa(a)
		}
		word := "addendum"
		if n > 1 {
			word = "addenda"
		}
		parts = append(parts, "acknowledge "+word+" "+strings.Join(nums, ", "))
	}
	if len(parts) == 0 {
		return "nothing is missing"
	}
	return "Before submitting, " + strings.Join(parts, " and ") + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Missing lists what blocks submitting a bid: every priced line needs a rate (locked
// lines are pre-filled) and every addendum must be acknowledged.
func Missing(lines []Line, addenda []Addendum) Blockers {
	var m Blockers
	for _, l := range lines {
		if Priced(l.Type) && !l.HasRate {
			m.Lines = append(m.Lines, l)
		}
	}
	for _, a := range addenda {
		if !a.Acknowledged {
			m.Addenda = append(m.Addenda, a.Number)
		}
	}
	return m
}
