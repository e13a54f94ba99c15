# The image build: the patched Xen 4.17.5 with Carrefour's Rust engine
# linked in, and its toolstack, in out/image/.  See scripts/image/build.sh.
#
#   make image            build (or bring up to date) out/image/
#   make image XEN_DEBUG=n  a release hypervisor instead of a debug one
#   make image-flask      the same hypervisor with FLASK (XSM) and Xen's
#                         default policy, in out/image-flask/
#   make image-boot-test  boot out/image/xen under QEMU (two NUMA nodes, no
#                         dom0) and check the boot log for Carrefour's line
#   make image-clean      remove the build trees and out/image/ (keeps the
#                         downloaded Xen source)

.PHONY: image image-flask image-boot-test image-clean

image:
	+scripts/image/build.sh

image-flask: image
	scripts/image/build-flask.sh

image-boot-test: image
	scripts/image/boot-test.sh

image-clean:
	rm -rf build/xen build/xen-stage build/rust-xen build/tools-root \
	    build/stamps build/*.log build/rust-check.txt out/image \
	    build/xen-flask out/image-flask
