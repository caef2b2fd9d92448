package escrow

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/14build/14build/money"
)

// FeeBP is the platform's fee in basis points of each milestone's payment: 2.5 %.
const FeeBP = 250

// MaxRetentionBP is the most retention a contract may withhold: 20 % (the table's check).
const MaxRetentionBP = 2000

// Fee is the platform's fee on amount minor units: amount × 2.5 %, rounded half-up to a
// whole minor unit (1 → 0, 20 → 1, 100 → 3, 1999 → 50), in integers only.
func Fee(amount int64) int64 { return bpOf(amount, FeeBP) }

// Retention is bp basis points of amount, rounded half-up like Fee. bp outside
// 0..10000 is treated as 0 (ValidRetentionBP refuses it first).
func Retention(amount int64, bp int) int64 {
	if bp <= 0 || bp > 10000 {
		return 0
	}
	return bpOf(amount, int64(bp))
}

// bpOf is amount × bp / 10000 rounded half away from zero, over 128 bits so no int64
// amount overflows (the result is at most |amount|, bp being ≤ 10000).
func bpOf(amount, bp int64) int64 {
	neg := amount < 0
	u := uint64(amount)
	if neg {
		u = -u // also right for math.MinInt64: 1<<63 as uint64
	}
	hi, lo := bits.Mul64(u, uint64(bp))
	lo, carry := bits.Add64(lo, 5000, 0)
	hi += carry
	q, _ := bits.Div64(hi, lo, 10000) // hi < 10000 as u < 2^64 and bp ≤ 10000
	if neg {
		return -int64(q)
	}
	return int64(q)
}

// ValidRetentionBP reports whether bp is a retention a contract may hold.
func ValidRetentionBP(bp int) bool { return bp >= 0 && bp <= MaxRetentionBP }

// Payout is how a milestone's amount is split when released: the platform's Fee, the
// Retention withheld until the contract completes, and the Transfer to the contractor.
// Amount = Fee + Retention + Transfer always.
type Payout struct {
	Amount, Fee, Retention, Transfer int64
}

// Split splits amount (≥ 0) at the platform's fee and retentionBP of retention. Were fee
// and retention to exceed the amount (never for bp ≤ MaxRetentionBP) the retention gives
// way, so Transfer is never negative.
func Split(amount int64, retentionBP int) Payout {
	if amount < 0 {
		amount = 0
	}
	p := Payout{Amount: amount, Fee: Fee(amount), Retention: Retention(amount, retentionBP)}
	if p.Fee > amount {
		p.Fee = amount
	}
	if p.Retention > amount-p.Fee {
		p.Retention = amount - p.Fee
	}
	p.Transfer = amount - p.Fee - p.Retention
	return p
}

// SumError refuses milestones whose amounts add up to more than the contract sum, or
// that are not positive.
type SumError struct {
	Sum, Total  int64 // the contract sum, the milestones' total (MaxInt64 when it overflows)
	NotPositive bool  // an amount was zero or negative
}

func (e *SumError) Error() string {
	if e.NotPositive {
		return "a milestone's amount must be more than zero"
	}
	return fmt.Sprintf("the milestones' total %d exceeds the contract sum %d by %d", e.Total, e.Sum, e.Excess())
}

// Excess is how much the total is over the sum.
func (e *SumError) Excess() int64 { return e.Total - e.Sum }

// Message is the refusal for a person, in the contract's currency: what the milestones
// would exceed the sum by.
func (e *SumError) Message(currency string) string {
	if e.NotPositive {
		return "Enter an amount more than zero."
	}
	return fmt.Sprintf("The milestones would exceed the contract sum by %s.", money.FormatCode(e.Excess(), currency))
}

// ValidateMilestones checks the milestones' amounts against the contract sum: each must
// be positive and their total may not exceed it. remainder is what is left to allocate
// (sum − total, ≥ 0 when err is nil); err is a *SumError.
func ValidateMilestones(contractSum int64, amounts []int64) (remainder int64, err error) {
	var total int64
	for _, a := range amounts {
		if a <= 0 {
			return contractSum - total, &SumError{Sum: contractSum, Total: total, NotPositive: true}
		}
		if total > math.MaxInt64-a {
			return 0, &SumError{Sum: contractSum, Total: math.MaxInt64}
		}
		total += a
	}
	if total > contractSum {
		return contractSum - total, &SumError{Sum: contractSum, Total: total}
	}
	return contractSum - total, nil
}

// FundingAllowed reports whether milestones of these amounts may be funded: they add up
// to the contract sum exactly (and are valid).
func FundingAllowed(contractSum int64, amounts []int64) bool {
	rem, err := ValidateMilestones(contractSum, amounts)
	return err == nil && rem == 0 && len(amounts) > 0
}

// FundingError is the *StateError for funding while the milestones do not add up to the
// contract sum: how much is left to allocate (remainder, in currency).
func FundingError(remainder int64, currency string) error {
	if remainder < 0 {
		return refuse(fmt.Sprintf("The milestones exceed the contract sum by %s; correct them before funding.",
			money.FormatCode(-remainder, currency)))
	}
	return refuse(fmt.Sprintf("The milestones must add up to the contract sum before funding: %s is left to allocate.",
		money.FormatCode(remainder, currency)))
}
