/******************************************************************************
 * xc_carrefour.c
 *
 * Carrefour, automatic NUMA placement of HAP domains' memory:
 * XEN_DOMCTL_carrefour_op (see xen/include/public/carrefour.h).
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation;
 * version 2.1 of the License.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with this library; If not, see <http://www.gnu.org/licenses/>.
 */

#include "xc_private.h"

int xc_carrefour_op(xc_interface *xch, uint32_t domid,
                    struct xen_domctl_carrefour_op *op)
{
    DECLARE_DOMCTL;
    int rc;

    domctl.cmd = XEN_DOMCTL_carrefour_op;
    domctl.domain = domid;
    domctl.u.carrefour_op = *op;

    rc = do_domctl(xch, &domctl);

    /* Xen copies the operation back on failure too (get_stats.size). */
    *op = domctl.u.carrefour_op;

    return rc;
}

/* An operation of the ABI this library was built with. */
static void carrefour_op_init(struct xen_domctl_carrefour_op *op,
                              uint32_t cmd)
{
    memset(op, 0, sizeof(*op));
    op->cmd = cmd;
    op->abi_version = XEN_CARREFOUR_ABI_VERSION;
}

int xc_carrefour_enable(xc_interface *xch, uint32_t domid, uint32_t sampler)
{
    struct xen_domctl_carrefour_op op;

    carrefour_op_init(&op, XEN_DOMCTL_CARREFOUR_OP_ENABLE);
    op.u.enable.sampler = sampler;

    return xc_carrefour_op(xch, domid, &op);
}

int xc_carrefour_disable(xc_interface *xch, uint32_t domid)
{
    struct xen_domctl_carrefour_op op;

    carrefour_op_init(&op, XEN_DOMCTL_CARREFOUR_OP_DISABLE);

    return xc_carrefour_op(xch, domid, &op);
}

int xc_carrefour_get_info(xc_interface *xch, uint32_t domid,
                          struct xen_carrefour_info *info)
{
    struct xen_domctl_carrefour_op op;
    int rc;

    carrefour_op_init(&op, XEN_DOMCTL_CARREFOUR_OP_GET_INFO);

    rc = xc_carrefour_op(xch, domid, &op);
    if ( !rc )
        *info = op.u.info;

    return rc;
}

int xc_carrefour_set_params(xc_interface *xch, uint32_t domid,
                            const struct xen_carrefour_param *params,
                            unsigned int nr_params)
{
    struct xen_domctl_carrefour_op op;
    unsigned int i;

    /*
     * One call is all or nothing; splitting a longer list over several
     * calls would not be, so refuse it and let the caller decide.
     */
    if ( nr_params == 0 || nr_params > XEN_CARREFOUR_MAX_SET_PARAMS )
    {
        errno = E2BIG;
        return -1;
    }

    carrefour_op_init(&op, XEN_DOMCTL_CARREFOUR_OP_SET_PARAMS);
    op.u.set_params.nr_params = nr_params;
    for ( i = 0; i < nr_params; i++ )
    {
        op.u.set_params.params[i].id = params[i].id;
        op.u.set_params.params[i].value = params[i].value;
    }

    return xc_carrefour_op(xch, domid, &op);
}

int xc_carrefour_get_stats(xc_interface *xch, uint32_t domid,
                           struct xen_carrefour_stats *stats,
                           uint32_t *size_needed)
{
    struct xen_domctl_carrefour_op op;
    DECLARE_HYPERCALL_BOUNCE(stats, sizeof(*stats),
                             XC_HYPERCALL_BUFFER_BOUNCE_OUT);
    int rc;

    if ( xc_hypercall_bounce_pre(xch, stats) )
        return -1;

    carrefour_op_init(&op, XEN_DOMCTL_CARREFOUR_OP_GET_STATS);
    set_xen_guest_handle(op.u.get_stats.buffer, stats);
    op.u.get_stats.size = sizeof(*stats);

    rc = xc_carrefour_op(xch, domid, &op);

    if ( size_needed )
        *size_needed = op.u.get_stats.size;

    xc_hypercall_bounce_post(xch, stats);
    if ( rc )
        memset(stats, 0, sizeof(*stats));

    return rc;
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
