package soqfile

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The lean reader (readFast) must read every workbook exactly as excelize's row iterator
// does, or leave it to it: each workbook here is read both ways, with and without a limit.
func TestReadFastMatchesExcelize(t *testing.T) {
	t.Parallel()
	books := map[string][]byte{}
	for _, name := range []string{"bill.xlsx", "formulas.xlsx", "merged.xlsx", "wide.xlsx"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		books[name] = b
	}
	books["shared strings, rich text, gaps, formulas"] = bookOf(t, func(f *excelize.File) {
		f.SetSheetRow("Sheet1", "A2", &[]any{"Section", "Ref", "Description", "Unit", "Qty", "Rate"})
		f.SetSheetRow("Sheet1", "A3", &[]any{"A Prelims", "A1", "Site & welfare <set-up>", "item", 1, 1500.5})
		f.SetSheetRow("Sheet1", "B7", &[]any{"A2", "  padded  ", "m2", 2.3, 0.1})
		f.SetCellRichText("Sheet1", "C8", []excelize.RichTextRun{{Text: "Bold "}, {Text: "and plain"}})
		f.SetSheetRow("Sheet1", "A8", &[]any{"B Sub", "B1"})
		f.SetCellFormula("Sheet1", "F8", "E7*2")
		f.SetCellFormula("Sheet1", "E9", "1+1")
		f.SetCellValue("Sheet1", "A9", true)
		f.SetCellValue("Sheet1", "D12", "x")
	})
	books["escaped string"] = bookOf(t, func(f *excelize.File) {
		f.SetSheetRow("Sheet1", "A1", &[]any{"Ref", "Description"})
		f.SetSheetRow("Sheet1", "A2", &[]any{"A1", "line_x000D_break"})
	})
	books["inline strings (stream writer)"] = streamed(t)

	for name, content := range books {
		wb, err := openXLSX(content)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, sheet := range wb.sheets {
			for _, limit := range []int{1, 2, MaxRows} {
				want, werr := wb.readExcelize(&Table{Sheets: wb.sheets, Sheet: sheet}, limit)
				got, gerr := wb.readFast(sheet, limit)
				if gerr == errSlowPath {
					t.Logf("%s/%s: left to excelize", name, sheet)
					continue
				}
				if want != nil && want.Formulas == nil && want.Header != nil {
					want.Formulas = map[int][]int{}
				}
				if !reflect.DeepEqual(got, want) || (gerr == nil) != (werr == nil) {
					t.Errorf("%s/%s limit %d:\nfast     %+v %v\nexcelize %+v %v", name, sheet, limit, got, gerr, want, werr)
				}
			}
		}
		wb.close()
	}
}

// The fast pass must be the one that reads ordinary workbooks (not always fall back).
func TestReadFastReadsOrdinaryWorkbooks(t *testing.T) {
	t.Parallel()
	for _, content := range [][]byte{streamed(t), bookOf(t, func(f *excelize.File) {
		f.SetSheetRow("Sheet1", "A1", &[]any{"Ref", "Description", "Qty"})
		f.SetSheetRow("Sheet1", "A2", &[]any{"A1", "Shared text", 2.3})
	})} {
		wb, err := openXLSX(content)
		if err != nil {
			t.Fatal(err)
		}
		if tb, err := wb.readFast(wb.sheets[0], MaxRows); err != nil || len(tb.Rows) == 0 {
			t.Errorf("fast read: %+v %v", tb, err)
		}
		// …and through the byte scanner, which gives the tokens encoding/xml gives.
		part, _ := sheetPart(wb.zr, wb.sheets[0])
		rc, _ := zipPart(wb.zr, part, true).Open()
		xmlText, _ := io.ReadAll(rc)
		rc.Close()
		bt := newByteTokens(xmlText)
		if bt == nil {
			t.Fatal("an ordinary sheet is not plain")
		}
		byBytes, err := wb.readTokens(bt, wb.sheets[0], MaxRows)
		byXML, xerr := wb.readTokens(xml.NewDecoder(bytes.NewReader(xmlText)), wb.sheets[0], MaxRows)
		if err != nil || xerr != nil || !reflect.DeepEqual(byBytes, byXML) {
			t.Errorf("byte scanner %+v %v, encoding/xml %+v %v", byBytes, err, byXML, xerr)
		}
		wb.close()
	}
}

func bookOf(t *testing.T, fill func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	fill(f)
	f.NewSheet("Empty")
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return b.Bytes()
}

func streamed(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"Section", "Ref", "Description", "Unit", "Qty", "Rate"})
	sw.SetRow("A2", []any{"A Prelims", "A1", `Quoted "text" & more`, "m", 2.2999999999999998, 12.25})
	sw.SetRow("A4", []any{"", "A2", "After a gap", "nr", 1e-3, 7})
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return b.Bytes()
}

// Sheets damaged at random (a byte changed, dropped or repeated, up to three times) read the
// same through the fast pass as through excelize, or are left to excelize: broken tags,
// row numbers that are not numbers, bytes that are not UTF-8, XML broken after the data.
func TestReadFastMatchesExcelizeOnDamagedSheets(t *testing.T) {
	t.Parallel()
	base := streamed(t)
	seed := []byte(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c><c r="B1" t="str"><f>1+1</f><v>2</v></c></row><row><c><v>1.5</v></c><c t="inlineStr"><is><r><t>a&amp;</t></r><r><t>b&#34;</t></r></is></c><c r="E2" t="b"><v>1</v></c></row><row r="4"><c r="B4" s="1"><v>2.2999999999999998</v></c></row></sheetData></worksheet>`)
	r := rand.New(rand.NewSource(9))
	for range 400 {
		s := append([]byte(nil), seed...)
		for range 1 + r.Intn(3) {
			i := r.Intn(len(s))
			switch r.Intn(3) {
			case 0:
				s[i] = byte(r.Intn(256))
			case 1:
				s = append(s[:i], s[i+1:]...)
			default:
				s = append(s[:i], append([]byte{s[r.Intn(len(s))]}, s[i:]...)...)
			}
		}
		wb, err := openChecked(withSheet(t, base, s))
		if err != nil {
			continue
		}
		func() {
			defer func() { _ = recover() }() // excelize may panic (wb.read recovers it)
			want, werr := wb.readExcelize(&Table{Sheets: wb.sheets, Sheet: wb.sheets[0]}, MaxRows)
			got, gerr := wb.readFast(wb.sheets[0], MaxRows)
			if gerr == errSlowPath {
				return
			}
			if want != nil && want.Formulas == nil && want.Header != nil {
				want.Formulas = map[int][]int{}
			}
			if (gerr == nil) != (werr == nil) || gerr == nil && !reflect.DeepEqual(got, want) {
				t.Errorf("on %q:\nfast     %+v %v\nexcelize %+v %v", s, got, gerr, want, werr)
			}
		}()
		wb.close()
	}
}

// withSheet is the workbook with its first sheet's XML replaced.
func withSheet(t *testing.T, content, sheet []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		// Stored, not deflated: a deflate writer's tables, allocated per file, were most of
		// the damaged-sheets test's time under the race detector.
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "xl/worksheets/sheet1.xml" {
			w.Write(sheet)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, rc)
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
