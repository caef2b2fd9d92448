package pdfdoc

import (
	"io"

	"github.com/go-pdf/fpdf"
)

// WriteTender writes the tender document t as a PDF to w.
func WriteTender(w io.Writer, t Tender) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddPage()
	return pdf.Output(w)
}
