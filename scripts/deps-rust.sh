#!/bin/bash
# Installs the Rust pieces the project needs beyond a default toolchain:
# the bare-metal target (proves the engine is no_std) and, for the Xen
# static library, a nightly-capable toolchain with rust-src (build-std).
set -euo pipefail
have_target() { rustup target list --installed | grep -qx "$1"; }
have_target x86_64-unknown-none || rustup target add x86_64-unknown-none
rustup component list --installed | grep -q '^rust-src' ||
    rustup component add rust-src
rustup component list --installed | grep -q '^clippy' ||
    rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' ||
    rustup component add rustfmt
