# Shared settings of the image build; sourced by the scripts beside it.
# Every path is absolute, so scripts may run from anywhere.

# The Xen source package, pinned: Debian 12 (bookworm) main.
XEN_DEB_VERSION=4.17.5+72-g01140da4e8-1
XEN_UPSTREAM_VERSION=${XEN_DEB_VERSION%-*}        # 4.17.5+72-g01140da4e8
XEN_SRC_DIRNAME=xen-$XEN_UPSTREAM_VERSION

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PATCHES=$TOP/xen-patches
# Carrefour's own files, kept as plain files laid out like Xen's tree and
# copied into it at the same paths (xen-patches/series says why).
OVERLAY_DIRS="xen tools"
ABI_HEADER=$TOP/hypercall-abi/include/public/carrefour.h
# Where the ABI header lands in Xen's tree (and so in tools/include/xen/).
ABI_HEADER_IN_TREE=xen/include/public/carrefour.h

BUILD=$TOP/build
SRC_DL=$BUILD/xen-src                   # apt-get source output (download once)
PRISTINE=$SRC_DL/$XEN_SRC_DIRNAME       # Debian's tree, never modified
STAGE=$BUILD/xen-stage                  # pristine + ABI header + series
TREE=$BUILD/xen                         # the build tree (objects live here)
STAMPS=$BUILD/stamps
RUST_TARGET_DIR=$BUILD/rust-xen
RUST_TARGET=x86_64-unknown-none
RUST_LIB=$RUST_TARGET_DIR/$RUST_TARGET/release/libcarrefour_xen.a
TOOLS_DESTDIR=$BUILD/tools-root         # `make install` root, copied to out/
OUT=$TOP/out/image

# CPUs to use: the machines are shared, two cores each.
JOBS=${JOBS:-2}
# Hypervisor flavour: debug (ASSERTs on, for the test bed) unless XEN_DEBUG=n.
XEN_DEBUG=${XEN_DEBUG:-y}

log() { printf '[image] %s\n' "$*"; }
die() { printf '[image] error: %s\n' "$*" >&2; exit 1; }

# make_xen TREE LOG: builds the hypervisor in TREE/xen (its default
# target: xen, xen.gz, xen-syms and xen.efi, and Xen's checks on them:
# check-endbr, --error-dup, orphan sections), its output in LOG (under
# build/).  The same arguments every time, or Xen's make rebuilds what
# they touch; as Debian's rules, reproducible file names in the debug info.
make_xen() {
    local tree=$1 log=$2
    make -C "$tree/xen" -j"$JOBS" XEN_TARGET_ARCH=x86_64 \
        CARREFOUR_RUST_LIB="$RUST_LIB" \
        EXTRA_CFLAGS_XEN_CORE="-ffile-prefix-map=$tree=. -fdebug-prefix-map=$tree=." \
        >"$log" 2>&1 || {
        tail -40 "$log" >&2
        die "the hypervisor build in ${tree#$TOP/} failed (full log: ${log#$TOP/})"
    }
}

# The patch names of the series, in order (comments and blank lines dropped).
series_patches() {
    sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$PATCHES/series" | grep -v '^$' || true
}

# The plain files of the overlay, relative to xen-patches/ (and so to
# Xen's tree), sorted.
overlay_files() {
    local dir
    for dir in $OVERLAY_DIRS; do
        [ ! -d "$PATCHES/$dir" ] || (cd "$PATCHES" && find "$dir" -type f)
    done | LC_ALL=C sort
}

# A hash of everything that makes the assembled source tree: the series, its
# patches, the overlay's files, the ABI header and the assembling script.
stage_inputs_hash() {
    {
        echo "$XEN_DEB_VERSION"
        sha256sum "$PATCHES/series" "$ABI_HEADER" "$TOP/scripts/image/prepare-tree.sh"
        local p
        for p in $(series_patches); do sha256sum "$PATCHES/$p"; done
        overlay_files | (cd "$PATCHES" && xargs -r sha256sum)
    } | sha256sum | cut -c1-16
}
