# clawbernetes — two commands for a newcomer: `make demo` and `make test`.
SHELL := /bin/bash
.PHONY: setup build test test-rust test-js test-e2e demo bench clean

setup:            ## install the toolchain (idempotent)
	@bash scripts/setup.sh

build: setup      ## build pkg/ (wasm + JS glue) from the release build
	@bash scripts/build.sh

test: build       ## everything: cargo tests, clippy, JS tests, skills checker, end-to-end in a real gateway
	@bash scripts/test.sh

demo: build       ## a local gateway with a simulated fleet, driven by the five tools (KEEP=1 leaves it running)
	@bash scripts/demo.sh

bench: build      ## benchmarks at fleet scale (not part of `make test`)
	@bash bench/run.sh

clean:
	rm -rf target pkg pkg-test
