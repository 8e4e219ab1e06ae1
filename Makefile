# left4me — run `make help` for the targets.

GO        ?= go
BIN       := bin
TEMPL     := $(GO) tool templ
# Every shell script in the tree, found by its shebang.
SH_FILES  := $(shell grep -rlE '^\#!(/usr/bin/env )?/?(bin/)?(ba|da)?sh' deploy .ci e2e docs 2>/dev/null)
BENCHTIME ?= 1s

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: generate ## Build bin/left4me and bin/l4d2ctl
	$(GO) build -o $(BIN)/ ./cmd/...

.PHONY: generate
generate: ## Regenerate templ views (commit the *_templ.go files)
	@if ls views/*.templ >/dev/null 2>&1; then $(TEMPL) generate -path views; fi

.PHONY: fmt-check
fmt-check: ## Fail when gofmt would change a file
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

.PHONY: shellcheck
shellcheck: ## sh -n and shellcheck on every shell script (root with apt: installs shellcheck; otherwise skipped with a note, never under CI=true)
	@for f in $(SH_FILES); do sh -n "$$f" || exit 1; done
	@if ! command -v shellcheck >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "shellcheck is not installed: apt-get install -y shellcheck"; \
		apt-get install -y -qq --no-install-recommends shellcheck >/dev/null 2>&1 || \
			{ apt-get update -qq && apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; }; \
	fi; \
	if command -v shellcheck >/dev/null; then echo "shellcheck $(SH_FILES)"; shellcheck $(SH_FILES); \
	elif [ "$$CI" = true ]; then echo "shellcheck is not installed (apt-get install -y shellcheck); CI=true must not skip it"; exit 1; \
	else echo "SKIP: shellcheck is not installed (apt-get install -y shellcheck, or make test as root): the shell scripts had sh -n only"; fi

.PHONY: generate-check
generate-check: ## Fail when generated templ code is stale
	@if ls views/*.templ >/dev/null 2>&1; then \
		$(TEMPL) generate -path views >/dev/null && \
		git diff --exit-code -- views || { echo "generated templ code is stale: run make generate and commit"; exit 1; }; \
	fi

.PHONY: lint
lint: fmt-check shellcheck ## gofmt check, go vet and shellcheck
	$(GO) vet ./...

.PHONY: test
test: lint generate-check ## The whole suite: lint, then go test -race -shuffle=on
	$(GO) test -race -shuffle=on ./...

.PHONY: bench
bench: ## Run the benchmarks (BENCHTIME=1s)
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

.PHONY: fuzz
fuzz: ## Fuzz the name rule in Go and in the helpers, the create/update endpoints, the A2S parsers, the RCON status parser, add-on paths and archives, for 30 s each
	$(GO) test -run='^$$' -fuzz=FuzzValidateName -fuzztime=30s ./hostbackend
	$(GO) test -run='^$$' -fuzz=FuzzHelperNameRule -fuzztime=30s ./deploy
	$(GO) test -run='^$$' -fuzz='^FuzzCreateAndUpdate$$' -fuzztime=30s ./app
	$(GO) test -run='^$$' -fuzz='^FuzzParsers$$' -fuzztime=30s ./internal/a2s
	$(GO) test -run='^$$' -fuzz='^FuzzParseStatus$$' -fuzztime=30s ./internal/rcon
	$(GO) test -run='^$$' -fuzz='^FuzzCheckPath$$' -fuzztime=30s ./addons
	$(GO) test -run='^$$' -fuzz='^FuzzExtractArchive$$' -fuzztime=30s ./addons

.PHONY: e2e
e2e: ## End to end on a real systemd in a container, as root (see e2e/README.md)
	$(GO) run ./e2e

.PHONY: run
run: build ## Start the panel on ./var/left4me.db with the fake host backend
	@mkdir -p var
	LEFT4ME_BACKEND=fake LEFT4ME_DB=var/left4me.db LEFT4ME_STATE_ROOT=var $(BIN)/left4me serve

.PHONY: clean
clean: ## Remove build output
	rm -rf $(BIN)

LOADTEST_ADDR  ?= 127.0.0.1:18080
LOADTEST_FLAGS ?=
# The panel make loadtest runs, on a temp DB with the fake host. Its game is
# installed (the marker the fake leaves under its state root), so that
# servers start.
LOADTEST_PANEL = LEFT4ME_BACKEND=fake LEFT4ME_DB="$$dir/left4me.db" LEFT4ME_STATE_ROOT="$$dir" \
	LEFT4ME_ADDR=$(LOADTEST_ADDR) $(BIN)/left4me serve 2>>"$$dir/panel.log"

.PHONY: loadtest
loadtest: build ## Seed a panel (fake host, temp DB) with 100 servers, restart it, print its idle RSS, poll /servers/status from 50 clients for 10 s, then as 50 dashboards do (25/s), then 300 logins at once from 300 loopback addresses (peak RSS, /healthz), then 600 start/stop/restart API requests at once, then kill -9 with 120 jobs queued or running and a restart
	@set -e; dir=$$(mktemp -d); export dir; pid=; export LEFT4ME_LOADTEST_PASSWORD=loadtest-password; \
	trap 'if [ -n "$$pid" ]; then kill $$pid 2>/dev/null || true; wait $$pid 2>/dev/null || true; fi; rm -rf "$$dir"' EXIT; \
	echo "$$LEFT4ME_LOADTEST_PASSWORD" | LEFT4ME_DB="$$dir/left4me.db" $(BIN)/left4me create-user loadtest --admin >/dev/null; \
	mkdir -p "$$dir/game" && echo 16548521 >"$$dir/game/.fake-installed"; \
	for i in $$(seq 1 20); do \
		echo "$$LEFT4ME_LOADTEST_PASSWORD" | LEFT4ME_DB="$$dir/left4me.db" $(BIN)/left4me create-user "act-$$i" >/dev/null; \
		LEFT4ME_DB="$$dir/left4me.db" $(BIN)/left4me create-token "act-$$i" loadtest >>"$$dir/tokens"; \
	done; \
	$(LOADTEST_PANEL) & pid=$$!; \
	$(BIN)/loadtest -addr $(LOADTEST_ADDR) -seed 100 -duration 0 || { tail -n 20 "$$dir/panel.log"; exit 1; }; \
	sleep 3; kill $$pid; wait $$pid || true; \
	$(LOADTEST_PANEL) & pid=$$!; \
	$(BIN)/loadtest -addr $(LOADTEST_ADDR) -pid $$pid $(LOADTEST_FLAGS) || { tail -n 20 "$$dir/panel.log"; exit 1; }; \
	echo; echo "50 dashboards polling every 2 s:"; \
	$(BIN)/loadtest -addr $(LOADTEST_ADDR) -rate 25 -duration 10s | grep -v '^the panel has'; \
	echo; echo "A login storm:"; \
	$(BIN)/loadtest -addr $(LOADTEST_ADDR) -pid $$pid -logins 300 || { tail -n 20 "$$dir/panel.log"; exit 1; }; \
	echo; echo "600 actions at once through the API (20 operators' tokens):"; \
	$(BIN)/loadtest -addr $(LOADTEST_ADDR) -tokens "$$dir/tokens" -actions 600 || { tail -n 20 "$$dir/panel.log"; exit 1; }; \
	echo; echo "kill -9 mid-queue:"; \
	$(BIN)/loadtest -addr $(LOADTEST_ADDR) -tokens "$$dir/tokens" -crash 120 -pid $$pid -restart '$(LOADTEST_PANEL)' || { tail -n 20 "$$dir/panel.log"; exit 1; }
