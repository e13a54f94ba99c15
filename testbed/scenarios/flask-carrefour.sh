# Scenario: flask-carrefour (`make e2e-flask`, on out/image-flask: Xen
# with FLASK and its default policy, booted with flask=enforcing).
# Carrefour's domctl under a FLASK policy: dom0 (dom0_t) manages a guest
# (domU_t) through the domain2:carrefour_op permission that patch 0003
# grants with the other domain-building ones, and Carrefour moves the
# guest's pages; everything else is denied with an AVC message and
# -EACCES, FLASK's error: a guest's carrefour_op on itself or on dom0,
# and dom0's on itself (the policy grants dom0_t nothing on dom0_t, so
# the denial comes before Xen's "dom0 is PV" refusal).
. /testbed/lib.sh

check "FLASK enforces" sh -c 'xl getenforce | tee /tmp/enforce.txt; grep -qx Enforcing /tmp/enforce.txt'

MEMWORK_ARGS="-p 32 -s 32 -t 120 -i 5"
check "g1 created on node 0" guest_create g1 'cpus="node:0"' 'cpus_soft="node:0"'
check "memwork runs in g1" guest_wait g1 'memwork: t=' 120
check "xl carrefour-enable g1 (dom0_t on domU_t)" xl carrefour-enable g1
check "xl carrefour-set g1" xl carrefour-set g1 epoch_ms=200 cooldown_epochs=0
hop g1 1
check "Carrefour moves g1's pages under FLASK" within 60 moved_since g1 0
say "g1: $(moved g1) pages moved, pages $(node_pages g1)"
check "xl carrefour-info g1 shows it on" \
    sh -c 'xl carrefour-info g1 | tee /tmp/info.txt; grep -Eq "^g1 +[0-9]+ on " /tmp/info.txt'

xl dmesg -c >/dev/null
say "\$ xl carrefour-enable 0"
xl carrefour-enable 0 >/tmp/dom0.txt 2>&1
rc=$?
cat /tmp/dom0.txt
check "xl carrefour-enable 0 is refused (dom0_t on dom0_t)" [ $rc -ne 0 ]
check "...with Permission denied" grep -q 'Permission denied' /tmp/dom0.txt
check "...and an AVC denial in Xen's log" \
    sh -c 'xl dmesg | grep "avc:  denied  { carrefour_op }" | grep -q "tcontext=system_u:system_r:dom0_t"'

say "the domctl from inside a guest"
MEMWORK_ARGS="run domctl-from-domu -e EACCES"
check "g2 created" guest_create g2 memory=128 vcpus=1
check "domctl-from-domu in g2 ends" guest_wait g2 'domctl-from-domu: (PASS|FAIL)' 120
check "domctl-from-domu: refused with EACCES" guest_wait g2 'domctl-from-domu: PASS' 1
guest_gone g2 60

check "xl carrefour-disable g1" xl carrefour-disable g1
xl destroy g1
check "memwork in g1 ran without errors" no_corruption g1
finish
