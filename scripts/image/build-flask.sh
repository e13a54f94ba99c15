#!/bin/bash
# `make image-flask`: the hypervisor of out/image/ built once more with
# FLASK (XSM) and Xen's default policy compiled in, in out/image-flask/
# (xen, xen-syms, and the same toolstack as out/image/tools).  Debian
# builds Xen without XSM; this variant is for testing that Carrefour's
# domctl obeys a FLASK policy (testbed/scenarios/flask-*.sh, `make
# e2e-flask`).  Boot it with `flask=enforcing`.
#
# Needs `make image` first (it copies build/xen/ to build/xen-flask/ and
# changes only the configuration).  checkpolicy builds the policy.
set -euo pipefail
. "$(dirname "$0")/common.sh"

FLASK_TREE=$BUILD/xen-flask
FLASK_OUT=$TOP/out/image-flask
# Added to the image's configuration: FLASK on and the default module,
# with the policy built from tools/flask/policy linked into Xen (so that
# no bootloader module is needed).
FLASK_CONFIG='CONFIG_XSM=y
CONFIG_XSM_FLASK=y
CONFIG_XSM_FLASK_DEFAULT=y
CONFIG_XSM_FLASK_POLICY=y
CONFIG_XSM_FLASK_AVC_STATS=y'

[ -f "$TREE/xen/.config" ] && [ -f "$OUT/xen" ] || die "run make image first"
if ! command -v checkpolicy >/dev/null; then
    log "installing checkpolicy (builds the FLASK policy)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends checkpolicy >/dev/null
fi

log "copying build/xen to build/xen-flask"
# A copy, so that make image's tree and its stamps stay as they are.
rm -rf "$FLASK_TREE"
cp -a "$TREE" "$FLASK_TREE"
cd "$FLASK_TREE/xen"
{ grep -v -E '^(# )?CONFIG_XSM' .config; printf '%s\n' "$FLASK_CONFIG"; } >.config.new
mv .config.new .config
make -s olddefconfig >/dev/null
for c in $FLASK_CONFIG; do
    grep -qx "$c" .config || die "$c did not stay set in build/xen-flask/xen/.config"
done

log "building the FLASK hypervisor (make -j$JOBS)"
make_xen "$FLASK_TREE" "$BUILD/xen-flask-build.log"

rm -rf "$FLASK_OUT"
mkdir -p "$FLASK_OUT"
cp xen xen-syms xen.gz "$FLASK_OUT/"
cp .config "$FLASK_OUT/xen.config"
cp -a "$OUT/tools" "$FLASK_OUT/tools"
log "out/image-flask: $(grep -c '^CONFIG_XSM' "$FLASK_OUT/xen.config") XSM options set; boot with flask=enforcing"
