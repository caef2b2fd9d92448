package soqfile

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"reflect"
	"testing"
)

// bigSharedWorkbook is a two-sheet workbook with a shared strings table of n entries
// (a few MB): rich text, an empty entry and plain ones, used in the first rows in an
// order unlike the table's.
func bigSharedWorkbook(t *testing.T, n int, bill ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	put := func(name, s string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, s)
	}
	put("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
	put("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	put("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Bill" sheetId="1" r:id="rId1"/><sheet name="More" sheetId="2" r:id="rId2"/></sheets></workbook>`)
	put("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	var sst bytes.Buffer
	sst.WriteString(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	sst.WriteString(`<si><r><rPr><b/></rPr><t>Rich </t></r><r><t xml:space="preserve">text</t></r></si><si/>`)
	for i := 2; i < n; i++ {
		fmt.Fprintf(&sst, "<si><t>String %d &amp; more</t></si>", i)
	}
	sst.WriteString(`</sst>`)
	put("xl/sharedStrings.xml", sst.String())
	sheet := func(rows ...string) string {
		s := `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:C500"/><sheetData>`
		for i, r := range rows {
			s += fmt.Sprintf(`<row r="%d">%s</row>`, i+1, r)
		}
		return s + `</sheetData></worksheet>`
	}
	if bill == nil {
		bill = []string{`<c r="A1" t="s"><v>7</v></c><c r="B1" t="s"><v>0</v></c><c r="C1" t="s"><v>3</v></c>`,
			`<c r="A2" t="s"><v>1</v></c><c r="B2" t="s"><v>` + fmt.Sprint(n-1) + `</v></c><c r="C2"><v>2.2999999999999998</v></c>`,
			`<c r="A3" t="inlineStr"><is><t>inline</t></is></c><c r="B3" t="s"><v>42</v></c>`}
	}
	put("xl/worksheets/sheet1.xml", sheet(bill...))
	put("xl/worksheets/sheet2.xml", sheet(`<c r="A1" t="s"><v>99</v></c>`, `<c r="A2" t="s"><v>5000</v></c>`))
	zw.Close()
	return b.Bytes()
}

// The preview reads a cut-down copy of the shared strings: it must show exactly what the
// whole table gives, and the job's full read the same first rows.
func TestPreviewSlimSharedStrings(t *testing.T) {
	t.Parallel()
	content := bigSharedWorkbook(t, 60_000)
	slim, _, ok := slimWorkbook(content)
	if !ok || len(slim) >= len(content) {
		t.Fatalf("not slimmed: %v, %d → %d bytes", ok, len(content), len(slim))
	}
	got, err := ReadPreview(XLSX, content)
	if err != nil {
		t.Fatal(err)
	}
	want, err := previewXLSX(content)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("slim preview %+v\nwhole %+v", got, want)
	}
	s := got.Sheets[0]
	if s.Header[0] != "String 7 & more" || s.Header[1] != "Rich text" || s.Rows[0][1] != "String 59999 & more" || s.Rows[0][2] != "2.3" ||
		s.Rows[1][0] != "inline" || got.Sheets[1].Header[0] != "String 99 & more" || s.RowsEstimate != 499 {
		t.Fatalf("preview %+v", got)
	}
	full, err := Read(XLSX, content, "Bill", MaxRows)
	if err != nil || !reflect.DeepEqual(full.Rows, [][]string{{"", "String 59999 & more", "2.3"}, {"inline", "String 42 & more"}}) {
		t.Fatalf("full read %+v %v", full, err)
	}
}

// Sheets longer than the slimmed copy keeps: one whose preview fits in the rows kept, and
// one whose first 1,200 rows are blank (the copy cannot show it: the file is read whole).
func TestPreviewSlimCutSheets(t *testing.T) {
	t.Parallel()
	long := make([]string, 1500)
	blankFirst := make([]string, 1300)
	for i := range long {
		long[i] = fmt.Sprintf(`<c r="A%d" t="s"><v>%d</v></c><c r="B%d"><v>%d</v></c>`, i+1, 50_000-i, i+1, i)
	}
	for i := range blankFirst {
		if i >= 1200 {
			blankFirst[i] = fmt.Sprintf(`<c r="A%d" t="s"><v>%d</v></c>`, i+1, 100+i)
		}
	}
	for name, rows := range map[string][]string{"long": long, "blank first": blankFirst} {
		content := bigSharedWorkbook(t, 60_000, rows...)
		slim, cut, ok := slimWorkbook(content)
		if !ok || !cut["xl/worksheets/sheet1.xml"] {
			t.Fatalf("%s: not cut", name)
		}
		sp, err := previewXLSX(slim)
		if whole := err == nil && complete(sp, slim, cut); whole != (name == "long") {
			t.Fatalf("%s: preview of the slim copy complete=%v, %v", name, whole, err)
		}
		got, err := ReadPreview(XLSX, content)
		if err != nil {
			t.Fatal(err)
		}
		want, err := previewXLSX(content)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || name == "long" && !reflect.DeepEqual(sp, want) {
			t.Fatalf("%s: slim preview %+v\nwhole %+v", name, got, want)
		}
	}
}
