/*
 * cluster.c -- objects read from files and kept whole for an analysis.
 *
 * A kh_cluster is a scanner whose plan runs no rule and keeps every object
 * of the kinds asked for (kh_scanner__keep_only) or what an area's set
 * rules read (kh_scanner__run_no_rule), so the loader, the
 * envelopes and the error reporting are the scan's own. The analyses read
 * the kept set through cluster.h and build their models in the cluster's
 * arena, which lives as long as the cluster.
 */
#include <stdlib.h>

#include "scan/cluster.h"
#include "scan/scanner.h"

struct kh_cluster {
    kh_scanner *scanner;
    kh_config *cfg;              /* kh_cluster_new_area: the area's rules */
    kh_finding_cb on_error;
    void *ud;
    size_t errors;
    kh_arena models;
};

static int on_finding(const kh_finding *f, void *ud)
{
    kh_cluster *c = ud;
    if (f->is_error)
        c->errors++;
    return c->on_error ? c->on_error(f, c->ud) : 0;
}

static kh_cluster *cluster_alloc(kh_finding_cb on_error, void *ud)
{
    kh_cluster *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->on_error = on_error;
    c->ud = ud;
    kh_arena_init(&c->models, 256 * 1024);
    return c;
}

int kh_cluster_new(kh_cluster **out, const char *const *kinds, kh_finding_cb on_error,
                   void *ud, kh_error *err)
{
    kh_cluster *c = cluster_alloc(on_error, ud);
    if (!c)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    int rc = kh_scanner_new(&c->scanner, NULL, on_finding, c, err);
    if (rc == KH_OK && kh_scanner__keep_only(c->scanner, kinds) != KH_OK)
        rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    if (rc) {
        kh_cluster_free(c);
        return rc;
    }
    *out = c;
    return KH_OK;
}

int kh_cluster_new_area(kh_cluster **out, kh_area area, kh_finding_cb on_error, void *ud,
                        kh_error *err)
{
    kh_cluster *c = cluster_alloc(on_error, ud);
    if (!c)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    int rc = kh_config_new(&c->cfg, err);
    if (rc == KH_OK)
        rc = kh_config_only_area(c->cfg, area, err);
    if (rc == KH_OK)
        rc = kh_scanner_new(&c->scanner, c->cfg, on_finding, c, err);
    if (rc == KH_OK && !kh_scanner__objects(c->scanner))
        rc = kh_error_set(err, KH_ENOTFOUND, NULL, 0, 0,
                          "no rule of area '%s' reads the object set", kh_area_name(area));
    if (rc) {
        kh_cluster_free(c);
        return rc;
    }
    kh_scanner__run_no_rule(c->scanner);
    *out = c;
    return KH_OK;
}

int kh_cluster_load_path(kh_cluster *c, const char *path, kh_error *err)
{
    return kh_scan_path(c->scanner, path, err);
}

int kh_cluster_load_buffer(kh_cluster *c, const char *buf, size_t len, const char *name,
                           kh_error *err)
{
    return kh_scan_buffer(c->scanner, buf, len, name, err);
}

const kh_objset *kh_cluster__objects(const kh_cluster *c)
{
    return kh_scanner__objects(c->scanner);
}

int kh_cluster__share_kept(kh_cluster *c)
{
    return kh_scanner__share_kept(c->scanner);
}

kh_arena *kh_cluster__arena(kh_cluster *c)
{
    return &c->models;
}

size_t kh_cluster_count(const kh_cluster *c)
{
    return kh_objset_count(kh_cluster__objects(c));
}

size_t kh_cluster_errors(const kh_cluster *c)
{
    return c->errors;
}

void kh_cluster_free(kh_cluster *c)
{
    if (!c)
        return;
    kh_scanner_free(c->scanner);
    kh_config_free(c->cfg);
    kh_arena_free(&c->models);
    free(c);
}
