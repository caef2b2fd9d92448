package soqfile

import (
	"archive/zip"
	"bytes"
	"strconv"
)

// Limits on what an uploaded file may be and expand to, in one place. A 1.36 MB workbook
// that unzipped to 220 MB once took 85 s to upload and 146 s per page view: every limit
// below is checked before the work it bounds is done, and a file past one is refused
// with a message naming it (a *FileError with TooLarge set).
const (
	// MaxBytes is the largest upload.
	MaxBytes = 20 << 20
	// MaxUnzipped bounds the sum of the uncompressed sizes a workbook's zip declares for
	// all its parts. archive/zip refuses to inflate a part past its declared size, so the
	// declared sizes, checked before anything is inflated, bound the real work.
	MaxUnzipped = 64 << 20
	// MaxRatio bounds how much one part larger than ratioFloor may expand: real sheets
	// compress about 5–20:1, highly repetitive bombs about 1000:1.
	MaxRatio   = 100
	ratioFloor = 1 << 20
	// MaxParts bounds the number of files inside a workbook's zip.
	MaxParts = 2000
	// MaxSheets bounds the sheets of a workbook (each is previewed at upload).
	MaxSheets = 30
	// MaxRows bounds the data rows after the header; MaxColumns the columns of a row.
	MaxRows    = 100_000
	MaxColumns = 50
	// MaxCells bounds the cells the reader walks in one sheet, blanks inside rows
	// included (a row can name its last cell XFD and so make 16,384 of them).
	MaxCells = 5_000_000
	// MaxLineBytes bounds one CSV record.
	MaxLineBytes = 64 << 10
	// PreviewRows is how many data rows the mapping page shows, and PreviewCellBytes how
	// much of each cell the stored preview keeps.
	PreviewRows      = 10
	PreviewCellBytes = 200
	// inMemoryXML is excelize's UnzipXMLSizeLimit: worksheets and shared strings larger
	// than this are inflated to temporary files and streamed instead of held in memory.
	inMemoryXML = 8 << 20
)

func mb(n int) string { return strconv.Itoa(n>>20) + " MB" }

func tooLarge(format string, a ...any) error {
	e := fileErr(format, a...).(*FileError)
	e.TooLarge = true
	return e
}

// checkZip refuses a workbook whose central directory declares more than the limits allow,
// before any part is inflated. A zip that cannot be read at all is left to the reader's
// own message.
func checkZip(content []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return nil
	}
	if len(zr.File) > MaxParts {
		return tooLarge("This workbook holds %d files inside it; a workbook may hold at most %d. It is not a normal spreadsheet and was refused.", len(zr.File), MaxParts)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > MaxUnzipped || f.UncompressedSize64 > MaxUnzipped {
			return tooLarge("This workbook unpacks to more than %s (the limit for a workbook); it was refused. Remove unused sheets, columns and formatting, or save it as CSV.", mb(MaxUnzipped))
		}
		if f.UncompressedSize64 > ratioFloor && f.UncompressedSize64 > MaxRatio*max(f.CompressedSize64, 1) {
			return tooLarge("A part of this workbook expands %d times when unpacked (the limit is %d times); it is not a normal spreadsheet and was refused.",
				f.UncompressedSize64/max(f.CompressedSize64, 1), MaxRatio)
		}
	}
	return nil
}
