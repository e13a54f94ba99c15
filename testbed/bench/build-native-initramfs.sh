#!/bin/bash
# Builds the native-Linux side of `make bench-e2e` under
# build/testbed/bench/native/:
#
#   initramfs.cpio   busybox + memwork + testbed/bench/native-init as /init
#   boot.env         NATIVE_KERNEL=/boot/vmlinuz-VERSION
#
# The kernel is the test bed's (testbed/build-initramfs.sh): the newest
# /boot/vmlinuz-* that has its /lib/modules, booted here without Xen.  It
# needs no module: serial console, devtmpfs and NUMA balancing are built
# into Debian's kernel.  Rebuilt only when an input changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
testbed=$(cd "$here/.." && pwd)
top=$(cd "$testbed/.." && pwd)
BUILD=${TESTBED_BUILD:-$top/build/testbed}
BUILD=$(realpath -m "$BUILD")   # the scripts change directory
OUT=$BUILD/bench/native
die() { echo "bench: error: $*" >&2; exit 1; }

if [ -z "${KERNEL_VERSION:-}" ]; then
    for k in $(ls /lib/modules | sort -rV); do
        [ -e "/boot/vmlinuz-$k" ] && { KERNEL_VERSION=$k; break; }
    done
fi
[ -n "${KERNEL_VERSION:-}" ] || die "no /boot/vmlinuz-* with modules (testbed/deps.sh)"
VMLINUZ=/boot/vmlinuz-$KERNEL_VERSION
config=/boot/config-$KERNEL_VERSION
if [ -e "$config" ]; then
    grep -q '^CONFIG_NUMA_BALANCING=y' "$config" || die "$VMLINUZ has no CONFIG_NUMA_BALANCING"
fi
BUSYBOX=$(command -v busybox) || die "busybox missing (testbed/deps.sh)"
readelf -l "$BUSYBOX" | grep -q 'program interpreter' &&
    die "$BUSYBOX is dynamically linked: busybox-static needed"

make -s -C "$testbed/workload" OUT="$BUILD/workload" >/dev/null
MEMWORK=$BUILD/workload/memwork

mkdir -p "$OUT"
key=$(find "$MEMWORK" "$BUSYBOX" "$here/native-init" "$0" -printf '%p %s %T@\n' | sort | sha1sum | cut -c1-40)
if [ "$(cat "$OUT/.key" 2>/dev/null)" != "$key" ]; then
    r=$OUT/root
    rm -rf "$r" && mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/bench"
    cp "$BUSYBOX" "$r/bin/busybox"
    for a in $("$BUSYBOX" --list | grep -vx busybox); do ln -s busybox "$r/bin/$a"; done
    cp "$MEMWORK" "$r/bin/memwork"
    install -m 755 "$here/native-init" "$r/init"
    (cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$OUT/initramfs.cpio.tmp"
    mv "$OUT/initramfs.cpio.tmp" "$OUT/initramfs.cpio"
    echo "$key" > "$OUT/.key"
    echo "bench: native initramfs: $(du -k "$OUT/initramfs.cpio" | cut -f1) KB, kernel $VMLINUZ"
fi
echo "NATIVE_KERNEL=$VMLINUZ" > "$OUT/boot.env"
