//go:build ignore

// Writes the spreadsheets that read_test.go reads. The files are committed; run this only
// to change them:
//
//	go run ./soqfile/testdata/generate.go
//
// The workbooks are made with excelize (what the reader itself uses), the CSVs byte by
// byte: their encodings are the point.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

var dir = filepath.Join("soqfile", "testdata")

func main() {
	if _, err := os.Stat(dir); err != nil {
		log.Fatal("run from the repository root: ", err)
	}
	bill := [][]any{
		{"Section", "Ref", "Description", "Unit", "Qty", "Rate"},
		{"A Preliminaries", "A1", "Site set-up and welfare", "item", 1, 1500},
		{"A Preliminaries", "A2", "Scaffolding to elevations", "m2", 120.5, 12.4},
		{"B Substructure", "B1", "Excavate to reduced level", "m3", 42, 18},
		{"B Substructure", "B2", "Concrete C25/30 in blinding", "m3", 2.3, 155.75},
	}

	// bill.xlsx: the plain case, and a second sheet.
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "Bill")
	put(f, "Bill", 1, bill)
	_, err := f.NewSheet("Notes")
	must(err)
	must(f.SetCellValue("Notes", "A1", "Prices exclude GST"))
	save(f, "bill.xlsx")

	// merged.xlsx: a merged title row above the header, and a section merged down its
	// items (only the first cell of a merge holds the value).
	f = excelize.NewFile()
	must(f.SetCellValue("Sheet1", "A1", "Bill No. 1 - Harbour View Apartments"))
	must(f.MergeCell("Sheet1", "A1", "F1"))
	put(f, "Sheet1", 2, bill[:1])
	put(f, "Sheet1", 3, [][]any{
		{"A Preliminaries", "A1", "Site set-up and welfare", "item", 1, 1500},
		{nil, "A2", "Scaffolding to elevations", "m2", 120.5, 12.4},
	})
	must(f.MergeCell("Sheet1", "A3", "A4"))
	save(f, "merged.xlsx")

	// formulas.xlsx: an Amount column of formulas, and one rate that is a formula.
	f = excelize.NewFile()
	put(f, "Sheet1", 1, [][]any{append(bill[0], "Amount")})
	put(f, "Sheet1", 2, bill[1:3])
	// Each with the value a spreadsheet program caches beside the formula.
	for cell, fv := range map[string]struct {
		formula string
		value   float64
	}{"G2": {"E2*F2", 1500}, "G3": {"E3*F3", 1494.2}, "F3": {"10+2.4", 12.4}} {
		must(f.SetCellValue("Sheet1", cell, fv.value))
		must(f.SetCellFormula("Sheet1", cell, fv.formula))
	}
	save(f, "formulas.xlsx")

	// formulas-uncached.xlsx: the same bill written by a program that does not calculate:
	// the rate F3 and the amounts are formulas with no stored value (no <v>), so there is
	// nothing to import in F3; the Amount column is ignored anyway.
	f = excelize.NewFile()
	put(f, "Sheet1", 1, [][]any{append(bill[0], "Amount")})
	put(f, "Sheet1", 2, bill[1:3])
	must(f.SetCellValue("Sheet1", "F3", nil))
	for cell, formula := range map[string]string{"G2": "E2*F2", "G3": "E3*F3", "F3": "10+2.4"} {
		must(f.SetCellFormula("Sheet1", cell, formula))
	}
	save(f, "formulas-uncached.xlsx")

	// wide.xlsx: 51 columns, one more than a file may have.
	f = excelize.NewFile()
	var wide []any
	for i := range 51 {
		wide = append(wide, fmt.Sprintf("Col %d", i+1))
	}
	put(f, "Sheet1", 1, [][]any{wide})
	save(f, "wide.xlsx")

	// broken.xlsx: the first half of a workbook, as an interrupted download leaves it.
	var b bytes.Buffer
	f = excelize.NewFile()
	put(f, "Sheet1", 1, bill)
	must(f.Write(&b))
	write("broken.xlsx", b.Bytes()[:b.Len()/2])

	// CSVs.
	csv := "Section,Ref,Description,Unit,Qty,Rate\r\n" +
		"A Preliminaries,A1,\"Site set-up, welfare\",item,1,1500\r\n" +
		"A Preliminaries,A2,Scaffolding to elevations,m²,120.5,12.40\r\n"
	write("bom.csv", append([]byte("\xEF\xBB\xBF"), csv...))
	latin := "Section,Ref,Description,Unit,Qty,Rate\r\n" +
		"A Préliminaires,A1,Café fit-out,item,1,£1500\r\n"
	var enc []byte
	enc, err = charmap.Windows1252.NewEncoder().Bytes([]byte(latin))
	must(err)
	write("windows-1252.csv", enc)
	write("semicolon.csv", []byte("Section;Ref;Description;Unit;Qty;Rate\nA Preliminaries;A1;Site set-up;item;1;1500,50\n"))
	write("unclosed-quote.csv", []byte("Section,Ref,Description,Unit,Qty,Rate\nA,A1,\"Site set-up,item,1,1500\nA,A2,Scaffolding,m2,1,2\n"))
	write("wide.csv", []byte(strings.Repeat("x,", 50)+"x\n"))
}

func put(f *excelize.File, sheet string, first int, rows [][]any) {
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, first+i)
		must(err)
		must(f.SetSheetRow(sheet, cell, &r))
	}
}

func save(f *excelize.File, name string) {
	var b bytes.Buffer
	must(f.Write(&b))
	write(name, b.Bytes())
}

func write(name string, b []byte) {
	must(os.WriteFile(filepath.Join(dir, name), b, 0o644))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
