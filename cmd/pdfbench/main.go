// Command pdfbench times the printable tender document of 5,000 items two ways on the
// same machine in the same run:
//
//  1. fpdf: GET /tenders/{id}/tender.pdf through the real server on loopback, cold (the
//     rendered-PDF cache emptied before each of 3 requests, the best kept), and the peak
//     memory of writing the same document in a process of its own that links only pdfdoc
//     (cmd/pdfbench/pdfwriter: its VmHWM, so the figure is the document's, not the app's);
//  2. Chromium: the tender's HTML print view (GET /tenders/{id}/print, saved to a file)
//     printed with headless Chromium --print-to-pdf; wall time, and the peak of the summed
//     RSS of its process tree sampled every 50 ms.
//
// It prints both rows (time, peak MB, pages by pdfinfo) and the ratios. The aim: fpdf at
// least 25× faster than Chromium and under 60 MB. Without Chromium (or pdfinfo) it says so
// and prints the fpdf row alone.
//
// Usage:
//
//	TEST_DATABASE_URL=postgres://… go run ./cmd/pdfbench [-items 5000]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/handlers"
	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/pdfdoc"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pdfbench:", err)
		os.Exit(1)
	}
}

const password = "bench-password-1"

var cheap = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// childResult is what pdfwriter reports on its stdout.
type childResult struct {
	Took   time.Duration `json:"took"`
	PeakKB int64         `json:"peakKB"` // VmHWM: the whole process's peak
	Bytes  int           `json:"bytes"`
}

type row struct {
	name   string
	took   time.Duration
	peakMB float64
	pages  int
	note   string
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("pdfbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	items := fs.Int("items", 5000, "items of the tender")
	reps := fs.Int("reps", 3, "cold renders of the PDF (the best is kept)")
	browser := fs.String("chromium", "", "the Chromium binary (default: chromium, chromium-browser on PATH)")
	keep := fs.String("keep", "", "keep the PDFs, the print view and the child's input in this directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "pdfbench: "+format+"\n", a...) }
	dir, err := os.MkdirTemp("", "pdfbench-") // removed at the end unless -keep
	if err != nil {
		return err
	}
	if *keep != "" {
		dir = *keep
	} else {
		defer os.RemoveAll(dir)
	}

	st, _, done, err := testdb.ScratchStore(ctx, getenv, "pdfbench")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, done()) }()
	h := handlers.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), handlers.Config{Argon2: cheap, LoginLimitIP: 1 << 20})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h.Echo(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	base := "http://" + ln.Addr().String()

	progress("a tender of %d items", *items)
	email, doc, tenderID, err := makeTender(ctx, st, *items)
	if err != nil {
		return err
	}
	hc, err := login(ctx, base, email)
	if err != nil {
		return err
	}

	// (a) fpdf through the route, cold.
	var best time.Duration
	var pdf []byte
	for i := range *reps {
		handlers.ResetPDFCaches()
		t0 := time.Now()
		body, err := get(hc, base+"/tenders/"+tenderID+"/tender.pdf")
		took := time.Since(t0)
		if err != nil {
			return err
		}
		if i == 0 || took < best {
			best = took
		}
		pdf = body
	}
	fpdfPath := filepath.Join(dir, "fpdf.pdf")
	if err := os.WriteFile(fpdfPath, pdf, 0o600); err != nil {
		return err
	}
	// Its peak memory, in a process of its own.
	in := filepath.Join(dir, "tender.json")
	raw, _ := json.Marshal(doc)
	if err := os.WriteFile(in, raw, 0o600); err != nil {
		return err
	}
	// pdfwriter links only package pdfdoc: its whole peak is the document's plus a bare Go
	// runtime (the bench binary links the whole app and holds ~28 MB idle).
	writer := filepath.Join(dir, "pdfwriter")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", writer, "./cmd/pdfbench/pdfwriter").CombinedOutput(); err != nil {
		return fmt.Errorf("go build pdfwriter: %w: %s", err, out)
	}
	out, err := exec.CommandContext(ctx, writer, in, filepath.Join(dir, "child.pdf")).Output()
	if err != nil {
		return fmt.Errorf("pdfwriter: %w", err)
	}
	var cr childResult
	if err := json.Unmarshal(out, &cr); err != nil {
		return fmt.Errorf("pdfwriter said %q: %w", out, err)
	}
	fp := row{name: "fpdf (GET tender.pdf, cold)", took: best, peakMB: float64(cr.PeakKB) / 1024,
		pages: pdfPages(fpdfPath), note: fmt.Sprintf("peak RSS of a process that reads the tender and writes its PDF (pdfwriter: WriteTender %s); %.1f MB PDF",
			ms(cr.Took), float64(len(pdf))/(1<<20))}
	rows := []row{fp}

	// (b) Chromium printing the print view.
	exeC := *browser
	if exeC == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				exeC = p
				break
			}
		}
	}
	if exeC == "" {
		progress("Chromium not found (chromium, chromium-browser, google-chrome): the Chromium row is skipped")
	} else {
		html, err := get(hc, base+"/tenders/"+tenderID+"/print")
		if err != nil {
			return err
		}
		page := filepath.Join(dir, "print.html")
		if err := os.WriteFile(page, html, 0o600); err != nil {
			return err
		}
		progress("Chromium printing %s of HTML", mb(len(html)))
		cr, err := chromium(ctx, exeC, page, filepath.Join(dir, "chromium.pdf"))
		if err != nil {
			return err
		}
		rows = append(rows, cr)
	}

	fmt.Fprintf(stdout, "\nTender document PDF, %d items (%d CPUs)\n", *items, runtime.NumCPU())
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\ttime\tpeak RSS\tpages\t\n")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%.1f MB\t%d\t%s\n", r.name, ms(r.took), r.peakMB, r.pages, r.note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var fails []string
	if len(rows) == 2 {
		speed := float64(rows[1].took) / float64(rows[0].took)
		fmt.Fprintf(stdout, "fpdf is %.1f× faster than Chromium and uses %.1f× less memory (aim: ≥25× faster, <60 MB)\n",
			speed, rows[1].peakMB/rows[0].peakMB)
		if speed < 25 {
			fails = append(fails, fmt.Sprintf("fpdf only %.1f× faster", speed))
		}
	}
	if doc := float64(cr.PeakKB) / 1024; doc >= 60 {
		fails = append(fails, fmt.Sprintf("fpdf's document took %.1f MB", doc))
	}
	if len(fails) > 0 {
		fmt.Fprintf(stdout, "MISSED THE AIM: %s\n", strings.Join(fails, "; "))
	}
	return nil
}

// chromium prints page with headless Chromium into out, timing it and sampling the RSS
// of its whole process tree.
func chromium(ctx context.Context, exe, page, out string) (row, error) {
	r := row{name: "Chromium --print-to-pdf (print view)"}
	profile, err := os.MkdirTemp("", "pdfbench-chromium-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+profile,
		"--print-to-pdf="+out, "--no-pdf-header-footer", "file://"+page)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &errb
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	stop := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var max int64
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb := treeRSS(cmd.Process.Pid); kb > max {
				max = kb
			}
			select {
			case <-stop:
				peak <- max
				return
			case <-tick.C:
			}
		}
	}()
	err = cmd.Wait()
	r.took = time.Since(t0)
	close(stop)
	maxKB := <-peak
	if err != nil {
		return r, fmt.Errorf("chromium: %w: %.500s", err, errb.String())
	}
	var single int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		single = ru.Maxrss // the largest single process of the tree (wait4's rusage)
	}
	if single > maxKB {
		maxKB = single // the sampling missed the peak
	}
	r.peakMB = float64(maxKB) / 1024
	r.pages = pdfPages(out)
	if fi, err := os.Stat(out); err == nil {
		r.note = fmt.Sprintf("%.1f MB PDF; PSS summed over the process tree, sampled every 50 ms; largest single process %.1f MB RSS",
			float64(fi.Size())/(1<<20), float64(single)/1024)
	}
	return r, nil
}

// treeRSS sums the memory (kB) of root and every process descended from it or in its
// process group: each one's proportional set size (PSS: shared pages divided among the
// processes sharing them, so the sum counts them once), or its RSS where PSS is unreadable.
func treeRSS(root int) int64 {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	type proc struct {
		ppid, pgrp int
		rssKB      int64
	}
	procs := map[int]proc{}
	page := int64(os.Getpagesize() / 1024)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(raw)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:]) // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice threads itreal starttime vsize rss
		if len(f) < 22 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pgrp, _ := strconv.Atoi(f[2])
		rss, _ := strconv.ParseInt(f[21], 10, 64)
		procs[pid] = proc{ppid, pgrp, rss * page}
	}
	var sum int64
	for pid, p := range procs {
		in := p.pgrp == root
		for q, hops := pid, 0; !in && q > 1 && hops < 64; hops++ {
			if q == root {
				in = true
				break
			}
			q = procs[q].ppid
		}
		if in {
			if pss := pssKB(pid); pss > 0 {
				sum += pss
			} else {
				sum += p.rssKB
			}
		}
	}
	return sum
}

// pssKB is a process's proportional set size in kB from smaps_rollup, 0 if unreadable.
func pssKB(pid int) int64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(l, "Pss:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

var pagesRE = regexp.MustCompile(`(?m)^Pages:\s+(\d+)`)

// pdfPages is the PDF's page count by pdfinfo, 0 when pdfinfo is missing.
func pdfPages(path string) int {
	out, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		return 0
	}
	m := pagesRE.FindSubmatch(out)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// makeTender makes an owner, a project and an open tender of n items in sections of
// about 250, with descriptions of mixed lengths, a few allowances and an addendum, and
// returns the tender document as the route builds it (for the child).
func makeTender(ctx context.Context, st *store.Store, n int) (email string, doc pdfdoc.Tender, tenderID string, err error) {
	hash, err := argon2id.CreateHash(password, cheap)
	if err != nil {
		return "", doc, "", err
	}
	cats, err := st.Categories(ctx)
	if err != nil || len(cats) == 0 {
		return "", doc, "", fmt.Errorf("categories: %v", err)
	}
	email = "owner@pdfbench.test"
	owner, err := st.CreateUser(ctx, store.NewUser{Name: "Bench Owner", Email: email, PasswordHash: hash,
		Role: authz.RoleOwner, Entity: "Harbour Homes Ltd"})
	if err != nil {
		return "", doc, "", err
	}
	p, err := st.CreateProject(ctx, owner.ID, store.ProjectInput{Name: "Harbour View Townhouses — Stage 2", Code: "HVT-02",
		Address: "12 Quay Street, Auckland 1010", Status: "tendering", Currency: "nzd", TimeZone: "Pacific/Auckland"})
	if err != nil {
		return "", doc, "", err
	}
	const per = 250
	long := "Supply and install reinforced concrete ground floor slab 150 mm thick on polythene damp-proof " +
		"membrane, including mesh reinforcement, chairs, saw cut control joints at maximum six metre centres, " +
		"curing compound and protection until handover, complete"
	units := []string{"m2", "m3", "m", "nr", "item", "hr"}
	var secs []store.NewSection
	for i := range n {
		if i%per == 0 {
			code := fmt.Sprintf("%c%d", 'A'+rune(i/per%26), i/per/26+1)
			secs = append(secs, store.NewSection{Code: code, Title: "Trade section " + code + " — works and façade"})
		}
		s := &secs[len(secs)-1]
		it := soq.Item{Reference: fmt.Sprintf("%s.%d", s.Code, len(s.Items)+1),
			Description: fmt.Sprintf("Item %d: excavate trench for strip footing, cart away spoil", i+1),
			Unit:        units[i%len(units)], Quantity: soq.Quantity(1000 + i%97*1250), Type: soq.Measured}
		switch {
		case i%7 == 3:
			it.Description = long
		case i%250 == 249:
			it.Type, it.Unit, it.Quantity, it.Rate = soq.ProvisionalSum, "sum", 1000, 500000
			it.Description = "Provisional sum for contingencies"
		}
		s.Items = append(s.Items, store.NewItem{Item: it})
	}
	q, err := st.CreateSOQ(ctx, p.ID, owner.ID, store.NewSOQ{Title: "Main contract SOQ", Currency: "nzd", Status: soq.Issued, Sections: secs})
	if err != nil {
		return "", doc, "", err
	}
	tenderID, err = st.CreateTender(ctx, p.ID, owner.ID, store.NewTender{SOQID: q, Title: "Main contract works",
		Instructions: "Price every measured item. Rates include labour, plant, materials and overheads.",
		ClosesAt:     time.Now().Add(72 * time.Hour), Sealed: true, CategoryIDs: []int64{cats[0].ID}})
	if err != nil {
		return "", doc, "", err
	}
	if err := st.OpenTender(ctx, tenderID, owner.ID, time.Now()); err != nil {
		return "", doc, "", err
	}
	t, err := st.Tender(ctx, tenderID)
	if err != nil {
		return "", doc, "", err
	}
	copySecs, err := st.TenderCopy(ctx, tenderID)
	if err != nil {
		return "", doc, "", err
	}
	// The same document the route writes (handlers.renderTenderPDF), for the child.
	doc = pdfdoc.Tender{Reference: "HVT-02/" + strings.ToUpper(strings.ReplaceAll(tenderID, "-", "")[:8]), ProjectName: p.Name,
		ProjectCode: p.Code, ProjectAddress: p.Address, OwnerCompany: "Harbour Homes Ltd", Title: t.Title, Instructions: t.Instructions,
		IssuedAt: t.OpenedAt.Time, ClosesAt: t.ClosesAt, TimeZone: p.TimeZone, Currency: "nzd"}
	for _, s := range copySecs {
		ps := pdfdoc.Section{Code: s.Code, Title: s.Title}
		for _, it := range s.Items {
			pi := pdfdoc.Item{Reference: it.Reference, Description: it.Description, Unit: it.Unit, Quantity: it.Quantity, Type: it.Type}
			if it.Type.Fixed() {
				pi.Allowance = it.Amount.Int64
			}
			ps.Items = append(ps.Items, pi)
		}
		doc.Sections = append(doc.Sections, ps)
	}
	return email, doc, tenderID, nil
}

func login(ctx context.Context, base, email string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 5 * time.Minute}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login %s: %d", email, res.StatusCode)
	}
	return hc, nil
}

func get(hc *http.Client, url string) ([]byte, error) {
	res, err := hc.Get(url)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %.300s", url, res.StatusCode, body)
	}
	return body, nil
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 0, 64) + " ms"
}

func mb(n int) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB" }
