package tender

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/binary"
	"slices"
	"strings"
	"time"

	"github.com/14build/14build/state"
)

// Kind is what a ledger entry records.
type Kind string

const (
	KindCreated      Kind = "created"
	KindOpened       Kind = "opened"
	KindAddendum     Kind = "addendum"
	KindQuestion     Kind = "question"
	KindIntent       Kind = "intent"
	KindBidSubmitted Kind = "bid-submitted"
	KindBidWithdrawn Kind = "bid-withdrawn"
	KindClosed       Kind = "closed"
	KindAwarded      Kind = "awarded"
	KindCancelled    Kind = "cancelled"

	// A contract's milestones and escrow (issue 14): money movements, with amounts.
	KindMilestoneFunded    Kind = "milestone.funded"
	KindMilestoneCompleted Kind = "milestone.completed"
	KindMilestoneApproved  Kind = "milestone.approved"
	KindMilestoneDisputed  Kind = "milestone.disputed"
	KindMilestoneResolved  Kind = "milestone.resolved"
	KindEscrowReleased     Kind = "escrow.released"
	KindEscrowTransferred  Kind = "escrow.transferred"
	KindEscrowRefunded     Kind = "escrow.refunded"
	KindRetentionReleased  Kind = "retention.released"
)

// Kinds in the order of a tender's life.
var Kinds = []Kind{KindCreated, KindOpened, KindAddendum, KindQuestion, KindIntent,
	KindBidSubmitted, KindBidWithdrawn, KindClosed, KindAwarded, KindCancelled,
	KindMilestoneFunded, KindMilestoneCompleted, KindMilestoneApproved, KindMilestoneDisputed,
	KindMilestoneResolved, KindEscrowReleased, KindEscrowTransferred, KindEscrowRefunded,
	KindRetentionReleased}

// Valid reports whether k is a ledger entry kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Label is the kind as people read it.
func (k Kind) Label() string {
	switch k {
	case KindCreated:
		return "Tender created"
	case KindOpened:
		return "Tender opened"
	case KindAddendum:
		return "Addendum issued"
	case KindQuestion:
		return "Question"
	case KindIntent:
		return "Intent to bid"
	case KindBidSubmitted:
		return "Bid submitted"
	case KindBidWithdrawn:
		return "Bid withdrawn"
	case KindClosed:
		return "Tender closed"
	case KindAwarded:
		return "Tender awarded"
	case KindCancelled:
		return "Tender cancelled"
	case KindMilestoneFunded:
		return "Milestone funded"
	case KindMilestoneCompleted:
		return "Milestone completed"
	case KindMilestoneApproved:
		return "Milestone approved"
	case KindMilestoneDisputed:
		return "Milestone disputed"
	case KindMilestoneResolved:
		return "Dispute resolved"
	case KindEscrowReleased:
		return "Escrow released"
	case KindEscrowTransferred:
		return "Payment transferred"
	case KindEscrowRefunded:
		return "Escrow refunded"
	case KindRetentionReleased:
		return "Retention released"
	}
	return string(k)
}

// Value stores the kind as its text.
func (k Kind) Value() (driver.Value, error) { return state.Value(k, "ledger entry kind") }

// Scan reads a stored kind, refusing one the domain does not know.
func (k *Kind) Scan(src any) error { return state.Scan(k, src, "ledger entry kind") }

// Entry is one event of a project's activity ledger. Content holds what the event needs
// to say (a bid's id, revision and content hash; an addendum's number); text only, so it
// survives a round trip through JSONB exactly, which numbers do not promise.
type Entry struct {
	Kind     Kind
	TenderID string
	ActorID  string
	At       time.Time // UTC, whole microseconds: see LedgerTime
	Content  map[string]string
}

// LedgerTime is t as an entry holds it: UTC, truncated to the microsecond that PostgreSQL
// stores. Store an entry's At only after passing it through here: PostgreSQL rounds extra
// digits where EntryHash truncates them, and the stored entry would no longer match its
// hash.
func LedgerTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Record is an entry as stored: with its hash, which chains it to the one before.
type Record struct {
	Entry
	Hash []byte
}

// Domain tags keep a ledger hash from ever equalling a bid hash (or a later version's).
const (
	entryTag = "14build ledger entry v1"
	bidTag   = "14build bid content v1"
)

// EntryHash is the SHA-256 that chains e after the entry whose hash is prev (nil or
// empty for a project's first entry). It is computed over this encoding, in order, where
// field(b) is b's length as a 4-byte big-endian unsigned integer followed by b's bytes:
//
//	field("14build ledger entry v1")
//	field(prev)
//	field(kind) field(tender id) field(actor id)
//	the time as microseconds since 1970-01-01 UTC, 8-byte big-endian signed integer
//	the number of content pairs, 4-byte big-endian unsigned integer
//	field(key) field(value) for each pair, keys in ascending byte order
//
// Length prefixes make the encoding unambiguous (no two entries encode alike, whatever
// their text holds); sorting makes it independent of map order.
func EntryHash(prev []byte, e Entry) []byte {
	var b bytes.Buffer
	putField(&b, entryTag)
	putField(&b, string(prev))
	putField(&b, string(e.Kind))
	putField(&b, e.TenderID)
	putField(&b, e.ActorID)
	b.Write(binary.BigEndian.AppendUint64(nil, uint64(e.At.UnixMicro())))
	keys := make([]string, 0, len(e.Content))
	for k := range e.Content {
		keys = append(keys, k)
	}
	slices.Sort(keys) // Go compares strings bytewise
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(keys))))
	for _, k := range keys {
		putField(&b, k)
		putField(&b, e.Content[k])
	}
	sum := sha256.Sum256(b.Bytes())
	return sum[:]
}

func putField(b *bytes.Buffer, s string) {
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(s))))
	b.WriteString(s)
}

// Chain hashes entries in order into records, the first chained after prev (nil for a
// new ledger).
func Chain(prev []byte, entries ...Entry) []Record {
	rs := make([]Record, len(entries))
	for i, e := range entries {
		prev = EntryHash(prev, e)
		rs[i] = Record{Entry: e, Hash: prev}
	}
	return rs
}

// Verify recomputes the chain of a project's whole ledger, oldest first. It reports
// whether every record's hash is the hash of its entry after its predecessor's, and if
// not the index of the first record that fails (-1 when all hold). A changed entry fails
// at itself; a removed one fails at its successor, which was chained to the removed hash;
// a reordered pair fails at the first of the two. Removing the newest entries leaves a
// valid shorter chain: only a copy of the head hash kept elsewhere can show that.
func Verify(records []Record) (ok bool, firstBad int) {
	var prev []byte
	for i, r := range records {
		if !bytes.Equal(EntryHash(prev, r.Entry), r.Hash) {
			return false, i
		}
		prev = r.Hash
	}
	return true, -1
}

// Rate is a bid's rate for one item of the tender's frozen SOQ.
type Rate struct {
	ItemID string
	Rate   int64
}

// BidContent is what a submitted bid commits to: its rates and its text. The ledger
// records its hash, not the amounts, so that after opening anyone on the team can check
// that no bid changed after its submission.
type BidContent struct {
	BidID          string
	Revision       int
	Rates          []Rate
	Qualifications string
	Exclusions     string
	// Nonce is random bytes kept with the revision (NewNonce) and shown only when the
	// prices are. Without it a one-line bid's hash, which the team sees while the bid is
	// sealed, could be matched by trying every rate.
	Nonce []byte
}

// NonceSize is the length of a bid content nonce.
const NonceSize = 32

// NewNonce returns a fresh nonce for a bid revision.
func NewNonce() ([]byte, error) {
	n := make([]byte, NonceSize)
	if _, err := rand.Read(n); err != nil {
		return nil, err
	}
	return n, nil
}

// BidContentHash is the SHA-256 of a bid's content over this encoding, field(b) as in
// EntryHash:
//
//	field("14build bid content v1")
//	field(bid id)
//	the revision, 8-byte big-endian signed integer
//	field(nonce)
//	the number of rates, 4-byte big-endian unsigned integer
//	field(item id) and the rate as an 8-byte big-endian signed integer, for each rate in
//	  ascending byte order of item id (then of rate)
//	field(qualifications) field(exclusions)
//
// Sorting makes it independent of the order lines were saved or are read in.
func BidContentHash(c BidContent) []byte {
	rates := slices.Clone(c.Rates)
	slices.SortFunc(rates, func(a, b Rate) int {
		return cmp.Or(strings.Compare(a.ItemID, b.ItemID), cmp.Compare(a.Rate, b.Rate))
	})
	var b bytes.Buffer
	putField(&b, bidTag)
	putField(&b, c.BidID)
	b.Write(binary.BigEndian.AppendUint64(nil, uint64(int64(c.Revision))))
	putField(&b, string(c.Nonce))
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(rates))))
	for _, r := range rates {
		putField(&b, r.ItemID)
		b.Write(binary.BigEndian.AppendUint64(nil, uint64(r.Rate)))
	}
	putField(&b, c.Qualifications)
	putField(&b, c.Exclusions)
	sum := sha256.Sum256(b.Bytes())
	return sum[:]
}
