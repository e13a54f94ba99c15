#!/bin/bash
# Fetches Debian's Xen source package, at the pinned version, into
# build/xen-src/ (once), and checks that the tree is that version.
set -euo pipefail
. "$(dirname "$0")/common.sh"

stamp=$STAMPS/fetched-$XEN_DEB_VERSION
if [ -e "$stamp" ] && [ -d "$PRISTINE" ]; then
    exit 0
fi

mkdir -p "$SRC_DL" "$STAMPS"
cd "$SRC_DL"
rm -rf "$PRISTINE"
log "fetching xen=$XEN_DEB_VERSION (Debian source package)"
# --download-only then dpkg-source: the same as `apt-get source`.
# apt checks the files against the archive's signed index; dpkg-source then
# checks them against the .dsc (it cannot check the uploader's signature
# without debian-keyring, and says so: that is expected).
fetchlog=$SRC_DL/fetch.log
{ apt-get source --download-only -qq "xen=$XEN_DEB_VERSION" &&
  dpkg-source -x "xen_$XEN_DEB_VERSION.dsc" "$XEN_SRC_DIRNAME"; } >"$fetchlog" 2>&1 || {
    cat "$fetchlog" >&2
    die "apt-get source xen=$XEN_DEB_VERSION failed (deb-src entries? run scripts/image/deps.sh)"
}

# Check what we got: Debian's changelog, and Xen's own version numbers.
got=$(dpkg-parsechangelog -l "$PRISTINE/debian/changelog" -S Version)
[ "$got" = "$XEN_DEB_VERSION" ] ||
    die "fetched xen $got, expected $XEN_DEB_VERSION"
major=$(sed -n 's/^export XEN_VERSION *= *//p' "$PRISTINE/xen/Makefile")
minor=$(sed -n 's/^export XEN_SUBVERSION *= *//p' "$PRISTINE/xen/Makefile")
extra=$(sed -n 's/^export XEN_EXTRAVERSION *?= *\([.0-9]*\).*/\1/p' "$PRISTINE/xen/Makefile")
[ "$major.$minor$extra" = "4.17.5" ] ||
    die "xen/Makefile says Xen $major.$minor$extra, expected 4.17.5"
touch "$stamp"
log "xen $got in ${PRISTINE#$TOP/}"
