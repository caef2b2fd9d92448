package drafting

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/14build/14build/field"
	"github.com/14build/14build/soq"
)

// Item is an SOQ item as the package planner sees it.
type Item struct {
	ID           string
	Reference    string
	Description  string
	SectionCode  string
	SectionTitle string
	Trade        string // the item's trade category, "" if none
	Type         soq.ItemType
	Unit         string
	Quantity     soq.Quantity
	Amount       int64 // minor units (soq.Amount, as stored)
}

// Package is a proposed (or saved) work package: one trade's items in one phase of the
// work. Sequence is its place in the build order (1…n, each once); DependsOn holds the
// sequences of the packages that must finish first; Value is the sum of its items'
// amounts, always computed here, never taken from a service.
type Package struct {
	Trade        string
	Title        string
	Phase        string // a Phases key
	Sequence     int
	DurationDays int
	DependsOn    []int
	ItemIDs      []string
	Value        int64
}

// Phase is a stage of the fixed construction order.
type Phase struct {
	Key, Label string
	keywords   []string // matched in the section's code and title, lower case
	trades     []string // trade categories that belong here when the section says nothing
}

// Phases is the construction order the planner sequences by: each phase's packages
// depend on the previous (non-empty) phase's.
var Phases = []Phase{
	{"preliminaries", "Preliminaries", []string{"prelim"}, nil},
	{"demolition", "Demolition and site preparation", []string{"demoli", "facilitating", "site clearance", "site preparation", "enabling"}, nil},
	{"substructure", "Substructure", []string{"substructure", "foundation", "earthwork", "excavat", "groundwork", "piling"}, []string{"civil works", "concrete"}},
	{"frame", "Frame and structure", []string{"frame", "superstructure", "structural", "upper floor"}, []string{"structural steel"}},
	{"roofing", "Roofing", []string{"roof"}, []string{"roofing"}},
	{"envelope", "Envelope, windows and doors", []string{"external wall", "envelope", "window", "cladding", "facade", "façade"}, []string{"glazing", "masonry"}},
	{"services", "Services", []string{"service", "plumbing", "electrical", "mechanical", "hvac"}, []string{"plumbing", "electrical", "hvac"}},
	{"finishes", "Internal finishes", []string{"internal", "finish", "fit-out", "fitout", "decorat"}, []string{"carpentry & joinery", "plastering & drylining", "painting & decorating", "flooring & tiling"}},
	{"external", "External works", []string{"external works", "landscap", "paving", "site works"}, []string{"landscaping"}},
	{"other", "Other", nil, nil},
}

// PhaseLabel is a phase key's label ("" for an unknown key).
func PhaseLabel(key string) string {
	for _, p := range Phases {
		if p.Key == key {
			return p.Label
		}
	}
	return ""
}

func phaseIndex(key string) int {
	for i, p := range Phases {
		if p.Key == key {
			return i
		}
	}
	return len(Phases) - 1
}

// PhaseOf places an item in the construction order: preliminaries by type; otherwise the
// first phase whose keywords its section's title names; otherwise its trade's phase;
// otherwise "other".
func PhaseOf(it Item) string {
	if it.Type == soq.Preliminaries {
		return "preliminaries"
	}
	sec := strings.ToLower(it.SectionTitle)
	for _, p := range Phases {
		for _, k := range p.keywords {
			if strings.Contains(sec, k) {
				return p.Key
			}
		}
	}
	trade := strings.ToLower(strings.TrimSpace(it.Trade))
	for _, p := range Phases {
		if slices.Contains(p.trades, trade) {
			return p.Key
		}
	}
	return "other"
}

// GeneralTrade is the trade of items that name none.
const GeneralTrade = "General Building"

// CrewDayValue is the duration heuristic: one crew-day of work is this much of the SOQ's
// value (minor units: 5,000.00 a day), so a package lasts ceil(value / CrewDayValue) days,
// at least 1 and at most MaxDurationDays. Value stands in for quantities because the
// quantities of different units (m², t, nr) do not add up; value is quantity × rate.
const (
	CrewDayValue    = 500_000
	MaxDurationDays = 365
)

// DurationFor is the heuristic's duration for a package worth value.
func DurationFor(value int64) int {
	d := (value + CrewDayValue - 1) / CrewDayValue
	return int(min(max(d, 1), MaxDurationDays))
}

// PlanPackages is the built-in planner: items grouped by (phase, trade), in the fixed
// construction order then by trade name, numbered 1…n; each package depends on the
// previous phase's packages; durations by DurationFor; values the sums of their items.
// Every item is in exactly one package, so the values add up to the SOQ's total.
func PlanPackages(items []Item) ([]Package, error) {
	type key struct{ phase, trade string }
	groups := map[key][]Item{}
	var keys []key
	for _, it := range items {
		trade := strings.TrimSpace(it.Trade)
		if trade == "" {
			trade = GeneralTrade
		}
		k := key{PhaseOf(it), trade}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], it)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if d := phaseIndex(a.phase) - phaseIndex(b.phase); d != 0 {
			return d
		}
		return strings.Compare(a.trade, b.trade)
	})
	out := make([]Package, len(keys))
	var prev, cur []int // sequences of the previous phase's packages and this one's
	for i, k := range keys {
		if i > 0 && keys[i-1].phase != k.phase {
			prev, cur = cur, nil
		}
		p := Package{Trade: k.trade, Title: PhaseLabel(k.phase) + ": " + k.trade, Phase: k.phase, Sequence: i + 1,
			DependsOn: slices.Clone(prev)}
		for _, it := range groups[k] {
			p.ItemIDs = append(p.ItemIDs, it.ID)
		}
		out[i] = p
		cur = append(cur, i+1)
	}
	if err := FillValues(out, items); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].DurationDays = DurationFor(out[i].Value)
	}
	return out, nil
}

// FillValues sets each package's value to the sum of its items' amounts.
func FillValues(ps []Package, items []Item) error {
	amount := make(map[string]int64, len(items))
	for _, it := range items {
		amount[it.ID] = it.Amount
	}
	for i := range ps {
		var v int64
		for _, id := range ps[i].ItemIDs {
			var err error
			if v, err = soq.Sum(v, amount[id]); err != nil {
				return err
			}
		}
		ps[i].Value = v
	}
	return nil
}

// MaxPackages bounds a proposal.
const MaxPackages = 500

// CheckPackages applies the rules of hand entry to packages for these items (the SOQ's
// current items): at least one package; trade and title given; sequences 1…n each once;
// dependencies on earlier sequences only (so no cycle); durations of 1…MaxDurationDays
// days; every item of the SOQ in exactly one package, and no other. Values are then filled
// from the items. Errors are keyed "packages[i].field".
func CheckPackages(ps []Package, items []Item) field.Errors {
	errs := field.Errors{}
	switch {
	case len(ps) == 0:
		errs.Add("packages", "give at least one package")
		return errs
	case len(ps) > MaxPackages:
		errs.Add("packages", fmt.Sprintf("at most %d packages", MaxPackages))
		return errs
	}
	known := make(map[string]bool, len(items))
	for _, it := range items {
		known[it.ID] = true
	}
	seqs := map[int]bool{}
	for _, p := range ps {
		seqs[p.Sequence] = true
	}
	inPackage := map[string]int{}
	for i, p := range ps {
		pre := fmt.Sprintf("packages[%d].", i)
		name := fmt.Sprintf("Package %d", i+1)
		add := func(f, m string) { errs.Add(pre+f, name+": "+m) }
		text := func(f, label, v string, max int) {
			switch n := utf8.RuneCountInString(strings.TrimSpace(v)); {
			case n == 0:
				add(f, label+" is required")
			case n > max:
				add(f, fmt.Sprintf("%s must be at most %d characters", label, max))
			case strings.ContainsRune(v, 0) || !utf8.ValidString(v):
				add(f, label+" must be text")
			}
		}
		text("trade", "trade", p.Trade, 100)
		text("title", "title", p.Title, 200)
		if p.Sequence < 1 || p.Sequence > len(ps) {
			add("sequence", fmt.Sprintf("sequence must be from 1 to %d", len(ps)))
		}
		for j, q := range ps[:i] {
			if q.Sequence == p.Sequence {
				add("sequence", fmt.Sprintf("sequence %d is also package %d's", p.Sequence, j+1))
			}
		}
		if p.DurationDays < 1 || p.DurationDays > MaxDurationDays {
			add("durationDays", fmt.Sprintf("duration must be from 1 to %d days", MaxDurationDays))
		}
		for j, d := range p.DependsOn {
			switch {
			case !seqs[d]:
				add("dependsOn", fmt.Sprintf("depends on sequence %d, which no package has", d))
			case d >= p.Sequence:
				add("dependsOn", "can depend only on packages earlier in the sequence")
			case slices.Contains(p.DependsOn[:j], d):
				add("dependsOn", fmt.Sprintf("names sequence %d twice", d))
			}
		}
		if len(p.ItemIDs) == 0 {
			add("itemIds", "has no items")
		}
		for _, id := range p.ItemIDs {
			switch j, dup := inPackage[id]; {
			case !known[id]:
				add("itemIds", "names an item that is not in this SOQ")
			case dup && j == i:
				add("itemIds", "names an item twice")
			case dup:
				add("itemIds", fmt.Sprintf("has an item that is also in package %d", j+1))
			default:
				inPackage[id] = i
			}
		}
	}
	missing := 0
	for _, it := range items {
		if _, ok := inPackage[it.ID]; !ok {
			missing++
		}
	}
	if missing > 0 {
		errs.Add("packages", fmt.Sprintf("%d SOQ items are in no package: every item must be in exactly one", missing))
	}
	if errs.Any() {
		return errs
	}
	if err := FillValues(ps, items); err != nil {
		errs.Add("packages", "the packages' values are too large")
	}
	return errs
}

// Span is a package's place on the timeline, in days from the start.
type Span struct{ Start, End int }

// Timeline schedules packages as early as their dependencies allow (each starts when the
// last it depends on ends), returning each package's span and the whole length in days.
func Timeline(ps []Package) ([]Span, int) {
	end := map[int]int{}
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return ps[a].Sequence - ps[b].Sequence })
	spans := make([]Span, len(ps))
	total := 0
	for _, i := range order {
		start := 0
		for _, d := range ps[i].DependsOn {
			start = max(start, end[d])
		}
		spans[i] = Span{start, start + max(ps[i].DurationDays, 1)}
		end[ps[i].Sequence] = spans[i].End
		total = max(total, spans[i].End)
	}
	return spans, total
}
