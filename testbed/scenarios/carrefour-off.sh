# Scenario: carrefour-off.  Xen booted without carrefour=on: xl says so
# in carrefour-info and when asked to enable; a guest whose xl.cfg has
# carrefour=1 is not created (and not left behind), while the same guest
# without it runs.
. /testbed/lib.sh

MEMWORK_ARGS="-p 16 -s 16 -t 30 -i 10"
check "g1 created" guest_create g1
g1=$(xl domid g1)
check "xl carrefour-info says Xen does not allow Carrefour" \
    sh -c 'xl carrefour-info | tee /tmp/info.txt;
           grep -q "^Carrefour: not allowed by Xen (boot Xen with carrefour=on)$" /tmp/info.txt &&
           grep -Eq "^g1 +'"$g1"' off" /tmp/info.txt'
check "xl carrefour-enable g1 says why it cannot" \
    sh -c 'out=$(xl carrefour-enable g1 2>&1); rc=$?; echo "$out"; echo "exit=$rc";
           out=$(echo "$out" | grep -v "^Failed to read config file: /etc/xen/xl.conf");
           [ $rc != 0 ] && [ "$out" = "carrefour: Xen was not booted with carrefour=on" ]'
check "xl carrefour-info -j g1 has allowed false (left out)" \
    sh -c 'xl carrefour-info -j g1 | tee /tmp/info.json | grep -q "\"capable\": true" &&
           ! grep -q "\"allowed\"" /tmp/info.json'

# A refused domain is destroyed by libxl, but it stays listed (dying)
# until dom0's daemons drop their mappings of its pages: give it time.
GONE_WITHIN_S=30
domains=$(xl list 2>/dev/null | wc -l)
g2_gone() { ! exists g2 && [ "$(xl list 2>/dev/null | wc -l)" = "$domains" ]; }
gone() { within $GONE_WITHIN_S g2_gone || { xl list; return 1; }; }
check "g2 with carrefour=1 is not created" not guest_create g2 carrefour=1
check "and not left behind" gone

check "memwork in g1 finishes without errors" \
    guest_wait g1 'memwork: final .* errors=0 ' 90
check "g1 powers itself off" guest_gone g1 60
finish
