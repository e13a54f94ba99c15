#!/usr/bin/env python3
"""testbed/lib/cpu-dump.py MONITOR_SOCKET XEN_SYMS

Where every emulated CPU is, asked of QEMU rather than of Xen: for a
scenario that timed out because Xen hung, when Xen no longer answers its
debug keys (a CPU spinning with interrupts off takes every other one down
with it at its next IPI).  Stops the VM through QEMU's human monitor,
reads each CPU's registers, and prints per CPU its mode, RIP and the
function and source line RIP is in (addr2line on xen-syms); for a CPU in
Xen, also the Xen text addresses found on its stack, innermost first: a
backtrace without frame pointers, with stale entries, but enough to see
which lock or loop a CPU is in.  Run by run.sh after Xen's state dump.
"""

import re
import socket
import subprocess
import sys
import time

# Words of stack read above RSP: Xen's stacks are 8 pages, the frames of a
# hang are near the top of what is used.
STACK_WORDS = 256
# Xen text addresses shown per CPU, innermost first.
STACK_FRAMES = 16
PROMPT = b"(qemu) "


class Monitor:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(path)
        self.read_to_prompt()

    def read_to_prompt(self):
        buf = b""
        end = time.time() + 30
        while not buf.endswith(PROMPT) and time.time() < end:
            chunk = self.s.recv(65536)
            if not chunk:
                break
            buf += chunk
        return buf

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\n")
        out = self.read_to_prompt().decode(errors="replace")
        # HMP echoes the command line (with terminal escapes) first.
        out = re.sub(r"\x1b\[[0-9;]*[A-Za-z]|\x1b[A-Za-z]", "", out)
        out = out.replace("\r", "")
        lines = out.split("\n")
        return "\n".join(lines[1:-1]) if len(lines) > 1 else ""


def text_range(syms):
    out = subprocess.run(["nm", syms], capture_output=True, text=True,
                         check=True).stdout
    addr = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] in ("_stext", "_etext"):
            addr[f[2]] = int(f[0], 16)
    return addr["_stext"], addr["_etext"]


def where(syms, addrs):
    """[(function, file:line)] for each address, via addr2line."""
    if not addrs:
        return []
    out = subprocess.run(["addr2line", "-f", "-e", syms] +
                         ["%x" % a for a in addrs],
                         capture_output=True, text=True).stdout.splitlines()
    pairs = list(zip(out[0::2], out[1::2]))
    return [(f, re.sub(r".*/xen/", "", loc)) for f, loc in pairs]


def main():
    sock, syms = sys.argv[1], sys.argv[2]
    lo, hi = text_range(syms)
    mon = Monitor(sock)
    mon.cmd("stop")
    cpus = re.findall(r"CPU #(\d+)", mon.cmd("info cpus"))
    print("QEMU: %d CPUs, VM stopped" % len(cpus))
    for cpu in cpus:
        mon.cmd("cpu %s" % cpu)
        regs = mon.cmd("info registers")
        rip = re.search(r"RIP=([0-9a-f]+)", regs)
        rsp = re.search(r"RSP=([0-9a-f]+)", regs)
        efl = re.search(r"RFL=([0-9a-f]+)", regs)
        hlt = re.search(r"HLT=(\d)", regs)
        if not rip or not rsp:
            print("CPU %s: no registers (%s)" % (cpu, regs[:80]))
            continue
        rip, rsp = int(rip.group(1), 16), int(rsp.group(1), 16)
        flags = int(efl.group(1), 16) if efl else 0
        state = "IF=%d%s" % ((flags >> 9) & 1,
                             " halted" if hlt and hlt.group(1) == "1" else "")
        if not lo <= rip < hi:
            print("CPU %s: RIP %016x outside Xen (a guest runs), %s"
                  % (cpu, rip, state))
            continue
        (fn, loc), = where(syms, [rip])
        print("CPU %s: RIP %016x %s (%s), %s" % (cpu, rip, fn, loc, state))
        words = []
        for line in mon.cmd("x /%dgx 0x%x" % (STACK_WORDS, rsp)).splitlines():
            words += [int(w, 16) for w in
                      re.findall(r"0x([0-9a-f]{16})", line.split(":", 1)[-1])]
        frames = [w for w in words if lo <= w < hi][:STACK_FRAMES]
        for a, (fn, loc) in zip(frames, where(syms, frames)):
            print("    %016x %s (%s)" % (a, fn, loc))


if __name__ == "__main__":
    try:
        main()
    except (OSError, subprocess.SubprocessError, KeyError) as e:
        print("cpu-dump: %s" % e)
        sys.exit(1)
