# Scenario: carrefour-config.  carrefour=1 in a guest's xl.cfg, with Xen
# booted with carrefour=on: libxl enables Carrefour as the guest is built,
# before it first runs, and the setting is in the saved configuration.
# On a PV guest, or one without HAP, carrefour=1 is a configuration error
# found before anything is built.
. /testbed/lib.sh

MEMWORK_ARGS="-p 16 -s 16 -t 60 -i 10"
check "g1 created with carrefour=1" guest_create g1 carrefour=1
g1=$(xl domid g1)
check "Carrefour is on in g1 from creation" \
    sh -c 'xl carrefour-info g1 | tee /tmp/info.txt;
           grep -Eq "^g1 +'"$g1"' on +fault" /tmp/info.txt'
check "the saved configuration has carrefour" \
    sh -c 'xl list -l g1 | grep -E "\"carrefour\"" | tee /dev/stderr |
           grep -q "\"True\""'
check "memwork runs in g1" guest_wait g1 'memwork: t=' 120
sleep 4
check "Carrefour's epochs go on in g1" \
    sh -c 'xl carrefour-info -j g1 | tee /tmp/info.json |
           grep -Eq "\"epochs\": [1-9]"'

# No kernel is needed: the configuration is refused before the build.
cat > /tmp/pv.cfg <<CFG
name="pv1"
type="pv"
kernel="$GUEST_KERNEL"
memory=128
carrefour=1
CFG
domains=$(xl list 2>/dev/null | wc -l)
say "xl create /tmp/pv.cfg (type=pv, carrefour=1)"
check "a PV guest with carrefour=1 is refused" \
    sh -c 'xl create /tmp/pv.cfg > /tmp/pv.out 2>&1; rc=$?; cat /tmp/pv.out;
           [ $rc != 0 ] &&
           grep -q "carrefour=1: Carrefour needs a HAP (HVM/PVH) domain, this one is PV" /tmp/pv.out'
check "and not left behind" \
    sh -c "! xl domid pv1 2>/dev/null && [ \$(xl list 2>/dev/null | wc -l) = $domains ]"

sed -e 's/^name=.*/name="noh"/' -e 's/^type=.*/type="pvh"/' /tmp/pv.cfg > /tmp/noh.cfg
echo 'hap=0' >> /tmp/noh.cfg
say "xl create /tmp/noh.cfg (type=pvh, hap=0, carrefour=1)"
check "a PVH guest without HAP with carrefour=1 is refused" \
    sh -c 'xl create /tmp/noh.cfg > /tmp/noh.out 2>&1; rc=$?; cat /tmp/noh.out;
           [ $rc != 0 ] &&
           grep -q "carrefour=1: Carrefour needs a HAP (HVM/PVH) domain, this one is without HAP" /tmp/noh.out'

check "memwork in g1 finishes without errors" \
    guest_wait g1 'memwork: final .* errors=0 ' 120
check "g1 powers itself off" guest_gone g1 60
finish
