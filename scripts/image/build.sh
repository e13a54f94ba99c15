#!/bin/bash
# `make image`: the patched Xen and its toolstack in out/image/.
#
#   deps.sh          Debian packages and Rust pieces (idempotent)
#   fetch-xen.sh     Debian's xen source package, pinned, once
#   prepare-tree.sh  pristine + ABI header + xen-patches/ -> build/xen/
#   build-rust.sh    the root crate as libcarrefour_xen.a (Xen's codegen)
#   build-xen.sh     the hypervisor, linking the library
#   build-xen-off.sh the same source with CONFIG_CARREFOUR=n (no library)
#   check-rust.sh    the linked Rust code against Xen's hardening rules
#   build-tools.sh   libs, xl, xenstored, xenconsoled, xen-init-dom0
#   install-image.sh out/image/ and its MANIFEST
#
# Every step is skipped or incremental when its inputs did not change, so a
# second run with nothing changed takes seconds.
set -euo pipefail
here=$(dirname "$0")
. "$here/common.sh"

start=$(date +%s)
step() {
    local t0=$(date +%s)
    "$here/$1"
    printf '[image] %-18s %4ss\n' "$1" $(( $(date +%s) - t0 )) >>"$STAMPS/timings"
}
mkdir -p "$STAMPS"
: >"$STAMPS/timings"
step deps.sh
step fetch-xen.sh
step prepare-tree.sh
step build-rust.sh
step build-xen.sh
step build-xen-off.sh
if [ "$(cat "$STAMPS/xen-built")" != "$(cat "$STAMPS/rust-checked" 2>/dev/null)" ]; then
    step check-rust.sh
    step check-stack.sh
    cp "$STAMPS/xen-built" "$STAMPS/rust-checked"
fi
step build-tools.sh
step install-image.sh
cat "$STAMPS/timings"
log "done in $(( $(date +%s) - start ))s"
