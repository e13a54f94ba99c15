#!/bin/bash
# Builds the root crate, carrefour-xen, as the static library Xen links:
# build/rust-xen/x86_64-unknown-none/release/libcarrefour_xen.a
#
# Code generation must match Xen's (xen/arch/x86/arch.mk), or Xen's link and
# its checks reject the objects, or worse, accept code that breaks its
# hardening at run time:
#   -Zbuild-std=core,compiler_builtins,alloc
#                  the prebuilt core has plain `ret`, raw indirect branches,
#                  no endbr64 and GOT references: rebuild it with these flags
#   -Zplt=yes -Zrelax-elf-relocations=yes
#                  calls through PLT32 relocations, GOTPCRELX that ld relaxes
#                  to direct references: Xen's linker script wants no .got
#   -Zretpoline-external-thunk   indirect branches via __x86_indirect_thunk_*
#   -Zfunction-return=thunk-extern  returns via __x86_return_thunk
#   -Zcf-protection=branch       endbr64 at entry points (CET-IBT)
#   -Cjump-tables=no             no indirect jumps through tables
#   -Cforce-frame-pointers=yes   Xen's stack traces walk frame pointers
# The target itself gives soft-float, no SSE/MMX, no red zone, panic=abort.
#
# `cargo rustc --crate-type staticlib`: with the crate's two crate types
# (rlib for the host tests, staticlib for Xen) cargo would not run LTO; with
# staticlib alone, release's `lto = true` merges the crate and what it uses
# of core into one object, so the link pulls in only what Xen calls.
#
# The -Z flags need a nightly compiler: by default the installed stable one
# is told to accept them with RUSTC_BOOTSTRAP=1 (as the Linux kernel does);
# XEN_RUST_TOOLCHAIN=nightly selects a nightly toolchain instead.
set -euo pipefail
. "$(dirname "$0")/common.sh"

RUSTFLAGS_XEN="-Zplt=yes -Zrelax-elf-relocations=yes
 -Zretpoline-external-thunk -Zfunction-return=thunk-extern
 -Zcf-protection=branch -Cjump-tables=no -Cforce-frame-pointers=yes"

tc=${XEN_RUST_TOOLCHAIN:+"+$XEN_RUST_TOOLCHAIN"}
cd "$TOP"
# The flags go to target units only (cargo keeps RUSTFLAGS off build
# scripts when --target is given).
mkdir -p "$RUST_TARGET_DIR"
log=$RUST_TARGET_DIR/cargo.log
status=0
RUSTC_BOOTSTRAP=1 RUSTFLAGS=$(echo $RUSTFLAGS_XEN) \
    cargo $tc rustc --quiet -p carrefour-xen --lib --crate-type staticlib \
    --release --target "$RUST_TARGET" --target-dir "$RUST_TARGET_DIR" \
    -Zbuild-std=core,compiler_builtins,alloc >"$log" 2>&1 || status=$?
# The profile override for compiler_builtins is meant for build-std; cargo
# warns that it matches no package of the workspace.  Show everything else.
grep -v -e "profile package spec \`compiler_builtins\` in profile \`release\`" \
    "$log" >&2 || true
[ "$status" = 0 ] || die "cargo could not build the static library"
[ -f "$RUST_LIB" ] || die "cargo built no ${RUST_LIB#$TOP/}"
