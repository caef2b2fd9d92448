package views

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/14build/14build/drafting"
	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/store"
	"github.com/14build/14build/units"
)

// UnitsDraftView is the "Draft units" page: the brief and, once proposed, the review list.
type UnitsDraftView struct {
	Project   store.Project
	Brief     drafting.UnitBriefInput
	BriefErrs field.Errors
	// Service is the drafting service's model, "" when none is configured (the free-text
	// brief is then not offered).
	Service string
	// Rows are the proposal under review (nil: nothing proposed yet), as typed; Errs are
	// their messages keyed "units[i]....".
	Rows   []units.Input
	Errs   field.Errors
	Source string // who proposed: "the built-in planner" or "the drafting service (model)"
}

// WorkPackagesView is the work packages page: the saved packages and, once proposed, the
// proposal under review.
type WorkPackagesView struct {
	Project store.Project
	SOQs    []store.SOQ
	Saved   []store.WorkPackage
	CanEdit bool
	Service string // the drafting service's model, "" when none
	Draft   *PackagesDraft
	SOQErr  string // why a proposal could not be made ("Choose an SOQ.")
}

// PackagesDraft is a proposal of packages for one SOQ under review.
type PackagesDraft struct {
	SOQ      store.SOQ
	Packages []drafting.Package
	Errs     field.Errors
	Source   string
	Total    int64 // the SOQ's total: the packages' values add up to it
}

// soqTitle is the title of the SOQ id among qs.
func soqTitle(qs []store.SOQ, id string) string {
	for _, q := range qs {
		if q.ID == id {
			return q.Title
		}
	}
	return "SOQ"
}

func soqCurrency(qs []store.SOQ, id string) string {
	for _, q := range qs {
		if q.ID == id {
			return q.Currency
		}
	}
	return ""
}

// savedGroups are the saved packages by SOQ, in the order given.
func savedGroups(ps []store.WorkPackage) [][]store.WorkPackage {
	var out [][]store.WorkPackage
	for _, p := range ps {
		if n := len(out); n > 0 && out[n-1][0].SOQID == p.SOQID {
			out[n-1] = append(out[n-1], p)
			continue
		}
		out = append(out, []store.WorkPackage{p})
	}
	return out
}

// asPackages are saved packages in the planner's shape (for the timeline).
func asPackages(ps []store.WorkPackage) []drafting.Package {
	out := make([]drafting.Package, len(ps))
	for i, p := range ps {
		out[i] = drafting.Package{Trade: p.Trade, Title: p.Title, Sequence: p.Sequence, DurationDays: p.DurationDays, Value: p.Value}
		for _, d := range p.DependsOn {
			out[i].DependsOn = append(out[i].DependsOn, int(d))
		}
	}
	return out
}

func seqList(ds []int) string {
	if len(ds) == 0 {
		return "—"
	}
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ", ")
}

func seqList64(ds []int64) string {
	s := make([]int, len(ds))
	for i, d := range ds {
		s[i] = int(d)
	}
	return seqList(s)
}

func joinComma(ds []int) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ",")
}

func days(n int) string { return Counted(n, "day", "days") }

func pkgField(i int, name string) string { return fmt.Sprintf("packages[%d].%s", i, name) }

func unitField(i int, name string) string { return fmt.Sprintf("units[%d].%s", i, name) }

func unitFloorField(i, j int) string { return fmt.Sprintf("units[%d].floors[%d].floorArea", i, j) }

// rowErrors are the messages of review row i.
func rowErrors(errs field.Errors, i int) []string {
	var out []string
	pre := fmt.Sprintf("units[%d].", i)
	for k, v := range errs {
		if strings.HasPrefix(k, pre) {
			out = append(out, v)
		}
	}
	sortStrings(out)
	return out
}

func pkgErrors(errs field.Errors) []string {
	var out []string
	for _, v := range errs {
		out = append(out, v)
	}
	sortStrings(out)
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TimelineSVG is a server-rendered Gantt chart of packages: one bar per package in
// sequence order, from when its dependencies end for its duration, with day ticks. Like
// the other charts: an image with a name and a description, every number also in text.
func TimelineSVG(title string, ps []drafting.Package) string {
	if len(ps) == 0 {
		return emptyChart(title, "No packages yet.")
	}
	spans, total := drafting.Timeline(ps)
	const labelW, plotW, rowH, top = 250, 520, 24, 28
	height := top + rowH*len(ps) + 12
	width := labelW + plotW + 60
	var w strings.Builder
	fmt.Fprintf(&w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" style="max-width:%dpx" role="img" aria-label="%s" class="chart" font-family="ui-sans-serif, system-ui, sans-serif">`,
		width, height, width, esc(title))
	fmt.Fprintf(&w, `<title>%s</title><desc>%s</desc>`, esc(title),
		esc(fmt.Sprintf("%d packages over %d working days; each bar starts when the packages it depends on end.", len(ps), total)))
	scale := float64(plotW) / float64(max(total, 1))
	step := niceDays(total)
	for d := 0; d <= total; d += step {
		x := float64(labelW) + float64(d)*scale
		fmt.Fprintf(&w, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="%s"/>`, px(x), top-6, px(x), height-12, chartGrid)
		fmt.Fprintf(&w, `<text x="%s" y="%d" font-size="11" fill="%s" text-anchor="middle">%d</text>`, px(x), top-10, chartMuted, d)
	}
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && ps[order[j]].Sequence < ps[order[j-1]].Sequence; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for row, i := range order {
		p, s := ps[i], spans[i]
		y := top + row*rowH
		label := fmt.Sprintf("%d. %s", p.Sequence, p.Title)
		fmt.Fprintf(&w, `<text x="%d" y="%d" font-size="12" fill="%s">%s</text>`, 4, y+15, chartText, esc(clip(label, 38)))
		x := float64(labelW) + float64(s.Start)*scale
		bw := max(float64(s.End-s.Start)*scale, 2)
		fmt.Fprintf(&w, `<rect x="%s" y="%d" width="%s" height="%d" rx="2" fill="%s"><title>%s: day %d to %d (%s)</title></rect>`,
			px(x), y+4, px(bw), rowH-8, SeriesColour(row), esc(label), s.Start, s.End, days(s.End-s.Start))
		fmt.Fprintf(&w, `<text x="%s" y="%d" font-size="11" fill="%s">%s</text>`, px(x+bw+4), y+15, chartMuted, days(s.End-s.Start))
	}
	w.WriteString(`</svg>`)
	return w.String()
}

// niceDays is a tick step giving at most about ten ticks.
func niceDays(total int) int {
	for _, s := range []int{1, 2, 5, 7, 14, 28, 50, 100, 200} {
		if total/s <= 10 {
			return s
		}
	}
	return 500
}

func packagesValue(ps []drafting.Package) int64 {
	var t int64
	for _, p := range ps {
		t += p.Value
	}
	return t
}

func savedValue(ps []store.WorkPackage) int64 {
	var t int64
	for _, p := range ps {
		t += p.Value
	}
	return t
}

func pkgMoney(v int64, currency string) string { return money.FormatCode(v, currency) }
