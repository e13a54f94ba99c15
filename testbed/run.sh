#!/bin/bash
# testbed/run.sh SCENARIO...
#
# For each scenario: builds what is missing (build-initramfs.sh), boots
# Xen + dom0 under QEMU (TCG, two NUMA nodes) with
# testbed/scenarios/SCENARIO.sh as dom0's script, records the serial log
# in build/testbed/logs/SCENARIO.log, stops QEMU (when the scenario is
# done, or at its timeout), and judges the log with SCENARIO.expect.
# Prints PASS/FAIL per scenario and exits non-zero if any failed.
#
# Environment:
#   XEN_IMAGE_DIR   where xen + tools/ come from (see build-initramfs.sh)
#   TESTBED_TIMEOUT default timeout in seconds (an .expect may set its own)
#   XEN_CMDLINE_EXTRA, DOM0_CMDLINE_EXTRA   appended to the command lines
#   TESTBED_VERBOSE=1 echo the serial log while it is written
#   TESTBED_RETRIES how many times a scenario runs again after an emulator
#                   fault: a guest crash that left Xen and dom0 alive, or
#                   a stall (a hang) in which nothing died (default 2)
#   TESTBED_STALL   seconds without a new log line that make a stall (240)
#   TESTBED_TCG_THREAD  QEMU's TCG threading: multi (default, one host
#                   thread per vCPU) or single (one for all)
#   TESTBED_QEMU    the QEMU to run (default qemu-system-x86_64 from PATH;
#                   build/testbed/qemu/qemu is QEMU with the nested-SVM
#                   fixes of testbed/qemu/, `make testbed-qemu`)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD=${TESTBED_BUILD:-$top/build/testbed}
BUILD=$(realpath -m "$BUILD")   # the scripts change directory
export TESTBED_T0=${TESTBED_T0:-$(date +%s.%N)}
step() { awk -v t0="$TESTBED_T0" -v now="$(date +%s.%N)" -v msg="$*" \
            'BEGIN { printf "testbed: [%5.1fs] %s\n", now - t0, msg }'; }

# The emulated machine (see /work/shared/notes/testbed.md): q35, two
# sockets of two cores, one socket and 2 GiB per NUMA node.  AMD SVM with
# nested paging lets Xen run PVH guests with HAP under TCG.
QEMU_MACHINE=(
    -machine q35 -accel tcg,thread=${TESTBED_TCG_THREAD:-multi},tb-size=512
    -cpu qemu64,+svm,+npt,+rdrand
    -smp 4,sockets=2,cores=2,threads=1 -m 4G
    -object memory-backend-ram,id=m0,size=2G
    -object memory-backend-ram,id=m1,size=2G
    -numa node,nodeid=0,cpus=0-1,memdev=m0
    -numa node,nodeid=1,cpus=2-3,memdev=m1
    -display none -no-reboot -net none
)
XEN_CMDLINE="console=com1 com1=115200,8n1 dom0_mem=1G,max:1G dom0_max_vcpus=2
 loglvl=all guest_loglvl=all noreboot console_timestamps=boot ${XEN_CMDLINE_EXTRA:-}"
DOM0_CMDLINE="console=hvc0 earlyprintk=xen ${DOM0_CMDLINE_EXTRA:-}"
DEFAULT_TIMEOUT_S=${TESTBED_TIMEOUT:-300}
# A log that has not grown for this long means Xen or the emulator hung:
# give up then rather than at the scenario's timeout (every scenario
# prints at least every few seconds: memwork's progress, checks, say).
STALL_S=${TESTBED_STALL:-240}
# After dom0's "scenario done" line, QEMU gets this long to power off.
POWEROFF_GRACE_S=10
END_MARKER='^testbed: scenario done rc='
# Lines after which nothing useful follows: stop QEMU early.
DEAD_MARKER='Hardware Dom0 crashed|Panic on CPU|Kernel panic - not syncing'

# Milestones reported while a scenario runs: "REGEX|what it means"
# (split at the last "|").
MILESTONES=(
    'Brought up [0-9]+ CPUs|Xen up'
    '^testbed: .*dom0 userspace up|dom0 userspace up'
    '^testbed: .*toolstack ready|toolstack ready'
    '^scenario: .*created \(domid|guest created'
    '^\[[^]]*\] memwork: t=|guest memwork running'
    '^testbed: scenario done|scenario done'
)

[ $# -gt 0 ] || { echo "usage: $0 SCENARIO..." >&2; exit 2; }
for s in "$@"; do
    [ -f "$here/scenarios/$s.sh" ] || { echo "no scenario $here/scenarios/$s.sh" >&2; exit 2; }
    [ -f "$here/scenarios/$s.expect" ] || { echo "no $here/scenarios/$s.expect" >&2; exit 2; }
    if grep -nvE '^[[:space:]]*(#|$)|^(timeout|xen-args|must|must-not|count>=[0-9]+):' \
            "$here/scenarios/$s.expect" >&2; then
        echo "$here/scenarios/$s.expect: lines above are not rules (see testbed/README.md)" >&2
        exit 2
    fi
done

"$here/build-initramfs.sh"
# shellcheck source=/dev/null
. "$BUILD/dom0/boot.env"
step "xen and tools from $XEN_IMAGE_DIR"
TESTBED_QEMU=${TESTBED_QEMU:-qemu-system-x86_64}
step "qemu: $TESTBED_QEMU"

# judge EXPECT LOG: applies EXPECT's rules to LOG; prints one line per
# rule with the number of matching lines and the first of them; fails if
# any rule fails.  Every scenario also gets three implicit rules: dom0
# reached the end of its script, the script exited 0, and nothing panicked.
judge() {
    local expect=$1 log=$2 clean=$2.txt verdict=0 rule kind re n count line ok
    tr -d '\r' < "$log" > "$clean"
    while IFS= read -r rule; do
        kind=${rule%%:*}
        re=${rule#*:}
        re=${re# }
        count=$(grep -Ec -- "$re" "$clean" || true)
        line=$(grep -Em1 -- "$re" "$clean" || true)
        case $kind in
            must) [ "$count" -gt 0 ] ;;
            must-not) [ "$count" -eq 0 ] ;;
            count\>=*) n=${kind#count>=}; [ "$count" -ge "$n" ] ;;
            *) echo "  bad rule in $expect: $rule"; false ;;
        esac && ok=ok || { ok=FAIL; verdict=1; }
        printf '  %-4s %s  [%s matches]%s\n' "$ok" "$rule" "$count" \
            "${line:+  -> ${line:0:160}}"
    done < <(
        echo "must: $END_MARKER"
        echo "must: ${END_MARKER}0\$"
        echo "must-not: $DEAD_MARKER|FATAL TRAP|BUG: unable to handle"
        grep -E '^(must|must-not|count>=[0-9]+):' "$expect"
    )
    return $verdict
}

# xen_state_dump SOCKET: types on Xen's serial console what a developer
# would when a scenario hangs: CTRL-a three times (input to Xen), then the
# debug keys for every CPU's registers and stack ('d'), dom0's vCPUs
# ('0'), domains and vCPUs ('q'), the scheduler's run queues ('r') and
# Carrefour's state ('k').  The answers land in the log like the rest.
DUMP_KEYS=0dqrk
xen_state_dump() {
    step "timed out: asking Xen for its state (debug keys $DUMP_KEYS)"
    python3 - "$1" "$DUMP_KEYS" <<'PY' || step "could not type on Xen's console"
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(0.2)
def drain(seconds):
    # Read what Xen answers (QEMU logs it too): a full socket would stall
    # the emulated UART.
    end = time.time() + seconds
    while time.time() < end:
        try:
            if not s.recv(65536):
                return
        except socket.timeout:
            pass
for key in b"\x01\x01\x01" + sys.argv[2].encode():
    s.sendall(bytes([key]))
    drain(3)
drain(5)
PY
}

# cpu_dump MONITOR: then where each emulated CPU is, from QEMU's monitor
# (lib/cpu-dump.py): what is left to see when Xen no longer answers.
cpu_dump() {
    step "timed out: asking QEMU where each CPU is"
    if [ -f "$XEN_IMAGE_DIR/xen-syms" ]; then
        python3 "$here/lib/cpu-dump.py" "$1" "$XEN_IMAGE_DIR/xen-syms" |
            sed 's/^/testbed: cpu-dump: /' || qemu_threads
    else
        step "no $XEN_IMAGE_DIR/xen-syms: no CPU dump"
    fi
}

# qemu_threads: when QEMU's monitor does not answer either, QEMU itself
# is stuck (its main loop serves the monitor and the serial input): where
# its threads are, from gdb if there is one, in $rundir/qemu-threads.txt.
qemu_threads() {
    step "QEMU's monitor did not answer: QEMU itself is stuck"
    command -v gdb >/dev/null || { step "no gdb: no stacks of QEMU's threads"; return 0; }
    timeout 120 gdb -p "$qemu_pid" -batch -ex 'thread apply all bt 12' \
        > "$rundir/qemu-threads.txt" 2>&1 || true
    step "QEMU's threads: $rundir/qemu-threads.txt ($(grep -c '^Thread ' "$rundir/qemu-threads.txt") threads, $(grep -c 'lll_lock_wait\|futex_wait' "$rundir/qemu-threads.txt") frames waiting on a lock)"
}

# digest NAME LOG OUTCOME: what a reader of CI's output needs about a
# failed scenario when only the end of that output is kept: the rules
# that failed, and the log's lines before each failed check (at most
# DIGEST_CHECKS of them) or, with none, the last lines of the log.
DIGEST_CHECKS=3
DIGEST_CONTEXT=12
digest() {
    local name=$1 clean=$2.txt outcome=$3 at
    echo "--- $name: $outcome; failed rules and what led to them"
    grep -E '^  FAIL ' "$BUILD/logs/$name.verdict" || true
    for at in $(grep -nE '^check FAIL' "$clean" | head -n $DIGEST_CHECKS | cut -d: -f1); do
        echo "  log lines $((at > DIGEST_CONTEXT ? at - DIGEST_CONTEXT : 1))-$at:"
        head -n "$at" "$clean" | tail -n $((DIGEST_CONTEXT + 1)) | sed 's/^/  | /'
    done
    grep -qE '^check FAIL' "$clean" ||
        { echo "  last lines of the log:"; grep -v '^testbed: cpu-dump: ' "$clean" |
              tail -n $DIGEST_CONTEXT | sed 's/^/  | /'; }
    grep -E '^testbed: cpu-dump: ' "$clean" | sed 's/^testbed: /  /' || true
}

# guest_crash_only LOG: succeeds, printing the crash's first line, when a
# guest crashed (a triple fault, or its kernel panicked) while Xen and
# dom0 did not, and no guest saw corrupted data.  QEMU's emulation of SVM
# crashes a guest now and then, with Debian's stock Xen as well (README
# "Known issues"); such a scenario is run again, at most RETRIES times,
# and the summary lists every crash that made it run again.
GUEST_CRASH='d[0-9]+v[0-9]+ Triple fault|^\[[^]]+\] .*Kernel panic - not syncing'
HOST_DEATH='Panic on CPU|Hardware Dom0 crashed|FATAL TRAP|^\[ *[0-9.]+\] (Kernel panic|BUG: unable to handle)|memwork: .*errors=[1-9]|memwork: ERROR'
RETRIES=${TESTBED_RETRIES:-2}
guest_crash_only() {
    ! grep -Eq -- "$HOST_DEATH" "$1" && grep -Em1 -- "$GUEST_CRASH" "$1" | cut -c1-120
}

# stalled_only LOG: succeeds, printing why, when the attempt ended
# stalled (its log stopped growing: a hang) while nothing died.  The
# hangs seen so far are the emulator's lost wake-ups as far as can be
# told: one in dom0's boot before any guest existed, Xen answering its
# keys with every CPU idle (README "Known issues"); such a scenario is run
# again like a guest crash, and the summary lists it, the try's log
# keeping Xen's state and the CPU dump.
stalled_only() {
    [ "$outcome" = stalled ] && ! grep -Eq -- "$HOST_DEATH" "$1" &&
        echo "stalled: the log stopped growing for ${STALL_S}s, nothing died (dumps in the log)"
}

passed=0 failed=0 digests= retried=
# QEMU never outlives this script, however it ends.
qemu_pid= tail_pid=
cleanup() {
    local p
    for p in $qemu_pid $tail_pid; do kill "$p" 2>/dev/null || true; done
    [ -z "${sock:-}" ] || rm -f "$sock" "$mon"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$BUILD/logs" "$BUILD/run"
# attempt: boots the scenario $name once and judges its log; succeeds
# when it passed.  Sets outcome (done, exited, exited early, timeout,
# stalled).
attempt() {
    # The scenario rides in a small cpio appended to dom0's initramfs.
    rundir=$BUILD/run/$name
    rm -rf "$rundir" && mkdir -p "$rundir/root/testbed"
    cp "$script" "$rundir/root/testbed/scenario.sh"
    echo "$name" > "$rundir/root/testbed/scenario-name"
    (cd "$rundir/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$rundir/scenario.cpio"
    cat "$DOM0_INITRD" "$rundir/scenario.cpio" > "$rundir/dom0-initrd.cpio"

    # A UNIX socket's path must stay short (108 bytes): not under $BUILD.
    sock=/tmp/testbed-$$-$name.sock
    mon=/tmp/testbed-$$-$name.mon
    step "$name: booting (timeout ${timeout_s}s, log $log)"
    start=$(date +%s)
    : > "$log"
    # A comma inside a multiboot module's command line is written ",,".
    "$TESTBED_QEMU" "${QEMU_MACHINE[@]}" \
        -kernel "$XEN" -append "$(echo $XEN_CMDLINE $xen_args)" \
        -initrd "$DOM0_KERNEL $(echo $DOM0_CMDLINE | sed 's/,/,,/g'),$rundir/dom0-initrd.cpio" \
        -chardev "socket,id=com1,path=$sock,server=on,wait=off,logfile=$log" \
        -serial chardev:com1 -monitor "unix:$mon,server=on,wait=off" \
        </dev/null >"$rundir/qemu.out" 2>&1 &
    qemu_pid=$!
    tail_pid=
    if [ "${TESTBED_VERBOSE:-0}" = 1 ]; then
        tail -n +1 -f "$log" --pid=$qemu_pid & tail_pid=$!
    fi

    # Wait for: QEMU exiting, the end marker (+ grace), or the timeout.
    outcome=timeout done_at= seen= hung_at= size=-1 grown= grew_at=$start
    while kill -0 $qemu_pid 2>/dev/null; do
        now=$(date +%s)
        grown=$(stat -c %s "$log")
        if [ "$grown" != "$size" ]; then
            size=$grown grew_at=$now
        elif [ $((now - grew_at)) -ge "$STALL_S" ]; then
            outcome=stalled; break
        fi
        if [ -z "$done_at" ] && grep -Eq "$END_MARKER|$DEAD_MARKER" "$log"; then
            done_at=$now
        fi
        # Progress: the first time each milestone shows up in the log.
        for mark in "${MILESTONES[@]}"; do
            case "$seen" in *"<${mark##*|}>"*) continue ;; esac
            grep -Eq "${mark%|*}" "$log" && { step "$name: ${mark##*|}"; seen="$seen<${mark##*|}>"; }
        done
        if [ -n "$done_at" ] && [ $((now - done_at)) -ge $POWEROFF_GRACE_S ]; then
            outcome=done; break
        fi
        if [ $((now - start)) -ge "$timeout_s" ]; then break; fi
        sleep 1
    done
    if kill -0 $qemu_pid 2>/dev/null; then
        hung_at=$(wc -l < "$log")
        if [ "$outcome" = timeout ] || [ "$outcome" = stalled ]; then
            [ "$outcome" = timeout ] || step "$name: the log has not grown for ${STALL_S}s"
            xen_state_dump "$sock"
            cpu_dump "$mon" > "$rundir/cpu-dump.txt"
        fi
        kill $qemu_pid 2>/dev/null || true
        sleep 1
        kill -9 $qemu_pid 2>/dev/null || true
    else
        outcome=exited
        grep -q "$END_MARKER" "$log" || outcome="exited early"
    fi
    wait $qemu_pid 2>/dev/null || true
    [ -n "$tail_pid" ] && { kill $tail_pid 2>/dev/null || true; wait $tail_pid 2>/dev/null || true; }
    qemu_pid= tail_pid=
    rm -f "$sock" "$mon"
    step "$name: qemu $outcome after $(( $(date +%s) - start ))s"
    # QEMU's log file is not opened for appending: add to it once it is gone.
    if [ -s "$rundir/cpu-dump.txt" ]; then
        cat "$rundir/cpu-dump.txt"
        cat "$rundir/cpu-dump.txt" >> "$log"
    fi
    [ -s "$rundir/qemu.out" ] && sed 's/^/  qemu: /' "$rundir/qemu.out"

    judge "$expect" "$log" | tee "$BUILD/logs/$name.verdict"
}

for name in "$@"; do
    script=$here/scenarios/$name.sh
    expect=$here/scenarios/$name.expect
    log=$BUILD/logs/$name.log
    timeout_s=$(sed -n 's/^timeout:[[:space:]]*\([0-9]*\).*/\1/p' "$expect" | head -1)
    timeout_s=${timeout_s:-$DEFAULT_TIMEOUT_S}
    xen_args=$(sed -n 's/^xen-args:[[:space:]]*//p' "$expect" | tr '\n' ' ')
    rm -f "$log".try*.txt

    try=1 ok=
    while :; do
        attempt && { ok=1; break; }
        [ "$try" -le "$RETRIES" ] || break
        crash=$(guest_crash_only "$log.txt") || crash=$(stalled_only "$log.txt") || break
        cp "$log.txt" "$log.try$try.txt"
        step "$name: an emulator fault, Xen and dom0 did not die ($crash): once more"
        retried="$retried  $name, try $try: $crash (log $log.try$try.txt)
"
        try=$((try + 1))
    done
    if [ -n "$ok" ]; then
        step "$name: PASS$([ "$try" = 1 ] || echo " (try $try)")"
        passed=$((passed + 1))
    else
        step "$name: FAIL (log: $log)"
        [ "$outcome" = timeout ] || [ "$outcome" = stalled ] &&
            echo "  $outcome; last lines of the log before Xen's state dump:" &&
            head -n "$hung_at" "$log.txt" | tail -n 15 | sed 's/^/  | /'
        failed=$((failed + 1))
        digests="$digests$(digest "$name" "$log" "$outcome")
"
    fi
done
[ -z "$digests" ] || printf '\nfailed scenarios:\n%s' "$digests"
[ -z "$retried" ] ||
    printf '\nrun again after an emulator fault (README "Known issues"):\n%s' "$retried"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
