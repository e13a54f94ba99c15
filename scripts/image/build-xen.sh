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

inputs=$( { cat "$STAMPS/tree" .config; sha256sum "$RUST_LIB" "$self"; } |
    sha256sum | cut -c1-16)
if [ -f "$STAMPS/xen-built" ] && [ "$(cat "$STAMPS/xen-built")" = "$inputs" ] &&
   [ -f xen ] && [ -f xen-syms ] && [ -f xen.gz ]; then
    log "hypervisor up to date"
    exit 0
fi
rm -f "$STAMPS/xen-built"

log "building the hypervisor (make -j$JOBS)"
# The same arguments every time, or Xen's make rebuilds what they touch.
# As Debian's rules: reproducible file names in the debug info.
make_args=(XEN_TARGET_ARCH=x86_64 CARREFOUR_RUST_LIB="$RUST_LIB"
    EXTRA_CFLAGS_XEN_CORE="-ffile-prefix-map=$TREE=. -fdebug-prefix-map=$TREE=.")
# The default target builds xen, xen.gz, xen-syms and xen.efi, and runs
# Xen's checks on them (check-endbr, --error-dup, orphan sections).
make -j"$JOBS" "${make_args[@]}" >"$BUILD/xen-build.log" 2>&1 || {
    tail -40 "$BUILD/xen-build.log" >&2
    die "the hypervisor build failed (full log: build/xen-build.log)"
}
echo "$inputs" >"$STAMPS/xen-built"
