/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch/x86/carrefour/ibs.c
 *
 * The AMD IBS op sampler, as Carrefour used it: every `period` ops a CPU
 * tags one op; when it retires, the CPU raises an NMI through an APIC
 * extended LVT entry, and the handler reads the op's registers.  IBS
 * samples whatever runs, guest or Xen, and its physical address is a
 * machine address: the frame's owner and the M2P give the domain and gfn.
 *
 * The decoding (which samples to keep, load or store, data source) is the
 * engine's pure code (carrefour-core/src/ibs.rs, unit-tested with
 * constructed register values), called here through carrefour_ibs_decode().
 *
 * NOT EXERCISED by the project's test bed: QEMU emulates no IBS.  It is
 * built with every image, and refuses to start (with a message) where IBS
 * op sampling is missing, where the BIOS left IBSCTL's LVT offset invalid
 * (family 10h's northbridge setup is not done here), or where xenoprof
 * holds the NMI callback.
 */

#include <xen/cpumask.h>
#include <xen/sched.h>
#include <xen/smp.h>

#include <asm/apic.h>
#include <asm/msr.h>
#include <asm/nmi.h>
#include <asm/processor.h>

#include "private.h"

#define MSR_IBS_OP_CTL      0xc0011033
#define MSR_IBS_OP_RIP      0xc0011034
#define MSR_IBS_OP_DATA     0xc0011035
#define MSR_IBS_OP_DATA2    0xc0011036
#define MSR_IBS_OP_DATA3    0xc0011037
#define MSR_IBS_DC_PHYS_AD  0xc0011039
#define MSR_IBS_CTL         0xc001103a

#define IBS_CTL_LVT_OFFSET_MASK   0xf
#define IBS_CTL_LVT_OFFSET_VALID  (1U << 8)
#define IBS_OP_CTL_VALID          (1ULL << 18)

/* APIC extended LVT n, and its NMI delivery mode (bits 10:8 = 100b). */
#define APIC_EXT_LVT(n)           (0x500 + 0x10 * (n))
#define APIC_EXT_LVT_MSG_NMI      (4U << 8)

#define CPUID_IBS_LEAF            0x8000001b

/* The registers of one sample, as carrefour_ibs_decode() reads them. */
struct carrefour_ibs_regs {
    uint64_t op_ctl, op_rip, op_data, op_data2, op_data3, dc_phys_ad;
    uint8_t in_guest;
    uint8_t pad[7];
};

/* A decoded access. */
struct carrefour_ibs_access {
    uint64_t phys_addr;
    uint8_t kind;       /* CARREFOUR_ACCESS_* */
    uint8_t source;     /* CARREFOUR_SOURCE_* */
    uint8_t pad[6];
};

/* Rust: 0, or a negative rejection code. */
int carrefour_ibs_decode(const struct carrefour_ibs_regs *regs,
                         struct carrefour_ibs_access *out);
/* Rust: IbsOpCtl for period on a CPU with these caps, 0 when impossible. */
uint64_t carrefour_ibs_op_ctl(uint32_t cpuid_eax, uint64_t period);

void carrefour_ibs_push(const struct carrefour_sample *s);

static uint32_t ibs_caps;
static unsigned int lvt_offset;
static bool ibs_running;
static uint64_t op_ctl;

bool carrefour_ibs_usable(void)
{
    uint64_t ctl;

    if ( boot_cpu_data.x86_vendor != X86_VENDOR_AMD ||
         !boot_cpu_has(X86_FEATURE_IBS) ||
         boot_cpu_data.extended_cpuid_level < CPUID_IBS_LEAF )
        return false;

    ibs_caps = cpuid_eax(CPUID_IBS_LEAF);
    if ( !carrefour_ibs_op_ctl(ibs_caps, 0xfff0) )
        return false;

    if ( rdmsr_safe(MSR_IBS_CTL, ctl) ||
         !(ctl & IBS_CTL_LVT_OFFSET_VALID) )
        return false;
    lvt_offset = ctl & IBS_CTL_LVT_OFFSET_MASK;

    return true;
}

static int cf_check ibs_nmi(const struct cpu_user_regs *regs, int cpu)
{
    struct carrefour_ibs_regs r = {};
    struct carrefour_ibs_access a;
    struct carrefour_sample s = {};
    const struct page_info *pg;
    const struct domain *owner;
    nodeid_t node;
    mfn_t mfn;

    rdmsrl(MSR_IBS_OP_CTL, r.op_ctl);
    if ( !(r.op_ctl & IBS_OP_CTL_VALID) )
        return 0;                       /* Not ours: Xen handles it. */

    rdmsrl(MSR_IBS_OP_RIP, r.op_rip);
    rdmsrl(MSR_IBS_OP_DATA, r.op_data);
    rdmsrl(MSR_IBS_OP_DATA2, r.op_data2);
    rdmsrl(MSR_IBS_OP_DATA3, r.op_data3);
    rdmsrl(MSR_IBS_DC_PHYS_AD, r.dc_phys_ad);
    /* The NMI arrives after the VMEXIT: a guest was running if current is
     * a guest vCPU. */
    r.in_guest = !is_idle_vcpu(current) && is_hvm_vcpu(current);

    /* Re-arm first: the counter restarts while the sample is handled. */
    wrmsrl(MSR_IBS_OP_CTL, ACCESS_ONCE(op_ctl));

    if ( carrefour_ibs_decode(&r, &a) )
        return 1;

    mfn = maddr_to_mfn(a.phys_addr);
    if ( !mfn_valid(mfn) )
        return 1;
    pg = mfn_to_page(mfn);
    owner = page_get_owner(pg);
    if ( !owner || !is_hvm_domain(owner) )
        return 1;

    s.gfn = get_gpfn_from_mfn(mfn_x(mfn));
    if ( s.gfn == INVALID_M2P_ENTRY )
        return 1;
    s.domid = owner->domain_id;
    node = phys_to_nid(a.phys_addr);
    s.frame_node = node < XEN_CARREFOUR_MAX_NODES ? node : 0;
    node = cpu_to_node(cpu);
    s.cpu_node = node < XEN_CARREFOUR_MAX_NODES ? node : 0;
    s.kind = a.kind;
    s.source = a.source;
    carrefour_ibs_push(&s);

    return 1;
}

static void cf_check ibs_start_cpu(void *unused)
{
    apic_write(APIC_EXT_LVT(lvt_offset), APIC_EXT_LVT_MSG_NMI);
    wrmsrl(MSR_IBS_OP_CTL, op_ctl);
}

static void cf_check ibs_stop_cpu(void *unused)
{
    wrmsrl(MSR_IBS_OP_CTL, 0);
    apic_write(APIC_EXT_LVT(lvt_offset), APIC_LVT_MASKED);
}

int carrefour_ibs_start(void)
{
    nmi_callback_t *old;

    if ( ibs_running )
        return 0;
    if ( !carrefour_ibs_usable() )
        return -EOPNOTSUPP;

    /* Carrefour's accurate period; the epoch driver may change it. */
    op_ctl = carrefour_ibs_op_ctl(ibs_caps, 0xfff0);
    if ( !op_ctl )
        return -EOPNOTSUPP;

    old = set_nmi_callback(ibs_nmi);
    if ( old )
    {
        set_nmi_callback(old);
        printk(XENLOG_WARNING
               "carrefour: the NMI callback is in use (xenoprof?): no IBS\n");
        return -EBUSY;
    }

    on_each_cpu(ibs_start_cpu, NULL, 1);
    ibs_running = true;
    printk(XENLOG_INFO "carrefour: IBS op sampling on, LVT offset %u\n",
           lvt_offset);

    return 0;
}

void carrefour_ibs_stop(void)
{
    if ( !ibs_running )
        return;
    on_each_cpu(ibs_stop_cpu, NULL, 1);
    unset_nmi_callback();
    ibs_running = false;
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * tab-width: 4
 * indent-tabs-mode: nil
 * End:
 */
