package handlers

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/soqfile"
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

// Spreadsheet import and export of an SOQ, and the project's background jobs page.
//
// An upload is stored (soq_imports) and previewed; the person maps the columns (the mapping
// they chose last time for the same headings is proposed), sees every row checked under
// it, and starts the import, which enqueues a River job (package jobs) in the same
// transaction. The job reads the stored file, checks every row and writes the items in one
// transaction; the status page polls a small partial until the job has finished, then
// shows the report, its refused rows as CSV, and, when all or nothing refused the file,
// a button that runs it again on the valid rows of the same stored upload.

// JobQueue enqueues background jobs (implemented by package jobs). Without one, imports
// cannot be started (the upload and preview still work), and tenders close by the sweep
// of a process that runs jobs (or by the team) rather than by their own scheduled job.
type JobQueue interface {
	EnqueueImportTx(ctx context.Context, tx *sql.Tx, projectID, soqID, importID string) (int64, error)
	// ScheduleTenderClose schedules a tender's closing job at its closing time.
	ScheduleTenderClose(ctx context.Context, tenderID string, at time.Time) error
}

const (
	jobsPerPage       = 25
	reportRefusedRows = 500
	recentImports     = 5
	// DefaultImportsPerUser is how many imports one person may have queued or running at
	// once (Config.ImportsPerUser, IMPORTS_PER_USER); River's import queue caps the total.
	DefaultImportsPerUser = 2
)

// importSOQ is loadSOQ for the import pages: write (upload, map, start) needs an
// editable SOQ (409 when issued); reading an import's status does not.
func (h *Handlers) importSOQ(c echo.Context, write bool) (*store.SOQ, error) {
	if write {
		return h.loadSOQ(c, soqEdit)
	}
	return h.loadSOQ(c, soqRead)
}

func (h *Handlers) importUploadView(c echo.Context, q *store.SOQ, msg string) (views.ImportUploadView, error) {
	recent, err := h.st.RecentImports(c.Request().Context(), q.ID, recentImports)
	return views.ImportUploadView{Project: *currentProject(c), SOQ: *q, Error: msg, Recent: recent}, err
}

func (h *Handlers) importPage(c echo.Context) error {
	q, err := h.importSOQ(c, true)
	if err != nil {
		return err
	}
	v, err := h.importUploadView(c, q, "")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ImportUploadPage(h.page(c, "Import · "+q.Title), v), nil)
}

// readUpload reads the multipart body's "file" part, at most soqfile.MaxBytes. A problem
// is a message for people.
func readUpload(c echo.Context) (name string, content []byte, msg string) {
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, soqfile.MaxBytes+1<<20)
	mr, err := req.MultipartReader()
	if err != nil {
		return "", nil, "Choose an .xlsx or .csv file to upload."
	}
	tooBig := "The file is larger than 20 MB. Split it into smaller files, or remove unused sheets and columns."
	for {
		part, err := mr.NextPart()
		var mbe *http.MaxBytesError
		switch {
		case err == io.EOF:
			if content == nil {
				return "", nil, "Choose an .xlsx or .csv file to upload."
			}
			return name, content, ""
		case errors.As(err, &mbe):
			return "", nil, tooBig
		case err != nil:
			return "", nil, "The upload could not be read; please try again."
		}
		if part.FormName() != "file" {
			_ = part.Close()
			continue
		}
		name = cleanFilename(part.FileName())
		b, err := io.ReadAll(io.LimitReader(part, soqfile.MaxBytes+1))
		if errors.As(err, &mbe) || len(b) > soqfile.MaxBytes {
			return "", nil, tooBig
		}
		if err != nil {
			return "", nil, "The upload could not be read; please try again."
		}
		if name == "" || len(b) == 0 {
			return "", nil, "Choose an .xlsx or .csv file to upload (the one chosen is empty)."
		}
		content = b
	}
}

func cleanFilename(s string) string {
	s = path.Base(strings.ReplaceAll(s, `\`, "/"))
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if s == "." || s == "/" {
		return ""
	}
	if r := []rune(s); len(r) > 200 {
		s = string(r[len(r)-200:])
	}
	return s
}

func (h *Handlers) importUpload(c echo.Context) error {
	q, err := h.importSOQ(c, true)
	if err != nil {
		return err
	}
	refuse := func(status int, msg string) error {
		v, err := h.importUploadView(c, q, msg)
		if err != nil {
			return err
		}
		return render(c, status, views.ImportUploadPage(h.page(c, "Import · "+q.Title), v), nil)
	}
	name, content, msg := readUpload(c)
	if msg != "" {
		status := http.StatusUnprocessableEntity
		if strings.Contains(msg, "20 MB") {
			status = http.StatusRequestEntityTooLarge
		}
		return refuse(status, msg)
	}
	// The file is checked against the limits and previewed once, here: the mapping page
	// shows the stored preview and never reads the file again; the job reads it whole.
	format, err := soqfile.DetectFormat(name, content)
	var preview *soqfile.Preview
	if err == nil {
		preview, err = soqfile.ReadPreview(format, content)
	}
	var fe *soqfile.FileError
	if errors.As(err, &fe) {
		status := http.StatusUnprocessableEntity
		if fe.TooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		return refuse(status, fe.Msg)
	}
	if err != nil {
		return err
	}
	pj, err := json.Marshal(preview)
	if err != nil {
		return err
	}
	id, err := h.st.CreateImport(c.Request().Context(), store.NewImport{SOQID: q.ID, ProjectID: q.ProjectID, Filename: name, Format: format,
		Content: content, Preview: pj, CreatedBy: currentUser(c).ID})
	if err != nil {
		return err
	}
	return redirect(c, paths.Import(q.ProjectID, q.ID, id))
}

// loadImport loads the import in the URL, of the SOQ in the URL.
func (h *Handlers) loadImport(c echo.Context, write bool) (*store.SOQ, store.SOQImport, error) {
	q, err := h.importSOQ(c, write)
	if err != nil {
		return nil, store.SOQImport{}, err
	}
	imp, err := h.st.Import(c.Request().Context(), q.ID, c.Param("importId"))
	return q, imp, err
}

// mapView builds the mapping form from the preview stored at upload (never the file).
func (h *Handlers) mapView(c echo.Context, q *store.SOQ, imp store.SOQImport, sheet string) (views.ImportMapView, error) {
	pj, err := h.st.ImportPreview(c.Request().Context(), imp.ID)
	if err != nil {
		return views.ImportMapView{}, err
	}
	var p soqfile.Preview
	if err := json.Unmarshal(pj, &p); err != nil {
		return views.ImportMapView{}, err
	}
	if len(p.Sheets) == 0 {
		// Uploaded before previews were stored: read it this once, and keep it.
		if p, err = h.storePreview(c, imp.ID); err != nil {
			return views.ImportMapView{}, err
		}
	}
	t, msg := p.Table(sheet)
	if t == nil {
		return views.ImportMapView{}, &appError{Status: http.StatusUnprocessableEntity, Message: msg}
	}
	kept, err := h.st.RememberedMapping(c.Request().Context(), currentUser(c).ID, soqfile.HeaderSignature(t.Header))
	if err != nil {
		return views.ImportMapView{}, err
	}
	m, remembered := soqfile.Propose(t.Header, t.Columns(), kept)
	return views.ImportMapView{Project: *currentProject(c), SOQ: *q, Import: imp, Table: t, Mapping: m, Remembered: remembered,
		Estimate: p.Estimate(t.Sheet), Error: msg}, nil
}

// formMapping reads the mapping and mode posted for v's table (col-0…, mode), as the
// form or the refused rows' link sends them. msg is a message for people, or "".
func formMapping(get func(string) string, v views.ImportMapView) (mapping []soqfile.Field, mode, msg string) {
	mapping = make([]soqfile.Field, v.Table.Columns())
	for i := range mapping {
		mapping[i] = soqfile.Field(get("col-" + strconv.Itoa(i)))
	}
	mode = get("mode")
	if mode == "" {
		mode = store.ModeAllOrNothing
	}
	msg = soqfile.CheckMapping(mapping, len(mapping))
	if msg == "" && mode != store.ModeAllOrNothing && mode != store.ModeValidRows {
		msg = "Choose what to do if some rows are refused."
	}
	if msg != "" {
		for i, f := range mapping {
			if !soqfile.ValidField(string(f)) {
				mapping[i] = soqfile.Ignore
			}
		}
	}
	return mapping, mode, msg
}

// checkShownRows is how many refused rows the check lists on the page; the CSV has all.
const checkShownRows = 100

// checkRows reads the whole stored file and checks every row of the sheet under mapping,
// as the import will (the SOQ's references included), before anything is started, so
// that the person chooses all or nothing, or the valid rows, knowing how many each is.
// A problem with the file is the check's message, not an error.
func (h *Handlers) checkRows(c echo.Context, q *store.SOQ, imp store.SOQImport, sheet string, mapping []soqfile.Field) (*views.ImportCheck, []soq.ImportRefusal, error) {
	ctx := c.Request().Context()
	full, err := h.st.ImportContent(ctx, imp.ID)
	if err != nil {
		return nil, nil, err
	}
	t, err := soqfile.Read(full.Format, full.Content, sheet, soqfile.MaxRows)
	var fe *soqfile.FileError
	if errors.As(err, &fe) {
		return &views.ImportCheck{Error: fe.Msg}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	for len(mapping) < t.Columns() {
		mapping = append(mapping, soqfile.Ignore)
	}
	cats, err := h.st.Categories(ctx)
	if err != nil {
		return nil, nil, err
	}
	res, err := soqfile.Check(t, mapping, money.Of(q.Currency), cats, nil)
	if err != nil {
		return nil, nil, err
	}
	taken, err := h.st.SOQReferenceKeys(ctx, q.ID)
	if err != nil {
		return nil, nil, err
	}
	res.RefuseTaken(taken)
	out := &views.ImportCheck{Total: res.Total, Valid: len(res.Lines), Skipped: res.Skipped, Refused: len(res.Refused),
		Rows: res.Refused[:min(len(res.Refused), checkShownRows)]}
	return out, res.Refused, nil
}

// importCheck checks every row of the file under the posted mapping and shows the mapping
// form again with the result (the panel alone for HTMX, which asks on load and on each
// change of the mapping).
func (h *Handlers) importCheck(c echo.Context) error {
	q, imp, err := h.loadImport(c, true)
	if err != nil {
		return err
	}
	if !imp.Status.Mappable() {
		return redirect(c, views.ImportURL(imp))
	}
	v, err := h.mapView(c, q, imp, c.FormValue("sheet"))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if v.Error == "" {
		var mapping []soqfile.Field
		mapping, v.Mode, v.Error = formMapping(c.FormValue, v)
		v.Mapping = mapping
		if v.Error == "" {
			if v.Check, _, err = h.checkRows(c, q, imp, v.Table.Sheet, mapping); err != nil {
				return err
			}
		}
	}
	if v.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	if wantsFragment(c) && hxRequest(c).Target == "import-check" {
		// The panel, asked for as the columns change, says what is missing; 200, because
		// HTMX does not swap in an error's body (the panel would go on saying "checking").
		return renderStatus(c, http.StatusOK, views.ImportCheckPanel(v))
	}
	return render(c, status, views.ImportMapPage(h.page(c, "Import · "+q.Title), v), views.ImportMapForm(v))
}

// storePreview reads and stores the preview of an import uploaded without one.
func (h *Handlers) storePreview(c echo.Context, id string) (soqfile.Preview, error) {
	ctx := c.Request().Context()
	full, err := h.st.ImportContent(ctx, id)
	if err != nil {
		return soqfile.Preview{}, err
	}
	p, err := soqfile.ReadPreview(full.Format, full.Content)
	var fe *soqfile.FileError
	if errors.As(err, &fe) {
		return soqfile.Preview{}, &appError{Status: http.StatusUnprocessableEntity, Message: fe.Msg}
	}
	if err != nil {
		return soqfile.Preview{}, err
	}
	pj, err := json.Marshal(p)
	if err != nil {
		return soqfile.Preview{}, err
	}
	return *p, h.st.SetImportPreview(ctx, id, pj)
}

func (h *Handlers) importShow(c echo.Context) error {
	q, imp, err := h.loadImport(c, false)
	if err != nil {
		return err
	}
	if imp.Status.Mappable() {
		if !q.Status.Editable() {
			return errIssued()
		}
		v, err := h.mapView(c, q, imp, c.QueryParam("sheet"))
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, views.ImportMapPage(h.page(c, "Import · "+q.Title), v), views.ImportMapForm(v))
	}
	v, err := h.statusView(c, q, imp)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ImportStatusPage(h.page(c, "Import · "+q.Title), v), views.ImportProgress(v))
}

func (h *Handlers) statusView(c echo.Context, q *store.SOQ, imp store.SOQImport) (views.ImportStatusView, error) {
	if imp.Abandoned() {
		// River gave up on the job (every attempt's worker died) before the import could
		// record an end: record it now, so the page stops showing it running.
		msg := fmt.Sprintf("The import was interrupted %d times and has stopped; nothing was imported. Please start it again.", imp.JobAttempt)
		if err := h.st.FailImport(c.Request().Context(), imp.ID, msg); err != nil {
			return views.ImportStatusView{}, err
		}
		imp.Status, imp.Error = soq.ImportFailed, msg
	}
	v := views.ImportStatusView{Project: *currentProject(c), SOQ: *q, Import: imp}
	if imp.Status == soq.ImportDone && imp.RefusedRows > 0 {
		var err error
		if v.Refused, err = h.st.ImportRefusals(c.Request().Context(), imp.ID, reportRefusedRows); err != nil {
			return v, err
		}
		v.RefusedMore = imp.RefusedRows - len(v.Refused)
	}
	return v, nil
}

// importProgress is the polled partial: the bar, and the report once finished.
func (h *Handlers) importProgress(c echo.Context) error {
	q, imp, err := h.loadImport(c, false)
	if err != nil {
		return err
	}
	if !wantsFragment(c) {
		// Opened directly, not polled: the import's own page has the same report.
		return c.Redirect(http.StatusSeeOther, paths.Import(imp.ProjectID, imp.SOQID, imp.ID))
	}
	v, err := h.statusView(c, q, imp)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return renderStatus(c, http.StatusOK, views.ImportProgress(v))
}

func (h *Handlers) importStart(c echo.Context) error {
	ctx := c.Request().Context()
	q, imp, err := h.loadImport(c, true)
	if err != nil {
		return err
	}
	if !imp.Status.Mappable() {
		return redirect(c, views.ImportURL(imp))
	}
	sheet := c.FormValue("sheet")
	v, err := h.mapView(c, q, imp, sheet)
	if err != nil {
		return err
	}
	if v.Error != "" { // the sheet asked for is not usable: show the form again
		return render(c, http.StatusUnprocessableEntity, views.ImportMapPage(h.page(c, "Import · "+q.Title), v), views.ImportMapForm(v))
	}
	mapping, mode, msg := formMapping(c.FormValue, v)
	names := make([]string, len(mapping))
	for i, f := range mapping {
		names[i] = string(f)
	}
	if msg != "" {
		v.Mapping, v.Mode, v.Error = mapping, mode, msg
		return render(c, http.StatusUnprocessableEntity, views.ImportMapPage(h.page(c, "Import · "+q.Title), v), views.ImportMapForm(v))
	}
	if h.cfg.Jobs == nil {
		return &appError{Status: http.StatusServiceUnavailable, Message: "Background jobs are not running on this server, so the import cannot start. Please try again later."}
	}
	perUser := h.cfg.ImportsPerUser
	if perUser <= 0 {
		perUser = DefaultImportsPerUser
	}
	_, err = h.st.QueueImport(ctx, imp.ID, currentUser(c).ID, perUser, v.Table.Sheet, names, mode, func(tx *sql.Tx) (int64, error) {
		return h.cfg.Jobs.EnqueueImportTx(ctx, tx, q.ProjectID, q.ID, imp.ID)
	})
	var tooMany *store.TooManyImportsError
	if errors.As(err, &tooMany) {
		v.Mapping, v.Mode = mapping, mode
		v.Error = fmt.Sprintf("You already have %d imports running; wait for one to finish, then start this one.", tooMany.Running)
		return render(c, http.StatusTooManyRequests, views.ImportMapPage(h.page(c, "Import · "+q.Title), v), views.ImportMapForm(v))
	}
	if err != nil {
		return err
	}
	// Proposed the next time this person uploads a file with these columns. The import is
	// queued already: a failure here costs only the proposal, so it is logged, not shown.
	if err := h.st.RememberMapping(ctx, currentUser(c).ID, soqfile.HeaderSignature(v.Table.Header), names); err != nil {
		h.log.Warn("remember import mapping", "import", imp.ID, "err", err.Error())
	}
	return redirect(c, views.ImportURL(imp))
}

// importValidRows runs again, in mode valid_rows, an import that all or nothing refused:
// on the file and mapping it keeps, without another upload.
func (h *Handlers) importValidRows(c echo.Context) error {
	ctx := c.Request().Context()
	q, imp, err := h.loadImport(c, true)
	if err != nil {
		return err
	}
	if h.cfg.Jobs == nil {
		return &appError{Status: http.StatusServiceUnavailable, Message: "Background jobs are not running on this server, so the import cannot start. Please try again later."}
	}
	perUser := h.cfg.ImportsPerUser
	if perUser <= 0 {
		perUser = DefaultImportsPerUser
	}
	_, err = h.st.RunValidRows(ctx, imp.ID, currentUser(c).ID, perUser, func(tx *sql.Tx) (int64, error) {
		return h.cfg.Jobs.EnqueueImportTx(ctx, tx, q.ProjectID, q.ID, imp.ID)
	})
	var tooMany *store.TooManyImportsError
	if errors.As(err, &tooMany) {
		return &appError{Status: http.StatusTooManyRequests,
			Message: fmt.Sprintf("You already have %d imports running; wait for one to finish, then import the valid rows.", tooMany.Running)}
	}
	if err != nil {
		return err
	}
	// Queued, or not runnable again (a second click, nothing valid): the import's page says which.
	return redirect(c, views.ImportURL(imp))
}

// importRefusedCSV downloads the refused rows (row, reference, description, reason): a
// finished import's report, or, before the import starts, the check of the mapping in the
// query (sheet, col-0…), as the check panel links it.
func (h *Handlers) importRefusedCSV(c echo.Context) error {
	q, imp, err := h.loadImport(c, false)
	if err != nil {
		return err
	}
	var rows []soq.ImportRefusal
	switch {
	case imp.Finished():
		if rows, err = h.st.ImportRefusals(c.Request().Context(), imp.ID, soqfile.MaxRows); err != nil {
			return err
		}
	case imp.Status.Mappable():
		if !q.Status.Editable() {
			return errIssued()
		}
		v, err := h.mapView(c, q, imp, c.QueryParam("sheet"))
		if err != nil {
			return err
		}
		mapping, _, msg := formMapping(c.QueryParam, v)
		if msg == "" {
			msg = v.Error
		}
		if msg != "" {
			return &appError{Status: http.StatusUnprocessableEntity, Message: msg}
		}
		chk, all, err := h.checkRows(c, q, imp, v.Table.Sheet, mapping)
		if err != nil {
			return err
		}
		if chk.Error != "" {
			return &appError{Status: http.StatusUnprocessableEntity, Message: chk.Error}
		}
		rows = all
	default:
		return &appError{Status: http.StatusNotFound, Message: "The import is still running; its refused rows can be downloaded when it has finished."}
	}
	var buf bytes.Buffer
	if err := soqfile.WriteRefusedCSV(&buf, rows); err != nil {
		return err
	}
	base := strings.TrimSuffix(imp.Filename, path.Ext(imp.Filename))
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, base)
	hdr := c.Response().Header()
	hdr.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`-refused-rows.csv"`)
	hdr.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

func (h *Handlers) jobsPage(c echo.Context) error {
	pr := currentProject(c)
	page := pageNumber(c)
	rows, total, err := h.st.ProjectJobs(c.Request().Context(), pr.ID, jobsPerPage, (page-1)*jobsPerPage)
	if err != nil {
		return err
	}
	v := views.JobsView{Project: *pr, Jobs: rows, Pager: views.Pager{Page: page, PerPage: jobsPerPage, Total: total,
		URL: func(n int) string { return paths.Jobs(pr.ID) + "?page=" + strconv.Itoa(n) }}}
	return render(c, http.StatusOK, views.JobsPage(h.page(c, "Background jobs · "+pr.Name), v), nil)
}

// Export

func (h *Handlers) exportSOQ(c echo.Context, format string) error {
	q, err := h.loadSOQ(c, soqRead)
	if err != nil {
		return err
	}
	if err := h.st.LoadSOQ(c.Request().Context(), q, store.ItemFilter{}); err != nil {
		return err
	}
	var buf bytes.Buffer
	ctype := "text/csv; charset=utf-8"
	if format == soqfile.XLSX {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = soqfile.WriteXLSX(&buf, scheduleOf(*q))
	} else {
		err = soqfile.WriteCSV(&buf, scheduleOf(*q))
	}
	if err != nil {
		return err
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, q.Title)
	h2 := c.Response().Header()
	h2.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.`+format+`"`)
	h2.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, ctype, buf.Bytes())
}

// scheduleOf is a loaded SOQ as soqfile writes it.
func scheduleOf(q store.SOQ) soqfile.Schedule {
	out := soqfile.Schedule{Currency: q.Currency, Total: q.Total, Sections: make([]soqfile.ScheduleSection, len(q.Sections))}
	for i, s := range q.Sections {
		sec := soqfile.ScheduleSection{Code: s.Code, Title: s.Title, Total: s.Total, Items: make([]soqfile.ScheduleItem, len(s.Items))}
		for k, it := range s.Items {
			sec.Items[k] = soqfile.ScheduleItem{Reference: it.Reference, Description: it.Description, Unit: it.Unit, Trade: it.CategoryName.String,
				Quantity: it.Quantity, Rate: it.Rate, Amount: it.Amount, Type: it.Type}
		}
		out.Sections[i] = sec
	}
	return out
}

func (h *Handlers) apiSOQExportXLSX(c echo.Context) error { return h.exportSOQ(c, soqfile.XLSX) }
func (h *Handlers) apiSOQExportCSV(c echo.Context) error  { return h.exportSOQ(c, soqfile.CSV) }
