# The Xen side of `make bench-e2e`, run in dom0 (busybox sh) like a
# scenario (testbed/bench/e2e.sh boots it; it is not in
# testbed/scenarios/, so `make e2e` does not run it).
#
# A PVH guest is created with its memory on node 0 and its vCPUs are then
# pinned to node 1 (as in the carrefour-moves scenario); memwork runs in
# it.  Then:
#   1. a window of WINDOW_S seconds with Carrefour off: memwork's progress
#      lines printed during it are the "off" throughputs;
#   2. `xl carrefour-enable`; every second, the guest's pages per node
#      (debug key 'u'), until the pages gained by node 1 reach
#      LOCAL_PERMILLE of memwork's working set (WORKSET_PAGES);
#   3. then until node 1's count has moved by at most SETTLE_SLACK_PAGES
#      for SETTLE_SAMPLES samples (converged; at most SETTLE_MAX_S);
#   4. a window of WINDOW_S seconds with Carrefour on: the "on"
#      throughputs;
#   5. `xl carrefour-disable`, and a last window: the "control"
#      throughputs (pages local, Carrefour off), which tell a drift of
#      the machine's speed over the run from Carrefour's own cost.
# No sampling during the windows.
# Dom0's vCPUs stay on node 0, off the guest's CPUs, as the sampler of
# the native side does.
#
# Lines for the host (e2e.sh):
#   bench: xen sample t=S node0=N node1=M moved=K local=P permille
#   bench: xen reached P permille after S s | bench: xen did not reach ...
#   bench: xen settled after S s: node0=N node1=M moved=K
#   bench: xen window off|on|control throughputs: MB/s MB/s ...
. /testbed/lib.sh
. /testbed/bench-params

uptime_s() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$(uptime_s)" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; }
# sleep_rest T: sleeps what is left of the second that began at uptime T.
sleep_rest() {
    usleep "$(awk -v a="$1" -v b="$(uptime_s)" \
        'BEGIN { d = 1 - (b - a); if (d < 0.05) d = 0.05; printf "%d", d * 1e6 }')"
}
node_of() { echo "$2" | tr ' ' '\n' | sed -n "s/^node$1=//p"; }
# guest_pages: "node0=N node1=M" for g1, like node_pages (testbed-lib.sh)
# but with two xl calls instead of three (the ring is read and cleared at
# once), so that a sample takes less of the second it is meant to fill.
guest_pages() {
    xl debug-keys u
    xl dmesg -c | awk -v dom="$domid" '
        /Domain [0-9]+ \(total: [0-9]+\)/ {
            match($0, /Domain [0-9]+/)
            cur = substr($0, RSTART + 7, RLENGTH - 7)
            if (cur == dom) out = ""
        }
        cur == dom {
            s = $0
            while (match(s, /Node [0-9]+: [0-9]+/)) {
                split(substr(s, RSTART + 5, RLENGTH - 5), f, ": ")
                out = out (out == "" ? "" : " ") "node" f[1] "=" f[2]
                s = substr(s, RSTART + RLENGTH)
            }
        }
        END { if (out == "") exit 1; print out }'
}
progress_lines() { grep -c 'memwork: t=' "$CONSOLE_DIR/guest-g1.log"; }
# window NAME: WINDOW_S seconds; prints memwork's throughputs in it.
window() {
    local from to
    from=$(progress_lines)
    say "window $1: $WINDOW_S s"
    sleep "$WINDOW_S"
    to=$(progress_lines)
    echo "bench: xen window $1 throughputs: $(grep 'memwork: t=' "$CONSOLE_DIR/guest-g1.log" |
        sed -n "$((from + 1)),${to}p" | sed 's/.*throughput=\([0-9]*\).*/\1/' | tr '\n' ' ')"
}

xl vcpu-pin Domain-0 all 0-1 0-1
MEMWORK_ARGS="$MEMWORK_ARGS -t 0 -i $PROGRESS_S"
check "g1 created on node 0" guest_create g1 'cpus="node:0"' 'cpus_soft="node:0"' \
    "memory=$GUEST_MB" vcpus=2
[ "$FAILED_CHECKS" = 0 ] || finish
pages=$(node_pages g1)
say "pages at creation: $pages"
check "g1's memory starts on node 0" pages_mostly_on 0 "$pages"
xl vcpu-pin g1 all node:1 node:1
# Steady state: memwork's threads are past their first touch.
check "memwork runs in g1" guest_wait g1 'memwork: t=.* passes=[1-9]' 240
[ "$FAILED_CHECKS" = 0 ] || finish
sleep "$PROGRESS_S"

window off

domid=$(xl domid g1)
xl dmesg -c >/dev/null
pages=$(guest_pages)
base1=$(node_of 1 "$pages")
say "pages before Carrefour: $pages (working set $WORKSET_PAGES pages)"
t0=$(uptime_s)
check "xl carrefour-enable g1" xl carrefour-enable g1
reached= settled= last1= same=0
while :; do
    now=$(uptime_s)
    t=$(since "$t0")
    pages=$(guest_pages) || { say "no page count from debug key u"; sleep_rest "$now"; continue; }
    n0=$(node_of 0 "$pages") n1=$(node_of 1 "$pages")
    moved=$((n1 - base1))
    local_pm=$((moved * 1000 / WORKSET_PAGES))
    echo "bench: xen sample t=$t node0=$n0 node1=$n1 moved=$moved local=$local_pm permille"
    if [ -z "$reached" ]; then
        if [ "$local_pm" -ge "$LOCAL_PERMILLE" ]; then
            reached=$t
            echo "bench: xen reached $LOCAL_PERMILLE permille after $t s"
        elif awk -v t="$t" -v m="$CONVERGE_MAX_S" 'BEGIN { exit !(t >= m) }'; then
            echo "bench: xen did not reach $LOCAL_PERMILLE permille within $CONVERGE_MAX_S s"
            reached=never
        fi
    fi
    if [ -n "$last1" ] && [ $((n1 - last1)) -le "$SETTLE_SLACK_PAGES" ] &&
       [ $((last1 - n1)) -le "$SETTLE_SLACK_PAGES" ]; then
        same=$((same + 1))
    else
        same=0
    fi
    last1=$n1
    if [ -n "$reached" ] && [ "$same" -ge "$SETTLE_SAMPLES" ]; then
        settled=$t
        break
    fi
    awk -v t="$t" -v m="$((CONVERGE_MAX_S + SETTLE_MAX_S))" 'BEGIN { exit !(t >= m) }' && break
    sleep_rest "$now"
done
echo "bench: xen settled after ${settled:-no} s: node0=$n0 node1=$n1 moved=$moved"

window on

xl dmesg -c >/dev/null
xl debug-keys k
xl dmesg | sed -n '/dumping Carrefour/,$p'
xl carrefour-info g1
check "xl carrefour-disable g1" xl carrefour-disable g1
window control

check "memwork in g1 saw no errors" \
    sh -c "! grep -E 'memwork: .*errors=[1-9]|memwork: ERROR' $CONSOLE_DIR/guest-g1.log"
xl destroy g1
finish
