# Scenario: soak-poweroff (`make soak`, not part of `make test`).  Twenty
# guests in a row, each with Carrefour on from its configuration, vCPUs
# not pinned (the scheduler moves them between the nodes, so pages move
# back and forth) and stress settings (short epochs, no cooldown, no
# freeze), each running memwork for a few seconds and powering itself off
# with Carrefour on.  It was written after a Xen panic seen at such
# poweroffs (credit2's "Assertion 'cpu < nr_cpu_ids' failed" in
# migrate()), since explained and fixed by patch 0009 (README "Known
# issues", and soak-vcpu-teardown); a hang leaves Xen's state dump in the
# log (run.sh).  Under emulation the stress settings make the guests slow:
# their deadlines are generous.
. /testbed/lib.sh

STRESS="epoch_ms=100 cooldown_epochs=0 freeze_epochs=0"
i=0
while [ $i -lt 20 ]; do
    i=$((i + 1))
    MEMWORK_ARGS="-p 16 -s 16 -t $((4 + i % 5)) -i 2"
    check "s$i created with carrefour=1" guest_create s$i carrefour=1
    xl carrefour-set s$i $STRESS
    check "s$i powered itself off" guest_gone s$i 240
    check "memwork in s$i finished without errors" \
        guest_wait s$i 'memwork: final .* errors=0 ' 5
    xl dmesg -c | grep -i "carrefour\|assert" | tail -n 3
done
finish
