package handlers

import (
	"bytes"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/pdfdoc"
	"github.com/14build/14build/tender"
)

// levelingPDFRoutes serves the leveling sheet as a PDF, under the leveling API's rules
// (levelingReady): the team, once the tender has closed (409 before); a bidder or anyone
// off the project gets 404.
func (h *Handlers) levelingPDFRoutes() []Route {
	return []Route{
		{"GET", paths.NameTenderLevelingPDF, onTender("", authz.ViewProject), h.levelingPDF},
		{"GET", paths.NameAPITenderLevelingPDF, onTender("", authz.ViewProject), h.levelingPDF},
	}
}

// levelingPDF prints the same computed leveling the page, the API and the workbook show.
// It is rendered on each request and never cached: it shows prices, and an award changes
// the bids' statuses.
func (h *Handlers) levelingPDF(c echo.Context) error {
	v, err := h.levelingReady(c)
	if err != nil {
		return err
	}
	p, err := h.tenderPDFProject(c, *v.T)
	if err != nil {
		return err
	}
	doc := v.pdf(tenderReference(p.Code, v.T.ID), p.Name, p.Code, p.TimeZone)
	var buf bytes.Buffer
	if err := pdfdoc.WriteLeveling(&buf, doc); err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("Content-Disposition", `inline; filename="leveling-`+pdfFilename(doc.Reference)+`.pdf"`)
	hd.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/pdf", buf.Bytes())
}

// pdf is the leveling as the sheet prints it: bids lowest total first, lines in the copy's
// order, every figure taken from the view (tender.Level and the per-bid figures).
func (v levelingView) pdf(reference, projectName, projectCode, zone string) pdfdoc.Leveling {
	t := v.T
	closed := t.ClosesAt
	if t.ClosedAt.Valid {
		closed = t.ClosedAt.Time
	}
	doc := pdfdoc.Leveling{Reference: reference, ProjectName: projectName, ProjectCode: projectCode, Title: t.Title,
		ClosedAt: closed, TimeZone: zone, Currency: v.Data.Currency.Code, GrossFloorArea: int64(v.GFA), Units: v.Units,
		Bids: make([]pdfdoc.LevelBid, len(v.Data.Bids))}
	findings := func(fs []tender.Finding) []pdfdoc.LevelFinding {
		if len(fs) == 0 {
			return nil
		}
		out := make([]pdfdoc.LevelFinding, len(fs))
		for i, f := range fs {
			out[i] = pdfdoc.LevelFinding{Label: f.Flag.Label(), Reason: f.Reason}
		}
		return out
	}
	for b, bid := range v.Data.Bids {
		lb, f := v.Level.Bids[b], v.Figures[b]
		pb := pdfdoc.LevelBid{Company: bid.EntityName, Bidder: bid.BidderName, Revision: bid.Revision,
			Total: lb.Totals.Total, Lowest: f.Lowest, OverLowest: f.OverLowest,
			PerArea: f.PerArea, HasPerArea: f.HasPerArea, PerUnit: f.PerUnit, HasPerUnit: f.HasPerUnit,
			Findings: findings(lb.Findings), FlaggedLines: lb.Flagged}
		switch bid.Status {
		case tender.BidAwarded:
			pb.Status = "Awarded"
		case tender.BidUnsuccessful:
			pb.Status = "Unsuccessful"
		}
		doc.Bids[b] = pb
	}
	i := 0 // Level.Lines follow the copy's sections item for item (store.LevelingOf)
	for _, s := range v.Data.Sections {
		key := s.Code
		if key == "" {
			key = s.Title
		}
		ps := pdfdoc.LevelSection{Code: s.Code, Title: s.Title, Totals: make([]int64, len(v.Level.Bids)),
			Lines: make([]pdfdoc.LevelLine, 0, len(s.Items))}
		for b, lb := range v.Level.Bids {
			ps.Totals[b] = lb.Totals.Sections[key]
		}
		for _, it := range s.Items {
			if i >= len(v.Level.Lines) {
				break
			}
			ll := v.Level.Lines[i]
			i++
			pl := pdfdoc.LevelLine{Reference: it.Reference, Description: it.Description, Unit: it.Unit,
				Quantity: ll.Line.Quantity, Fixed: tender.Locked(ll.Line.Type), Allowance: ll.Line.Allowance,
				Cells: make([]pdfdoc.LevelCell, len(ll.Offers))}
			for _, lo := range ll.Lowest {
				pl.Cells[lo].Lowest = true
			}
			for b, o := range ll.Offers {
				c := &pl.Cells[b]
				c.Rate, c.HasRate, c.Amount, c.Findings = o.Rate, o.HasRate, ll.Amounts[b], findings(ll.Findings[b])
			}
			ps.Lines = append(ps.Lines, pl)
		}
		doc.Sections = append(doc.Sections, ps)
	}
	return doc
}
