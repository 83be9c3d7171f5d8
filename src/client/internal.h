/*
 * internal.h -- what the files of src/client share: the kubeconfig model
 * (kubeconfig.c), the resolved connection settings, the HTTP layer with
 * its retries and breaker (http.c), exec credential plugins (exec.c) and
 * listing (list.c).
 */
#ifndef KH_CLIENT_INTERNAL_H
#define KH_CLIENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/arena.h"
#include "doc/node.h"
#include "kubeharden.h"
#include "kubeharden/client.h"

/* --------------------------------------------------------------- kubeconfig */

/* One named stanza (a cluster, user or context) and the file that named it:
 * relative paths in it resolve against that file's directory. */
typedef struct kh_kc_entry {
    const char *name;
    const kh_node *value;       /* the `cluster:`, `user:` or `context:` map */
    const char *origin;         /* absolute directory of the file */
} kh_kc_entry;

typedef struct kh_kc_list {
    kh_kc_entry *items;
    size_t n, cap;
} kh_kc_list;

/* kubeconfig files merged as client-go's ClientConfigLoadingRules.Load does. */
typedef struct kh_kubeconfig {
    kh_arena arena;
    kh_kc_list clusters, users, contexts;
    const char *current_context;    /* "" when no file sets one */
    size_t files;                   /* files read (missing ones are not counted) */
} kh_kubeconfig;

/* Load @p explicit_path alone (it must exist), else the files of
 * @p env_list (a KUBECONFIG value, ':'-separated; missing and empty entries
 * skipped, duplicates dropped), else @p home_file if it exists. */
int kh_kubeconfig__load(kh_kubeconfig *kc, const char *explicit_path, const char *env_list,
                        const char *home_file, kh_error *err);
void kh_kubeconfig__free(kh_kubeconfig *kc);
const kh_kc_entry *kh_kubeconfig__find(const kh_kc_list *l, const char *name);

/* An exec credential plugin, as a user's `exec:` stanza names it. */
typedef struct kh_exec_config {
    const char *api_version, *command, *interactive_mode, *install_hint;
    const char **args;
    size_t nargs;
    const char **env;           /* name, value, name, value... */
    size_t nenv;
    bool provide_cluster_info;
} kh_exec_config;

/* Everything a connection needs, from a kubeconfig context or in-cluster. */
typedef struct kh_rest_config {
    kh_arena arena;
    const char *context;        /* "" in-cluster */
    const char *server;         /* https://host:port, no trailing slash */
    const char *tls_server_name, *proxy_url;
    const char *ca_file;        /* resolved path, or NULL */
    const char *ca_data;        /* decoded PEM, or NULL */
    size_t ca_data_len;
    bool insecure;
    bool disable_compression;
    const char *cert_file, *key_file;
    const char *cert_data, *key_data;   /* decoded PEM */
    size_t cert_data_len, key_data_len;
    const char *token, *token_file;
    const char *username, *password;
    const kh_exec_config *exec;
    const char *namespace_;     /* the context's namespace, or "default" */
    bool in_cluster;
} kh_rest_config;

/* Resolve @p context (NULL: current-context) of @p kc into @p rc. */
int kh_kubeconfig__resolve(const kh_kubeconfig *kc, const char *context,
                           kh_rest_config *rc, kh_error *err);
/* In-cluster configuration: @p dir holds token, ca.crt and namespace;
 * @p host and @p port are KUBERNETES_SERVICE_HOST/PORT. */
int kh_rest_config__in_cluster(kh_rest_config *rc, const char *dir, const char *host,
                               const char *port, kh_error *err);
/* The whole lookup kh_client_new does: --kubeconfig, KUBECONFIG, HOME,
 * in-cluster (KUBEHARDEN_SERVICEACCOUNT_DIR overrides the directory). */
int kh_rest_config__load(kh_rest_config *rc, const char *explicit_path, const char *context,
                         kh_error *err);
void kh_rest_config__free(kh_rest_config *rc);

/* Standard base64 (padding optional, blanks ignored, as Go's []byte JSON
 * decoding accepts only padded input: padding is required). */
int kh_base64__decode(kh_arena *a, const char *in, const char **out, size_t *len);

/* ---------------------------------------------------------------- exec */

typedef struct kh_exec_cred {
    char *token;                /* NULL when the plugin gave a certificate */
    char *cert_pem, *key_pem;
    time_t expires;             /* 0: never (for this process) */
} kh_exec_cred;

/* Run the plugin and parse its ExecCredential. */
int kh_exec__run(const kh_exec_config *ec, const kh_rest_config *rc, bool stdin_tty,
                 kh_exec_cred *out, kh_error *err);
/* Parse the plugin's output (exposed for tests and the fuzzer). */
int kh_exec__parse(const char *api_version, const char *buf, size_t len, kh_exec_cred *out,
                   kh_error *err);
void kh_exec_cred__free(kh_exec_cred *c);

/* ---------------------------------------------------------------- http */

typedef struct kh_http kh_http;

typedef struct kh_http_resp {
    long status;
    char *body;                 /* NUL-terminated; owned by the kh_http until the next call */
    size_t len;
} kh_http_resp;

int kh_http__new(kh_http **out, kh_rest_config *rc, long timeout_ms, FILE *warnings,
                 kh_error *err);
/* GET @p path (with its query). Retries 429 and 5xx (honouring
 * Retry-After) and transport errors with exponential backoff and jitter;
 * fails fast while the breaker is open. Any status is returned in @p resp;
 * the return value is negative only when no response came. */
int kh_http__get(kh_http *h, const char *path, int max_retries, kh_http_resp *resp,
                 kh_error *err);
/* The Accept header of the following requests (NULL: application/json). */
void kh_http__set_accept(kh_http *h, const char *accept);
/* Any method: PATCH with a body for server-side apply. Retried as GET. */
int kh_http__send(kh_http *h, const char *method, const char *path, const char *content_type,
                  const char *body, size_t body_len, int max_retries, kh_http_resp *resp,
                  kh_error *err);
/* "GET /path: 403 Forbidden: <the Status message>" into @p err. */
int kh_http__status_error(const char *path, const kh_http_resp *resp, kh_error *err);
int kh_http__method_error(const char *method, const char *path, const kh_http_resp *resp,
                          kh_error *err);
void kh_http__free(kh_http *h);

/* ---------------------------------------------------------------- list */

/* The byte ranges of a list response's top-level `items` elements. */
typedef struct kh_item_range {
    size_t start, end;
} kh_item_range;
/* Find the items array of @p buf; @return 0, or -1 when it has none.
 * items_open and items_close receive the offsets of its [ and ]. */
int kh_list__items(const char *buf, size_t len, kh_item_range **items, size_t *n,
                   size_t *items_open, size_t *items_close);

/* One kind to read and, after discovery, where the server serves it. */
typedef struct kh_collection {
    const char *kind;
    const char *base;           /* /api/v1 or /apis/apps/v1; NULL: not served */
    const char *resource;       /* plural name; NULL: not served */
    bool namespaced;
    bool metadata_only;         /* Secrets: legacy token secrets' metadata, never contents */
    const char *label;          /* the path listed: base[/namespaces/NS]/resource */
} kh_collection;

typedef struct kh_list_plan {
    kh_arena arena;
    kh_collection *items;
    size_t n;
} kh_list_plan;

/* Resolve each collection's kind through /api/v1 and /apis. */
int kh_list__discover(kh_http *h, kh_list_plan *plan, FILE *warnings, kh_error *err);
/* A page as it arrived, and the items of it still to be read: [from, n). */
typedef struct kh_list_page {
    const char *buf;
    size_t len;
    const kh_item_range *items;
    size_t n, from, open, close;
} kh_list_page;
/* Receives each page: @return 0 to go on, > 0 to stop listing, < 0 (a
 * kh_code, @p err set) to fail. */
typedef int (*kh_list_sink)(void *ud, const kh_collection *c, const kh_list_page *page,
                            kh_error *err);
/* List @p c page by page into @p sink. @return 0, or the error of a page
 * that could not be read (the Status message in @p err). */
int kh_list__read(kh_http *h, const kh_collection *c, kh_list_sink sink, void *ud,
                  FILE *warnings, long *status, kh_error *err);
/* kh_list__read on a thread of its own, a few pages ahead: @p sink runs on
 * the caller's thread while the next pages are fetched. */
int kh_list__read_ahead(kh_http *h, const kh_collection *c, kh_list_sink sink, void *ud,
                        FILE *warnings, long *status, kh_error *err);
/* The envelope of a page with only its items [from, to): malloc'd, NULL
 * when out of memory. */
char *kh_list__subpage(const char *buf, size_t len, const kh_item_range *items, size_t n,
                       size_t from, size_t to, size_t open, size_t close, size_t *out_len);

#endif
