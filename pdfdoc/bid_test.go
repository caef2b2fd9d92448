package pdfdoc

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
)

func TestNumberWords(t *testing.T) {
	for n, want := range map[int64]string{
		0: "zero", 7: "seven", 13: "thirteen", 20: "twenty", 42: "forty-two", 100: "one hundred",
		101: "one hundred one", 1000: "one thousand", 1010: "one thousand ten",
		123456:    "one hundred twenty-three thousand four hundred fifty-six",
		2_000_000: "two million", 1_000_001: "one million one", -15: "minus fifteen",
		9_007_199_254_740_992: "nine quadrillion seven trillion one hundred ninety-nine billion two hundred fifty-four million seven hundred forty thousand nine hundred ninety-two",
	} {
		if got := NumberWords(n); got != want {
			t.Errorf("NumberWords(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestMoneyWords(t *testing.T) {
	for _, c := range []struct {
		amount int64
		code   string
		want   string
	}{
		{12345678, "usd", "One hundred twenty-three thousand four hundred fifty-six dollars and 78 cents"},
		{100, "nzd", "One dollar and no cents"},
		{201, "gbp", "Two pounds and 1 penny"},
		{250, "gbp", "Two pounds and 50 pence"},
		{1999, "eur", "Nineteen euros and 99 cents"},
		{5000, "jpy", "Five thousand yen"},
		{1205, "xyz", "Twelve XYZ and 05/100"},
	} {
		if got := MoneyWords(c.amount, money.Of(c.code)); got != c.want {
			t.Errorf("MoneyWords(%d, %s) = %q, want %q", c.amount, c.code, got, c.want)
		}
	}
}

// priced fills sample's lines with rates: every measured line at 12.34, the sums fixed.
func priced(tn Tender) (Tender, int64) {
	var total int64
	for si := range tn.Sections {
		s := &tn.Sections[si]
		s.Total = 0
		for k := range s.Items {
			it := &s.Items[k]
			if it.Type.Fixed() {
				s.Total += it.Allowance
				continue
			}
			it.Rate, it.HasRate = 1234, true
			it.Amount = soq.AmountOrMax(it.Quantity, it.Rate)
			s.Total += it.Amount
		}
		total += s.Total
	}
	return tn, total
}

func writeBid(t *testing.T, tn Tender, b Bid) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteBid(&buf, tn, b); err != nil {
		t.Fatalf("WriteBid: %v", err)
	}
	path := filepath.Join(t.TempDir(), "bid.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("PDFDOC_KEEP"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "bid-"+b.Status+".pdf"), buf.Bytes(), 0o600)
	}
	return pages(t, path, true)
}

func TestBidPDF(t *testing.T) {
	needPoppler(t)
	tn, total := priced(sample(120, "nzd"))
	sub := time.Date(2026, 12, 2, 1, 5, 0, 0, time.UTC) // 14:05 NZDT
	ps := writeBid(t, tn, Bid{Company: "Spark Electrical Ltd", Bidder: "Bea", Status: "submitted", Revision: 3, SubmittedAt: sub, Total: total})
	all := strings.Join(ps, "\f")
	cur := money.Of("nzd")
	for _, want := range []string{"Priced bid — Spark Electrical Ltd", "Revision 3, submitted 2 Dec 2026 14:05 NZDT",
		money.Plain(total, cur), MoneyWords(total, cur)[:30], "12.34", money.Plain(tn.Sections[0].Total, cur)} {
		if !strings.Contains(all, want) {
			t.Errorf("the bid lacks %q", want)
		}
	}
	if strings.Contains(all, "DRAFT") {
		t.Error("a submitted bid is marked DRAFT")
	}
	for i, p := range ps {
		if !strings.Contains(p, "Spark Electrical Ltd") {
			t.Errorf("page %d does not name the bidder", i+1)
		}
	}
	// The last page (form of tender) holds the sum in words and figures.
	last := strings.Join(strings.Fields(ps[len(ps)-1]), " ")
	if !strings.Contains(last, MoneyWords(total, cur)) || !strings.Contains(last, money.Plain(total, cur)) {
		t.Errorf("form of tender lacks the sum in words and figures:\n%s", last)
	}

	draft := writeBid(t, tn, Bid{Company: "Spark Electrical Ltd", Status: "draft", Total: total})
	for i, p := range draft {
		if !strings.Contains(p, "DRAFT — not submitted") {
			t.Errorf("draft page %d is not marked", i+1)
		}
	}
}
