package handlers

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/pdfdoc"
	"github.com/14build/14build/store"
)

// tenderPDFRoutes serves the printable tender document: the team and the bidders the
// tender is open to (onTender with ViewProject lets those bidders through).
func (h *Handlers) tenderPDFRoutes() []Route {
	return []Route{
		{"GET", paths.NameTenderPDF, onTender("", authz.ViewProject), h.tenderPDF},
		{"GET", paths.NameAPITenderPDF, onTender("", authz.ViewProject), h.tenderPDF},
	}
}

// tenderReference is how the document names a tender: the project's code and the first
// 8 hex digits of the tender's id, e.g. "HVT-01/3F2A9C01".
func tenderReference(projectCode, tenderID string) string {
	short := strings.ReplaceAll(tenderID, "-", "")
	if len(short) > 8 {
		short = short[:8]
	}
	return strings.ToUpper(projectCode + "/" + short)
}

// tenderPDFETag names one rendering of the document. The frozen copy never changes once
// the tender opens except through an addendum (which may also move the closing time), so
// the tender's version and update time plus the addenda's count and the last one's time
// identify the content without loading it. The cover's project details are hashed as they
// are, since a project (or its owner's company) may be renamed at any time.
func tenderPDFETag(t store.Tender, p store.Project, addenda []store.Addendum) string {
	hsh := sha256.New()
	fmt.Fprintf(hsh, "tender-pdf/1\x00%s\x00%d\x00%d\x00%d", t.ID, t.Version, t.UpdatedAt.UnixNano(), len(addenda))
	for _, s := range []string{p.Name, p.Code, p.Address, p.TimeZone, p.Currency, p.OwnerEntity} {
		fmt.Fprintf(hsh, "\x00%d:%s", len(s), s)
	}
	if n := len(addenda); n > 0 {
		fmt.Fprintf(hsh, "\x00%d", addenda[n-1].CreatedAt.UnixNano())
	}
	return `"` + hex.EncodeToString(hsh.Sum(nil)[:16]) + `"`
}

func (h *Handlers) tenderPDF(c echo.Context) error {
	ctx := c.Request().Context()
	t := currentTender(c)
	if t == nil {
		return errNotFound()
	}
	if !t.OpenedAt.Valid {
		return &appError{Status: http.StatusConflict, Message: "The tender document exists once the tender opens."}
	}
	p, err := h.tenderPDFProject(c, *t)
	if err != nil {
		return err
	}
	addenda, err := h.st.Addenda(ctx, t.ID, "")
	if err != nil {
		return err
	}
	etag := tenderPDFETag(*t, p, addenda)
	res := c.Response()
	res.Header().Set("ETag", etag)
	res.Header().Set("Cache-Control", "private, max-age=0, must-revalidate")
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	doc, ok := tenderPDFs.get(etag)
	if !ok {
		if doc, err = h.renderTenderPDF(c, *t, p, addenda); err != nil {
			return err
		}
		tenderPDFs.put(etag, doc)
	}
	res.Header().Set("Content-Disposition", `inline; filename="`+pdfFilename(doc.reference)+`.pdf"`)
	return c.Blob(http.StatusOK, "application/pdf", doc.body)
}

// etagMatches reads If-None-Match: "*" or a list of (possibly weak) tags.
func etagMatches(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || v == etag {
			return true
		}
	}
	return false
}

// pdfFilename keeps a reference safe inside a quoted header value and a file name.
func pdfFilename(ref string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, ref)
}

// tenderPDFProject is the tender's project: the team's is in the context; a bidder has
// none there, and the document shows only what a bidder may see of it anyway (name, code,
// address, owner's company).
func (h *Handlers) tenderPDFProject(c echo.Context, t store.Tender) (store.Project, error) {
	if cp := currentProject(c); cp != nil && cp.ID == t.ProjectID {
		return *cp, nil
	}
	p, _, err := h.st.ProjectFor(c.Request().Context(), t.ProjectID, currentUser(c).ID)
	return p, err
}

func (h *Handlers) renderTenderPDF(c echo.Context, t store.Tender, p store.Project, addenda []store.Addendum) (cachedPDF, error) {
	doc, _, err := h.tenderDocument(c, t, p, addenda)
	if err != nil {
		return cachedPDF{}, err
	}
	var buf bytes.Buffer
	if err := pdfdoc.WriteTender(&buf, doc); err != nil {
		return cachedPDF{}, err
	}
	return cachedPDF{reference: doc.Reference, body: buf.Bytes()}, nil
}

// tenderDocument is the tender's printable content, with the frozen copy's sections it
// was made from (in the same order, item for item: a priced bid and the print view read
// them alongside).
func (h *Handlers) tenderDocument(c echo.Context, t store.Tender, p store.Project, addenda []store.Addendum) (pdfdoc.Tender, []store.TenderSection, error) {
	secs, err := h.st.TenderCopy(c.Request().Context(), t.ID)
	if err != nil {
		return pdfdoc.Tender{}, nil, err
	}
	doc := pdfdoc.Tender{
		Reference: tenderReference(p.Code, t.ID), ProjectName: p.Name, ProjectCode: p.Code,
		ProjectAddress: p.Address, OwnerCompany: p.OwnerEntity, Title: t.Title, Instructions: t.Instructions,
		IssuedAt: t.OpenedAt.Time, ClosesAt: t.ClosesAt, TimeZone: p.TimeZone, Currency: p.Currency,
		Addenda: make([]pdfdoc.Addendum, len(addenda)), Sections: make([]pdfdoc.Section, len(secs)),
	}
	for i, a := range addenda {
		doc.Addenda[i] = pdfdoc.Addendum{Number: a.Number, Text: a.Text, IssuedAt: a.CreatedAt}
	}
	for i, s := range secs {
		ps := pdfdoc.Section{Code: s.Code, Title: s.Title, Items: make([]pdfdoc.Item, len(s.Items))}
		for k, it := range s.Items {
			pi := pdfdoc.Item{Reference: it.Reference, Description: it.Description, Unit: it.Unit,
				Quantity: it.Quantity, Type: it.Type}
			if it.Type.Fixed() { // the frozen copy holds amounts for fixed allowances only
				pi.Allowance = it.Amount.Int64
			}
			ps.Items[k] = pi
		}
		doc.Sections[i] = ps
	}
	return doc, secs, nil
}

// cachedPDF is one rendered document.
type cachedPDF struct {
	reference string
	body      []byte
}

// tenderPDFs keeps the last few rendered tender documents by ETag: a document is the same
// for everyone who may see it, and a tender is downloaded by many bidders, often twice.
var tenderPDFs = newPDFCache(16)

// pdfCache is a small LRU of rendered PDFs, safe for concurrent use.
type pdfCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front is the most recent; values are *pdfEntry
	byKey map[string]*list.Element
}

type pdfEntry struct {
	key string
	doc cachedPDF
}

func newPDFCache(max int) *pdfCache {
	return &pdfCache{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *pdfCache) get(key string) (cachedPDF, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return cachedPDF{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*pdfEntry).doc, true
}

func (c *pdfCache) put(key string, doc cachedPDF) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		e.Value.(*pdfEntry).doc = doc
		c.order.MoveToFront(e)
		return
	}
	c.byKey[key] = c.order.PushFront(&pdfEntry{key: key, doc: doc})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*pdfEntry).key)
	}
}
