#!/bin/bash
# Fuzzes the engine against the independent checker (carrefour-core/fuzz,
# target ingest_decide).  Needs cargo-fuzz (`cargo install cargo-fuzz`) and
# a nightly toolchain.  Not part of `make test`: run it by hand or in a
# nightly job.
#
#   scripts/fuzz.sh              fuzz for 180 s (FUZZ_SECONDS to change)
#   scripts/fuzz.sh smoke        20,000 runs from the saved corpus, a few s
#   scripts/fuzz.sh -- ARGS...   pass ARGS to libFuzzer (e.g. -runs=1000000)
#
# The corpus lives in carrefour-core/fuzz/corpus/ingest_decide (kept out
# of git); a crash lands in carrefour-core/fuzz/artifacts/ingest_decide and
# `cargo +nightly fuzz run ingest_decide <file>` replays it.
set -euo pipefail
cd "$(dirname "$0")/../carrefour-core"
TOOLCHAIN=${FUZZ_TOOLCHAIN:-nightly}
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz" >&2; exit 2; }
# One job by default: the machine is shared.  -max_len bounds one input's
# work; -rss_limit_mb the memory (tables are capped far below it).
common=(-max_len=4096 -rss_limit_mb=1024 -timeout=20)
case "${1:-}" in
    smoke) args=(-runs=20000) ;;
    --) shift; args=("$@") ;;
    "") args=(-max_total_time="${FUZZ_SECONDS:-180}" -print_final_stats=1) ;;
    *) echo "usage: $0 [smoke | -- LIBFUZZER_ARGS...]" >&2; exit 2 ;;
esac
exec cargo +"$TOOLCHAIN" fuzz run ingest_decide -- "${common[@]}" "${args[@]}"
