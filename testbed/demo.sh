#!/bin/bash
# testbed/demo.sh: the main job, in one command (`make demo`).
#
# Boots the rebuilt Xen on the two-node test bed and runs the
# carrefour-moves scenario: a guest whose memory is on node 0 runs its
# memory workload on node 1's CPUs, Carrefour is switched on, and its
# pages follow the CPUs.  Then prints a summary a person can read, taken
# from the serial log: pages per node before and after, what Carrefour
# did, the workload's throughput before and after, its error count, and
# Carrefour's debug-key dump.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
scenario=${DEMO_SCENARIO:-carrefour-moves}
log=${TESTBED_BUILD:-$top/build/testbed}/logs/$scenario.log

# DEMO_SUMMARY_ONLY=1: summarise the last run's log without booting again.
rc=0
if [ -z "${DEMO_SUMMARY_ONLY:-}" ]; then
    "$here/run.sh" "$scenario"
    rc=$?
fi
[ -f "$log" ] || { echo "demo: no log $log" >&2; exit 1; }

tr -d '\r' <"$log" >"$log.clean"
field() { grep -E "$1" "$log.clean" | head -1 | sed -E "s/.*$1//"; }
# Median of memwork's throughput lines in a part of the log.
throughput() {
    grep -E '^\[g1\] memwork: t=' | sed -E 's/.*throughput=([0-9]+).*/\1/' |
        sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "?" }'
}
enable_line=$(grep -n 'enabling Carrefour on g1' "$log.clean" | head -1 | cut -d: -f1)
enable_line=${enable_line:-999999}
before_tp=$(head -n "$enable_line" "$log.clean" | throughput)
after_tp=$(grep -n 'pages after:' "$log.clean" | head -1 | cut -d: -f1)
after_tp=$(tail -n +"${after_tp:-$enable_line}" "$log.clean" | throughput)

echo
echo "================ Carrefour on Xen: demo summary ================"
echo "machine      : QEMU (software CPU, no KVM), 2 emulated NUMA nodes,"
echo "               4 CPUs, 2 GiB per node; Xen $(grep -oE 'Xen version [^ ]+' "$log.clean" | head -1 | cut -d' ' -f3)"
echo "guest        : PVH, $(grep -oE 'xl create g1: .*' "$log.clean" | grep -oE 'memory=[0-9]+' | tail -1 | cut -d= -f2) MB, 2 vCPUs; memory created on node 0,"
echo "               vCPUs pinned to node 1 (every access remote)"
echo "pages before : $(field 'pages before: ')"
echo "pages after  : $(field 'pages after: ')"
echo "throughput   : $before_tp MB/s before, $after_tp MB/s after (memwork, median)"
echo "errors       : $(grep -E '^\[g1\] memwork: final' "$log.clean" | sed -E 's/.*errors=([0-9]+).*/\1/' | head -1) (memwork verifies every word it wrote)"
echo "free memory  : before $(field 'free memory before the guest \(MB\): ')"
echo "               after  $(field 'free memory after the guest \(MB\): ')"
echo "--- Carrefour's debug key ('xl debug-keys k') ---"
# The dump as Xen's console printed it: the (XEN) lines after the marker.
awk '/dumping Carrefour state/ { if (n++) exit } n && !/^\(XEN\)/ { exit } n' "$log.clean" |
    sed -E 's/^\(XEN\) (\[[^]]*\] )?//'
echo "--- checks ---"
grep -E '^check (ok|FAIL):' "$log.clean"
echo "================================================================="
echo "full serial log: ${log#$top/}"
exit $rc
