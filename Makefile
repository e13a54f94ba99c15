# One command for each everyday job.  See README.md.
#
#   make demo       build everything, boot the rebuilt Xen on the two-node
#                   test bed and show Carrefour moving a guest's pages
#   make test       fmt, clippy, unit/property/scenario tests, ABI check,
#                   no_std build, and the end-to-end suite (make e2e)
#   make check      the same without the end-to-end suite (no QEMU)
#   make bench      engine benchmarks (figures, not pass/fail)
#   make image      the patched Xen boot image and tools in out/image/

SHELL := /bin/bash
CARGO ?= cargo

.PHONY: all check test bench deps-rust
all: check

# Rust toolchain pieces the project needs beyond the machine's default.
deps-rust:
	@scripts/deps-rust.sh

check: deps-rust
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p hypercall-abi --all-targets --features bindgen-check -- -D warnings
	$(CARGO) test --workspace
	$(CARGO) test -p hypercall-abi --features bindgen-check
	$(CARGO) build -p carrefour-core --target x86_64-unknown-none
	$(CARGO) test -p carrefour-sim --release
	python3 scripts/check-toolstack-params.py

test: check

bench:
	$(CARGO) bench -p carrefour-core --bench engine

# Per-area fragments: the image build, the test bed, the simulator.
-include mk/*.mk
