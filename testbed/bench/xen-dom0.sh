# The Xen side of `make bench-e2e`, run in dom0 (busybox sh) like a
# scenario (testbed/bench/e2e.sh boots it; it is not in
# testbed/scenarios/, so `make e2e` does not run it).
#
# ROUNDS times, one after the other: a PVH guest gR is created with its
# memory on node 0 and its vCPUs are then pinned to node 1 (as in the
# carrefour-moves scenario); memwork runs in it; `xl carrefour-enable`;
# every second, the guest's pages per node (debug key 'u'), until the
# pages gained by node 1 reach LOCAL_PERMILLE of memwork's working set
# (WORKSET_PAGES), then until node 1's count has moved by at most
# SETTLE_SLACK_PAGES for SETTLE_S seconds (at most SETTLE_MAX_S
# more); the guest is destroyed.
#
# Round 1 also measures memwork's throughput in three windows of WINDOW_S
# seconds, with no sampling during them:
#   off      before `xl carrefour-enable` (pages on node 0)
#   on       once settled (pages on node 1, Carrefour still sampling)
#   control  after `xl carrefour-disable` (pages on node 1, Carrefour
#            off): tells a drift of the machine's speed over the run from
#            Carrefour's own cost
# Dom0's vCPUs stay on node 0, off the guests' CPUs, as the sampler of
# the native side does.
#
# Lines for the host (e2e.sh):
#   bench: xen sample round=R t=S node0=N node1=M moved=K local=P permille
#   bench: xen round=R reached P permille after S s | ... did not reach ...
#   bench: xen round=R settled after S s: node0=N node1=M moved=K
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
# guest_pages DOMID: "node0=N node1=M", like node_pages (testbed-lib.sh)
# but with two xl calls instead of three (the ring is read and cleared at
# once), so that a sample takes less of the second it is meant to fill.
guest_pages() {
    xl debug-keys u
    xl dmesg -c | awk -v dom="$1" '
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
progress_lines() { grep -c 'memwork: t=' "$CONSOLE_DIR/guest-$1.log"; }
# window GUEST NAME: WINDOW_S seconds; prints GUEST's memwork throughputs
# printed during it.
window() {
    local from to
    from=$(progress_lines "$1")
    say "window $2: $WINDOW_S s"
    sleep "$WINDOW_S"
    to=$(progress_lines "$1")
    echo "bench: xen window $2 throughputs: $(grep 'memwork: t=' "$CONSOLE_DIR/guest-$1.log" |
        sed -n "$((from + 1)),${to}p" | sed 's/.*throughput=\([0-9]*\).*/\1/' | tr '\n' ' ')"
}

# misplaced_guest NAME: created on node 0, vCPUs then on node 1, memwork
# past its first touch.
misplaced_guest() {
    local pages
    check "$1 created on node 0" guest_create "$1" 'cpus="node:0"' 'cpus_soft="node:0"' \
        "memory=$GUEST_MB" vcpus=2
    [ "$FAILED_CHECKS" = 0 ] || finish
    pages=$(node_pages "$1")
    say "$1's pages at creation: $pages"
    check "$1's memory starts on node 0" pages_mostly_on 0 "$pages"
    xl vcpu-pin "$1" all node:1 node:1
    check "memwork runs in $1" guest_wait "$1" 'memwork: t=.* passes=[1-9]' 240
    [ "$FAILED_CHECKS" = 0 ] || finish
    sleep "$PROGRESS_S"
}

# converge NAME ROUND: enables Carrefour on NAME and samples its pages
# every second until the mark and then until they settle.
converge() {
    local domid pages base1 t0 now t n0= n1= moved= local_pm reached= settled= last1= same=0 t_change=0
    domid=$(xl domid "$1")
    xl dmesg -c >/dev/null
    pages=$(guest_pages "$domid")
    base1=$(node_of 1 "$pages")
    say "$1's pages before Carrefour: $pages (working set $WORKSET_PAGES pages)"
    t0=$(uptime_s)
    check "xl carrefour-enable $1" xl carrefour-enable "$1"
    while :; do
        now=$(uptime_s)
        t=$(since "$t0")
        if pages=$(guest_pages "$domid"); then
            n0=$(node_of 0 "$pages") n1=$(node_of 1 "$pages")
            moved=$((n1 - base1))
            local_pm=$((moved * 1000 / WORKSET_PAGES))
            echo "bench: xen sample round=$2 t=$t node0=$n0 node1=$n1 moved=$moved local=$local_pm permille"
            if [ -z "$reached" ]; then
                if [ "$local_pm" -ge "$LOCAL_PERMILLE" ]; then
                    reached=$t
                    echo "bench: xen round=$2 reached $LOCAL_PERMILLE permille after $t s"
                elif awk -v t="$t" -v m="$CONVERGE_MAX_S" 'BEGIN { exit !(t >= m) }'; then
                    echo "bench: xen round=$2 did not reach $LOCAL_PERMILLE permille within $CONVERGE_MAX_S s"
                    reached=never
                fi
            fi
            # Settled: node 1's count still within SETTLE_SLACK_PAGES of where it
            # last changed, SETTLE_S seconds and two samples or more later.
            if [ -n "$last1" ] && [ $((n1 - last1)) -le "$SETTLE_SLACK_PAGES" ] &&
               [ $((last1 - n1)) -le "$SETTLE_SLACK_PAGES" ]; then
                same=$((same + 1))
            else
                same=0 last1=$n1 t_change=$t
            fi
            if [ -n "$reached" ] && [ "$same" -ge 2 ] &&
               awk -v t="$t" -v c="$t_change" -v s="$SETTLE_S" 'BEGIN { exit !(t - c >= s) }'; then
                settled=$t
                break
            fi
        else
            say "no page count from debug key u"
        fi
        awk -v t="$t" -v m="$((CONVERGE_MAX_S + SETTLE_MAX_S))" 'BEGIN { exit !(t >= m) }' && break
        sleep_rest "$now"
    done
    echo "bench: xen round=$2 settled after ${settled:-no} s: node0=$n0 node1=$n1 moved=$moved"
}

# end_guest NAME: memwork saw no errors; the guest goes.
end_guest() {
    check "memwork in $1 saw no errors" \
        sh -c "! grep -E 'memwork: .*errors=[1-9]|memwork: ERROR' $CONSOLE_DIR/guest-$1.log"
    xl destroy "$1"
    check "$1 destroyed" guest_gone "$1" 60
}

xl vcpu-pin Domain-0 all 0-1 0-1
MEMWORK_ARGS="$MEMWORK_ARGS -t 0 -i $PROGRESS_S"

say "round 1 of $ROUNDS (with the throughput windows)"
misplaced_guest g1
window g1 off
converge g1 1
window g1 on
xl dmesg -c >/dev/null
xl debug-keys k
xl dmesg | sed -n '/dumping Carrefour/,$p'
xl carrefour-info g1
check "xl carrefour-disable g1" xl carrefour-disable g1
window g1 control
end_guest g1

round=2
while [ "$round" -le "$ROUNDS" ]; do
    say "round $round of $ROUNDS"
    misplaced_guest "g$round"
    converge "g$round" "$round"
    end_guest "g$round"
    round=$((round + 1))
done
finish
