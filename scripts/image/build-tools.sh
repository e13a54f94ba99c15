#!/bin/bash
# Builds the toolstack from the same tree as the hypervisor (so that libxc
# and xl speak the patched hypercall interface) and installs it into
# build/tools-root/ as a DESTDIR root:
#   libs (libxenctrl, libxenlight, libxenstore, ...), xl, xenstored and the
#   xenstore client tools, xenconsoled and the console client,
#   xen-init-dom0, the hotplug scripts, the public headers.
# Skipped when the source tree and the configure flags are those of the
# last successful build.
set -euo pipefail
. "$(dirname "$0")/common.sh"
self=$(realpath "$0")

# Only what the test bed's dom0 needs; nothing is downloaded.  QEMU for HVM
# guests is Debian's (qemu-system-xen), at the path Debian's Xen uses.
CONFIGURE_FLAGS="--prefix=/usr --sysconfdir=/etc --localstatedir=/var
 --libdir=/usr/lib/x86_64-linux-gnu
 --disable-stubdom --disable-docs --disable-xen --disable-golang
 --disable-ocamltools --disable-monitors --disable-pvshim --disable-seabios
 --disable-rombios --disable-qemu-traditional --disable-ipxe
 --disable-xsmpolicy --disable-systemd
 --with-system-qemu=/usr/libexec/xen-qemu-system-i386"
# tools/ subdirectories built and installed, in dependency order.
TOOLS_SUBDIRS="include libs xenstore console helpers xl hotplug"

cd "$TREE"
inputs=$( { cat "$STAMPS/tree"; echo "$CONFIGURE_FLAGS $TOOLS_SUBDIRS";
    sha256sum "$self"; } | sha256sum | cut -c1-16)
if [ -f "$STAMPS/tools-built" ] && [ "$(cat "$STAMPS/tools-built")" = "$inputs" ] &&
   [ -x "$TOOLS_DESTDIR/usr/sbin/xl" ]; then
    log "toolstack up to date"
    exit 0
fi
rm -f "$STAMPS/tools-built"
toollog=$BUILD/tools-build.log
: >"$toollog"
run() {
    "$@" >>"$toollog" 2>&1 || {
        tail -40 "$toollog" >&2
        die "toolstack: '$*' failed (full log: build/tools-build.log)"
    }
}

# configure: again only when its inputs or the flags changed.
conf_inputs=$( { echo "$CONFIGURE_FLAGS"; cat configure.ac tools/configure.ac \
    tools/config.h.in m4/*.m4 config/*.in; } | sha256sum | cut -c1-16)
if [ ! -f config/Tools.mk ] || [ ! -f "$STAMPS/tools-configured" ] ||
   [ "$(cat "$STAMPS/tools-configured")" != "$conf_inputs" ]; then
    log "configuring the toolstack"
    # Debian's tree ships neither configure nor config.sub/config.guess.
    cp /usr/share/autoconf/build-aux/config.sub \
        /usr/share/autoconf/build-aux/config.guess .
    run ./autogen.sh
    # shellcheck disable=SC2086
    run ./configure $CONFIGURE_FLAGS
    echo "$conf_inputs" >"$STAMPS/tools-configured"
fi

log "building the toolstack (make -j$JOBS: $TOOLS_SUBDIRS)"
export WGET=/bin/false GIT=/bin/false   # as Debian: never download
for d in $TOOLS_SUBDIRS; do
    run make -C "tools/$d" -j"$JOBS"
done
rm -rf "$TOOLS_DESTDIR"
for d in $TOOLS_SUBDIRS; do
    run make -C "tools/$d" install DESTDIR="$TOOLS_DESTDIR"
done
[ -x "$TOOLS_DESTDIR/usr/sbin/xl" ] || die "no usr/sbin/xl in ${TOOLS_DESTDIR#$TOP/}"
echo "$inputs" >"$STAMPS/tools-built"
