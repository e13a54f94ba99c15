#!/bin/bash
# The same source built with CONFIG_CARREFOUR=n, in build/xen-off/: shows
# that the series leaves a Xen without Carrefour buildable without the
# Rust library, and that such a Xen has none of Carrefour in it.  Only
# the hypervisor is built (the toolstack does not depend on the option).
# Skipped when the assembled source and the configuration did not change.
set -euo pipefail
. "$(dirname "$0")/common.sh"
self=$(realpath "$0")

OFF_TREE=$BUILD/xen-off
[ -f "$TREE/xen/.config" ] || die "run scripts/image/build-xen.sh first"

inputs=$( { cat "$STAMPS/tree" "$STAMPS/xen-config-input"; sha256sum "$self"; } |
    sha256sum | cut -c1-16)
if [ -f "$STAMPS/xen-off-built" ] &&
   [ "$(cat "$STAMPS/xen-off-built")" = "$inputs" ] && [ -f "$OFF_TREE/xen/xen" ]; then
    log "CONFIG_CARREFOUR=n hypervisor up to date"
    exit 0
fi
rm -f "$STAMPS/xen-off-built"

# The assembled source (not the objects of build/xen/), brought up to
# date file by file so that a rebuild is incremental.
mkdir -p "$OFF_TREE"
rsync -rlc --delete --exclude=/xen/.config "$STAGE/" "$OFF_TREE/"
cd "$OFF_TREE/xen"
{ grep -v -E '^(# )?CONFIG_CARREFOUR[ =]' "$TREE/xen/.config"
  echo '# CONFIG_CARREFOUR is not set'; } >.config
make -s olddefconfig >/dev/null
! grep -q '^CONFIG_CARREFOUR=y' .config ||
    die "CONFIG_CARREFOUR=n did not stay unset in build/xen-off/xen/.config"

log "building the hypervisor with CONFIG_CARREFOUR=n (make -j$JOBS)"
# No CARREFOUR_RUST_LIB: the build must not need it.
make -C "$OFF_TREE/xen" -j"$JOBS" XEN_TARGET_ARCH=x86_64 \
    >"$BUILD/xen-off-build.log" 2>&1 || {
    tail -40 "$BUILD/xen-off-build.log" >&2
    die "the CONFIG_CARREFOUR=n build failed (full log: build/xen-off-build.log)"
}
leaked=$(nm xen-syms | grep -ci carrefour || true)
[ "$leaked" = 0 ] ||
    die "xen-syms built with CONFIG_CARREFOUR=n has $leaked Carrefour symbols"
log "CONFIG_CARREFOUR=n: xen-syms built, no Carrefour symbol in it"
echo "$inputs" >"$STAMPS/xen-off-built"
