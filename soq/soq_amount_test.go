package soq

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/14build/14build/money"
)

// TestAmountMatchesBigIntegers checks the 128-bit Amount against exact big-integer
// arithmetic, at the edges of the ranges and at random.
func TestAmountMatchesBigIntegers(t *testing.T) {
	t.Parallel()
	want := func(q Quantity, rate int64) (int64, bool) {
		p := new(big.Int).Mul(big.NewInt(int64(q)), big.NewInt(rate))
		p.Add(p, big.NewInt(500))
		p.Quo(p, big.NewInt(1000))
		if !p.IsInt64() || p.Int64() > money.MaxMinor {
			return 0, false
		}
		return p.Int64(), true
	}
	check := func(q Quantity, rate int64) {
		got, err := Amount(q, rate)
		w, ok := want(q, rate)
		if ok != (err == nil) || got != w {
			t.Fatalf("Amount(%d, %d) = %d, %v; want %d (fits: %v)", q, rate, got, err, w, ok)
		}
	}
	edges := []int64{0, 1, 499, 500, 501, 999, 1000, 1001, money.MaxMinor, money.MaxMinor + 1, 1 << 62, 1<<63 - 1}
	for _, a := range edges {
		for _, b := range edges {
			check(Quantity(a), b)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		q := Quantity(r.Int64N(int64(MaxQuantity) + 1))
		rate := r.Int64N(money.MaxMinor + 1)
		if r.IntN(2) == 0 {
			rate = r.Int64N(1_000_000) // the usual sizes too
		}
		check(q, rate)
	}
}
