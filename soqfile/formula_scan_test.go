package soqfile

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

// hasFormulaTag finds a formula element wherever it falls, also split across the scan's
// 64 KB chunks, and says no for a sheet of values.
func TestHasFormulaTag(t *testing.T) {
	t.Parallel()
	values := `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Ref: fix, &lt;fine&gt;</t></is></c></row></sheetData>`
	for name, tc := range map[string]struct {
		sheet string
		want  bool
	}{
		"values only":        {values, false},
		"a formula":          {`<sheetData><row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row></sheetData>`, true},
		"a prefixed formula": {`<x:sheetData><x:row r="1"><x:c r="A1"><x:f t="shared" si="0"/></x:c></x:row></x:sheetData>`, true},
		// "<worksheet>" is 11 bytes: these put "<" and "f", then "f" and ">", on either side of
		// the first chunk's end.
		"split after the <":    {strings.Repeat(" ", 64<<10-12) + `<f>1+1</f>`, true},
		"split before the >":   {strings.Repeat(" ", 64<<10-13) + `<f>1+1</f>`, true},
		"a long sheet of text": {strings.Repeat(values, 2000), false},
	} {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, _ := zw.Create("xl/worksheets/sheet1.xml")
		w.Write([]byte(`<worksheet>` + tc.sheet + `</worksheet>`))
		zw.Close()
		zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := hasFormulaTag(zr.File[0]); err != nil || got != tc.want {
			t.Errorf("%s: %v %v, want %v", name, got, err, tc.want)
		}
	}
}
