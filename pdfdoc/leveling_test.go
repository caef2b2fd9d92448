package pdfdoc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
)

// levelSample is nb bids on items lines (40 per section, plus a provisional sum section),
// bid b's rate on line i being 1,000.00 + 37.00·((i+3b) mod 11); bid 1 prices line 5 at
// 0 (flagged) and the last bid leaves line 7 unpriced. Totals and lowest marks are
// computed here the way tender.Level does, so the test can check what is printed.
func levelSample(nb, items int) Leveling {
	lv := Leveling{Reference: "HVT-01/3F2A9C01", ProjectName: "Harbour View Townhouses — Stage 2", ProjectCode: "HVT-01",
		Title: "Main contract works — café fit-out", ClosedAt: time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC),
		TimeZone: "Pacific/Auckland", Currency: "nzd", GrossFloorArea: 1_250_50, Units: 12}
	names := []string{"Spark Electrical Ltd", "Bob's Building Co", "Cara Construction & Sons Limited", "Ōtautahi Builders",
		"Quay Street Contractors", "Northern Façades", "Southern Civil", "Te Awa Projects"}
	lv.Bids = make([]LevelBid, nb)
	for b := range lv.Bids {
		name := names[b%len(names)]
		if b >= len(names) {
			name = fmt.Sprintf("%s %d", name, b/len(names)+1)
		}
		lv.Bids[b] = LevelBid{Company: name, Bidder: fmt.Sprintf("Bidder %d", b+1), Revision: 1 + b%3}
	}
	var sec *LevelSection
	for i := 0; i < items; i++ {
		if i%40 == 0 {
			lv.Sections = append(lv.Sections, LevelSection{Code: string(rune('A' + (i/40)%26)), Title: fmt.Sprintf("Trade section %d", i/40+1), Totals: make([]int64, nb)})
			sec = &lv.Sections[len(lv.Sections)-1]
		}
		q := soq.Quantity(1000 * (1 + i%9))
		l := LevelLine{Reference: fmt.Sprintf("%s%d", sec.Code, i%40+1), Description: fmt.Sprintf("Line %d: supply and fix", i+1),
			Unit: []string{"m2", "m3", "nr", "hr"}[i%4], Quantity: q, Cells: make([]LevelCell, nb)}
		if i%13 == 3 {
			l.Description = longDesc
		}
		low := int64(-1)
		for b := range l.Cells {
			c := LevelCell{Rate: 1_000_00 + 37_00*int64((i+3*b)%11), HasRate: true}
			if b == 1 && i == 5 {
				c.Rate = 0
				c.Findings = []LevelFinding{{"Zero rate", "a rate of 0 on a line bidders price"}}
			}
			if b == nb-1 && i == 7 {
				c.Rate, c.HasRate = 0, false
			}
			c.Amount, _ = soq.Amount(q, c.Rate)
			if c.HasRate && c.Rate > 0 && (low < 0 || c.Rate < low) {
				low = c.Rate
			}
			l.Cells[b] = c
		}
		for b := range l.Cells {
			l.Cells[b].Lowest = l.Cells[b].HasRate && l.Cells[b].Rate == low
			sec.Totals[b] += l.Cells[b].Amount
			lv.Bids[b].Total += l.Cells[b].Amount
		}
		sec.Lines = append(sec.Lines, l)
	}
	ps := LevelSection{Code: "PS", Title: "Provisional sums", Totals: make([]int64, nb)}
	l := LevelLine{Reference: "PS1", Description: "Provisional sum for contingencies", Unit: "sum", Quantity: 1000, Fixed: true,
		Allowance: 25_000_00, Cells: make([]LevelCell, nb)}
	for b := range l.Cells {
		l.Cells[b] = LevelCell{Rate: 25_000_00, HasRate: true, Amount: 25_000_00}
		ps.Totals[b] = 25_000_00
		lv.Bids[b].Total += 25_000_00
	}
	ps.Lines = append(ps.Lines, l)
	lv.Sections = append(lv.Sections, ps)
	// Lowest first, as the handler gives them.
	for i := 1; i < nb; i++ {
		for j := i; j > 0 && lv.Bids[j].Total < lv.Bids[j-1].Total; j-- {
			lv.Bids[j], lv.Bids[j-1] = lv.Bids[j-1], lv.Bids[j]
			for s := range lv.Sections {
				sc := &lv.Sections[s]
				sc.Totals[j], sc.Totals[j-1] = sc.Totals[j-1], sc.Totals[j]
				for k := range sc.Lines {
					sc.Lines[k].Cells[j], sc.Lines[k].Cells[j-1] = sc.Lines[k].Cells[j-1], sc.Lines[k].Cells[j]
				}
			}
		}
	}
	low := lv.Bids[0].Total
	for b := range lv.Bids {
		bd := &lv.Bids[b]
		bd.Lowest, bd.OverLowest = bd.Total == low, bd.Total-low
		bd.PerArea, bd.HasPerArea = bd.Total*100/lv.GrossFloorArea, true
		bd.PerUnit, bd.HasPerUnit = bd.Total/int64(lv.Units), true
	}
	lv.Bids[nb-1].Findings = []LevelFinding{{"Front-loaded", "preliminaries are 18.2% of the bid total, more than 15%"}}
	return lv
}

func writeLevelingPDF(t testing.TB, lv Leveling) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteLeveling(&buf, lv); err != nil {
		t.Fatalf("WriteLeveling: %v", err)
	}
	path := filepath.Join(t.TempDir(), "leveling.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("PDFDOC_KEEP"); dir != "" { // keep a copy to look at
		_ = os.WriteFile(filepath.Join(dir, "leveling.pdf"), buf.Bytes(), 0o600)
	}
	return path
}

func TestLevelingPDFText(t *testing.T) {
	needPoppler(t)
	lv := levelSample(8, 130)
	path := writeLevelingPDF(t, lv)
	n := pageCount(t, path)
	ps := pages(t, path, true)
	if len(ps) != n {
		t.Fatalf("pdftotext gave %d pages, pdfinfo %d", len(ps), n)
	}
	all := strings.Join(ps, "\n")
	cur := money.Of(lv.Currency)
	for i, pg := range ps {
		if !strings.Contains(pg, fmt.Sprintf("Page %d of %d", i+1, n)) {
			t.Errorf("page %d lacks its number", i+1)
		}
		if !strings.Contains(pg, lv.Reference) {
			t.Errorf("page %d lacks the reference", i+1)
		}
	}
	if !strings.Contains(ps[0], "BID LEVELING") || !strings.Contains(ps[0], lv.Title) || !strings.Contains(ps[0], "Tender closed") {
		t.Errorf("the first page lacks the title block:\n%s", ps[0])
	}
	for _, b := range lv.Bids {
		// Every bidder's total on the summary and again in the sheet's totals.
		if !strings.Contains(ps[0], b.Company) || !strings.Contains(ps[0], money.Plain(b.Total, cur)) {
			t.Errorf("the summary lacks %s's total %s", b.Company, money.Plain(b.Total, cur))
		}
		if strings.Count(all, money.Plain(b.Total, cur)) < 2 {
			t.Errorf("%s's total is printed once only", b.Company)
		}
	}
	// Every line's reference, in each of the two column groups (bids 1–5 and 6–8).
	for _, s := range lv.Sections {
		for _, l := range s.Lines {
			re := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(l.Reference) + `\s`)
			if got := len(re.FindAllString(all, -1)); got < 2 {
				t.Errorf("line %s appears %d times, want once per column group", l.Reference, got)
			}
		}
	}
	// The columns continue: as many bids as fit (4 or 5 here) on a first group's pages,
	// which say so, the rest on the following pages.
	m := regexp.MustCompile(`Bidders 1–(\d) of 8`).FindStringSubmatch(all)
	if m == nil || (m[1] != "4" && m[1] != "5") {
		t.Fatalf("no first group note: %v", m)
	}
	first, second := 0, 0
	for _, pg := range ps {
		if strings.Contains(pg, m[0]) {
			first++
			if !strings.Contains(pg, "onwards continue on the following pages") {
				t.Error("a first-group page lacks the continuation note")
			}
		}
		if regexp.MustCompile(`Bidders \d–8 of 8 \(continued\)`).MatchString(pg) {
			second++
		}
	}
	if first == 0 || second == 0 || first != second {
		t.Errorf("group pages: %d of the first bids, %d of the rest", first, second)
	}
	// The lowest rate is marked: the line A1's lowest rate follows the mark.
	a1 := lv.Sections[0].Lines[0]
	for b, c := range a1.Cells {
		if c.Lowest {
			re := regexp.MustCompile(regexp.QuoteMeta(lowestMark) + `\s*` + regexp.QuoteMeta(money.Plain(c.Rate, cur)))
			if !re.MatchString(all) {
				t.Errorf("A1's lowest rate (bid %d) is not marked", b)
			}
			break
		}
	}
	// The zero rate on A6 is flagged beside the figure.
	if !regexp.MustCompile(`(?m)^\s*A6\s.*\s0\.00\s*` + flagMark).MatchString(all) {
		t.Error("A6's zero rate is not marked flagged")
	}
	if !strings.Contains(all, "the lowest rate on the line") {
		t.Error("no legend")
	}
	// The flags list: the zero rate and the front-loading, with their bidders.
	fl := ps[len(ps)-1]
	if !strings.Contains(fl, "Flags") || !strings.Contains(fl, "Zero rate") || !strings.Contains(fl, "Front-loaded") ||
		!strings.Contains(fl, "Whole bid") || !strings.Contains(fl, "A6") {
		t.Errorf("flags page:\n%s", fl)
	}
	if !strings.Contains(all, "Rank 1 of 8") {
		t.Error("no rank in the column headers")
	}
}

// TestLevelingPDFNoSplit: no line is split across pages: each line's reference, on a page,
// is followed by its amounts on the same page (the grid's figures sit on its last text
// line), and each grid page repeats the header.
func TestLevelingPDFNoSplit(t *testing.T) {
	needPoppler(t)
	lv := levelSample(3, 400)
	path := writeLevelingPDF(t, lv)
	ps := pages(t, path, true)
	grid := 0
	for _, pg := range ps[1 : len(ps)-1] {
		grid++
		if !strings.Contains(pg, "Description") || !strings.Contains(pg, "Amount") {
			t.Errorf("a grid page lacks the header:\n%.400s", pg)
		}
		for _, ln := range strings.Split(pg, "\n") {
			// A line whose reference starts it but with no figure at all would be split.
			if m := regexp.MustCompile(`^\s*([A-Z]\d+)\s+Line \d+: supply and fix`).FindStringSubmatch(ln); m != nil &&
				!regexp.MustCompile(`\d,\d{3}\.\d{2}`).MatchString(ln) {
				t.Errorf("line %s has no figures beside it: %q", m[1], ln)
			}
		}
	}
	if grid < 5 {
		t.Errorf("%d grid pages for 400 lines", grid)
	}
}

func TestLevelingPDFNoBids(t *testing.T) {
	needPoppler(t)
	lv := levelSample(1, 3)
	lv.Bids, lv.Sections = nil, nil
	ps := pages(t, writeLevelingPDF(t, lv), true)
	if len(ps) != 1 || !strings.Contains(ps[0], "No bid was submitted") {
		t.Errorf("no bids: %d pages\n%s", len(ps), strings.Join(ps, "\f"))
	}
}

// BenchmarkLeveling20x5000 is the sheet for 20 bids on 5,000 lines (100,000 cells).
func BenchmarkLeveling20x5000(b *testing.B) {
	lv := levelSample(20, 5000)
	if os.Getenv("PDFDOC_KEEP") != "" {
		writeLevelingPDF(b, lv)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var buf bytes.Buffer
		if err := WriteLeveling(&buf, lv); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(buf.Len())/1e6, "MB/doc")
	}
}

// TestLevelingPDFHugeLine: a description longer than a page continues on the next with its
// reference marked "(cont.)", the figures on its last part; the sheet still ends with the
// totals and the flags.
func TestLevelingPDFHugeLine(t *testing.T) {
	needPoppler(t)
	lv := levelSample(2, 3)
	lv.Sections[0].Lines[1].Description = strings.Repeat("Formwork to soffits of suspended slabs, ", 55)
	ps := pages(t, writeLevelingPDF(t, lv), true)
	all := strings.Join(ps, "\f")
	if !strings.Contains(all, "A2 (cont.)") && !strings.Contains(all, "A2\n") {
		t.Errorf("no continued reference")
	}
	if len(ps) < 4 || !strings.Contains(all, "Rank (1 = lowest total)") || !strings.Contains(ps[len(ps)-1], "Flags") {
		t.Errorf("%d pages", len(ps))
	}
	for i, pg := range ps {
		if !strings.Contains(pg, fmt.Sprintf("Page %d of %d", i+1, len(ps))) {
			t.Errorf("page %d lacks its number", i+1)
		}
	}
}
