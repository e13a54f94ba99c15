# The end-to-end benchmark (testbed/README.md, "Benchmarks"): on the test
# bed's emulated two-node machine, how long a misplaced memwork takes to
# become 90 % local under Xen + Carrefour and under Linux's own automatic
# NUMA balancing (the same kernel booted without Xen), and memwork's
# throughput in the Xen guest with Carrefour off and on.  Prints figures,
# not pass/fail; about 10 minutes.  Not part of `make e2e` or `make test`.
#
#   make bench-e2e
#   make bench-e2e BENCH_SIDES=native     one side only (xen, native)
#
# Sizes and windows: BENCH_* variables, see testbed/bench/e2e.sh.

.PHONY: bench-e2e
bench-e2e: image testbed
	@testbed/bench/e2e.sh
