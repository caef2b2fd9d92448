package soqfile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Preview is what the mapping page shows of a file: the header and first rows of every
// sheet. It is read once, at upload, and stored with the import, so showing the page
// never reads the file again.
type Preview struct {
	Sheets []SheetPreview `json:"sheets"`
}

// SheetPreview is one sheet's preview. Error says why the sheet cannot be imported (it
// is then offered with that message). RowsEstimate is the number of rows after the header
// the file declares (xlsx) or its line count (csv): cheap, and approximate.
type SheetPreview struct {
	Name         string     `json:"name"`
	HeaderRow    int        `json:"header_row"`
	Header       []string   `json:"header"`
	Rows         [][]string `json:"rows"`
	Nums         []int      `json:"nums"`
	More         bool       `json:"more"`
	RowsEstimate int        `json:"rows_estimate"`
	Error        string     `json:"error,omitempty"`
}

// ReadPreview checks a file against the limits and reads the first PreviewRows data rows
// of each sheet, stopping there. The file is refused (a *FileError) when its first sheet
// cannot be read; a later sheet that cannot is kept with its message.
func ReadPreview(format string, content []byte) (*Preview, error) {
	if len(content) > MaxBytes {
		return nil, tooLarge("The file is larger than %s.", mb(MaxBytes))
	}
	switch format {
	case CSV:
		t, err := readCSV(content, PreviewRows)
		if err == nil {
			err = t.empty()
		}
		if err != nil {
			return nil, err
		}
		sp := sheetPreview(t)
		lines := bytes.Count(content, []byte("\n"))
		if !bytes.HasSuffix(content, []byte("\n")) {
			lines++
		}
		sp.RowsEstimate = max(lines-t.HeaderRow, len(t.Rows))
		return &Preview{Sheets: []SheetPreview{sp}}, nil
	case XLSX:
	default:
		return nil, fileErr("Upload an .xlsx workbook or a .csv file.")
	}
	if err := checkZip(content); err != nil {
		return nil, err
	}
	// Shared strings are parsed whole by the reader the first time a cell needs one: with
	// them cut to what the first rows use, a preview costs the same for a 60 MB table as
	// for a small one. Anything unexpected falls back to the file as it is.
	if slim, ok := slimSharedStrings(content); ok {
		if p, err := previewXLSX(slim); err == nil {
			return p, nil
		}
	}
	return previewXLSX(content)
}

// previewXLSX previews a workbook checkZip has passed (the slimmed copy of one is much
// more compressible than the original, hence not checked again).
func previewXLSX(content []byte) (*Preview, error) {
	wb, err := openChecked(content)
	if err != nil {
		return nil, err
	}
	defer wb.close()
	p := &Preview{}
	for i, name := range wb.sheets {
		t, err := wb.read(name, PreviewRows)
		if err == nil {
			err = t.empty()
		}
		var fe *FileError
		switch {
		case err == nil:
		case i == 0 || !errors.As(err, &fe):
			return nil, err
		default:
			p.Sheets = append(p.Sheets, SheetPreview{Name: name, Error: fe.Msg})
			continue
		}
		sp := sheetPreview(t)
		if last := wb.lastRow(name); last > 0 {
			sp.RowsEstimate = max(last-t.HeaderRow, len(t.Rows))
		}
		p.Sheets = append(p.Sheets, sp)
	}
	return p, nil
}

func sheetPreview(t *Table) SheetPreview {
	sp := SheetPreview{Name: t.Sheet, HeaderRow: t.HeaderRow, Header: clipCells(t.Header), Nums: t.Nums, More: t.More, RowsEstimate: len(t.Rows)}
	for _, r := range t.Rows {
		sp.Rows = append(sp.Rows, clipCells(r))
	}
	return sp
}

// clipCells shortens each cell to PreviewCellBytes (on a character boundary), which bounds the
// stored preview whatever the file holds.
func clipCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		if len(c) > PreviewCellBytes {
			n := PreviewCellBytes
			for n > 0 && !utf8.RuneStart(c[n]) {
				n--
			}
			c = c[:n] + "…"
		}
		out[i] = c
	}
	return out
}

// Table returns the preview of sheet (the first when empty) as a Table for the mapping
// page. When that sheet cannot be imported, it returns the first usable sheet and the
// reason as msg.
func (p *Preview) Table(sheet string) (t *Table, msg string) {
	pick := -1
	for i, s := range p.Sheets {
		if s.Name == sheet || sheet == "" && i == 0 {
			pick = i
		}
	}
	switch {
	case pick < 0:
		msg = "The workbook has no sheet named " + strconv.Quote(sheet) + "."
	case p.Sheets[pick].Error != "":
		msg = p.Sheets[pick].Error
	}
	if msg != "" {
		pick = -1
		for i, s := range p.Sheets {
			if s.Error == "" {
				pick = i
				break
			}
		}
		if pick < 0 {
			return nil, msg
		}
	}
	s := p.Sheets[pick]
	t = &Table{Sheet: s.Name, HeaderRow: s.HeaderRow, Header: s.Header, Rows: s.Rows, Nums: s.Nums, More: s.More}
	if len(p.Sheets) > 1 || s.Name != "" {
		for _, s := range p.Sheets {
			t.Sheets = append(t.Sheets, s.Name)
		}
	}
	return t, msg
}

// Estimate is the approximate number of data rows of sheet (0 when unknown).
func (p *Preview) Estimate(sheet string) int {
	for i, s := range p.Sheets {
		if s.Name == sheet || sheet == "" && i == 0 {
			return s.RowsEstimate
		}
	}
	return 0
}

var dimensionRe = regexp.MustCompile(`<(?:\w+:)?dimension\s+ref="[A-Z]*[0-9]*:?[A-Z]+([0-9]+)"`)

// lastRow reads the last row a sheet declares in its <dimension> element, which comes
// before the data: a look at the sheet's first 4 KB, not a parse.
func (wb *workbook) lastRow(sheet string) int {
	part, err := sheetPart(wb.zr, sheet)
	if err != nil {
		return 0
	}
	for _, f := range wb.zr.File {
		if f.Name != part {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return 0
		}
		defer rc.Close()
		head := make([]byte, 4<<10)
		n, _ := io.ReadFull(rc, head)
		if m := dimensionRe.FindSubmatch(head[:n]); m != nil {
			if v, err := strconv.Atoi(string(m[1])); err == nil && v <= excelize.TotalRows {
				return v
			}
		}
	}
	return 0
}

// previewScanRows bounds the rows of each sheet slimSharedStrings looks at for the shared
// strings the preview needs.
const previewScanRows = 1000

// slimSharedStrings returns the workbook with its shared strings table reduced to the
// entries the first rows of its sheets use: the others are emptied and the table ends after
// the last one used (every other part is copied as it is, still compressed). ok is false
// when there is nothing worth reducing or the workbook is not as expected.
func slimSharedStrings(content []byte) (slim []byte, ok bool) {
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return nil, false
	}
	var sst *zip.File
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, "xl/sharedStrings.xml") {
			sst = f
		}
	}
	if sst == nil || sst.UncompressedSize64 < 1<<20 {
		return nil, false
	}
	need := map[int]bool{}
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/worksheets/") && strings.HasSuffix(f.Name, ".xml") {
			if !sharedIndexes(f, need) {
				return nil, false
			}
		}
	}
	cut, ok := cutSharedStrings(sst, need)
	if !ok {
		return nil, false
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range zr.File {
		if f == sst {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
			if err != nil {
				return nil, false
			}
			w.Write(cut)
			continue
		}
		w, err := zw.CreateRaw(&f.FileHeader)
		if err != nil {
			return nil, false
		}
		rc, err := f.OpenRaw()
		if err != nil {
			return nil, false
		}
		if _, err := io.Copy(w, rc); err != nil {
			return nil, false
		}
	}
	if zw.Close() != nil {
		return nil, false
	}
	return b.Bytes(), true
}

// sharedIndexes adds the shared string indexes the cells of a sheet's first
// previewScanRows rows use to need.
func sharedIndexes(f *zip.File, need map[int]bool) bool {
	rc, err := f.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	rows, shared, inV := 0, false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "row":
				if rows++; rows > previewScanRows {
					return true
				}
			case "c":
				shared = attr(el, "t") == "s"
			case "v":
				inV = shared
			}
		case xml.EndElement:
			if el.Name.Local == "v" {
				inV = false
			}
		case xml.CharData:
			if inV {
				n, err := strconv.Atoi(strings.TrimSpace(string(el)))
				if err != nil || n < 0 || len(need) >= MaxCells {
					return false
				}
				need[n] = true
			}
		}
	}
}

// cutSharedStrings copies the shared strings table, emptying the entries not in need and
// ending it after the last one in need.
func cutSharedStrings(f *zip.File, need map[int]bool) ([]byte, bool) {
	last := -1
	for n := range need {
		last = max(last, n)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, false
	}
	defer rc.Close()
	r := bufio.NewReaderSize(rc, 64<<10)
	var out bytes.Buffer
	entry, in, keep := 0, false, false
	for entry <= last {
		// Each chunk ends with a tag's '>': a tag is never split between chunks.
		chunk, err := r.ReadSlice('>')
		if err == bufio.ErrBufferFull {
			if keep || !in {
				out.Write(chunk)
			}
			continue
		}
		if !in {
			i := bytes.LastIndex(chunk, []byte("<si"))
			switch {
			case i < 0 || len(chunk) <= i+3:
				out.Write(chunk)
			case chunk[i+3] == '/':
				out.Write(chunk)
				entry++
			case chunk[i+3] == '>' || chunk[i+3] == ' ':
				if keep = need[entry]; keep {
					out.Write(chunk)
				} else {
					out.Write(chunk[:i])
					out.WriteString("<si/>")
				}
				in = true
			default:
				out.Write(chunk)
			}
		} else {
			if keep {
				out.Write(chunk)
			}
			if bytes.HasSuffix(chunk, []byte("</si>")) {
				in = false
				entry++
			}
		}
		if err == io.EOF {
			return out.Bytes(), true // the table ended: it is all needed
		}
		if err != nil {
			return nil, false
		}
	}
	if !bytes.Contains(out.Bytes(), []byte("<sst")) {
		return nil, false
	}
	out.WriteString("</sst>")
	return out.Bytes(), true
}
