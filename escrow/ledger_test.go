package escrow

import (
	"errors"
	"strings"
	"testing"
)

func TestPostingsBalanceThroughALife(t *testing.T) {
	p := Split(1999, 1000) // fee 50, retention 200, transfer 1749
	var ps []Posting
	check := func(st Status, rs ReleaseState) {
		t.Helper()
		b := BalancesOf(ps)
		if b.Total() != 0 {
			t.Errorf("%s/%s: total %d", st, rs, b.Total())
		}
		if err := CheckEscrow(st, rs, p, b); err != nil {
			t.Errorf("%s/%s: %v", st, rs, err)
		}
	}
	check(EscrowPending, ReleaseNone)
	ps = append(ps, FundingPostings(p.Amount)...)
	check(EscrowFunded, ReleaseNone)
	ps = append(ps, ReleasePostings(p)...)
	if len(ps) != 4 {
		t.Errorf("%d postings after the release, want 4", len(ps))
	}
	check(EscrowFunded, ReleaseRequested)
	ps = append(ps, TransferPostings(p.Transfer)...)
	check(EscrowReleased, ReleaseSent)
	if b := BalancesOf(ps); b[AccountContractorPaid] != 1749 || b[AccountPlatformFees] != 50 || b[AccountRetentionHeld] != 200 {
		t.Errorf("balances %v", b)
	}
	// The contract's retention, then its transfer.
	rp := RetentionReleasePostings(200)
	if err := CheckRetention(ReleaseRequested, 200, BalancesOf(rp)); err != nil {
		t.Error(err)
	}
	rp = append(rp, TransferPostings(200)...)
	if err := CheckRetention(ReleaseSent, 200, BalancesOf(rp)); err != nil {
		t.Error(err)
	}
	if err := CheckRetention(ReleaseNone, 200, BalancesOf(rp)); err == nil {
		t.Error("retention sent passed as none")
	}

	// Refunded: nothing left anywhere.
	ps = append(FundingPostings(500), RefundPostings(500)...)
	if err := CheckEscrow(EscrowRefunded, ReleaseNone, Split(500, 0), BalancesOf(ps)); err != nil {
		t.Error(err)
	}
}

func TestCheckEscrowNamesTheMismatch(t *testing.T) {
	p := Split(1000, 0)
	err := CheckEscrow(EscrowFunded, ReleaseNone, p, BalancesOf(nil))
	if err == nil || !strings.Contains(err.Error(), "escrow_held is 0, want 1000") {
		t.Errorf("missing funding: %v", err)
	}
	if err := CheckEscrow(EscrowReleased, ReleaseRequested, p, Balances{}); err == nil {
		t.Error("released without the transfer sent passed")
	}
	if err := CheckEscrow(EscrowFunded, ReleaseNone, Payout{Amount: 10, Fee: 1, Transfer: 8}, BalancesOf(FundingPostings(10))); err == nil {
		t.Error("a payout that does not add up passed")
	}
	// Two fundings of one escrow: caught.
	if err := CheckEscrow(EscrowFunded, ReleaseNone, p, BalancesOf(append(FundingPostings(1000), FundingPostings(1000)...))); err == nil {
		t.Error("double funding passed")
	}
}

func TestZeroAmountsMakeNoPostings(t *testing.T) {
	if ps := ReleasePostings(Split(10, 0)); len(ps) != 1 || ps[0].Kind != KindRelease || ps[0].Amount != 10 {
		t.Errorf("release of 10 without fee or retention: %+v", ps)
	}
	if FundingPostings(0) != nil || TransferPostings(0) != nil {
		t.Error("postings of zero")
	}
	for _, p := range ReleasePostings(Split(1_000_000, 500)) {
		if p.Debit == p.Credit || p.Amount <= 0 || !p.Debit.Valid() || !p.Credit.Valid() || !p.Kind.Valid() {
			t.Errorf("posting %+v", p)
		}
	}
}

func TestValidateMilestones(t *testing.T) {
	if rem, err := ValidateMilestones(1000, []int64{400, 500}); err != nil || rem != 100 {
		t.Errorf("under: %d %v", rem, err)
	}
	rem, err := ValidateMilestones(1000, []int64{600, 500})
	var se *SumError
	if !errors.As(err, &se) || se.Excess() != 100 || rem != -100 || !strings.Contains(se.Message("usd"), "$1.00") {
		t.Errorf("over: %d %v", rem, err)
	}
	if _, err := ValidateMilestones(1000, []int64{1 << 62, 1 << 62, 1 << 62}); !errors.As(err, &se) {
		t.Errorf("overflow: %v", err)
	}
	if _, err := ValidateMilestones(1000, []int64{0}); !errors.As(err, &se) || !se.NotPositive {
		t.Errorf("zero: %v", err)
	}
	if !FundingAllowed(1000, []int64{400, 600}) || FundingAllowed(1000, []int64{400}) || FundingAllowed(0, nil) || FundingAllowed(1000, []int64{400, 601}) {
		t.Error("FundingAllowed")
	}
	var st *StateError
	if err := FundingError(250, "usd"); !errors.As(err, &st) || !strings.Contains(st.Message, "$2.50 is left to allocate") {
		t.Errorf("FundingError: %v", err)
	}
}
