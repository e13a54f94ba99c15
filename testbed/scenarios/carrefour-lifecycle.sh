# Scenario: carrefour-lifecycle.  The data plane's harder cases, in one
# boot:
#  1. a guest whose memory and vCPUs are both on node 1 sees no moves;
#  2. stress: a guest whose vCPUs hop between the nodes every few seconds
#     while Carrefour moves its pages as fast as its budget allows (short
#     epochs, no cooldown, no freeze): memwork must see no corruption and
#     the guest's page count must not change;
#  3. destroying that guest in the middle of its migrations is clean: the
#     next guest runs, and every node gets its free memory back.
. /testbed/lib.sh

free_before=$(node_free)
say "free memory before the guests (MB): $free_before"

# 1. Already local.
MEMWORK_ARGS="-p 32 -s 16 -t 40 -i 5"
check "local created on node 1" \
    guest_create local 'cpus="node:1"' 'cpus_soft="node:1"' memory=256 vcpus=2
check "memwork runs in local" guest_wait local 'memwork: t=' 120
check "xl carrefour-enable local" xl carrefour-enable local
sleep 15
say "local: pages $(node_pages local), moved $(moved local)"
xl carrefour-info local
check "a guest whose pages are already local sees no moves" [ "$(moved local)" = 0 ]
xl destroy local

# 2. Stress.
MEMWORK_ARGS="-p 48 -s 16 -t 150 -i 3"
check "hop created on node 0" \
    guest_create hop 'cpus="node:0"' 'cpus_soft="node:0"' memory=256 vcpus=2
tot_before=$(total_pages hop)
check "memwork runs in hop" guest_wait hop 'memwork: t=' 120
check "xl carrefour-enable hop" xl carrefour-enable hop
check "stress settings accepted" \
    xl carrefour-set hop epoch_ms=100 cooldown_epochs=0 freeze_epochs=0 budget_pages=16777216
for node in 1 0 1 0; do
    xl vcpu-pin hop all node:$node node:$node
    sleep 8
    say "hop on node $node: pages $(node_pages hop), moved $(moved hop)"
done
check "pages moved back and forth (more than the guest's size)" \
    [ "$(moved hop)" -gt "$tot_before" ]
check "the guest's page count did not change" [ "$(total_pages hop)" = "$tot_before" ]
check "memwork saw no corruption so far" no_corruption hop

# 3. Destroy in the middle of migrations.
xl vcpu-pin hop all node:1 node:1
sleep 2
say "destroying hop while it moves: $(node_pages hop), moved $(moved hop)"
check "xl destroy hop" xl destroy hop
check "hop is gone" guest_gone hop 30
xl dmesg -c >/dev/null
xl debug-keys k
xl dmesg | sed -n '/dumping Carrefour/,$p'

MEMWORK_ARGS="-p 16 -s 16 -t 20 -i 5"
check "next created" guest_create next memory=256 vcpus=2 carrefour=1
sleep 3
check "Carrefour is on in next" sh -c 'xl carrefour-info next | grep -Eq "^next +[0-9]+ on "'
check "memwork in next finishes without errors" \
    guest_wait next 'memwork: final .* errors=0 ' 120
check "next powers itself off" guest_gone next 60

sleep 2
free_after=$(node_free)
say "free memory after the guests (MB): $free_after"
check "every node has its free memory back" [ "$free_before" = "$free_after" ]
finish
