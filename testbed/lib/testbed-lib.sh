# Helpers for scenario scripts (sourced into every testbed/scenarios/*.sh;
# runs in dom0 under busybox sh).  Every line a scenario prints reaches
# the serial log, where NAME.expect judges it.
#
#   say TEXT                       "scenario: TEXT"
#   check DESCRIPTION CMD...       runs CMD; "check ok: ..." or
#                                  "check FAIL: ..."; a failure makes the
#                                  scenario exit non-zero (see finish)
#   guest_create NAME [XL-LINE...] creates a PVH guest running memwork
#                                  and copies its console to the log,
#                                  each line prefixed "[NAME] "
#   within SECONDS CMD...          succeeds once CMD does (tried at
#                                  least once, then every second)
#   not CMD...                     succeeds when CMD fails
#   exists NAME                    a domain called NAME exists
#   guest_wait NAME REGEX SECONDS  waits for a console line of NAME
#   node_pages NAME                "node0=PAGES node1=PAGES ..." from
#                                  Xen's debug key 'u'
#   node_free                      "node0=MB node1=MB ...": free memory
#   total_pages NAME               NAME's pages, all nodes together
#   moved NAME                     pages Carrefour has moved in NAME
#   moved_since NAME N             NAME has more than N pages moved
#   hop NAME [NODE]                pins NAME's vCPUs (hard and soft) to
#                                  NODE, by default the other node
#   hop_until_gone NAME SECONDS PERIOD
#                                  hops NAME every PERIOD seconds until
#                                  it is gone; sets $hops, $last_moved
#   progresses NAME SECONDS        NAME's memwork prints another progress
#                                  line within SECONDS
#   mem_mb NAME                    NAME's memory in MB (xl list)
#   mem_reaches NAME MB SECONDS    NAME's balloon gets it to MB
#   no_corruption NAME             memwork in NAME reported no error
#   finish                         exit status: 0 unless a check failed

GUEST_KERNEL=/testbed/guest/vmlinux
GUEST_RAMDISK=/testbed/guest/initramfs.cpio
CONSOLE_DIR=/var/log/xen/console
FAILED_CHECKS=0

say() { echo "scenario: [$(cut -d' ' -f1 /proc/uptime)s] $*"; }

check() {
    local what=$1
    shift
    if "$@"; then
        echo "check ok: $what"
    else
        echo "check FAIL: $what"
        FAILED_CHECKS=$((FAILED_CHECKS + 1))
    fi
}

finish() {
    # Let the console followers copy the guests' last lines.
    ls /tmp/follow-* >/dev/null 2>&1 && sleep 2
    say "$FAILED_CHECKS failed checks"
    [ "$FAILED_CHECKS" = 0 ]
    exit $?
}

# guest_create NAME [XL-CONFIG-LINE...]
#   Defaults: PVH, 256 MB, 2 vCPUs, memwork with $MEMWORK_ARGS (default
#   "-p 16 -s 16 -t 30 -i 3").  Extra arguments are xl config lines that
#   override the defaults (xl takes the last setting of a key), e.g.
#   'cpus="node:0"' 'memory=512'.
guest_create() {
    local name=$1 cfg=/tmp/$1.cfg line
    shift
    {
        echo "name=\"$name\""
        echo 'type="pvh"'
        echo "kernel=\"$GUEST_KERNEL\""
        echo "ramdisk=\"$GUEST_RAMDISK\""
        echo "cmdline=\"console=hvc0 quiet -- ${MEMWORK_ARGS:--p 16 -s 16 -t 30 -i 3}\""
        echo 'memory=256'
        echo 'vcpus=2'
        echo 'on_poweroff="destroy"'
        echo 'on_crash="destroy"'
        for line in "$@"; do echo "$line"; done
    } > "$cfg"
    say "xl create $name: $(grep -v '^name=\|^kernel=\|^ramdisk=\|^on_' "$cfg" | tr '\n' ' ')"
    console_follow "$name"
    xl create "$cfg" || return 1
    say "guest $name created (domid $(xl domid "$name"))"
}

# Copies NAME's console log (written by xenconsoled) to our console, in
# the background; once per NAME (a re-created guest appends to the log).
console_follow() {
    [ -e "/tmp/follow-$1" ] && return 0
    touch "/tmp/follow-$1"
    console_copy "$1" &
}
console_copy() {
    local log=$CONSOLE_DIR/guest-$1.log
    while [ ! -e "$log" ]; do sleep 0.2; done
    tail -n +1 -F "$log" 2>/dev/null | while IFS= read -r line; do
        echo "[$1] $line" | tr -d '\r'
    done
}

# within SECONDS CMD...: succeeds once CMD succeeds; tries at least once,
# however short SECONDS is (a deadline tested first can pass before the
# first try when the second ticks), then once a second until SECONDS.
within() {
    local deadline=$(( $(cut -d. -f1 /proc/uptime) + $1 ))
    shift
    while :; do
        "$@" && return 0
        [ "$(cut -d. -f1 /proc/uptime)" -lt "$deadline" ] || return 1
        sleep 1
    done
}

# guest_wait NAME REGEX SECONDS: succeeds once NAME's console shows REGEX.
guest_wait() {
    within "$3" grep -Eq "$2" "$CONSOLE_DIR/guest-$1.log" 2>/dev/null && return 0
    say "timed out after $3 s waiting for /$2/ on $1's console"
    return 1
}

# guest_gone NAME SECONDS: succeeds once NAME no longer exists.
exists() { xl domid "$1" >/dev/null 2>&1; }
guest_gone() { within "$2" not exists "$1"; }
not() { ! "$@"; }

# node_pages NAME: prints "node0=N node1=M" (pages of NAME on each node)
# from the 'u' debug key's dump in Xen's console ring.
node_pages() {
    local domid
    domid=$(xl domid "$1") || return 1
    xl dmesg -c >/dev/null
    xl debug-keys u
    xl dmesg | awk -v dom="$domid" '
        /Domain [0-9]+ \(total: [0-9]+\)/ {
            match($0, /Domain [0-9]+/)
            cur = substr($0, RSTART + 7, RLENGTH - 7)
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

# node_free: "node0=MB node1=MB": free memory per node, from the
# numa_info table of `xl info -n`.
node_free() {
    xl info -n | awk '/^numa_info/ { on = 1; next }
        on && /^ *[0-9]+: / { printf "%snode%s=%s", sep, $1 + 0, $3; sep = " " }
        on && /^[a-z_]+ +:/ { on = 0 }
        END { print "" }'
}

# total_pages NAME: NAME's pages on all nodes together (from node_pages).
total_pages() {
    node_pages "$1" | tr ' ' '\n' | awk -F= '{ t += $2 } END { print t }'
}

# moved NAME: pages Carrefour has moved in NAME so far (libxl's JSON
# leaves out counters that are 0).
moved() {
    local m
    m=$(xl carrefour-info -j "$1" | sed -n 's/.*"pages_moved": \([0-9]*\).*/\1/p' | head -1)
    echo "${m:-0}"
}

moved_since() { [ "$(moved "$1")" -gt "$2" ]; }

# hop NAME [NODE]: pins NAME's vCPUs to NODE, by default the other node
# than the last hop's (node_of_NAME keeps track; 0 at first), so that
# Carrefour has pages to move.  Sets $node.
hop() {
    eval "node=\${node_of_$1:-0}"
    node=${2:-$((1 - node))}
    eval "node_of_$1=$node"
    xl vcpu-pin "$1" all node:$node node:$node
}

# hop_until_gone NAME SECONDS PERIOD: hops NAME between the nodes every
# PERIOD seconds until NAME no longer exists or SECONDS have passed (so
# that moves are in flight when it goes).  Sets $hops, and $last_moved:
# the most pages moved seen (moved says 0 once NAME is gone).
hop_until_gone() {
    local deadline=$(( $(cut -d. -f1 /proc/uptime) + $2 )) m
    hops=0 last_moved=0
    while exists "$1" && [ "$(cut -d. -f1 /proc/uptime)" -lt "$deadline" ]; do
        m=$(moved "$1" 2>/dev/null)
        [ "${m:-0}" -gt "$last_moved" ] && last_moved=$m
        hop "$1" 2>/dev/null && hops=$((hops + 1))
        sleep "$3"
    done
}

# memwork_lines NAME: memwork's progress lines on NAME's console so far.
memwork_lines() { grep -c 'memwork: t=' "$CONSOLE_DIR/guest-$1.log" 2>/dev/null || true; }

# progresses NAME SECONDS: NAME's memwork prints another progress line.
progresses() { within "$2" more_lines "$1" "$(memwork_lines "$1")"; }
more_lines() { [ "$(memwork_lines "$1")" -gt "$2" ]; }

# mem_mb NAME: NAME's current memory in MB, as xl list shows it.
mem_mb() { xl list "$1" | awk 'NR == 2 { print $3 }'; }

# mem_reaches NAME MB SECONDS: NAME's memory is MB (the balloon got there).
mem_reaches() {
    within "$3" mem_is "$1" "$2" && return 0
    say "$1 has $(mem_mb "$1") MB, not $2, after $3 s"
    return 1
}
mem_is() { [ "$(mem_mb "$1")" = "$2" ]; }

# no_corruption NAME: memwork in NAME has reported no error so far.
no_corruption() {
    ! grep -Eq "memwork: .*errors=[1-9]|memwork: ERROR" "$CONSOLE_DIR/guest-$1.log"
}

# pages_mostly_on NODE "node0=N node1=M": succeeds when at least
# MOSTLY_PERMILLE of the pages are on NODE.
MOSTLY_PERMILLE=900     # leaves room for page tables and special pages
pages_mostly_on() {
    echo "$2" | tr ' ' '\n' | awk -F= -v want="node$1" -v pm=$MOSTLY_PERMILLE '
        { total += $2; if ($1 == want) on += $2 }
        END { exit !(total > 0 && on * 1000 >= total * pm) }'
}
