package tender

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
)

// TestFlagLineMatchesNaiveMedian checks FlagLine's median-by-index against the plain
// definition (copy the other offers' positive rates, sort, take the middle) on random
// lines, ties and gaps included.
func TestFlagLineMatchesNaiveMedian(t *testing.T) {
	t.Parallel()
	naive := func(offers []Offer, i int) (int64, bool) {
		var others []int64
		for j, p := range offers {
			if j != i && p.HasRate && p.Rate > 0 {
				others = append(others, p.Rate)
			}
		}
		if len(others) == 0 {
			return 0, false
		}
		slices.Sort(others)
		n := len(others)
		if n%2 == 1 {
			return 2 * others[n/2], true
		}
		return others[n/2-1] + others[n/2], true
	}
	c := money.Of("usd")
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		offers := make([]Offer, r.IntN(8))
		for k := range offers {
			offers[k] = Offer{Rate: r.Int64N(12) * int64(1+r.IntN(3)), HasRate: r.IntN(5) > 0}
		}
		got := FlagLine(soq.Measured, 0, offers, c)
		for i, o := range offers {
			var want []Flag
			if o.HasRate && o.Rate == 0 {
				want = append(want, FlagZeroRate)
			} else if o.HasRate {
				if m2, ok := naive(offers, i); ok {
					switch {
					case 2*o.Rate >= 3*m2:
						want = append(want, FlagHighRate)
					case 6*o.Rate <= m2:
						want = append(want, FlagLowRate)
					}
				}
			}
			var flags []Flag
			for _, f := range got[i] {
				flags = append(flags, f.Flag)
			}
			if !slices.Equal(flags, want) {
				t.Fatalf("offers %+v, offer %d: flags %v, want %v", offers, i, flags, want)
			}
		}
	}
}
