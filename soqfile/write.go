package soqfile

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
)

// ExportHeader is the export's columns. Guess maps them back to the same fields, so an
// export imports into an empty SOQ as the same SOQ (Amount is computed, so ignored).
var ExportHeader = []string{"Section", "Reference", "Description", "Unit", "Quantity", "Rate", "Amount", "Item type", "Trade"}

// exportRow is one line of the export: an item, a section total or the grand total.
type exportRow struct {
	section, ref, desc, unit, itemType, trade string
	qty                                       *soq.Quantity
	rate, amount                              *int64
	total                                     bool
}

// Schedule is an SOQ as an export writes it: its sections with their items and totals
// (the caller loads them; soqfile reads and writes files and knows no database).
type Schedule struct {
	Currency string
	Total    int64
	Sections []ScheduleSection
}

// ScheduleSection is one section of a Schedule.
type ScheduleSection struct {
	Code, Title string
	Total       int64
	Items       []ScheduleItem
}

// ScheduleItem is one item of a Schedule; Trade is its category's name, or "".
type ScheduleItem struct {
	Reference, Description, Unit, Trade string
	Quantity                            soq.Quantity
	Rate, Amount                        int64
	Type                                soq.ItemType
}

func exportRows(q Schedule) []exportRow {
	var rows []exportRow
	for _, s := range q.Sections {
		sec := s.Code + " " + s.Title
		for _, it := range s.Items {
			qty, rate, amount := it.Quantity, it.Rate, it.Amount
			rows = append(rows, exportRow{section: sec, ref: it.Reference, desc: it.Description, unit: it.Unit, itemType: it.Type.Label(),
				trade: it.Trade, qty: &qty, rate: &rate, amount: &amount})
		}
		total := s.Total
		rows = append(rows, exportRow{section: sec, desc: "Total for section " + s.Code, amount: &total, total: true})
	}
	total := q.Total
	rows = append(rows, exportRow{desc: "Total", amount: &total, total: true})
	return rows
}

// WriteCSV writes the SOQ as CSV (UTF-8, values only; text that a spreadsheet would read
// as a formula gets an apostrophe, which import removes).
func WriteCSV(w io.Writer, q Schedule) error {
	cur := money.Of(q.Currency)
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportHeader); err != nil {
		return err
	}
	for _, r := range exportRows(q) {
		rec := []string{csvSafe(r.section), csvSafe(r.ref), csvSafe(r.desc), csvSafe(r.unit), "", "", "", r.itemType, csvSafe(r.trade)}
		if r.qty != nil {
			rec[4] = r.qty.String()
		}
		if r.rate != nil {
			rec[5] = money.Input(*r.rate, cur)
		}
		if r.amount != nil {
			rec[6] = money.Input(*r.amount, cur)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

// MoneyFormat is the spreadsheet number format of amounts in currency c ("#,##0.00" for
// two decimals), for every workbook 14Build writes.
func MoneyFormat(c money.Currency) string {
	if c.Exponent <= 0 {
		return "#,##0"
	}
	return "#,##0." + strings.Repeat("0", c.Exponent)
}

// WriteXLSX writes the SOQ as a workbook: the schedule on the first sheet (values, never
// formulas: amounts and totals are the server's exact figures), a summary of section
// totals on the second.
func WriteXLSX(w io.Writer, q Schedule) error {
	cur := money.Of(q.Currency)
	f := excelize.NewFile()
	defer f.Close()
	const main, summary = "Schedule", "Summary"
	if err := f.SetSheetName("Sheet1", main); err != nil {
		return err
	}
	if _, err := f.NewSheet(summary); err != nil {
		return err
	}
	moneyFmt := MoneyFormat(cur)
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F1F5F9"}}})
	if err != nil {
		return err
	}
	num, err := f.NewStyle(&excelize.Style{CustomNumFmt: &moneyFmt})
	if err != nil {
		return err
	}
	boldNum, err := f.NewStyle(&excelize.Style{CustomNumFmt: &moneyFmt, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	boldText, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(main)
	if err != nil {
		return err
	}
	for i, wd := range []float64{22, 12, 60, 8, 12, 14, 16, 16, 18} {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	head := make([]any, len(ExportHeader))
	for i, h := range ExportHeader {
		head[i] = excelize.Cell{Value: h, StyleID: bold}
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{}); err != nil {
		return err
	}
	n := 1
	for _, r := range exportRows(q) {
		n++
		ts := 0
		if r.total {
			ts = boldText
		}
		row := []any{excelize.Cell{Value: r.section, StyleID: ts}, r.ref, excelize.Cell{Value: r.desc, StyleID: ts}, r.unit, nil, nil, nil, r.itemType, r.trade}
		if r.qty != nil {
			row[4] = decimalCell(r.qty.String(), 0)
		}
		if r.rate != nil {
			row[5] = decimalCell(money.Input(*r.rate, cur), num)
		}
		if r.amount != nil {
			st := num
			if r.total {
				st = boldNum
			}
			row[6] = decimalCell(money.Input(*r.amount, cur), st)
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	// Summary: section totals and the grand total.
	set := func(cell string, v any) error { return f.SetCellValue(summary, cell, v) }
	if err := f.SetColWidth(summary, "A", "A", 12); err != nil {
		return err
	}
	if err := f.SetColWidth(summary, "B", "B", 40); err != nil {
		return err
	}
	if err := f.SetColWidth(summary, "C", "C", 18); err != nil {
		return err
	}
	for i, h := range []string{"Section", "Title", "Total"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := set(cell, h); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(summary, "A1", "C1", bold); err != nil {
		return err
	}
	r := 1
	for _, s := range q.Sections {
		r++
		if err := set("A"+strconv.Itoa(r), s.Code); err != nil {
			return err
		}
		if err := set("B"+strconv.Itoa(r), s.Title); err != nil {
			return err
		}
		if err := setDecimal(f, summary, "C"+strconv.Itoa(r), money.Input(s.Total, cur), num); err != nil {
			return err
		}
	}
	r++
	if err := set("B"+strconv.Itoa(r), "Total"); err != nil {
		return err
	}
	if err := setDecimal(f, summary, "C"+strconv.Itoa(r), money.Input(q.Total, cur), boldNum); err != nil {
		return err
	}
	if err := f.SetCellStyle(summary, "B"+strconv.Itoa(r), "B"+strconv.Itoa(r), boldText); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// decimalCell writes an exact decimal as a number cell when a float64 carries it exactly
// back to the same text (up to 15 significant digits), as text otherwise: the value a
// person reads is always the server's exact figure.
func decimalCell(s string, style int) excelize.Cell {
	if v, ok := exactFloat(s); ok {
		return excelize.Cell{Value: v, StyleID: style}
	}
	return excelize.Cell{Value: s, StyleID: style}
}

func setDecimal(f *excelize.File, sheet, cell, s string, style int) error {
	var err error
	if v, ok := exactFloat(s); ok {
		err = f.SetCellFloat(sheet, cell, v, -1, 64)
	} else {
		err = f.SetCellStr(sheet, cell, s)
	}
	if err != nil {
		return err
	}
	return f.SetCellStyle(sheet, cell, cell, style)
}

func exactFloat(s string) (float64, bool) {
	digits := 0
	for _, r := range strings.TrimLeft(strings.Replace(s, ".", "", 1), "0") {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits > 15 {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || strconv.FormatFloat(v, 'f', -1, 64) != strings.TrimRight(strings.TrimRight(s, "0"), ".") && s != strconv.FormatFloat(v, 'f', -1, 64) {
		return 0, false
	}
	return v, true
}
