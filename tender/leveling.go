package tender

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/units"
)

// Flag is what leveling suspects a bidder did not mean.
type Flag string

const (
	FlagZeroRate         Flag = "zero-rate"         // a rate of 0 on a line bidders price
	FlagHighRate         Flag = "high-rate"         // ≥ 3× the median of the other bids' rates
	FlagLowRate          Flag = "low-rate"          // ≤ ⅓ of the median of the other bids' rates
	FlagAllowanceChanged Flag = "allowance-changed" // a locked allowance that differs from the SOQ
	FlagFrontLoaded      Flag = "front-loaded"      // preliminaries above 15% of the bid total
)

// Label is the flag as people read it.
func (f Flag) Label() string {
	switch f {
	case FlagZeroRate:
		return "Zero rate"
	case FlagHighRate:
		return "High rate"
	case FlagLowRate:
		return "Low rate"
	case FlagAllowanceChanged:
		return "Allowance changed"
	case FlagFrontLoaded:
		return "Front-loaded"
	}
	return string(f)
}

// Finding is a flag raised on a bid, with the reason in words for the page's hover and
// text.
type Finding struct {
	Flag   Flag
	Reason string
}

// Offer is one bid's rate on one line.
type Offer struct {
	Rate    int64
	HasRate bool
}

// FlagLine flags each offer on one line of the tender (its type and the frozen SOQ's
// allowance); the result's index i holds offer i's findings. Offers are the bids that
// count (submitted, or after the award awarded and unsuccessful).
//
// On a priced line a rate of 0 is flagged. Any other rate is compared with the median
// of the other offers' rates, leaving out lines they did not price and their own zero
// rates (already flagged, they would drag the median down): a rate ≥ 3× that median is
// high, one ≤ ⅓ of it low. With no other rates to compare, nothing is flagged. On a
// locked line, a rate that is not the SOQ's allowance is flagged.
func FlagLine(t soq.ItemType, allowance int64, offers []Offer, c money.Currency) [][]Finding {
	out := make([][]Finding, len(offers))
	if Locked(t) {
		for i, o := range offers {
			if o.HasRate && o.Rate != allowance {
				out[i] = append(out[i], Finding{FlagAllowanceChanged, fmt.Sprintf(
					"the %s is %s in this bid, not the SOQ's %s", lowerLabel(t),
					money.Format(o.Rate, c), money.Format(allowance, c))})
			}
		}
		return out
	}
	// The offers' positive rates sorted once per line; an offer's "others" are this list
	// less one occurrence of its own rate, read by index without copying.
	var pos []int64
	for _, o := range offers {
		if o.HasRate && o.Rate > 0 {
			pos = append(pos, o.Rate)
		}
	}
	slices.Sort(pos)
	for i, o := range offers {
		if !o.HasRate {
			continue
		}
		if o.Rate == 0 {
			out[i] = append(out[i], Finding{FlagZeroRate, "a rate of 0 on a line bidders price"})
			continue
		}
		skip, _ := slices.BinarySearch(pos, o.Rate)
		m2, ok := twiceMedianWithout(pos, skip)
		if !ok {
			continue
		}
		// With m2 twice the median m: rate ≥ 3m ⇔ 2·rate ≥ 3·m2, and rate ≤ m/3 ⇔
		// 6·rate ≤ m2, exact in integers. Rates are below 2^53, so ×6 cannot overflow.
		switch {
		case 2*o.Rate >= 3*m2:
			out[i] = append(out[i], Finding{FlagHighRate, fmt.Sprintf(
				"the rate %s is at least 3× the median of the other bids' rates (%s)", money.Format(o.Rate, c), halfUp(m2, c))})
		case 6*o.Rate <= m2:
			out[i] = append(out[i], Finding{FlagLowRate, fmt.Sprintf(
				"the rate %s is at most ⅓ of the median of the other bids' rates (%s)", money.Format(o.Rate, c), halfUp(m2, c))})
		}
	}
	return out
}

// halfUp shows a median given twice (m2) rounded half up to the minor unit.
func halfUp(m2 int64, c money.Currency) string { return money.Format((m2+1)/2, c) }

// twiceMedianWithout is twiceMedian of sorted less its element at skip.
func twiceMedianWithout(sorted []int64, skip int) (int64, bool) {
	n := len(sorted) - 1
	if n <= 0 {
		return 0, false
	}
	at := func(k int) int64 { // the kth smallest of the others
		if k >= skip {
			k++
		}
		return sorted[k]
	}
	if n%2 == 1 {
		return 2 * at(n/2), true
	}
	return at(n/2-1) + at(n/2), true
}

func lowerLabel(t soq.ItemType) string {
	switch t {
	case soq.ProvisionalSum:
		return "provisional sum"
	case soq.PrimeCostSum:
		return "prime cost sum"
	}
	return string(t)
}

// Lowest is the indexes of the offers with the lowest rate on a priced line, all of them
// when tied; nil on a locked line or when no one priced it. A rate of 0 is not a price
// (it is flagged instead), so it is never marked lowest.
func Lowest(t soq.ItemType, offers []Offer) []int {
	if !Priced(t) {
		return nil
	}
	var idx []int
	for i, o := range offers {
		switch {
		case !o.HasRate || o.Rate <= 0:
		case len(idx) == 0 || o.Rate < offers[idx[0]].Rate:
			idx = append(idx[:0], i)
		case o.Rate == offers[idx[0]].Rate:
			idx = append(idx, i)
		}
	}
	return idx
}

// Front-loading: preliminaries above FrontLoadPercent of a bid's total.
const FrontLoadPercent = 15

// FrontLoaded flags a bid whose preliminaries (the sum of its preliminaries lines'
// amounts) are more than 15% of its total, the usual sign of a bidder drawing money
// forward. The share is shown in tenths of a percent, rounded half up.
func FrontLoaded(prelims, total int64) (Finding, bool) {
	// prelims/total > 15/100 ⇔ 100·prelims > 15·total; amounts are below 2^53.
	if total <= 0 || 100*prelims <= FrontLoadPercent*total {
		return Finding{}, false
	}
	tenths := ratio(prelims, 1000, total)
	return Finding{FlagFrontLoaded, fmt.Sprintf(
		"preliminaries are %d.%d%% of the bid total, more than %d%%", tenths/10, tenths%10, FrontLoadPercent)}, true
}

// CostPerArea is a total per square metre of gross floor area, in minor units, rounded
// half up: total ÷ (gfa/100 m²) = total × 100 ÷ gfa, gfa being hundredths of a m². False
// when there is no floor area to divide by.
func CostPerArea(total int64, gfa units.Area) (int64, bool) {
	if gfa <= 0 {
		return 0, false
	}
	return ratio(total, 100, int64(gfa)), true
}

// GrossFloorArea is the sum of the project's units' total floor areas.
func GrossFloorArea(us []units.Unit) units.Area {
	var a units.Area
	for _, u := range us {
		a += u.TotalArea
	}
	return a
}

// CostPerUnit is a total per unit of the project, in minor units, rounded half up. False
// when the project has no units.
func CostPerUnit(total int64, n int) (int64, bool) {
	if n <= 0 {
		return 0, false
	}
	return ratio(total, 1, int64(n)), true
}

// ratio is a×m÷d rounded half up, for a, m ≥ 0 and d > 0: ⌊(2·a·m + d) ÷ 2d⌋. Big
// integers keep the product exact whatever its size.
func ratio(a, m, d int64) int64 {
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(2*m))
	n.Add(n, big.NewInt(d))
	return n.Quo(n, big.NewInt(2*d)).Int64()
}

// Leveling is bids side by side: one row per line of the tender, one column per bid.
type Leveling struct {
	Lines []LevelLine
	Bids  []LevelBid
}

// LevelLine is one line across the bids; each slice has one entry per bid, in the order
// the bids were given.
type LevelLine struct {
	Line     Line // the frozen item; its Rate and HasRate are not used
	Offers   []Offer
	Amounts  []int64 // at each bid's Effective rate, through soq.Amount
	Findings [][]Finding
	Lowest   []int // indexes of the bids with the lowest rate
}

// LevelBid is one bid's column: its totals as BidTotal computes them (the same numbers
// the bid shows its bidder) and the findings on the whole bid.
type LevelBid struct {
	Totals   soq.Totals
	Prelims  int64 // the amount of its preliminaries lines
	Findings []Finding
	Flagged  int // lines with a finding, for the column's header
}

// Level puts bids side by side. items are the tender's frozen lines (Rate and HasRate
// ignored); each of bids maps item ids to that bid's rates, an absent item being a line
// it did not price. Only bids that count belong here (submitted, or after the award
// awarded and unsuccessful). The error is a *soq.TotalError from a bid whose total
// cannot be held.
func Level(items []Line, bids []map[string]int64, c money.Currency) (Leveling, error) {
	lv := Leveling{Lines: make([]LevelLine, len(items)), Bids: make([]LevelBid, len(bids))}
	priced := make([][]Line, len(bids)) // each bid's lines, for BidTotal
	for b := range bids {
		priced[b] = make([]Line, len(items))
	}
	for i, it := range items {
		ll := LevelLine{Line: it, Offers: make([]Offer, len(bids)), Amounts: make([]int64, len(bids))}
		for b, rates := range bids {
			l := it
			l.Rate, l.HasRate = rates[it.ItemID]
			priced[b][i] = l
			ll.Offers[b] = Offer{Rate: l.Rate, HasRate: l.HasRate}
			a, err := soq.Amount(l.Quantity, l.Effective())
			if err != nil {
				return Leveling{}, &soq.TotalError{Key: it.ItemID, Which: soq.OverAmount, Section: it.Section}
			}
			ll.Amounts[b] = a
			if it.Type == soq.Preliminaries {
				lv.Bids[b].Prelims += a // a sum past the money range fails BidTotal below
			}
		}
		ll.Findings = FlagLine(it.Type, it.Allowance, ll.Offers, c)
		ll.Lowest = Lowest(it.Type, ll.Offers)
		for b, fs := range ll.Findings {
			if len(fs) > 0 {
				lv.Bids[b].Flagged++
			}
		}
		lv.Lines[i] = ll
	}
	for b := range bids {
		t, err := BidTotal(priced[b])
		if err != nil {
			return Leveling{}, err
		}
		lv.Bids[b].Totals = t
		if f, ok := FrontLoaded(lv.Bids[b].Prelims, t.Total); ok {
			lv.Bids[b].Findings = append(lv.Bids[b].Findings, f)
		}
	}
	return lv, nil
}
