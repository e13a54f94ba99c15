#!/bin/bash
# testbed/deps.sh [PACKAGE...]: installs the host packages the test bed
# needs (Debian 12, as root), and the PACKAGEs given (qemu/build-qemu.sh
# adds its build's).  Idempotent and quick when everything is present.
# Xen itself is NOT installed on the host: fetch-stock-xen.sh unpacks it
# under build/.
set -euo pipefail

PACKAGES=("$@"

    qemu-system-x86     # the emulated two-node machine (TCG)
    busybox-static      # dom0's and the guests' userland
    linux-image-amd64   # dom0 and guest kernel, and dom0's modules
    kmod                # modinfo: which modules dom0 needs
    cpio xz-utils       # initramfs packing; vmlinuz is xz-compressed
    gcc libc6-dev make  # memwork, linked statically
    binutils            # readelf: checks the extracted vmlinux
    python3-minimal     # run.sh types debug keys on Xen's console at a timeout
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "testbed/deps.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
