# Scenario: carrefour-teardown.  What else happens to a domain while
# Carrefour moves its pages, in one boot and without a single
# `xl carrefour-disable`:
#  1. guests that power themselves off in the middle of their migrations,
#     three in a row (Carrefour on from xl.cfg, or from xl);
#  2. xl pause / xl unpause in the middle of migrations;
#  3. ballooning in the middle of migrations (xl mem-set down, then up);
#  4. xl save / xl restore in the middle of migrations: the restored guest
#     has Carrefour on again (carrefour=1 is in its configuration), its
#     pages move again, and its memwork goes on checking the data it wrote
#     before the save; then it too powers itself off with Carrefour on.
# Xen must neither crash nor hang, memwork must see no corruption, and
# every node must get its free memory back.
. /testbed/lib.sh

# Carrefour as fast as it goes: short epochs, no cooldown, no freeze.
STRESS="epoch_ms=200 cooldown_epochs=0 freeze_epochs=0 budget_pages=16777216"

# away NAME: the node that holds fewer of NAME's pages.
away() {
    node_pages "$1" | awk '{ split($1, a, "="); split($2, b, "=");
                             print (a[2] + 0 > b[2] + 0) ? 1 : 0 }'
}

# migrating NAME SECONDS: moves NAME's vCPUs to the node that holds fewer
# of its pages (alternating blindly can leave nothing to move: the pages
# may not have followed the last hop yet) and waits until Carrefour has
# moved more of its pages; succeeds once it has (moves are then in
# flight: every epoch proposes more).
migrating() {
    local before deadline
    before=$(moved "$1")
    hop "$1" "$(away "$1")"
    within "$2" moved_since "$1" "$before" && {
        say "$1: moving pages (moved $(moved "$1"), vCPUs on node $node)"
        return 0
    }
    say "$1: no page moved in $2 s; Carrefour's state follows"
    xl debug-keys k
    return 1
}

free_before=$(node_free)
say "free memory before the guests (MB): $free_before"

# 1. Guests that end on their own while their pages move.  memwork runs
#    for a while, then the guest's init powers it off; meanwhile its vCPUs
#    hop from node to node, so that moves are in flight when it goes.
for round in 1 2 3; do
    g=end$round
    MEMWORK_ARGS="-p 32 -s 32 -t $((16 + 4 * round)) -i 2"
    if [ $((round % 2)) = 1 ]; then
        check "$g created on node 0 with carrefour=1" \
            guest_create $g 'cpus="node:0"' 'cpus_soft="node:0"' carrefour=1
    else
        check "$g created on node 0" \
            guest_create $g 'cpus="node:0"' 'cpus_soft="node:0"'
    fi
    check "memwork runs in $g" guest_wait $g 'memwork: t=' 120
    [ $((round % 2)) = 1 ] || check "xl carrefour-enable $g" xl carrefour-enable $g
    xl carrefour-set $g $STRESS
    check "Carrefour moves $g's pages" migrating $g 60
    hop_until_gone $g 120 3
    say "$g ended its run with $last_moved pages moved"
    check "$g powered itself off while Carrefour was moving its pages" \
        guest_gone $g 5
    check "memwork in $g finished without errors" \
        guest_wait $g 'memwork: final .* errors=0 ' 5
done

# 2-4 on one guest: Carrefour on from its configuration (so a restore
# switches it on again), memwork long enough for all three.
MEMWORK_ARGS="-p 32 -s 32 -t 200 -i 3"
check "life created on node 0 with carrefour=1" \
    guest_create life 'cpus="node:0"' 'cpus_soft="node:0"' carrefour=1
check "memwork runs in life" guest_wait life 'memwork: t=' 120
xl carrefour-set life $STRESS

# 2. Pause and unpause.
check "Carrefour moves life's pages" migrating life 60
check "xl pause life in mid-migration" xl pause life
sleep 5
say "life paused: moved $(moved life), pages $(node_pages life)"
check "xl unpause life" xl unpause life
check "life's memwork goes on after the pause" progresses life 30

# 3. Ballooning: down to 192 MB and back while pages move.
tot_before=$(total_pages life)
check "Carrefour moves life's pages again" migrating life 60
check "xl mem-set life 192m in mid-migration" xl mem-set life 192m
check "life's balloon gives memory back to Xen" mem_reaches life 192 90
say "life ballooned down: $(total_pages life) pages (was $tot_before), moved $(moved life)"
check "Carrefour moves life's pages while ballooned" migrating life 60
check "xl mem-set life 256m" xl mem-set life 256m
check "life's balloon takes its memory back" mem_reaches life 256 90
say "life ballooned up: $(total_pages life) pages, moved $(moved life)"
check "life's memwork goes on after ballooning" progresses life 30
check "memwork in life saw no corruption so far" no_corruption life

# 4. Save and restore.
check "Carrefour moves life's pages before the save" migrating life 60
check "xl save life in mid-migration" xl save life /tmp/life.save
check "life is gone once saved" guest_gone life 30
say "saved: $(ls -l /tmp/life.save | awk '{ print $5 }') bytes; free (MB): $(node_free)"
check "xl restore life" xl restore /tmp/life.save
rm -f /tmp/life.save
check "Carrefour is on again in the restored life" \
    sh -c 'xl carrefour-info life | tee /tmp/info.txt; grep -Eq "^life +[0-9]+ on " /tmp/info.txt'
xl carrefour-set life $STRESS
check "life's memwork goes on after the restore" progresses life 60
check "Carrefour moves the restored life's pages" migrating life 60
check "memwork in life saw no corruption across save/restore" no_corruption life

# ...and it ends on its own, with Carrefour on and its vCPUs hopping.
hop_until_gone life 300 5
check "life powered itself off" guest_gone life 5
check "memwork in life finished without errors" \
    guest_wait life 'memwork: final .* errors=0 ' 5

sleep 2
free_after=$(node_free)
say "free memory after the guests (MB): $free_after"
check "every node has its free memory back" [ "$free_before" = "$free_after" ]
xl dmesg | grep -i carrefour | tail -n 20
finish
