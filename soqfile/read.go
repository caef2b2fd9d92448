// Package soqfile reads and writes schedules of quantities as spreadsheets (XLSX and CSV):
// reading a file safely into a grid of cells, guessing and checking a column mapping,
// checking every row with the SOQ rules, and exporting an SOQ as values.
//
// Every problem with a user's file is a *FileError (a message for people) or a refused
// row; nothing here panics or returns an internal error for a bad file.
package soqfile

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// Formats.
const (
	XLSX = "xlsx"
	CSV  = "csv"
)

// FileError is a problem with the whole file, worded for the person who uploaded it.
// TooLarge marks a file past one of the size limits (limits.go).
type FileError struct {
	Msg      string
	TooLarge bool
}

func (e *FileError) Error() string { return e.Msg }

func fileErr(format string, a ...any) error { return &FileError{Msg: fmt.Sprintf(format, a...)} }

// ErrNotXLSX is the message for anything that is not a readable workbook.
const notXLSX = "This file is not a valid XLSX workbook. Save it from your spreadsheet program as Excel Workbook (.xlsx) or CSV UTF-8 (.csv) and upload it again."

// DetectFormat decides the format from the file's name and first bytes.
func DetectFormat(filename string, content []byte) (string, error) {
	ext := strings.ToLower(path.Ext(filename))
	zipMagic := bytes.HasPrefix(content, []byte("PK\x03\x04"))
	switch ext {
	case ".xlsx", ".xlsm":
		if !zipMagic {
			return "", &FileError{Msg: notXLSX}
		}
		return XLSX, nil
	case ".csv", ".txt":
		if zipMagic {
			return "", fileErr("This file is named %s but holds a workbook; rename it to .xlsx or save it as CSV.", ext)
		}
		return CSV, nil
	case ".xls":
		return "", fileErr("Old Excel files (.xls) are not supported: save it as Excel Workbook (.xlsx) or CSV UTF-8 and upload it again.")
	case ".numbers", ".ods":
		return "", fileErr("Export it from your spreadsheet program as .xlsx or .csv and upload that.")
	}
	if len(content) == 0 {
		return "", fileErr("The file is empty.")
	}
	return "", fileErr("Upload an .xlsx workbook or a .csv file.")
}

// Table is a sheet read from a file. Header is the first non-blank row (HeaderRow is its
// number); Rows are the data rows after it with their spreadsheet numbers in Nums. Blank
// rows are left out.
type Table struct {
	Sheets    []string // the workbook's sheets (XLSX)
	Sheet     string   // the sheet read
	HeaderRow int
	Header    []string
	Rows      [][]string
	Nums      []int
	// Formulas maps a row number to the column indexes holding a formula without a stored
	// value (XLSX). A formula with one reads as that value, as Excel shows it: only a
	// workbook saved by a program that does not calculate (a script, some exporters)
	// leaves formulas without one, and then there is no value to import.
	Formulas map[int][]int
	// More is set when rows were left unread because of the limit.
	More bool

	cells int // cells walked so far, against MaxCells
}

// Columns is the width of the table (header and rows).
func (t *Table) Columns() int {
	n := len(t.Header)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	return n
}

// Read reads up to limit data rows of sheet (the first sheet when empty) from a file. A
// file past the limits (limits.go) or that cannot be read is a *FileError.
func Read(format string, content []byte, sheet string, limit int) (*Table, error) {
	if len(content) > MaxBytes {
		return nil, tooLarge("The file is larger than %s.", mb(MaxBytes))
	}
	var t *Table
	var err error
	switch format {
	case XLSX:
		var wb *workbook
		if wb, err = openXLSX(content); err != nil {
			return nil, err
		}
		defer wb.close()
		t, err = wb.read(sheet, limit)
	case CSV:
		t, err = readCSV(content, limit)
	default:
		return nil, fileErr("Upload an .xlsx workbook or a .csv file.")
	}
	if err != nil {
		return nil, err
	}
	t.findHeader()
	return t, t.empty()
}

// empty reports a sheet without a header as a *FileError.
func (t *Table) empty() error {
	if t.Header != nil {
		return nil
	}
	if t.Sheet != "" && len(t.Sheets) > 1 {
		return fileErr("The sheet %q is empty.", t.Sheet)
	}
	return fileErr("The file has no rows: the first row must name the columns, and the items follow it.")
}

// add appends a row, trimming trailing blanks; blank rows are skipped. It reports a file
// error when the limits are passed.
func (t *Table) add(num int, cells []string, limit int) (stop bool, err error) {
	if t.cells += len(cells); t.cells > MaxCells {
		return true, tooLarge("The sheet has more than %d cells (the limit); remove unused rows and columns, or split it into smaller files.", MaxCells)
	}
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
	}
	n := len(cells)
	for n > 0 && cells[n-1] == "" {
		n--
	}
	if n == 0 {
		return false, nil
	}
	cells = cells[:n]
	if n > MaxColumns {
		return true, fileErr("Row %d has %d columns; a file may have at most %d. Remove the extra columns and upload it again.", num, n, MaxColumns)
	}
	if t.Header == nil {
		t.Header, t.HeaderRow = cells, num
		return false, nil
	}
	if len(t.Rows) >= MaxRows {
		return true, tooLarge("The file has more than %d rows (the limit); split it into smaller files.", MaxRows)
	}
	if len(t.Rows) >= limit {
		t.More = true
		return true, nil
	}
	t.Rows, t.Nums = append(t.Rows, cells), append(t.Nums, num)
	return false, nil
}

func readCSV(content []byte, limit int) (*Table, error) {
	content = bytes.TrimPrefix(content, []byte("\xEF\xBB\xBF"))
	if bytes.IndexByte(content, 0) >= 0 {
		return nil, fileErr("This file is not a CSV text file (it holds binary data). Upload an .xlsx workbook or a CSV file.")
	}
	if !utf8.Valid(content) {
		// Spreadsheet programs on Windows write "CSV" in Windows-1252.
		dec, err := charmap.Windows1252.NewDecoder().Bytes(content)
		if err != nil {
			return nil, fileErr("The CSV is not UTF-8 text: save it as CSV UTF-8 and upload it again.")
		}
		content = dec
	}
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	r.LazyQuotes = false
	r.Comma = sniffComma(content)
	t := &Table{}
	// num is the row a spreadsheet program shows the record on: encoding/csv skips empty
	// lines, which are rows there, and a quoted field's line breaks are not. end is the
	// line the previous record ended on.
	num, end := 0, 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fileErr("The CSV could not be read at line %d: %s. Put fields that contain quotes or commas in double quotes, with inner quotes doubled.", pe.StartLine, csvReason(pe.Err))
		}
		if err != nil {
			return nil, fileErr("The CSV could not be read.")
		}
		start, _ := r.FieldPos(0)
		num += 1 + max(start-end-1, 0)
		last, _ := r.FieldPos(len(rec) - 1)
		end = last + strings.Count(rec[len(rec)-1], "\n")
		n := 0
		for i, c := range rec {
			n += len(c)
			rec[i] = unCSVSafe(c)
		}
		if n > MaxLineBytes {
			line, _ := r.FieldPos(0)
			return nil, tooLarge("Line %d of the CSV is longer than %d KB (the limit for one row); check that its quotes are closed.", line, MaxLineBytes>>10)
		}
		if stop, err := t.add(num, rec, limit); err != nil || stop {
			return t, err
		}
	}
	return t, nil
}

func csvReason(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `a quote (") appears inside an unquoted field`
	case errors.Is(err, csv.ErrQuote):
		return `a quoted field is not closed, or has text after its closing quote`
	}
	return "the line is malformed"
}

// sniffComma picks ';' for files whose first line has semicolons and no commas (the CSV of
// spreadsheet programs in locales with decimal commas), ',' otherwise.
func sniffComma(b []byte) rune {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	if bytes.Count(line, []byte(";")) > 0 && bytes.Count(line, []byte(",")) == 0 {
		return ';'
	}
	return ','
}

// unCSVSafe undoes the apostrophe that exports put before text starting with = + - @ so a
// spreadsheet does not read it as a formula.
func unCSVSafe(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		return s[1:]
	}
	return s
}

// workbook is an opened XLSX whose declared sizes passed checkZip.
type workbook struct {
	content []byte
	zr      *zip.Reader
	f       *excelize.File
	sheets  []string
}

// openXLSX checks a workbook's zip against the limits, then opens it with excelize under
// the same limits (its own check, and the spill of large parts to temporary files).
func openXLSX(content []byte) (wb *workbook, err error) {
	if err := checkZip(content); err != nil {
		return nil, err
	}
	return openChecked(content)
}

// openChecked opens a workbook already checked by checkZip (or derived from one that was).
func openChecked(content []byte) (wb *workbook, err error) {
	defer func() {
		// A malformed workbook must be a message, never a crash of the server or the job.
		if r := recover(); r != nil {
			wb, err = nil, &FileError{Msg: notXLSX}
		}
	}()
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return nil, &FileError{Msg: notXLSX}
	}
	f, err := excelize.OpenReader(bytes.NewReader(content), excelize.Options{
		UnzipSizeLimit: MaxUnzipped, UnzipXMLSizeLimit: inMemoryXML, RawCellValue: true,
	})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, tooLarge("This workbook unpacks to more than %s (the limit for a workbook); it was refused.", mb(MaxUnzipped))
		}
		return nil, &FileError{Msg: notXLSX}
	}
	wb = &workbook{content: content, zr: zr, f: f, sheets: f.GetSheetList()}
	if len(wb.sheets) == 0 {
		f.Close()
		return nil, &FileError{Msg: notXLSX}
	}
	if len(wb.sheets) > MaxSheets {
		f.Close()
		return nil, tooLarge("The workbook has %d sheets; at most %d can be imported. Delete the sheets you do not need and upload it again.", len(wb.sheets), MaxSheets)
	}
	return wb, nil
}

func (wb *workbook) close() { _ = wb.f.Close() }

// read streams up to limit data rows of sheet (the first when empty) and the formula
// cells without a stored value of the rows read.
func (wb *workbook) read(sheet string, limit int) (t *Table, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, &FileError{Msg: notXLSX}
		}
	}()
	t = &Table{Sheets: wb.sheets, Sheet: sheet}
	if sheet == "" {
		t.Sheet = wb.sheets[0]
	}
	found := false
	for _, s := range t.Sheets {
		found = found || s == t.Sheet
	}
	if !found {
		return nil, fileErr("The workbook has no sheet named %q.", t.Sheet)
	}
	if ft, err := wb.readFast(t.Sheet, limit); err != errSlowPath {
		return ft, err
	}
	return wb.readExcelize(t, limit)
}

// readExcelize reads the sheet t names through excelize's row iterator, then its formula
// cells (the reader of workbooks the fast pass leaves alone).
func (wb *workbook) readExcelize(t *Table, limit int) (*Table, error) {
	rows, err := wb.f.Rows(t.Sheet)
	if err != nil {
		return nil, &FileError{Msg: notXLSX}
	}
	defer rows.Close()
	num := 0
	for rows.Next() {
		num++
		cells, err := rows.Columns()
		if err != nil {
			return nil, &FileError{Msg: notXLSX}
		}
		for i, c := range cells {
			cells[i] = cleanNumber(c)
		}
		stop, err := t.add(num, cells, limit)
		if err != nil {
			return nil, err
		}
		if stop {
			break
		}
	}
	if rows.Error() != nil {
		return nil, fileErr("The sheet has more rows than a workbook may hold.")
	}
	last := num
	if t.Header == nil {
		return t, nil
	}
	// Only the rows read need their formulas: a preview stops scanning after them.
	t.Formulas, err = formulaCells(wb.zr, t.Sheet, last)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// cleanNumber turns a number as a workbook stores it ("2.2999999999999998", "1E-3") into
// the decimal a person typed ("2.3", "0.001"): the shortest text that reads back as the
// same binary value. Other text is returned as is.
func cleanNumber(s string) string {
	if s == "" || !(s[0] >= '0' && s[0] <= '9' || s[0] == '-' || s[0] == '.') || !strings.ContainsAny(s, ".eE") {
		return s
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+' || r == 'e' || r == 'E') {
			return s
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// formulaCells scans a sheet's XML for cells with a formula and no stored value
// (<c r="D7"><f>…</f></c>, no <v>), which the row iterator does not report, up to lastRow.
// It returns row number → column indexes.
func formulaCells(zr *zip.Reader, sheet string, lastRow int) (map[int][]int, error) {
	part, err := sheetPart(zr, sheet)
	if err != nil {
		return nil, err
	}
	var zf *zip.File
	for _, f := range zr.File {
		if strings.EqualFold(strings.TrimPrefix(f.Name, "/"), part) {
			zf = f
		}
	}
	if zf == nil {
		return nil, &FileError{Msg: notXLSX}
	}
	if has, err := hasFormulaTag(zf); err != nil || !has {
		return map[int][]int{}, err
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, &FileError{Msg: notXLSX}
	}
	defer rc.Close()
	dec := xml.NewDecoder(io.LimitReader(rc, MaxUnzipped))
	out := map[int][]int{}
	row, col, inCell := 0, 0, false
	formula, value := false, false // of the cell open
	for {
		// RawToken: no namespace translation or end-tag matching, which this scan does not
		// need (Name.Local is all it reads).
		tok, err := dec.RawToken()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, &FileError{Msg: notXLSX}
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "row":
				row++
				col = 0
				if v := attr(el, "r"); v != "" {
					if n, err := strconv.Atoi(v); err == nil {
						row = n
					}
				}
				if row > lastRow {
					return out, nil
				}
			case "c":
				inCell, formula, value = true, false, false
				col++
				if v := attr(el, "r"); v != "" {
					if c, _, err := excelize.CellNameToCoordinates(v); err == nil {
						col = c
					}
				}
			case "f":
				formula = formula || inCell
			case "v":
				value = value || inCell
			}
		case xml.EndElement:
			if el.Name.Local == "c" {
				if inCell && formula && !value {
					if l := out[row]; len(l) == 0 || l[len(l)-1] != col-1 {
						out[row] = append(l, col-1)
					}
				}
				inCell = false
			}
		}
	}
}

// hasFormulaTag reports whether a sheet part may hold a formula (an <f> or <x:f> element).
// Most sheets hold none, and this byte scan costs a tenth of the token pass over a
// 50,000-row sheet. Markup cannot appear in text ("<" is escaped there), so "<f" is always
// a tag; ":f" can be text too, which only costs the token pass.
func hasFormulaTag(zf *zip.File) (bool, error) {
	rc, err := zf.Open()
	if err != nil {
		return false, &FileError{Msg: notXLSX}
	}
	defer rc.Close()
	r := io.LimitReader(rc, MaxUnzipped)
	buf := make([]byte, 64<<10)
	keep := 0 // bytes carried over from the previous chunk, so a tag split across two is seen
	for {
		n, err := r.Read(buf[keep:])
		chunk := buf[:keep+n]
		for _, open := range [][]byte{[]byte("<f"), []byte(":f")} {
			for i := bytes.Index(chunk, open); i >= 0 && i+2 < len(chunk); {
				if c := chunk[i+2]; c == '>' || c == ' ' || c == '/' || c == '\t' || c == '\n' || c == '\r' {
					return true, nil
				}
				j := bytes.Index(chunk[i+1:], open)
				if j < 0 {
					break
				}
				i += 1 + j
			}
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, &FileError{Msg: notXLSX}
		}
		keep = copy(buf, chunk[max(len(chunk)-2, 0):])
	}
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// sheetPart finds the zip path of a sheet through xl/workbook.xml and its relationships.
func sheetPart(zr *zip.Reader, sheet string) (string, error) {
	read := func(name string, v any) error {
		for _, f := range zr.File {
			if strings.EqualFold(f.Name, name) {
				rc, err := f.Open()
				if err != nil {
					return err
				}
				defer rc.Close()
				return xml.NewDecoder(io.LimitReader(rc, 16<<20)).Decode(v)
			}
		}
		return errors.New("missing " + name)
	}
	var wb struct {
		Sheets []struct {
			Name string     `xml:"name,attr"`
			Attr []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if read("xl/workbook.xml", &wb) != nil || read("xl/_rels/workbook.xml.rels", &rels) != nil {
		return "", &FileError{Msg: notXLSX}
	}
	for _, s := range wb.Sheets {
		if s.Name != sheet {
			continue
		}
		var rid string
		for _, a := range s.Attr {
			if a.Name.Local == "id" {
				rid = a.Value
			}
		}
		for _, r := range rels.Rels {
			if r.ID == rid {
				t := r.Target
				if strings.HasPrefix(t, "/") {
					return strings.TrimPrefix(t, "/"), nil
				}
				return path.Clean("xl/" + t), nil
			}
		}
	}
	return "", &FileError{Msg: notXLSX}
}

// errSlowPath says the lean reader met something it does not read exactly as excelize's
// row iterator does (a date cell, an escaped "_x…_" string, rows out of order, XML it
// cannot parse…): the sheet is then read again through excelize, so every workbook reads
// the same either way.
var errSlowPath = errors.New("soqfile: sheet left to excelize's reader")

// mainNS is the namespace of a transitional SpreadsheetML part (the sharedStrings root).
const mainNS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

// readFast reads a sheet as wb.read does, in one streaming pass over its XML with
// RawToken, collecting formula cells on the way. excelize's Rows.Columns decodes every
// cell through reflection (xml.DecodeElement) with namespace translation: 0.93 s of the
// 50,000-row import's 1.6 s of Go CPU; this pass takes a fraction of it and makes the
// separate formula scan unneeded.
func (wb *workbook) readFast(sheet string, limit int) (*Table, error) {
	part, err := sheetPart(wb.zr, sheet)
	if err != nil {
		return nil, errSlowPath
	}
	zf := zipPart(wb.zr, part, true)
	if zf == nil {
		return nil, errSlowPath
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, errSlowPath
	}
	// Sized by the declared size (checkZip bounded it): growing by doubling cleared three
	// times the memory.
	buf := bytes.NewBuffer(make([]byte, 0, min(zf.UncompressedSize64, MaxUnzipped)+512))
	_, err = buf.ReadFrom(io.LimitReader(rc, MaxUnzipped+1))
	content := buf.Bytes()
	rc.Close()
	if err != nil || len(content) > MaxUnzipped {
		return nil, errSlowPath
	}
	if bt := newByteTokens(content); bt != nil {
		if t, err := wb.readTokens(bt, sheet, limit); err != errSlowPath {
			return t, err
		}
	}
	return wb.readTokens(xml.NewDecoder(bytes.NewReader(content)), sheet, limit)
}

// tokenSource is what the fast pass reads a sheet's XML from: encoding/xml's RawToken, or
// byteTokens for plain sheets.
type tokenSource interface {
	RawToken() (xml.Token, error)
}

func (wb *workbook) readTokens(src tokenSource, sheet string, limit int) (*Table, error) {
	// excelize reads with Token, which refuses an end tag that does not match its start
	// (and then stops reading the sheet): such a sheet is left to it.
	dec := &matched{src: src}
	t := &Table{Sheets: wb.sheets, Sheet: sheet, Formulas: map[int][]int{}}
	var sst []string
	sstRead := false
	row, col := 0, 0
	inRow := false
	var cells []string
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errSlowPath
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "row":
				if inRow {
					return nil, errSlowPath
				}
				n := 0
				for _, a := range el.Attr {
					if a.Name.Local == "r" {
						var err error
						if n, err = strconv.Atoi(a.Value); err != nil {
							return nil, errSlowPath // excelize refuses the row
						}
					}
				}
				if n > excelize.TotalRows {
					return nil, fileErr("The sheet has more rows than a workbook may hold.")
				}
				if n == 0 {
					n = row + 1
				} else if n <= row {
					return nil, errSlowPath
				}
				row, col, inRow, cells = n, 0, true, nil
			case "c":
				if !inRow {
					return nil, errSlowPath
				}
				c, err := readCell(dec, el)
				if err != nil {
					return nil, err
				}
				if c.ref != "" {
					if col, _, err = excelize.CellNameToCoordinates(c.ref); err != nil {
						return nil, &FileError{Msg: notXLSX}
					}
				} else {
					col++
				}
				if c.formula && !c.cached {
					if l := t.Formulas[row]; len(l) == 0 || l[len(l)-1] != col-1 {
						t.Formulas[row] = append(l, col-1)
					}
				}
				val := c.v
				switch c.typ {
				case "d":
					return nil, errSlowPath
				case "s":
					if val != "" {
						if !sstRead {
							if sst, err = sharedStrings(wb.zr); err != nil {
								return nil, err
							}
							sstRead = true
						}
						i, err := strconv.Atoi(strings.TrimSpace(val))
						if err != nil || i < 0 || i >= len(sst) {
							return nil, errSlowPath
						}
						val = sst[i]
					}
				case "inlineStr":
					if c.is != nil {
						val = *c.is
					}
				}
				if val == "" && !c.formula {
					continue
				}
				if col <= len(cells) {
					return nil, errSlowPath // out of order: excelize appends such a cell at the end
				}
				for len(cells) < col-1 {
					cells = append(cells, "")
				}
				cells = append(cells, cleanNumber(val))
			}
		case xml.EndElement:
			switch el.Name.Local {
			case "row":
				if !inRow {
					return nil, errSlowPath
				}
				inRow = false
				stop, err := t.add(row, cells, limit)
				if err != nil {
					return nil, err
				}
				if stop {
					return t.keepFormulas(row), nil
				}
			case "sheetData":
				// The rest of the part must parse too: excelize's formula scan reads it
				// and refuses a workbook whose XML breaks there.
				for {
					if _, err := dec.RawToken(); err == io.EOF {
						break
					} else if err != nil {
						return nil, errSlowPath
					}
				}
				if len(dec.open) > 0 {
					return nil, errSlowPath
				}
				return t.keepFormulas(row), nil
			}
		}
	}
	if inRow || len(dec.open) > 0 {
		return nil, errSlowPath
	}
	return t.keepFormulas(row), nil
}

// matched checks that each end tag closes the element open, as Token does.
type matched struct {
	src  tokenSource
	open []xml.Name
}

func (m *matched) RawToken() (xml.Token, error) {
	tok, err := m.src.RawToken()
	switch el := tok.(type) {
	case xml.StartElement:
		m.open = append(m.open, el.Name)
	case xml.EndElement:
		if len(m.open) == 0 || m.open[len(m.open)-1] != el.Name {
			return nil, errSlowPath
		}
		m.open = m.open[:len(m.open)-1]
	}
	return tok, err
}

// keepFormulas drops the formula cells the fast pass saw past the last row read, and
// leaves a table without a header as wb.read does (no formulas).
func (t *Table) keepFormulas(last int) *Table {
	if t.Header == nil {
		t.Formulas = nil
		return t
	}
	for r := range t.Formulas {
		if r > last {
			delete(t.Formulas, r)
		}
	}
	return t
}

// fastCell is one <c> element: its reference, type, value, inline string, whether it
// holds a formula and whether it holds a value (<v>, the value a formula last gave).
type fastCell struct {
	ref, typ, v     string
	is              *string
	formula, cached bool
}

// readCell reads a <c> element up to its end as excelize's cell handler does (the text of
// <v>, an inline string's <is>, the presence of <f>). Anything it would read differently
// is errSlowPath.
func readCell(dec tokenSource, start xml.StartElement) (fastCell, error) {
	var c fastCell
	for _, a := range start.Attr {
		switch a.Name.Local {
		case "r":
			c.ref = a.Value
		case "t":
			c.typ = a.Value
		case "s":
			// excelize drops the whole cell when its style is not a number.
			if _, err := strconv.ParseInt(a.Value, 10, 64); err != nil {
				return c, errSlowPath
			}
		}
	}
	seenV := false
	for {
		tok, err := dec.RawToken()
		if err != nil {
			return c, errSlowPath
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "v":
				if seenV {
					return c, errSlowPath
				}
				seenV, c.cached = true, true
				if c.v, err = textOf(dec); err != nil {
					return c, err
				}
			case "f":
				c.formula = true
				if err := rawSkip(dec); err != nil {
					return c, errSlowPath
				}
			case "is":
				if c.is != nil {
					return c, errSlowPath
				}
				s, err := readSI(dec)
				if err != nil {
					return c, err
				}
				c.is = &s
			default:
				if err := rawSkip(dec); err != nil {
					return c, errSlowPath
				}
			}
		case xml.EndElement:
			if el.Name.Local == "c" {
				return c, nil
			}
			return c, errSlowPath
		}
	}
}

// textOf reads the text of an element without children, up to its end.
func textOf(dec tokenSource) (string, error) {
	var s string
	for {
		tok, err := dec.RawToken()
		if err != nil {
			return "", errSlowPath
		}
		switch el := tok.(type) {
		case xml.CharData:
			s += string(el)
		case xml.EndElement:
			return s, nil
		case xml.StartElement:
			return "", errSlowPath
		}
	}
}

// readSI reads a string item (<si> or <is>) up to its end as excelize's xlsxSI.String
// does: its own <t>, then the <t> of each rich-text run <r>; phonetic runs are not text.
func readSI(dec tokenSource) (string, error) {
	var b strings.Builder
	ownT := false
	for depth := 0; ; {
		tok, err := dec.RawToken()
		if err != nil {
			return "", errSlowPath
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch {
			case depth == 0 && el.Name.Local == "t":
				if ownT || b.Len() > 0 {
					return "", errSlowPath // a second <t>, or one after runs: excelize keeps the last
				}
				ownT = true
				s, err := textOf(dec)
				if err != nil {
					return "", err
				}
				b.WriteString(s)
			case depth == 0 && el.Name.Local == "r":
				depth = 1
			case depth == 1 && el.Name.Local == "t":
				s, err := textOf(dec)
				if err != nil {
					return "", err
				}
				b.WriteString(s)
			default:
				if err := rawSkip(dec); err != nil {
					return "", errSlowPath
				}
			}
		case xml.EndElement:
			if depth == 0 {
				s := b.String()
				if strings.Contains(s, "_x") {
					return "", errSlowPath // excelize unescapes _xHHHH_
				}
				return s, nil
			}
			depth = 0
		}
	}
}

// sharedStrings reads xl/sharedStrings.xml (the part excelize reads, whatever the
// relationships say) into its strings.
func sharedStrings(zr *zip.Reader) ([]string, error) {
	zf := zipPart(zr, "xl/sharedStrings.xml", false)
	if zf == nil {
		return nil, errSlowPath
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, errSlowPath
	}
	defer rc.Close()
	dec := xml.NewDecoder(io.LimitReader(rc, MaxUnzipped))
	var out []string
	root := false
	for {
		tok, err := dec.RawToken()
		if err == io.EOF && root {
			return out, nil
		}
		if err != nil {
			return nil, errSlowPath
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !root {
			// excelize decodes the part into a struct bound to the transitional namespace.
			if el.Name.Local != "sst" || el.Name.Space != "" || attr(el, "xmlns") != mainNS {
				return nil, errSlowPath
			}
			root = true
			continue
		}
		if el.Name.Local != "si" {
			return nil, errSlowPath
		}
		s, err := readSI(dec)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
}

// zipPart finds a part of the workbook by name (case-insensitively when fold is set).
func zipPart(zr *zip.Reader, name string, fold bool) *zip.File {
	var zf *zip.File
	for _, f := range zr.File {
		n := strings.TrimPrefix(f.Name, "/")
		if n == name || fold && strings.EqualFold(n, name) {
			zf = f
		}
	}
	return zf
}

// rawSkip reads up to the end of the element just started. (Decoder.Skip reads with Token,
// whose end-tag matching fails after a start read with RawToken.)
func rawSkip(dec tokenSource) error {
	for depth := 1; depth > 0; {
		tok, err := dec.RawToken()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// byteTokens reads the XML of a plain sheet (UTF-8, no comments, CDATA, DOCTYPE, carriage
// returns, or entities other than XML's own) with byte searches instead of encoding/xml's byte by
// byte decoder: the tokens RawToken would give, at a fraction of its CPU (it was most of
// the fast pass's). Anything else is an error, and the sheet is read by encoding/xml.
type byteTokens struct {
	b   []byte
	i   int
	end *xml.EndElement // the end of a self-closing element, given next
	// names already seen, and the attributes of the last start element (reused: callers
	// read a token's attributes before asking for the next, as readTokens does).
	names map[string]xml.Name
	attrs []xml.Attr
}

var errNotPlain = errors.New("soqfile: not a plain sheet")

// newByteTokens returns nil for a sheet that is not plain text encoding/xml would accept
// as is: invalid UTF-8, control characters, or non-characters.
func newByteTokens(b []byte) *byteTokens {
	if !utf8.Valid(b) || bytes.IndexByte(b, '\r') >= 0 || bytes.Contains(b, []byte("\xEF\xBF\xBE")) || bytes.Contains(b, []byte("\xEF\xBF\xBF")) {
		return nil
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' {
			return nil
		}
	}
	return &byteTokens{b: b, names: map[string]xml.Name{}}
}

func (bt *byteTokens) RawToken() (xml.Token, error) {
	if e := bt.end; e != nil {
		bt.end = nil
		return *e, nil
	}
	b, i := bt.b, bt.i
	if i >= len(b) {
		return nil, io.EOF
	}
	if b[i] != '<' {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			j = len(b) - i
		}
		bt.i = i + j
		text, ok := unescapeXML(b[i : i+j])
		if !ok {
			return nil, errNotPlain
		}
		return xml.CharData(text), nil
	}
	if i+1 >= len(b) {
		return nil, errNotPlain
	}
	switch b[i+1] {
	case '?':
		j := bytes.Index(b[i:], []byte("?>"))
		if j < 0 {
			return nil, errNotPlain
		}
		pi := b[i : i+j]
		if k := bytes.Index(pi, []byte("encoding")); k >= 0 && !bytes.Contains(bytes.ToUpper(pi[k:]), []byte("UTF-8")) {
			return nil, errNotPlain
		}
		bt.i = i + j + 2
		return xml.ProcInst{}, nil
	case '!':
		return nil, errNotPlain
	case '/':
		j := bytes.IndexByte(b[i:], '>')
		if j < 0 {
			return nil, errNotPlain
		}
		name := bytes.TrimRight(b[i+2:i+j], " \t\n")
		if !plainName(name) {
			return nil, errNotPlain
		}
		bt.i = i + j + 1
		return xml.EndElement{Name: bt.name(name)}, nil
	}
	i++
	n := i
	for n < len(b) && !isSpace(b[n]) && b[n] != '>' && b[n] != '/' {
		n++
	}
	if !plainName(b[i:n]) {
		return nil, errNotPlain
	}
	el := xml.StartElement{Name: bt.name(b[i:n]), Attr: bt.attrs[:0]}
	defer func() { bt.attrs = el.Attr }()
	i = n
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return nil, errNotPlain
		}
		switch b[i] {
		case '>':
			bt.i = i + 1
			return el, nil
		case '/':
			if i+1 >= len(b) || b[i+1] != '>' {
				return nil, errNotPlain
			}
			bt.i = i + 2
			bt.end = &xml.EndElement{Name: el.Name}
			return el, nil
		}
		eq := bytes.IndexByte(b[i:], '=')
		if eq < 0 {
			return nil, errNotPlain
		}
		name := bytes.TrimRight(b[i:i+eq], " \t\n")
		if !plainName(name) {
			return nil, errNotPlain
		}
		i += eq + 1
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) || b[i] != '"' && b[i] != '\'' {
			return nil, errNotPlain
		}
		q := bytes.IndexByte(b[i+1:], b[i])
		if q < 0 {
			return nil, errNotPlain
		}
		raw := b[i+1 : i+1+q]
		if bytes.IndexByte(raw, '<') >= 0 {
			return nil, errNotPlain
		}
		v, ok := unescapeXML(raw)
		if !ok {
			return nil, errNotPlain
		}
		el.Attr = append(el.Attr, xml.Attr{Name: bt.name(name), Value: string(v)})
		i += q + 2
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

// plainName accepts the names sheets use (letters, digits, - _ . and one prefix colon).
func plainName(n []byte) bool {
	if len(n) == 0 || !(n[0] >= 'a' && n[0] <= 'z' || n[0] >= 'A' && n[0] <= 'Z' || n[0] == '_') {
		return false
	}
	colons := 0
	for _, c := range n {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.':
		case c == ':':
			colons++
		default:
			return false
		}
	}
	return colons <= 1 && n[len(n)-1] != ':'
}

// name is n split at its prefix, allocated once per distinct name.
func (bt *byteTokens) name(n []byte) xml.Name {
	if x, ok := bt.names[string(n)]; ok {
		return x
	}
	x := splitName(n)
	bt.names[string(n)] = x
	return x
}

func splitName(n []byte) xml.Name {
	if p, l, ok := bytes.Cut(n, []byte(":")); ok {
		return xml.Name{Space: string(p), Local: string(l)}
	}
	return xml.Name{Local: string(n)}
}

// unescapeXML replaces the five named entities and character references; any other
// reference, or a carriage return by reference (encoding/xml keeps it), is not plain.
func unescapeXML(s []byte) ([]byte, bool) {
	if bytes.IndexByte(s, '&') < 0 {
		return s, true
	}
	out := make([]byte, 0, len(s))
	for len(s) > 0 {
		a := bytes.IndexByte(s, '&')
		if a < 0 {
			return append(out, s...), true
		}
		out = append(out, s[:a]...)
		s = s[a:]
		e := bytes.IndexByte(s, ';')
		if e < 0 {
			return nil, false
		}
		switch string(s[1:e]) {
		case "amp":
			out = append(out, '&')
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			// &#34; and &#x22;: what encoding/xml itself writes for quotes, tabs, newlines.
			ref := string(s[1:e])
			if len(ref) < 2 || ref[0] != '#' {
				return nil, false
			}
			var n uint64
			var err error
			if ref[1] == 'x' {
				n, err = strconv.ParseUint(ref[2:], 16, 32)
			} else {
				n, err = strconv.ParseUint(ref[1:], 10, 32)
			}
			r := rune(n)
			if err != nil || !(r == '\t' || r == '\n' || r >= 0x20 && r < 0xD800 || r >= 0xE000 && r < 0xFFFE || r >= 0x10000 && r <= utf8.MaxRune) || r == '\r' {
				return nil, false
			}
			out = utf8.AppendRune(out, r)
		}
		s = s[e+1:]
	}
	return out, true
}
