package soqfile

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
)

// Field is what a column holds.
type Field string

// The fields a column can be mapped to.
const (
	Reference   Field = "reference"
	Description Field = "description"
	Unit        Field = "unit"
	Quantity    Field = "quantity"
	Rate        Field = "rate"
	Section     Field = "section"
	ItemType    Field = "item_type"
	Trade       Field = "trade"
	Ignore      Field = "ignore"
)

// Fields in the order the mapping form offers them.
var Fields = []Field{Reference, Description, Unit, Quantity, Rate, Section, ItemType, Trade, Ignore}

// Required fields must each be mapped to one column.
var Required = []Field{Reference, Description, Unit, Quantity, Rate, Section}

// Label is the field as people read it.
func (f Field) Label() string {
	switch f {
	case ItemType:
		return "Item type (optional)"
	case Trade:
		return "Trade (optional)"
	case Ignore:
		return "Ignore this column"
	}
	return strings.ToUpper(string(f[:1])) + string(f[1:])
}

// ValidField reports whether s names a field.
func ValidField(s string) bool {
	for _, f := range Fields {
		if string(f) == s {
			return true
		}
	}
	return false
}

// headerAliases are the header names each field is recognised by (normalized: lower case,
// letters and digits separated by single spaces).
var headerAliases = map[Field][]string{
	Reference:   {"reference", "ref", "item ref", "item reference", "item no", "item number", "item", "no", "code", "item code", "ref no"},
	Description: {"description", "desc", "item description", "details", "particulars", "work description"},
	Unit:        {"unit", "units", "uom", "unit of measure", "unit of measurement", "measure"},
	Quantity:    {"quantity", "qty", "quant", "qnty", "quantities"},
	Rate:        {"rate", "unit rate", "price", "unit price", "rate per unit", "unit cost"},
	Section:     {"section", "section code", "bill", "bill section", "group", "element", "section title"},
	ItemType:    {"item type", "type", "line type", "kind"},
	Trade:       {"trade", "category", "trade category", "discipline", "package"},
}

func normHeader(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space = false
		} else {
			space = true
		}
	}
	return b.String()
}

// Guess maps each header to a field: exact names first ("Qty", "Unit rate", "Section"),
// then names that contain a field's word ("Rate (USD)"); each field goes to one column at
// most, the rest are ignored. Amount and total columns are ignored: amounts are computed.
func Guess(header []string) []Field {
	out := make([]Field, len(header))
	used := map[Field]bool{}
	for i := range out {
		out[i] = Ignore
	}
	norm := make([]string, len(header))
	for i, h := range header {
		norm[i] = normHeader(h)
	}
	for _, f := range Fields[:len(Fields)-1] {
		for i, h := range norm {
			if out[i] != Ignore || used[f] {
				continue
			}
			for _, a := range headerAliases[f] {
				if h == a {
					out[i], used[f] = f, true
					break
				}
			}
		}
	}
	contains := []struct {
		word string
		f    Field
	}{{"rate", Rate}, {"price", Rate}, {"qty", Quantity}, {"quantit", Quantity}, {"descr", Description}, {"section", Section},
		{"ref", Reference}, {"unit", Unit}, {"type", ItemType}, {"trade", Trade}}
	for i, h := range norm {
		if out[i] != Ignore || strings.Contains(h, "amount") || strings.Contains(h, "total") {
			continue
		}
		for _, c := range contains {
			if !used[c.f] && strings.Contains(h, c.word) {
				out[i], used[c.f] = c.f, true
				break
			}
		}
	}
	return out
}

// CheckMapping checks a mapping for a table of ncols columns: every required field once,
// optional fields at most once. It returns a message for people, or "".
func CheckMapping(m []Field, ncols int) string {
	if len(m) != ncols {
		return "Choose what each column holds."
	}
	count := map[Field]int{}
	for _, f := range m {
		if !ValidField(string(f)) {
			return "Choose what each column holds."
		}
		count[f]++
	}
	var missing []string
	for _, f := range Required {
		if count[f] == 0 {
			missing = append(missing, strings.ToLower(f.Label()))
		}
	}
	if len(missing) > 0 {
		return "Map a column to each of: " + strings.Join(missing, ", ") + "."
	}
	for _, f := range Fields[:len(Fields)-1] {
		if count[f] > 1 {
			return fmt.Sprintf("Only one column can be %s; set the others to “Ignore this column”.", strings.ToLower(strings.TrimSuffix(f.Label(), " (optional)")))
		}
	}
	return ""
}

// Result is what checking every row of a table gives.
type Result struct {
	Total, Skipped int
	Lines          []soq.ImportLine
	Sections       []soq.ImportSection
	Refused        []soq.ImportRefusal
}

// ProgressEvery is how many rows are checked between progress reports.
const ProgressEvery = 500

// Check validates every data row of t under mapping m. Each row is read by the same rules
// as an item typed in the sheet (soq.ParseItem: item types, exact quantities, rates in the
// currency's major units, units and the item rules), trades by soq.Categories.Match.
// Sections are codes ("B") or a code and title ("B Substructure"); a blank section cell
// takes the section of the row above. Rows with no reference, unit, quantity or rate are
// headings, notes or totals: skipped (a section named on one still opens that section).
// References used twice in the file are refused on their second row. progress, when set,
// is called every ProgressEvery rows.
func Check(t *Table, m []Field, cur money.Currency, cats soq.Categories, progress func(done int) error) (Result, error) {
	col := map[Field]int{}
	for i, f := range m {
		if f != Ignore {
			col[f] = i
		}
	}
	get := func(row []string, f Field) string {
		i, ok := col[f]
		if !ok || i >= len(row) {
			return ""
		}
		return row[i]
	}
	// Most rows become lines: one allocation instead of growing through 50,000.
	res := Result{Total: len(t.Rows), Lines: make([]soq.ImportLine, 0, len(t.Rows))}
	seenRef := soq.Seen{}
	seenSec := soq.Seen{}
	var curCode, curTitle string
	openSection := func(code, title string) {
		if _, dup := seenSec.Add(code, title); !dup {
			res.Sections = append(res.Sections, soq.ImportSection{Code: code, Title: title})
		}
	}
	for i, row := range t.Rows {
		if progress != nil && i > 0 && i%ProgressEvery == 0 {
			if err := progress(i); err != nil {
				return res, err
			}
		}
		num := t.Nums[i]
		refuse := func(reason string) {
			res.Refused = append(res.Refused, soq.ImportRefusal{Row: num, Reference: clip(get(row, Reference)),
				Description: clipTo(get(row, Description), 200), Reason: reason})
		}
		if fc := formulaIn(t.Formulas[num], col); fc >= 0 {
			refuse(fmt.Sprintf(MsgUncachedFormula, colName(fc), num))
			continue
		}
		secText := get(row, Section)
		var secErr string
		if secText != "" {
			code, title, msg := parseSection(secText)
			if msg != "" {
				secErr = msg
			} else {
				curCode, curTitle = code, title
			}
		}
		heading := get(row, Reference) == "" && get(row, Unit) == "" && get(row, Quantity) == "" && get(row, Rate) == ""
		if heading {
			if secText != "" && secErr == "" {
				openSection(curCode, curTitle)
			}
			res.Skipped++
			continue
		}
		var reasons []string
		add := func(field, msg string) { reasons = append(reasons, field+" "+msg) }
		if secErr != "" {
			reasons = append(reasons, secErr)
		} else if curCode == "" {
			add("section", "is required (a code such as B, or B Substructure)")
		}
		text := soq.ItemText{Reference: get(row, Reference), Description: get(row, Description), Unit: get(row, Unit),
			Quantity: get(row, Quantity), Rate: get(row, Rate), Type: get(row, ItemType)}
		it, errs := soq.ParseItem(text, cur)
		if msg, bad := errs["itemType"]; bad {
			// The type decides the other rules: with it unknown, say only that.
			add("item type", quoted(text.Type, msg))
		} else {
			for _, f := range []struct{ name, text string }{{"reference", ""}, {"description", ""}, {"unit", ""},
				{"quantity", text.Quantity}, {"rate", text.Rate}} {
				if msg, ok := errs[f.name]; ok {
					add(f.name, quoted(f.text, msg))
				}
			}
		}
		var catID int64
		if s := get(row, Trade); s != "" {
			cat, ok := cats.Match(s)
			if !ok {
				add("trade", quoted(s, soq.MsgUnknownCategory))
			}
			catID = cat.ID
		}
		if len(reasons) == 0 {
			if other, dup := seenRef.Add(it.Reference, strconv.Itoa(num)); dup {
				reasons = append(reasons, fmt.Sprintf("reference %s is used twice in the file (also row %s)", it.Reference, other))
			}
		}
		if len(reasons) > 0 {
			refuse(strings.Join(reasons, "; "))
			continue
		}
		openSection(curCode, curTitle)
		res.Lines = append(res.Lines, soq.ImportLine{Row: num, SectionCode: curCode, SectionTitle: curTitle, Item: it, CategoryID: catID})
	}
	if progress != nil {
		if err := progress(len(t.Rows)); err != nil {
			return res, err
		}
	}
	return res, nil
}

func quoted(text, msg string) string {
	if text == "" {
		return msg
	}
	return fmt.Sprintf("%q %s", clip(text), msg)
}

// MsgUncachedFormula refuses a row whose mapped cell (column letter, row number) holds a
// formula without a stored value.
const MsgUncachedFormula = "cell %s%d has a formula but no stored value (the file was saved without calculating it); open it in Excel, save it and upload it again, or paste values"

func clip(s string) string { return clipTo(s, 40) }

func clipTo(s string, n int) string {
	if utf8.RuneCountInString(s) > n {
		r := []rune(s)
		return string(r[:n]) + "…"
	}
	return s
}

// formulaIn returns the first mapped column among cols (formulas without a stored value),
// or -1. Those in ignored columns (a computed amount) do not matter: amounts are recomputed.
func formulaIn(cols []int, mapped map[Field]int) int {
	for _, c := range cols {
		for _, i := range mapped {
			if i == c {
				return c
			}
		}
	}
	return -1
}

func colName(i int) string {
	name := ""
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		name = string(rune('A'+(n-1)%26)) + name
	}
	return name
}

// parseSection reads "B" or "B Substructure" (or "B - Substructure", "B: Substructure").
func parseSection(s string) (code, title, msg string) {
	s = strings.TrimSpace(s)
	code, title, _ = strings.Cut(s, " ")
	title = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(title), "-–:"))
	code = strings.TrimRight(code, ":.")
	if code == "" {
		return "", "", "section is required"
	}
	if utf8.RuneCountInString(code) > soq.MaxSectionCode {
		return "", "", fmt.Sprintf("section code %q must be at most %d characters (write a code, then the title: B Substructure)", clip(code), soq.MaxSectionCode)
	}
	if title == "" {
		title = "Section " + code
	}
	// The same rules as a section typed in the sheet or sent to the API (NFC, no invisible
	// or direction characters, lengths).
	code, title, errs := soq.CheckSection(code, title)
	if m := errs["code"]; m != "" {
		return "", "", "section code " + m
	}
	if m := errs["title"]; m != "" {
		return "", "", "section title " + m
	}
	return code, title, ""
}

// headerScan is how many rows after the first non-blank one may be the real header: the
// preview reads at least this many, so the preview and the import always agree on it.
const headerScan = 5

// headerScore is how many of the required fields a row's names are recognised as.
func headerScore(row []string) int {
	n := 0
	for _, f := range Guess(row) {
		for _, r := range Required {
			if f == r {
				n++
			}
		}
	}
	return n
}

// findHeader skips the title rows estimators put above the column names ("Bill No. 2 –
// Substructure", a project name, a date): when the first non-blank row is not recognised as
// naming at least three required fields and one of the next headerScan rows is, that row is
// the header and the rows above it are dropped. Otherwise the first row stays the header
// (the mapping page shows it, and people map its columns by hand).
func (t *Table) findHeader() {
	const enough = 3
	if t.Header == nil || headerScore(t.Header) >= enough {
		return
	}
	best, bestScore := -1, enough-1
	for i := 0; i < len(t.Rows) && i < headerScan; i++ {
		if s := headerScore(t.Rows[i]); s > bestScore {
			best, bestScore = i, s
		}
	}
	if best < 0 {
		return
	}
	t.Header, t.HeaderRow = t.Rows[best], t.Nums[best]
	t.Rows, t.Nums = t.Rows[best+1:], t.Nums[best+1:]
	for r := range t.Formulas {
		if r <= t.HeaderRow {
			delete(t.Formulas, r)
		}
	}
}
