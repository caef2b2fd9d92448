# 14Build. `make run` serves the app with demo data; `make test` runs every test.
# Without DATABASE_URL both start (or reuse) a private PostgreSQL under .data/postgres.

SHELL := /bin/bash
GO ?= go
ADDR ?= :8080

.PHONY: run build test generate css templ check-generated check-tidy check-norace lint bench clean-db help

help:
	@echo "make run     - serve 14Build on $(ADDR) with demo data (starts PostgreSQL if DATABASE_URL is unset)"
	@echo "make test    - all tests against a real PostgreSQL, with -race; fails on stale generated files"
	@echo "make bench   - benchmarks: the API load test (beside the seed stack when ../shared/seedpeer is present), the SOQ import against psql \\copy, login bursts (peak RSS), 500 bidders submitting at once and the leveling page (tenderbench), and the Go benchmarks"
	@echo "make generate- regenerate templ code and the CSS"

build:
	$(GO) build -o bin/14build ./cmd/14build

run: build
	@url="$${DATABASE_URL:-$$(scripts/pg.sh 14build)}" && \
	  echo "Serving 14Build at http://localhost$(ADDR) (demo logins in README.md)" && \
	  DATABASE_URL="$$url" ADDR="$(ADDR)" ./bin/14build -demo

# npm ci only when package-lock.json changed: npm writes node_modules/.package-lock.json on
# every install, so it is the stamp (a phony node_modules reinstalled on every make test).
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# -log-level warn: templ logs every run's progress at info.
templ:
	$(GO) tool templ generate -log-level warn

css: node_modules/.package-lock.json
	npx tailwindcss -c tailwind.config.js -i static/src/app.css -o static/dist/app.css --minify 2>/dev/null
	cp node_modules/htmx.org/dist/htmx.min.js static/dist/htmx.min.js
	cp node_modules/htmx-ext-sse/dist/sse.js static/dist/sse.js

generate: templ css

# Regenerates everything and fails if that changed a committed file: generated code must be
# committed current.
check-generated:
	@scripts/check-generated.sh

# gofmt and go vet: formatting slips and vet's findings fail the tests too.
lint:
	@out=$$(find . \( -path ./node_modules -o -path ./.data -o -path ./.git \) -prune -o -name '*.go' -print | xargs gofmt -l); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# go.mod and go.sum must be what go mod tidy makes them (requires marked indirect that are
# not, modules no longer used).
check-tidy:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy and commit the result" >&2; exit 1; }

# Packages that start no goroutine (file parsing, domain rules) run without -race: the
# detector finds races between goroutines, and their code runs concurrently, raced, under
# the handlers and jobs tests; it tripled soqfile's time. check-norace fails if one of them
# gains a go statement. Every other package, and every new one, runs with it.
MODULE := github.com/14build/14build
NORACE := soqfile soq money field ident authz project state units paths tender tzone escrow

check-norace:
	@if grep -rnE '(^|[^[:alnum:]_.])go +(func|[[:alnum:]_.]+\()' $(NORACE) --include='*.go'; then \
	  echo "these packages run without -race (NORACE in the Makefile): move the package out of NORACE" >&2; exit 1; fi

# -parallel 4: tests marked t.Parallel spend much of their time waiting on PostgreSQL, so
# twice the 2 that two cores give by default keeps both busy. atexit_sleep_ms=0: the race
# detector otherwise sleeps a second as each of the test binaries exits.
test: check-tidy check-generated lint check-norace
	@url="$${TEST_DATABASE_URL:-$${DATABASE_URL:-$$(scripts/pg.sh postgres)}}" && \
	  export TEST_DATABASE_URL="$$url" GORACE="atexit_sleep_ms=0 $$GORACE" && \
	  $(GO) test -count=1 -parallel 4 $(addprefix ./,$(NORACE)) && \
	  $(GO) test -race -count=1 -parallel 4 $$($(GO) list ./... | grep -vxF $(addprefix -e $(MODULE)/,$(NORACE)))

# The API load test uses wrk (a C client in its own process, so the server's CPU is measured
# alone); it is installed here where apt-get can, and loadgen falls back to its Go client
# (and says so) where it cannot.
bench: build
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  apt-get install -y -qq wrk >/dev/null 2>&1; } || echo "wrk not installed: the load test uses its Go client"
	@url="$${TEST_DATABASE_URL:-$${DATABASE_URL:-$$(scripts/pg.sh postgres)}}" && \
	  TEST_DATABASE_URL="$$url" $(GO) run ./cmd/loadgen && \
	  TEST_DATABASE_URL="$$url" $(GO) run ./cmd/importbench && \
	  TEST_DATABASE_URL="$$url" $(GO) run ./cmd/loginbench && \
	  TEST_DATABASE_URL="$$url" $(GO) run ./cmd/tenderbench && \
	  TEST_DATABASE_URL="$$url" $(GO) run ./cmd/ssebench && \
	  TEST_DATABASE_URL="$$url" $(GO) run ./cmd/pdfbench && \
	  TEST_DATABASE_URL="$$url" $(GO) test -run '^$$' -bench . -benchmem ./...

clean-db:
	@scripts/pg.sh --stop
	rm -rf .data
