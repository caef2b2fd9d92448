package handlers

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
)

// Checking every row before the import, running a refused import again on its valid rows,
// the refused rows as CSV, the remembered mapping, and imports that brought nothing in.

// checked posts the mapping to the check and returns the page.
func (f *importFixture) checked(t *testing.T, id string, v url.Values, hdr ...string) response {
	t.Helper()
	res := f.c.form(paths.ImportCheck(f.p.ID, f.soqID, id), v, hdr...)
	if res.Code != http.StatusOK {
		t.Fatalf("check: %d %s", res.Code, res.Body)
	}
	return res
}

// The check reads every row, not the preview's first ten: the counts are the file's, the
// refused rows are listed with their row, reference, description and reason (a reference
// the SOQ already has included), and nothing is written or queued.
func TestImportCheckEveryRow(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	ctx := context.Background()
	sec, _ := f.a.st.AddSection(ctx, f.soqID, "A", "Preliminaries")
	if _, err := f.a.st.AddItem(ctx, f.soqID, f.p.ID, sec, store.NewItem{Item: soq.Item{Reference: "B6", Description: "Typed", Unit: "nr", Quantity: 1000, Rate: 100, Type: soq.Measured}}); err != nil {
		t.Fatal(err)
	}
	rows := [][]string{{"Section", "Reference", "Description", "Unit", "Quantity", "Rate"}, {"B Substructure", "", "", "", "", ""},
		{"B", "B6", "Taken", "nr", "1", "1"}}
	for i := 1; i <= 330; i++ {
		qty := strconv.Itoa(i)
		if i%3 == 0 {
			qty = "about " + qty // refused: 110 rows, past the 10 of the preview and the 100 shown
		}
		rows = append(rows, []string{"B", "B" + strconv.Itoa(100+i), "Row " + strconv.Itoa(i), "m3", qty, "20"})
	}
	id := f.uploadOK(t, "long.csv", csvBytes(rows))
	v := f.mapping(t, id, "")

	doc := f.checked(t, id, v).Doc(t)
	if got := []string{doc.Find("#check-valid").Text(), doc.Find("#check-refused").Text(), doc.Find("#check-skipped").Text()}; !reflect.DeepEqual(got, []string{"220", "111", "1"}) {
		t.Fatalf("valid, refused, skipped: %q", got)
	}
	if n := doc.Find("#check-rows tbody tr").Length(); n != checkShownRows {
		t.Errorf("%d refused rows listed, want the first %d", n, checkShownRows)
	}
	if !strings.Contains(doc.Find("#check-more").Text(), "of 111") {
		t.Errorf("no note of the rows not listed: %q", doc.Find("#check-more").Text())
	}
	first := doc.Find(`#check-rows tr[data-row="6"] td`)
	if got := []string{first.Eq(1).Text(), first.Eq(2).Text()}; !reflect.DeepEqual(got, []string{"B103", "Row 3"}) || !strings.Contains(first.Eq(3).Text(), `Quantity "about 3"`) {
		t.Errorf("row 6: %q %q", got, first.Eq(3).Text())
	}
	if doc.Find("#import-start").Length() != 1 {
		t.Error("the page after the check has no Start button")
	}

	// HTMX asks for the panel alone (on load and on each change of a column).
	res := f.checked(t, id, v, "HX-Request", "true", "HX-Target", "import-check")
	if strings.Contains(res.Body, "<html") || !strings.Contains(res.Body, `id="check-result"`) || strings.Contains(res.Body, `id="import-map"`) {
		t.Errorf("fragment: %.300s", res.Body)
	}
	// The SOQ's own reference, which only the check against the SOQ sees.
	if !strings.Contains(doc.Find(`#check-rows tr[data-row="3"]`).Text(), "Reference B6 is already used in this SOQ.") {
		t.Errorf("taken reference not refused by the check")
	}

	// A mapping without a required field is a message, not a check.
	v.Set("col-4", "ignore")
	res = f.c.form(paths.ImportCheck(f.p.ID, f.soqID, id), v)
	if res.Code != http.StatusUnprocessableEntity || !strings.Contains(res.Doc(t).Find("#map-error").Text(), "quantity") {
		t.Errorf("bad mapping: %d %s", res.Code, res.Doc(t).Find("#map-error").Text())
	}
	if n := f.a.count(`SELECT count(*) FROM river_job`); n != 0 || f.items() != 1 {
		t.Fatalf("the check queued %d jobs, SOQ has %d items", n, f.items())
	}
}

// After all or nothing refused an import, "import the valid rows" runs it again on the same
// stored upload and mapping (no upload), once.
func TestImportRerunValidRows(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	id := f.uploadOK(t, "bad.csv", badRows())
	imp := f.run(t, id, "", store.ModeAllOrNothing)
	if imp.Result() != soq.ResultRefused || imp.ValidRows() != 2 || f.items() != 0 {
		t.Fatalf("first run: %s %+v", imp.Result(), imp)
	}
	page := f.c.get(paths.Import(f.p.ID, f.soqID, id)).Doc(t)
	if strings.TrimSpace(page.Find("#import-valid-rows").Text()) != "Import the 2 valid rows" {
		t.Fatalf("no button to import the valid rows: %q", page.Find("#import-nothing").Text())
	}

	res := f.c.form(paths.ImportValidRows(f.p.ID, f.soqID, id), url.Values{})
	if res.Code != http.StatusSeeOther || res.Header.Get("Location") != paths.Import(f.p.ID, f.soqID, id) {
		t.Fatalf("valid rows: %d %s", res.Code, res.Header.Get("Location"))
	}
	imp = f.wait(t, id)
	if imp.Result() != soq.ResultPartial || imp.ImportedRows != 2 || imp.RefusedRows != 5 || imp.Mode != store.ModeValidRows {
		t.Fatalf("second run: %s %+v", imp.Result(), imp)
	}
	if n := f.a.count(`SELECT count(*) FROM soq_items WHERE soq_id = $1 AND import_id = $2 AND reference IN ('B1', 'B6')`, f.soqID, id); n != 2 || f.items() != 2 {
		t.Fatalf("items: %d of B1, B6; %d in all", n, f.items())
	}
	if n := f.a.count(`SELECT count(*) FROM soq_imports WHERE soq_id = $1`, f.soqID); n != 1 {
		t.Fatalf("%d imports: the re-run made a new upload", n)
	}

	// A second click (or a replayed form) runs nothing again.
	jobs := f.a.count(`SELECT count(*) FROM river_job`)
	if res := f.c.form(paths.ImportValidRows(f.p.ID, f.soqID, id), url.Values{}); res.Code != http.StatusSeeOther {
		t.Fatalf("second click: %d", res.Code)
	}
	if n := f.a.count(`SELECT count(*) FROM river_job`); n != jobs || f.items() != 2 {
		t.Fatalf("second click queued %d jobs (had %d), %d items", n, jobs, f.items())
	}
	// A bidder cannot; another project's owner cannot reach it.
	bidder := f.a.user(authz.RoleBidder, "bea@spark.test")
	if res := f.a.login(bidder.Email).form(paths.ImportValidRows(f.p.ID, f.soqID, id), url.Values{}); res.Code != http.StatusNotFound {
		t.Errorf("bidder: %d, want 404", res.Code)
	}
}

// The refused rows download as CSV with row, reference, description and reason, for the
// report and for the check before starting; authorized as the import is.
func TestImportRefusedCSV(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	id := f.uploadOK(t, "bad.csv", badRows())
	csvURL := paths.ImportRefusedCSV(f.p.ID, f.soqID, id)

	// Before the import: the check of the mapping in the query.
	v := f.mapping(t, id, "")
	want := [][]string{
		{"Row", "Reference", "Description", "Reason"},
		{"3", "B2", "Quantity is text", ""},
		{"4", "B3", "Negative rate", ""},
		{"5", "B4", "Unknown unit", ""},
		{"6", "B1", "Reference twice", "reference B1 is used twice in the file (also row 2)"},
		{"8", "B7", "Too many decimals", ""},
	}
	check := func(name string, res response) {
		t.Helper()
		if res.Code != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(res.Header.Get("Content-Disposition"), `filename="bad-refused-rows.csv"`) {
			t.Fatalf("%s: %d %v", name, res.Code, res.Header)
		}
		got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %q", name, got)
		}
		for i, row := range got {
			if !reflect.DeepEqual(row[:3], want[i][:3]) || want[i][3] != "" && row[3] != want[i][3] || row[3] == "" {
				t.Errorf("%s line %d: %q, want %q", name, i, row, want[i])
			}
		}
	}
	check("before", f.c.get(csvURL+"?"+v.Encode()))
	f.run(t, id, "", store.ModeAllOrNothing)
	check("report", f.c.get(csvURL))
	if !strings.Contains(f.c.get(paths.Import(f.p.ID, f.soqID, id)).Body, csvURL) {
		t.Error("the report does not link the CSV")
	}

	a := f.a
	bidder := a.user(authz.RoleBidder, "bea@spark.test")
	if res := a.login(bidder.Email).get(csvURL); res.Code != http.StatusNotFound {
		t.Errorf("bidder: %d, want 404", res.Code)
	}
	// A bidder who is a member of the project may not edit its SOQ: refused as the import
	// pages are (the route table's EditSOQ), never the file.
	viewer := a.user(authz.RoleBidder, "ben@spark.test")
	if err := a.st.AddMember(context.Background(), f.p.ID, viewer.ID); err != nil {
		t.Fatal(err)
	}
	vc := a.login(viewer.Email)
	page, file := vc.get(paths.Import(f.p.ID, f.soqID, id)), vc.get(csvURL)
	if file.Code != page.Code || file.Code != http.StatusForbidden && file.Code != http.StatusNotFound {
		t.Errorf("bidder member: CSV %d, import page %d; want the same 403 or 404", file.Code, page.Code)
	}
	// This import's id under another project (its owner's own): 404.
	outsider := a.user(authz.RoleOwner, "oscar@elsewhere.test")
	other := a.project(outsider, "OTH-01")
	otherSOQ, err := a.st.CreateSOQ(context.Background(), other.ID, outsider.ID, store.NewSOQ{Title: "Theirs", Currency: "usd"})
	if err != nil {
		t.Fatal(err)
	}
	oc := a.login(outsider.Email)
	for _, p := range []string{paths.ImportRefusedCSV(other.ID, otherSOQ, id), csvURL, paths.ImportRefusedCSV(f.p.ID, otherSOQ, id)} {
		if res := oc.get(p); res.Code != http.StatusNotFound {
			t.Errorf("outsider %s: %d, want 404", p, res.Code)
		}
	}
	if res := f.c.get(paths.ImportRefusedCSV(f.p.ID, f.soqID, "00000000-0000-0000-0000-000000000000")); res.Code != http.StatusNotFound {
		t.Errorf("unknown import: %d, want 404", res.Code)
	}
}

// The mapping chosen for a header row is proposed the next time the same person uploads a
// file with those columns (spelled with other case and spacing), and only to them.
func TestImportMappingRemembered(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	file := func(header ...string) []byte {
		return csvBytes([][]string{header, {"A1", "Site set-up", "item", "1", "1500", "A"}})
	}
	id := f.uploadOK(t, "odd.csv", file("Code", "What", "Measure", "How many", "Cost", "Bill"))
	v := f.mapping(t, id, "")
	if v.Get("col-1") == "description" {
		t.Fatal("the guess already knows these names: the test proves nothing")
	}
	chosen := []string{"reference", "description", "unit", "quantity", "rate", "section"}
	for i, fld := range chosen {
		v.Set("col-"+strconv.Itoa(i), fld)
	}
	v.Set("mode", store.ModeAllOrNothing)
	if res := f.c.form(paths.ImportStart(f.p.ID, f.soqID, id), v); res.Code != http.StatusSeeOther {
		t.Fatalf("start: %d %s", res.Code, res.Body)
	}
	f.wait(t, id)

	id2 := f.uploadOK(t, "odd-2.csv", file("code ", "WHAT", "Measure", "How  many", "cost", "Bill"))
	doc := f.c.get(paths.Import(f.p.ID, f.soqID, id2)).Doc(t)
	if doc.Find("#map-remembered").Length() != 1 {
		t.Error("no note that the mapping is the remembered one")
	}
	v2 := f.mapping(t, id2, "")
	for i, fld := range chosen {
		if got := v2.Get("col-" + strconv.Itoa(i)); got != fld {
			t.Errorf("column %d proposed %q, want the remembered %q", i, got, fld)
		}
	}

	// Another person, and other columns, get the guess.
	other := f.a.user(authz.RoleInHouse, "ivan@harbourhomes.test")
	mine := f.a.project(other, "IMP-03")
	otherSOQ, err := f.a.st.CreateSOQ(context.Background(), mine.ID, other.ID, store.NewSOQ{Title: "Ivan's", Currency: "usd"})
	if err != nil {
		t.Fatal(err)
	}
	g := &importFixture{a: f.a, owner: other, p: mine, soqID: otherSOQ, c: f.a.login(other.Email)}
	id3 := g.uploadOK(t, "odd.csv", file("Code", "What", "Measure", "How many", "Cost", "Bill"))
	if g.c.get(paths.Import(mine.ID, otherSOQ, id3)).Doc(t).Find("#map-remembered").Length() != 0 || g.mapping(t, id3, "").Get("col-1") == "description" {
		t.Error("another person was proposed this person's mapping")
	}
	id4 := f.uploadOK(t, "odd-3.csv", file("Code", "What", "Measure", "How many", "Cost", "Bill", "Notes"))
	if f.c.get(paths.Import(f.p.ID, f.soqID, id4)).Doc(t).Find("#map-remembered").Length() != 0 {
		t.Error("a file with other columns was proposed the remembered mapping")
	}
}

// An import that brought in no rows is never a green "Completed": a sheet of headings
// only is "No rows imported", in amber, on its page, the upload page and the jobs page.
func TestImportNothingImportedNotCompleted(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	id := f.uploadOK(t, "headings.csv", csvBytes([][]string{
		{"Section", "Reference", "Description", "Unit", "Quantity", "Rate"},
		{"A Preliminaries", "", "", "", "", ""},
		{"B Substructure", "", "Totals carried forward", "", "", ""},
	}))
	imp := f.run(t, id, "", store.ModeAllOrNothing)
	if imp.Status != soq.ImportDone || imp.ImportedRows != 0 || imp.Result() != soq.ResultEmpty {
		t.Fatalf("import: %s %+v", imp.Result(), imp)
	}
	doc := f.c.get(paths.Import(f.p.ID, f.soqID, id)).Doc(t)
	state := doc.Find("#import-state")
	if txt := state.Text(); txt != "No rows imported" {
		t.Errorf("state %q", txt)
	}
	if cls, _ := state.Attr("class"); strings.Contains(cls, "emerald") {
		t.Errorf("state styled as a success: %q", cls)
	}
	if doc.Find("#import-empty").Length() != 1 {
		t.Error("no explanation of why nothing was imported")
	}
	for name, p := range map[string]string{"upload page": paths.Imports(f.p.ID, f.soqID), "jobs": paths.Jobs(f.p.ID)} {
		body := f.c.get(p).Body
		if !strings.Contains(body, "No rows imported") || strings.Contains(body, ">Completed<") {
			t.Errorf("%s shows the empty import as completed: %s", name, body[strings.Index(body, "<main"):])
		}
	}

	// The same file with items is Completed, in green.
	id2 := f.uploadOK(t, "items.csv", csvBytes([][]string{
		{"Section", "Reference", "Description", "Unit", "Quantity", "Rate"},
		{"A", "A1", "Site set-up", "item", "1", "1500"},
	}))
	f.run(t, id2, "", store.ModeAllOrNothing)
	state = f.c.get(paths.Import(f.p.ID, f.soqID, id2)).Doc(t).Find("#import-state")
	if cls, _ := state.Attr("class"); state.Text() != "Completed" || !strings.Contains(cls, "emerald") {
		t.Errorf("a completed import: %q %q", state.Text(), cls)
	}
}
