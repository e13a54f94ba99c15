# The test bed: Xen under QEMU (TCG) with two emulated NUMA nodes, a PV
# dom0 on a busybox initramfs, PVH guests running memwork.  See
# testbed/README.md.
#
#   make testbed          host packages, memwork (+ its test), guest and
#                         dom0 initramfs
#   make e2e              every scenario in testbed/scenarios; ends with
#                         "N passed, N failed"
#   make e2e TESTBED_SCENARIOS="boot guest-placement"   some of them
#   make soak             the soak-* scenarios: long, repetitive, not in
#                         `make test` (hunting rare failures)
#   make testbed-qemu     QEMU 7.2 rebuilt with the nested-SVM fixes of
#                         testbed/qemu/ (not the default; see
#                         testbed/EMULATOR.md): TESTBED_QEMU=build/testbed/qemu/qemu
#   make e2e-flask        the flask-* scenarios on out/image-flask (Xen
#                         with FLASK, `make image-flask`); not in
#                         `make test`
#
# XEN_IMAGE_DIR picks the Xen under test: a directory with `xen` (multiboot
# ELF or gzipped) and `tools/` (DESTDIR root of the toolstack).  Left
# empty, testbed/build-initramfs.sh takes out/image when `make image` has
# produced out/image/xen and out/image/tools/, else Debian 12's stock Xen
# 4.17 unpacked into build/testbed/stock.

ALL_SCENARIOS := $(sort $(basename $(notdir $(wildcard testbed/scenarios/*.sh))))
TESTBED_SCENARIOS ?= $(filter-out soak-% flask-%,$(ALL_SCENARIOS))
SOAK_SCENARIOS ?= $(filter soak-%,$(ALL_SCENARIOS))
FLASK_SCENARIOS ?= $(filter flask-%,$(ALL_SCENARIOS))
XEN_IMAGE_DIR ?=
ifneq ($(XEN_IMAGE_DIR),)
export XEN_IMAGE_DIR
endif

.PHONY: testbed testbed-deps memwork-test e2e soak e2e-flask demo testbed-qemu
testbed-deps:
	@testbed/deps.sh

memwork-test: testbed-deps
	@$(MAKE) -s -C testbed/workload test OUT=$(CURDIR)/build/testbed/workload

testbed: testbed-deps memwork-test
	@testbed/build-initramfs.sh

# Debian's QEMU source package needs deb-src entries: scripts/image/deps.sh.
testbed-qemu:
	@scripts/image/deps.sh
	@testbed/qemu/build-qemu.sh

# The scenarios test the rebuilt image: build it (or check it is up to
# date, a second or two) first.
e2e: image testbed
	@testbed/run.sh $(TESTBED_SCENARIOS)

# Long runs after rare failures (minutes each); a timeout leaves Xen's
# state dump in the log.
soak: image testbed
	@testbed/run.sh $(SOAK_SCENARIOS)

# Carrefour under a FLASK policy: a second hypervisor build, so not in
# `make test`.
e2e-flask: image-flask testbed
	@XEN_IMAGE_DIR=$(CURDIR)/out/image-flask testbed/run.sh $(FLASK_SCENARIOS)

# The main job: the rebuilt Xen on the two-node test bed, Carrefour moving
# a guest's pages, and a summary a person can read.
demo: image testbed
	@testbed/demo.sh

# `make test` ends with the end-to-end suite (see the top Makefile).
test: e2e
