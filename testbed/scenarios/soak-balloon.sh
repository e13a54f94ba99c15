# Scenario: soak-balloon (`make soak`, not part of `make test`).  The
# balloon under Carrefour, many times over: one guest runs memwork with
# Carrefour at its stress settings while its vCPUs hop between the nodes,
# and dom0 takes its memory down to 192 MB and back to 256 MB again and
# again.  Each time the balloon must reach its target, memwork must go on
# and see no corruption, and Carrefour must go on moving pages; at the
# end every node has its free memory back.  carrefour-teardown does this
# once; CI once saw Xen hang right after its balloon went back up.
. /testbed/lib.sh

STRESS="epoch_ms=200 cooldown_epochs=0 freeze_epochs=0 budget_pages=16777216"
ROUNDS=${SOAK_BALLOON_ROUNDS:-12}
LOW_MB=192
HIGH_MB=256
BALLOON_S=90    # as carrefour-teardown: the balloon is slow under TCG

free_before=$(node_free)
say "soak-balloon: $ROUNDS rounds of $HIGH_MB -> $LOW_MB -> $HIGH_MB MB; free (MB): $free_before"

MEMWORK_ARGS="-p 32 -s 32 -t 900 -i 3"
check "bal created on node 0 with carrefour=1" \
    guest_create bal 'cpus="node:0"' 'cpus_soft="node:0"' carrefour=1
check "memwork runs in bal" guest_wait bal 'memwork: t=' 120
xl carrefour-set bal $STRESS

round=0
while [ $round -lt $ROUNDS ]; do
    round=$((round + 1))
    before=$(moved bal)
    hop bal
    check "round $round: xl mem-set bal ${LOW_MB}m" xl mem-set bal ${LOW_MB}m
    check "round $round: bal's balloon gives memory back" \
        mem_reaches bal $LOW_MB $BALLOON_S
    hop bal
    check "round $round: xl mem-set bal ${HIGH_MB}m" xl mem-set bal ${HIGH_MB}m
    check "round $round: bal's balloon takes its memory back" \
        mem_reaches bal $HIGH_MB $BALLOON_S
    check "round $round: memwork in bal goes on" progresses bal 30
    check "round $round: no corruption in bal" no_corruption bal
    say "round $round: moved $before -> $(moved bal), pages $(node_pages bal)"
done

check "Carrefour moved bal's pages" moved_since bal 0
check "xl destroy bal" xl destroy bal
check "bal is gone" guest_gone bal 30
check "memwork in bal saw no corruption" no_corruption bal
sleep 2
free_after=$(node_free)
say "free (MB): before $free_before, after $free_after"
check "every node has its free memory back" [ "$free_after" = "$free_before" ]
finish
