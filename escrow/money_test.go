package escrow

import (
	"math"
	"testing"
)

func TestFeeRoundsHalfUp(t *testing.T) {
	for _, c := range []struct{ amount, want int64 }{
		{0, 0}, {1, 0}, {19, 0}, {20, 1}, {59, 1}, {60, 2}, {100, 3}, {1999, 50}, {2020, 51},
		{1_000_000, 25_000}, {-20, -1},
		// No overflow: 2.5 % of the largest amounts, exactly.
		{1 << 62, 115292150460684698}, {math.MaxInt64, 230584300921369395},
		{math.MinInt64, -230584300921369395},
	} {
		if got := Fee(c.amount); got != c.want {
			t.Errorf("Fee(%d) = %d, want %d", c.amount, got, c.want)
		}
	}
}

func TestRetentionRoundsHalfUp(t *testing.T) {
	for _, c := range []struct {
		amount int64
		bp     int
		want   int64
	}{
		{100, 0, 0}, {100, 500, 5}, {10, 500, 1}, {9, 500, 0}, {1999, 500, 100}, {1, 2000, 0},
		{3, 2000, 1}, {2, 2500, 1}, {100, -1, 0}, {100, 10001, 0},
		{math.MaxInt64, 10000, math.MaxInt64}, {math.MaxInt64, 1, 922337203685478},
	} {
		if got := Retention(c.amount, c.bp); got != c.want {
			t.Errorf("Retention(%d, %d) = %d, want %d", c.amount, c.bp, got, c.want)
		}
	}
}

func TestSplitAddsUp(t *testing.T) {
	for _, amount := range []int64{0, 1, 2, 3, 19, 20, 100, 1999, 123_456_789, 1 << 62, math.MaxInt64} {
		for _, bp := range []int{0, 1, 500, 1000, 2000, 10000} {
			p := Split(amount, bp)
			if p.Amount != amount || p.Fee+p.Retention+p.Transfer != amount || p.Transfer < 0 || p.Retention < 0 {
				t.Errorf("Split(%d, %d) = %+v", amount, bp, p)
			}
		}
	}
	if p := Split(10_000, 1000); p != (Payout{Amount: 10_000, Fee: 250, Retention: 1000, Transfer: 8750}) {
		t.Errorf("Split(10000, 1000) = %+v", p)
	}
}
