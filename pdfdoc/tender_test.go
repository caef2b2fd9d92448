package pdfdoc

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/14build/14build/soq"
)

// needPoppler skips when poppler-utils are absent on a developer machine; in CI they must be there.
func needPoppler(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"pdftotext", "pdfinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "" {
				t.Skipf("%s not found (install poppler-utils); skipped outside CI", tool)
			}
			t.Fatalf("%s not found in CI: install poppler-utils", tool)
		}
	}
}

const longDesc = "Supply and install reinforced concrete ground floor slab 150 mm thick on polythene " +
	"damp-proof membrane, including mesh reinforcement, chairs, saw cut control joints at " +
	"maximum six metre centres, curing compound and protection until handover, complete"

// sample is a tender with sections long enough to run over several pages.
func sample(items int, currency string) Tender {
	t := Tender{
		Reference:      "HVT-01/T-3F2A",
		ProjectName:    "Harbour View Townhouses — Stage 2",
		ProjectCode:    "HVT-01",
		ProjectAddress: "12 Quay Street, Auckland 1010",
		OwnerCompany:   "Harbour Homes Ltd",
		Title:          "Main contract works — café fit-out & Überdach",
		Instructions: "Price every measured item. Rates are to include labour, plant, materials and overheads.\n" +
			"Queries in writing to the quantity surveyor no later than five working days before closing. " +
			"Areas are measured net in m² and m³ as noted; allowances are in € or £ where stated.",
		IssuedAt: time.Date(2026, 11, 2, 21, 0, 0, 0, time.UTC),
		ClosesAt: time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC),
		TimeZone: "Pacific/Auckland",
		Currency: currency,
		Addenda: []Addendum{
			{Number: 1, Text: "Item A3 quantity revised to 1,250.5 m². Drawing A-201 revision C replaces revision B.", IssuedAt: time.Date(2026, 11, 10, 1, 0, 0, 0, time.UTC)},
		},
	}
	types := []soq.ItemType{soq.Measured, soq.Measured, soq.Daywork, soq.Measured, soq.Preliminaries}
	units := []string{"m2", "m3", "hr", "nr", "item"}
	per := 40
	for s := 0; s*per < items; s++ {
		sec := Section{Code: string(rune('A' + s%26)), Title: fmt.Sprintf("Trade section %d — groundworks and façade", s+1)}
		for i := 0; i < per && s*per+i < items; i++ {
			n := s*per + i
			it := Item{
				Reference:   fmt.Sprintf("%s%d", sec.Code, i+1),
				Description: fmt.Sprintf("Item %d: excavate trench for strip footing", n+1),
				Unit:        units[n%len(units)],
				Quantity:    soq.Quantity(1250500 + n*1000),
				Type:        types[n%len(types)],
			}
			if n%7 == 3 {
				it.Description = longDesc
			}
			sec.Items = append(sec.Items, it)
		}
		t.Sections = append(t.Sections, sec)
	}
	t.Sections = append(t.Sections, Section{Code: "PS", Title: "Provisional sums", Items: []Item{
		{Reference: "PS1", Description: "Provisional sum for contingencies", Unit: "sum", Quantity: 1000, Type: soq.ProvisionalSum, Allowance: 4_321_987_65},
		{Reference: "PS2", Description: "Prime cost sum for kitchen appliances supplied by the employer", Unit: "sum", Quantity: 1000, Type: soq.PrimeCostSum, Allowance: 1_500_000},
	}})
	return t
}

func writePDF(t testing.TB, tn Tender) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteTender(&buf, tn); err != nil {
		t.Fatalf("WriteTender: %v", err)
	}
	path := filepath.Join(t.TempDir(), "tender.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("PDFDOC_KEEP"); dir != "" { // keep a copy to look at
		_ = os.WriteFile(filepath.Join(dir, "tender.pdf"), buf.Bytes(), 0o600)
	}
	return path
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func pageCount(t *testing.T, path string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(run(t, "pdfinfo", path))
	if m == nil {
		t.Fatal("pdfinfo: no page count")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// pages reads the PDF back as text, one string per page.
func pages(t *testing.T, path string, layout bool) []string {
	t.Helper()
	args := []string{"-enc", "UTF-8"}
	if layout {
		args = append(args, "-layout")
	}
	text := run(t, "pdftotext", append(args, path, "-")...)
	ps := strings.Split(text, "\f")
	if len(ps) > 0 && strings.TrimSpace(ps[len(ps)-1]) == "" {
		ps = ps[:len(ps)-1]
	}
	return ps
}

func TestTenderPDFText(t *testing.T) {
	needPoppler(t)
	tn := sample(300, "nzd")
	path := writePDF(t, tn)
	n := pageCount(t, path)
	ps := pages(t, path, false)
	if len(ps) != n || n < 8 {
		t.Fatalf("pdftotext pages %d, pdfinfo pages %d", len(ps), n)
	}
	all := strings.Join(ps, "\n")
	flat := strings.Join(strings.Fields(all), " ")
	for i, p := range ps {
		if want := fmt.Sprintf("Page %d of %d", i+1, n); !strings.Contains(p, want) {
			t.Errorf("page %d: no %q", i+1, want)
		}
		if !strings.Contains(p, tn.Reference) {
			t.Errorf("page %d: no reference %q", i+1, tn.Reference)
		}
	}
	for _, s := range tn.Sections {
		for _, it := range s.Items {
			if !strings.Contains(flat, it.Reference) {
				t.Errorf("reference %q missing", it.Reference)
			}
			// wrapped descriptions: every word is there, and short ones read whole
			for _, w := range strings.Fields(it.Description) {
				if !strings.Contains(flat, w) {
					t.Errorf("%s: word %q of the description missing", it.Reference, w)
				}
			}
			if len(it.Description) < 45 && !strings.Contains(flat, it.Description) {
				t.Errorf("%s: description %q missing", it.Reference, it.Description)
			}
		}
	}
	for _, want := range []string{"m²", "m³", "€", "£", "NZ$", "café", "Überdach", "façade", "Pacific/Auckland",
		"Friday 4 December 2026, 16:00", "Harbour Homes Ltd", "Addendum 1", "Carried to collection",
		"Collection", "Total carried to form of tender", "Form of tender", "In words", "Signature",
		"4,321,987.65", "15,000.00", "Provisional sum", "Prime cost sum", "1,250.5"} {
		if !strings.Contains(all, want) {
			t.Errorf("text %q missing", want)
		}
	}
	if !strings.Contains(ps[0], "Harbour View Townhouses") || !strings.Contains(ps[0], "Main contract works") {
		t.Errorf("cover page lacks the project or the title:\n%s", ps[0])
	}

	// Priced lines print no rate and no amount: the line of a measured item ends with its
	// quantity; only allowances carry amounts.
	lay := strings.Join(pages(t, path, true), "\n")
	money := regexp.MustCompile(`\d{1,3}(,\d{3})*\.\d{2}\b`)
	checked := 0
	for _, line := range strings.Split(lay, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		if strings.HasSuffix(line, "Sum") || strings.Contains(line, "PS1") || strings.Contains(line, "PS2") {
			continue
		}
		if regexp.MustCompile(`^[A-Z]\d+$`).MatchString(f[0]) && (f[len(f)-2] == "m²" || f[len(f)-2] == "hr" || f[len(f)-2] == "nr") {
			checked++
			if f[len(f)-1] != quantityText(soq.Quantity(mustQty(t, f[len(f)-1]))) {
				t.Errorf("priced line does not end with its quantity: %q", line)
			}
		}
		if m := money.FindString(line); m != "" && !strings.Contains(line, "4,321,987.65") && !strings.Contains(line, "15,000.00") && !strings.Contains(line, "4,336,987.65") {
			t.Errorf("an amount on a line that is not an allowance: %q", line)
		}
	}
	if checked < 100 {
		t.Errorf("only %d priced lines recognised in the layout text", checked)
	}
}

func mustQty(t *testing.T, s string) int64 {
	q, err := soq.ParseQuantity(s)
	if err != nil {
		t.Fatalf("quantity %q: %v", s, err)
	}
	return int64(q)
}

func TestTenderPDFCurrenciesAndEmpty(t *testing.T) {
	needPoppler(t)
	for _, cur := range []string{"eur", "gbp", "xyz"} {
		tn := sample(3, cur)
		all := strings.Join(pages(t, writePDF(t, tn), false), "\n")
		want := map[string]string{"eur": "Amount €", "gbp": "Amount £", "xyz": "Amount XYZ"}[cur]
		if !strings.Contains(all, want) {
			t.Errorf("%s: %q missing", cur, want)
		}
	}
	empty := Tender{Reference: "X-1", Title: "Empty", TimeZone: "Nowhere/Bad"}
	path := writePDF(t, empty)
	all := strings.Join(pages(t, path, false), "\n")
	for _, want := range []string{"No addenda issued.", "The bill has no items.", "Form of tender", "(UTC time)"} {
		if !strings.Contains(all, want) {
			t.Errorf("empty tender: %q missing", want)
		}
	}
}

func TestWrapLongWord(t *testing.T) {
	d := newDoc(&Tender{})
	d.pdf.AddPage()
	d.font("", 8.5)
	long := strings.Repeat("Ü", 200)
	lines := d.wrap("a "+long+" b", 40)
	if got := strings.Join(lines, ""); strings.ReplaceAll(got, " ", "") != "a"+long+"b" {
		t.Fatalf("wrap lost text: %q", lines)
	}
	for _, l := range lines {
		if w := d.pdf.GetStringWidth(l); w > 40.01 {
			t.Errorf("line %q is %.1f mm wide", l, w)
		}
	}
}

func BenchmarkTender5000(b *testing.B) {
	tn := sample(5000, "nzd")
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteTender(&buf, tn); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

// Items are never split across pages, and every bill page repeats the table header.
func TestTenderPDFPages(t *testing.T) {
	needPoppler(t)
	tn := sample(400, "nzd")
	ps := pages(t, writePDF(t, tn), true)
	page := map[string]int{} // first word of a line → page, for item references
	for i, p := range ps {
		hasItem := false
		for _, line := range strings.Split(p, "\n") {
			f := strings.Fields(line)
			if len(f) > 0 && regexp.MustCompile(`^[A-Z]\d+$`).MatchString(f[0]) {
				page[f[0]] = i
				hasItem = true
			}
		}
		if hasItem && !(strings.Contains(p, "Description") && strings.Contains(p, "Amount NZ$")) {
			t.Errorf("bill page %d has no table header", i+1)
		}
	}
	for _, s := range tn.Sections[:len(tn.Sections)-1] {
		for _, it := range s.Items {
			pg, ok := page[it.Reference]
			if !ok {
				t.Fatalf("%s not found at a line start", it.Reference)
			}
			// the item's last line (unit and quantity) is on the page its reference is on
			if !strings.Contains(ps[pg], quantityText(it.Quantity)) {
				t.Errorf("%s: quantity %s not on page %d with its reference", it.Reference, quantityText(it.Quantity), pg+1)
			}
			if it.Description == longDesc && !strings.Contains(ps[pg], "handover, complete") &&
				!(strings.Contains(ps[pg], "handover,") && strings.Contains(ps[pg], "complete")) {
				t.Errorf("%s: the end of its description is not on page %d", it.Reference, pg+1)
			}
		}
	}
}

// A description longer than a page (many short lines) continues on the next page rather
// than running over the footer.
func TestTenderPDFHugeItem(t *testing.T) {
	needPoppler(t)
	var lines []string
	for i := range 150 {
		lines = append(lines, fmt.Sprintf("line%03d", i))
	}
	tn := Tender{Reference: "R-9", Title: "Huge", TimeZone: "UTC", Currency: "usd", Sections: []Section{{Code: "A", Title: "One",
		Items: []Item{{Reference: "A1", Description: strings.Join(lines, "\n"), Unit: "m", Quantity: 7000, Type: soq.Measured}}}}}
	path := writePDF(t, tn)
	n := pageCount(t, path)
	ps := pages(t, path, false)
	all := strings.Join(ps, "\n")
	for _, l := range lines {
		if !strings.Contains(all, l) {
			t.Errorf("%s missing", l)
		}
	}
	if !strings.Contains(all, "(cont.)") {
		t.Error("no continuation reference")
	}
	for i, p := range ps {
		if !strings.Contains(p, fmt.Sprintf("Page %d of %d", i+1, n)) {
			t.Errorf("page %d: footer missing", i+1)
		}
	}
}
