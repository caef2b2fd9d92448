package soqfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
)

// The reader on the spreadsheets in testdata/ (written by testdata/generate.go): what
// people upload, and how it goes wrong.

func readFile(t *testing.T, name string) (*Table, error) {
	t.Helper()
	content, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	format, err := DetectFormat(name, content)
	if err != nil {
		return nil, err
	}
	return Read(format, content, "", MaxRows)
}

var billHeader = []string{"Section", "Ref", "Description", "Unit", "Qty", "Rate"}

func TestReadWorkbook(t *testing.T) {
	t.Parallel()
	tb, err := readFile(t, "bill.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"A Preliminaries", "A1", "Site set-up and welfare", "item", "1", "1500"},
		{"A Preliminaries", "A2", "Scaffolding to elevations", "m2", "120.5", "12.4"},
		{"B Substructure", "B1", "Excavate to reduced level", "m3", "42", "18"},
		// 2.3 is stored as 2.2999999999999998: read back as typed.
		{"B Substructure", "B2", "Concrete C25/30 in blinding", "m3", "2.3", "155.75"},
	}
	if !reflect.DeepEqual(tb.Sheets, []string{"Bill", "Notes"}) || tb.Sheet != "Bill" || tb.HeaderRow != 1 ||
		!reflect.DeepEqual(tb.Header, billHeader) || !reflect.DeepEqual(tb.Rows, want) ||
		!reflect.DeepEqual(tb.Nums, []int{2, 3, 4, 5}) || tb.More || len(tb.Formulas) != 0 {
		t.Fatalf("read %+v", tb)
	}
	if got := Guess(tb.Header); !reflect.DeepEqual(got, []Field{Section, Reference, Description, Unit, Quantity, Rate}) {
		t.Errorf("guessed mapping %v", got)
	}

	// Another sheet by name, a missing one, and a limit on the rows.
	content, _ := os.ReadFile(filepath.Join("testdata", "bill.xlsx"))
	if notes, err := Read(XLSX, content, "Notes", MaxRows); err != nil || notes.Header[0] != "Prices exclude GST" || len(notes.Rows) != 0 {
		t.Errorf("Notes: %+v %v", notes, err)
	}
	if _, err := Read(XLSX, content, "Prices", MaxRows); !isFileError(err, `no sheet named "Prices"`) {
		t.Errorf("missing sheet: %v", err)
	}
	if two, err := Read(XLSX, content, "", 2); err != nil || len(two.Rows) != 2 || !two.More {
		t.Errorf("limit 2: %+v %v", two, err)
	}
}

// Only the first cell of a merged range holds its value: a section merged down its items
// names the first item's section and leaves the others' blank. The merged title row above
// the header is not the header: the row naming the columns is.
func TestReadMergedCells(t *testing.T) {
	t.Parallel()
	tb, err := readFile(t, "merged.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if tb.HeaderRow != 2 || !reflect.DeepEqual(tb.Header, billHeader) {
		t.Fatalf("header row %d: %q", tb.HeaderRow, tb.Header)
	}
	want := [][]string{
		{"A Preliminaries", "A1", "Site set-up and welfare", "item", "1", "1500"},
		{"", "A2", "Scaffolding to elevations", "m2", "120.5", "12.4"},
	}
	if !reflect.DeepEqual(tb.Rows, want) || !reflect.DeepEqual(tb.Nums, []int{3, 4}) {
		t.Fatalf("rows %q %v", tb.Rows, tb.Nums)
	}
}

// Estimators put a title, the project and a date above the column names: the header is the
// first row that names the columns (within the first rows, the same in the preview and the
// import), and a file whose first row names them in words the guess does not know keeps
// its first row as the header.
func TestReadFindsHeaderBelowTitles(t *testing.T) {
	t.Parallel()
	file := "Bill No. 2 - Substructure\nHarbour View Townhouses,,Rev B\n,,,,,,\nPrinted 3 Dec 2026\n" +
		"Item,Description,Unit,Qty,Rate,Amount,Section\nB1,Excavate,m3,10,20,200,B\nB2,Blinding,m2,5,8,40,B\n"
	tb, err := Read(CSV, []byte(file), "", MaxRows)
	if err != nil {
		t.Fatal(err)
	}
	if tb.HeaderRow != 5 || tb.Header[0] != "Item" || !reflect.DeepEqual(tb.Nums, []int{6, 7}) {
		t.Fatalf("header row %d %q, rows %v", tb.HeaderRow, tb.Header, tb.Nums)
	}
	p, err := ReadPreview(CSV, []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if sp := p.Sheets[0]; sp.HeaderRow != 5 || !reflect.DeepEqual(sp.Header, tb.Header) || !reflect.DeepEqual(sp.Nums, tb.Nums) {
		t.Fatalf("preview header row %d %q, rows %v", sp.HeaderRow, sp.Header, sp.Nums)
	}

	odd := "Code,What,Measure,How many,Cost\nA1,Site,item,1,1500\n"
	if tb, err = Read(CSV, []byte(odd), "", MaxRows); err != nil || tb.HeaderRow != 1 || len(tb.Rows) != 1 {
		t.Fatalf("odd names: %v %+v", err, tb)
	}
}

// A formula cell reads as the value stored beside it, as Excel shows it, and is not
// reported: only a formula without a stored value (a workbook written by a program that
// does not calculate) is, with its row and column.
func TestReadFormulas(t *testing.T) {
	t.Parallel()
	tb, err := readFile(t, "formulas.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.Rows[1][5:]; !reflect.DeepEqual(got, []string{"12.4", "1494.2"}) {
		t.Errorf("cached values %q", got)
	}
	if len(tb.Formulas) != 0 {
		t.Errorf("formulas with stored values reported: %v", tb.Formulas)
	}

	tb, err = readFile(t, "formulas-uncached.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int][]int{2: {6}, 3: {5, 6}}; !reflect.DeepEqual(tb.Formulas, want) {
		t.Errorf("uncached formulas %v, want %v", tb.Formulas, want)
	}
	if got := tb.Rows[1]; len(got) != 5 {
		t.Errorf("row 3 %q: the uncached F3 and G3 should read as blanks (trimmed)", got)
	}
}

// Check imports a rate that is a formula with a stored value, and refuses the row whose
// mapped cell has a formula without one, naming the cell; an uncached formula in an
// ignored column (the Amount) does not matter.
func TestCheckFormulas(t *testing.T) {
	t.Parallel()
	m := []Field{Section, Reference, Description, Unit, Quantity, Rate, Ignore}
	tb, err := readFile(t, "formulas.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Check(tb, m, money.Of("NZD"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refused) != 0 || len(res.Lines) != 2 || res.Lines[1].Item.Rate != 1240 {
		t.Errorf("cached: lines %+v refused %+v", res.Lines, res.Refused)
	}

	tb, err = readFile(t, "formulas-uncached.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if res, err = Check(tb, m, money.Of("NZD"), nil, nil); err != nil {
		t.Fatal(err)
	}
	want := []soq.ImportRefusal{{Row: 3, Reference: "A2", Description: "Scaffolding to elevations", Reason: fmt.Sprintf(MsgUncachedFormula, "F", 3)}}
	if len(res.Lines) != 1 || !reflect.DeepEqual(res.Refused, want) {
		t.Errorf("uncached: lines %+v refused %+v", res.Lines, res.Refused)
	}
}

func TestReadCSVEncodings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file   string
		header []string
		rows   [][]string
	}{
		// The byte-order mark Excel writes is not part of the first column's name.
		{"bom.csv", billHeader, [][]string{
			{"A Preliminaries", "A1", "Site set-up, welfare", "item", "1", "1500"},
			{"A Preliminaries", "A2", "Scaffolding to elevations", "m²", "120.5", "12.40"},
		}},
		// Not UTF-8: read as Windows-1252, what Excel on Windows writes as "CSV".
		{"windows-1252.csv", billHeader, [][]string{{"A Préliminaires", "A1", "Café fit-out", "item", "1", "£1500"}}},
		// Semicolons where the decimal separator is a comma.
		{"semicolon.csv", billHeader, [][]string{{"A Preliminaries", "A1", "Site set-up", "item", "1", "1500,50"}}},
	}
	for _, c := range cases {
		tb, err := readFile(t, c.file)
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if !reflect.DeepEqual(tb.Header, c.header) || !reflect.DeepEqual(tb.Rows, c.rows) {
			t.Errorf("%s: header %q rows %q", c.file, tb.Header, tb.Rows)
		}
	}
}

// Every broken or oversized file is a *FileError with a message for people, never a panic
// or an internal error.
func TestReadRefusesBadFiles(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file, msg string
		tooLarge  bool
	}{
		{"wide.xlsx", "Row 1 has 51 columns; a file may have at most 50", false},
		{"wide.csv", "Row 1 has 51 columns; a file may have at most 50", false},
		{"broken.xlsx", "not a valid XLSX workbook", false},
		{"unclosed-quote.csv", "could not be read at line 2", false},
	}
	for _, c := range cases {
		_, err := readFile(t, c.file)
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(fe.Msg, c.msg) || fe.TooLarge != c.tooLarge {
			t.Errorf("%s: %v, want a FileError saying %q", c.file, err, c.msg)
		}
	}
	// A workbook under a .csv name, and a CSV under an .xlsx one.
	content, _ := os.ReadFile(filepath.Join("testdata", "bill.xlsx"))
	if _, err := DetectFormat("bill.csv", content); !isFileError(err, "holds a workbook") {
		t.Errorf("workbook named .csv: %v", err)
	}
	content, _ = os.ReadFile(filepath.Join("testdata", "bom.csv"))
	if _, err := DetectFormat("bill.xlsx", content); !isFileError(err, "not a valid XLSX workbook") {
		t.Errorf("CSV named .xlsx: %v", err)
	}
}

func isFileError(err error, msg string) bool {
	var fe *FileError
	return errors.As(err, &fe) && strings.Contains(fe.Msg, msg)
}

// A CSV's rows are numbered as a spreadsheet program shows them: an empty line is a row
// (encoding/csv skips it), a quoted field's line break is not.
func TestReadCSVRowNumbers(t *testing.T) {
	t.Parallel()
	file := "Section,Ref,Description,Unit,Qty,Rate\n\nB,B1,\"Two\nlines\",m3,1,2\r\n\r\n\r\nB,B2,Plain,m3,1,2\nB,B3,\"Three\r\nline\r\nnote\",m3,1,2\nB,B4,Last,m3,1,2"
	tb, err := Read(CSV, []byte(file), "", MaxRows)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tb.Nums, []int{3, 6, 7, 8}) || tb.Rows[0][2] != "Two\nlines" {
		t.Fatalf("rows %v %q", tb.Nums, tb.Rows)
	}
}
