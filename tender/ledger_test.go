package tender

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)

func entries() []Entry {
	return []Entry{
		{Kind: KindCreated, TenderID: "t1", ActorID: "owner", At: t0},
		{Kind: KindOpened, TenderID: "t1", ActorID: "owner", At: t0.Add(time.Minute)},
		{Kind: KindBidSubmitted, TenderID: "t1", ActorID: "bea", At: t0.Add(time.Hour),
			Content: map[string]string{"bidId": "b1", "revision": "1", "contentHash": "ab12"}},
		{Kind: KindIntent, TenderID: "t1", ActorID: "bob", At: t0.Add(2 * time.Hour),
			Content: map[string]string{"intent": "declined"}},
		{Kind: KindClosed, TenderID: "t1", ActorID: "", At: t0.Add(5 * 24 * time.Hour)},
	}
}

// The encoding written out byte by byte as EntryHash documents it.
func TestEntryHashEncoding(t *testing.T) {
	e := Entry{Kind: KindIntent, TenderID: "t", ActorID: "a", At: time.UnixMicro(258).UTC(),
		Content: map[string]string{"z": "1", "b": ""}}
	enc := []byte{0, 0, 0, 23}
	enc = append(enc, "14build ledger entry v1"...)
	enc = append(enc, 0, 0, 0, 2, 0xAA, 0xBB) // prev
	enc = append(enc, 0, 0, 0, 6)
	enc = append(enc, "intent"...)
	enc = append(enc, 0, 0, 0, 1, 't', 0, 0, 0, 1, 'a')
	enc = append(enc, 0, 0, 0, 0, 0, 0, 1, 2) // 258 µs
	enc = append(enc, 0, 0, 0, 2)             // two pairs, "b" before "z"
	enc = append(enc, 0, 0, 0, 1, 'b', 0, 0, 0, 0)
	enc = append(enc, 0, 0, 0, 1, 'z', 0, 0, 0, 1, '1')
	want := sha256.Sum256(enc)
	if got := EntryHash([]byte{0xAA, 0xBB}, e); !bytes.Equal(got, want[:]) {
		t.Errorf("got %x, want %x", got, want)
	}
}

func TestEntryHashCovers(t *testing.T) {
	base := entries()[2]
	h := EntryHash(nil, base)
	same := base
	same.At = base.At.In(time.FixedZone("NZDT", 13*3600)).Add(999) // same instant and microsecond
	same.Content = map[string]string{"contentHash": "ab12", "revision": "1", "bidId": "b1"}
	if !bytes.Equal(EntryHash(nil, same), h) {
		t.Error("the hash depends on the time zone, sub-microsecond digits or map order")
	}
	for name, change := range map[string]func(*Entry){
		"kind":     func(e *Entry) { e.Kind = KindBidWithdrawn },
		"tender":   func(e *Entry) { e.TenderID = "t2" },
		"actor":    func(e *Entry) { e.ActorID = "bob" },
		"time":     func(e *Entry) { e.At = e.At.Add(time.Microsecond) },
		"value":    func(e *Entry) { e.Content = map[string]string{"bidId": "b1", "revision": "2", "contentHash": "ab12"} },
		"key":      func(e *Entry) { e.Content = map[string]string{"bidId": "b1", "revision": "1", "contenthash": "ab12"} },
		"pair cut": func(e *Entry) { e.Content = map[string]string{"bidId": "b1", "revision": "1"} },
		// Without length prefixes these two would encode alike.
		"boundary": func(e *Entry) { e.TenderID, e.ActorID = "t1b", "ea" },
	} {
		e := base
		change(&e)
		if bytes.Equal(EntryHash(nil, e), h) {
			t.Errorf("changing the %s leaves the hash", name)
		}
	}
	if bytes.Equal(EntryHash([]byte{1}, base), h) {
		t.Error("the hash does not cover the previous hash")
	}
}

func TestVerify(t *testing.T) {
	good := Chain(nil, entries()...)
	if ok, bad := Verify(good); !ok || bad != -1 {
		t.Fatalf("a good chain: %v %d", ok, bad)
	}
	if ok, bad := Verify(nil); !ok || bad != -1 {
		t.Errorf("an empty ledger: %v %d", ok, bad)
	}
	clone := func() []Record { return append([]Record(nil), good...) }
	for _, tc := range []struct {
		name   string
		tamper func() []Record
		bad    int
	}{
		{"a changed entry", func() []Record {
			r := clone()
			r[2].Content = map[string]string{"bidId": "b1", "revision": "1", "contentHash": "ffff"}
			return r
		}, 2},
		{"a changed time", func() []Record {
			r := clone()
			r[1].At = r[1].At.Add(-time.Second)
			return r
		}, 1},
		{"a changed hash", func() []Record {
			r := clone()
			r[3].Hash = bytes.Repeat([]byte{0}, 32)
			return r
		}, 3},
		{"a removed entry", func() []Record {
			r := clone()
			return append(r[:2], r[3:]...)
		}, 2},
		{"the first entry removed", func() []Record { return clone()[1:] }, 0},
		{"a reordered pair", func() []Record {
			r := clone()
			r[2], r[3] = r[3], r[2]
			return r
		}, 2},
		{"a changed entry rehashed alone", func() []Record {
			// Recomputing the changed entry's own hash breaks its successor.
			r := clone()
			r[1].ActorID = "mallory"
			r[1].Hash = EntryHash(r[0].Hash, r[1].Entry)
			return r
		}, 2},
	} {
		if ok, bad := Verify(tc.tamper()); ok || bad != tc.bad {
			t.Errorf("%s: Verify = %v %d, want false %d", tc.name, ok, bad, tc.bad)
		}
	}
}

func TestChainContinues(t *testing.T) {
	es := entries()
	first := Chain(nil, es[:2]...)
	rest := Chain(first[1].Hash, es[2:]...)
	whole := Chain(nil, es...)
	for i, r := range append(first, rest...) {
		if !bytes.Equal(r.Hash, whole[i].Hash) {
			t.Errorf("record %d differs when the chain is appended in two goes", i)
		}
	}
}

func TestLedgerTime(t *testing.T) {
	in := time.Date(2026, 12, 3, 14, 0, 0, 123456789, time.FixedZone("NZDT", 13*3600))
	got := LedgerTime(in)
	if got.Location() != time.UTC || got.Nanosecond() != 123456000 || !got.Equal(in.Truncate(time.Microsecond)) {
		t.Errorf("got %v", got)
	}
}

func TestKind(t *testing.T) {
	for _, k := range Kinds {
		v, err := k.Value()
		var back Kind
		if err != nil || back.Scan(v) != nil || back != k || k.Label() == string(k) {
			t.Errorf("kind %s: %v %v %q", k, back, err, k.Label())
		}
	}
	var k Kind
	if k.Scan("paid") == nil {
		t.Error("scanned an unknown kind")
	}
}

func TestBidContentHash(t *testing.T) {
	nonce := bytes.Repeat([]byte{7}, NonceSize)
	base := BidContent{BidID: "b1", Revision: 2, Nonce: nonce,
		Rates:          []Rate{{"i2", 4500}, {"i1", 12000}, {"i3", 0}},
		Qualifications: "Excludes out-of-hours work.", Exclusions: "Scaffold by others."}
	h := BidContentHash(base)
	if len(h) != sha256.Size {
		t.Fatalf("hash of %d bytes", len(h))
	}
	reordered := base
	reordered.Rates = []Rate{{"i3", 0}, {"i1", 12000}, {"i2", 4500}}
	if !bytes.Equal(BidContentHash(reordered), h) {
		t.Error("the hash depends on the order of the lines")
	}
	if base.Rates[0].ItemID != "i2" {
		t.Error("hashing sorted the caller's rates")
	}
	for name, change := range map[string]func(*BidContent){
		"a rate":         func(c *BidContent) { c.Rates = []Rate{{"i2", 4501}, {"i1", 12000}, {"i3", 0}} },
		"a line's item":  func(c *BidContent) { c.Rates = []Rate{{"i4", 4500}, {"i1", 12000}, {"i3", 0}} },
		"a removed line": func(c *BidContent) { c.Rates = c.Rates[:2] },
		"qualifications": func(c *BidContent) { c.Qualifications += " " },
		"exclusions":     func(c *BidContent) { c.Exclusions = "" },
		"the revision":   func(c *BidContent) { c.Revision = 3 },
		"the bid":        func(c *BidContent) { c.BidID = "b2" },
		"the nonce":      func(c *BidContent) { c.Nonce = append([]byte{8}, nonce[1:]...) },
		// Text moved between the two fields must not hash alike.
		"the text boundary": func(c *BidContent) {
			c.Qualifications, c.Exclusions = c.Qualifications+"Scaffold", " by others."
		},
	} {
		c := base
		change(&c)
		if bytes.Equal(BidContentHash(c), h) {
			t.Errorf("changing %s leaves the hash", name)
		}
	}
	// The hash can be put in an entry's content; the entry then covers it.
	e := Entry{Kind: KindBidSubmitted, TenderID: "t1", ActorID: "bea", At: t0,
		Content: map[string]string{"bidId": "b1", "revision": "2", "contentHash": hex.EncodeToString(h)}}
	if ok, _ := Verify(Chain(nil, e)); !ok {
		t.Error("an entry with a content hash does not verify")
	}
	n1, err1 := NewNonce()
	n2, err2 := NewNonce()
	if err1 != nil || err2 != nil || len(n1) != NonceSize || bytes.Equal(n1, n2) {
		t.Errorf("nonces %x %x %v %v", n1, n2, err1, err2)
	}
}
