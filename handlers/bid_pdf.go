package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/pdfdoc"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// bidPDFRoutes serves a priced bid as the tender document with its rates: to its bidder
// at any time (a draft is marked so), to the team only once the seal shows prices and only
// a bid that counts (not a draft, not withdrawn). Everyone else gets a 404.
func (h *Handlers) bidPDFRoutes() []Route {
	return []Route{
		{"GET", paths.NameBidPDF, onTender("", authz.ViewProject), h.bidPDF},
		{"GET", paths.NameAPITenderBidPDF, onTender("", authz.ViewProject), h.bidPDF},
	}
}

// bidPDFs keeps the last few rendered bids by ETag (a bidder prints its draft, then again).
var bidPDFs = newPDFCache(16)

// bidPDFID is the bid's id from either route: :bidId, or :bidPdf written "{bidId}.pdf".
func bidPDFID(c echo.Context) (string, bool) {
	id := c.Param("bidId")
	if id == "" {
		var ok bool
		if id, ok = strings.CutSuffix(c.Param("bidPdf"), ".pdf"); !ok {
			return "", false
		}
	}
	return id, validUUID(id)
}

// pricedBid is a bid its viewer may see whole, with its company's name.
type pricedBid struct {
	bid     store.Bid
	company string
	bidder  string
}

// visibleBid finds the bid id as the viewer may see it, or a 404: the bidder its own only;
// the team a bid that counts, once the seal shows prices (never a price before).
func (h *Handlers) visibleBid(c echo.Context, t *store.Tender, id string) (pricedBid, error) {
	ctx := c.Request().Context()
	if !teamSide(c) {
		u := currentUser(c)
		b, err := h.st.BidOf(ctx, t.ID, u.ID)
		if errors.Is(err, store.ErrNotFound) || err == nil && b.ID != id {
			return pricedBid{}, errNotFound()
		}
		if err != nil {
			return pricedBid{}, err
		}
		return pricedBid{bid: b, company: u.EntityName, bidder: u.Name}, nil
	}
	if !sealOf(t).Shows(tender.Team, time.Now()) {
		return pricedBid{}, errNotFound()
	}
	list, err := h.st.BidsOfTender(ctx, t.ID)
	if err != nil {
		return pricedBid{}, err
	}
	for _, s := range list {
		if s.ID != id || s.Status == tender.BidDraft || s.Status == tender.BidWithdrawn {
			continue
		}
		b, err := h.st.Bid(ctx, id)
		if err != nil {
			return pricedBid{}, err
		}
		return pricedBid{bid: b, company: s.EntityName, bidder: s.BidderName}, nil
	}
	return pricedBid{}, errNotFound()
}

// bidPDFETag names one rendering: the tender document's tag, the bid's state and the
// names printed. A draft's rates change its updated time; a submission its revision.
func bidPDFETag(tenderTag string, pb pricedBid) string {
	b := pb.bid
	hsh := sha256.New()
	fmt.Fprintf(hsh, "bid-pdf/1\x00%s\x00%s\x00%s\x00%d\x00%d\x00%d", tenderTag, b.ID, b.Status, b.Revision,
		b.UpdatedAt.UnixNano(), b.SubmittedAt.Time.UnixNano())
	for _, s := range []string{pb.company, pb.bidder} {
		fmt.Fprintf(hsh, "\x00%d:%s", len(s), s)
	}
	return `"` + hex.EncodeToString(hsh.Sum(nil)[:16]) + `"`
}

func (h *Handlers) bidPDF(c echo.Context) error {
	ctx := c.Request().Context()
	t := currentTender(c)
	id, ok := bidPDFID(c)
	if t == nil || !ok || !t.OpenedAt.Valid {
		return errNotFound()
	}
	pb, err := h.visibleBid(c, t, id)
	if err != nil {
		return err
	}
	p, err := h.tenderPDFProject(c, *t)
	if err != nil {
		return err
	}
	addenda, err := h.st.Addenda(ctx, t.ID, "")
	if err != nil {
		return err
	}
	etag := bidPDFETag(tenderPDFETag(*t, p, addenda), pb)
	res := c.Response()
	res.Header().Set("ETag", etag)
	res.Header().Set("Cache-Control", "private, max-age=0, must-revalidate")
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	doc, ok := bidPDFs.get(etag)
	if !ok {
		if doc, err = h.renderBidPDF(c, *t, p, addenda, pb); err != nil {
			return err
		}
		bidPDFs.put(etag, doc)
	}
	name := pdfFilename(doc.reference + "-" + pb.company)
	res.Header().Set("Content-Disposition", `inline; filename="`+name+`.pdf"`)
	return c.Blob(http.StatusOK, "application/pdf", doc.body)
}

// renderBidPDF prices the tender document with the bid's rates: each line's amount and
// the totals through tender.BidTotal, the one computation of a bid's total (the API's).
func (h *Handlers) renderBidPDF(c echo.Context, t store.Tender, p store.Project, addenda []store.Addendum, pb pricedBid) (cachedPDF, error) {
	doc, secs, err := h.tenderDocument(c, t, p, addenda)
	if err != nil {
		return cachedPDF{}, err
	}
	rates := make(map[string]int64, len(pb.bid.Rates))
	for _, r := range pb.bid.Rates {
		rates[r.ItemID] = r.Rate
	}
	var lines []tender.Line
	for i, s := range secs {
		for k, it := range s.Items {
			rate, has := rates[it.ID]
			l := tender.Line{ItemID: it.ID, Reference: it.Reference, Section: s.ID, Type: it.Type, Quantity: it.Quantity,
				Allowance: it.Rate.Int64, Rate: rate, HasRate: has}
			lines = append(lines, l)
			pi := &doc.Sections[i].Items[k]
			if !tender.Locked(it.Type) && has {
				pi.Rate, pi.HasRate = l.Effective(), true
				pi.Amount = soq.AmountOrMax(it.Quantity, l.Effective())
			}
		}
	}
	totals, err := tender.BidTotal(lines)
	var over *soq.TotalError
	if err != nil && !errors.As(err, &over) {
		return cachedPDF{}, err
	}
	for i, s := range secs {
		doc.Sections[i].Total = totals.Sections[s.ID]
	}
	b := pdfdoc.Bid{Company: pb.company, Bidder: pb.bidder, Status: string(pb.bid.Status), Revision: pb.bid.Revision,
		Total: totals.Total}
	if pb.bid.SubmittedAt.Valid {
		b.SubmittedAt = pb.bid.SubmittedAt.Time
	}
	var buf bytes.Buffer
	if err := pdfdoc.WriteBid(&buf, doc, b); err != nil {
		return cachedPDF{}, err
	}
	return cachedPDF{reference: doc.Reference, body: buf.Bytes()}, nil
}

// ResetPDFCaches forgets every rendered tender and bid PDF kept in memory, so the next
// request renders afresh (the PDF benchmark times cold renders).
func ResetPDFCaches() {
	for _, c := range []*pdfCache{tenderPDFs, bidPDFs} {
		c.mu.Lock()
		c.order.Init()
		clear(c.byKey)
		c.mu.Unlock()
	}
}
