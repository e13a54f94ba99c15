/*
 * xl_carrefour.c: xl carrefour-enable, -disable, -info and -set, the
 * commands of Carrefour, Xen's automatic NUMA placement of a HAP domain's
 * memory.
 *
 * Every failure is one line on stderr that says what is wrong: libxl
 * returns a code for what Xen refused and xl explains it, with
 * libxl_carrefour_get_info() where the code alone does not say why.
 *
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU Lesser General Public License as published
 * by the Free Software Foundation; version 2.1 only. with the special
 * exception on linking described in file LICENSE.
 *
 * This program is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU Lesser General Public License for more details.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxl_utils.h>

#include "xl.h"
#include "xl_utils.h"

/* A domain the user named, as found. */
struct carrefour_domain {
    const char *arg;            /* as typed */
    uint32_t domid;
    libxl_domain_type type;
};

/*
 * Finds the domain called (or numbered) arg.  Unlike find_domain(), a
 * number is checked too, so that a missing domain gets the same message
 * either way.
 */
static int carrefour_find_domain(const char *arg,
                                 struct carrefour_domain *d)
{
    libxl_dominfo info;
    uint32_t domid;
    int rc;

    libxl_dominfo_init(&info);

    rc = libxl_domain_qualifier_to_domid(ctx, arg, &domid);
    if (!rc)
        rc = libxl_domain_info(ctx, &info, domid);
    if (rc) {
        fprintf(stderr, "xl: domain '%s' does not exist\n", arg);
        goto out;
    }

    d->arg = arg;
    d->domid = domid;
    d->type = info.domain_type;

 out:
    libxl_dominfo_dispose(&info);
    return rc;
}

static const char *carrefour_type_name(libxl_domain_type type)
{
    switch (type) {
    case LIBXL_DOMAIN_TYPE_PV:  return "PV";
    case LIBXL_DOMAIN_TYPE_HVM: return "HVM";
    case LIBXL_DOMAIN_TYPE_PVH: return "PVH";
    default:                    return "of unknown type";
    }
}

/*
 * Says why Carrefour is not available for domain d (libxl returned
 * ERROR_NI), if the reason is the domain or Xen's command line; returns
 * false when neither is.
 */
static bool carrefour_explain_unavailable(const struct carrefour_domain *d,
                                          libxl_carrefour_info *info_r)
{
    int rc;

    rc = libxl_carrefour_get_info(ctx, d->domid, info_r);
    if (rc)
        return false;

    if (!info_r->capable) {
        if (d->type == LIBXL_DOMAIN_TYPE_PV)
            fprintf(stderr, "carrefour: domain %"PRIu32" is PV: "
                    "Carrefour needs a HAP (HVM/PVH) domain\n", d->domid);
        else
            fprintf(stderr, "carrefour: domain %"PRIu32" is %s without HAP: "
                    "Carrefour needs a HAP (HVM/PVH) domain\n", d->domid,
                    carrefour_type_name(d->type));
        return true;
    }
    if (!info_r->allowed) {
        fprintf(stderr,
                "carrefour: Xen was not booted with carrefour=on\n");
        return true;
    }

    return false;
}

/*
 * Explains a code libxl returned for operation op on domain d, in one
 * line.  For ERROR_NI, the caller has the last word unless the domain or
 * Xen's command line is the reason (returns false then).
 */
static bool carrefour_explain(const struct carrefour_domain *d,
                              const char *op, int rc)
{
    libxl_carrefour_info info;
    bool explained = true;

    libxl_carrefour_info_init(&info);

    switch (rc) {
    case ERROR_DOMAIN_NOTFOUND:
        fprintf(stderr, "xl: domain '%s' does not exist\n", d->arg);
        break;
    case ERROR_NI:
        explained = carrefour_explain_unavailable(d, &info);
        break;
    case ERROR_NOTFOUND:
        fprintf(stderr, "carrefour: not enabled on domain %"PRIu32
                " (xl carrefour-enable first)\n", d->domid);
        break;
    case ERROR_DEVICE_EXISTS:
        fprintf(stderr, "carrefour: already enabled on domain %"PRIu32"\n",
                d->domid);
        break;
    default:
        fprintf(stderr, "carrefour: %s failed on domain %"PRIu32
                " (libxl error %d)\n", op, d->domid, rc);
        break;
    }

    libxl_carrefour_info_dispose(&info);
    return explained;
}

int main_carrefour_enable(int argc, char **argv)
{
    libxl_carrefour_sampler sampler = LIBXL_CARREFOUR_SAMPLER_DEFAULT;
    struct carrefour_domain d;
    int opt, rc;
    static const struct option opts[] = {
        {"sampler", 1, 0, 's'},
        COMMON_LONG_OPTS
    };

    SWITCH_FOREACH_OPT(opt, "s:", opts, "carrefour-enable", 1) {
    case 's':
        if (libxl_carrefour_sampler_from_string(optarg, &sampler)) {
            fprintf(stderr, "carrefour: unknown sampler '%s' "
                    "(ibs, fault or default)\n", optarg);
            return EXIT_FAILURE;
        }
        break;
    }
    if (argc - optind != 1) {
        help("carrefour-enable");
        return 2;
    }

    if (carrefour_find_domain(argv[optind], &d))
        return EXIT_FAILURE;

    rc = libxl_carrefour_enable(ctx, d.domid, sampler);
    if (rc) {
        if (!carrefour_explain(&d, "enable", rc))
            fprintf(stderr, "carrefour: sampler '%s' is not available "
                    "for domain %"PRIu32" on this host\n",
                    libxl_carrefour_sampler_to_string(sampler), d.domid);
        return EXIT_FAILURE;
    }

    return EXIT_SUCCESS;
}

int main_carrefour_disable(int argc, char **argv)
{
    struct carrefour_domain d;
    int opt, rc;

    SWITCH_FOREACH_OPT(opt, "", NULL, "carrefour-disable", 1) {
        /* No options */
    }
    if (argc - optind != 1) {
        help("carrefour-disable");
        return 2;
    }

    if (carrefour_find_domain(argv[optind], &d))
        return EXIT_FAILURE;

    rc = libxl_carrefour_disable(ctx, d.domid);
    if (rc) {
        if (!carrefour_explain(&d, "disable", rc))
            fprintf(stderr, "carrefour: Xen refused to disable Carrefour "
                    "on domain %"PRIu32"\n", d.domid);
        return EXIT_FAILURE;
    }

    return EXIT_SUCCESS;
}

/*
 * The statistics of one domain, or, when Xen cannot give them (a domain
 * that cannot use Carrefour, or carrefour=on missing), just its summary:
 * the JSON output has one shape for every domain.
 */
static int carrefour_collect(uint32_t domid, libxl_carrefour_stats *stats)
{
    libxl_carrefour_info info;
    int rc;

    libxl_carrefour_info_init(&info);

    rc = libxl_carrefour_get_info(ctx, domid, &info);
    if (rc) goto out;

    if (info.capable && info.allowed) {
        rc = libxl_carrefour_get_stats(ctx, domid, stats);
        goto out;
    }

    libxl_carrefour_stats_init(stats);
    libxl_carrefour_info_copy(ctx, &stats->info, &info);
    rc = 0;

 out:
    libxl_carrefour_info_dispose(&info);
    return rc;
}

/* A permille as a percentage with one decimal, or "-" before any epoch. */
static void carrefour_print_permille(const libxl_carrefour_info *info,
                                     uint32_t permille)
{
    if (info->enabled && info->epochs)
        printf(" %4"PRIu32".%"PRIu32"%%", permille / 10, permille % 10);
    else
        printf(" %7s", "-");
}

static void carrefour_print_header(void)
{
    printf("%-32s %5s %-9s %-7s %8s %10s %10s %7s %7s\n",
           "Name", "ID", "Carrefour", "Sampler", "Epochs", "Samples",
           "Moved", "LAR", "Imbal");
}

static void carrefour_print_row(const libxl_carrefour_info *info,
                                libxl_domain_type type)
{
    char *name = libxl_domid_to_name(ctx, info->domid);

    printf("%-32s %5"PRIu32, name ? name : "-", info->domid);
    free(name);

    if (!info->capable) {
        printf(" %s\n", type == LIBXL_DOMAIN_TYPE_PV ? "PV" : "no HAP");
        return;
    }
    if (!info->enabled) {
        printf(" off\n");
        return;
    }

    printf(" %-9s %-7s %8"PRIu64" %10"PRIu64" %10"PRIu64, "on",
           libxl_carrefour_sampler_to_string(info->sampler), info->epochs,
           info->samples, info->pages_moved);
    carrefour_print_permille(info, info->local_access_permille);
    carrefour_print_permille(info, info->imbalance_permille);
    printf("\n");
}

/* What only the one-domain view shows: everything Xen reports. */
static void carrefour_print_details(const libxl_carrefour_stats *st)
{
    const libxl_carrefour_info *info = &st->info;
    libxl_carrefour_param_info *pinfo = NULL;
    int i, j, nr_pinfo = 0;

    printf("\n");
    printf("%-26s %"PRIu64"\n", "Samples dropped:", info->samples_dropped);
    printf("%-26s %"PRIu64"\n", "Tracked pages:", info->tracked_pages);
    printf("%-26s %"PRIu64"\n", "Sampling period:", info->sampling_period);
    printf("%-26s migrate %"PRIu64", interleave %"PRIu64
           ", replicate %"PRIu64"\n", "Actions decided:",
           st->actions.migrate, st->actions.interleave,
           st->actions.replicate);
    printf("%-26s %"PRIu64"\n", "Actions failed:", st->failed);
    printf("%-26s extra_refs %"PRIu64", not_ram %"PRIu64
           ", paged_shared %"PRIu64", passthrough %"PRIu64",\n"
           "%-26s no_memory %"PRIu64", already_there %"PRIu64
           ", unsupported %"PRIu64", dying %"PRIu64
           ", log_dirty %"PRIu64"\n",
           "Actions skipped:", st->skipped.extra_refs, st->skipped.not_ram,
           st->skipped.paged_shared, st->skipped.passthrough, "",
           st->skipped.no_memory, st->skipped.already_there,
           st->skipped.unsupported, st->skipped.dying,
           st->skipped.log_dirty);
    printf("%-26s %"PRIu64"\n", "Frozen pages:", st->frozen_pages);
    printf("%-26s %"PRIu64"\n", "Budget exhausted epochs:",
           st->budget_exhausted_epochs);

    printf("\n%-6s %12s %12s\n", "Node", "Accesses", "Pages");
    for (i = 0; i < st->num_nodes; i++)
        printf("%-6"PRIu32" %12"PRIu64" %12"PRIu64"\n", st->nodes[i].node,
               st->nodes[i].accesses, st->nodes[i].pages);

    if (libxl_carrefour_param_info_list(ctx, &pinfo, &nr_pinfo))
        nr_pinfo = 0;
    printf("\n%-30s %12s  %-12s %s\n", "Parameter", "Value", "Unit",
           "Range");
    for (i = 0; i < st->num_params; i++) {
        const libxl_carrefour_param_info *pi = NULL;

        for (j = 0; j < nr_pinfo; j++)
            if (!strcmp(pinfo[j].name, st->params[i].name))
                pi = &pinfo[j];
        printf("%-30s %12"PRIu64, st->params[i].name, st->params[i].value);
        if (pi)
            printf("  %-12s %"PRIu64"..%"PRIu64, pi->unit, pi->min, pi->max);
        printf("\n");
    }
    libxl_carrefour_param_info_list_free(pinfo, nr_pinfo);
}

static int carrefour_print_json(libxl_carrefour_stats *stats, int nr)
{
    int i;

    printf("[\n");
    for (i = 0; i < nr; i++) {
        char *s = libxl_carrefour_stats_to_json(ctx, &stats[i]);

        if (!s) {
            fprintf(stderr, "carrefour: cannot format domain %"PRIu32
                    " as JSON\n", stats[i].info.domid);
            return EXIT_FAILURE;
        }
        printf("%s%s\n", s, i + 1 < nr ? "," : "");
        free(s);
    }
    printf("]\n");

    return EXIT_SUCCESS;
}

/*
 * "Carrefour allowed ..." from the first domain that can use Carrefour:
 * only such a domain can ask Xen.
 */
static void carrefour_print_xen(const libxl_carrefour_stats *stats, int nr)
{
    int i;

    for (i = 0; i < nr; i++) {
        const libxl_carrefour_info *info = &stats[i].info;

        if (!info->capable)
            continue;
        if (info->allowed)
            printf("Carrefour: allowed by Xen, %"PRIu32" NUMA node%s, "
                   "replication %s\n", info->nr_nodes,
                   info->nr_nodes == 1 ? "" : "s",
                   info->replication ? "available" : "not available");
        else
            printf("Carrefour: not allowed by Xen "
                   "(boot Xen with carrefour=on)\n");
        return;
    }
}

int main_carrefour_info(int argc, char **argv)
{
    libxl_dominfo *dominfo = NULL;
    libxl_carrefour_stats *stats = NULL;
    libxl_domain_type *types = NULL;
    struct carrefour_domain d;
    bool json = false;
    int opt, i, nr = 0, nr_dominfo = 0, rc, ret = EXIT_FAILURE;
    static const struct option opts[] = {
        {"json", 0, 0, 'j'},
        COMMON_LONG_OPTS
    };

    SWITCH_FOREACH_OPT(opt, "j", opts, "carrefour-info", 0) {
    case 'j':
        json = true;
        break;
    }
    if (argc - optind > 1) {
        help("carrefour-info");
        return 2;
    }

    if (optind < argc) {
        if (carrefour_find_domain(argv[optind], &d))
            return EXIT_FAILURE;
        dominfo = xcalloc(1, sizeof(*dominfo));
        libxl_dominfo_init(&dominfo[0]);
        dominfo[0].domid = d.domid;
        dominfo[0].domain_type = d.type;
        nr_dominfo = 1;
    } else {
        dominfo = libxl_list_domain(ctx, &nr_dominfo);
        if (!dominfo) {
            fprintf(stderr, "carrefour: cannot list the domains\n");
            return EXIT_FAILURE;
        }
    }

    stats = xcalloc(nr_dominfo ? nr_dominfo : 1, sizeof(*stats));
    types = xcalloc(nr_dominfo ? nr_dominfo : 1, sizeof(*types));
    for (i = 0; i < nr_dominfo; i++) {
        rc = carrefour_collect(dominfo[i].domid, &stats[nr]);
        if (rc == ERROR_DOMAIN_NOTFOUND && optind == argc)
            continue;           /* went away while we were listing */
        if (rc) {
            d.arg = optind < argc ? argv[optind] : "";
            d.domid = dominfo[i].domid;
            d.type = dominfo[i].domain_type;
            carrefour_explain(&d, "info", rc);
            goto out;
        }
        types[nr] = dominfo[i].domain_type;
        nr++;
    }

    if (json) {
        ret = carrefour_print_json(stats, nr);
        goto out;
    }

    carrefour_print_xen(stats, nr);
    carrefour_print_header();
    for (i = 0; i < nr; i++)
        carrefour_print_row(&stats[i].info, types[i]);
    if (optind < argc && nr == 1 && stats[0].info.enabled)
        carrefour_print_details(&stats[0]);

    ret = EXIT_SUCCESS;
 out:
    for (i = 0; i < nr; i++)
        libxl_carrefour_stats_dispose(&stats[i]);
    free(stats);
    free(types);
    if (optind < argc) {
        libxl_dominfo_dispose(&dominfo[0]);
        free(dominfo);
    } else if (dominfo) {
        libxl_dominfo_list_free(dominfo, nr_dominfo);
    }
    return ret;
}

/*
 * Parses "name=value" into *param after checking the name and the range
 * against libxl's table; says what is wrong in one line.
 */
static int carrefour_parse_assignment(
    const char *arg, const libxl_carrefour_param_info *pinfo, int nr_pinfo,
    libxl_carrefour_param *param)
{
    const libxl_carrefour_param_info *pi = NULL;
    const char *eq = strchr(arg, '=');
    unsigned long long value;
    char *name, *end;
    int i;

    if (!eq || eq == arg) {
        fprintf(stderr, "carrefour: '%s': expected <param>=<value>\n", arg);
        return ERROR_INVAL;
    }

    name = xstrdup(arg);
    name[eq - arg] = '\0';
    for (i = 0; i < nr_pinfo; i++)
        if (!strcmp(pinfo[i].name, name))
            pi = &pinfo[i];
    if (!pi) {
        fprintf(stderr, "carrefour: unknown parameter '%s' "
                "(xl carrefour-set -h lists them)\n", name);
        free(name);
        return ERROR_INVAL;
    }

    errno = 0;
    value = strtoull(eq + 1, &end, 0);
    if (!eq[1] || *end || errno || eq[1] == '-') {
        fprintf(stderr, "carrefour: %s: not a number\n", arg);
        free(name);
        return ERROR_INVAL;
    }
    if (value < pi->min || value > pi->max) {
        fprintf(stderr, "carrefour: %s: out of range (%"PRIu64"..%"PRIu64
                " %s)\n", arg, pi->min, pi->max, pi->unit);
        free(name);
        return ERROR_INVAL;
    }

    param->name = name;
    param->value = value;
    return 0;
}

int main_carrefour_set(int argc, char **argv)
{
    libxl_carrefour_param params[LIBXL_CARREFOUR_MAX_SET_PARAMS];
    libxl_carrefour_param_info *pinfo = NULL;
    struct carrefour_domain d;
    int opt, i, j, nr = 0, nr_pinfo = 0, rc, ret = EXIT_FAILURE;

    SWITCH_FOREACH_OPT(opt, "", NULL, "carrefour-set", 2) {
        /* No options */
    }

    for (i = 0; i < LIBXL_CARREFOUR_MAX_SET_PARAMS; i++)
        libxl_carrefour_param_init(&params[i]);

    if (carrefour_find_domain(argv[optind], &d))
        goto out;

    if (argc - optind - 1 > LIBXL_CARREFOUR_MAX_SET_PARAMS) {
        fprintf(stderr, "carrefour: at most %d parameters at once "
                "(%d given): Xen sets them all or none in one call\n",
                LIBXL_CARREFOUR_MAX_SET_PARAMS, argc - optind - 1);
        goto out;
    }

    rc = libxl_carrefour_param_info_list(ctx, &pinfo, &nr_pinfo);
    if (rc) {
        fprintf(stderr, "carrefour: cannot list the parameters\n");
        goto out;
    }

    for (i = optind + 1; i < argc; i++) {
        rc = carrefour_parse_assignment(argv[i], pinfo, nr_pinfo,
                                        &params[nr]);
        if (rc) goto out;
        for (j = 0; j < nr; j++) {
            if (!strcmp(params[j].name, params[nr].name)) {
                fprintf(stderr, "carrefour: %s given twice\n",
                        params[nr].name);
                nr++;
                goto out;
            }
        }
        nr++;
    }

    rc = libxl_carrefour_set_params(ctx, d.domid, params, nr);
    if (rc == ERROR_INVAL) {
        /* Passed libxl's checks, refused by Xen: its ranges differ. */
        fprintf(stderr, "carrefour: Xen refused");
        for (i = 0; i < nr; i++)
            fprintf(stderr, " %s=%"PRIu64, params[i].name, params[i].value);
        fprintf(stderr, ": a value is out of its range\n");
        goto out;
    }
    if (rc) {
        if (carrefour_explain(&d, "set", rc))
            goto out;
        for (i = 0; i < nr; i++) {
            if (!strcmp(params[i].name, "replication") && params[i].value) {
                fprintf(stderr, "carrefour: replication=%"PRIu64": "
                        "this Xen cannot replicate pages\n",
                        params[i].value);
                goto out;
            }
        }
        fprintf(stderr, "carrefour: Xen refused the parameters "
                "(not supported)\n");
        goto out;
    }

    ret = EXIT_SUCCESS;
 out:
    for (i = 0; i < LIBXL_CARREFOUR_MAX_SET_PARAMS; i++)
        libxl_carrefour_param_dispose(&params[i]);
    libxl_carrefour_param_info_list_free(pinfo, nr_pinfo);
    return ret;
}

/*
 * Local variables:
 * mode: C
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
