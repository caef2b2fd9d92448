package handlers

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"encoding/csv"
	"fmt"
	"hash/crc32"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/jobs"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/soqfile"
	"github.com/14build/14build/store"
)

// importFixture is an owner's project with an empty draft SOQ in US dollars.
type importFixture struct {
	a     *testApp
	owner store.User
	p     store.Project
	soqID string
	c     *client
}

func newImportFixture(t *testing.T) *importFixture {
	t.Helper()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	p := a.project(o, "IMP-01")
	id, err := a.st.CreateSOQ(context.Background(), p.ID, o.ID, store.NewSOQ{Title: "Main works", Currency: "usd"})
	if err != nil {
		t.Fatal(err)
	}
	return &importFixture{a: a, owner: o, p: p, soqID: id, c: a.login(o.Email)}
}

func (f *importFixture) base() string { return "/projects/" + f.p.ID + "/soq/" + f.soqID + "/import" }

// upload posts a file to the upload form as a browser would.
func (c *client) upload(path, filename string, content []byte) response {
	c.a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		c.a.t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", c.a.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.send(req)
}

var importIDRe = regexp.MustCompile(`/import/([0-9a-f-]{36})$`)

// uploadOK uploads and returns the new import's id (from the redirect).
func (f *importFixture) uploadOK(t *testing.T, filename string, content []byte) string {
	t.Helper()
	res := f.c.upload(f.base()+"/upload", filename, content)
	if res.Code != http.StatusSeeOther {
		t.Fatalf("upload %s: %d, want 303: %s", filename, res.Code, res.Body)
	}
	m := importIDRe.FindStringSubmatch(res.Header.Get("Location"))
	if m == nil {
		t.Fatalf("upload redirected to %q", res.Header.Get("Location"))
	}
	return m[1]
}

// mapping reads the guessed mapping from the preview form.
func (f *importFixture) mapping(t *testing.T, id, sheet string) url.Values {
	t.Helper()
	path := f.base() + "/" + id
	if sheet != "" {
		path += "?sheet=" + url.QueryEscape(sheet)
	}
	res := f.c.get(path)
	if res.Code != http.StatusOK {
		t.Fatalf("preview: %d %s", res.Code, res.Body)
	}
	v := url.Values{}
	doc := res.Doc(t)
	doc.Find(`#import-map select[name^="col-"]`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		val, _ := s.Find("option[selected]").Attr("value")
		v.Set(name, val)
	})
	if sheet != "" {
		v.Set("sheet", sheet)
	} else if s, ok := doc.Find(`#import-map [name="sheet"]`).Attr("value"); ok {
		v.Set("sheet", s)
	} else if s, ok := doc.Find(`#import-map select[name="sheet"] option[selected]`).Attr("value"); ok {
		v.Set("sheet", s)
	}
	return v
}

// run starts an import with the guessed mapping and waits for River to finish it.
func (f *importFixture) run(t *testing.T, id, sheet, mode string) store.SOQImport {
	t.Helper()
	v := f.mapping(t, id, sheet)
	v.Set("mode", mode)
	res := f.c.form(f.base()+"/"+id+"/start", v)
	if res.Code != http.StatusSeeOther {
		t.Fatalf("start: %d, want 303: %s", res.Code, res.Body)
	}
	return f.wait(t, id)
}

func (f *importFixture) wait(t *testing.T, id string) store.SOQImport {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		imp, err := f.a.st.Import(context.Background(), f.soqID, id)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Finished() {
			return imp
		}
		if time.Now().After(deadline) {
			t.Fatalf("import still %s after 30s (error %q)", imp.Status, imp.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *importFixture) items() int {
	return f.a.count(`SELECT count(*) FROM soq_items WHERE soq_id = $1`, f.soqID)
}

func (f *importFixture) refusals(t *testing.T, id string) map[int]string {
	t.Helper()
	rs, err := f.a.st.ImportRefusals(context.Background(), id, 1000)
	if err != nil {
		t.Fatal(err)
	}
	m := map[int]string{}
	for _, r := range rs {
		m[r.Row] = r.Reason
	}
	return m
}

func csvBytes(rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.WriteAll(rows)
	return b.Bytes()
}

// workbook builds an XLSX: sheets in order, each a grid of values (strings, numbers).
func workbook(t *testing.T, sheets []string, data map[string][][]any, formulas map[string]map[string]string) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, name := range sheets {
		if i == 0 {
			x.SetSheetName("Sheet1", name)
		} else if _, err := x.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range data[name] {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := x.SetSheetRow(name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
		for cell, fm := range formulas[name] {
			if err := x.SetCellFormula(name, cell, fm); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if _, err := x.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImportXLSXMultiSheet(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	data := map[string][][]any{
		"Notes": {{"This workbook holds the bill on its second sheet."}},
		"Bill": {
			{"Ref", "Description", "Unit", "Qty", "Rate (USD)", "Amount", "Section", "Type", "Trade"},
			{"A1", "Site clearance", "m2", 250.5, 12.25, "", "A Preliminaries", "", ""},
			{"", "EXCAVATION", "", "", "", "", "B Substructure", "", ""},
			{"B1", "Excavate trenches", "m3", 42.125, 38, "", "", "", ""},
			{"B2", "Concrete in foundations", "m³", 18, 245.5, "", "", "", "Concrete"},
			{"B3", "Provisional sum for rock", "", "", 5000, "", "", "Provisional sum", ""},
		},
	}
	id := f.uploadOK(t, "bill.xlsx", workbook(t, []string{"Notes", "Bill"}, data, nil))
	// The preview offers the sheets and guesses from the headers of the chosen one.
	res := f.c.get(f.base() + "/" + id + "?sheet=Bill")
	doc := res.Doc(t)
	if n := doc.Find(`select[name="sheet"] option`).Length(); n != 2 {
		t.Fatalf("%d sheets offered, want 2", n)
	}
	want := []string{"reference", "description", "unit", "quantity", "rate", "ignore", "section", "item_type", "trade"}
	for i, w := range want {
		got, _ := doc.Find(fmt.Sprintf(`select[name="col-%d"] option[selected]`, i)).Attr("value")
		if got != w {
			t.Errorf("column %d guessed %q, want %q", i, got, w)
		}
	}
	if n := doc.Find("#import-preview tbody tr").Length(); n != 5 {
		t.Errorf("preview shows %d rows, want 5", n)
	}

	imp := f.run(t, id, "Bill", store.ModeAllOrNothing)
	if imp.Status != soq.ImportDone || imp.ImportedRows != 4 || imp.RefusedRows != 0 || imp.SkippedRows != 1 {
		t.Fatalf("import: %+v", imp)
	}
	q, _ := f.a.st.SOQHeader(context.Background(), f.soqID)
	if err := f.a.st.LoadSOQ(context.Background(), &q, store.ItemFilter{}); err != nil {
		t.Fatal(err)
	}
	if len(q.Sections) != 2 || q.Sections[0].Code != "A" || q.Sections[1].Title != "Substructure" {
		t.Fatalf("sections: %+v", q.Sections)
	}
	b := q.Sections[1].Items
	if len(b) != 3 || b[0].Quantity != 42125 || b[0].Rate != 3800 || b[1].Unit != "m3" || b[1].CategoryName.String != "Concrete" ||
		b[2].Type != soq.ProvisionalSum || b[2].Quantity != 1000 || b[2].Unit != "sum" {
		t.Fatalf("section B items: %+v", b)
	}
	// 250.5 × 12.25 = 3068.625 → 3068.63; 42.125 × 38 = 1600.75; 18 × 245.5 = 4419; 5000.
	if q.Total != 306863+160075+441900+500000 {
		t.Fatalf("total %d", q.Total)
	}
	// The status page shows the report; the jobs page lists the job with its progress.
	res = f.c.get(f.base() + "/" + id)
	if !strings.Contains(res.Body, `id="import-report"`) || res.Doc(t).Find("#import-imported").Text() != "4" {
		t.Fatalf("status page: %s", res.Body)
	}
	// River marks the job completed just after the worker returns.
	for deadline := time.Now().Add(10 * time.Second); f.a.count(`SELECT count(*) FROM river_job WHERE state = 'completed'`) != 1; {
		if time.Now().After(deadline) {
			t.Fatal("the job was not marked completed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	res = f.c.get("/projects/" + f.p.ID + "/jobs")
	if res.Code != http.StatusOK || res.Doc(t).Find("#jobs-table tbody tr").Length() != 1 || !strings.Contains(res.Body, "bill.xlsx") {
		t.Fatalf("jobs page: %d %s", res.Code, res.Body)
	}
	if !strings.Contains(res.Doc(t).Find("#jobs-table").Text(), "Completed") {
		t.Errorf("job not shown completed: %s", res.Doc(t).Find("#jobs-table").Text())
	}
}

func TestImportCSVQuotedCommasAndBOM(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	content := append([]byte("\xEF\xBB\xBF"), csvBytes([][]string{
		{"Section", "Reference", "Description", "Unit", "Quantity", "Rate"},
		{"C Superstructure", "C1", `Blockwork, 190mm, "Hollow"`, "m2", "1,250.5", "1,045.50"},
		{"", "C2", "Lintels, precast", "nr", "12", "85"},
	})...)
	id := f.uploadOK(t, "bill.csv", content)
	imp := f.run(t, id, "", store.ModeAllOrNothing)
	if imp.Status != soq.ImportDone || imp.ImportedRows != 2 {
		t.Fatalf("import: %+v %v", imp, f.refusals(t, id))
	}
	var got []struct {
		Ref  string `db:"reference"`
		Desc string `db:"description"`
		Qty  string `db:"quantity"`
		Rate int64  `db:"rate"`
	}
	f.a.st.DB().Select(&got, `SELECT reference, description, quantity::text AS quantity, rate FROM soq_items WHERE soq_id = $1 ORDER BY position`, f.soqID)
	if len(got) != 2 || got[0].Desc != `Blockwork, 190mm, "Hollow"` || got[0].Qty != "1250.500" || got[0].Rate != 104550 || got[1].Desc != "Lintels, precast" {
		t.Fatalf("items: %+v", got)
	}
	// The BOM did not end up in the first header: "Section" was recognised.
	if n := f.a.count(`SELECT count(*) FROM soq_sections WHERE soq_id = $1 AND code = 'C'`, f.soqID); n != 1 {
		t.Fatal("section C not created")
	}
}

func badRows() []byte {
	return csvBytes([][]string{
		{"Section", "Reference", "Description", "Unit", "Quantity", "Rate"},
		{"B", "B1", "Good row", "m3", "10", "20"},
		{"B", "B2", "Quantity is text", "m3", "ten", "20"},
		{"B", "B3", "Negative rate", "m3", "1", "-5"},
		{"B", "B4", "Unknown unit", "furlong", "1", "5"},
		{"B", "B1", "Reference twice", "m3", "1", "5"},
		{"B", "B6", "Another good row", "nr", "2", "7.5"},
		{"B", "B7", "Too many decimals", "nr", "2", "7.555"},
	})
}

func TestImportAllOrNothingReportsRefusedRows(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	id := f.uploadOK(t, "bad.csv", badRows())
	imp := f.run(t, id, "", store.ModeAllOrNothing)
	if imp.Status != soq.ImportDone || imp.ImportedRows != 0 || imp.RefusedRows != 5 {
		t.Fatalf("import: %+v", imp)
	}
	if n := f.items(); n != 0 {
		t.Fatalf("%d items written by a refused all-or-nothing import", n)
	}
	if n := f.a.count(`SELECT count(*) FROM soq_sections WHERE soq_id = $1`, f.soqID); n != 0 {
		t.Fatalf("%d sections written by a refused all-or-nothing import", n)
	}
	r := f.refusals(t, id)
	for row, want := range map[int]string{3: `quantity "ten" must be a number`, 4: `rate "-5" must not be negative`, 5: "unit must be one of",
		6: "reference B1 is used twice in the file (also row 2)", 8: "rate \"7.555\" has more decimal places"} {
		if !strings.Contains(r[row], want) {
			t.Errorf("row %d: %q, want it to contain %q", row, r[row], want)
		}
	}
	res := f.c.get(f.base() + "/" + id)
	doc := res.Doc(t)
	if doc.Find("#refused-rows tbody tr").Length() != 5 || doc.Find(`#refused-rows tr[data-row="3"]`).Length() != 1 || doc.Find("#import-nothing").Length() != 1 {
		t.Fatalf("report: %s", res.Body)
	}
}

func TestImportValidRows(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	// A reference already used by an item typed by hand is refused, per row.
	ctx := context.Background()
	sec, _ := f.a.st.AddSection(ctx, f.soqID, "A", "Preliminaries")
	if _, err := f.a.st.AddItem(ctx, f.soqID, f.p.ID, sec, store.NewItem{Item: soq.Item{Reference: "B6", Description: "Typed", Unit: "nr", Quantity: 1000, Rate: 100, Type: soq.Measured}}); err != nil {
		t.Fatal(err)
	}
	id := f.uploadOK(t, "bad.csv", badRows())
	imp := f.run(t, id, "", store.ModeValidRows)
	if imp.Status != soq.ImportDone || imp.ImportedRows != 1 || imp.RefusedRows != 6 {
		t.Fatalf("import: %+v %v", imp, f.refusals(t, id))
	}
	if r := f.refusals(t, id)[7]; r != "reference B6 is already used in this SOQ" {
		t.Errorf("row 7: %q", r)
	}
	if n := f.a.count(`SELECT count(*) FROM soq_items WHERE soq_id = $1 AND import_id = $2 AND reference = 'B1' AND description = 'Good row'`, f.soqID, id); n != 1 {
		t.Fatal("the valid row was not imported")
	}
}

func TestImportRunTwiceNoDuplicates(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	id := f.uploadOK(t, "bill.csv", csvBytes([][]string{
		{"Section", "Ref", "Description", "Unit", "Qty", "Rate"},
		{"D Finishes", "D1", "Plaster", "m2", "100", "12"},
		{"D Finishes", "D2", "Paint", "m2", "100", "6"},
	}))
	f.run(t, id, "", store.ModeAllOrNothing)
	// A retry (or a re-run after a crash) runs the same import again.
	for range 2 {
		if err := jobs.RunImport(context.Background(), f.a.st, id); err != nil {
			t.Fatal(err)
		}
	}
	imp := f.wait(t, id)
	if n := f.items(); n != 2 || imp.ImportedRows != 2 || imp.RefusedRows != 0 {
		t.Fatalf("after three runs: %d items, %+v", n, imp)
	}
	if n := f.a.count(`SELECT count(*) FROM soq_sections WHERE soq_id = $1`, f.soqID); n != 1 {
		t.Fatalf("%d sections after three runs", n)
	}
}

func TestImportExportRoundTrip(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"xlsx", "csv"} {
		t.Run(format, func(t *testing.T) {
			f := newImportFixture(t)
			ctx := context.Background()
			cats, _ := f.a.st.Categories(ctx)
			src, err := f.a.st.CreateSOQ(ctx, f.p.ID, f.owner.ID, store.NewSOQ{Title: "Source", Currency: "usd", Sections: []store.NewSection{
				{Code: "A", Title: "Preliminaries", Items: []store.NewItem{
					{Item: soq.Item{Reference: "A1", Description: "Site set-up, fencing & \"hoarding\"", Unit: "item", Quantity: 1000, Rate: 1250000, Type: soq.Preliminaries}},
					{Item: soq.Item{Reference: "A2", Description: "=Not a formula", Unit: "sum", Quantity: 1000, Rate: 500000, Type: soq.ProvisionalSum}},
				}},
				{Code: "B", Title: "Substructure works", Items: []store.NewItem{
					{Item: soq.Item{Reference: "B1", Description: "Excavate, 1.5m deep", Unit: "m3", Quantity: 42125, Rate: 3833, Type: soq.Measured}, CategoryID: cats[0].ID},
					{Item: soq.Item{Reference: "B2", Description: "Labourer", Unit: "hr", Quantity: 80500, Rate: 4567, Type: soq.Daywork}},
					{Item: soq.Item{Reference: "B3", Description: "Rebar", Unit: "t", Quantity: 3333, Rate: 123456789, Type: soq.Measured}},
				}},
				{Code: "C", Title: "Empty section"},
			}})
			if err != nil {
				t.Fatal(err)
			}
			res := f.c.get("/api/soq/" + src + "/export." + format)
			if res.Code != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), "Source."+format) {
				t.Fatalf("export: %d %v", res.Code, res.Header)
			}
			if format == "xlsx" {
				x, err := excelize.OpenReader(strings.NewReader(res.Body))
				if err != nil {
					t.Fatal(err)
				}
				rows, _ := x.GetRows("Schedule")
				for r, row := range rows {
					for c := range row {
						cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
						if fm, _ := x.GetCellFormula("Schedule", cell); fm != "" {
							t.Fatalf("export has a formula in %s", cell)
						}
					}
				}
				last := rows[len(rows)-1]
				if last[2] != "Total" {
					t.Fatalf("last row %v", last)
				}
				x.Close()
			}
			id := f.uploadOK(t, "Source."+format, []byte(res.Body))
			imp := f.run(t, id, "", store.ModeAllOrNothing)
			if imp.Status != soq.ImportDone || imp.ImportedRows != 5 || imp.RefusedRows != 0 {
				t.Fatalf("import: %+v %v", imp, f.refusals(t, id))
			}
			a, b := loadFlat(t, f.a.st, src), loadFlat(t, f.a.st, f.soqID)
			if a != b {
				t.Fatalf("round trip differs:\nexported %s\nimported %s", a, b)
			}
		})
	}
}

// loadFlat writes an SOQ's content (not its ids) as text for comparison.
func loadFlat(t *testing.T, st *store.Store, id string) string {
	t.Helper()
	q, err := st.SOQHeader(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LoadSOQ(context.Background(), &q, store.ItemFilter{}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range q.Sections {
		fmt.Fprintf(&b, "[%s %s total %d]", s.Code, s.Title, s.Total)
		for _, it := range s.Items {
			fmt.Fprintf(&b, "{%s|%s|%s|%s|%d|%d|%s|%s}", it.Reference, it.Description, it.Unit, it.Quantity.Fixed(), it.Rate, it.Amount, it.Type, it.CategoryName.String)
		}
	}
	fmt.Fprintf(&b, " total %d", q.Total)
	return b.String()
}

func TestImportBadFiles(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	// A megabyte of noise is as unreadable as ten, and ten cost seconds under the race
	// detector (stored, read back and parsed twice).
	garbage := make([]byte, 1<<20)
	rand.Read(garbage)
	wide := make([]string, 200)
	for i := range wide {
		wide[i] = fmt.Sprintf("Column %d", i+1)
	}
	cases := []struct {
		name, filename string
		content        []byte
		want           string
		status         int
	}{
		{"garbage named xlsx", "bill.xlsx", garbage, "This file is not a valid XLSX workbook", 422},
		{"garbage zip header", "bill.xlsx", append([]byte("PK\x03\x04"), garbage[:512<<10]...), "This file is not a valid XLSX workbook", 422},
		{"zip bomb", "bomb.xlsx", zipBomb(t, false), "unpacks to more than 64 MB", 413},
		{"zip bomb with lying sizes", "bomb.xlsx", zipBomb(t, true), "This file is not a valid XLSX workbook", 422},
		{"200 columns", "wide.csv", csvBytes([][]string{wide, wide}), "200 columns; a file may have at most 50", 422},
		{"bare quote", "quote.csv", []byte("Ref,Description\nA1,5\" pipe\n"), "could not be read at line 2", 422},
		{"old xls", "bill.xls", []byte("\xD0\xCF\x11\xE0 whatever"), "Old Excel files (.xls) are not supported", 422},
		{"pdf", "bill.pdf", []byte("%PDF-1.4"), "Upload an .xlsx workbook or a .csv file", 422},
		{"empty csv", "empty.csv", []byte("\n\n"), "The file has no rows", 422},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := f.c.upload(f.base()+"/upload", c.filename, c.content)
			if res.Code != c.status {
				t.Fatalf("%d, want %d", res.Code, c.status)
			}
			if msg := res.Doc(t).Find("#upload-error").Text(); !strings.Contains(msg, c.want) {
				t.Fatalf("message %q, want it to contain %q", msg, c.want)
			}
		})
	}
	if n := f.a.count(`SELECT count(*) FROM soq_imports`); n != 0 {
		t.Fatalf("%d refused uploads stored", n)
	}
	// Too large: refused before it is read whole.
	res := f.c.upload(f.base()+"/upload", "huge.csv", bytes.Repeat([]byte("a,b\n"), 21<<20/4))
	if res.Code != http.StatusRequestEntityTooLarge || !strings.Contains(res.Body, "larger than 20 MB") {
		t.Fatalf("21 MB upload: %d %s", res.Code, res.Body)
	}
	// The worker refuses the same files (stored by another way), with the message and
	// nothing written.
	for _, c := range cases[:5] {
		id, err := f.a.st.CreateImport(context.Background(), store.NewImport{SOQID: f.soqID, ProjectID: f.p.ID, Filename: c.filename, Format: map[bool]string{true: "xlsx", false: "csv"}[strings.HasSuffix(c.filename, "xlsx")], Content: c.content})
		if err != nil {
			t.Fatal(err)
		}
		f.a.st.DB().MustExec(`UPDATE soq_imports SET status = 'queued' WHERE id = $1`, id)
		if err := jobs.RunImport(context.Background(), f.a.st, id); err == nil {
			t.Fatalf("%s: the worker accepted it", c.name)
		}
		imp, _ := f.a.st.Import(context.Background(), f.soqID, id)
		if imp.Status != soq.ImportFailed || !strings.Contains(imp.Error, c.want) {
			t.Fatalf("%s: worker left %s %q", c.name, imp.Status, imp.Error)
		}
	}
	if n := f.items(); n != 0 {
		t.Fatalf("%d items written", n)
	}
}

// zipBomb is a small .xlsx-shaped zip (a few KB) whose worksheet says it inflates to 1 GB;
// the stream itself inflates to 8 MB of zeros (a real 1 GB stream takes minutes to build
// under -race). The defence is the same for both: the declared sizes are summed against
// the limit before anything is inflated. With lie set, the header declares 1 KB instead:
// the zip reader then stops at the first byte past it.
// bombStream is 8 MB of zeros deflated, and their CRC, made once: compressing them is
// seconds under the race detector.
var bombStream = sync.OnceValues(func() ([]byte, uint32) {
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.BestCompression)
	zeros := make([]byte, 8<<20)
	fw.Write(zeros)
	fw.Close()
	return raw.Bytes(), crc32.ChecksumIEEE(zeros)
})

func zipBomb(t *testing.T, lie bool) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"} {
		w, _ := zw.Create(name)
		w.Write([]byte(`<?xml version="1.0"?><x/>`))
	}
	raw, sum := bombStream()
	size := uint64(1 << 30)
	if lie {
		size = 1 << 10
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: sum,
		CompressedSize64: uint64(len(raw)), UncompressedSize64: size})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw)
	zw.Close()
	if b.Len() > 64<<10 {
		t.Fatalf("bomb is %d bytes", b.Len())
	}
	return b.Bytes()
}

// A formula cell imports as the value stored beside it (what Excel shows); a mapped cell
// whose formula has no stored value is refused, naming the cell; formulas in an ignored
// column (the amount) do not matter either way.
func TestImportFormulaCells(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	data := map[string][][]any{"Bill": {
		{"Section", "Reference", "Description", "Unit", "Quantity", "Rate", "Amount"},
		{"B", "B1", "Plain", "m3", 10, 20, 200},
		{"B", "B2", "Computed quantity, stored", "m3", 12.5, 20, 250},
		{"B", "B3", "Computed quantity, not stored", "m3", nil, 20, nil},
		{"B", "B4", "Computed amount only", "m3", 3, 20, nil},
	}}
	// E3 and G3 keep the values set above (as Excel saves them); E4 and G5 have none.
	formulas := map[string]map[string]string{"Bill": {"E3": "10+2.5", "G3": "E3*F3", "E4": "2*5", "G5": "E5*F5"}}
	id := f.uploadOK(t, "formulas.xlsx", workbook(t, []string{"Bill"}, data, formulas))
	imp := f.run(t, id, "", store.ModeValidRows)
	if imp.ImportedRows != 3 || imp.RefusedRows != 1 {
		t.Fatalf("import: %+v %v", imp, f.refusals(t, id))
	}
	if r, want := f.refusals(t, id)[4], fmt.Sprintf(soqfile.MsgUncachedFormula, "E", 4); r != want {
		t.Fatalf("row 4: %q, want %q", r, want)
	}
	if n := f.a.count(`SELECT count(*) FROM soq_items WHERE soq_id = $1 AND reference = 'B2' AND quantity = 12.5`, f.soqID); n != 1 {
		t.Fatal("B2 was not imported with its stored quantity 12.5")
	}
}

func TestImportPermissions(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	a := f.a
	bidder := a.user(authz.RoleBidder, "bea@spark.test")
	outsider := a.user(authz.RoleOwner, "oscar@elsewhere.test")
	other := a.project(outsider, "OTH-01")
	otherSOQ, err := a.st.CreateSOQ(context.Background(), other.ID, outsider.ID, store.NewSOQ{Title: "Theirs", Currency: "usd"})
	if err != nil {
		t.Fatal(err)
	}
	id := f.uploadOK(t, "bill.csv", csvBytes([][]string{{"Section", "Ref", "Description", "Unit", "Qty", "Rate"}, {"A", "A1", "X", "nr", "1", "1"}}))
	paths := []string{f.base(), f.base() + "/" + id, f.base() + "/" + id + "/progress", "/projects/" + f.p.ID + "/jobs", "/api/soq/" + f.soqID + "/export.csv"}
	for _, who := range []store.User{bidder, outsider} {
		c := a.login(who.Email)
		for _, p := range paths {
			if res := c.get(p); res.Code != http.StatusNotFound {
				t.Errorf("%s GET %s: %d, want 404", who.Email, p, res.Code)
			}
		}
		if res := c.upload(f.base()+"/upload", "x.csv", []byte("a,b\n1,2\n")); res.Code != http.StatusNotFound {
			t.Errorf("%s upload: %d, want 404", who.Email, res.Code)
		}
		if res := c.form(f.base()+"/"+id+"/start", url.Values{}); res.Code != http.StatusNotFound {
			t.Errorf("%s start: %d, want 404", who.Email, res.Code)
		}
	}
	// Another project's SOQ id under this project: 404, for the owner too.
	wrong := "/projects/" + f.p.ID + "/soq/" + otherSOQ + "/import"
	if res := f.c.get(wrong); res.Code != http.StatusNotFound {
		t.Errorf("other project's SOQ: %d, want 404", res.Code)
	}
	if res := f.c.upload(wrong+"/upload", "x.csv", []byte("a,b\n1,2\n")); res.Code != http.StatusNotFound {
		t.Errorf("upload to other project's SOQ: %d, want 404", res.Code)
	}
	if res := f.c.get(wrong + "/" + id); res.Code != http.StatusNotFound {
		t.Errorf("import under another SOQ: %d, want 404", res.Code)
	}
	// An issued SOQ refuses imports: 409.
	a.st.DB().MustExec(`UPDATE soqs SET status = 'issued' WHERE id = $1`, f.soqID)
	if res := f.c.get(f.base()); res.Code != http.StatusConflict {
		t.Errorf("issued SOQ import page: %d, want 409", res.Code)
	}
	if res := f.c.upload(f.base()+"/upload", "x.csv", []byte("a,b\n1,2\n")); res.Code != http.StatusConflict {
		t.Errorf("issued SOQ upload: %d, want 409", res.Code)
	}
	if res := f.c.form(f.base()+"/"+id+"/start", url.Values{}); res.Code != http.StatusConflict {
		t.Errorf("issued SOQ start: %d, want 409", res.Code)
	}
}

func TestImportMappingErrors(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	id := f.uploadOK(t, "odd.csv", csvBytes([][]string{{"Code", "What", "Measure", "How many", "Cost"}, {"A1", "X", "nr", "1", "1"}}))
	v := f.mapping(t, id, "")
	v.Set("mode", store.ModeAllOrNothing)
	res := f.c.form(f.base()+"/"+id+"/start", v)
	if res.Code != http.StatusUnprocessableEntity || !strings.Contains(res.Doc(t).Find("#map-error").Text(), "Map a column to each of") {
		t.Fatalf("missing fields: %d %s", res.Code, res.Doc(t).Find("#map-error").Text())
	}
	v.Set("col-0", "reference")
	v.Set("col-1", "reference")
	res = f.c.form(f.base()+"/"+id+"/start", v)
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("twice: %d", res.Code)
	}
	if n := f.a.count(`SELECT count(*) FROM river_job`); n != 0 {
		t.Fatalf("%d jobs enqueued by invalid mappings", n)
	}
}
