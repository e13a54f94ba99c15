/*
 * domctl-from-domu: XEN_DOMCTL_carrefour_op issued from an unprivileged
 * guest must be refused by Xen's XSM check, whatever the target domain:
 * with -EPERM under the dummy policy (domctls are for the control domain),
 * with -EACCES under FLASK (domU_t lacks domain2:carrefour_op).
 *
 * Runs as root in a PVH test-bed guest, with Linux's privcmd driver
 * loaded "unrestricted" (so that the kernel hands the hypercalls to Xen
 * instead of refusing them itself).  No libxenctrl: the few structures
 * are defined here, their sizes checked against the ABI.
 *
 * Calls, in order:
 *   1. xen_version            proves the ioctl reaches Xen (a version);
 *   2. domctl, wrong version  proves domctls reach do_domctl (-EACCES,
 *                             checked before XSM);
 *   3. carrefour get_info on this guest's own domid   -> the refusal;
 *   4. carrefour enable on domain 0                   -> the refusal.
 * Prints one line per call and a verdict; exits 0 only if 3 and 4 were
 * refused with the expected error by Xen (1 and 2 answered as expected).
 *
 * Usage: domctl-from-domu [-e EPERM|EACCES] [MY-DOMID]
 *   -e  the refusal expected (default EPERM, the dummy XSM policy's)
 *   MY-DOMID defaults to "domid" from xenstore
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROG "domctl-from-domu"

/* --- The ABI, as in Xen 4.17's public headers ------------------------ */

#define HYPERVISOR_xen_version          17
#define HYPERVISOR_domctl               36
#define XENVER_version                  0

#define XEN_DOMCTL_INTERFACE_VERSION    0x00000015
#define XEN_DOMCTL_carrefour_op         87

/* public/carrefour.h */
#define XEN_CARREFOUR_ABI_VERSION       0x00010000U
#define XEN_DOMCTL_CARREFOUR_OP_ENABLE  1
#define XEN_DOMCTL_CARREFOUR_OP_GET_INFO 3
#define XEN_CARREFOUR_SAMPLER_DEFAULT   0

struct xen_domctl_carrefour_op {
    uint32_t cmd;
    uint32_t abi_version;
    uint32_t flags;
    uint32_t pad;
    union {
        struct {
            uint32_t sampler;
            uint32_t pad;
        } enable;
        uint64_t raw[13];   /* the largest member, set_params: 104 bytes */
    } u;
};
_Static_assert(sizeof(struct xen_domctl_carrefour_op) == 120,
               "struct xen_domctl_carrefour_op is 120 bytes");

/* public/domctl.h: struct xen_domctl */
struct xen_domctl {
    uint32_t cmd;
    uint32_t interface_version;
    uint16_t domain;
    uint16_t pad[3];
    union {
        struct xen_domctl_carrefour_op carrefour_op;
        uint8_t pad[128];
    } u;
};
_Static_assert(sizeof(struct xen_domctl) == 144,
               "struct xen_domctl is 144 bytes");
_Static_assert(offsetof(struct xen_domctl, u) == 16,
               "xen_domctl.u at offset 16");

/* Linux's include/uapi/xen/privcmd.h */
struct privcmd_hypercall {
    uint64_t op;
    uint64_t arg[5];
};
#define IOCTL_PRIVCMD_HYPERCALL \
    _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

/* public/io/xs_wire.h */
struct xsd_sockmsg {
    uint32_t type;
    uint32_t req_id;
    uint32_t tx_id;
    uint32_t len;
};
#define XS_READ 2

/* --- Calls ------------------------------------------------------------ */

/*
 * One hypercall through privcmd: Xen's return value (>= 0), or -errno
 * as Linux hands Xen's negative return back.
 */
static long hypercall(int fd, uint64_t op, void *arg0, uint64_t arg1)
{
    struct privcmd_hypercall call = {
        .op = op,
        .arg = { (uintptr_t)arg0, arg1 },
    };
    long ret = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);

    return ret < 0 ? -errno : ret;
}

/* The domctl, in a locked page (Xen reads it through our page tables). */
static struct xen_domctl *domctl;

static long carrefour_op(int fd, uint32_t version, uint16_t domid,
                         uint32_t cmd)
{
    memset(domctl, 0, sizeof(*domctl));
    domctl->cmd = XEN_DOMCTL_carrefour_op;
    domctl->interface_version = version;
    domctl->domain = domid;
    domctl->u.carrefour_op.cmd = cmd;
    domctl->u.carrefour_op.abi_version = XEN_CARREFOUR_ABI_VERSION;
    if (cmd == XEN_DOMCTL_CARREFOUR_OP_ENABLE)
        domctl->u.carrefour_op.u.enable.sampler =
            XEN_CARREFOUR_SAMPLER_DEFAULT;

    return hypercall(fd, HYPERVISOR_domctl, domctl, 0);
}

static const char *errname(long ret)
{
    switch (-ret) {
    case EPERM:      return "EPERM";
    case EACCES:     return "EACCES";
    case ESRCH:      return "ESRCH";
    case EINVAL:     return "EINVAL";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENOSYS:     return "ENOSYS";
    case EFAULT:     return "EFAULT";
    default:         return ret < 0 ? "?" : "success";
    }
}

/* This guest's domid: the "domid" key of its xenstore home. */
static int xenstore_domid(void)
{
    static const char path[] = "domid";
    struct xsd_sockmsg msg = {
        .type = XS_READ, .req_id = 1, .len = sizeof(path),
    };
    char buf[sizeof(msg) + sizeof(path)], reply[64];
    ssize_t n;
    int fd = open("/dev/xen/xenbus", O_RDWR);

    if (fd < 0)
        return -1;
    memcpy(buf, &msg, sizeof(msg));
    memcpy(buf + sizeof(msg), path, sizeof(path));
    if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
        close(fd);
        return -1;
    }
    n = read(fd, reply, sizeof(reply) - 1);
    close(fd);
    if (n <= (ssize_t)sizeof(msg))
        return -1;
    memcpy(&msg, reply, sizeof(msg));
    if (msg.type != XS_READ)
        return -1;      /* XS_ERROR */
    reply[n] = '\0';
    return atoi(reply + sizeof(msg));
}

int main(int argc, char **argv)
{
    long ret, refusal = -EPERM;
    int fd, self, ok = 1, arg = 1;

    setvbuf(stdout, NULL, _IOLBF, 0);

    if (argc > arg + 1 && strcmp(argv[arg], "-e") == 0) {
        if (strcmp(argv[arg + 1], "EACCES") == 0)
            refusal = -EACCES;
        else if (strcmp(argv[arg + 1], "EPERM") != 0) {
            printf(PROG ": -e takes EPERM or EACCES, not %s\n", argv[arg + 1]);
            return 2;
        }
        arg += 2;
    }
    self = argc > arg ? atoi(argv[arg]) : xenstore_domid();
    if (self <= 0) {
        printf(PROG ": cannot learn my domid (give it as an argument)\n");
        return 2;
    }

    fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        printf(PROG ": /dev/xen/privcmd: %s (is xen-privcmd loaded?)\n",
               strerror(errno));
        return 2;
    }

    domctl = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    if (domctl == MAP_FAILED) {
        printf(PROG ": mmap: %s\n", strerror(errno));
        return 2;
    }

    printf(PROG ": I am domain %d\n", self);

    ret = hypercall(fd, HYPERVISOR_xen_version, NULL, XENVER_version);
    if (ret < 0) {
        printf(PROG ": xen_version: %ld (%s): the kernel does not pass "
               "hypercalls on (privcmd restricted?)\n", ret, errname(ret));
        return 2;
    }
    printf(PROG ": xen_version: Xen %ld.%ld answers\n", ret >> 16,
           ret & 0xffff);

    ret = carrefour_op(fd, 0, self, XEN_DOMCTL_CARREFOUR_OP_GET_INFO);
    printf(PROG ": domctl with interface version 0: Xen returned %ld (%s)\n",
           ret, errname(ret));
    if (ret != -EACCES)
        ok = 0;

    ret = carrefour_op(fd, XEN_DOMCTL_INTERFACE_VERSION, self,
                       XEN_DOMCTL_CARREFOUR_OP_GET_INFO);
    printf(PROG ": carrefour get_info on domain %d: Xen returned %ld (%s)\n",
           self, ret, errname(ret));
    if (ret != refusal)
        ok = 0;

    ret = carrefour_op(fd, XEN_DOMCTL_INTERFACE_VERSION, 0,
                       XEN_DOMCTL_CARREFOUR_OP_ENABLE);
    printf(PROG ": carrefour enable on domain 0: Xen returned %ld (%s)\n",
           ret, errname(ret));
    if (ret != refusal)
        ok = 0;

    if (ok)
        printf(PROG ": PASS: a domU's carrefour_op is refused with %s\n",
               errname(refusal));
    else
        printf(PROG ": FAIL: expected EACCES, %s, %s\n", errname(refusal),
               errname(refusal));
    close(fd);
    return ok ? 0 : 1;
}
