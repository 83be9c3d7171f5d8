/*
 * cmd_rbac_query.c -- `kubeharden rbac who-can`, `rbac can` and `rbac
 * review`: the RBAC authorizer's answers from files, as text or JSON.
 *
 * Each command loads its paths into a kh_cluster, builds the RBAC model
 * (include/kubeharden/rbac.h) and walks the grants the library hands out.
 * Positional arguments are the question first (VERB RESOURCE, SUBJECT ...)
 * and then the inputs. Text output is a table whose columns are sized to
 * their widest cell, so rows are collected before printing.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cluster_opts.h"
#include "kubeharden/rbac.h"

enum {
    OPT_ALL_NAMESPACES, OPT_API_GROUP, OPT_AS_GROUP, OPT_HELP, OPT_NAME, OPT_NAMESPACE,
    OPT_OUTPUT, OPT_RBAC, OPT_URL, OPT_CLUSTER_BASE /* + CLI_CLUSTER_* */
};

/* The cluster options a query takes: its -n is the question's namespace. */
#define CLUSTER_ROWS_C \
    CLI_CLUSTER_OPTION_CLUSTER(OPT_CLUSTER_BASE), CLI_CLUSTER_OPTION_CONTEXT(OPT_CLUSTER_BASE)
#define CLUSTER_ROWS_K \
    CLI_CLUSTER_OPTION_KINDS(OPT_CLUSTER_BASE), CLI_CLUSTER_OPTION_KUBECONFIG(OPT_CLUSTER_BASE)

/* Sorted by long name. */
static const struct cli_option who_options[] = {
    {"all-namespaces", 'A', NULL, "the request in every namespace: every RoleBinding counts (in its own namespace)", OPT_ALL_NAMESPACES},
    {"api-group", ' ', "GROUP", "the resource's API group (default: the core group, or GROUP from RESOURCE.GROUP)", OPT_API_GROUP},
    CLUSTER_ROWS_C,
    {"help", 'h', NULL, "show this help", OPT_HELP},
    CLUSTER_ROWS_K,
    {"name", ' ', "NAME", "the object's name (list and watch carry one through a metadata.name field selector)", OPT_NAME},
    {"namespace", 'n', "NS", "the request's namespace (default: a cluster-wide request)", OPT_NAMESPACE},
    {"output", 'o', "FORMAT", "text (default) or json", OPT_OUTPUT},
    {"url", ' ', "PATH", "a non-resource request for PATH (/healthz, /metrics) instead of RESOURCE", OPT_URL},
};

static const struct cli_option can_options[] = {
    {"all-namespaces", 'A', NULL, "list: every namespace's RoleBinding rules too", OPT_ALL_NAMESPACES},
    {"api-group", ' ', "GROUP", "the resource's API group (default: the core group, or GROUP from RESOURCE.GROUP)", OPT_API_GROUP},
    {"as-group", ' ', "GROUP", "a group the user is in; repeatable", OPT_AS_GROUP},
    CLUSTER_ROWS_C,
    {"help", 'h', NULL, "show this help", OPT_HELP},
    CLUSTER_ROWS_K,
    {"name", ' ', "NAME", "the object's name", OPT_NAME},
    {"namespace", 'n', "NS", "the request's namespace (default: cluster-wide)", OPT_NAMESPACE},
    {"output", 'o', "FORMAT", "text (default) or json", OPT_OUTPUT},
    {"url", ' ', "PATH", "a non-resource request for PATH instead of RESOURCE", OPT_URL},
};

static const struct cli_option review_options[] = {
    CLUSTER_ROWS_C,
    {"help", 'h', NULL, "show this help", OPT_HELP},
    CLUSTER_ROWS_K,
    {"rbac", ' ', "PATH", "file, directory or - with the RBAC objects; repeatable", OPT_RBAC},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct rbac_args {
    const char *command;        /* "rbac who-can" */
    const char **pos;
    size_t npos;
    const char **groups;
    size_t ngroups;
    const char **rbac;
    size_t nrbac;
    const char *ns, *name, *api_group, *url;
    bool all, help, json;
    struct cli_cluster cluster;
};

static int on_option(const struct cli_option *o, const char *value, void *ud)
{
    struct rbac_args *a = ud;
    if (!o)
        return cli_push(&a->pos, &a->npos, value);
    switch (o->id) {
    case OPT_ALL_NAMESPACES: a->all = true; break;
    case OPT_API_GROUP: a->api_group = value; break;
    case OPT_AS_GROUP: return cli_push(&a->groups, &a->ngroups, value);
    case OPT_HELP: a->help = true; break;
    case OPT_NAME: a->name = value; break;
    case OPT_NAMESPACE: a->ns = value; break;
    case OPT_OUTPUT:
        if (strcmp(value, "json") == 0) {
            a->json = true;
        } else if (strcmp(value, "text") == 0) {
            a->json = false;
        } else {
            fprintf(stderr, "kubeharden %s: unknown output format '%s' (use text or json)\n",
                    a->command, value);
            return CLI_EXIT_ERROR;
        }
        break;
    case OPT_RBAC: return cli_push(&a->rbac, &a->nrbac, value);
    case OPT_URL: a->url = value; break;
    default: return cli_cluster_option(&a->cluster, a->command, o->id - OPT_CLUSTER_BASE, value);
    }
    return 0;
}

static void free_args(struct rbac_args *a)
{
    free(a->pos);
    free(a->groups);
    free(a->rbac);
    cli_cluster_free(&a->cluster);
}

static int on_input_error(const kh_finding *f, void *ud)
{
    if (ud)
        ++*(size_t *)ud;
    fprintf(stderr, "%s:%u:%u: error: %s\n", f->file ? f->file : "<input>", f->line, f->col,
            f->message);
    return 0;
}

/* Read @p paths into a cluster and build the model; prints what fails. */
static int load(const char *command, const char *const *paths, size_t npaths, kh_cluster **c,
                kh_rbac **m, const struct cli_cluster *cl)
{
    kh_error err = {0};
    char msg[512];
    *c = NULL;
    if (cli_cluster_check(cl, command, npaths))
        return CLI_EXIT_ERROR;
    if (npaths == 0 && !cl->enabled) {
        fprintf(stderr, "kubeharden %s: no input: give files, directories or '-' for stdin\n"
                        "Try 'kubeharden %s --help'.\n", command, command);
        return CLI_EXIT_ERROR;
    }
    /* Queries never look at accounts or pods: keep only what the authorizer reads. */
    if (kh_cluster_new(c, kh_rbac_authorizer_kinds(), on_input_error, NULL, &err) != KH_OK)
        goto fail;
    for (size_t i = 0; i < npaths; i++)
        if (kh_cluster_load_path(*c, paths[i], &err) != KH_OK)
            goto fail;
    if (cl->enabled) {
        struct cli_cluster only = *cl;
        if (!only.kinds)
            only.kinds = (const char **)kh_rbac_authorizer_kinds();
        if (cli_cluster_load(&only, command, *c, KH_AREA_RBAC)) {
            kh_cluster_free(*c);
            *c = NULL;
            return CLI_EXIT_ERROR;
        }
    }
    if (kh_rbac_load(m, *c, &err) != KH_OK)
        goto fail;
    return CLI_EXIT_OK;
fail:
    kh_error_format(&err, msg, sizeof(msg));
    fprintf(stderr, "kubeharden %s: %s\n", command, msg);
    kh_cluster_free(*c);
    *c = NULL;
    return CLI_EXIT_ERROR;
}

/* ------------------------------------------------------------- output */

static void json_str(FILE *out, const char *s)
{
    putc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            putc(*p, out);
    }
    putc('"', out);
}

static void json_strs(FILE *out, const kh_rbac_strs *s)
{
    putc('[', out);
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            putc(',', out);
        json_str(out, s->v[i]);
    }
    putc(']', out);
}

/* "get,list" into @p buf; "-" for none. */
static const char *joined(char *buf, size_t size, const kh_rbac_strs *s)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "," : "",
                                 *s->v[i] ? s->v[i] : "\"\"");
    if (!s->n)
        snprintf(buf, size, "-");
    return buf;
}

static void json_grant(FILE *out, const kh_rbac_grant_view *g)
{
    fputs("{\"subject\":{\"kind\":", out);
    json_str(out, g->subject_kind);
    fputs(",\"name\":", out);
    json_str(out, g->subject_name);
    if (*g->subject_namespace) {
        fputs(",\"namespace\":", out);
        json_str(out, g->subject_namespace);
    }
    fputs("},\"binding\":{\"kind\":", out);
    json_str(out, g->binding_kind);
    if (*g->binding_namespace) {
        fputs(",\"namespace\":", out);
        json_str(out, g->binding_namespace);
    }
    fputs(",\"name\":", out);
    json_str(out, g->binding_name);
    fputs(",\"file\":", out);
    json_str(out, g->binding_file);
    fprintf(out, ",\"line\":%u,\"col\":%u},\"roleRef\":{\"kind\":", g->binding_line,
            g->binding_col);
    json_str(out, g->role_kind);
    fputs(",\"name\":", out);
    json_str(out, g->role_name);
    fputs("}", out);
    if (g->has_rule) {
        fputs(",\"rule\":{\"verbs\":", out);
        json_strs(out, &g->verbs);
        fputs(",\"apiGroups\":", out);
        json_strs(out, &g->api_groups);
        fputs(",\"resources\":", out);
        json_strs(out, &g->resources);
        fputs(",\"resourceNames\":", out);
        json_strs(out, &g->resource_names);
        fputs(",\"nonResourceURLs\":", out);
        json_strs(out, &g->non_resource_urls);
        fputs(",\"writtenIn\":{\"kind\":", out);
        json_str(out, g->rule_role_kind);
        if (*g->rule_role_namespace) {
            fputs(",\"namespace\":", out);
            json_str(out, g->rule_role_namespace);
        }
        fputs(",\"name\":", out);
        json_str(out, g->rule_role_name);
        fputs(",\"file\":", out);
        json_str(out, g->rule_file);
        fprintf(out, ",\"line\":%u,\"col\":%u,\"path\":", g->rule_line, g->rule_col);
        json_str(out, g->rule_path);
        fputs("}}", out);
    }
    if (g->error) {
        fputs(",\"error\":", out);
        json_str(out, g->error);
    }
    putc('}', out);
}

/* A text table: rows of cells, printed with aligned columns. */
#define MAXCOLS 8
struct table {
    size_t ncols, nrows, cap;
    char **cells;               /* nrows * ncols, malloc'd */
    size_t width[MAXCOLS];
};

static int table_row(struct table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 32;
        char **bigger = realloc(t->cells, nc * t->ncols * sizeof *bigger);
        if (!bigger)
            return CLI_EXIT_ERROR;
        t->cells = bigger;
        t->cap = nc;
    }
    for (size_t i = 0; i < t->ncols; i++) {
        char *c = strdup(cells[i] ? cells[i] : "");
        if (!c)
            return CLI_EXIT_ERROR;
        t->cells[t->nrows * t->ncols + i] = c;
        size_t w = strlen(c);
        if (w > t->width[i])
            t->width[i] = w;
    }
    t->nrows++;
    return 0;
}

static void table_print(FILE *out, struct table *t)
{
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t i = 0; i < t->ncols; i++) {
            const char *c = t->cells[r * t->ncols + i];
            if (i + 1 == t->ncols)
                fprintf(out, "%s\n", c);
            else
                fprintf(out, "%-*s  ", (int)t->width[i], c);
        }
    }
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
}

static void subject_text(char *buf, size_t size, const kh_rbac_grant_view *g)
{
    if (*g->subject_namespace)
        snprintf(buf, size, "%s/%s", g->subject_namespace, g->subject_name);
    else
        snprintf(buf, size, "%s", g->subject_name);
}

static void binding_text(char *buf, size_t size, const kh_rbac_grant_view *g)
{
    if (*g->binding_namespace)
        snprintf(buf, size, "%s/%s/%s", g->binding_kind, g->binding_namespace, g->binding_name);
    else
        snprintf(buf, size, "%s/%s", g->binding_kind, g->binding_name);
}

static void where_text(char *buf, size_t size, const kh_rbac_grant_view *g)
{
    if (!g->has_rule) {
        snprintf(buf, size, "%s", g->error ? g->error : "-");
        return;
    }
    /* An object read from a cluster has no position: its API path says where. */
    char at[32] = "";
    if (g->rule_line)
        snprintf(at, sizeof(at), ":%u:%u", g->rule_line, g->rule_col);
    if (*g->rule_role_namespace)
        snprintf(buf, size, "%s%s %s/%s/%s %s", g->rule_file, at, g->rule_role_kind,
                 g->rule_role_namespace, g->rule_role_name, g->rule_path);
    else
        snprintf(buf, size, "%s%s %s/%s %s", g->rule_file, at, g->rule_role_kind,
                 g->rule_role_name, g->rule_path);
}

/* ------------------------------------------------------------- requests */

/* VERB RESOURCE[/SUB] (RESOURCE may be resource.group) or VERB --url PATH
 * from the first positionals; @return how many were used, or 0 after
 * printing an error. */
static size_t parse_request(struct rbac_args *a, size_t at, kh_rbac_attrs *r, char *store,
                            size_t storesize)
{
    if (a->npos <= at || (!a->url && a->npos <= at + 1)) {
        fprintf(stderr, "kubeharden %s: give VERB and RESOURCE[/SUBRESOURCE] or VERB --url "
                        "PATH\nTry 'kubeharden %s --help'.\n", a->command, a->command);
        return 0;
    }
    r->verb = a->pos[at];
    r->namespace_ = a->ns ? a->ns : "";
    r->name = a->name ? a->name : "";
    if (a->url) {
        /* A non-resource request has no namespace: ClusterRoleBindings only. */
        r->resource_request = false;
        r->path = a->url;
        r->namespace_ = "";
        return 1;
    }
    r->resource_request = true;
    snprintf(store, storesize, "%s", a->pos[at + 1]);
    char *slash = strchr(store, '/');
    r->subresource = "";
    if (slash) {
        *slash = '\0';
        r->subresource = slash + 1;
    }
    char *dot = strchr(store, '.');
    r->api_group = a->api_group ? a->api_group : "";
    if (dot) {
        *dot = '\0';
        if (!a->api_group)
            r->api_group = dot + 1;
    }
    r->resource = store;
    if (!*r->resource) {
        fprintf(stderr, "kubeharden %s: empty resource in '%s'\n", a->command, a->pos[at + 1]);
        return 0;
    }
    return 2;
}

static void describe_request(char *buf, size_t size, const kh_rbac_attrs *r)
{
    if (!r->resource_request) {
        snprintf(buf, size, "%s %s", r->verb, r->path);
        return;
    }
    snprintf(buf, size, "%s %s%s%s%s%s%s%s%s%s", r->verb, r->resource, *r->api_group ? "." : "",
             r->api_group, *r->subresource ? "/" : "", r->subresource, *r->name ? " named " : "",
             r->name, *r->namespace_ ? " in namespace " : " cluster-wide",
             *r->namespace_ ? r->namespace_ : "");
}

static void json_request(FILE *out, const kh_rbac_attrs *r)
{
    fputs("{\"verb\":", out);
    json_str(out, r->verb);
    if (r->resource_request) {
        fputs(",\"namespace\":", out);
        json_str(out, r->namespace_);
        fputs(",\"group\":", out);
        json_str(out, r->api_group);
        fputs(",\"resource\":", out);
        json_str(out, r->resource);
        fputs(",\"subresource\":", out);
        json_str(out, r->subresource);
        fputs(",\"name\":", out);
        json_str(out, r->name);
    } else {
        fputs(",\"path\":", out);
        json_str(out, r->path);
    }
    putc('}', out);
}

/* ------------------------------------------------------------- who-can */

struct who_state {
    struct table t;
    FILE *out;
    bool json;
    size_t n;
    char last[1100];            /* binding + subject of the previous grant */
    int rc;
};

static int who_grant(const kh_rbac_grant_view *g, void *ud)
{
    struct who_state *st = ud;
    char subject[512], binding[512], where[1024], key[1100];
    subject_text(subject, sizeof subject, g);
    binding_text(binding, sizeof binding, g);
    /* One row per binding and subject: the first allowing rule stands for
     * the others (JSON lists each). */
    snprintf(key, sizeof key, "%s|%s|%s", binding, g->subject_kind, subject);
    if (st->json) {
        fputs(st->n++ ? ",\n  " : "\n  ", st->out);
        json_grant(st->out, g);
        return 0;
    }
    if (strncmp(key, st->last, sizeof st->last) == 0)
        return 0;
    snprintf(st->last, sizeof st->last, "%s", key);
    where_text(where, sizeof where, g);
    char role[512];
    snprintf(role, sizeof role, "%s/%s", g->role_kind, g->role_name);
    const char *cells[] = {g->subject_kind, subject, binding, role, where};
    st->n++;
    return st->rc = table_row(&st->t, cells);
}

static void who_help(void)
{
    fputs("Usage: kubeharden rbac who-can VERB RESOURCE[/SUBRESOURCE] [OPTIONS] PATH...\n"
          "       kubeharden rbac who-can VERB --url PATH [OPTIONS] PATH...\n\n"
          "Every subject the RBAC objects in PATH (files, directories, '-' for stdin,\n"
          "kubectl get -A -o yaml dumps) allow to make the request, with the binding,\n"
          "the role and the rule that grant it, as the API server's RBAC authorizer\n"
          "decides. RESOURCE may be RESOURCE.GROUP (deployments.apps). Without -n the\n"
          "request is cluster-wide and only ClusterRoleBindings count; with -n NS the\n"
          "RoleBindings of NS count too. Members of system:masters may do anything.\n\n",
          stdout);
    cli_print_options(stdout, who_options, COUNT(who_options));
    fputs("\nExamples:\n"
          "  kubeharden rbac who-can create pods/exec -n prod cluster-dump.yaml\n"
          "  kubeharden rbac who-can get secrets --name db-pass -n prod rbac/\n"
          "  kubeharden rbac who-can update deployments.apps/scale -A -o json rbac/\n"
          "  kubeharden rbac who-can get --url /metrics rbac/\n"
          "\nExit status: 0 answered; 2 usage error, or an input that could not be read or\n"
          "parsed (the answer from the rest of the input is still printed).\n",
          stdout);
}

/* The request @p r, or with @p all the same in every namespace. */
static int who(kh_rbac *m, kh_rbac_attrs *r, struct who_state *st, bool all)
{
    char desc[1024];
    describe_request(desc, sizeof desc, r);
    if (all) {
        /* "... cluster-wide" reads "... in every namespace" here */
        char *cw = strstr(desc, " cluster-wide");
        if (cw)
            snprintf(cw, sizeof desc - (size_t)(cw - desc), " in every namespace");
    }
    if (st->json) {
        fputs("{\"request\":", st->out);
        json_request(st->out, r);
        fprintf(st->out, ",\"allNamespaces\":%s,\"privilegedGroups\":[\"system:masters\"],"
                         "\"grants\":[", all ? "true" : "false");
    } else {
        const char *head[] = {"KIND", "SUBJECT", "BINDING", "ROLE", "RULE"};
        table_row(&st->t, head);
    }
    int rc = all ? kh_rbac_who_can_all(m, r, who_grant, st) : kh_rbac_who_can(m, r, who_grant, st);
    if (st->json) {
        fputs(st->n ? "\n]}\n" : "]}\n", st->out);
        return rc;
    }
    fprintf(st->out, "%s: %zu subject%s (and group system:masters)\n", desc, st->n,
            st->n == 1 ? "" : "s");
    if (st->n)
        table_print(st->out, &st->t);
    table_free(&st->t);
    return rc ? rc : st->rc;
}

int cmd_rbac_who_can(int argc, char **argv)
{
    struct rbac_args a = {.command = "rbac who-can"};
    kh_cluster *c = NULL;
    kh_rbac *m = NULL;
    int status = cli_parse(a.command, who_options, COUNT(who_options), argc, argv, on_option, &a);
    if (status || a.help) {
        if (a.help)
            who_help();
        goto cleanup;
    }
    kh_rbac_attrs r = {0};
    char store[512];
    size_t used = parse_request(&a, 0, &r, store, sizeof store);
    if (!used) {
        status = CLI_EXIT_ERROR;
        goto cleanup;
    }
    if ((status = load(a.command, a.pos + used, a.npos - used, &c, &m, &a.cluster)))
        goto cleanup;
    struct who_state st = {.out = stdout, .json = a.json, .t = {.ncols = 5}};
    if (a.all && r.resource_request)
        r.namespace_ = "";
    status = who(m, &r, &st, a.all && r.resource_request);
    if (status)
        status = CLI_EXIT_ERROR;
    else if (kh_cluster_errors(c))
        status = CLI_EXIT_ERROR; /* answered, but from part of the input */
cleanup:
    kh_cluster_free(c);
    free_args(&a);
    return status;
}

/* ------------------------------------------------------------- can */

static void can_help(void)
{
    fputs("Usage: kubeharden rbac can SUBJECT [OPTIONS] PATH...\n"
          "       kubeharden rbac can SUBJECT VERB RESOURCE[/SUBRESOURCE] [OPTIONS] PATH...\n"
          "       kubeharden rbac can SUBJECT VERB --url PATH [OPTIONS] PATH...\n\n"
          "What SUBJECT may do under the RBAC objects in PATH: every rule that\n"
          "applies to it (cluster-wide, or in -n NS as well), like 'kubectl auth can-i\n"
          "--list' for anyone; or, given a request, yes or no with the API server's\n"
          "reason. SUBJECT is user:NAME, group:NAME or sa:NAMESPACE/NAME. The groups\n"
          "the API server's authenticators add are added (system:authenticated; for a\n"
          "service account system:serviceaccounts and system:serviceaccounts:NS;\n"
          "system:unauthenticated for user:system:anonymous), after --as-group.\n\n",
          stdout);
    cli_print_options(stdout, can_options, COUNT(can_options));
    fputs("\nExamples:\n"
          "  kubeharden rbac can sa:ci/deployer -n prod cluster-dump.yaml\n"
          "  kubeharden rbac can user:alice --as-group dev create pods/exec -n prod rbac/\n"
          "  kubeharden rbac can group:system:authenticated -A -o json rbac/\n"
          "\nExit status: 0 allowed (or the list was printed), 1 denied, 2 usage error,\n"
          "unreadable or malformed input.\n",
          stdout);
}

/* user:NAME, group:NAME, sa:NS/NAME into @p r (user and given groups). */
static int parse_subject(struct rbac_args *a, const char *s, char *store, size_t size,
                         const char **user, const char **group)
{
    *user = "";
    *group = NULL;
    if (strncmp(s, "user:", 5) == 0 && s[5]) {
        *user = s + 5;
        return 0;
    }
    if (strncmp(s, "group:", 6) == 0 && s[6]) {
        *group = s + 6;
        return 0;
    }
    if (strncmp(s, "sa:", 3) == 0) {
        const char *slash = strchr(s + 3, '/');
        if (slash && slash > s + 3 && slash[1] && !strchr(slash + 1, '/')) {
            snprintf(store, size, "system:serviceaccount:%.*s:%s", (int)(slash - (s + 3)),
                     s + 3, slash + 1);
            *user = store;
            return 0;
        }
    }
    fprintf(stderr, "kubeharden %s: bad subject '%s' (use user:NAME, group:NAME or "
                    "sa:NAMESPACE/NAME)\n", a->command, s);
    return CLI_EXIT_ERROR;
}

struct list_state {
    struct table t;
    FILE *out;
    bool json;
    bool only_ns;               /* skip ClusterRoleBindings (listed already) */
    size_t n;
    int rc;
};

static int list_grant(const kh_rbac_grant_view *g, void *ud)
{
    struct list_state *st = ud;
    if (st->only_ns && !*g->binding_namespace)
        return 0;
    if (st->json) {
        fputs(st->n++ ? ",\n  " : "\n  ", st->out);
        json_grant(st->out, g);
        return 0;
    }
    char verbs[512], groups[512], res[512], names[512], urls[512], binding[512], role[512];
    binding_text(binding, sizeof binding, g);
    snprintf(role, sizeof role, "%s/%s", g->role_kind, g->role_name);
    if (!g->has_rule) {
        const char *cells[] = {"-", "-", "-", "-", "-", binding, g->error ? g->error : ""};
        st->n++;
        return st->rc = table_row(&st->t, cells);
    }
    const char *cells[] = {joined(verbs, sizeof verbs, &g->verbs),
                           joined(groups, sizeof groups, &g->api_groups),
                           joined(res, sizeof res, &g->resources),
                           joined(names, sizeof names, &g->resource_names),
                           joined(urls, sizeof urls, &g->non_resource_urls), binding, role};
    st->n++;
    return st->rc = table_row(&st->t, cells);
}

static int list_in(kh_rbac *m, kh_rbac_attrs *r, struct list_state *st, bool first)
{
    if (st->json) {
        fputs(first ? "{\"namespace\":" : ",\n{\"namespace\":", st->out);
        json_str(st->out, r->namespace_);
        fputs(",\"rules\":[", st->out);
    } else {
        st->t = (struct table){.ncols = 7};
        const char *head[] = {"VERBS", "API-GROUPS", "RESOURCES", "RESOURCE-NAMES",
                              "NON-RESOURCE-URLS", "BINDING", "ROLE"};
        table_row(&st->t, head);
    }
    st->n = 0;
    int rc = kh_rbac_rules_for(m, r, list_grant, st);
    if (st->json) {
        fputs(st->n ? "\n]}" : "]}", st->out);
        return rc;
    }
    if (*r->namespace_)
        fprintf(st->out, "%sin namespace %s%s: %zu rule%s\n", first ? "" : "\n", r->namespace_,
                st->only_ns ? " (RoleBindings)" : "", st->n, st->n == 1 ? "" : "s");
    else
        fprintf(st->out, "%scluster-wide: %zu rule%s\n", first ? "" : "\n", st->n,
                st->n == 1 ? "" : "s");
    if (st->n)
        table_print(st->out, &st->t);
    table_free(&st->t);
    return rc ? rc : st->rc;
}

static int can_list(kh_rbac *m, struct rbac_args *a, kh_rbac_attrs *r)
{
    struct list_state st = {.out = stdout, .json = a->json};
    if (a->json) {
        fputs("{\"user\":", stdout);
        json_str(stdout, r->user);
        fputs(",\"groups\":[", stdout);
        for (size_t i = 0; i < r->ngroups; i++) {
            if (i)
                putc(',', stdout);
            json_str(stdout, r->groups[i]);
        }
        fprintf(stdout, "],\"privileged\":%s,\"scopes\":[\n",
                kh_rbac_privileged(r) ? "true" : "false");
    } else {
        fprintf(stdout, "user '%s', groups", r->user);
        for (size_t i = 0; i < r->ngroups; i++)
            fprintf(stdout, "%s'%s'", i ? ", " : " ", r->groups[i]);
        fputs("\n", stdout);
        if (kh_rbac_privileged(r))
            fputs("system:masters: every request is allowed whatever the rules say\n", stdout);
        fputs("\n", stdout);
    }
    /* -n NS: the rules that apply in NS (cluster-wide ones included), as
     * `kubectl auth can-i --list -n NS`; else the cluster-wide ones, and
     * with -A each namespace's RoleBindings after them. */
    r->namespace_ = a->ns ? a->ns : "";
    int rc = list_in(m, r, &st, true);
    const char *const *nss = NULL;
    size_t nns = 0;
    if (a->all)
        nns = kh_rbac_namespaces(m, &nss);
    st.only_ns = true;
    for (size_t i = 0; !rc && i < nns; i++) {
        if (a->ns && strcmp(a->ns, nss[i]) == 0)
            continue;
        r->namespace_ = nss[i];
        rc = list_in(m, r, &st, false);
    }
    if (a->json)
        fputs("\n]}\n", stdout);
    return rc ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}

static int can_ask(kh_rbac *m, struct rbac_args *a, kh_rbac_attrs *r)
{
    kh_rbac_answer ans;
    kh_error err = {0};
    if (kh_rbac_can(m, r, &ans, &err) != KH_OK) {
        fprintf(stderr, "kubeharden %s: %s\n", a->command, err.message);
        return CLI_EXIT_ERROR;
    }
    if (a->json) {
        fputs("{\"request\":", stdout);
        json_request(stdout, r);
        fputs(",\"user\":", stdout);
        json_str(stdout, r->user);
        fputs(",\"groups\":[", stdout);
        for (size_t i = 0; i < r->ngroups; i++) {
            if (i)
                putc(',', stdout);
            json_str(stdout, r->groups[i]);
        }
        fprintf(stdout, "],\"allowed\":%s,\"privileged\":%s,\"reason\":",
                ans.allowed ? "true" : "false", ans.privileged ? "true" : "false");
        json_str(stdout, ans.reason);
        if (ans.has_grant) {
            fputs(",\"grant\":", stdout);
            json_grant(stdout, &ans.grant);
        }
        fputs("}\n", stdout);
    } else {
        fputs(ans.allowed ? "yes" : "no", stdout);
        if (ans.privileged)
            fputs(" (the user is in system:masters)", stdout);
        if (*ans.reason)
            fprintf(stdout, " - %s", ans.reason);
        fputs("\n", stdout);
        if (ans.has_grant) {
            char where[1024];
            where_text(where, sizeof where, &ans.grant);
            fprintf(stdout, "rule: %s\n", where);
        }
    }
    return ans.allowed ? CLI_EXIT_OK : CLI_EXIT_FINDINGS;
}

int cmd_rbac_can(int argc, char **argv)
{
    struct rbac_args a = {.command = "rbac can"};
    kh_cluster *c = NULL;
    kh_rbac *m = NULL;
    int status = cli_parse(a.command, can_options, COUNT(can_options), argc, argv, on_option, &a);
    if (status || a.help) {
        if (a.help)
            can_help();
        goto cleanup;
    }
    if (a.npos == 0) {
        fprintf(stderr, "kubeharden %s: give SUBJECT (user:NAME, group:NAME or "
                        "sa:NAMESPACE/NAME)\nTry 'kubeharden %s --help'.\n", a.command,
                a.command);
        status = CLI_EXIT_ERROR;
        goto cleanup;
    }
    char userbuf[512], store[512];
    const char *user, *group;
    if ((status = parse_subject(&a, a.pos[0], userbuf, sizeof userbuf, &user, &group)))
        goto cleanup;
    if (group && (status = cli_push(&a.groups, &a.ngroups, group)))
        goto cleanup;
    /* A request follows the subject when it is not an input path: a VERB
     * then a RESOURCE, or a VERB with --url. Inputs must then come after. */
    kh_rbac_attrs r = {0};
    size_t used = 1;
    struct stat sb;
    bool ask = a.url != NULL ||
               (a.npos >= 2 && strcmp(a.pos[1], "-") != 0 && stat(a.pos[1], &sb) != 0);
    if (ask) {
        size_t n = parse_request(&a, 1, &r, store, sizeof store);
        if (!n) {
            status = CLI_EXIT_ERROR;
            goto cleanup;
        }
        used += n;
    }
    if ((status = load(a.command, a.pos + used, a.npos - used, &c, &m, &a.cluster)))
        goto cleanup;
    r.user = user;
    kh_error err = {0};
    if (kh_rbac_user_groups(m, user, a.groups, a.ngroups, &r.groups, &r.ngroups, &err)) {
        fprintf(stderr, "kubeharden %s: %s\n", a.command, err.message);
        status = CLI_EXIT_ERROR;
        goto cleanup;
    }
    status = ask ? can_ask(m, &a, &r) : can_list(m, &a, &r);
    if (status != CLI_EXIT_ERROR && kh_cluster_errors(c))
        status = CLI_EXIT_ERROR; /* answered, but from part of the input */
cleanup:
    kh_cluster_free(c);
    free_args(&a);
    return status;
}

/* ------------------------------------------------------------- review */

static void review_help(void)
{
    fputs("Usage: kubeharden rbac review FILE|- --rbac PATH [--rbac PATH]...\n\n"
          "Answer SubjectAccessReviews (authorization.k8s.io/v1; a YAML or JSON stream,\n"
          "Lists too) as the API server would from the RBAC objects in the --rbac\n"
          "paths: each review is written back as one line of JSON with\n"
          "status.allowed and status.reason set (system:masters, then RBAC; the\n"
          "groups are taken as given, as the API server does). Reviews that are not\n"
          "valid are reported on stderr with their position and skipped.\n\n",
          stdout);
    cli_print_options(stdout, review_options, COUNT(review_options));
    fputs("\nExamples:\n"
          "  kubeharden rbac review questions.yaml --rbac cluster-dump.yaml\n"
          "  kubectl get clusterroles,clusterrolebindings,roles,rolebindings -A -o yaml > rbac.yaml\n"
          "  kubeharden rbac review - --rbac rbac.yaml < reviews.json | jq .status\n"
          "\nExit status: 0 every review answered; 2 usage error, an invalid review, or\n"
          "an input that could not be read or parsed (the other reviews are answered).\n",
          stdout);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!in)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, in);
        n += got;
        if (n < cap) {
            if (ferror(in)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
        }
        buf = bigger;
        cap *= 2;
    }
    if (in != stdin)
        fclose(in);
    *len = n;
    return buf;
}

int cmd_rbac_review(int argc, char **argv)
{
    struct rbac_args a = {.command = "rbac review"};
    kh_cluster *c = NULL;
    kh_rbac *m = NULL;
    int status = cli_parse(a.command, review_options, COUNT(review_options), argc, argv,
                           on_option, &a);
    if (status || a.help) {
        if (a.help)
            review_help();
        goto cleanup;
    }
    if (a.npos == 0) {
        fprintf(stderr, "kubeharden %s: give the reviews (FILE or - for stdin)\n"
                        "Try 'kubeharden %s --help'.\n", a.command, a.command);
        status = CLI_EXIT_ERROR;
        goto cleanup;
    }
    for (size_t i = 0; i < a.nrbac; i++)
        for (size_t j = 0; j < a.npos; j++)
            if (strcmp(a.rbac[i], "-") == 0 && strcmp(a.pos[j], "-") == 0) {
                fprintf(stderr, "kubeharden %s: stdin ('-') cannot hold both the reviews "
                                "and the RBAC objects\n", a.command);
                status = CLI_EXIT_ERROR;
                goto cleanup;
            }
    if ((status = load(a.command, a.rbac, a.nrbac, &c, &m, &a.cluster)))
        goto cleanup;
    size_t bad = 0; /* reviews that could not be answered */
    for (size_t i = 0; i < a.npos; i++) {
        size_t len = 0;
        char *buf = read_all(a.pos[i], &len);
        const char *name = strcmp(a.pos[i], "-") == 0 ? "<stdin>" : a.pos[i];
        if (!buf) {
            fprintf(stderr, "kubeharden %s: cannot read '%s'\n", a.command, a.pos[i]);
            status = CLI_EXIT_ERROR;
            continue;
        }
        kh_error err = {0};
        int rc = kh_rbac_review_buffer(m, buf, len, name, stdout, on_input_error, &bad, NULL,
                                       NULL, &err);
        if (rc) {
            char msg[512];
            kh_error_format(&err, msg, sizeof(msg));
            fprintf(stderr, "kubeharden %s: %s\n", a.command, msg);
            status = CLI_EXIT_ERROR;
        }
        free(buf);
    }
    if (bad || kh_cluster_errors(c))
        status = CLI_EXIT_ERROR;
cleanup:
    kh_cluster_free(c);
    free_args(&a);
    return status;
}
