package tender

import (
	"strconv"
	"testing"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
)

// BenchmarkLevel is the leveling of 20 bids × 5,000 lines (make bench's page size), the
// rates spread around a line's price as real bids are.
func BenchmarkLevel(b *testing.B) {
	const nLines, nBids = 5000, 20
	items := make([]Line, nLines)
	for i := range items {
		q, _ := soq.ParseQuantity(strconv.Itoa(1 + i%97))
		items[i] = Line{ItemID: "i" + strconv.Itoa(i), Reference: strconv.Itoa(i), Section: "S" + strconv.Itoa(i/500),
			Type: soq.Measured, Quantity: q}
	}
	bids := make([]map[string]int64, nBids)
	for k := range bids {
		bids[k] = make(map[string]int64, nLines)
		for i, it := range items {
			bids[k][it.ItemID] = int64(1000 + (i*31+k*17)%900)
		}
	}
	cur := money.Of("nzd")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Level(items, bids, cur); err != nil {
			b.Fatal(err)
		}
	}
}
