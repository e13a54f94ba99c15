#!/bin/bash
# Installs what `make check` needs beyond a default Rust toolchain: the
# bare-metal target (proves the engine is no_std), rust-src (the image
# build rebuilds core for Xen), clippy and rustfmt, and libclang for the
# bindgen layout check of the hypercall ABI.  Quick when all is present.
set -euo pipefail
have_target() { rustup target list --installed | grep -qx "$1"; }
have_component() { rustup component list --installed | grep -q "^$1"; }
have_target x86_64-unknown-none || rustup target add x86_64-unknown-none
for c in rust-src clippy rustfmt; do
    have_component "$c" || rustup component add "$c"
done
if ! dpkg -s libclang-dev >/dev/null 2>&1; then
    [ -e /var/lib/apt/lists/lock ] && [ -n "$(ls /var/lib/apt/lists/*_Packages 2>/dev/null)" ] ||
        apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q libclang-dev clang
fi
