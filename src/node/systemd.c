/*
 * systemd.c -- the kubelet's command line from its systemd unit, for a node
 * whose kubelet is not running (an offline image under --root).
 *
 * The unit is the first kubelet.service of /etc/systemd/system,
 * /run/systemd/system, /usr/lib/systemd/system and /lib/systemd/system;
 * its drop-ins are kubelet.service.d/NAME.conf of those directories, one per
 * file name (the earlier directory wins), applied in name order after the
 * unit, as systemd does. In [Service]: Environment= assignments (later
 * ones win), EnvironmentFile= files (read as the service starts; "-" means
 * optional; their values override Environment=), and ExecStart= (an empty
 * one resets the list; the last one runs). In ExecStart, "$VAR" expands to
 * the variable's words, "${VAR}" to one word, as systemd.service(5) says.
 * The argv words keep the unit file and line they come from.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "node/audit.h"

static const char *const unit_dirs[] = {"/etc/systemd/system", "/run/systemd/system",
                                        "/usr/lib/systemd/system", "/lib/systemd/system", NULL};

typedef struct var {
    const char *name, *value, *file;
    unsigned line;
} var;

typedef struct unit_state {
    var *env;               /* Environment= */
    size_t nenv;
    var *fenv;              /* from EnvironmentFile= (wins over env) */
    size_t nfenv;
    const char *exec, *exec_file;
    unsigned exec_line;
} unit_state;

static void set_var(kh_nd_ctx *c, var **vars, size_t *n, const char *name, size_t nlen,
                    const char *value, const char *file, unsigned line)
{
    var *v = NULL;
    for (size_t i = 0; i < *n; i++)
        if (strlen((*vars)[i].name) == nlen && strncmp((*vars)[i].name, name, nlen) == 0)
            v = &(*vars)[i];
    if (!v && !(v = kh_array__push(c->arena, vars, n, sizeof(*v))))
        return;
    v->name = kh_arena_strndup(c->arena, name, nlen);
    v->value = value;
    v->file = file;
    v->line = line;
}

/* Next word of @p s, honouring double and single quotes; NULL at the end. */
static char *word(kh_nd_ctx *c, const char **s)
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return NULL;
    char *out = kh_arena_alloc(c->arena, strlen(p) + 1);
    size_t n = 0;
    char quote = 0;
    for (; *p && (quote || (*p != ' ' && *p != '\t')); p++) {
        if (!quote && (*p == '"' || *p == '\'')) {
            quote = *p;
            continue;
        }
        if (quote && *p == quote) {
            quote = 0;
            continue;
        }
        if (*p == '\\' && p[1]) {
            out[n++] = *++p;
            continue;
        }
        out[n++] = *p;
    }
    out[n] = '\0';
    *s = p;
    return out;
}

static void environment(kh_nd_ctx *c, unit_state *u, const char *value, const char *file,
                        unsigned line)
{
    const char *p = value;
    char *w;
    while ((w = word(c, &p))) {
        char *eq = strchr(w, '=');
        if (eq)
            set_var(c, &u->env, &u->nenv, w, (size_t)(eq - w), eq + 1, file, line);
    }
}

static void environment_file(kh_nd_ctx *c, unit_state *u, const char *value)
{
    const char *path = value[0] == '-' ? value + 1 : value;
    char *text = kh_nd__read(c, path, 1 << 20, NULL);
    unsigned line = 0;
    for (char *p = text; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line++;
        while (*p == ' ' || *p == '\t')
            p++;
        char *eq = strchr(p, '=');
        if (*p && *p != '#' && *p != ';' && eq) {
            const char *v = eq + 1;
            size_t vl = strlen(v);
            if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0])
                v = kh_arena_strndup(c->arena, v + 1, vl - 2);
            size_t nl2 = (size_t)(eq - p);
            while (nl2 && (p[nl2 - 1] == ' ' || p[nl2 - 1] == '\t'))
                nl2--;
            set_var(c, &u->fenv, &u->nfenv, p, nl2, v, kh_arena_strdup(c->arena, path), line);
        }
        p = nl ? nl + 1 : NULL;
    }
}

static void read_unit(kh_nd_ctx *c, unit_state *u, const char *file)
{
    char *text = kh_nd__read(c, file, 1 << 20, NULL);
    bool service = false;
    unsigned line = 0;
    for (char *p = text; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '[')
            service = strncmp(p, "[Service]", 9) == 0;
        else if (service && strncmp(p, "Environment=", 12) == 0)
            environment(c, u, p + 12, file, line);
        else if (service && strncmp(p, "EnvironmentFile=", 16) == 0)
            environment_file(c, u, p + 16);
        else if (service && strncmp(p, "ExecStart=", 10) == 0) {
            const char *cmd = p + 10;
            while (*cmd == '-' || *cmd == '@' || *cmd == ':' || *cmd == '+' || *cmd == '!')
                cmd++;      /* systemd's prefixes */
            u->exec = *cmd ? kh_arena_strdup(c->arena, cmd) : NULL;
            u->exec_file = file;
            u->exec_line = line;
        }
        p = nl ? nl + 1 : NULL;
    }
}

static const var *lookup(const unit_state *u, const char *name, size_t len)
{
    for (size_t i = 0; i < u->nfenv; i++)
        if (strlen(u->fenv[i].name) == len && strncmp(u->fenv[i].name, name, len) == 0)
            return &u->fenv[i];
    for (size_t i = 0; i < u->nenv; i++)
        if (strlen(u->env[i].name) == len && strncmp(u->env[i].name, name, len) == 0)
            return &u->env[i];
    return NULL;
}

static void push_word(kh_nd_ctx *c, kh_nd_comp *k, const char *text, const char *file,
                      unsigned line)
{
    kh_nd_word *w = kh_array__push(c->arena, &k->argv, &k->argc, sizeof(*w));
    if (w) {
        w->text = text;
        w->file = file;
        w->line = line;
    }
}

static int by_base(const void *a, const void *b)
{
    const char *x = strrchr(*(char *const *)a, '/'), *y = strrchr(*(char *const *)b, '/');
    return strcmp(x, y);
}

void kh_nd__kubelet_from_systemd(kh_nd_ctx *c)
{
    const char *unit = NULL;
    for (size_t i = 0; !unit && unit_dirs[i]; i++) {
        const char *p = kh_arena_printf(c->arena, "%s/kubelet.service", unit_dirs[i]);
        struct stat st;
        if (kh_nd__stat(c, p, &st, false) == 0 && S_ISREG(st.st_mode))
            unit = p;
    }
    char **drops = NULL;
    size_t ndrops = 0;
    for (size_t i = 0; unit_dirs[i]; i++) {
        const char *dir = kh_arena_printf(c->arena, "%s/kubelet.service.d", unit_dirs[i]);
        const char *host = kh_nd__path(c, dir, false);
        DIR *d = host ? opendir(host) : NULL;
        struct dirent *e;
        while (d && (e = readdir(d))) {
            size_t len = strlen(e->d_name);
            if (len <= 5 || strcmp(e->d_name + len - 5, ".conf") != 0)
                continue;
            bool seen = false;  /* /etc masks the same name in /usr/lib */
            for (size_t j = 0; j < ndrops && !seen; j++)
                seen = strcmp(strrchr(drops[j], '/') + 1, e->d_name) == 0;
            char **slot = seen ? NULL : kh_array__push(c->arena, &drops, &ndrops, sizeof(*slot));
            if (slot)
                *slot = kh_arena_printf(c->arena, "%s/%s", dir, e->d_name);
        }
        if (d)
            closedir(d);
    }
    if (!unit && !ndrops)
        return;
    if (ndrops)
        qsort(drops, ndrops, sizeof(*drops), by_base);
    unit_state u = {0};
    if (unit)
        read_unit(c, &u, unit);
    for (size_t i = 0; i < ndrops; i++)
        read_unit(c, &u, drops[i]);
    if (!u.exec)
        return;
    kh_nd_comp *k = kh_array__push(c->arena, &c->comps, &c->ncomps, sizeof(*k));
    if (!k)
        return;
    k->kind = KH_ND_KUBELET;
    k->name = kh_nd__comp_name(KH_ND_KUBELET);
    k->uid = -1;
    k->cmdline = u.exec_file;  /* evidence: the unit that starts it */
    const char *p = u.exec;
    char *w;
    while ((w = word(c, &p))) {
        if (w[0] != '$' || !w[1]) {
            push_word(c, k, w, u.exec_file, u.exec_line);
            continue;
        }
        bool braced = w[1] == '{';
        const char *name = w + 1 + braced;
        size_t len = braced && strchr(name, '}') ? (size_t)(strchr(name, '}') - name)
                                                 : strlen(name);
        const var *v = lookup(&u, name, len);
        if (!v)
            continue;   /* unset: no words */
        if (braced) {
            push_word(c, k, v->value, v->file, v->line);
            continue;
        }
        const char *q = v->value;
        char *vw;
        while ((vw = word(c, &q)))
            push_word(c, k, vw, v->file, v->line);
    }
    if (!k->argc) {
        c->ncomps--;
        return;
    }
}
