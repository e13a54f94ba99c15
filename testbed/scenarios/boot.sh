# Scenario: boot.  Xen comes up on the emulated two-node machine, dom0's
# toolstack works, and Xen sees both NUMA nodes with their CPUs and memory.
. /testbed/lib.sh

say "xl info -n"
xl info -n
check "Xen reports two NUMA nodes" sh -c 'xl info | grep -Eq "^nr_nodes +: 2$"'
check "Xen runs HVM/PVH guests with HAP" sh -c 'xl info | grep -Eq "^virt_caps +:.* hap"'
say "xl list"
xl list
finish
