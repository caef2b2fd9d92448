package handlers

import (
	"context"

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
