#!/bin/bash
# Builds the test bed's boot artefacts under build/testbed/:
#
#   kernel/vmlinux           the Debian kernel, uncompressed: dom0's kernel
#                            (Xen takes 15 s under TCG to unpack the xz
#                            bzImage) and the PVH guests' (faster creation)
#   guest/initramfs.cpio     busybox + memwork + lib/guest-init
#   dom0/dom0.cpio           busybox, Xen's dom0 modules, the toolstack
#                            from $XEN_IMAGE_DIR/tools with its libraries,
#                            lib/dom0-init as /init, lib/testbed-lib.sh,
#                            and the guest artefacts under /testbed/guest
#   dom0/boot.env            XEN= DOM0_KERNEL= DOM0_INITRD= for run.sh
#
# XEN_IMAGE_DIR (environment) is where Xen comes from: a directory with
# `xen` (multiboot ELF, or gzipped) and `tools/` (a DESTDIR root of the
# toolstack, any prefix).  Default: out/image if it holds both, else
# Debian's stock Xen unpacked by fetch-stock-xen.sh.
#
# Each artefact is rebuilt only when its inputs changed.  Prints one line
# per step with the elapsed seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD=${TESTBED_BUILD:-$top/build/testbed}
BUILD=$(realpath -m "$BUILD")   # the scripts change directory
T0=${TESTBED_T0:-$(date +%s.%N)}
step() { awk -v t0="$T0" -v now="$(date +%s.%N)" -v msg="$*" \
            'BEGIN { printf "testbed: [%5.1fs] %s\n", now - t0, msg }'; }
die() { echo "testbed: error: $*" >&2; exit 1; }

# --- what to build from -------------------------------------------------
if [ -z "${XEN_IMAGE_DIR:-}" ]; then
    if [ -e "$top/out/image/xen" ] && [ -d "$top/out/image/tools" ]; then
        XEN_IMAGE_DIR=$top/out/image
    else
        XEN_IMAGE_DIR=$BUILD/stock
        "$here/fetch-stock-xen.sh"
    fi
fi
XEN_IMAGE_DIR=$(cd "$XEN_IMAGE_DIR" && pwd)
TOOLS=$XEN_IMAGE_DIR/tools
[ -e "$XEN_IMAGE_DIR/xen" ] || die "$XEN_IMAGE_DIR/xen missing"
[ -d "$TOOLS" ] || die "$TOOLS missing"

# The newest kernel that has both a vmlinuz and its modules.
if [ -z "${KERNEL_VERSION:-}" ]; then
    for k in $(ls /lib/modules | sort -rV); do
        [ -e "/boot/vmlinuz-$k" ] && { KERNEL_VERSION=$k; break; }
    done
fi
[ -n "${KERNEL_VERSION:-}" ] || die "no /boot/vmlinuz-* with modules (testbed/deps.sh)"
VMLINUZ=/boot/vmlinuz-$KERNEL_VERSION
BUSYBOX=$(command -v busybox) || die "busybox missing (testbed/deps.sh)"
readelf -l "$BUSYBOX" | grep -q 'program interpreter' &&
    die "$BUSYBOX is dynamically linked: busybox-static needed"

# Dom0 drivers the toolstack needs (their dependencies are added).
DOM0_MODULES="xen-evtchn xen-privcmd xen-gntdev xen-gntalloc xenfs"
# Toolstack programs, found by name anywhere under $TOOLS.
REQUIRED_TOOLS="xl xenstored xen-init-dom0 xenconsoled"
OPTIONAL_TOOLS="xenconsole libxl-save-helper xenstore-read xenstore-write
    xenstore-ls xenstore-list xenstore-rm xenstore-watch xenstore xenhypfs"

# key FILE...: a digest of the names, sizes and times of FILEs (and of
# everything under directories), to rebuild only when an input changed.
key() { find "$@" -printf '%p %s %T@\n' 2>/dev/null | sort | sha1sum | cut -c1-40; }
# cpio_of DIR OUT: an uncompressed newc archive (no decompression at boot).
cpio_of() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$2.tmp" && mv "$2.tmp" "$2"; }

# --- memwork and the guests' test programs --------------------------------
make -s -C "$here/workload" OUT="$BUILD/workload" >/dev/null
MEMWORK=$BUILD/workload/memwork
make -s -C "$here/guest-tools" OUT="$BUILD/guest-tools" >/dev/null
GUEST_TOOLS=$BUILD/guest-tools

# --- kernel: vmlinuz -> vmlinux -----------------------------------------
mkdir -p "$BUILD/kernel" "$BUILD/guest" "$BUILD/dom0"
if [ ! -e "$BUILD/kernel/vmlinux" ] || [ "$VMLINUZ" -nt "$BUILD/kernel/vmlinux" ]; then
    # Like the kernel's scripts/extract-vmlinux: try each compressed
    # stream the bzImage may carry until one yields an ELF.
    ok=
    for magic in '\xfd7zXZ\x00:xz -dc' '\x28\xb5\x2f\xfd:zstd -dc' \
                 '\x1f\x8b\x08:gzip -dc' '\x02\x21\x4c\x18:lz4 -dc'; do
        for off in $(LC_ALL=C grep -obUaP "${magic%%:*}" "$VMLINUZ" | cut -d: -f1); do
            tail -c +$((off + 1)) "$VMLINUZ" | ${magic#*:} > "$BUILD/kernel/vmlinux.tmp" 2>/dev/null || true
            if readelf -h "$BUILD/kernel/vmlinux.tmp" >/dev/null 2>&1; then ok=1; break 2; fi
        done
    done
    [ -n "$ok" ] || die "cannot extract vmlinux from $VMLINUZ"
    readelf -n "$BUILD/kernel/vmlinux.tmp" | grep -q 'Unknown note type: (0x00000012)\|PHYS32_ENTRY' ||
        die "$VMLINUZ has no PVH entry point (XEN_ELFNOTE_PHYS32_ENTRY)"
    mv "$BUILD/kernel/vmlinux.tmp" "$BUILD/kernel/vmlinux"
    step "kernel: vmlinux extracted from $VMLINUZ ($(du -m "$BUILD/kernel/vmlinux" | cut -f1) MB)"
fi

# --- guest initramfs ----------------------------------------------------
PRIVCMD_KO=$(modinfo -k "$KERNEL_VERSION" -n xen-privcmd)
gkey=$(key "$MEMWORK" "$GUEST_TOOLS" "$PRIVCMD_KO" "$BUSYBOX" "$here/lib/guest-init" \
           "$here/build-initramfs.sh")
if [ "$(cat "$BUILD/guest/.key" 2>/dev/null)" != "$gkey" ]; then
    r=$BUILD/guest/root
    rm -rf "$r" && mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/lib/modules"
    cp "$BUSYBOX" "$r/bin/busybox"
    for a in $("$BUSYBOX" --list | grep -vx busybox); do ln -s busybox "$r/bin/$a"; done
    cp "$MEMWORK" "$r/bin/memwork"
    # Test programs, and the privcmd driver they issue hypercalls through
    # (a module in Debian's kernel, with no dependencies).
    cp "$GUEST_TOOLS"/* "$r/bin/"
    case $PRIVCMD_KO in
        *.ko) cp "$PRIVCMD_KO" "$r/lib/modules/xen-privcmd.ko" ;;
        *.ko.xz) xz -dc "$PRIVCMD_KO" > "$r/lib/modules/xen-privcmd.ko" ;;
        *.ko.zst) zstd -qdc "$PRIVCMD_KO" > "$r/lib/modules/xen-privcmd.ko" ;;
        *) die "module xen-privcmd: unexpected file $PRIVCMD_KO" ;;
    esac
    install -m 755 "$here/lib/guest-init" "$r/init"
    cpio_of "$r" "$BUILD/guest/initramfs.cpio"
    echo "$gkey" > "$BUILD/guest/.key"
    step "guest initramfs: $(du -k "$BUILD/guest/initramfs.cpio" | cut -f1) KB"
fi

# --- dom0 initramfs -----------------------------------------------------
dkey=$(key "$XEN_IMAGE_DIR/" "$VMLINUZ" "$BUSYBOX" "$here/lib" "$here/build-initramfs.sh" \
           "$BUILD/kernel/vmlinux" "$BUILD/guest/initramfs.cpio")
if [ "$(cat "$BUILD/dom0/.key" 2>/dev/null)" != "$dkey" ]; then
    r=$BUILD/dom0/root
    rm -rf "$r"
    # Merged-/usr layout, like the host, so host library paths just work.
    mkdir -p "$r"/usr/{bin,sbin,lib,lib64} "$r"/{proc,sys,dev,etc/testbed,testbed/bin,testbed/guest}
    for d in bin sbin lib lib64; do ln -s usr/$d "$r/$d"; done

    cp "$BUSYBOX" "$r/usr/bin/busybox"
    for a in $("$BUSYBOX" --list | grep -vx busybox); do ln -s busybox "$r/usr/bin/$a"; done

    # Modules and their dependencies, listed in load order.
    mkdir -p "$r/lib/modules/$KERNEL_VERSION"
    : > "$r/etc/testbed/modules"
    add_module() {
        grep -qx "$1" "$r/etc/testbed/modules" && return
        local dep path
        for dep in $(modinfo -k "$KERNEL_VERSION" -F depends "$1" | tr ',' ' '); do
            add_module "$dep"
        done
        path=$(modinfo -k "$KERNEL_VERSION" -n "$1")
        case $path in
            *.ko) cp "$path" "$r/lib/modules/$KERNEL_VERSION/$1.ko" ;;
            *.ko.xz) xz -dc "$path" > "$r/lib/modules/$KERNEL_VERSION/$1.ko" ;;
            *.ko.zst) zstd -qdc "$path" > "$r/lib/modules/$KERNEL_VERSION/$1.ko" ;;
            *) die "module $1: unexpected file $path" ;;
        esac
        echo "$1" >> "$r/etc/testbed/modules"
    }
    for m in $DOM0_MODULES; do add_module "$m"; done

    # Toolstack programs keep their path from $TOOLS (their compiled-in
    # paths, e.g. to xenconsole, stay valid); /testbed/bin links to them.
    is_elf() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }
    libdirs=$(find "$TOOLS" -name '*.so*' \( -type f -o -type l \) -printf '%h\n' | sort -u | tr '\n' ':')
    bins=()
    for name in $REQUIRED_TOOLS $OPTIONAL_TOOLS; do
        found=
        while IFS= read -r f; do
            is_elf "$f" && { found=$f; break; }
        done < <(find "$TOOLS" -name "$name" -type f | sort)
        if [ -z "$found" ]; then
            case " $REQUIRED_TOOLS " in *" $name "*) die "$name not found under $TOOLS" ;; esac
            continue
        fi
        rel=${found#"$TOOLS"/}
        mkdir -p "$r/$(dirname "$rel")"
        cp "$found" "$r/$rel"
        ln -sf "/$rel" "$r/testbed/bin/$name"
        bins+=("$found")
    done
    # Their libraries, from $TOOLS or from the host, as ldd resolves them.
    rt_libdirs=
    for f in "${bins[@]}"; do
        LD_LIBRARY_PATH=${libdirs%:} ldd "$f" | while read -r a b c _; do
            case "$a $b $c" in
                *"not found"*) die "$f: $a not found" ;;
                *" => /"*) echo "$c" ;;
                /*) echo "$a" ;;
            esac
        done
    done | sort -u > "$BUILD/dom0/libs.txt"
    # glibc dlopen()s libgcc_s for pthread_cancel (xl uses it); ldd
    # cannot see that.
    for extra in $(ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64/ { print $NF }' | head -1); do
        echo "$extra" >> "$BUILD/dom0/libs.txt"
    done
    while IFS= read -r lib; do
        case $lib in
            "$TOOLS"/*) dest=${lib#"$TOOLS"}
                        rt_libdirs="$rt_libdirs:$(dirname "$dest")" ;;
            *) dest=$lib ;;
        esac
        mkdir -p "$r/$(dirname "$dest")"
        cp -L "$lib" "$r/$dest"
    done < "$BUILD/dom0/libs.txt"
    rt_libdirs=$(echo "$rt_libdirs" | tr ':' '\n' | grep . | sort -u | tr '\n' ':')
    [ -d "$TOOLS/etc/xen" ] && mkdir -p "$r/etc" && cp -a "$TOOLS/etc/xen" "$r/etc/xen"
    {
        echo "export KERNEL_VERSION=$KERNEL_VERSION"
        echo "export LD_LIBRARY_PATH=${rt_libdirs%:}"
        echo "export XEN_IMAGE_DIR=$XEN_IMAGE_DIR"
    } > "$r/etc/testbed/env"

    install -m 755 "$here/lib/dom0-init" "$r/init"
    cp "$here/lib/testbed-lib.sh" "$r/testbed/lib.sh"
    ln "$BUILD/kernel/vmlinux" "$r/testbed/guest/vmlinux" 2>/dev/null ||
        cp "$BUILD/kernel/vmlinux" "$r/testbed/guest/vmlinux"
    cp "$BUILD/guest/initramfs.cpio" "$r/testbed/guest/initramfs.cpio"
    cpio_of "$r" "$BUILD/dom0/dom0.cpio"

    # The hypervisor, uncompressed (QEMU's multiboot loader wants an ELF).
    if [ "$(head -c 2 "$XEN_IMAGE_DIR/xen" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
        gunzip -c "$XEN_IMAGE_DIR/xen" > "$BUILD/dom0/xen"
    else
        cp "$XEN_IMAGE_DIR/xen" "$BUILD/dom0/xen"
    fi
    {
        echo "XEN=$BUILD/dom0/xen"
        echo "DOM0_KERNEL=$BUILD/kernel/vmlinux"
        echo "DOM0_INITRD=$BUILD/dom0/dom0.cpio"
        echo "XEN_IMAGE_DIR=$XEN_IMAGE_DIR"
    } > "$BUILD/dom0/boot.env"
    echo "$dkey" > "$BUILD/dom0/.key"
    step "dom0 initramfs: $(du -m "$BUILD/dom0/dom0.cpio" | cut -f1) MB, Xen and tools from $XEN_IMAGE_DIR, kernel $KERNEL_VERSION"
fi
