// Command importbench times the SOQ spreadsheet import of 50,000 rows from an XLSX (the
// background job's work: read, check every row, write in one transaction) next to
// `psql \copy` of the same rows as CSV into an equivalent table on the same database, and
// prints both times and their ratio. It first times the upload's preview (the limits
// check and the first rows of every sheet) of expanding workbooks: a large one within the
// limits, and ones past them, which must be refused quickly.
//
//	TEST_DATABASE_URL=postgres://… go run ./cmd/importbench [-rows 50000]
package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/lib/pq"
	"github.com/xuri/excelize/v2"

	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/jobs"
	"github.com/14build/14build/project"
	"github.com/14build/14build/soqfile"
	"github.com/14build/14build/store"
)

func main() {
	rows := flag.Int("rows", 50_000, "rows to import")
	preview := flag.Bool("preview", true, "also time the upload preview of expanding workbooks")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the import runs to this file")
	flag.Parse()
	if *preview {
		if err := previewBench(); err != nil {
			fmt.Fprintln(os.Stderr, "importbench:", err)
			os.Exit(1)
		}
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "importbench:", err)
			os.Exit(1)
		}
		defer f.Close()
		profile = f
	}
	if err := run(context.Background(), *rows); err != nil {
		fmt.Fprintln(os.Stderr, "importbench:", err)
		os.Exit(1)
	}
}

type line struct {
	section, ref, desc, unit, qty, rate string
	rateMinor                           int64
}

func makeRows(n int) []line {
	units := []string{"m", "m2", "m3", "nr", "kg", "t"}
	out := make([]line, n)
	for i := range out {
		sec := string(rune('A' + i*10/n))
		minor := int64(1000 + i%9000*7)
		out[i] = line{section: sec + " Section " + sec, ref: fmt.Sprintf("%s%06d", sec, i+1),
			desc: fmt.Sprintf("Item %d: supply and fix, including all labour, plant and materials, complete", i+1),
			unit: units[i%len(units)], qty: strconv.FormatFloat(float64(i%5000)+0.125, 'f', 3, 64),
			rate: fmt.Sprintf("%d.%02d", minor/100, minor%100), rateMinor: minor}
	}
	return out
}

func run(ctx context.Context, n int) (err error) {
	st, dbURL, done, err := testdb.ScratchStore(ctx, os.Getenv, "importbench")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, done()) }()
	psql, err := findPsql()
	if err != nil {
		return err
	}

	rows := makeRows(n)
	// The XLSX, as a spreadsheet program would save it (values, one sheet).
	x := excelize.NewFile()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{"Section", "Reference", "Description", "Unit", "Quantity", "Rate"}); err != nil {
		return err
	}
	for i, r := range rows {
		q, _ := strconv.ParseFloat(r.qty, 64)
		rt, _ := strconv.ParseFloat(r.rate, 64)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{r.section, r.ref, r.desc, r.unit, q, rt}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	var xb bytes.Buffer
	if _, err := x.WriteTo(&xb); err != nil {
		return err
	}
	x.Close()

	// The same rows as CSV for \copy (rates already in minor units: \copy does no parsing).
	dir, err := os.MkdirTemp("", "importbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	csvPath := filepath.Join(dir, "rows.csv")
	var cb bytes.Buffer
	cw := csv.NewWriter(&cb)
	cw.Write([]string{"section", "reference", "description", "unit", "quantity", "rate", "item_type"})
	for _, r := range rows {
		cw.Write([]string{r.section, r.ref, r.desc, r.unit, r.qty, strconv.FormatInt(r.rateMinor, 10), "measured"})
	}
	cw.Flush()
	if err := os.WriteFile(csvPath, cb.Bytes(), 0o600); err != nil {
		return err
	}

	// An owner, a project and an empty SOQ.
	cats, err := st.Categories(ctx)
	if err != nil || len(cats) == 0 {
		return fmt.Errorf("categories: %v", err)
	}
	u, err := st.CreateUser(ctx, store.NewUser{Name: "Bench Owner", Email: "bench@14build.test", PasswordHash: "x", Role: "owner", Entity: "Bench"})
	if err != nil {
		return err
	}
	p, err := st.CreateProject(ctx, u.ID, store.ProjectInput{Name: "Bench", Code: "BENCH", Status: project.Planning, Currency: "usd", TimeZone: "UTC", BudgetAmount: 1})
	if err != nil {
		return err
	}

	fmt.Printf("SOQ import benchmark: %d rows (XLSX %.1f MB, CSV %.1f MB)\n", n, float64(xb.Len())/(1<<20), float64(cb.Len())/(1<<20))
	// The import and \copy run interleaved (import, copy, import, copy…): on a shared
	// machine whose load changes from minute to minute, each pair meets the same load.
	var times, copies, impCPU, copyCPU []time.Duration
	const runs = 3
	for i := range runs {
		d, c, err := importOnce(ctx, st, p.ID, u.ID, i, xb.Bytes(), n)
		if err != nil {
			return err
		}
		times, impCPU = append(times, d), append(impCPU, c)
		if d, c, err = copyOnce(ctx, st, psql, dbURL, csvPath, i); err != nil {
			return err
		}
		copies, copyCPU = append(copies, d), append(copyCPU, c)
	}
	imp, cp := median(times), median(copies)
	fmt.Printf("  import job (read XLSX, check every row, write in one transaction): %8.0f ms, CPU %6.0f ms  (runs: %v)\n", ms(imp), ms(median(impCPU)), msList(times))
	fmt.Printf("  psql \\copy of the same rows as CSV into an equivalent table:      %8.0f ms, CPU %6.0f ms  (runs: %v)\n", ms(cp), ms(median(copyCPU)), msList(copies))
	ratio := float64(imp) / float64(cp)
	verdict := "within"
	if ratio > importLimit {
		verdict = "OVER"
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("  ratio import / \\copy: %.1f×   (limit %.0f×: %s); CPU (app and PostgreSQL, client and server): %.1f×; load average %s\n",
		ratio, importLimit, verdict, float64(median(impCPU))/float64(median(copyCPU)), strings.Join(strings.Fields(string(load))[:3], " "))
	// Not like with like, in \copy's favour: the ratio is an upper bound on the import's cost.
	fmt.Println("  (\\copy's table: 8 columns, primary key and one unique index, no foreign keys; soq_items: 15 columns, primary key,")
	fmt.Println("   unique (soq_id, lower(reference)) and (section_id, position), foreign keys to its section and category checked per row)")
	return nil
}

// importLimit is the goal: the import of 50,000 rows within this many times psql \copy.
const importLimit = 3.0

// importOnce runs one import job of the workbook into a new SOQ and checks every row went in.
func importOnce(ctx context.Context, st *store.Store, projectID, userID string, i int, xlsx []byte, n int) (time.Duration, time.Duration, error) {
	soqID, err := st.CreateSOQ(ctx, projectID, userID, store.NewSOQ{Title: fmt.Sprintf("Bench %d", i), Currency: "usd"})
	if err != nil {
		return 0, 0, err
	}
	id, err := st.CreateImport(ctx, store.NewImport{SOQID: soqID, ProjectID: projectID, Filename: "bench.xlsx", Format: soqfile.XLSX, Content: xlsx, CreatedBy: userID})
	if err != nil {
		return 0, 0, err
	}
	mapping := []string{"section", "reference", "description", "unit", "quantity", "rate"}
	if _, err := st.QueueImport(ctx, id, "", 0, "Sheet1", mapping, store.ModeAllOrNothing, func(*sql.Tx) (int64, error) { return 0, nil }); err != nil {
		return 0, 0, err
	}
	if profile != nil {
		if err := pprof.StartCPUProfile(profile); err != nil {
			return 0, 0, err
		}
	}
	cpu0, err := importCPU(ctx, st)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	err = jobs.RunImport(ctx, st, id)
	d := time.Since(start)
	cpu1, cerr := importCPU(ctx, st)
	if profile != nil {
		pprof.StopCPUProfile()
		profile = nil // the first run only: one profile per file
	}
	if err != nil {
		return 0, 0, err
	}
	imp, err := st.Import(ctx, soqID, id)
	if err != nil {
		return 0, 0, err
	}
	if imp.ImportedRows != n {
		return 0, 0, fmt.Errorf("imported %d rows, want %d (refused %d)", imp.ImportedRows, n, imp.RefusedRows)
	}
	if cerr != nil {
		return 0, 0, cerr
	}
	return d, cpu1.since(cpu0), nil
}

// copyOnce times psql \copy of the CSV into a new table like soq_items' essentials.
func copyOnce(ctx context.Context, st *store.Store, psql, dbURL, csvPath string, i int) (time.Duration, time.Duration, error) {
	table := fmt.Sprintf("bench_copy_%d", i)
	if _, err := st.DB().ExecContext(ctx, `CREATE TABLE `+table+` (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(), section text NOT NULL, reference text NOT NULL, description text NOT NULL,
	unit text NOT NULL, quantity numeric(15, 3) NOT NULL CHECK (quantity >= 0), rate bigint NOT NULL CHECK (rate >= 0), item_type text NOT NULL)`); err != nil {
		return 0, 0, err
	}
	if _, err := st.DB().ExecContext(ctx, `CREATE UNIQUE INDEX ON `+table+` (lower(reference))`); err != nil {
		return 0, 0, err
	}
	// psql reads its commands from a pipe, so that its server process's CPU can be read
	// before and after the \copy (it ends with psql).
	cmd := exec.CommandContext(ctx, psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dbURL)
	in, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer cmd.Wait()
	defer in.Close()
	lines := bufio.NewScanner(out)
	readLine := func() (string, error) {
		if !lines.Scan() {
			return "", fmt.Errorf("psql: %s", stderr.String())
		}
		return strings.TrimSpace(lines.Text()), nil
	}
	fmt.Fprintln(in, `SELECT pg_backend_pid();`)
	pidText, err := readLine()
	if err != nil {
		return 0, 0, err
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil {
		return 0, 0, fmt.Errorf("psql backend pid %q", pidText)
	}
	before := procCPU(pid)
	start := time.Now()
	fmt.Fprintln(in, `\copy `+table+` (section, reference, description, unit, quantity, rate, item_type) FROM '`+csvPath+`' WITH (FORMAT csv, HEADER true)`)
	fmt.Fprintln(in, `\echo copied`)
	if l, err := readLine(); err != nil || l != "copied" {
		return 0, 0, fmt.Errorf("psql \\copy: %q %v", l, err)
	}
	d := time.Since(start)
	server := procCPU(pid) - before
	in.Close()
	if err := cmd.Wait(); err != nil {
		return 0, 0, fmt.Errorf("psql: %v: %s", err, stderr.String())
	}
	client := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return d, server + client, nil
}

// cpuMark is the CPU this process and the database's server processes had used.
type cpuMark struct {
	self    time.Duration
	servers map[int]time.Duration
}

func (m cpuMark) since(before cpuMark) time.Duration {
	d := m.self - before.self
	for pid, t := range m.servers {
		d += t - before.servers[pid] // a server started meanwhile counts from zero
	}
	return d
}

// importCPU reads this process's CPU and that of the server processes connected to the
// bench's database (the import's connections), from /proc: CPU is what a busy machine
// cannot distort the way it does wall time.
func importCPU(ctx context.Context, st *store.Store) (cpuMark, error) {
	var pids []int
	if err := st.DB().SelectContext(ctx, &pids, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`); err != nil {
		return cpuMark{}, err
	}
	m := cpuMark{servers: map[int]time.Duration{}}
	for _, pid := range pids {
		m.servers[pid] = procCPU(pid)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuMark{}, err
	}
	m.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return m, nil
}

// procCPU is a process's user and system CPU from /proc/<pid>/stat (0 when unreadable:
// PostgreSQL on another machine).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) close with ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+stt) * time.Second / clockTicks
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on
// every Linux this runs on).
const clockTicks = 100

// profile, when set, receives a CPU profile of the first import run.
var profile io.Writer

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func msList(ds []time.Duration) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = fmt.Sprintf("%.0f", ms(d))
	}
	return out
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func findPsql() (string, error) {
	if p := os.Getenv("PSQL"); p != "" {
		return p, nil
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
	if len(m) > 0 {
		sort.Strings(m)
		return m[len(m)-1], nil
	}
	if p, err := exec.LookPath("psql"); err == nil {
		return p, nil
	}
	return "", errors.New("psql not found: install postgresql-client or set PSQL")
}

// previewBench times soqfile.ReadPreview — all the upload does with a file before storing
// it — on expanding workbooks.
func previewBench() error {
	fmt.Println("Upload preview of expanding workbooks (limits check, first rows of every sheet):")
	// Within the limits and as large as they allow: 100,000 rows × 9 columns.
	x := excelize.NewFile()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	sw.SetRow("A1", []any{"Section", "Reference", "Description", "Unit", "Quantity", "Rate", "Type", "Trade", "Notes"})
	for i := range soqfile.MaxRows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{"A Section", fmt.Sprintf("A%06d", i), fmt.Sprintf("Item %d: supply and fix, including all labour, plant and materials", i),
			"m2", float64(i) + 0.125, 12.5, "measured", "Concrete", fmt.Sprintf("note %d", i)}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	var large bytes.Buffer
	if _, err := x.WriteTo(&large); err != nil {
		return err
	}
	x.Close()
	if err := timePreview(fmt.Sprintf("within the limits: %d rows × 9 columns", soqfile.MaxRows), large.Bytes(), false); err != nil {
		return err
	}
	// Within the limits: 60 MB of shared strings (a million), the first rows using the
	// first ones (as spreadsheet programs write them) or the last one (the worst case).
	for _, last := range []bool{false, true} {
		wb, err := sharedStringsWorkbook(60<<20, last)
		if err != nil {
			return err
		}
		name := "within the limits: 60 MB of shared strings, first rows using early ones"
		if last {
			name = "within the limits: 60 MB of shared strings, first row using the last one"
		}
		if err := timePreview(name, wb, false); err != nil {
			return err
		}
	}
	// The report's shape: a small file whose sheet unzips to 220 MB.
	big, err := expanding(220<<20, func(i int) string {
		return fmt.Sprintf(`<row r="%d"><c r="A%d" t="inlineStr"><is><t>Item</t></is></c><c r="B%d"><v>%d</v></c></row>`, i, i, i, i%10)
	})
	if err != nil {
		return err
	}
	if err := timePreview("over the limits: the report's 220 MB sheet", big, true); err != nil {
		return err
	}
	// Within the total but expanding about 1000:1.
	bomb, err := expanding(8<<20, func(int) string { return `<row><c t="inlineStr"><is><t>Same row again</t></is></c></row>` })
	if err != nil {
		return err
	}
	return timePreview("over the limits: 8 MB of identical rows", bomb, true)
}

// sharedStringsWorkbook writes a workbook with about size bytes of shared strings and a
// sheet of two rows using some of them.
func sharedStringsWorkbook(size int, useLast bool) ([]byte, error) {
	var sst bytes.Buffer
	sst.WriteString(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	k := 0
	for ; sst.Len() < size; k++ {
		fmt.Fprintf(&sst, "<si><t>String number %d with some text %x</t></si>", k, k*7919)
	}
	sst.WriteString(`</sst>`)
	first := 3
	if useLast {
		first = k - 1
	}
	sheet := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>%d</v></c><c r="B1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>`, first)
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/sharedStrings.xml", sst.String()},
		{"xl/worksheets/sheet1.xml", sheet},
	} {
		w, err := zw.Create(p[0])
		if err != nil {
			return nil, err
		}
		io.WriteString(w, p[1])
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// expanding writes a workbook whose one sheet is about size bytes of rows made by row.
func expanding(size int, row func(i int) string) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	parts := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"} {
		w, err := zw.Create(name)
		if err != nil {
			return nil, err
		}
		w.Write([]byte(parts[name]))
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate})
	if err != nil {
		return nil, err
	}
	n, _ := io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for i := 1; n < size; i++ {
		m, _ := io.WriteString(w, row(i))
		n += m
	}
	io.WriteString(w, `</sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func timePreview(name string, content []byte, refuse bool) error {
	unzipped := uint64(0)
	if zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content))); err == nil {
		for _, f := range zr.File {
			unzipped += f.UncompressedSize64
		}
	}
	var times []time.Duration
	var msg string
	for range 3 {
		start := time.Now()
		_, err := soqfile.ReadPreview(soqfile.XLSX, content)
		times = append(times, time.Since(start))
		var fe *soqfile.FileError
		switch {
		case refuse && errors.As(err, &fe) && fe.TooLarge:
			msg = "refused (413): " + fe.Msg
		case refuse:
			return fmt.Errorf("%s: not refused for its size (%v)", name, err)
		case err != nil:
			return fmt.Errorf("%s: %w", name, err)
		default:
			msg = "previewed"
		}
	}
	fmt.Printf("  %s (%.2f MB unzipping to %.1f MB): %6.0f ms (runs: %v), %s\n", name, float64(len(content))/(1<<20), float64(unzipped)/(1<<20),
		ms(median(times)), msList(times), msg)
	return nil
}
