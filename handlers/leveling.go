package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/soqfile"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
	"github.com/14build/14build/units"
)

// levelingView is a tender's bids side by side, as the leveling page, its JSON and its
// XLSX show them: the loaded data, the rules' leveling (tender.Level) and the figures per
// bid that the project's units give. Bid index b is the same everywhere (Data.Bids,
// Level.Bids, Figures): lowest total first. Only for when the seal shows prices.
type levelingView struct {
	T       *store.Tender
	Data    store.LevelingData
	Level   tender.Leveling
	GFA     units.Area // the project's gross floor area (hundredths of m²); 0 when no units
	Units   int        // the project's number of units
	Figures []bidFigures
	// Sections are the section names in copy order, as Lines' Section and the totals'
	// keys name them.
	Sections []string
}

// bidFigures are one bid's figures beside its total.
type bidFigures struct {
	PerArea    int64 // cost per m² of GFA, minor units; HasPerArea false when no GFA
	HasPerArea bool
	PerUnit    int64 // cost per unit, minor units; HasPerUnit false when no units
	HasPerUnit bool
	Percent    int   // the total as a whole percentage of the highest total, for the chart's bars (0..100)
	OverLowest int64 // how much more than the lowest total (0 for the lowest)
	Lowest     bool  // the lowest total (all of them when tied)
}

// levelingOf loads and levels tender t's bids with the project's units. The caller checks
// the seal first (tender.Seal.Shows).
func (h *Handlers) levelingOf(ctx context.Context, t *store.Tender) (levelingView, error) {
	v := levelingView{T: t}
	d, err := h.st.LevelingOf(ctx, t.ID)
	if err != nil {
		return v, err
	}
	v.Data = d
	rates := make([]map[string]int64, len(d.Bids))
	for i, b := range d.Bids {
		rates[i] = b.Rates
	}
	if v.Level, err = tender.Level(d.Lines, rates, d.Currency); err != nil {
		return v, err
	}
	us, err := h.st.Units(ctx, t.ProjectID)
	if err != nil {
		return v, err
	}
	plain := make([]units.Unit, len(us))
	for i, u := range us {
		plain[i] = units.Unit{UnitNumber: u.UnitNumber, TotalArea: u.TotalArea}
	}
	v.GFA, v.Units = tender.GrossFloorArea(plain), len(us)
	seen := map[string]bool{}
	for _, l := range d.Lines {
		if !seen[l.Section] {
			seen[l.Section] = true
			v.Sections = append(v.Sections, l.Section)
		}
	}
	var lowest, highest int64 = -1, 0
	for _, b := range v.Level.Bids {
		if lowest < 0 || b.Totals.Total < lowest {
			lowest = b.Totals.Total
		}
		highest = max(highest, b.Totals.Total)
	}
	v.Figures = make([]bidFigures, len(v.Level.Bids))
	for i, b := range v.Level.Bids {
		f := &v.Figures[i]
		total := b.Totals.Total
		f.PerArea, f.HasPerArea = tender.CostPerArea(total, v.GFA)
		f.PerUnit, f.HasPerUnit = tender.CostPerUnit(total, v.Units)
		if highest > 0 {
			f.Percent = int(total * 100 / highest)
		}
		f.OverLowest = total - lowest
		f.Lowest = total == lowest
	}
	return v, nil
}

// levelingReady answers 404 to a bidder (leveling is the team's) and 409 while the
// tender takes bids or never opened; else the view, which the seal lets the team see.
func (h *Handlers) levelingReady(c echo.Context) (levelingView, error) {
	t := currentTender(c)
	if !teamSide(c) {
		return levelingView{}, errNotFound()
	}
	now := time.Now()
	closed := t.Status == tender.Closed || t.Status == tender.Awarded ||
		(t.Status == tender.Open && !t.AllowLateBids && !now.Before(t.ClosesAt))
	if !closed || !sealOf(t).Shows(tender.Team, now) {
		return levelingView{}, &appError{Status: http.StatusConflict,
			Message: "Bids are leveled once the tender has closed; this tender is " + string(t.Status) + "."}
	}
	return h.levelingOf(c.Request().Context(), t)
}

type findingJSON struct {
	Flag   tender.Flag `json:"flag"`
	Label  string      `json:"label"`
	Reason string      `json:"reason"`
}

func findingsJSON(fs []tender.Finding) []findingJSON {
	out := make([]findingJSON, len(fs))
	for i, f := range fs {
		out[i] = findingJSON{f.Flag, f.Flag.Label(), f.Reason}
	}
	return out
}

type levelOfferJSON struct {
	Rate   *int64        `json:"rate"` // null: the bid did not price the line
	Amount int64         `json:"amount"`
	Lowest bool          `json:"lowest"`
	Flags  []findingJSON `json:"flags"`
}

type levelLineJSON struct {
	ItemID      string           `json:"itemId"`
	Reference   string           `json:"reference"`
	Description string           `json:"description"`
	Unit        string           `json:"unit"`
	Quantity    json.Number      `json:"quantity"`
	ItemType    soq.ItemType     `json:"itemType"`
	Section     string           `json:"section"`
	Allowance   *int64           `json:"allowance,omitempty"` // a locked line's
	Offers      []levelOfferJSON `json:"offers"`              // one per bid, in the bids' order
}

type levelSectionJSON struct {
	Section string  `json:"section"`
	Title   string  `json:"title"`
	Totals  []int64 `json:"totals"` // one per bid, in the bids' order
}

type levelBidJSON struct {
	ID           string           `json:"id"`
	Bidder       namedJSON        `json:"bidder"`
	Company      entityJSON       `json:"company"`
	Status       tender.BidStatus `json:"status"`
	Revision     int              `json:"revision"`
	SubmittedAt  *time.Time       `json:"submittedAt"`
	Total        amountJSON       `json:"total"`
	Lowest       bool             `json:"lowest"`
	OverLowest   amountJSON       `json:"overLowest"`
	CostPerM2    *amountJSON      `json:"costPerM2"`   // null without a gross floor area
	CostPerUnit  *amountJSON      `json:"costPerUnit"` // null without units
	Flags        []findingJSON    `json:"flags"`
	FlaggedLines int              `json:"flaggedLines"`
}

// levelingJSON is GET /api/tenders/{id}/leveling: bids lowest total first; each line's
// and section's figures are in the bids' order.
type levelingJSON struct {
	TenderID       string             `json:"tenderId"`
	Currency       string             `json:"currency"`
	GrossFloorArea string             `json:"grossFloorArea"` // m², two decimals
	Units          int                `json:"units"`
	Bids           []levelBidJSON     `json:"bids"`
	Sections       []levelSectionJSON `json:"sections"`
	Lines          []levelLineJSON    `json:"lines"`
}

// sectionTitles maps the lines' section names (code, else title) to the section's title.
func (v levelingView) sectionTitles() map[string]string {
	m := map[string]string{}
	for _, s := range v.Data.Sections {
		name := s.Code
		if name == "" {
			name = s.Title
		}
		m[name] = s.Title
	}
	return m
}

// items maps item ids to the frozen copy's items (descriptions, units).
func (v levelingView) items() map[string]store.TenderItem {
	m := map[string]store.TenderItem{}
	for _, s := range v.Data.Sections {
		for _, it := range s.Items {
			m[it.ID] = it
		}
	}
	return m
}

func (v levelingView) json() levelingJSON {
	cur := v.Data.Currency.Code
	j := levelingJSON{TenderID: v.T.ID, Currency: cur, GrossFloorArea: v.GFA.String(), Units: v.Units,
		Bids: make([]levelBidJSON, len(v.Data.Bids)), Sections: []levelSectionJSON{}, Lines: make([]levelLineJSON, len(v.Level.Lines))}
	for b, bid := range v.Data.Bids {
		lb, f := v.Level.Bids[b], v.Figures[b]
		bj := levelBidJSON{ID: bid.ID, Bidder: namedJSON{bid.BidderID, bid.BidderName}, Company: entityJSON{bid.EntityID, bid.EntityName},
			Status: bid.Status, Revision: bid.Revision, SubmittedAt: utcPtr(bid.SubmittedAt.Valid, bid.SubmittedAt.Time),
			Total: amountJSON{lb.Totals.Total, cur}, Lowest: f.Lowest, OverLowest: amountJSON{f.OverLowest, cur},
			Flags: findingsJSON(lb.Findings), FlaggedLines: lb.Flagged}
		if f.HasPerArea {
			bj.CostPerM2 = &amountJSON{f.PerArea, cur}
		}
		if f.HasPerUnit {
			bj.CostPerUnit = &amountJSON{f.PerUnit, cur}
		}
		j.Bids[b] = bj
	}
	titles := v.sectionTitles()
	for _, s := range v.Sections {
		sj := levelSectionJSON{Section: s, Title: titles[s], Totals: make([]int64, len(v.Level.Bids))}
		for b, lb := range v.Level.Bids {
			sj.Totals[b] = lb.Totals.Sections[s]
		}
		j.Sections = append(j.Sections, sj)
	}
	items := v.items()
	for i, ll := range v.Level.Lines {
		it := items[ll.Line.ItemID]
		lj := levelLineJSON{ItemID: ll.Line.ItemID, Reference: ll.Line.Reference, Description: it.Description, Unit: it.Unit,
			Quantity: json.Number(ll.Line.Quantity.String()), ItemType: ll.Line.Type, Section: ll.Line.Section,
			Offers: make([]levelOfferJSON, len(ll.Offers))}
		if tender.Locked(ll.Line.Type) {
			a := ll.Line.Allowance
			lj.Allowance = &a
		}
		for b, o := range ll.Offers {
			oj := levelOfferJSON{Amount: ll.Amounts[b], Lowest: slices.Contains(ll.Lowest, b), Flags: findingsJSON(ll.Findings[b])}
			if o.HasRate {
				r := o.Rate
				oj.Rate = &r
			}
			lj.Offers[b] = oj
		}
		j.Lines[i] = lj
	}
	return j
}

// apiLeveling is GET /api/tenders/{id}/leveling.
func (h *Handlers) apiLeveling(c echo.Context) error {
	v, err := h.levelingReady(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v.json())
}

// levelingXLSX is the leveling as a workbook, for the API and the page alike.
func (h *Handlers) levelingXLSX(c echo.Context) error {
	v, err := h.levelingReady(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := v.writeXLSX(&buf); err != nil {
		return err
	}
	name := strings.Map(func(r rune) rune {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
			return r
		}
		return '_'
	}, v.T.Title)
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentDisposition, `attachment; filename="leveling-`+name+`.xlsx"`)
	hd.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

// writeXLSX writes the leveling: lines as rows, for each bid (lowest total first) a rate
// and an amount column; the lowest rate of a line in bold green, flags as cell comments
// and in a Flags column; section subtotals and totals (values, never formulas); a second
// sheet with each bid's total, cost per m² and per unit, and its flags.
func (v levelingView) writeXLSX(w io.Writer) error {
	cur := v.Data.Currency
	f := excelize.NewFile()
	defer f.Close()
	const main, summary = "Leveling", "Bids"
	if err := f.SetSheetName("Sheet1", main); err != nil {
		return err
	}
	if _, err := f.NewSheet(summary); err != nil {
		return err
	}
	moneyFmt := soqfile.MoneyFormat(cur)
	style := func(s *excelize.Style) int {
		id, err := f.NewStyle(s)
		if err != nil {
			return 0
		}
		return id
	}
	head := style(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F1F5F9"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	num := style(&excelize.Style{CustomNumFmt: &moneyFmt})
	lowest := style(&excelize.Style{CustomNumFmt: &moneyFmt, Font: &excelize.Font{Bold: true, Color: "166534"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DCFCE7"}}})
	flagged := style(&excelize.Style{CustomNumFmt: &moneyFmt, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FEF3C7"}}})
	boldNum := style(&excelize.Style{CustomNumFmt: &moneyFmt, Font: &excelize.Font{Bold: true}})
	bold := style(&excelize.Style{Font: &excelize.Font{Bold: true}})
	amount := func(a int64) float64 { v, _ := strconv.ParseFloat(money.Input(a, cur), 64); return v }
	cell := func(col, row int) string { s, _ := excelize.CoordinatesToCellName(col, row); return s }
	set := func(sheet string, col, row int, val any, st int) error {
		c := cell(col, row)
		if err := f.SetCellValue(sheet, c, val); err != nil {
			return err
		}
		if st != 0 {
			return f.SetCellStyle(sheet, c, c, st)
		}
		return nil
	}
	const fixed = 6 // Section, Reference, Description, Unit, Quantity, Item type
	nb := len(v.Data.Bids)
	flagsCol := fixed + 2*nb + 1
	// The flags' comments go in first: the stream writer keeps them, while adding them
	// after it has flushed re-reads the whole sheet for each one. Row r+2 is line r, plus
	// a subtotal row after each section before it.
	r := 1
	for i, ll := range v.Level.Lines {
		r++
		for b, fs := range ll.Findings {
			if len(fs) == 0 {
				continue
			}
			var text []string
			for _, fd := range fs {
				text = append(text, fd.Flag.Label()+": "+fd.Reason)
			}
			if err := f.AddComment(main, excelize.Comment{Cell: cell(fixed+2*b+1, r), Author: "14Build",
				Paragraph: []excelize.RichTextRun{{Text: strings.Join(text, "; ")}}}); err != nil {
				return err
			}
		}
		if i == len(v.Level.Lines)-1 || v.Level.Lines[i+1].Line.Section != ll.Line.Section {
			r++
		}
	}
	// The lines go through a stream writer: 20 bids × 5,000 lines is 200,000 cells.
	sw, err := f.NewStreamWriter(main)
	if err != nil {
		return err
	}
	widths := map[int]float64{1: 12, 2: 12, 3: 48, 4: 8, 5: 12, 6: 14, flagsCol: 60}
	for col := 1; col <= flagsCol; col++ {
		wd, ok := widths[col]
		if !ok {
			wd = 16
		}
		if err := sw.SetColWidth(col, col, wd); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 3, YSplit: 1, TopLeftCell: "D2", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	row := 0
	put := func(cells []any) error {
		row++
		return sw.SetRow(cell(1, row), cells)
	}
	header := make([]any, flagsCol)
	for i, hd := range []string{"Section", "Reference", "Description", "Unit", "Quantity", "Item type"} {
		header[i] = excelize.Cell{Value: hd, StyleID: head}
	}
	for b, bid := range v.Data.Bids {
		name := bid.EntityName
		if v.Figures[b].Lowest {
			name += " (lowest)"
		}
		header[fixed+2*b] = excelize.Cell{Value: name + " rate", StyleID: head}
		header[fixed+2*b+1] = excelize.Cell{Value: name + " amount", StyleID: head}
	}
	header[flagsCol-1] = excelize.Cell{Value: "Flags", StyleID: head}
	if err := put(header); err != nil {
		return err
	}
	items, titles := v.items(), v.sectionTitles()
	writeTotals := func(label string, totals func(b int) int64) error {
		cells := make([]any, flagsCol)
		cells[2] = excelize.Cell{Value: label, StyleID: bold}
		for b := range v.Data.Bids {
			cells[fixed+2*b+1] = excelize.Cell{Value: amount(totals(b)), StyleID: boldNum}
		}
		return put(cells)
	}
	for i, ll := range v.Level.Lines {
		it := items[ll.Line.ItemID]
		q, _ := strconv.ParseFloat(ll.Line.Quantity.String(), 64)
		cells := make([]any, flagsCol)
		copy(cells, []any{ll.Line.Section + " " + titles[ll.Line.Section], ll.Line.Reference, it.Description, it.Unit, q, ll.Line.Type.Label()})
		var notes []string
		for b, o := range ll.Offers {
			st := num
			if len(ll.Findings[b]) > 0 {
				st = flagged
			}
			if slices.Contains(ll.Lowest, b) {
				st = lowest
			}
			if o.HasRate {
				cells[fixed+2*b] = excelize.Cell{Value: amount(o.Rate), StyleID: st}
			}
			cells[fixed+2*b+1] = excelize.Cell{Value: amount(ll.Amounts[b]), StyleID: num}
			if fs := ll.Findings[b]; len(fs) > 0 {
				var text []string
				for _, fd := range fs {
					text = append(text, fd.Flag.Label()+": "+fd.Reason)
				}
				notes = append(notes, v.Data.Bids[b].EntityName+" — "+strings.Join(text, "; "))
			}
		}
		if len(notes) > 0 {
			cells[flagsCol-1] = strings.Join(notes, "\n")
		}
		if err := put(cells); err != nil {
			return err
		}
		if i == len(v.Level.Lines)-1 || v.Level.Lines[i+1].Line.Section != ll.Line.Section {
			sec := ll.Line.Section
			if err := writeTotals("Total for section "+sec, func(b int) int64 { return v.Level.Bids[b].Totals.Sections[sec] }); err != nil {
				return err
			}
		}
	}
	if err := writeTotals("Total", func(b int) int64 { return v.Level.Bids[b].Totals.Total }); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}

	// The bids sheet.
	for i, hd := range []string{"Company", "Bidder", "Revision", "Total", "Over the lowest", "Cost per m² GFA", "Cost per unit", "Lines flagged", "Flags"} {
		if err := set(summary, i+1, 1, hd, head); err != nil {
			return err
		}
	}
	_ = f.SetColWidth(summary, "A", "B", 28)
	_ = f.SetColWidth(summary, "C", "H", 16)
	_ = f.SetColWidth(summary, "I", "I", 60)
	for b, bid := range v.Data.Bids {
		r, fg, lb := b+2, v.Figures[b], v.Level.Bids[b]
		name := bid.EntityName
		if fg.Lowest {
			name += " (lowest)"
		}
		vals := []any{name, bid.BidderName, bid.Revision}
		for k, val := range vals {
			if err := set(summary, k+1, r, val, 0); err != nil {
				return err
			}
		}
		st := num
		if fg.Lowest {
			st = lowest
		}
		if err := set(summary, 4, r, amount(lb.Totals.Total), st); err != nil {
			return err
		}
		if err := set(summary, 5, r, amount(fg.OverLowest), num); err != nil {
			return err
		}
		if fg.HasPerArea {
			if err := set(summary, 6, r, amount(fg.PerArea), num); err != nil {
				return err
			}
		}
		if fg.HasPerUnit {
			if err := set(summary, 7, r, amount(fg.PerUnit), num); err != nil {
				return err
			}
		}
		if err := set(summary, 8, r, lb.Flagged, 0); err != nil {
			return err
		}
		var text []string
		for _, fd := range lb.Findings {
			text = append(text, fd.Flag.Label()+": "+fd.Reason)
		}
		if err := set(summary, 9, r, strings.Join(text, "; "), 0); err != nil {
			return err
		}
	}
	return f.Write(w)
}
