# casetrack — see README. Without DATABASE_URL, `make run` and `make test` find or
# start a PostgreSQL server by themselves (scripts/postgres.sh).

GOBIN       := $(or $(shell go env GOBIN),$(firstword $(subst :, ,$(shell go env GOPATH)))/bin)
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := 0.8.2
TESTFLAGS   ?=

.PHONY: build run test lint staticcheck clean bench screenshots

build:
	go build -o bin/casetrack ./cmd/casetrack

# Demo data is loaded only into an empty database; later runs keep your data.
run: build
	@DATABASE_URL="$$(scripts/postgres.sh casetrack)" || exit 1; export DATABASE_URL; \
	echo "DATABASE_URL=$$DATABASE_URL"; \
	bin/casetrack migrate && bin/casetrack seed demo --if-empty && exec bin/casetrack serve

# Fuzz targets run their seed corpus as ordinary tests. Tests use TEST_DATABASE_URL,
# or else the local server, or else a private fsync-less cluster (never DATABASE_URL).
test: lint
	@TEST_DATABASE_URL="$${TEST_DATABASE_URL:-$$(DATABASE_URL= scripts/postgres.sh --fast postgres)}" || exit 1; \
	export TEST_DATABASE_URL; echo "TEST_DATABASE_URL=$$TEST_DATABASE_URL"; \
	go test -race $(TESTFLAGS) ./...

# Screenshots of the web view with the demo data, into docs/screenshots/
# (needs Chromium and a Chinese font: apt-get install chromium fonts-noto-cjk).
screenshots:
	@TEST_DATABASE_URL="$${TEST_DATABASE_URL:-$$(DATABASE_URL= scripts/postgres.sh --fast postgres)}" || exit 1; \
	export TEST_DATABASE_URL; go test ./handlers -run '^TestBrowser$$/^screenshots$$' -screenshots -count=1 -v

lint: staticcheck
	go vet ./...
	$(STATICCHECK) ./...

# Installs the pinned staticcheck into GOBIN unless that version is already there.
staticcheck:
	@$(STATICCHECK) -version 2>/dev/null | grep -qF '($(STATICCHECK_VERSION))' || \
		GOBIN=$(GOBIN) go install honnef.co/go/tools/cmd/staticcheck@v$(STATICCHECK_VERSION)

# Measures casetrack on a database of its own with 1,000,000 cases (filled on the first run, kept
# for later ones) against pgbench running the same statements; prints one table and rewrites
# docs/PERFORMANCE.md. A quicker run on a smaller database: make bench CASES=100000.
bench:
	go run ./cmd/bench -cases $(or $(CASES),1000000) -command "make bench$(if $(CASES), CASES=$(CASES))"

clean:
	rm -rf bin/ coverage.out coverage.html *.coverprofile *.test *.prof *.pprof
