#!/bin/bash
# Installs what `make image` needs on a Debian 12 machine, and nothing else:
#   - deb-src entries (so that `apt-get source xen=...` works),
#   - the packages that build Xen's hypervisor and its toolstack,
#   - the Rust pieces that build the static library linked into Xen
#     (rust-src for -Zbuild-std, the x86_64-unknown-none target).
# Idempotent: a second run installs nothing and takes about a second.
set -euo pipefail

# Build dependencies, one group per purpose.
PKGS_HYPERVISOR="build-essential bison flex python3 dpkg-dev"
PKGS_TOOLSTACK="autoconf automake libyajl-dev libzstd-dev acpica-tools uuid-dev
    zlib1g-dev liblzma-dev libbz2-dev libncurses-dev pkg-config python3-dev"
PKGS_PIPELINE="rsync binutils file"

# shellcheck disable=SC2086
missing=$(for p in $PKGS_HYPERVISOR $PKGS_TOOLSTACK $PKGS_PIPELINE; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
        grep -q '^install ok installed$' || echo "$p"
done)

srcs=/etc/apt/sources.list.d/debian-src.sources
need_update=
if [ ! -e "$srcs" ] && ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
   ! grep -qs '^deb-src' /etc/apt/sources.list; then
    # Same archives as the binary entries, for source packages.
    if [ ! -e /etc/apt/sources.list.d/debian.sources ]; then
        echo "deps: no /etc/apt/sources.list.d/debian.sources to derive deb-src from" >&2
        exit 1
    fi
    sed 's/^Types: deb$/Types: deb-src/' \
        /etc/apt/sources.list.d/debian.sources >"$srcs"
    echo "deps: created $srcs"
    need_update=1
fi
# `apt-get source` needs the Sources lists downloaded at least once.
if ! ls /var/lib/apt/lists/*_Sources* >/dev/null 2>&1; then
    need_update=1
fi
if [ -n "$missing" ] || [ -n "$need_update" ]; then
    apt-get update -qq
fi
if [ -n "$missing" ]; then
    echo "deps: installing" $missing
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        $missing
fi

# Rust: the default toolchain (stable) with RUSTC_BOOTSTRAP=1 for the -Z flags,
# or the toolchain named by $XEN_RUST_TOOLCHAIN (e.g. nightly).
tc=${XEN_RUST_TOOLCHAIN:-}
tcarg=${tc:+--toolchain $tc}
if ! command -v rustup >/dev/null; then
    echo "deps: rustup not found; install it (rustup.rs) first" >&2
    exit 1
fi
# shellcheck disable=SC2086
rustup target list --installed $tcarg | grep -qx x86_64-unknown-none ||
    rustup target add $tcarg x86_64-unknown-none
# shellcheck disable=SC2086
rustup component list --installed $tcarg | grep -q '^rust-src' ||
    rustup component add $tcarg rust-src
