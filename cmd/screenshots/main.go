// Command screenshots signs in to a running 14Build as demo users and saves full-page PNGs of
// the main pages at desktop and phone widths, for people to look at.
//
//	go run ./cmd/screenshots -base http://localhost:8080 -out screenshots
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	base := flag.String("base", "http://localhost:8080", "address of a running 14Build with demo data")
	out := flag.String("out", "screenshots", "folder for the PNGs")
	only := flag.String("only", "", "comma-separated page names to take (default: all)")
	flag.Parse()
	if err := run(*base, *out, *only); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

type shot struct {
	name, as, path string
}

func run(base, out, only string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	shots := []shot{
		{"login", "", "/login"},
		{"register", "", "/register"},
		{"dashboard-owner", "olivia@harbourhomes.test", "/"},
		{"projects", "olivia@harbourhomes.test", "/projects"},
		{"projects-tendering", "olivia@harbourhomes.test", "/projects?status=tendering"},
		{"project-new", "olivia@harbourhomes.test", "/projects/new"},
		{"project", "olivia@harbourhomes.test", "/projects/{first}"},
		{"team", "olivia@harbourhomes.test", "/projects/{first}/team"},
		{"units", "olivia@harbourhomes.test", "/projects/{first}/units"},
		{"unit-new", "olivia@harbourhomes.test", "/projects/{first}/units/new"},
		{"soq-list", "olivia@harbourhomes.test", "/projects/{soqProject}/soq"},
		{"soq", "olivia@harbourhomes.test", "{soq}"},
		{"soq-filtered", "olivia@harbourhomes.test", "{soq}?type=provisional_sum"},
		{"soq-import", "olivia@harbourhomes.test", "{soq}/import"},
		{"jobs", "olivia@harbourhomes.test", "/projects/{soqProject}/jobs"},
		{"tenders", "olivia@harbourhomes.test", "/projects/{soqProject}/tenders"},
		{"tender-new", "olivia@harbourhomes.test", "/projects/{soqProject}/tenders/new"},
		{"tender-team", "olivia@harbourhomes.test", "{tender:1}"},
		{"tender-team-2", "olivia@harbourhomes.test", "{tender:2}"},
		{"leveling", "olivia@harbourhomes.test", "{tender:2}/leveling"},
		{"award-confirm", "olivia@harbourhomes.test", "{tender:2}/leveling{award}"},
		{"account", "olivia@harbourhomes.test", "/account"},
		{"dashboard-bidder", "bea@sparkelectrical.test", "/"},
		{"tender-board", "bea@sparkelectrical.test", "/tenders"},
		{"bid-submitted", "bea@sparkelectrical.test", "{board:Electrical package}"},
		{"bid-draft", "bob@flowplumbing.test", "{board:Electrical package}"},
		{"bid-closed", "cara@solidform.test", "{board:Concrete package}"},
		{"dashboard-inhouse", "ivan@harbourhomes.test", "/"},
		{"admin-users", "admin@14build.test", "/admin/users"},
		{"admin-user-new", "admin@14build.test", "/admin/users/new"},
		{"admin-user-edit-owner", "admin@14build.test", "{editOlivia}"},
		{"dashboard-invited", "quinn@harbourhomes.test", "/"},
		{"contract", "olivia@harbourhomes.test", "{contract}"},
		{"contract-ledger", "olivia@harbourhomes.test", "{contract}/ledger"},
		{"contracts", "cara@solidform.test", "/contracts"},
		{"contract-contractor", "cara@solidform.test", "{contract}"},
		{"work-packages", "olivia@harbourhomes.test", "/projects/{soqProject}/work-packages"},
		{"units-draft", "olivia@harbourhomes.test", "/projects/{first}/units/draft"},
		{"mailbox", "admin@14build.test", "/admin/mailbox"},
		{"password-forgot", "", "/password/forgot"},
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n != "" {
			want[n] = true
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.NoSandbox, chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	for _, w := range []struct {
		label         string
		width, height int64
		mobile        bool
	}{{"desktop", 1440, 900, false}, {"phone", 390, 844, true}} {
		var current string
		var ctx context.Context
		var stop context.CancelFunc = func() {}
		for _, s := range shots {
			if len(want) > 0 && !want[s.name] {
				continue
			}
			if s.as != current || ctx == nil {
				stop()
				ctx, stop = chromedp.NewContext(actx)
				current = s.as
				vopts := []chromedp.EmulateViewportOption{}
				if w.mobile {
					vopts = append(vopts, chromedp.EmulateMobile)
				}
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(w.width, w.height, vopts...)); err != nil {
					return err
				}
				if s.as != "" {
					if err := chromedp.Do(ctx,
						chromedp.Navigate(base+"/login"),
						chromedp.SendKeys("#email", s.as),
						chromedp.SendKeys("#password", "demo-password"),
						chromedp.Submit("#password"),
						// The sign-out form exists only once signed in (#main is on the login page too).
						chromedp.WaitReady(`form[action="/logout"]`),
					); err != nil {
						return fmt.Errorf("sign in as %s: %w", s.as, err)
					}
				}
			}
			path := s.path
			if strings.Contains(path, "{first}") {
				if err := chromedp.Do(ctx, chromedp.Navigate(base+"/projects")); err != nil {
					return err
				}
				href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("[data-project-row] a"), "href"))
				if err != nil {
					return err
				}
				path = strings.ReplaceAll(path, "/projects/{first}", href.Value)
			}
			if strings.Contains(path, "{soq") {
				// The demo SOQ: the first SOQ link on the SOQ tab of the project that has one.
				soqPath, err := demoSOQ(ctx, base)
				if err != nil {
					return err
				}
				projectPath, _, _ := strings.Cut(strings.TrimPrefix(soqPath, "/projects/"), "/")
				path = strings.ReplaceAll(path, "{soqProject}", projectPath)
				path = strings.ReplaceAll(path, "{soq}", soqPath)
			}
			if n, ok := strings.CutPrefix(path, "{tender:"); ok {
				// The demo tenders: the nth on the Tenders tab of the project with the SOQ.
				soqPath, err := demoSOQ(ctx, base)
				if err != nil {
					return err
				}
				projectPath, _, _ := strings.Cut(strings.TrimPrefix(soqPath, "/projects/"), "/")
				if err := chromedp.Do(ctx, chromedp.Navigate(base+"/projects/"+projectPath+"/tenders")); err != nil {
					return err
				}
				n, rest, _ := strings.Cut(n, "}") // what follows is a page of that tender
				href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelectorAll("#tender-list a")[`+n+`-1] || {}).getAttribute?.("href") || ""`))
				if err != nil || href == "" {
					return fmt.Errorf("%s: no such demo tender", s.name)
				}
				path = href + rest
			}
			if title, ok := strings.CutPrefix(path, "{board:"); ok {
				// A bidder's bid page: the tender of that title on its board.
				title = strings.TrimSuffix(title, "}")
				if err := chromedp.Do(ctx, chromedp.Navigate(base+"/tenders")); err != nil {
					return err
				}
				href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`([...document.querySelectorAll("#tender-board a")].find(a => a.textContent.trim() === `+strconv.Quote(title)+`) || {}).getAttribute?.("href") || ""`))
				if err != nil || href == "" {
					return fmt.Errorf("%s: no tender %q on the board", s.name, title)
				}
				path = href
			}
			if leveling, ok := strings.CutSuffix(path, "{award}"); ok {
				// The award's confirmation for the leveling page's first Award link.
				if err := chromedp.Do(ctx, chromedp.Navigate(base+leveling)); err != nil {
					return err
				}
				href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("a[data-award]") || {}).getAttribute?.("href") || ""`))
				if err != nil || href == "" {
					return fmt.Errorf("%s: no award link on %s", s.name, leveling)
				}
				path = href
			}
			if rest, ok := strings.CutPrefix(path, "{contract}"); ok {
				// The demo contract: the first on the signed-in user's contracts list.
				if err := chromedp.Do(ctx, chromedp.Navigate(base+"/contracts")); err != nil {
					return err
				}
				href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#contracts a") || {}).getAttribute?.("href") || ""`))
				if err != nil || href == "" {
					return fmt.Errorf("%s: no contract on /contracts", s.name)
				}
				path = href + rest
			}
			if path == "{editOlivia}" {
				// An owner's edit page shows the projects they own, each with a transfer form.
				if err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin/users?q=olivia")); err != nil {
					return err
				}
				href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`a[href$="/edit"]`), "href"))
				if err != nil {
					return err
				}
				path = href.Value
			}
			tctx, tcancel := context.WithTimeout(ctx, 20*time.Second)
			err := chromedp.Do(tctx, chromedp.Navigate(base+path), chromedp.Sleep(300*time.Millisecond))
			var png []byte
			if err == nil {
				png, err = chromedp.Run(tctx, chromedp.FullScreenshot(100))
			}
			tcancel()
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			file := filepath.Join(out, s.name+"-"+w.label+".png")
			if err := os.WriteFile(file, png, 0o644); err != nil {
				return err
			}
			fmt.Println(file)
		}
		stop()
	}
	return nil
}

// demoSOQ finds the path of the first SOQ on any of the signed-in user's projects.
func demoSOQ(ctx context.Context, base string) (string, error) {
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/projects")); err != nil {
		return "", err
	}
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("[data-project-row] a")).map(a => a.getAttribute("href"))`))
	if err != nil {
		return "", err
	}
	for _, href := range links {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+href+"/soq")); err != nil {
			return "", err
		}
		soq, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#soq-list a") || {}).getAttribute?.("href") || ""`))
		if err != nil {
			return "", err
		}
		if soq != "" {
			return soq, nil
		}
	}
	return "", fmt.Errorf("no demo project has an SOQ")
}
