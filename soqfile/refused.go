package soqfile

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/14build/14build/soq"
)

// HeaderSignature identifies a header row by its column names as the guess reads them
// (normalized: case, spacing and punctuation do not matter), in order, so that a mapping
// chosen for one file is proposed for the next file with the same columns. It is a hash:
// a header row can be 50 names of any length.
func HeaderSignature(header []string) string {
	norm := make([]string, len(header))
	for i, h := range header {
		norm[i] = normHeader(h)
	}
	sum := sha256.Sum256([]byte(strings.Join(norm, "\x1f")))
	return "v1:" + hex.EncodeToString(sum[:])
}

// Propose is the mapping offered for header: the remembered one when it still fits (one
// field per column, each a known field), else Guess's. remembered reports which.
func Propose(header []string, columns int, kept []string) (m []Field, remembered bool) {
	if len(kept) == columns {
		m = make([]Field, columns)
		for i, f := range kept {
			m[i] = Field(f)
		}
		if CheckMapping(m, columns) == "" {
			return m, true
		}
	}
	m = Guess(header)
	for len(m) < columns {
		m = append(m, Ignore)
	}
	return m[:columns], false
}

// RefuseTaken moves the lines whose reference the SOQ already uses (taken holds
// soq.RefKey of each) to the refused rows, as the import itself will (store.ApplyImport),
// so that a check before the import counts them.
func (r *Result) RefuseTaken(taken map[string]bool) {
	if len(taken) == 0 {
		return
	}
	kept := r.Lines[:0]
	moved := false
	for _, l := range r.Lines {
		if taken[soq.RefKey(l.Item.Reference)] {
			r.Refused = append(r.Refused, soq.ImportRefusal{Row: l.Row, Reference: l.Item.Reference, Description: l.Item.Description,
				Reason: fmt.Sprintf("reference %s is already used in this SOQ", l.Item.Reference)})
			moved = true
			continue
		}
		kept = append(kept, l)
	}
	r.Lines = kept
	if moved {
		sort.SliceStable(r.Refused, func(a, b int) bool { return r.Refused[a].Row < r.Refused[b].Row })
	}
}

// RefusedHeader is the header of the refused rows' CSV.
var RefusedHeader = []string{"Row", "Reference", "Description", "Reason"}

// WriteRefusedCSV writes refused rows as CSV (UTF-8 with a byte-order mark, so Excel reads
// the description's accents; text a spreadsheet would take for a formula gets an
// apostrophe, as in the export).
func WriteRefusedCSV(w io.Writer, rows []soq.ImportRefusal) error {
	if _, err := io.WriteString(w, "\xEF\xBB\xBF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(RefusedHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{strconv.Itoa(r.Row), csvSafe(r.Reference), csvSafe(r.Description), csvSafe(r.Reason)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
