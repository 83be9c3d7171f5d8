/*
 * plan.c -- which rules a scan or an evaluation runs, decided once.
 *
 * The registry says what each rule is (per object, over the object set, a
 * Pod Security level, which baseline check a restricted check replaces);
 * the configuration says which rules are enabled; the level and policy
 * version come from the configuration or the caller. The plan turns these
 * into three short lists (object rules, envelope rules, set rules) and the
 * kinds the set rules need kept, so the engine loops over lists and never
 * names a rule.
 */
#include <stdlib.h>
#include <string.h>

#include "scan/plan.h"

/* The baseline rules that an enabled restricted rule replaces at this
 * level and version: upstream evaluates the restricted check *instead of*
 * the baseline one (OverrideCheckIDs), so the baseline finding must not
 * appear. Few rules override anything, so a short list does. */
#define MAX_OVERRIDDEN 16

static size_t overridden_ids(const kh_config *cfg, kh_pss_level level, int minor,
                             const char **ids)
{
    size_t n, count = 0;
    const kh_rule_def *table = kh_rules__table(&n);
    if (level != KH_PSS_RESTRICTED)
        return 0;
    for (size_t i = 0; i < n && count < MAX_OVERRIDDEN; i++)
        if (table[i].overrides && minor >= table[i].overrides_since &&
            kh_config__enabled(cfg, i))
            ids[count++] = table[i].overrides;
    return count;
}

static bool is_listed(const char *id, const char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

static kh_keep_kind *find_kind(kh_rule_plan *p, const char *kind)
{
    for (size_t i = 0; i < p->nkinds; i++)
        if (strcmp(p->keep[i].kind, kind) == 0)
            return &p->keep[i];
    return NULL;
}

/* Add what @p def reads of @p kind to the plan: the union of the fields of
 * every set rule that needs the kind, or the whole object when one of them
 * reads it all (or the field table is full). */
static bool keep_kind(kh_rule_plan *p, const kh_rule_def *def, const char *kind)
{
    kh_keep_kind *k = find_kind(p, kind);
    if (!k) {
        if (!p->keep && !(p->keep = calloc(KH_PLAN_MAX_KINDS, sizeof(*p->keep))))
            return false;
        if (p->nkinds == KH_PLAN_MAX_KINDS)
            return true;
        k = &p->keep[p->nkinds++];
        k->kind = kind;
    }
    if (!def->fields) {
        k->whole = true;
        return true;
    }
    for (const char *const *fp = def->fields; *fp && !k->whole; fp++) {
        /* "Kind:path" is read of that kind only (a NetworkPolicy's spec,
         * not a Pod's); a plain path of every kind the rule names. */
        const char *f = *fp, *colon = strchr(f, ':');
        if (colon) {
            size_t n = (size_t)(colon - f);
            if (strncmp(f, kind, n) != 0 || kind[n] != '\0')
                continue;
            f = colon + 1;
        }
        bool have = false;
        for (size_t i = 0; i < k->nfields && !have; i++)
            have = strcmp(k->fields[i], f) == 0;
        if (have)
            continue;
        if (k->nfields == KH_PLAN_MAX_FIELDS)
            k->whole = true;
        else
            k->fields[k->nfields++] = f;
    }
    return true;
}

int kh_plan__build(kh_rule_plan *p, const kh_config *cfg, kh_pss_level level, int minor)
{
    size_t n;
    const kh_rule_def *table = kh_rules__table(&n);
    memset(p, 0, sizeof(*p));
    p->level = level;
    p->minor = minor;
    /* One allocation for the three lists; each holds at most n rules. */
    p->object_rules = calloc(3 * n + 1, sizeof(*p->object_rules));
    if (!p->object_rules)
        return KH_ENOMEM;
    p->envelope_rules = p->object_rules + n;
    p->set_rules = p->object_rules + 2 * n;
    const char *overridden[MAX_OVERRIDDEN];
    size_t noverridden = overridden_ids(cfg, level, minor, overridden);
    for (size_t i = 0; i < n; i++) {
        const kh_rule_def *def = &table[i];
        if (def->check_event) /* audit-event rules run in the watcher only */
            continue;
        if (!kh_config__enabled(cfg, i) || def->pss_level > level ||
            (def->pss_level == KH_PSS_BASELINE &&
             is_listed(def->info.id, overridden, noverridden)))
            continue;
        if (def->check_set) {
            p->set_rules[p->nset++] = def;
            for (const char *const *k = def->kinds; k && *k; k++)
                if (!keep_kind(p, def, *k)) {
                    kh_plan__free(p);
                    return KH_ENOMEM;
                }
            continue;
        }
        p->object_rules[p->nobject++] = def;
        if (def->flags & KH_RULE_SEES_ENVELOPE)
            p->envelope_rules[p->nenvelope++] = def;
    }
    return KH_OK;
}

int kh_plan__keep_only(kh_rule_plan *p, const char *const *kinds)
{
    static const kh_rule_def whole = {.info = {.id = "keep"}};
    p->nobject = p->nenvelope = p->nset = 0;
    p->nkinds = 0;
    p->keep_every_kind = !kinds;
    if (!p->keep && !(p->keep = calloc(KH_PLAN_MAX_KINDS, sizeof(*p->keep))))
        return KH_ENOMEM;
    memset(p->keep, 0, KH_PLAN_MAX_KINDS * sizeof(*p->keep));
    for (const char *const *k = kinds; k && *k; k++)
        if (!keep_kind(p, &whole, *k))
            return KH_ENOMEM;
    return KH_OK;
}

const kh_keep_kind *kh_plan__keeps(const kh_rule_plan *p, const char *kind)
{
    static const kh_keep_kind every = {.kind = "*", .whole = true};
    if (!kind)
        return NULL;
    return p->keep_every_kind ? &every : find_kind((kh_rule_plan *)p, kind);
}

void kh_plan__free(kh_rule_plan *p)
{
    free(p->object_rules);
    free(p->keep);
    memset(p, 0, sizeof(*p));
}
