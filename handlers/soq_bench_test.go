package handlers

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
)

// soqWriteLimit is the most statements a cell save, a paste or an add-row may cost, for
// the whole request: session, account and project lookups included.
const soqWriteLimit = 6

// BenchmarkSOQPageRender renders the SOQ sheet of a large SOQ: the page (section headers
// with totals; rows load per section), one section's first page of rows, and the writes:
// a cell save (the row and the totals), a paste of 50 cells, an add-row. queries/op must
// not grow with the number of items; the writes print their limit beside it
// (limit-queries/op), counted the same way: every statement of the whole request.
func BenchmarkSOQPageRender(b *testing.B) {
	for _, size := range []struct{ sections, items int }{{5, 20}, {25, 200}} {
		b.Run(fmt.Sprintf("items=%d", size.sections*size.items), func(b *testing.B) {
			a := newTestApp(b)
			o := a.user(authz.RoleOwner, "o@example.com")
			p := a.project(o, "R")
			id := bigSOQ(b, a.st, p.ID, o.ID, size.sections, size.items)
			q, err := a.st.SOQHeader(context.Background(), id)
			if err != nil {
				b.Fatal(err)
			}
			if err := a.st.LoadSOQ(context.Background(), &q, store.ItemFilter{}); err != nil {
				b.Fatal(err)
			}
			sec, item := q.Sections[0].ID, q.Sections[0].Items[0].ID
			c := a.login(o.Email)
			base := "/projects/" + p.ID + "/soq/" + id
			measure := func(b *testing.B, limit int, do func() response) {
				before := a.st.QueryCount()
				var bytes int
				for b.Loop() {
					res := do()
					if res.Code >= 400 {
						b.Fatalf("%d %s", res.Code, res.Body[:min(len(res.Body), 300)])
					}
					bytes = len(res.Body)
				}
				b.ReportMetric(float64(a.st.QueryCount()-before)/float64(b.N), "queries/op")
				if limit > 0 {
					b.ReportMetric(float64(limit), "limit-queries/op")
				}
				b.ReportMetric(float64(bytes), "bytes/page")
			}
			b.Run("page", func(b *testing.B) {
				measure(b, 0, func() response { return c.get(base) })
			})
			b.Run("section-rows", func(b *testing.B) {
				measure(b, 0, func() response { return c.get(base+"/sections/"+sec+"/rows?offset=0", "HX-Request", "true") })
			})
			b.Run("cell-save", func(b *testing.B) {
				n := 0
				measure(b, soqWriteLimit, func() response {
					n++
					return c.form(base+"/items/"+item+"/cells/quantity", url.Values{"value": {fmt.Sprint(n%100 + 1)}}, "HX-Request", "true")
				})
			})
			b.Run("paste-50-cells", func(b *testing.B) {
				var changes []any
				for _, it := range q.Sections[0].Items[:min(50, len(q.Sections[0].Items))] {
					changes = append(changes, map[string]any{"itemId": it.ID, "field": "quantity"})
				}
				for len(changes) < 50 {
					changes = append(changes, changes[len(changes)%20])
				}
				n := 0
				measure(b, soqWriteLimit, func() response {
					n++
					for _, ch := range changes {
						ch.(map[string]any)["value"] = fmt.Sprint(n%100 + 1)
					}
					return c.do("PATCH", "/api/soq/"+id+"/items", map[string]any{"changes": changes})
				})
			})
			b.Run("add-row", func(b *testing.B) {
				n := 0
				measure(b, soqWriteLimit, func() response {
					n++
					return c.form(base+"/sections/"+sec+"/items", url.Values{"reference": {fmt.Sprintf("N%d", n)}, "description": {"Added"},
						"unit": {"nr"}, "quantity": {"2"}, "rate": {"3.00"}})
				})
			})
		})
	}
}
