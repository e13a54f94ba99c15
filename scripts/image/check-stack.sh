#!/bin/bash
# Checks that the Rust code linked into the hypervisor fits Xen's stack.
#
# Xen runs hypercalls, tasklets and softirqs on a primary stack of two
# pages (8 KiB of the 32 KiB STACK_SIZE; the rest are IST and shadow
# stacks): a deep or recursive call chain overflows into the read-only
# shadow stack and the host dies with a double fault.  That happened once:
# core's sort_unstable recursed with 1.2 KiB frames.  So for every Rust
# function in xen-syms (v0-mangled `_R...` or `carrefour_*` names) this
# reads its frame size (`sub $N,%rsp`) and whether it calls itself, and
# fails above MAX_FRAME_BYTES or on any direct recursion.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# Largest frame allowed for one Rust function: half the primary stack
# leaves room for Xen's own frames and an interrupt taken on top.
MAX_FRAME_BYTES=${MAX_FRAME_BYTES:-4096}

syms=$TREE/xen/xen-syms
out=$BUILD/rust-stack.txt
objdump -d --no-show-raw-insn "$syms" | awk -v max="$MAX_FRAME_BYTES" '
    function hex(s,   i, c, v) {
        v = 0; s = tolower(s)
        for (i = 1; i <= length(s); i++) {
            c = index("0123456789abcdef", substr(s, i, 1)) - 1
            v = v * 16 + c
        }
        return v
    }
    /^[0-9a-f]+ <.*>:$/ {
        addr = $1; name = substr($2, 2, length($2) - 3)
        rust = (name ~ /^_R/ || name ~ /^carrefour_/)
        next
    }
    rust && /sub +\$0x[0-9a-f]+,%rsp/ {
        match($0, /\$0x[0-9a-f]+/)
        v = hex(substr($0, RSTART + 3, RLENGTH - 3))
        if (v > frame[name]) frame[name] = v
    }
    rust && /call/ && index($0, "<" name ">") { recursive[name] = 1 }
    END {
        worst = 0; bad = 0
        for (n in frame) {
            if (frame[n] > worst) { worst = frame[n]; wname = n }
            if (frame[n] > max) { printf "frame of %d bytes (> %d): %s\n", frame[n], max, n; bad = 1 }
        }
        for (n in recursive) { printf "recursive: %s\n", n; bad = 1 }
        printf "largest Rust frame: %d bytes (%s)\n", worst, wname
        exit bad
    }' >"$out" || {
    cat "$out" >&2
    die "Rust code in xen-syms does not fit Xen's 8 KiB primary stack (see above)"
}
cat "$out" >>"$BUILD/rust-check.txt"
log "$(tail -1 "$out")"
