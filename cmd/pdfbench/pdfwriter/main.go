// Command pdfwriter writes one tender document and reports its time and the whole
// process's peak resident memory. pdfbench runs it as a separate process that links only
// package pdfdoc, so the peak is the document's plus a bare Go runtime, not the app's.
//
//	pdfwriter in.json out.pdf   → {"took":…,"peakKB":…,"bytes":…} on stdout
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/14build/14build/pdfdoc"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pdfwriter:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: pdfwriter in.json out.pdf")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	var t pdfdoc.Tender
	err = json.NewDecoder(bufio.NewReader(f)).Decode(&t)
	f.Close()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	t0 := time.Now()
	if err := pdfdoc.WriteTender(&buf, t); err != nil {
		return err
	}
	took := time.Since(t0)
	if err := os.WriteFile(args[1], buf.Bytes(), 0o600); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"took": took, "peakKB": peakKB(), "bytes": buf.Len()})
}

// peakKB is the process's peak resident set in kB: VmHWM on Linux, else rusage's maxrss.
func peakKB() int64 {
	if raw, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				return n
			}
		}
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss
}
