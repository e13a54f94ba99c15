# Scenario: soak-hop (`make soak`, not part of `make test`).  An A/B
# experiment on the emulator's guest crashes (README "Known issues"):
# eight guests in a row run memwork while their vCPUs hop between the
# nodes every 3 s, as carrefour-teardown's guests do, until they power
# themselves off.  With Carrefour (the default) each guest gets
# `xl carrefour-enable` and the stress settings, so its pages follow the
# hops; booted with `DOM0_CMDLINE_EXTRA=testbed.carrefour=off` the same
# guests hop with Carrefour never switched on.  Every guest crash is a
# "Triple fault" line from Xen or a guest kernel's panic, and a missing
# "memwork: final" line; compare the two modes' counts.
. /testbed/lib.sh

STRESS="epoch_ms=200 cooldown_epochs=0 freeze_epochs=0 budget_pages=16777216"
GUESTS=8
HOP_S=3
case " $(cat /proc/cmdline) " in
    *" testbed.carrefour=off "*) carrefour=off ;;
    *) carrefour=on ;;
esac
say "soak-hop: $GUESTS guests, vCPUs hopping every $HOP_S s, Carrefour $carrefour"

i=0
while [ $i -lt $GUESTS ]; do
    i=$((i + 1))
    g=h$i
    MEMWORK_ARGS="-p 32 -s 32 -t $((20 + 4 * (i % 3))) -i 2"
    check "$g created on node 0" guest_create $g 'cpus="node:0"' 'cpus_soft="node:0"'
    check "memwork runs in $g" guest_wait $g 'memwork: t=' 120
    if [ $carrefour = on ]; then
        check "xl carrefour-enable $g" xl carrefour-enable $g
        xl carrefour-set $g $STRESS
    fi
    hop_until_gone $g 180 $HOP_S
    say "$g: $hops hops, $last_moved pages moved before its end"
    [ $carrefour = off ] || check "Carrefour moved $g's pages" [ "$last_moved" -gt 0 ]
    check "$g powered itself off" guest_gone $g 5
    check "memwork in $g finished without errors" \
        guest_wait $g 'memwork: final .* errors=0 ' 5
done
say "soak-hop: done, Carrefour $carrefour"
finish
