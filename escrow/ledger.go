package escrow

import (
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"

	"github.com/14build/14build/state"
)

// Account is a ledger account. Balances are debits less credits: the owner's funding
// goes negative as money comes in, the rest hold what they hold.
type Account string

const (
	AccountOwnerFunding      Account = "owner_funding"      // what the owner paid in (negative), less refunds
	AccountEscrowHeld        Account = "escrow_held"        // funded, not yet released
	AccountPlatformFees      Account = "platform_fees"      // the platform's 2.5 %
	AccountContractorPayable Account = "contractor_payable" // released, the transfer owed
	AccountRetentionHeld     Account = "retention_held"     // withheld until the contract completes
	AccountContractorPaid    Account = "contractor_paid"    // transferred to the contractor
)

// Accounts in the order money flows through them.
var Accounts = []Account{AccountOwnerFunding, AccountEscrowHeld, AccountPlatformFees,
	AccountContractorPayable, AccountRetentionHeld, AccountContractorPaid}

// Valid reports whether a is a ledger account.
func (a Account) Valid() bool { return slices.Contains(Accounts, a) }

// Label is the account as people read it.
func (a Account) Label() string {
	switch a {
	case AccountOwnerFunding:
		return "Owner funding"
	case AccountEscrowHeld:
		return "Escrow held"
	case AccountPlatformFees:
		return "Platform fees"
	case AccountContractorPayable:
		return "Contractor payable"
	case AccountRetentionHeld:
		return "Retention held"
	case AccountContractorPaid:
		return "Contractor paid"
	}
	return string(a)
}

// Value stores the account as its text.
func (a Account) Value() (driver.Value, error) { return state.Value(a, "ledger account") }

// Scan reads a stored account, refusing one the domain does not know.
func (a *Account) Scan(src any) error { return state.Scan(a, src, "ledger account") }

// PostingKind is the money movement a posting records.
type PostingKind string

const (
	KindFunding           PostingKind = "funding"
	KindRelease           PostingKind = "release"
	KindFee               PostingKind = "fee"
	KindRetentionHeld     PostingKind = "retention_held"
	KindTransfer          PostingKind = "transfer"
	KindRetentionReleased PostingKind = "retention_released"
	KindRefund            PostingKind = "refund"
)

// PostingKinds in the order of a milestone's life.
var PostingKinds = []PostingKind{KindFunding, KindRelease, KindFee, KindRetentionHeld,
	KindTransfer, KindRetentionReleased, KindRefund}

// Valid reports whether k is a posting kind.
func (k PostingKind) Valid() bool { return slices.Contains(PostingKinds, k) }

// Label is the kind as people read it.
func (k PostingKind) Label() string {
	switch k {
	case KindFunding:
		return "Funding"
	case KindRelease:
		return "Release to contractor"
	case KindFee:
		return "Platform fee"
	case KindRetentionHeld:
		return "Retention held"
	case KindTransfer:
		return "Transfer to contractor"
	case KindRetentionReleased:
		return "Retention released"
	case KindRefund:
		return "Refund to owner"
	}
	return string(k)
}

// Value stores the kind as its text.
func (k PostingKind) Value() (driver.Value, error) { return state.Value(k, "posting kind") }

// Scan reads a stored kind, refusing one the domain does not know.
func (k *PostingKind) Scan(src any) error { return state.Scan(k, src, "posting kind") }

// Posting moves Amount (> 0) from the Credit account to the Debit account.
type Posting struct {
	Kind   PostingKind `db:"kind" json:"kind"`
	Debit  Account     `db:"debit" json:"debit"`
	Credit Account     `db:"credit" json:"credit"`
	Amount int64       `db:"amount" json:"amount"`
}

// post is one posting, none for a zero amount (the table holds positive amounts only).
func post(ps []Posting, k PostingKind, debit, credit Account, amount int64) []Posting {
	if amount == 0 {
		return ps
	}
	return append(ps, Posting{Kind: k, Debit: debit, Credit: credit, Amount: amount})
}

// FundingPostings: the owner's payment is held in escrow.
func FundingPostings(amount int64) []Posting {
	return post(nil, KindFunding, AccountEscrowHeld, AccountOwnerFunding, amount)
}

// ReleasePostings: the owner released the escrow; the transfer is owed to the contractor,
// the fee is the platform's and the retention is held (zero amounts make no posting).
func ReleasePostings(p Payout) []Posting {
	ps := post(nil, KindRelease, AccountContractorPayable, AccountEscrowHeld, p.Transfer)
	ps = post(ps, KindFee, AccountPlatformFees, AccountEscrowHeld, p.Fee)
	return post(ps, KindRetentionHeld, AccountRetentionHeld, AccountEscrowHeld, p.Retention)
}

// TransferPostings: Stripe made the transfer owed to the contractor.
func TransferPostings(amount int64) []Posting {
	return post(nil, KindTransfer, AccountContractorPaid, AccountContractorPayable, amount)
}

// RetentionReleasePostings: the contract's retention is released, owed to the contractor
// (its transfer is then TransferPostings).
func RetentionReleasePostings(amount int64) []Posting {
	return post(nil, KindRetentionReleased, AccountContractorPayable, AccountRetentionHeld, amount)
}

// RefundPostings: the escrow goes back to the owner.
func RefundPostings(amount int64) []Posting {
	return post(nil, KindRefund, AccountOwnerFunding, AccountEscrowHeld, amount)
}

// Balances is each account's debits less its credits.
type Balances map[Account]int64

// BalancesOf sums the postings per account.
func BalancesOf(ps []Posting) Balances {
	b := Balances{}
	for _, p := range ps {
		b[p.Debit] += p.Amount
		b[p.Credit] -= p.Amount
	}
	return b
}

// Total is the sum over all accounts: zero for any balanced set of postings.
func (b Balances) Total() int64 {
	var t int64
	for _, v := range b {
		t += v
	}
	return t
}

// Add adds other's balances into b.
func (b Balances) Add(other Balances) {
	for a, v := range other {
		b[a] += v
	}
}

// Diff describes where b differs from want ("" when they agree), accounts in order.
func (b Balances) Diff(want Balances) string {
	var out []string
	for _, a := range Accounts {
		if b[a] != want[a] {
			out = append(out, fmt.Sprintf("%s is %d, want %d", a, b[a], want[a]))
		}
	}
	for a := range b {
		if !a.Valid() && b[a] != 0 {
			out = append(out, fmt.Sprintf("unknown account %q is %d", a, b[a]))
		}
	}
	return strings.Join(out, "; ")
}

// Expected is the balances one escrow's postings must have in state st with release rs
// and payout p; an error when the state pair cannot occur.
func Expected(st Status, rs ReleaseState, p Payout) (Balances, error) {
	b := Balances{}
	switch st {
	case EscrowPending, EscrowCancelled:
		if rs != ReleaseNone {
			return nil, fmt.Errorf("escrow %s with release %s", st, rs)
		}
	case EscrowRefunded:
		// Funded and paid back: nothing left anywhere.
		if rs != ReleaseNone {
			return nil, fmt.Errorf("escrow %s with release %s", st, rs)
		}
	case EscrowFunded:
		b[AccountOwnerFunding] = -p.Amount
		switch rs {
		case ReleaseNone:
			b[AccountEscrowHeld] = p.Amount
		case ReleaseRequested:
			b[AccountContractorPayable] = p.Transfer
			b[AccountPlatformFees] = p.Fee
			b[AccountRetentionHeld] = p.Retention
		default:
			return nil, fmt.Errorf("escrow %s with release %s", st, rs)
		}
	case EscrowReleased:
		if rs != ReleaseSent {
			return nil, fmt.Errorf("escrow %s with release %s", st, rs)
		}
		b[AccountOwnerFunding] = -p.Amount
		b[AccountContractorPaid] = p.Transfer
		b[AccountPlatformFees] = p.Fee
		b[AccountRetentionHeld] = p.Retention
	default:
		return nil, fmt.Errorf("unknown escrow status %q", st)
	}
	return b, nil
}

// CheckEscrow is nil when b, the balances of one escrow's postings, are what its state st,
// release rs and payout p imply; else an error naming the mismatch.
func CheckEscrow(st Status, rs ReleaseState, p Payout, b Balances) error {
	if p.Fee+p.Retention+p.Transfer != p.Amount || p.Fee < 0 || p.Retention < 0 || p.Transfer < 0 {
		return fmt.Errorf("payout %+v does not add up", p)
	}
	want, err := Expected(st, rs, p)
	if err != nil {
		return err
	}
	if d := b.Diff(want); d != "" {
		return fmt.Errorf("escrow %s (release %s): %s", st, rs, d)
	}
	return nil
}

// ExpectedRetention is the balances of a contract's retention postings (those of no
// escrow) with release rs of held, the retention its released escrows withheld: none
// before release; requested moves it to contractor payable (retention_held −held,
// payable +held); sent has paid it (retention_held −held, contractor_paid +held).
func ExpectedRetention(rs ReleaseState, held int64) (Balances, error) {
	switch rs {
	case ReleaseNone:
		return Balances{}, nil
	case ReleaseRequested:
		return Balances{AccountRetentionHeld: -held, AccountContractorPayable: held}, nil
	case ReleaseSent:
		return Balances{AccountRetentionHeld: -held, AccountContractorPaid: held}, nil
	}
	return nil, fmt.Errorf("unknown release state %q", rs)
}

// CheckRetention is nil when b, the balances of a contract's postings of no escrow, are
// what its retention release rs of held implies.
func CheckRetention(rs ReleaseState, held int64, b Balances) error {
	want, err := ExpectedRetention(rs, held)
	if err != nil {
		return err
	}
	if d := b.Diff(want); d != "" {
		return fmt.Errorf("retention (release %s of %d): %s", rs, held, d)
	}
	return nil
}
