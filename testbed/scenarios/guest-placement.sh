# Scenario: guest-placement.  A PVH guest gets its memory on node 0
# (cpus and cpus_soft on node 0 at creation), then its vCPUs are pinned
# to node 1, so every access memwork makes is remote.  Xen's 'u' debug
# key shows where the guest's pages are; memwork must run without errors
# and its progress lines must reach the serial log.
. /testbed/lib.sh

MEMWORK_ARGS="-p 16 -s 16 -t 24 -i 3"
check "g1 created on node 0" \
    guest_create g1 'cpus="node:0"' 'cpus_soft="node:0"' memory=256 vcpus=2
pages=$(node_pages g1)
say "g1 pages at creation: $pages"
check "g1's memory is on node 0" pages_mostly_on 0 "$pages"

say "pinning g1's vCPUs to node 1 (hard and soft)"
xl vcpu-pin g1 all node:1 node:1
xl vcpu-list g1
check "g1's vCPUs run on node 1" \
    sh -c 'xl vcpu-list g1 | awk "NR > 1 && \$7 != \"2-3\" { bad = 1 } END { exit bad }"'

check "memwork runs in g1" guest_wait g1 'memwork: t=' 120
say "g1 pages while memwork runs: $(node_pages g1)"
check "memwork in g1 finishes without errors" \
    guest_wait g1 'memwork: final .* errors=0 ' 90
check "g1 powers itself off" guest_gone g1 60
finish
