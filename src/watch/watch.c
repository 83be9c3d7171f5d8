/*
 * watch.c -- the audit-event engine of `kubeharden watch`.
 *
 * Each line is parsed with the document loader into a per-event arena,
 * unwrapped (an EventList gives its items), decoded once into a
 * kh_audit_event and handed to every enabled audit.* rule whose exceptions
 * do not match. Alerts pass through dedup: per rule and subject at most
 * `burst` alerts per window go out, the rest are counted and the count
 * rides on the next alert (or on a summary at flush). Windows and dedup use
 * the events' own timestamps, so a replayed log gives the same alerts.
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeharden/watch.h"
#include "rules/rules.h"
#include "scan/config.h"
#include "scan/scanner.h"
#include "watch/internal.h"
#include "watch/respond.h"

/* --------------------------------------------------------- the key maps */

#define MAP_MAX (1u << 20) /* keys held before everything is flushed and cleared */

typedef struct slot {
    uint64_t h;
    char *key;
    void *val;
} slot;

typedef struct keymap {
    slot *slots;
    size_t cap, n;
} keymap;

static uint64_t fnv(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return h * 0x100000001b3ull; /* the NUL too, so fields cannot run into each other */
}

#define FNV0 0xcbf29ce484222325ull

static void keymap_clear(keymap *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) {
            free(m->slots[i].key);
            free_val(m->slots[i].val);
        }
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* The value slot for @p key, inserted (val NULL) when absent; NULL when out of memory. */
static slot *keymap_get(keymap *m, const char *key)
{
    if (m->n * 2 >= m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        slot *s = calloc(cap, sizeof(*s));
        if (!s)
            return NULL;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key) {
                size_t j = m->slots[i].h & (cap - 1);
                while (s[j].key)
                    j = (j + 1) & (cap - 1);
                s[j] = m->slots[i];
            }
        free(m->slots);
        m->slots = s;
        m->cap = cap;
    }
    uint64_t h = fnv(FNV0, key);
    size_t j = h & (m->cap - 1);
    while (m->slots[j].key) {
        if (m->slots[j].h == h && strcmp(m->slots[j].key, key) == 0)
            return &m->slots[j];
        j = (j + 1) & (m->cap - 1);
    }
    if (!(m->slots[j].key = strdup(key)))
        return NULL;
    m->slots[j].h = h;
    m->slots[j].val = NULL;
    m->n++;
    return &m->slots[j];
}

/* ------------------------------------------------------------- state */

typedef struct window {
    long cap, n, head;           /* ring of the last cap timestamps */
    int64_t t[];
} window;

/* A held (folded) alert: enough to send it at flush. */
typedef struct saved {
    char *rule_id, *subject, *message, *file, *audit_id, *stage, *timestamp, *verb, *uri;
    char *user, *agent, *imp, *resource, *sub, *ns, *name, *group, *ip;
    unsigned line, col;
    int code;
    kh_severity severity;
} saved;

typedef struct dedup {
    int64_t start;
    long emitted;
    unsigned long folded;
    saved last;
} dedup;

static void free_saved(saved *s)
{
    char **f[] = {&s->rule_id, &s->subject, &s->message, &s->file, &s->audit_id, &s->stage,
                  &s->timestamp, &s->verb, &s->uri, &s->user, &s->agent, &s->imp,
                  &s->resource, &s->sub, &s->ns, &s->name, &s->group, &s->ip};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
}

static void free_dedup(void *p)
{
    if (p)
        free_saved(&((dedup *)p)->last);
    free(p);
}

typedef struct watch_rule {
    const kh_rule_def *def;
    kh_severity severity;
    const kh_watch_rule_cfg *cfg;
} watch_rule;

struct kh_watch {
    const kh_config *cfg;
    kh_config *own_cfg;          /* when none was given */
    kh_config *pss_cfg;          /* the three baseline checks audit.privileged-pod reuses */
    const kh_watch_policy *pol;
    kh_watch_policy defaults;
    watch_rule *rules;
    size_t nrules;
    kh_alert_cb cb;
    void *ud;
    kh_finding_cb on_error;
    void *err_ud;
    kh_arena arena;              /* one event's tree and messages */
    keymap windows, dedups;
    kh_watch_stats stats;
    kh_watch_obs *obs;           /* what /metrics reads (metrics.c) */
    int stopped;
    void (*idle)(void *ud);
    void *idle_ud;
    kh_respond *respond;         /* response actions (respond.c), or NULL */
};

struct kh_audit_ctx {
    kh_watch *w;
    const watch_rule *rule;
    const kh_audit_event *ev;
};

/* ----------------------------------------------------------- helpers */

bool kh_audit__system_user(const char *user)
{
    if (strncmp(user, "system:serviceaccount:", 22) == 0)
        return strncmp(user + 22, "kube-system:", 12) == 0;
    return strncmp(user, "system:", 7) == 0 && strcmp(user, "system:anonymous") != 0;
}

bool kh_audit__succeeded(const kh_audit_event *ev)
{
    return (ev->code >= 200 && ev->code < 300) || ev->code == 101;
}

bool kh_audit__in(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

bool kh_audit__write(const char *verb)
{
    static const char *const writes[] = {"create", "update", "patch", "delete",
                                         "deletecollection", NULL};
    return kh_audit__in(verb, writes);
}

const kh_watch_policy *kh_audit__policy(const kh_audit_ctx *ctx)
{
    return ctx->w->pol;
}

kh_arena *kh_audit__arena(kh_audit_ctx *ctx)
{
    return &ctx->w->arena;
}

static const char *str_at(const kh_node *map, const char *key)
{
    const char *s = kh_node_str(kh_node_get(map, key));
    return s ? s : "";
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no time zone or libc state is involved. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* RFC 3339 with optional fraction ("2026-11-30T15:06:47.123456Z", or an
 * offset) in microseconds since the epoch; 0 when unreadable. Read by hand:
 * every event has one and sscanf was a visible share of the time. */
static int64_t parse_time(const char *s)
{
    if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return 0;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || sec < 0 || sec > 60)
        return 0;
    int64_t us = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 + mi) * 60 + sec;
    us *= 1000000;
    const char *p = s + 19;
    if (*p == '.') {
        int64_t scale = 1000000;
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (scale > 1) {
                scale /= 10;
                us += (*p - '0') * scale;
            }
    }
    int oh, om;
    if ((*p == '+' || *p == '-') && (oh = digits(p + 1, 2)) >= 0 && p[3] == ':' &&
        (om = digits(p + 4, 2)) >= 0)
        us -= (*p == '+' ? 1 : -1) * ((int64_t)oh * 3600 + om * 60) * 1000000;
    return us;
}

static bool glob_any(const char *const *globs, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (fnmatch(globs[i], s, 0) == 0)
            return true;
    return false;
}

static bool excepted(const kh_watch_except *x, const kh_audit_event *ev)
{
    if (!x)
        return false;
    if (glob_any(x->users, x->nusers, ev->user) ||
        glob_any(x->namespaces, x->nnamespaces, ev->namespace_) ||
        glob_any(x->user_agents, x->nuser_agents, ev->user_agent))
        return true;
    for (size_t i = 0; x->ngroups && kh_node_is_seq(ev->groups) && i < ev->groups->len; i++) {
        const char *g = kh_node_str(kh_node_at(ev->groups, i));
        if (g && glob_any(x->groups, x->ngroups, g))
            return true;
    }
    return false;
}

/* ------------------------------------------------------------ windows */

bool kh_audit__burst(kh_audit_ctx *ctx, const char *subject, long def_threshold,
                     long def_window_s, long *count)
{
    const kh_watch_rule_cfg *rc = ctx->rule->cfg;
    long threshold = rc && rc->threshold > 0 ? rc->threshold : def_threshold;
    long window_s = rc && rc->window_s > 0 ? rc->window_s : def_window_s;
    if (!subject)
        subject = kh_arena_printf(&ctx->w->arena, "user %s", ctx->ev->user);
    char *key = subject ? kh_arena_printf(&ctx->w->arena, "%s\n%s", ctx->rule->def->info.id,
                                          subject)
                        : NULL;
    if (!key)
        return false;
    if (ctx->w->windows.n >= MAP_MAX)
        keymap_clear(&ctx->w->windows, free);
    slot *s = keymap_get(&ctx->w->windows, key);
    if (!s)
        return false;
    window *win = s->val;
    if (!win) {
        if (!(win = calloc(1, sizeof(*win) + (size_t)threshold * sizeof(int64_t))))
            return false;
        win->cap = threshold;
        s->val = win;
    }
    int64_t t = ctx->ev->t_us;
    /* head is the oldest of the n kept; a full ring drops it. */
    if (win->n == win->cap) {
        win->t[win->head] = t;
        win->head = (win->head + 1) % win->cap;
    } else {
        win->t[(win->head + win->n) % win->cap] = t;
        win->n++;
    }
    if (win->n == win->cap && t - win->t[win->head] <= (int64_t)window_s * 1000000) {
        *count = win->n;
        win->n = 0; /* start over: the next alert needs a new full burst */
        win->head = 0;
        return true;
    }
    return false;
}

/* -------------------------------------------------------------- alerts */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int deliver(kh_watch *w, kh_alert *a)
{
    char id[17];
    uint64_t h = fnv(fnv(fnv(FNV0, a->rule_id), a->subject ? a->subject : ""),
                     a->audit_id ? a->audit_id : "");
    if (a->count > 1)
        h = fnv(h, "folded");
    snprintf(id, sizeof(id), "%016llx", (unsigned long long)h);
    a->id = id;
    w->stats.alerts++;
    kh_watch__obs_alert(w->obs, a);
    if (w->cb && w->cb(a, w->ud) != 0)
        w->stopped = 1;
    return 0;
}

static void save(saved *s, const kh_alert *a)
{
    free_saved(s);
    s->rule_id = dup_or_null(a->rule_id);
    s->subject = dup_or_null(a->subject);
    s->message = dup_or_null(a->message);
    s->file = dup_or_null(a->file);
    s->audit_id = dup_or_null(a->audit_id);
    s->stage = dup_or_null(a->stage);
    s->timestamp = dup_or_null(a->timestamp);
    s->verb = dup_or_null(a->verb);
    s->uri = dup_or_null(a->request_uri);
    s->user = dup_or_null(a->user);
    s->agent = dup_or_null(a->user_agent);
    s->imp = dup_or_null(a->impersonated_user);
    s->resource = dup_or_null(a->resource);
    s->sub = dup_or_null(a->subresource);
    s->ns = dup_or_null(a->namespace_);
    s->name = dup_or_null(a->name);
    s->group = dup_or_null(a->api_group);
    s->ip = dup_or_null(a->nsource_ips ? a->source_ips[0] : NULL);
    s->line = a->line;
    s->col = a->col;
    s->code = a->code;
    s->severity = a->severity;
}

static void send_saved(kh_watch *w, const saved *s, unsigned long count)
{
    const kh_rule_def *def = kh_rules__find(s->rule_id);
    const char *ips[1] = {s->ip};
    kh_alert a = {.rule_id = s->rule_id, .severity = s->severity, .title = def->info.title,
                  .why = def->info.why, .fix = def->info.fix, .message = s->message,
                  .count = count, .subject = s->subject, .file = s->file, .line = s->line,
                  .col = s->col, .audit_id = s->audit_id, .stage = s->stage,
                  .timestamp = s->timestamp, .verb = s->verb, .request_uri = s->uri,
                  .user = s->user, .user_agent = s->agent, .impersonated_user = s->imp,
                  .source_ips = s->ip ? ips : NULL, .nsource_ips = s->ip ? 1 : 0,
                  .resource = s->resource, .subresource = s->sub, .namespace_ = s->ns,
                  .name = s->name, .api_group = s->group, .code = s->code};
    deliver(w, &a);
}

int kh_watch_flush(kh_watch *w)
{
    kh_respond__drain(w->respond, KH_RESPOND_DRAIN_FLUSH);
    for (size_t i = 0; i < w->dedups.cap; i++) {
        dedup *d = w->dedups.slots[i].val;
        if (d && d->folded) {
            send_saved(w, &d->last, d->folded);
            d->folded = 0;
            d->emitted = 0;
            d->start = INT64_MIN / 2; /* the next alert opens a new window */
        }
    }
    return 0;
}

/* Pass @p a through dedup: send it (with the count folded since the last
 * one) or fold it. */
static void dedup_alert(kh_watch *w, kh_alert *a, int64_t t)
{
    long window_s = w->pol->dedup_window_s;
    if (window_s <= 0) {
        deliver(w, a);
        return;
    }
    if (w->dedups.n >= MAP_MAX) {
        kh_watch_flush(w);
        keymap_clear(&w->dedups, free_dedup);
    }
    char key[1024];
    snprintf(key, sizeof(key), "%s\n%s", a->rule_id, a->subject);
    slot *s = keymap_get(&w->dedups, key);
    if (!s) {
        deliver(w, a);
        return;
    }
    dedup *d = s->val;
    if (!d) {
        if (!(d = calloc(1, sizeof(*d)))) {
            deliver(w, a);
            return;
        }
        d->start = INT64_MIN / 2;
        s->val = d;
    }
    if (t - d->start >= (int64_t)window_s * 1000000) {
        a->count += d->folded;
        d->folded = 0;
        d->start = t;
        d->emitted = 1;
        deliver(w, a);
    } else if (d->emitted < w->pol->dedup_burst) {
        d->emitted++;
        deliver(w, a);
    } else {
        d->folded += a->count;
        w->stats.folded++;
        kh_watch__obs_folded(w->obs);
        save(&d->last, a);
    }
}

void kh_audit__alert(kh_audit_ctx *ctx, const char *subject, const char *fmt, ...)
{
    kh_watch *w = ctx->w;
    const kh_audit_event *ev = ctx->ev;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!subject)
        subject = kh_arena_printf(&w->arena, "user %s", ev->user);
    const char *groups[64], *ips[64];
    size_t ng = 0, ni = 0;
    for (size_t i = 0; kh_node_is_seq(ev->groups) && i < ev->groups->len && ng < 64; i++)
        if (kh_node_str(kh_node_at(ev->groups, i)))
            groups[ng++] = kh_node_str(kh_node_at(ev->groups, i));
    for (size_t i = 0; kh_node_is_seq(ev->source_ips) && i < ev->source_ips->len && ni < 64; i++)
        if (kh_node_str(kh_node_at(ev->source_ips, i)))
            ips[ni++] = kh_node_str(kh_node_at(ev->source_ips, i));
    const kh_rule_info *info = &ctx->rule->def->info;
    kh_alert a = {.rule_id = info->id, .severity = ctx->rule->severity, .title = info->title,
                  .why = info->why, .fix = info->fix, .message = msg, .count = 1,
                  .subject = subject ? subject : "", .file = ev->file, .line = ev->line,
                  .col = ev->col, .audit_id = ev->audit_id, .stage = ev->stage,
                  .timestamp = ev->timestamp, .verb = ev->verb,
                  .request_uri = ev->request_uri, .user = ev->user,
                  .user_agent = ev->user_agent, .impersonated_user = ev->impersonated_user,
                  .groups = groups, .ngroups = ng, .source_ips = ips, .nsource_ips = ni,
                  .resource = ev->resource, .subresource = ev->subresource,
                  .namespace_ = ev->namespace_, .name = ev->name, .api_group = ev->api_group,
                  .code = ev->code};
    dedup_alert(w, &a, ev->t_us);
    if (w->respond && ctx->rule->cfg && ctx->rule->cfg->nactions)
        kh_respond__detected(w->respond, ctx->rule->cfg, &a, ev);
}

/* ------------------------------------------------- Pod Security reuse */

typedef struct violations {
    kh_arena *arena;
    const char *text;
} violations;

static int collect_violation(const kh_finding *f, void *ud)
{
    violations *v = ud;
    if (f->is_error || !f->message)
        return 0;
    v->text = v->text ? kh_arena_printf(v->arena, "%s; %s", v->text, f->message)
                      : kh_arena_strdup(v->arena, f->message);
    return 0;
}

const char *kh_audit__pod_violations(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    violations v = {&ctx->w->arena, NULL};
    if (!ctx->w->pss_cfg || !ev->request_object)
        return NULL;
    kh_evaluate__node(ctx->w->pss_cfg, KH_PSS_BASELINE, NULL, ev->request_object, ev->file,
                      collect_violation, &v, NULL, NULL);
    return v.text;
}

/* --------------------------------------------------------- the engine */

/* The event's top-level fields that decode reads, found in one pass over
 * its keys: a kh_node_get each scanned them all, a tenth of the watcher's
 * time. The first of equal keys is taken, as kh_node_get takes it. */
enum { F_AUDIT_ID, F_STAGE, F_VERB, F_URI, F_USER, F_IMPERSONATED, F_IPS, F_AGENT, F_REF,
       F_STATUS, F_ANNOTATIONS, F_OBJECT, F_STAGE_TS, F_RECEIVED_TS, F_COUNT };

static void top_fields(const kh_node *root, const kh_node *f[F_COUNT])
{
#define KEY(s) {s, sizeof(s) - 1}
    static const struct {
        const char *key;
        uint32_t len;
    } keys[F_COUNT] = {
        KEY("auditID"), KEY("stage"), KEY("verb"), KEY("requestURI"), KEY("user"),
        KEY("impersonatedUser"), KEY("sourceIPs"), KEY("userAgent"), KEY("objectRef"),
        KEY("responseStatus"), KEY("annotations"), KEY("requestObject"),
        KEY("stageTimestamp"), KEY("requestReceivedTimestamp"),
    };
#undef KEY
    for (size_t i = 0; i < F_COUNT; i++)
        f[i] = NULL;
    for (uint32_t i = 0; kh_node_is_map(root) && i < root->len; i++) {
        const kh_node *k = root->u.pairs[i].key;
        for (size_t j = 0; j < F_COUNT && k->type < KH_NODE_MAP; j++)
            if (k->len == keys[j].len && k->u.text[0] == keys[j].key[0] &&
                memcmp(k->u.text, keys[j].key, k->len) == 0) {
                if (!f[j])
                    f[j] = root->u.pairs[i].value;
                break;
            }
    }
}

static const char *str_of(const kh_node *n)
{
    const char *s = kh_node_str(n);
    return s ? s : "";
}

static void decode(kh_audit_event *ev, const kh_node *root, const char *file, unsigned line)
{
    const kh_node *f[F_COUNT];
    top_fields(root, f);
    memset(ev, 0, sizeof(*ev));
    ev->root = root;
    ev->file = file;
    ev->line = line;
    ev->col = root->col;
    ev->audit_id = str_of(f[F_AUDIT_ID]);
    ev->stage = str_of(f[F_STAGE]);
    ev->verb = str_of(f[F_VERB]);
    ev->request_uri = str_of(f[F_URI]);
    ev->user = str_at(f[F_USER], "username");
    ev->groups = kh_node_get(f[F_USER], "groups");
    ev->impersonated_user = str_at(f[F_IMPERSONATED], "username");
    ev->source_ips = f[F_IPS];
    ev->user_agent = str_of(f[F_AGENT]);
    const kh_node *ref = f[F_REF];
    ev->resource = str_at(ref, "resource");
    ev->subresource = str_at(ref, "subresource");
    ev->namespace_ = str_at(ref, "namespace");
    ev->name = str_at(ref, "name");
    ev->api_group = str_at(ref, "apiGroup");
    int64_t code = 0;
    if (kh_node_int(kh_node_get(f[F_STATUS], "code"), &code))
        ev->code = (int)code;
    ev->decision = str_at(f[F_ANNOTATIONS], "authorization.k8s.io/decision");
    const kh_node *obj = f[F_OBJECT];
    if (kh_node_is_map(obj) && kh_node_str(kh_node_get(obj, "kind")))
        ev->request_object = obj;
    ev->timestamp = str_of(f[F_STAGE_TS]);
    if (!*ev->timestamp)
        ev->timestamp = str_of(f[F_RECEIVED_TS]);
    ev->t_us = parse_time(ev->timestamp);
}

/* Is this the event that closes its request? The API server logs up to
 * four stages per request; rules judge the last so each request counts
 * once: ResponseComplete, Panic, and the ResponseStarted event that a
 * failed authentication writes alone (no ResponseComplete follows it). An
 * event with no stage is judged. */
static bool final_stage(const kh_audit_event *ev)
{
    return !*ev->stage || strcmp(ev->stage, "ResponseComplete") == 0 ||
           strcmp(ev->stage, "Panic") == 0 ||
           (strcmp(ev->stage, "ResponseStarted") == 0 && ev->code == 401);
}

static void judge(kh_watch *w, const kh_node *root, const char *file, unsigned line)
{
    kh_audit_event ev;
    decode(&ev, root, file, line);
    w->stats.events++;
    kh_watch__obs_event(w->obs, ev.t_us);
    if (!final_stage(&ev) || excepted(&w->pol->except, &ev))
        return;
    for (size_t i = 0; i < w->nrules && !w->stopped; i++) {
        const watch_rule *r = &w->rules[i];
        if (r->cfg && excepted(&r->cfg->except, &ev))
            continue;
        kh_audit_ctx ctx = {w, r, &ev};
        r->def->check_event(&ctx, &ev);
    }
}

static int line_error(kh_watch *w, kh_error *err, int rc, const char *file, unsigned line,
                      unsigned col, const char *msg)
{
    w->stats.errors++;
    kh_watch__obs_error(w->obs);
    kh_error_set(err, (kh_code)rc, file, line, col, "%s", msg);
    if (w->on_error) {
        kh_finding f = {.rule_id = "error", .is_error = 1, .file = file, .line = line,
                        .col = col, .message = msg, .path = ""};
        if (w->on_error(&f, w->err_ud) != 0)
            w->stopped = 1;
    }
    return rc;
}

/* A log line may hold a CR, which the loader counts as a line break: its
 * line:col within the line becomes a column of the log's line (code points
 * from the line's start). */
static unsigned line_col(const char *text, size_t len, unsigned pline, unsigned pcol)
{
    unsigned cps = 0;
    size_t i = 0;
    for (unsigned l = 1; l < pline && i < len; i++) {
        if ((text[i] & 0xc0) != 0x80)
            cps++;
        if (text[i] == '\r' && !(i + 1 < len && text[i + 1] == '\n'))
            l++;
        else if (text[i] == '\n')
            l++;
    }
    return pline ? cps + pcol : pcol;
}

static bool is_audit(const kh_node *root, const char *kind)
{
    const char *k = kh_node_str(kh_node_get(root, "kind"));
    const char *v = kh_node_str(kh_node_get(root, "apiVersion"));
    return k && v && strcmp(k, kind) == 0 && strncmp(v, "audit.k8s.io/", 13) == 0;
}

int kh_watch_line(kh_watch *w, const char *text, size_t len, const char *file, unsigned line,
                  kh_error *err)
{
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    w->stats.lines++;
    w->stats.bytes += len;
    kh_respond__drain(w->respond, KH_RESPOND_DRAIN_DONE);
    if (i == len)
        return 0;
    kh_arena_reset(&w->arena);
    const kh_node *root = NULL;
    kh_error perr = {0};
    int rc = kh_doc_load_json(&root, &w->arena, text, len, file, &perr);
    if (rc == KH_ENOMEM)
        return kh_error_set(err, KH_ENOMEM, file, line, 0, "out of memory");
    if (rc)
        return line_error(w, err, rc, file, line, line_col(text, len, perr.line, perr.col),
                          perr.message);
    if (is_audit(root, "Event")) {
        judge(w, root, file, line);
    } else if (is_audit(root, "EventList")) {
        const kh_node *items = kh_node_get(root, "items");
        if (!kh_node_is_null(items) && !kh_node_is_seq(items))
            return line_error(w, err, KH_EINVALID, file, line, items->col,
                              "'items' of an EventList must be a sequence");
        for (size_t k = 0; kh_node_is_seq(items) && k < items->len && !w->stopped; k++) {
            const kh_node *ev = kh_node_at(items, k);
            if (!kh_node_is_map(ev))
                return line_error(w, err, KH_EINVALID, file, line, ev->col,
                                  "an audit event must be a mapping");
            judge(w, ev, file, line);
        }
    } else {
        const char *kind = kh_node_str(kh_node_get(root, "kind"));
        char msg[200];
        snprintf(msg, sizeof(msg), "not an audit.k8s.io Event or EventList (kind '%.100s')",
                 kind ? kind : "");
        return line_error(w, err, KH_EINVALID, file, line, root->col, msg);
    }
    return w->stopped ? KH_EUSAGE : 0;
}

/* ------------------------------------------------------------ set up */

int kh_watch_new(kh_watch **out, const kh_config *cfg, kh_alert_cb cb, void *ud,
                 kh_finding_cb on_error, void *err_ud, kh_error *err)
{
    kh_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    int rc = 0;
    if (!cfg) {
        rc = kh_config_new(&w->own_cfg, err);
        cfg = w->own_cfg;
    }
    w->cfg = cfg;
    w->cb = cb;
    w->ud = ud;
    w->on_error = on_error;
    w->err_ud = err_ud;
    kh_arena_init(&w->arena, 0);
    w->defaults.dedup_window_s = 60;
    w->defaults.dedup_burst = 1;
    w->pol = cfg && cfg->policy.watch ? cfg->policy.watch : &w->defaults;
    static const char *const pss_rules[] = {"pss.baseline.host-namespaces",
                                            "pss.baseline.host-path-volumes",
                                            "pss.baseline.privileged"};
    if (!rc)
        rc = kh_config_new(&w->pss_cfg, err);
    for (size_t i = 0; !rc && i < 3; i++)
        rc = kh_config_only_rule(w->pss_cfg, pss_rules[i], err);
    size_t n;
    const kh_rule_def *t = kh_rules__table(&n);
    if (!rc && (!(w->rules = calloc(n, sizeof(*w->rules))) || !(w->obs = kh_watch__obs_new())))
        rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        if (!t[i].check_event || !kh_config__enabled(cfg, i))
            continue;
        watch_rule *r = &w->rules[w->nrules++];
        r->def = &t[i];
        r->severity = kh_config__severity(cfg, i);
        for (size_t k = 0; k < w->pol->nrules; k++)
            if (strcmp(w->pol->rules[k].id, t[i].info.id) == 0) {
                r->cfg = &w->pol->rules[k];
                if (r->cfg->severity >= 0)
                    r->severity = (kh_severity)r->cfg->severity;
            }
    }
    if (rc) {
        kh_watch_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void kh_watch_get_stats(const kh_watch *w, kh_watch_stats *out)
{
    *out = w->stats;
}

void kh_watch_set_idle(kh_watch *w, void (*idle)(void *ud), void *ud)
{
    w->idle = idle;
    w->idle_ud = ud;
}

void kh_watch__idle(kh_watch *w)
{
    kh_respond__drain(w->respond, KH_RESPOND_DRAIN_DONE);
    if (w->idle)
        w->idle(w->idle_ud);
}

kh_watch_obs *kh_watch__obs(const kh_watch *w)
{
    return w->obs;
}

/* Response alerts skip dedup: the rate limit already bounds them. */
static void emit_response(void *ud, kh_alert *a)
{
    deliver(ud, a);
}

int kh_watch_respond(kh_watch *w, kh_respond_mode mode, const struct kh_client_options *cluster,
                     kh_error *err)
{
    kh_respond__free(w->respond);
    w->respond = NULL;
    return kh_respond__new(&w->respond, w->pol, mode, cluster, emit_response, w, err);
}

int kh_watch__stopped(const kh_watch *w)
{
    return w->stopped;
}

void kh_watch_free(kh_watch *w)
{
    if (!w)
        return;
    kh_respond__drain(w->respond, KH_RESPOND_DRAIN_FINISH);
    kh_respond__free(w->respond);
    keymap_clear(&w->windows, free);
    keymap_clear(&w->dedups, free_dedup);
    kh_arena_free(&w->arena);
    kh_config_free(w->own_cfg);
    kh_config_free(w->pss_cfg);
    free(w->rules);
    kh_watch__obs_free(w->obs);
    free(w);
}
