#!/bin/bash
# Boots out/image/xen under QEMU (TCG) on two emulated NUMA nodes, without a
# dom0, and checks the serial log for the line that proves the Rust engine
# runs inside Xen:
#     (XEN) carrefour: engine ABI 0x10000 linked
#
# Xen panics at once when the boot loader gives it no module ("dom0 kernel
# not specified"), before any initcall; a dummy module takes it past the
# initcalls, to the construction of dom0, where it panics on the dummy.
# Log: build/boot-test.log.  Timeout: BOOT_TIMEOUT_S (default 60) seconds.
set -euo pipefail
. "$(dirname "$0")/common.sh"

timeout_s=${BOOT_TIMEOUT_S:-60}
logf=$BUILD/boot-test.log
dummy=$BUILD/boot-test-dummy-dom0
[ -f "$OUT/xen" ] || die "no out/image/xen: run make image"
command -v qemu-system-x86_64 >/dev/null ||
    die "no qemu-system-x86_64: apt-get install qemu-system-x86"
printf 'not a kernel\n' >"$dummy"
: >"$logf"

qemu-system-x86_64 -machine q35 -accel tcg,thread=multi \
    -cpu qemu64,+svm,+npt,+rdrand -smp 4,sockets=2,cores=2,threads=1 -m 4G \
    -object memory-backend-ram,id=m0,size=2G \
    -object memory-backend-ram,id=m1,size=2G \
    -numa node,nodeid=0,cpus=0-1,memdev=m0 \
    -numa node,nodeid=1,cpus=2-3,memdev=m1 \
    -display none -serial "file:$logf" -monitor none -no-reboot -net none \
    -kernel "$OUT/xen" -initrd "$dummy" \
    -append "console=com1 com1=115200,8n1 loglvl=all noreboot" &
qemu=$!
trap 'kill "$qemu" 2>/dev/null || true' EXIT

found=
for _ in $(seq "$timeout_s"); do
    sleep 1
    if grep -q 'carrefour: engine ABI' "$logf"; then found=1; fi
    # Stop at the panic that ends a dom0-less boot (or at any other).
    if grep -q 'Panic on CPU' "$logf" || ! kill -0 "$qemu" 2>/dev/null; then
        sleep 1
        break
    fi
done
kill "$qemu" 2>/dev/null || true
wait "$qemu" 2>/dev/null || true
trap - EXIT

grep -E 'Xen version|NUMA|carrefour|Panic|Could not|BUG|Assertion' "$logf" |
    head -30 || true
if [ -n "$found" ] || grep -q 'carrefour: engine ABI' "$logf"; then
    line=$(grep 'carrefour: engine ABI' "$logf")
    case $line in
    *linked*) log "boot test passed: $line" ;;
    *) die "boot test: Carrefour reported a problem: $line" ;;
    esac
else
    die "boot test: no 'carrefour: engine ABI' line within ${timeout_s}s (log: build/boot-test.log)"
fi
