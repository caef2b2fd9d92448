package demo

import (
	"fmt"

	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
)

// line is a template for demo SOQ items: quantity in thousandths, rate in cents.
type line struct {
	desc string
	unit string
	qty  soq.Quantity
	rate int64
	typ  soq.ItemType
	cat  string
}

// demoSections is an NRM-style breakdown for the Harbour View townhouses. Each line is
// repeated for the blocks it applies to, so the schedule has a few hundred items.
var demoSections = []struct {
	code, title string
	perBlock    bool // repeat every line for blocks 1–4
	lines       []line
}{
	{"A", "Main contractor's preliminaries", false, []line{
		{"Site establishment, hoardings and signage", "item", 1000, 1850000, soq.Preliminaries, "General Building"},
		{"Site manager, 42 weeks", "wk", 42000, 285000, soq.Preliminaries, "General Building"},
		{"Site welfare facilities", "wk", 42000, 65000, soq.Preliminaries, "General Building"},
		{"Scaffolding, erect, adapt and dismantle", "item", 1000, 4200000, soq.Preliminaries, "General Building"},
		{"Temporary electricity and water", "wk", 42000, 32000, soq.Preliminaries, "Electrical"},
		{"Contract works insurance", "item", 1000, 960000, soq.Preliminaries, ""},
		{"Final clean and handover", "item", 1000, 420000, soq.Preliminaries, "General Building"},
	}},
	{"B", "Facilitating works", false, []line{
		{"Demolish existing shed structure and remove", "item", 1000, 680000, soq.Measured, "Civil Works"},
		{"Strip topsoil 150 mm and stockpile on site", "m2", 1850000, 450, soq.Measured, "Civil Works"},
		{"Remove contaminated fill to licensed tip", "m3", 120500, 6850, soq.Measured, "Civil Works"},
		{"Tree protection fencing", "m", 86000, 2450, soq.Measured, "Landscaping"},
	}},
	{"C", "Substructure", true, []line{
		{"Excavate foundation trenches not exceeding 2 m deep", "m3", 48250, 4275, soq.Measured, "Civil Works"},
		{"Disposal of excavated material off site", "m3", 52100, 3850, soq.Measured, "Civil Works"},
		{"Blinding concrete 50 mm", "m2", 96400, 1250, soq.Measured, "Concrete"},
		{"Reinforced concrete strip footings, 30 MPa", "m3", 31800, 32500, soq.Measured, "Concrete"},
		{"Reinforcement, deformed bars, 12 mm", "t", 2450, 285000, soq.Measured, "Structural Steel"},
		{"Ground floor slab 100 mm on DPM and 150 mm hardfill", "m2", 142500, 11850, soq.Measured, "Concrete"},
		{"Under-slab insulation, 50 mm XPS", "m2", 142500, 2890, soq.Measured, "Concrete"},
	}},
	{"D", "Frame and upper floors", true, []line{
		{"Timber frame wall panels, 90 × 45 SG8", "m2", 212000, 6800, soq.Measured, "Carpentry & Joinery"},
		{"Structural steel portal at garage opening", "t", 850, 845000, soq.Measured, "Structural Steel"},
		{"Floor joists 240 × 45 at 400 centres", "m2", 71250, 7450, soq.Measured, "Carpentry & Joinery"},
		{"Particleboard flooring 20 mm, glued and screwed", "m2", 71250, 3150, soq.Measured, "Carpentry & Joinery"},
	}},
	{"E", "Roof", true, []line{
		{"Prefabricated roof trusses at 900 centres", "m2", 86500, 5850, soq.Measured, "Carpentry & Joinery"},
		{"Long-run corrugated steel roofing, 0.55 BMT", "m2", 92000, 7250, soq.Measured, "Roofing"},
		{"Roof underlay, self-supporting", "m2", 92000, 1150, soq.Measured, "Roofing"},
		{"Gutters and downpipes, coloured steel", "m", 48000, 5400, soq.Measured, "Roofing"},
		{"Ceiling insulation R3.6 batts", "m2", 71250, 1980, soq.Measured, "Plastering & Drylining"},
	}},
	{"F", "External walls, windows and doors", true, []line{
		{"Weatherboard cladding on 20 mm cavity battens", "m2", 164000, 12400, soq.Measured, "Carpentry & Joinery"},
		{"Brick veneer, 70 series, ground floor", "m2", 58000, 16800, soq.Measured, "Masonry"},
		{"Aluminium double-glazed windows", "m2", 36500, 78500, soq.Measured, "Glazing"},
		{"Front entrance door and frame", "nr", 1000, 265000, soq.Measured, "Carpentry & Joinery"},
		{"Sliding door to deck, 2.4 m", "nr", 1000, 395000, soq.Measured, "Glazing"},
	}},
	{"G", "Internal walls, doors and finishes", true, []line{
		{"Internal timber framing, 90 × 45", "m2", 118000, 4650, soq.Measured, "Carpentry & Joinery"},
		{"Plasterboard 10 mm, stopped to level 4", "m2", 412000, 2750, soq.Measured, "Plastering & Drylining"},
		{"Wet area lining, 10 mm aqualine", "m2", 38500, 3650, soq.Measured, "Plastering & Drylining"},
		{"Hollow-core internal doors, hung", "nr", 9000, 48500, soq.Measured, "Carpentry & Joinery"},
		{"Paint walls, two coats acrylic", "m2", 412000, 1450, soq.Measured, "Painting & Decorating"},
		{"Carpet and underlay to bedrooms", "m2", 54000, 6850, soq.Measured, "Flooring & Tiling"},
		{"Floor tiles to wet areas", "m2", 18500, 11200, soq.Measured, "Flooring & Tiling"},
	}},
	{"H", "Services", true, []line{
		{"Hot and cold water reticulation", "item", 1000, 685000, soq.Measured, "Plumbing"},
		{"Sanitary fittings installation", "nr", 7000, 42500, soq.Measured, "Plumbing"},
		{"Electrical installation, power and lighting", "item", 1000, 1245000, soq.Measured, "Electrical"},
		{"Heat pump, 6 kW, supply and install", "nr", 1000, 365000, soq.Measured, "HVAC"},
		{"Mechanical extract ventilation", "nr", 3000, 38500, soq.Measured, "HVAC"},
		{"Electrician, out-of-scope call-outs", "hr", 24000, 9500, soq.Daywork, "Electrical"},
		{"Plumber, out-of-scope call-outs", "hr", 16000, 9800, soq.Daywork, "Plumbing"},
	}},
	{"J", "External works", false, []line{
		{"Concrete driveway 100 mm, broom finish", "m2", 312000, 8950, soq.Measured, "Concrete"},
		{"Timber paling boundary fence 1.8 m", "m", 186000, 14500, soq.Measured, "Landscaping"},
		{"Stormwater drainage, 100 mm uPVC", "m", 224000, 9850, soq.Measured, "Civil Works"},
		{"Topsoil and lawn seed", "m2", 640000, 850, soq.Measured, "Landscaping"},
		{"Labourer for landscaping", "day", 12000, 36000, soq.Daywork, "Landscaping"},
	}},
	{"K", "Provisional and prime cost sums", false, []line{
		{"Provisional sum: rock excavation if encountered", "sum", 1000, 2500000, soq.ProvisionalSum, "Civil Works"},
		{"Provisional sum: council connection fees", "sum", 1000, 1800000, soq.ProvisionalSum, ""},
		{"Prime cost sum: kitchen joinery, 8 units", "sum", 1000, 9600000, soq.PrimeCostSum, "Carpentry & Joinery"},
		{"Prime cost sum: sanitaryware", "sum", 1000, 3200000, soq.PrimeCostSum, "Plumbing"},
		{"Prime cost sum: floor coverings selection", "sum", 1000, 2400000, soq.PrimeCostSum, "Flooring & Tiling"},
	}},
}

// demoSOQ builds the Harbour View SOQ: blocks 1–4 repeat the per-block sections, and each
// per-block line is split by townhouse pair (a, b, c) for realism.
func demoSOQ(cats map[string]int64) store.NewSOQ {
	out := store.NewSOQ{Title: "Main contract SOQ", Currency: "nzd", Status: soq.Draft}
	for _, s := range demoSections {
		sec := store.NewSection{Code: s.code, Title: s.title}
		n := 0
		add := func(l line, suffix string) {
			n++
			it := store.NewItem{Item: soq.Item{Reference: fmt.Sprintf("%s%d", s.code, n), Description: l.desc + suffix, Unit: l.unit,
				Quantity: l.qty, Rate: l.rate, Type: l.typ}, CategoryID: cats[l.cat]}
			sec.Items = append(sec.Items, it)
		}
		for _, l := range s.lines {
			if !s.perBlock {
				add(l, "")
				continue
			}
			for b := 1; b <= 4; b++ {
				for _, pair := range []string{"a", "b", "c"} {
					add(l, fmt.Sprintf(" — block %d%s", b, pair))
				}
			}
		}
		out.Sections = append(out.Sections, sec)
	}
	return out
}
