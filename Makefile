# lywatch: build, test, benchmark and demo.
GO      ?= go
BIN     := bin/lywatch
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/lywatch/lywatch/internal/version.Version=$(VERSION)
# Fuzz time per target: short in CI (make fuzz-ci), long by hand (make fuzz).
FUZZTIME    ?= 5m
FUZZTIME_CI ?= 10s

.PHONY: all build test bench lint cross fuzz fuzz-ci demo readme-gif clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/lywatch

# Every test, including the end-to-end ones that drive a real KLayout under Xvfb.
# They skip with a message where klayout or Xvfb is missing, unless
# LYWATCH_REQUIRE_KLAYOUT=1 (set in CI), where a missing KLayout is a failure.
test: build
	$(GO) test -count=1 -timeout 15m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# staticcheck's version is pinned; it comes through the Go module proxy.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# cross builds every package for darwin and windows (any failure fails) and
# vets the packages of CROSS_VET with their tests there.
cross:
	@./scripts/cross.sh

# fuzz runs every fuzz target for FUZZTIME each.
fuzz:
	@./scripts/fuzz.sh $(FUZZTIME)

fuzz-ci:
	@./scripts/fuzz.sh $(FUZZTIME_CI)

demo: build
	@./scripts/demo.sh

# readme-gif draws docs/watching.gif, the README's animation: the example PDK
# built through a few edits, replayed by lywatch, drawn by KLayout.
readme-gif:
	@./scripts/readme-gif.sh docs/watching.gif

clean:
	rm -rf bin build
