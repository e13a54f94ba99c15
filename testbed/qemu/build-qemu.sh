#!/bin/bash
# testbed/qemu/build-qemu.sh (`make testbed-qemu`): QEMU 7.2 as Debian 12
# ships it (the test bed's default) crashes Xen's guests; this builds the
# same version from its source package, with the nested-SVM fixes of
# testbed/qemu/*.patch (see testbed/EMULATOR.md), for x86_64 system
# emulation only and with no optional feature (under 3 minutes on two
# cores, the download included).  Result:
#   build/testbed/qemu/qemu   runs the patched qemu-system-x86_64 with the
#                             installed firmware (SeaBIOS, option ROMs);
#                             TESTBED_QEMU=build/testbed/qemu/qemu makes
#                             run.sh use it
# Rebuilt when the version, a patch or this script changes.  Installs the
# build's packages if missing; needs deb-src entries (`make testbed-qemu`
# runs scripts/image/deps.sh first, which adds them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${TESTBED_BUILD:-$here/../../build/testbed}
BUILD=$(realpath -m "$BUILD")   # the script changes directory
out=$BUILD/qemu
say() { echo "build-qemu: $*"; }
die() { echo "build-qemu: $*" >&2; exit 1; }

# The build's packages, with the test bed's (the firmware comes from
# qemu-system-data and seabios).
"$here/../deps.sh" meson ninja-build pkg-config libglib2.0-dev \
    libpixman-1-dev zlib1g-dev dpkg-dev patch qemu-system-data seabios

version=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
    die "qemu-system-x86 is not installed (testbed/deps.sh)"
inputs=$( { echo "$version"; cat "$here"/*.patch "$0"; } | sha256sum | cut -c1-16)
[ -x "$out/qemu" ] && [ "$(cat "$out/inputs" 2>/dev/null)" = "$inputs" ] && exit 0

rm -rf "$out"
mkdir -p "$out/dl"
say "fetching qemu=$version (Debian source package)"
(cd "$out/dl" &&
 { apt-cache showsrc "qemu=$version" >/dev/null 2>&1 || apt-get update -qq; } &&
 apt-get source --download-only -qq "qemu=$version" &&
 dpkg-source -x ./*.dsc "$out/src") > "$out/fetch.log" 2>&1 || {
    cat "$out/fetch.log" >&2
    die "apt-get source qemu=$version failed (deb-src entries? run scripts/image/deps.sh)"
}
for p in "$here"/*.patch; do
    patch -d "$out/src" -p1 -s < "$p" || die "$(basename "$p") does not apply"
    say "applied $(basename "$p")"
done

mkdir -p "$out/build"
(cd "$out/build" &&
 "$out/src/configure" --target-list=x86_64-softmmu --without-default-features \
     --enable-tcg --disable-docs --disable-werror &&
 ninja -j"$(nproc)" qemu-system-x86_64) > "$out/build.log" 2>&1 || {
    tail -n 30 "$out/build.log" >&2
    die "build failed (log: $out/build.log)"
}
rm -rf "$out/dl"

# The source package carries no firmware: use the installed one, from the
# same QEMU version (qemu-system-data, seabios).
cat > "$out/qemu" <<EOF
#!/bin/sh
exec "$out/build/qemu-system-x86_64" -L /usr/share/qemu -L /usr/share/seabios "\$@"
EOF
chmod +x "$out/qemu"
echo "$inputs" > "$out/inputs"
say "$("$out/qemu" --version | head -1), patched: $out/qemu"
