package soqfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// FuzzRead feeds arbitrary bytes to the spreadsheet reader as both formats, through the
// upload's preview and the job's full read. Whatever the bytes, the reader must not panic,
// must answer either a table within the limits or a *FileError (a message for people),
// and must stay within the limits on what it inflates. The seeds (a valid workbook, CSVs,
// a bomb-like zip, garbage) run in every `go test`.
func FuzzRead(f *testing.F) {
	x := excelize.NewFile()
	for r, row := range [][]any{{"Section", "Ref", "Description", "Unit", "Qty", "Rate"}, {"A", "A1", "Site clearance", "m2", 250.5, 12.25}, {"", "A2", `Quoted "text"`, "nr", 1, 2}} {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		x.SetSheetRow("Sheet1", cell, &row)
	}
	x.SetCellFormula("Sheet1", "F3", "1+1")
	x.NewSheet("Second")
	var xb bytes.Buffer
	x.WriteTo(&xb)
	x.Close()
	f.Add(xb.Bytes())
	f.Add([]byte("Section,Ref,Description,Unit,Qty,Rate\nA,A1,\"Blockwork, 190mm\",m2,\"1,250.5\",12\n"))
	f.Add([]byte("\xEF\xBB\xBFRef;Description\nA1;caf\xe9\n"))
	f.Add([]byte("Ref,Description\nA1,5\" pipe\n"))
	f.Add([]byte("PK\x03\x04garbage"))
	f.Add([]byte{})
	// A zip whose one part is highly repetitive: it must be refused by its ratio.
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	w.Write([]byte(strings.Repeat("<row><c><v>1</v></c></row>", 100_000)))
	zw.Close()
	f.Add(zb.Bytes())

	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []string{XLSX, CSV} {
			p, err := ReadPreview(format, data)
			check(t, err)
			if err == nil {
				if len(p.Sheets) == 0 || len(p.Sheets) > MaxSheets {
					t.Fatalf("%s: %d sheets previewed", format, len(p.Sheets))
				}
				for _, s := range p.Sheets {
					if len(s.Rows) > PreviewRows || len(s.Header) > MaxColumns {
						t.Fatalf("%s: preview of %d rows, %d columns", format, len(s.Rows), len(s.Header))
					}
					for _, r := range s.Rows {
						for _, c := range r {
							if len(c) > PreviewCellBytes+len("…") {
								t.Fatalf("%s: preview cell of %d bytes", format, len(c))
							}
						}
					}
				}
				if tb, _ := p.Table(""); tb == nil {
					t.Fatalf("%s: a preview without a usable sheet", format)
				}
			}
			tb, err := Read(format, data, "", MaxRows)
			check(t, err)
			if err == nil && (tb.Header == nil || len(tb.Rows) > MaxRows || tb.Columns() > MaxColumns) {
				t.Fatalf("%s: table of %d rows, %d columns", format, len(tb.Rows), tb.Columns())
			}
		}
	})
}

func check(t *testing.T, err error) {
	t.Helper()
	var fe *FileError
	if err != nil && (!errors.As(err, &fe) || fe.Msg == "") {
		t.Fatalf("error that is not a message for people: %v", err)
	}
}
