/*
 * list.c -- discovery and paged lists, each page scanned as it arrives.
 *
 * Discovery reads /api/v1 and, from /apis, each group's preferred version,
 * and maps every wanted kind to the first resource that serves it (core
 * first, then groups in the server's priority order). A list is read with
 * limit and continue, as client-go's pager does, and each page goes to a
 * sink as it arrives (the scan gathers pages' items into Lists the engine
 * unwraps, client.c), so memory follows a few pages. A 410 Gone for an expired continue token resumes with the token the
 * Status carries (the API's documented inconsistent continuation); without
 * one the list restarts and skips every item up to the last one scanned
 * (lists come in key order: namespace/name), so no object is judged twice.
 * kh_list__read_ahead lists on a thread of its own, up to 6 MiB of pages
 * ahead of the caller, so fetching overlaps judging.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"

#define PAGE_LIMIT 500
/* Secrets are listed as metadata only (the server leaves out data and
 * stringData), and only the legacy service-account token secrets, which
 * the RBAC risk model reads: the field selector stands for their type,
 * which metadata does not carry. */
#define METADATA_ACCEPT                                                                  \
    "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;" \
    "as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io"
#define TOKEN_SECRETS "&fieldSelector=type%3Dkubernetes.io%2Fservice-account-token"
#define TOKEN_TYPE "kubernetes.io/service-account-token"
#define MAX_EXPIRED 5   /* 410s in one list before giving up */

/* ------------------------------------------------------------ item ranges */

/* End of the JSON string starting at buf[i] == '"': the offset of its
 * closing quote, or len. A quote after an odd run of backslashes is
 * escaped; memchr finds the candidates (most of a page is strings). */
static size_t string_end(const char *buf, size_t len, size_t i)
{
    for (i++; i < len;) {
        const char *q = memchr(buf + i, '"', len - i);
        if (!q)
            return len;
        size_t e = (size_t)(q - buf), run = 0;
        while (buf[e - 1 - run] == '\\')    /* stops at the opening quote */
            run++;
        if (run % 2 == 0)
            return e;
        i = e + 1;
    }
    return len;
}

int kh_list__items(const char *buf, size_t len, kh_item_range **items, size_t *n,
                   size_t *items_open, size_t *items_close)
{
    *items = NULL;
    *n = 0;
    size_t cap = 0, depth = 0, start = SIZE_MAX;
    bool key_expected = false, last_key_items = false, in_items = false;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '"') {
            size_t e = string_end(buf, len, i);
            if (depth == 1 && key_expected) {
                last_key_items = e - i - 1 == 5 && memcmp(buf + i + 1, "items", 5) == 0;
                key_expected = false;
            }
            i = e;
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
            if (depth == 1)
                key_expected = true;
            if (depth == 2 && c == '[' && last_key_items) {
                in_items = true;
                *items_open = i;
            }
            /* Only an object item has a range (a malformed page may close a
             * '[' with '}'). */
            if (in_items && depth == 3)
                start = c == '{' ? i : SIZE_MAX;
        } else if (c == '}' || c == ']') {
            if (in_items && depth == 3 && c == '}' && start != SIZE_MAX) {
                if (*n == cap) {
                    cap = cap ? cap * 2 : 64;
                    kh_item_range *bigger = realloc(*items, cap * sizeof(*bigger));
                    if (!bigger) {
                        free(*items);
                        *items = NULL;
                        return -1;
                    }
                    *items = bigger;
                }
                (*items)[(*n)++] = (kh_item_range){start, i + 1};
                start = SIZE_MAX;
            }
            if (in_items && depth == 2) {
                if (c != ']')
                    break;  /* the items array closed by '}': not a list */
                *items_close = i;
                return 0;
            }
            if (depth == 0)
                break;
            depth--;
            last_key_items = false;
        } else if (c == ',' && depth == 1) {
            key_expected = true;
            last_key_items = false;
        }
    }
    free(*items);
    *items = NULL;
    *n = 0;
    return -1;
}

/* ---------------------------------------------------------------- helpers */

static const char *sfield(const kh_node *map, const char *key)
{
    const kh_node *v = kh_node_get(map, key);
    return v && v->type == KH_NODE_STRING ? v->u.text : NULL;
}

/* The key a list is ordered by: namespace/name, or name. */
static char *item_key(kh_arena *a, const char *buf, kh_item_range r)
{
    const kh_node *root = NULL;
    if (kh_doc_load_json(&root, a, buf + r.start, r.end - r.start, "<item>", NULL))
        return NULL;
    const char *ns = sfield(kh_node_get(root, "metadata"), "namespace");
    const char *name = sfield(kh_node_get(root, "metadata"), "name");
    if (!name)
        return NULL;
    return ns && *ns ? kh_arena_printf(a, "%s/%s", ns, name) : kh_arena_strdup(a, name);
}

/* Percent-encode a continue token for a query string. */
static char *query_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

/* --------------------------------------------------------------- discovery */

static bool has_verb(const kh_node *res, const char *verb)
{
    const kh_node *verbs = kh_node_get(res, "verbs");
    for (size_t i = 0; kh_node_is_seq(verbs) && i < verbs->len; i++) {
        const char *v = kh_node_str(verbs->u.items[i]);
        if (v && strcmp(v, verb) == 0)
            return true;
    }
    return false;
}

/* Match one APIResourceList against the wanted kinds still unresolved. */
static void take_resources(kh_list_plan *plan, const kh_node *root, const char *base)
{
    const kh_node *resources = kh_node_get(root, "resources");
    for (size_t i = 0; kh_node_is_seq(resources) && i < resources->len; i++) {
        const kh_node *r = resources->u.items[i];
        const char *name = sfield(r, "name"), *kind = sfield(r, "kind");
        if (!name || !kind || strchr(name, '/') || !has_verb(r, "list"))
            continue;
        for (size_t k = 0; k < plan->n; k++) {
            kh_collection *c = &plan->items[k];
            if (c->resource || strcmp(c->kind, kind) != 0)
                continue;
            c->base = kh_arena_strdup(&plan->arena, base);
            c->resource = kh_arena_strdup(&plan->arena, name);
            c->namespaced = kh_node_is_true(kh_node_get(r, "namespaced"));
        }
    }
}

static int get_json(kh_http *h, const char *path, int retries, kh_arena *a,
                    const kh_node **root, long *status, kh_error *err)
{
    kh_http_resp resp;
    int rc = kh_http__get(h, path, retries, &resp, err);
    if (rc)
        return rc;
    *status = resp.status;
    if (resp.status != 200)
        return kh_http__status_error(path, &resp, err);
    rc = kh_doc_load_json(root, a, resp.body, resp.len, path, err);
    if (rc)
        return kh_error_set(err, rc, NULL, 0, 0, "GET %s: the response is not JSON: %s", path,
                            err ? err->message : "");
    return 0;
}

int kh_list__discover(kh_http *h, kh_list_plan *plan, FILE *warnings, kh_error *err)
{
    kh_arena a;
    kh_arena_init(&a, 0);
    const kh_node *root = NULL;
    long status = 0;
    int rc = get_json(h, "/api/v1", -1, &a, &root, &status, err);
    if (rc)
        goto done;
    take_resources(plan, root, "/api/v1");
    rc = get_json(h, "/apis", -1, &a, &root, &status, err);
    if (rc)
        goto done;
    const kh_node *groups = kh_node_get(root, "groups");
    for (size_t g = 0; kh_node_is_seq(groups) && g < groups->len; g++) {
        bool pending = false;
        for (size_t k = 0; k < plan->n; k++)
            pending |= plan->items[k].resource == NULL;
        if (!pending)
            break;
        const kh_node *pref = kh_node_get(groups->u.items[g], "preferredVersion");
        const char *gv = sfield(pref, "groupVersion");
        if (!gv)
            continue;
        char path[512];
        snprintf(path, sizeof(path), "/apis/%s", gv);
        const kh_node *list = NULL;
        kh_error gerr = {0};
        /* An aggregated API that is down (503) must not stop the scan:
         * kubectl too warns and goes on without the group. */
        if (get_json(h, path, 1, &a, &list, &status, &gerr) != 0) {
            if (status == 401 || status == 403) {
                if (err)
                    *err = gerr;
                rc = gerr.code ? gerr.code : KH_EIO;
                goto done;
            }
            fprintf(warnings, "kubeharden: warning: skipping API group %s: %s\n", gv,
                    gerr.message);
            continue;
        }
        take_resources(plan, list, path);
    }
done:
    kh_arena_free(&a);
    return rc;
}

/* ----------------------------------------------------------------- listing */

char *kh_list__subpage(const char *buf, size_t len, const kh_item_range *items, size_t n,
                       size_t from, size_t to, size_t open, size_t close, size_t *out_len)
{
    size_t mid = from < to && to <= n ? items[to - 1].end - items[from].start : 0;
    size_t total = (open + 1) + mid + (len - close);
    char *sub = malloc(total + 1);
    if (!sub)
        return NULL;
    memcpy(sub, buf, open + 1);
    if (mid)
        memcpy(sub + open + 1, buf + items[from].start, mid);
    memcpy(sub + open + 1 + mid, buf + close, len - close);
    sub[total] = '\0';
    *out_len = total;
    return sub;
}

/* The value range of key @p key of the JSON object at buf[start, end). */
static int member(const char *buf, size_t start, size_t end, const char *key, size_t *vs,
                  size_t *ve)
{
    size_t depth = 0, klen = strlen(key);
    bool key_expected = false, hit = false;
    for (size_t i = start; i < end; i++) {
        char c = buf[i];
        if (c == '"') {
            size_t e = string_end(buf, end, i);
            if (depth == 1 && key_expected) {
                hit = e - i - 1 == klen && memcmp(buf + i + 1, key, klen) == 0;
                key_expected = false;
            }
            i = e;
        } else if (c == '{' || c == '[') {
            if (depth == 1 && hit)
                *vs = i;
            depth++;
            if (depth == 1)
                key_expected = true;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return -1;
            depth--;
            if (depth == 1 && hit) {
                *ve = i + 1;
                return 0;
            }
        } else if (c == ',' && depth == 1) {
            key_expected = true;
            hit = false;
        }
    }
    return -1;
}

/* A PartialObjectMetadataList page as the SecretList of legacy token
 * secrets it stands for: each item's metadata and the type the field
 * selector guaranteed; nothing else of the response is kept. */
static char *token_secrets(const char *buf, size_t len, const kh_item_range *items, size_t n,
                           size_t *out_len)
{
    size_t cap = 128, used = 0;
    for (size_t i = 0; i < n; i++)
        cap += items[i].end - items[i].start + sizeof(TOKEN_TYPE) + 32;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    used += (size_t)snprintf(out, cap, "{\"kind\":\"SecretList\",\"apiVersion\":\"v1\","
                                       "\"metadata\":{},\"items\":[");
    for (size_t i = 0, k = 0; i < n; i++) {
        size_t vs = 0, ve = 0;
        if (member(buf, items[i].start, items[i].end, "metadata", &vs, &ve) != 0)
            continue;
        used += (size_t)snprintf(out + used, cap - used, "%s{\"metadata\":", k++ ? "," : "");
        memcpy(out + used, buf + vs, ve - vs);
        used += ve - vs;
        used += (size_t)snprintf(out + used, cap - used, ",\"type\":\"" TOKEN_TYPE "\"}");
    }
    used += (size_t)snprintf(out + used, cap - used, "]}");
    (void)len;
    *out_len = used;
    return out;
}

int kh_list__read(kh_http *h, const kh_collection *c, kh_list_sink sink, void *ud,
                  FILE *warnings, long *status, kh_error *err)
{
    *status = 0;
    char *cont = NULL, *last_key = NULL, *skip_until = NULL;
    int rc = 0;
    kh_arena a;
    kh_arena_init(&a, 8192);
    size_t pages = 0, expired = 0;
    for (;;) {
        size_t qlen = strlen(c->label) + (cont ? strlen(cont) : 0) + 128;
        char *path = malloc(qlen);
        if (!path) {
            rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
            break;
        }
        snprintf(path, qlen, "%s?limit=%d%s%s%s", c->label, PAGE_LIMIT,
                 c->metadata_only ? TOKEN_SECRETS : "", cont ? "&continue=" : "", cont ? cont : "");
        kh_http_resp resp;
        kh_http__set_accept(h, c->metadata_only ? METADATA_ACCEPT : NULL);
        rc = kh_http__get(h, path, -1, &resp, err);
        kh_http__set_accept(h, NULL);
        if (rc) {
            free(path);
            break;
        }
        *status = resp.status;
        kh_arena_reset(&a);
        if (resp.status == 410 && cont && ++expired > MAX_EXPIRED) {
            /* A server that expires every token would have us list forever. */
            rc = kh_http__status_error(path, &resp, err);
            free(path);
            break;
        }
        if (resp.status == 410 && cont) {
            /* The continue token expired between two pages. */
            const kh_node *st = NULL;
            const char *next = NULL;
            if (kh_doc_load_buffer(&st, &a, resp.body, resp.len, path, NULL) == 0)
                next = sfield(kh_node_get(st, "metadata"), "continue");
            free(cont);
            cont = NULL;
            if (next && *next) {
                fprintf(warnings, "kubeharden: warning: %s: the list expired after %zu "
                                  "pages; going on from the newest version of the rest\n",
                        c->label, pages);
                cont = query_escape(next);
            } else {
                fprintf(warnings, "kubeharden: warning: %s: the list expired after %zu "
                                  "pages; reading it again from the start, skipping what "
                                  "was scanned\n", c->label, pages);
                free(skip_until);
                skip_until = last_key ? strdup(last_key) : NULL;
            }
            free(path);
            continue;
        }
        if (resp.status != 200) {
            rc = kh_http__status_error(path, &resp, err);
            free(path);
            break;
        }
        free(path);
        pages++;
        kh_item_range *items = NULL;
        size_t n = 0, open = 0, close = 0;
        if (kh_list__items(resp.body, resp.len, &items, &n, &open, &close) != 0) {
            rc = kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                              "GET %s: the response is not a list", c->label);
            break;
        }
        size_t from = 0;
        if (skip_until) {
            while (from < n) {
                char *key = item_key(&a, resp.body, items[from]);
                if (key && strcmp(key, skip_until) > 0)
                    break;
                from++;
            }
            if (from < n) {
                free(skip_until);
                skip_until = NULL;
            }
        }
        int stop = 0;
        if (c->metadata_only && (from < n || n == 0)) {
            /* Only the metadata of what has not been read yet. */
            size_t slen = 0, sn = 0, so = 0, sc = 0;
            kh_item_range *sitems = NULL;
            /* An empty list has no items array: no pointer arithmetic on it. */
            char *sbuf = token_secrets(resp.body, resp.len, n > from ? items + from : NULL,
                                       n - from, &slen);
            if (!sbuf || kh_list__items(sbuf, slen, &sitems, &sn, &so, &sc) != 0) {
                rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
            } else {
                kh_list_page page = {sbuf, slen, sitems, sn, 0, so, sc};
                rc = sink(ud, c, &page, err);
            }
            free(sitems);
            free(sbuf);
            stop = rc > 0;
            if (stop)
                rc = 0;
        } else if (from < n || n == 0) {
            kh_list_page page = {resp.body, resp.len, items, n, from, open, close};
            rc = sink(ud, c, &page, err);
            stop = rc > 0;
            if (stop)
                rc = 0;
        }
        if (n) {
            char *key = item_key(&a, resp.body, items[n - 1]);
            free(last_key);
            last_key = key ? strdup(key) : NULL;
        }
        free(items);
        if (rc)
            break;
        /* The envelope without its items tells the continue token. */
        char *env = malloc(open + 1 + (resp.len - close) + 1);
        const kh_node *root = NULL;
        const char *next = NULL;
        if (env) {
            memcpy(env, resp.body, open + 1);
            memcpy(env + open + 1, resp.body + close, resp.len - close);
            size_t elen = open + 1 + resp.len - close;
            env[elen] = '\0';
            if (kh_doc_load_buffer(&root, &a, env, elen, c->label, NULL) == 0)
                next = sfield(kh_node_get(root, "metadata"), "continue");
            free(env);
        }
        char *prev = cont;
        cont = next && *next ? query_escape(next) : NULL;
        if (cont && prev && strcmp(cont, prev) == 0) {
            rc = kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                              "GET %s: the server sent back the continue token it was given",
                              c->label);
            free(prev);
            break;
        }
        free(prev);
        if (!cont || stop)
            break;
    }
    free(cont);
    free(last_key);
    free(skip_until);
    kh_arena_free(&a);
    return rc;
}

/* --------------------------------------------------------------- read-ahead */

/* Pages fetched but not yet consumed: up to READ_AHEAD_BYTES of them (at
 * least one), so the pages of the scan's next batch (client.c, 4 MiB) are
 * on their way (TLS, gzip, the item scan) while the caller judges this one,
 * and memory stays a few MiB. Four pages were too few: the caller, done
 * with a batch, waited for most of the next one's pages while nothing was
 * judged. */
#define READ_AHEAD 64
#define READ_AHEAD_BYTES (6u << 20)

typedef struct ra_page {
    char *buf;
    size_t len;
    kh_item_range *items;
    size_t n, from, open, close;
} ra_page;

typedef struct read_ahead {
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* a page queued or taken, the end, or stop */
    ra_page q[READ_AHEAD];
    size_t head, count, bytes;  /* bytes: the queued pages' */
    bool done;                  /* the list ended: rc, status and err tell how */
    bool stop;                  /* the caller wants no more pages */
    int rc;
    long status;
    kh_error err;
    kh_http *h;
    const kh_collection *c;
    FILE *warnings;
} read_ahead;

static void ra_page_free(ra_page *p)
{
    free(p->buf);
    free(p->items);
}

/* On the list's thread: copy the page out of the HTTP buffer (the next
 * request reuses it) and queue it, waiting while the queue is full. */
static int ra_sink(void *ud, const kh_collection *c, const kh_list_page *p, kh_error *err)
{
    (void)c;
    read_ahead *ra = ud;
    ra_page pg = {malloc(p->len + 1), p->len, malloc((p->n ? p->n : 1) * sizeof(*p->items)),
                  p->n, p->from, p->open, p->close};
    if (!pg.buf || !pg.items) {
        ra_page_free(&pg);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    memcpy(pg.buf, p->buf, p->len);
    pg.buf[p->len] = '\0';
    if (p->n)
        memcpy(pg.items, p->items, p->n * sizeof(*p->items));
    pthread_mutex_lock(&ra->mu);
    while ((ra->count == READ_AHEAD || (ra->count && ra->bytes >= READ_AHEAD_BYTES)) &&
           !ra->stop)
        pthread_cond_wait(&ra->cv, &ra->mu);
    bool stop = ra->stop;
    if (!stop) {
        ra->q[(ra->head + ra->count++) % READ_AHEAD] = pg;
        ra->bytes += pg.len;
        pthread_cond_broadcast(&ra->cv);
    }
    pthread_mutex_unlock(&ra->mu);
    if (stop)
        ra_page_free(&pg);
    return stop ? 1 : 0;
}

static void *ra_main(void *arg)
{
    read_ahead *ra = arg;
    long status = 0;
    kh_error err = {0};
    int rc = kh_list__read(ra->h, ra->c, ra_sink, ra, ra->warnings, &status, &err);
    pthread_mutex_lock(&ra->mu);
    ra->rc = rc;
    ra->status = status;
    ra->err = err;
    ra->done = true;
    pthread_cond_broadcast(&ra->cv);
    pthread_mutex_unlock(&ra->mu);
    return NULL;
}

int kh_list__read_ahead(kh_http *h, const kh_collection *c, kh_list_sink sink, void *ud,
                        FILE *warnings, long *status, kh_error *err)
{
    read_ahead *ra = calloc(1, sizeof(*ra));
    if (!ra)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    ra->h = h;
    ra->c = c;
    ra->warnings = warnings;
    pthread_mutex_init(&ra->mu, NULL);
    pthread_cond_init(&ra->cv, NULL);
    pthread_t thread;
    if (pthread_create(&thread, NULL, ra_main, ra) != 0) {
        pthread_cond_destroy(&ra->cv);
        pthread_mutex_destroy(&ra->mu);
        free(ra);
        return kh_list__read(h, c, sink, ud, warnings, status, err);
    }
    int rc = 0;
    pthread_mutex_lock(&ra->mu);
    for (;;) {
        while (ra->count == 0 && !ra->done)
            pthread_cond_wait(&ra->cv, &ra->mu);
        if (ra->count == 0)
            break;
        ra_page pg = ra->q[ra->head];
        ra->head = (ra->head + 1) % READ_AHEAD;
        ra->count--;
        ra->bytes -= pg.len;
        pthread_cond_broadcast(&ra->cv);
        pthread_mutex_unlock(&ra->mu);
        kh_list_page page = {pg.buf, pg.len, pg.items, pg.n, pg.from, pg.open, pg.close};
        rc = sink(ud, c, &page, err);
        ra_page_free(&pg);
        pthread_mutex_lock(&ra->mu);
        if (rc != 0) {
            ra->stop = true;    /* the list's thread ends at its next page */
            pthread_cond_broadcast(&ra->cv);
            break;
        }
    }
    pthread_mutex_unlock(&ra->mu);
    pthread_join(thread, NULL);
    while (ra->count) {
        ra_page_free(&ra->q[ra->head]);
        ra->head = (ra->head + 1) % READ_AHEAD;
        ra->count--;
    }
    *status = ra->status;
    if (rc > 0) {
        rc = 0;         /* the sink stopped the list: not an error */
    } else if (rc == 0 && ra->rc) {
        rc = ra->rc;
        if (err)
            *err = ra->err;
    }
    pthread_cond_destroy(&ra->cv);
    pthread_mutex_destroy(&ra->mu);
    free(ra);
    return rc;
}
