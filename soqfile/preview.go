package soqfile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"slices"
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
			t.findHeader()
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
	if slim, cut, ok := slimWorkbook(content); ok {
		if p, err := previewXLSX(slim); err == nil && complete(p, slim, cut) {
			return p, nil
		}
	}
	return previewXLSX(content)
}

// complete reports whether a preview of the slimmed copy is the whole preview: every sheet
// cut short showed all its preview rows.
func complete(p *Preview, slim []byte, cut map[string]bool) bool {
	zr, err := zip.NewReader(bytes.NewReader(slim), int64(len(slim)))
	if err != nil {
		return false
	}
	for _, s := range p.Sheets {
		if part, err := sheetPart(zr, s.Name); err != nil || cut[part] && !s.More {
			return false
		}
	}
	return true
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
			t.findHeader()
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

// previewScanRows is how many rows of each sheet the slimmed copy keeps.
const previewScanRows = 1000

// slimWorkbook returns a copy of the workbook made for the preview: each sheet cut after
// its first previewScanRows rows, and the shared strings table reduced to the entries
// those rows use, renumbered (every other part is copied as it is, still compressed).
// The reader parses the shared strings table whole, so this makes a preview cost the same
// for a table of a million strings as for a small one. cut names the sheets' parts that
// were cut short. ok is false when there is nothing worth slimming or the workbook is not
// as expected (the caller then previews the file as it is).
func slimWorkbook(content []byte) (slim []byte, cut map[string]bool, ok bool) {
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return nil, nil, false
	}
	var sst *zip.File
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, "xl/sharedStrings.xml") {
			sst = f
		}
	}
	if sst == nil || sst.UncompressedSize64 < 1<<20 {
		return nil, nil, false
	}
	heads := map[*zip.File]*sheetHead{}
	need := map[int]int{} // old index → new
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/worksheets/") && strings.HasSuffix(f.Name, ".xml") {
			h, ok := readSheetHead(f)
			if !ok {
				return nil, nil, false
			}
			heads[f] = h
			for _, v := range h.shared {
				need[v.index] = 0
			}
		}
	}
	old := make([]int, 0, len(need))
	for n := range need {
		old = append(old, n)
	}
	slices.Sort(old)
	for i, n := range old {
		need[n] = i
	}
	table, ok := pickSharedStrings(sst, old)
	if !ok {
		return nil, nil, false
	}
	cut = map[string]bool{}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range zr.File {
		var part []byte
		switch h := heads[f]; {
		case f == sst:
			part = table
		case h != nil:
			part = h.renumbered(need)
			cut[f.Name] = h.cut
		default:
			w, err := zw.CreateRaw(&f.FileHeader)
			if err != nil {
				return nil, nil, false
			}
			rc, err := f.OpenRaw()
			if err != nil {
				return nil, nil, false
			}
			if _, err := io.Copy(w, rc); err != nil {
				return nil, nil, false
			}
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		if err != nil {
			return nil, nil, false
		}
		w.Write(part)
	}
	if zw.Close() != nil {
		return nil, nil, false
	}
	return b.Bytes(), cut, true
}

// sheetHead is the start of a sheet's XML, up to previewScanRows rows, with where its
// shared string indexes are.
type sheetHead struct {
	raw    []byte
	shared []struct{ start, end, index int }
	cut    bool
	close  string // closing tags when cut
}

// readSheetHead reads a sheet up to the end of its previewScanRows-th row.
func readSheetHead(f *zip.File) (*sheetHead, bool) {
	rc, err := f.Open()
	if err != nil {
		return nil, false
	}
	defer rc.Close()
	var raw bytes.Buffer
	dec := xml.NewDecoder(io.TeeReader(rc, &raw))
	h := &sheetHead{}
	var names []string // qualified names of the open elements, as written
	rows, shared, inV := 0, false, false
	for {
		start := int(dec.InputOffset())
		tok, err := dec.RawToken()
		if err == io.EOF {
			h.raw = raw.Bytes()
			return h, true
		}
		if err != nil {
			return nil, false
		}
		end := int(dec.InputOffset())
		switch el := tok.(type) {
		case xml.StartElement:
			names = append(names, qualified(el.Name))
			switch el.Name.Local {
			case "row":
				if rows++; rows > previewScanRows {
					// Keep what comes before this row and close what is open around it.
					h.raw, h.cut = raw.Bytes()[:start], true
					for i := len(names) - 2; i >= 0; i-- {
						h.close += "</" + names[i] + ">"
					}
					return h, true
				}
			case "c":
				shared = attr(el, "t") == "s"
			case "v":
				inV = shared
			}
		case xml.EndElement:
			if len(names) > 0 {
				names = names[:len(names)-1]
			}
			if el.Name.Local == "v" {
				inV = false
			}
		case xml.CharData:
			if inV {
				n, err := strconv.Atoi(strings.TrimSpace(string(el)))
				if err != nil || n < 0 || len(h.shared) >= MaxCells {
					return nil, false
				}
				h.shared = append(h.shared, struct{ start, end, index int }{start, end, n})
			}
		}
	}
}

func qualified(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// renumbered is the head with its shared string indexes renumbered, closed when cut.
func (h *sheetHead) renumbered(to map[int]int) []byte {
	var out bytes.Buffer
	at := 0
	for _, v := range h.shared {
		out.Write(h.raw[at:v.start])
		out.WriteString(strconv.Itoa(to[v.index]))
		at = v.end
	}
	out.Write(h.raw[at:])
	out.WriteString(h.close)
	return out.Bytes()
}

// pickSharedStrings returns a shared strings table of the entries old (ascending) of f,
// in that order.
func pickSharedStrings(f *zip.File, old []int) ([]byte, bool) {
	rc, err := f.Open()
	if err != nil {
		return nil, false
	}
	defer rc.Close()
	r := bufio.NewReaderSize(rc, 64<<10)
	var out, entry bytes.Buffer
	root := ""
	n, next, in := 0, 0, false
	for next < len(old) {
		// Each chunk ends with a tag's '>' (or fills the buffer): a tag's name is never
		// split between chunks.
		chunk, err := r.ReadSlice('>')
		if err != nil && err != bufio.ErrBufferFull {
			return nil, false // the table ends before an entry the sheets use
		}
		if !in {
			i := bytes.LastIndex(chunk, []byte("<si"))
			if root == "" {
				out.Write(chunk)
				if j := bytes.Index(chunk, []byte("sst")); j > 0 && chunk[j-1] == '<' || j > 1 && chunk[j-1] == ':' {
					k := bytes.LastIndexByte(chunk[:j], '<')
					root = string(chunk[k+1 : j+3])
				}
				continue
			}
			if i < 0 || len(chunk) <= i+3 || !bytes.ContainsRune([]byte("/> "), rune(chunk[i+3])) {
				continue
			}
			entry.Reset()
			entry.Write(chunk[i:])
			if chunk[i+3] != '/' {
				in = true
				continue
			}
		} else {
			entry.Write(chunk)
			if !bytes.HasSuffix(chunk, []byte("</si>")) {
				continue
			}
			in = false
		}
		if n == old[next] {
			out.Write(entry.Bytes())
			next++
		}
		n++
	}
	if root == "" {
		return nil, false
	}
	out.WriteString("</" + root + ">")
	return out.Bytes(), true
}
