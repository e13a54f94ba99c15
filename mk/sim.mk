# The simulator (carrefour-sim/README.md).
#
#   make sim            every built-in scenario under every policy, with a plot
#   make sim-bench      sampled accesses per second of host time
#   make sim-test       the simulator's tests, including the full-size
#                       acceptance runs (release build: they are ignored in
#                       debug builds to keep `make check` fast)

.PHONY: sim sim-bench sim-test
sim:
	mkdir -p out
	$(CARGO) run -p carrefour-sim --release -- run --builtin all --plot out/sim.svg

sim-bench:
	$(CARGO) run -p carrefour-sim --release -- bench

sim-test:
	$(CARGO) test -p carrefour-sim --release
