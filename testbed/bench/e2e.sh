#!/bin/bash
# testbed/bench/e2e.sh (`make bench-e2e`): a benchmark, not a test.  It
# prints figures; it fails only when a side could not be measured.
#
# On the test bed's emulated machine (testbed/run.sh's QEMU flags: TCG,
# 4 CPUs, two NUMA nodes of 2 GiB), side by side:
#
#   Xen + Carrefour   the rebuilt Xen (carrefour=on); a PVH guest created
#                     on node 0, its vCPUs pinned to node 1, memwork in it;
#                     `xl carrefour-enable`; the guest's pages per node
#                     from debug key 'u', at most every second
#                     (bench/xen-dom0.sh)
#   Linux native      the same Debian kernel without Xen, booted with
#                     numa_balancing=enable; memwork first-touches its
#                     arrays on CPU 0 (node 0) and runs its threads on
#                     CPUs 2-3 (node 1); its pages per node from
#                     /proc/PID/numa_maps, at most every second
#                     (bench/native-init)
#
# and prints:
#   time to 90 % local: Xen+Carrefour X s, Linux NUMA balancing Y s, ratio Y/X
#   memwork throughput (median MB/s): Carrefour off A, on B, ratio B/A
#
# "Local" is defined the same way on both sides: the pages that node 1
# gained since the clock started, over memwork's working set (its arrays,
# threads x private + shared MB).  The clock starts when balancing meets
# the misplaced workload: on Linux when memwork's threads start on node 1
# (balancing is on from boot); on Xen at `xl carrefour-enable` (memwork
# has been running misplaced for a while).  See testbed/README.md,
# "Benchmarks", for what this definition counts and what it does not.
#
# Environment (defaults in brackets):
#   BENCH_THREADS [2] BENCH_PRIVATE_MB [128] BENCH_SHARED_MB [32]
#                     memwork's size, the same on both sides
#   BENCH_GUEST_MB [384]       the Xen guest's memory
#   BENCH_LOCAL_PERMILLE [900] the mark
#   BENCH_CONVERGE_MAX_S [180] give up on the mark after this long
#   BENCH_ROUNDS [3]           measurements of the time to the mark per side
#                              (the figures are their medians)
#   BENCH_WINDOW_S [40]        each throughput window (Carrefour off, on,
#                              control), in the Xen side's first round
#   BENCH_QUIET_WAIT_S [240]   how long to wait, in all, for a quiet host
#                              (no other QEMU, other work under 30 % of a
#                              core: other people's test runs and builds)
#                              before measuring anyway
#   BENCH_SIDES ["xen native"] which sides to run
#   BENCH_SUMMARY_ONLY=1       no run: the figures again from the last logs
# Logs: build/testbed/bench/{xen,native}.log; the summary also goes to
# build/testbed/bench/summary.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
testbed=$(cd "$here/.." && pwd)
top=$(cd "$testbed/.." && pwd)
BUILD=${TESTBED_BUILD:-$top/build/testbed}
BUILD=$(realpath -m "$BUILD")   # the scripts change directory
OUT=$BUILD/bench
T0=$(date +%s.%N)
step() { awk -v t0="$T0" -v now="$(date +%s.%N)" -v msg="$*" \
            'BEGIN { printf "bench: [%5.1fs] %s\n", now - t0, msg }'; }
die() { echo "bench: error: $*" >&2; exit 1; }

THREADS=${BENCH_THREADS:-2}
PRIVATE_MB=${BENCH_PRIVATE_MB:-128}
SHARED_MB=${BENCH_SHARED_MB:-32}
GUEST_MB=${BENCH_GUEST_MB:-384}
LOCAL_PERMILLE=${BENCH_LOCAL_PERMILLE:-900}
CONVERGE_MAX_S=${BENCH_CONVERGE_MAX_S:-180}
WINDOW_S=${BENCH_WINDOW_S:-40}
ROUNDS=${BENCH_ROUNDS:-3}
QUIET_WAIT_S=${BENCH_QUIET_WAIT_S:-240}
SIDES=${BENCH_SIDES:-xen native}
MEMWORK_SIZE="-n $THREADS -p $PRIVATE_MB -s $SHARED_MB"
WORKSET_MB=$((THREADS * PRIVATE_MB + SHARED_MB))
WORKSET_PAGES=$((WORKSET_MB * 256))
PROGRESS_S=2            # memwork's progress period on both sides
# Settled: node 1's count has stayed within SETTLE_SLACK_PAGES (0.1 % of
# the working set) of where it last changed for SETTLE_S seconds (and two
# samples); waited for at most SETTLE_MAX_S after CONVERGE_MAX_S.  Both
# sides sample until then.
SETTLE_S=12
SETTLE_SLACK_PAGES=$((WORKSET_PAGES / 1000))
SETTLE_MAX_S=60
XEN_TIMEOUT_S=$((120 + 3 * WINDOW_S + ROUNDS * (120 + CONVERGE_MAX_S + SETTLE_MAX_S)))
NATIVE_TIMEOUT_S=$((120 + ROUNDS * (30 + CONVERGE_MAX_S + SETTLE_MAX_S)))
POWEROFF_GRACE_S=10
NATIVE_CMDLINE="console=ttyS0 numa_balancing=enable"

# The emulated machine and the command lines are testbed/run.sh's own,
# read from it, so that the benchmark boots exactly what the scenarios
# boot.
eval "$(sed -n '/^QEMU_MACHINE=(/,/^)/p' "$testbed/run.sh")"
eval "$(sed -n '/^XEN_CMDLINE="/,/"$/p' "$testbed/run.sh")"
eval "$(sed -n '/^DOM0_CMDLINE="/p' "$testbed/run.sh")"
case " ${QEMU_MACHINE[*]:-} " in
    *" -numa "*) ;;
    *) die "could not read QEMU_MACHINE from $testbed/run.sh" ;;
esac
[ -n "${XEN_CMDLINE:-}" ] && [ -n "${DOM0_CMDLINE:-}" ] ||
    die "could not read XEN_CMDLINE/DOM0_CMDLINE from $testbed/run.sh"
# The same QEMU as run.sh's, for both sides.
QEMU=${TESTBED_QEMU:-qemu-system-x86_64}

# --- build -------------------------------------------------------------
if [ "${BENCH_SUMMARY_ONLY:-0}" = 1 ]; then
    # Only the figures, again, from the logs of the last run.
    SIDES=
    NATIVE_KERNEL=$(sed -n 's/^NATIVE_KERNEL=//p' "$OUT/native/boot.env" 2>/dev/null || true)
else
    "$testbed/build-initramfs.sh"
    "$here/build-native-initramfs.sh"
    # shellcheck source=/dev/null
    . "$BUILD/dom0/boot.env"
    # shellcheck source=/dev/null
    . "$OUT/native/boot.env"
    mkdir -p "$OUT"
    # No figure of an earlier run may pass for one of this run.
    rm -f "$OUT"/{xen,native}.{log,log.txt,others,busy,qemu.out} "$OUT/summary.txt"
fi

# --- other people's QEMUs ----------------------------------------------
qemu_pid=
cleanup() { [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
others() { { pgrep qemu-system || true; } | { grep -vx "${qemu_pid:-none}" || true; } | wc -l; }
# busy_ticks: the host's busy CPU time so far (clock ticks, all CPUs).
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# ticks_of PID: PID's CPU time so far (clock ticks), 0 once it is gone.
ticks_of() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)
# A quiet host: no other QEMU, and other work using less than
# QUIET_BUSY_PERMILLE of one core over a few seconds (builds count too).
QUIET_BUSY_PERMILLE=300
quiet_deadline=$(( $(date +%s) + QUIET_WAIT_S ))
wait_quiet() {
    local n busy b0
    while :; do
        b0=$(busy_ticks); sleep 5
        busy=$(( ($(busy_ticks) - b0) * 1000 / (5 * HZ) ))
        n=$(others)
        [ "$n" -eq 0 ] && [ "$busy" -lt "$QUIET_BUSY_PERMILLE" ] && return 0
        [ "$(date +%s)" -ge "$quiet_deadline" ] && break
        step "$n other QEMU process(es), host busy $((busy / 10)) % of a core; waiting for a quiet" \
             "machine (at most $((quiet_deadline - $(date +%s))) s more)"
        sleep 10
    done
    step "measuring anyway ($n other QEMU process(es), host busy $((busy / 10)) % of a core): figures are noisy"
}

# boot NAME END_REGEX TIMEOUT_S MILESTONE... -- QEMU-ARGS...
#   Boots QEMU with the serial log in $OUT/NAME.log; stops when the log
#   shows END_REGEX (plus a grace period for poweroff), when QEMU exits,
#   or at the timeout.  MILESTONEs ("REGEX|what") are reported as they
#   show up.  Records the most other QEMU processes seen meanwhile in
#   $OUT/NAME.others.
boot() {
    local name=$1 end=$2 timeout_s=$3 log=$OUT/$1.log start now done_at= seen= mark
    local most=0 n milestones=()
    shift 3
    while [ "$1" != -- ]; do milestones+=("$1"); shift; done
    shift
    : > "$log"
    start=$(date +%s)
    local b0 q=0
    b0=$(busy_ticks)
    "$QEMU" "${QEMU_MACHINE[@]}" "$@" -serial "file:$log" \
        </dev/null >"$OUT/$name.qemu.out" 2>&1 &
    qemu_pid=$!
    while kill -0 "$qemu_pid" 2>/dev/null; do
        now=$(date +%s)
        n=$(others); [ "$n" -gt "$most" ] && most=$n
        for mark in "${milestones[@]}"; do
            case "$seen" in *"<${mark##*|}>"*) continue ;; esac
            grep -aEq "${mark%|*}" "$log" &&
                { step "$name: ${mark##*|} [$n other QEMUs]"; seen="$seen<${mark##*|}>"; }
        done
        if [ -z "$done_at" ] && grep -aEq "$end" "$log"; then done_at=$now; fi
        [ -n "$done_at" ] && [ $((now - done_at)) -ge $POWEROFF_GRACE_S ] && break
        if [ $((now - start)) -ge "$timeout_s" ]; then
            step "$name: timed out after ${timeout_s}s"
            break
        fi
        n=$(ticks_of "$qemu_pid"); [ "$n" -gt 0 ] && q=$n
        sleep 1
    done
    n=$(ticks_of "$qemu_pid"); [ "$n" -gt 0 ] && q=$n
    # What the rest of the host used meanwhile, in permille of one core.
    echo $(( ($(busy_ticks) - b0 - q) * 1000 / (($(date +%s) - start + 1) * HZ) )) > "$OUT/$name.busy"
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
    qemu_pid=
    echo "$most" > "$OUT/$name.others"
    tr -d '\r' < "$log" > "$log.txt"
    step "$name: done after $(( $(date +%s) - start ))s (log ${log#"$top"/}); meanwhile other QEMUs:" \
         "at most $most, other work: $(( $(cat "$OUT/$name.busy") / 10 )) % of a core on average"
}

# --- the Xen side ------------------------------------------------------
run_xen() {
    local r=$OUT/xen-run
    rm -rf "$r" && mkdir -p "$r/root/testbed"
    cp "$here/xen-dom0.sh" "$r/root/testbed/scenario.sh"
    echo bench-e2e > "$r/root/testbed/scenario-name"
    cat > "$r/root/testbed/bench-params" <<PARAMS
MEMWORK_ARGS="$MEMWORK_SIZE"
ROUNDS=$ROUNDS
WORKSET_PAGES=$WORKSET_PAGES
GUEST_MB=$GUEST_MB
LOCAL_PERMILLE=$LOCAL_PERMILLE
CONVERGE_MAX_S=$CONVERGE_MAX_S
SETTLE_S=$SETTLE_S
SETTLE_SLACK_PAGES=$SETTLE_SLACK_PAGES
SETTLE_MAX_S=$SETTLE_MAX_S
WINDOW_S=$WINDOW_S
PROGRESS_S=$PROGRESS_S
PARAMS
    (cd "$r/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$r/bench.cpio"
    cat "$DOM0_INITRD" "$r/bench.cpio" > "$r/dom0-initrd.cpio"
    wait_quiet
    step "xen: booting Xen ($XEN_IMAGE_DIR) with carrefour=on (timeout ${XEN_TIMEOUT_S}s)"
    # A comma inside a multiboot module's command line is written ",,".
    boot xen '^testbed: scenario done rc=|Panic on CPU|Kernel panic' "$XEN_TIMEOUT_S" \
        '^testbed: .*toolstack ready|toolstack ready' \
        '^scenario: .*created \(domid|guest created on node 0, vCPUs to node 1' \
        '^scenario: .*window off|memwork running: window with Carrefour off' \
        '^scenario: .*g1.s pages before Carrefour|xl carrefour-enable' \
        '^bench: xen round=1 (reached|did not reach)|the mark' \
        '^bench: xen round=1 settled|settled' \
        '^scenario: .*window on|window with Carrefour on' \
        '^scenario: .*window control|control window: Carrefour disabled again' \
        '^scenario: .*round 2 of|round 2' \
        '^scenario: .*round 3 of|round 3' \
        -- \
        -kernel "$XEN" -append "$(echo $XEN_CMDLINE carrefour=on)" \
        -initrd "$DOM0_KERNEL $(echo $DOM0_CMDLINE | sed 's/,/,,/g'),$r/dom0-initrd.cpio"
}

# --- the native side ---------------------------------------------------
run_native() {
    local r=$OUT/native-run
    rm -rf "$r" && mkdir -p "$r/root/bench"
    cat > "$r/root/bench/params" <<PARAMS
MEMWORK_ARGS="$MEMWORK_SIZE"
ROUNDS=$ROUNDS
PROGRESS_S=$PROGRESS_S
WORKSET_PAGES=$WORKSET_PAGES
LOCAL_PERMILLE=$LOCAL_PERMILLE
CONVERGE_MAX_S=$CONVERGE_MAX_S
SETTLE_S=$SETTLE_S
SETTLE_SLACK_PAGES=$SETTLE_SLACK_PAGES
SETTLE_MAX_S=$SETTLE_MAX_S
PARAMS
    (cd "$r/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$r/params.cpio"
    cat "$OUT/native/initramfs.cpio" "$r/params.cpio" > "$r/initrd.cpio"
    wait_quiet
    step "native: booting $NATIVE_KERNEL without Xen, '$NATIVE_CMDLINE' (timeout ${NATIVE_TIMEOUT_S}s)"
    boot native '^bench: native done rc=|Kernel panic' "$NATIVE_TIMEOUT_S" \
        '^bench: .*kernel.numa_balancing=|userspace up' \
        '^bench: .*first touch done|memwork running on node 1: clock starts' \
        '^bench: native round=1 (reached|did not reach)|the mark' \
        '^bench: native round=1 settled|settled' \
        '^bench: .*round 2 of|round 2' \
        '^bench: .*round 3 of|round 3' \
        -- \
        -kernel "$NATIVE_KERNEL" -initrd "$r/initrd.cpio" -append "$NATIVE_CMDLINE"
}

for side in $SIDES; do
    case $side in
        xen) run_xen ;;
        native) run_native ;;
        *) die "unknown side $side (BENCH_SIDES: xen native)" ;;
    esac
done

# --- the figures -------------------------------------------------------
# Whatever a side left in its log is shown; a missing side shows "none".
set +e +o pipefail
xlog=$OUT/xen.log.txt nlog=$OUT/native.log.txt
# marks SIDE LOG ROUND: from the samples of one round, "T T_BEFORE T_AT
# T_ALL FINAL EXTRA PERIOD NSAMPLES" ("none" where the mark was missed):
#   EXTRA       max(0, FINAL - working set): pages moved beyond the working
#               set by the last (settled) sample, which had moved FINAL
#   T_AT        the first sample with moved >= LOCAL_PERMILLE of the
#               working set + EXTRA (every page moved beyond the working
#               set counted as moved before memwork's); T_BEFORE the
#               sample before it (0: the clock's start, nothing moved)
#   T           when the mark was crossed, interpolated linearly between
#               those two samples: the sampling period (slower on Xen,
#               where a sample is two xl calls) does not count against
#               either side
#   T_ALL       the same as T with moved >= LOCAL_PERMILLE of the working
#               set (every page moved counted as memwork's)
#   PERIOD      the median time between samples
marks() {
    grep -a "^bench: $1 sample round=$3 " "$2" 2>/dev/null | sed 's/^bench: [a-z]* sample //' |
    awk -v w="$WORKSET_PAGES" -v pm="$LOCAL_PERMILLE" '
        { split($2, a, "="); split($5, b, "="); t[NR] = a[2]; m[NR] = b[2] }
        function first(need,   i) {
            for (i = 1; i <= NR; i++) if (m[i] >= need) return i
            return 0 }
        function at(i) { return i ? t[i] : "none" }
        function before(i) { return i > 1 ? t[i - 1] : (i == 1 ? "0" : "none") }
        function crossed(i, need,   t0, m0) {
            if (!i) return "none"
            t0 = i > 1 ? t[i - 1] : 0; m0 = i > 1 ? m[i - 1] : 0
            if (m[i] <= m0) return t[i]
            return sprintf("%.1f", t0 + (need - m0) / (m[i] - m0) * (t[i] - t0)) }
        function period(   k, n, x, y) {
            # the median of the gaps between samples (insertion sort)
            n = 0
            for (k = 2; k <= NR; k++) {
                x = t[k] - t[k - 1]
                for (y = ++n; y > 1 && gap[y - 1] > x; y--) gap[y] = gap[y - 1]
                gap[y] = x
            }
            return n ? sprintf("%.1f", gap[int((n + 1) / 2)]) : "none" }
        END {
            if (NR == 0) { print "none none none none none 0 none 0"; exit }
            need = w * pm / 1000
            extra = m[NR] - w; if (extra < 0) extra = 0
            i = first(need + extra); j = first(need)
            print crossed(i, need + extra), before(i), at(i), crossed(j, need), m[NR], extra, period(), NR }'
}
# median of the numbers on stdin; "none" if any is "none" or there are none.
median() {
    tr ' ' '\n' | grep . | sort -g |
        awk '$1 == "none" { bad = 1 } { v[NR] = $1 }
             END { if (bad || NR == 0) print "none";
                   else if (NR % 2) print v[(NR + 1) / 2];
                   else printf "%g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", b / a; else print "n/a" }'; }
window_values() { { sed -n "s/^bench: xen window $1 throughputs: //p" "$xlog" 2>/dev/null || true; } | head -1; }
count_errors() { grep -aEc "memwork: .*errors=[1-9]|memwork: ERROR" "$1" 2>/dev/null || true; }
others_of() { cat "$OUT/$1.others" 2>/dev/null || echo "?"; }
busy_of() { local b; b=$(cat "$OUT/$1.busy" 2>/dev/null) && echo "$((b / 10)) %" || echo "?"; }
settled_of() { { sed -n "s/^bench: $1 round=$3 settled after \([^ ]*\) s.*/\1/p" "$2" 2>/dev/null || true; } | head -1; }
# per_round SIDE LOG: sets SIDE_t, SIDE_all, SIDE_extra, SIDE_period,
# SIDE_settled (space-separated, one per round) and SIDE_detail.
per_round() {
    local r t tb tat ta fin ex per n ts=() tas=() exs=() pers=() sets=() detail=
    for r in $(seq 1 "$ROUNDS"); do
        read -r t tb tat ta fin ex per n < <(marks "$1" "$2" "$r")
        ts+=("$t"); tas+=("$ta"); exs+=("$ex"); pers+=("$per"); sets+=("$(settled_of "$1" "$2" "$r")")
        detail="$detail round $r: $t s (between samples at $tb and $tat s; every page counted: $ta s),"
        detail="$detail $n samples every $per s, moved $fin pages ($ex beyond W), settled at $(settled_of "$1" "$2" "$r") s"$'\n'
    done
    eval "${1}_t=\"${ts[*]}\" ${1}_all=\"${tas[*]}\" ${1}_extra=\"${exs[*]}\""
    eval "${1}_period=\"${pers[*]}\" ${1}_settled=\"${sets[*]}\""
    printf -v "${1}_detail" '%s' "$detail"
}
per_round xen "$xlog"
per_round native "$nlog"
x=$(echo "$xen_t" | median) x_all_median=$(echo "$xen_all" | median) y=$(echo "$native_t" | median)
x_all=$xen_all
off_values=$(window_values off) on_values=$(window_values on) ctl_values=$(window_values control)
a=$(echo "$off_values" | median) b=$(echo "$on_values" | median) c=$(echo "$ctl_values" | median)
xen_version=$(grep -aoE 'Xen version [^ ]+' "$xlog" 2>/dev/null | head -1 | cut -d' ' -f3)
pct=$((LOCAL_PERMILLE / 10))

{
echo "================ bench-e2e: Carrefour for Xen vs Linux NUMA balancing ================"
echo "date    : $(date -u '+%Y-%m-%d %H:%M UTC'), host $(nproc) CPUs"
echo "machine : QEMU $("$QEMU" --version | head -1 | awk '{ print $4 }') TCG (software CPU) with testbed/run.sh's flags:"
echo "          4 CPUs, node 0 = CPUs 0-1 + 2 GiB, node 1 = CPUs 2-3 + 2 GiB"
echo "workload: memwork $MEMWORK_SIZE: working set W = $WORKSET_MB MB = $WORKSET_PAGES pages,"
echo "          memory on node 0, threads on node 1"
echo "local   : pages that node 1 gained since the clock started, over W, sampled (at most) every second;"
echo "          pages moved beyond W (by the time the count settles) are counted as moved"
echo "          before the workload's own, so the mark is late rather than early"
echo
echo "time to $pct % local: Xen+Carrefour $x s, Linux NUMA balancing $y s, ratio Y/X $(ratio "$x" "$y")"
echo "  (medians of $ROUNDS rounds; Xen $xen_t s, Linux $native_t s)"
echo "  Xen+Carrefour : Xen ${xen_version:-?}, carrefour=on; per round a PVH guest memory=$GUEST_MB vcpus=2"
echo "                  cpus=\"node:0\" cpus_soft=\"node:0\", memwork $MEMWORK_SIZE -t 0 -i $PROGRESS_S;"
echo "                  xl vcpu-pin gR all node:1 node:1; clock starts at xl carrefour-enable gR;"
echo "                  xl debug-keys u + xl dmesg -c per sample (dom0 pinned to CPUs 0-1)"
echo "                  the guest moves pages beyond W (its kernel's memory, page tables:"
echo "                  $xen_extra pages); counting them as memwork's instead:"
echo "                  $x_all s, median $x_all_median s, ratio Y/X $(ratio "$x_all_median" "$y")"
printf '%s' "$xen_detail" | sed 's/^/                 /'
echo "  Linux         : $(basename "$NATIVE_KERNEL") booted without Xen, '$NATIVE_CMDLINE',"
echo "                  kernel.numa_balancing=$(sed -n 's/^bench: .*kernel.numa_balancing=\([0-9]*\).*/\1/p' "$nlog" 2>/dev/null | head -1);"
echo "                  per round memwork $MEMWORK_SIZE -c 2,3 -f 0 -t 0 -i $PROGRESS_S; clock starts when its"
echo "                  threads start on node 1; N0=/N1= of /proc/PID/numa_maps summed (sampler on CPUs 0-1)"
printf '%s' "$native_detail" | sed 's/^/                 /'
echo
echo "memwork throughput (median MB/s): Carrefour off $a, on $b, ratio B/A $(ratio "$a" "$b")"
echo "  (Xen guest g1, progress lines every $PROGRESS_S s, windows of $WINDOW_S s)"
echo "  off    : before xl carrefour-enable (pages on node 0): ${off_values:-none}"
echo "  on     : once settled (pages on node 1):               ${on_values:-none}"
echo "  control: after xl carrefour-disable (pages on node 1): ${ctl_values:-none}"
echo "           median $c MB/s; on/control $(ratio "$c" "$b") (Carrefour's running cost, without the drift"
echo "           of the machine's speed between the first and the last window)"
echo "caveat: QEMU TCG emulation, where remote memory is not slower than local: the throughput"
echo "        ratio measures Carrefour's overhead under emulation, not a NUMA gain.  4 emulated"
echo "        CPUs share $(nproc) host cores, so every timing here is noisy."
echo "noise : other QEMU processes seen during the Xen run: at most $(others_of xen), during the Linux run:"
echo "        at most $(others_of native); the rest of the host's work (builds, other QEMUs) used on average"
echo "        $(busy_of xen) of a core during the Xen run, $(busy_of native) during the Linux run"
echo "errors: memwork lines with errors>0: Xen guests $(count_errors "$xlog"), Linux $(count_errors "$nlog")"
echo "logs  : ${xlog#"$top"/}, ${nlog#"$top"/}"
echo "======================================================================================"
} | tee "$OUT/summary.txt"

[ "$x" != none ] || [ "$y" != none ] || die "neither side reached the mark (see the logs)"
