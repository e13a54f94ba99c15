#!/bin/bash
# Unpacks Debian 12's stock Xen 4.17 (hypervisor + toolstack) into
# build/testbed/stock/ in the layout of the project's rebuilt image:
#   stock/xen      the hypervisor, an uncompressed multiboot ELF
#   stock/tools/   a root tree holding the toolstack (usr/..., etc/xen)
# The .deb files are downloaded into build/testbed/debs/ and unpacked with
# dpkg-deb -x: nothing is installed on the host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${TESTBED_BUILD:-$here/../build/testbed}
BUILD=$(realpath -m "$BUILD")   # the scripts change directory
debs=$BUILD/debs
out=$BUILD/stock

PACKAGES=(
    xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils
    libxencall1 libxendevicemodel1 libxenevtchn1 libxenforeignmemory1
    libxengnttab1 libxenhypfs1 libxenmisc4.17 libxenstore4 libxentoolcore1
    libxentoollog1 libyajl2
)

[ -f "$out/.done" ] && exit 0
mkdir -p "$debs"
have_all=1
for p in "${PACKAGES[@]}"; do
    compgen -G "$debs/${p}_*.deb" >/dev/null || have_all=0
done
if [ $have_all = 0 ]; then
    # apt-get download needs package lists; a fresh machine may have none.
    apt-cache show xen-utils-4.17 >/dev/null 2>&1 || apt-get update -qq
    (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root \
        "${PACKAGES[@]}")
fi

rm -rf "$out"
mkdir -p "$out/tools"
for p in "${PACKAGES[@]}"; do
    deb=$(ls -t "$debs/${p}"_*.deb | head -1)
    dpkg-deb -x "$deb" "$out/tools"
done
gunzip -c "$out"/tools/boot/xen-4.17-amd64.gz > "$out/xen"
ls "$debs"/*.deb | xargs -n1 basename > "$out/packages.txt"
touch "$out/.done"
