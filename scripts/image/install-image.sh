#!/bin/bash
# Puts the image together in out/image/:
#   xen          multiboot ELF32, what QEMU's -kernel and GRUB's multiboot take
#   xen.gz       the same, compressed (what Debian installs in /boot)
#   xen-syms     the ELF64 with symbols, for addr2line and gdb
#   xen.config   the hypervisor's .config
#   tools/       the toolstack, a DESTDIR root (usr/sbin/xl, usr/lib/...)
#   rust-check.txt  figures of scripts/image/check-rust.sh
#   MANIFEST     versions of everything that went in
set -euo pipefail
. "$(dirname "$0")/common.sh"

X=$TREE/xen
mkdir -p "$OUT"
for f in xen xen.gz xen-syms; do
    cmp -s "$X/$f" "$OUT/$f" || cp "$X/$f" "$OUT/$f"
done
cmp -s "$X/.config" "$OUT/xen.config" || cp "$X/.config" "$OUT/xen.config"
cp "$BUILD/rust-check.txt" "$OUT/rust-check.txt"
rsync -a --delete "$TOOLS_DESTDIR/" "$OUT/tools/"
# xl reads /etc/xen/xl.conf (and complains on every command without it);
# the toolstack's install targets built here do not install it.
mkdir -p "$OUT/tools/etc/xen"
cp "$TREE/tools/examples/xl.conf" "$OUT/tools/etc/xen/xl.conf"

tc=${XEN_RUST_TOOLCHAIN:+"+$XEN_RUST_TOOLCHAIN"}
series_hash=$( { cat "$PATCHES/series"
    for p in $(series_patches); do cat "$PATCHES/$p"; done
    for f in $(overlay_files); do echo "$f"; cat "$PATCHES/$f"; done; } |
    sha256sum | cut -c1-16)
abi_version=$(awk '$1 == "#define" && $2 == "XEN_CARREFOUR_ABI_VERSION" { sub(/[uU]$/, "", $3); print $3 }' "$ABI_HEADER")
commit=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo none)
git -C "$TOP" diff --quiet HEAD -- src build.rs scripts/image xen-patches \
    hypercall-abi carrefour-core Cargo.toml 2>/dev/null || commit="$commit+changes"
{
    echo "# Carrefour for Xen: out/image, built $(date -u '+%F %T') UTC"
    echo "project.commit: $commit"
    echo "xen.source: Debian source package xen $XEN_DEB_VERSION (bookworm main)"
    echo "xen.version: $(awk '$2 == "XEN_VERSION_STRING" || $2 == "XEN_EXTRAVERSION" { gsub(/"/, "", $3); printf "%s", $3 }' "$X/include/xen/compile.h")"
    kconfig() { sed -n "s/^$1=//p" "$X/.config" | grep . || echo n; }
    echo "xen.config: CONFIG_DEBUG=$(kconfig CONFIG_DEBUG) CONFIG_CARREFOUR=$(kconfig CONFIG_CARREFOUR)"
    echo "patch-series.sha256: $series_hash"
    for p in $(series_patches); do echo "patch: $p"; done
    echo "abi-header.sha256: $(sha256sum "$ABI_HEADER" | cut -c1-16) (hypercall-abi/include/public/carrefour.h)"
    echo "abi-version: $abi_version"
    echo "rustc: $(RUSTC_BOOTSTRAP=1 rustc $tc -V) (RUSTC_BOOTSTRAP=1, -Zbuild-std)"
    echo "cargo: $(cargo $tc -V)"
    echo "gcc: $(gcc -dumpfullversion) ($(dpkg-query -W -f='${Version}' gcc-12 2>/dev/null || true))"
    echo "binutils: $(ld --version | head -1)"
    for f in xen xen.gz xen-syms; do
        echo "sha256 $f: $(sha256sum "$OUT/$f" | cut -d' ' -f1)"
    done
    echo "tools: $(cd "$OUT/tools" && find . -type f | wc -l) files; usr/sbin: $(ls "$OUT/tools/usr/sbin" | tr '\n' ' ')"
} >"$OUT/MANIFEST"
log "image in ${OUT#$TOP/}/: $(ls "$OUT" | tr '\n' ' ')"
