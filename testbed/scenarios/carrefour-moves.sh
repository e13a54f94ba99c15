# Scenario: carrefour-moves.  The data plane end to end.  A PVH guest's
# memory is put on node 0 and its vCPUs on node 1, so every access its
# memwork makes is remote; `xl carrefour-enable` lets Carrefour sample
# the guest's accesses (hinting faults on NPT) and move its pages under
# it.  The guest's pages must end up mostly on node 1 within a bounded
# time, memwork must see no corruption, and once the guest is gone the
# free memory of each node must be what it was before (nothing leaked).
. /testbed/lib.sh

free_before=$(node_free)
say "free memory before the guest (MB): $free_before"

# memwork touches most of the guest's memory: Carrefour moves the pages a
# guest uses, and pages it never touches (free memory) have no reason to
# move, so "mostly" is 75 % here.
MEMWORK_ARGS="-p 128 -s 32 -t 110 -i 3"
check "g1 created on node 0" \
    guest_create g1 'cpus="node:0"' 'cpus_soft="node:0"' memory=384 vcpus=2
pages=$(node_pages g1)
say "pages before: $pages"
check "g1's memory starts on node 0" pages_mostly_on 0 "$pages"
tot_before=$(xl list g1 | awk 'NR == 2 { print $3 }')

xl vcpu-pin g1 all node:1 node:1
check "memwork runs in g1" guest_wait g1 'memwork: t=' 120
sleep 6

say "enabling Carrefour on g1"
check "xl carrefour-enable g1" xl carrefour-enable g1
xl carrefour-info g1

# Bounded time for the pages to follow the vCPUs.
MOSTLY_PERMILLE=750
deadline=$(( $(cut -d. -f1 /proc/uptime) + 60 ))
moved=no
while [ "$(cut -d. -f1 /proc/uptime)" -lt "$deadline" ]; do
    sleep 4
    pages=$(node_pages g1)
    say "pages now: $pages"
    if pages_mostly_on 1 "$pages"; then
        moved=yes
        break
    fi
done
check "g1's pages moved mostly to node 1 within 60 s" [ "$moved" = yes ]
say "pages after: $pages"

xl dmesg -c >/dev/null
xl debug-keys k
xl dmesg | sed -n '/dumping Carrefour/,$p'
xl carrefour-info g1

check "memwork in g1 finishes without errors" \
    guest_wait g1 'memwork: final .* errors=0 ' 150
check "g1 powers itself off" guest_gone g1 60

sleep 2
free_after=$(node_free)
say "free memory after the guest (MB): $free_after"
check "every node has its free memory back" [ "$free_before" = "$free_after" ]
finish
