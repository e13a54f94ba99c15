# Scenario: control-plane.  The toolstack side of Carrefour, with Xen
# booted with carrefour=on: xl's carrefour-* commands on a PVH guest
# (enable, info as a table and as JSON, set, the debug key's dump,
# disable), the one-line error of each refusal (unknown parameter, value
# out of range, too many parameters, PV dom0, missing domain, enable
# twice, set after disable) with a non-zero exit, and, from inside a
# second guest, the same domctl refused by Xen's XSM check with EPERM.
. /testbed/lib.sh

# run CMD...: logs "$ CMD", CMD's output and "exit=N"; CMD's status.
run() {
    local rc
    echo "\$ $*"
    "$@" 2>&1
    rc=$?
    echo "exit=$rc"
    return $rc
}

# refused MESSAGE CMD...: CMD fails, and all it prints is the one line
# MESSAGE (besides xl's complaint that the image has no /etc/xen/xl.conf).
refused() {
    local want=$1 out rc
    shift
    echo "\$ $*"
    out=$("$@" 2>&1)
    rc=$?
    out=$(echo "$out" | grep -v '^Failed to read config file: /etc/xen/xl.conf')
    [ -n "$out" ] && echo "$out"
    echo "exit=$rc"
    [ "$rc" -ne 0 ] && [ "$out" = "$want" ]
}

MEMWORK_ARGS="-p 16 -s 16 -t 240 -i 10"
check "g1 created" guest_create g1
g1=$(xl domid g1)
check "memwork runs in g1" guest_wait g1 'memwork: t=' 120

say "every domain, before"
check "xl carrefour-info lists dom0 as PV and g1 as off" \
    sh -c 'xl carrefour-info > /tmp/info.txt; rc=$?; cat /tmp/info.txt;
           [ $rc = 0 ] &&
           grep -Eq "^Carrefour: allowed by Xen, 2 NUMA nodes" /tmp/info.txt &&
           grep -Eq "^Domain-0 +0 PV" /tmp/info.txt &&
           grep -Eq "^g1 +'"$g1"' off" /tmp/info.txt'

check "xl carrefour-enable g1" run xl carrefour-enable g1
check "enable twice is refused" \
    refused "carrefour: already enabled on domain $g1" xl carrefour-enable g1
sleep 5
check "xl carrefour-info g1 shows it on, with its parameters" \
    sh -c 'xl carrefour-info g1 > /tmp/info.txt; rc=$?; cat /tmp/info.txt;
           [ $rc = 0 ] && grep -Eq "^g1 +'"$g1"' on +fault" /tmp/info.txt &&
           grep -Eq "^epoch_ms +1000  ms +10\.\.60000$" /tmp/info.txt &&
           grep -Eq "^replication +0 " /tmp/info.txt'
check "xl carrefour-info -j g1 is JSON with enabled=true" \
    sh -c 'xl carrefour-info -j g1 > /tmp/info.json; rc=$?; cat /tmp/info.json;
           [ $rc = 0 ] && head -n 1 /tmp/info.json | grep -qx "\[" &&
           grep -Eq "\"enabled\": true" /tmp/info.json &&
           grep -Eq "\"name\": \"budget_pages\"" /tmp/info.json'

check "xl carrefour-set g1 epoch_ms=500 budget_pages=1024" \
    run xl carrefour-set g1 epoch_ms=500 budget_pages=1024
check "the new values are in force" \
    sh -c 'xl carrefour-info g1 | tee /tmp/info.txt | grep -E "^(epoch_ms|budget_pages) ";
           grep -Eq "^epoch_ms +500 " /tmp/info.txt &&
           grep -Eq "^budget_pages +1024 " /tmp/info.txt'

say "refusals: one line each, non-zero exit"
check "unknown parameter" \
    refused "carrefour: unknown parameter 'epoch' (xl carrefour-set -h lists them)" \
    xl carrefour-set g1 epoch=500
check "value out of range" \
    refused "carrefour: epoch_ms=5: out of range (10..60000 ms)" \
    xl carrefour-set g1 epoch_ms=5
check "not a number" \
    refused "carrefour: epoch_ms=fast: not a number" \
    xl carrefour-set g1 epoch_ms=fast
check "a refused list changes nothing (Xen: all or none)" \
    sh -c '! xl carrefour-set g1 epoch_ms=700 replication=1 &&
           xl carrefour-info g1 | grep -Eq "^epoch_ms +500 "'
check "more than 6 parameters" \
    refused "carrefour: at most 6 parameters at once (7 given): Xen sets them all or none in one call" \
    xl carrefour-set g1 epoch_ms=500 min_maptu=15 budget_pages=1024 \
        cooldown_epochs=2 freeze_epochs=16 tracked_pages=30000 \
        migrate_min_samples=2
check "replication=1 (Xen 4.17 cannot replicate)" \
    refused "carrefour: replication=1: this Xen cannot replicate pages" \
    xl carrefour-set g1 replication=1
check "dom0 is PV" \
    refused "carrefour: domain 0 is PV: Carrefour needs a HAP (HVM/PVH) domain" \
    xl carrefour-enable 0
check "missing domain by id" \
    refused "xl: domain '999' does not exist" xl carrefour-enable 999
check "missing domain by name" \
    refused "xl: domain 'nosuch' does not exist" xl carrefour-info nosuch
check "unknown sampler" \
    refused "carrefour: unknown sampler 'pebs' (ibs, fault or default)" \
    xl carrefour-enable -s pebs g1

say "Xen's own view: debug key k"
xl dmesg -c >/dev/null
check "xl debug-keys k" run xl debug-keys k
sleep 1
xl dmesg | tail -n 20

check "xl carrefour-disable g1" run xl carrefour-disable g1
check "disable twice is refused" \
    refused "carrefour: not enabled on domain $g1 (xl carrefour-enable first)" \
    xl carrefour-disable g1
check "set after disable is refused" \
    refused "carrefour: not enabled on domain $g1 (xl carrefour-enable first)" \
    xl carrefour-set g1 epoch_ms=500
check "xl carrefour-info g1 shows it off" \
    sh -c 'xl carrefour-info g1 | tee /tmp/info.txt; grep -Eq "^g1 +'"$g1"' off" /tmp/info.txt'

say "the domctl from inside a guest"
MEMWORK_ARGS="run domctl-from-domu"
check "g2 created" guest_create g2 memory=128 vcpus=1
check "domctl-from-domu in g2: refused with EPERM" \
    guest_wait g2 'domctl-from-domu: (PASS|FAIL)' 120
check "domctl-from-domu passed" \
    guest_wait g2 'domctl-from-domu: PASS' 1
guest_gone g2 60

xl destroy g1
check "memwork in g1 ran without errors" no_corruption g1
finish
