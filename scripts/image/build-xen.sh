#!/bin/bash
# Configures and builds the hypervisor in build/xen/xen, linking the Rust
# static library (scripts/image/build-rust.sh).  Skipped when neither the
# source tree, the library nor the configuration changed since the last
# successful build: Xen's own make would relink every time (compile.h
# carries the build time).
set -euo pipefail
. "$(dirname "$0")/common.sh"
self=$(realpath "$0")

cd "$TREE/xen"
[ -f "$RUST_LIB" ] || die "no ${RUST_LIB#$TOP/}: run scripts/image/build-rust.sh"

# The configuration: Debian's, less the symbols we set, then ours
# (scripts/image/xen.config).
ours=$(sed -e "s/@XEN_DEBUG@/$XEN_DEBUG/" -e '/^#/d' -e '/^$/d' \
    "$TOP/scripts/image/xen.config")
config_input=$(grep -v -F -f <(printf '%s\n' "$ours" | sed 's/=.*/=/') \
        "$TREE/debian/xen-kconfig" || true
    printf '%s\n' "$ours")
if [ ! -f .config ] || [ ! -f "$STAMPS/xen-config-input" ] ||
   [ "$config_input" != "$(cat "$STAMPS/xen-config-input")" ]; then
    log "configuring Xen (CONFIG_DEBUG=$XEN_DEBUG)"
    printf '%s\n' "$config_input" >.config
    make -s olddefconfig >/dev/null
    grep -qx 'CONFIG_CARREFOUR=y' .config ||
        die "CONFIG_CARREFOUR did not stay set in build/xen/xen/.config"
    printf '%s\n' "$config_input" >"$STAMPS/xen-config-input"
fi

inputs=$( { cat "$STAMPS/tree" .config
            sha256sum "$RUST_LIB" "$self" "$(dirname "$self")/common.sh"; } |
    sha256sum | cut -c1-16)
if [ -f "$STAMPS/xen-built" ] && [ "$(cat "$STAMPS/xen-built")" = "$inputs" ] &&
   [ -f xen ] && [ -f xen-syms ] && [ -f xen.gz ]; then
    log "hypervisor up to date"
    exit 0
fi
rm -f "$STAMPS/xen-built"

log "building the hypervisor (make -j$JOBS)"
make_xen "$TREE" "$BUILD/xen-build.log"
echo "$inputs" >"$STAMPS/xen-built"
