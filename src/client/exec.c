/*
 * exec.c -- exec credential plugins (client.authentication.k8s.io v1 and
 * v1beta1), as client-go's plugin/pkg/client/auth/exec runs them.
 *
 * The plugin runs with our environment plus its `env:` entries and
 * KUBERNETES_EXEC_INFO (an ExecCredential whose spec says whether it may
 * talk to the user, and carries the cluster when provideClusterInfo is
 * set). interactiveMode decides its stdin: Never gets none, IfAvailable
 * gets ours when it is a terminal, Always refuses to run without one. It
 * prints an ExecCredential whose status holds a token or a PEM certificate
 * and key, and an expirationTimestamp until which the caller caches it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/internal.h"
#include "core/file.h"

extern char **environ;

#define V1 "client.authentication.k8s.io/v1"
#define V1BETA1 "client.authentication.k8s.io/v1beta1"
#define MAX_OUTPUT (1u << 20)

void kh_exec_cred__free(kh_exec_cred *c)
{
    if (!c)
        return;
    free(c->token);
    free(c->cert_pem);
    free(c->key_pem);
    memset(c, 0, sizeof(*c));
}

/* RFC 3339 as Go's time.Time JSON decoding reads it: date T time,
 * optional fraction, Z or an offset. @return 0 or -1. */
static int parse_rfc3339(const char *s, time_t *out)
{
    struct tm tm = {0};
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
        return -1;
    const char *p = s + n;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    long offset = 0;
    if (*p == 'Z' && p[1] == '\0') {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        offset = (hh * 60L + mm) * 60L * (*p == '-' ? -1 : 1);
    } else {
        return -1;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = timegm(&tm) - offset;
    return 0;
}

static const char *sfield(const kh_node *map, const char *key)
{
    const kh_node *v = kh_node_get(map, key);
    return v && v->type == KH_NODE_STRING ? v->u.text : NULL;
}

int kh_exec__parse(const char *api_version, const char *buf, size_t len, kh_exec_cred *out,
                   kh_error *err)
{
    memset(out, 0, sizeof(*out));
    kh_arena a;
    kh_arena_init(&a, 4096);
    const kh_node *root = NULL;
    int rc = kh_doc_load_buffer(&root, &a, buf, len, "<exec plugin output>", err);
    if (rc) {
        rc = kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                          "exec plugin: decoding stdout: %s", err ? err->message : "bad JSON");
        goto done;
    }
    const char *kind = sfield(root, "kind"), *av = sfield(root, "apiVersion");
    if (!kind || strcmp(kind, "ExecCredential") != 0) {
        rc = kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                          "exec plugin: decoding stdout: kind is '%s', not 'ExecCredential'",
                          kind ? kind : "");
        goto done;
    }
    if (!av || strcmp(av, api_version) != 0) {
        rc = kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                          "exec plugin is configured to use API version '%s', plugin "
                          "returned version '%s'", api_version, av ? av : "");
        goto done;
    }
    const kh_node *status = kh_node_get(root, "status");
    if (!kh_node_is_map(status)) {
        rc = kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                          "exec plugin didn't return a status field");
        goto done;
    }
    const char *token = sfield(status, "token");
    const char *cert = sfield(status, "clientCertificateData");
    const char *key = sfield(status, "clientKeyData");
    const char *exp = sfield(status, "expirationTimestamp");
    bool has_cert = cert && *cert, has_key = key && *key;
    if (!(token && *token) && !has_cert && !has_key) {
        rc = kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                          "exec plugin didn't return a token or cert/key pair");
        goto done;
    }
    if (has_cert != has_key) {
        rc = kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                          "exec plugin returned only %s",
                          has_cert ? "clientCertificateData" : "clientKeyData");
        goto done;
    }
    if (exp && *exp && parse_rfc3339(exp, &out->expires)) {
        rc = kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                          "exec plugin: bad expirationTimestamp '%s'", exp);
        goto done;
    }
    if (token && *token && !(out->token = strdup(token)))
        rc = KH_ENOMEM;
    if (has_cert && (!(out->cert_pem = strdup(cert)) || !(out->key_pem = strdup(key))))
        rc = KH_ENOMEM;
    if (rc) {
        kh_exec_cred__free(out);
        kh_error_set(err, rc, NULL, 0, 0, "out of memory");
    }
done:
    kh_arena_free(&a);
    return rc;
}

/* ------------------------------------------------------ KUBERNETES_EXEC_INFO */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *bigger = realloc(b->p, cap);
        if (!bigger) {
            b->oom = true;
            return;
        }
        b->p = bigger;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void put_json_str(sbuf *b, const char *s)
{
    put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(b, esc, 6);
        } else {
            put(b, (const char *)&c, 1);
        }
    }
    put(b, "\"", 1);
}

static void put_base64(sbuf *b, const char *data, size_t len)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    put(b, "\"", 1);
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned char)data[i] << 16;
        if (i + 1 < len)
            v |= (unsigned char)data[i + 1] << 8;
        if (i + 2 < len)
            v |= (unsigned char)data[i + 2];
        char q[4] = {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63],
                     i + 1 < len ? tbl[(v >> 6) & 63] : '=', i + 2 < len ? tbl[v & 63] : '='};
        put(b, q, 4);
    }
    put(b, "\"", 1);
}

/* The ExecCredential the plugin finds in KUBERNETES_EXEC_INFO. */
static char *exec_info(const kh_exec_config *ec, const kh_rest_config *rc, bool interactive)
{
    sbuf b = {0};
    puts_(&b, "{\"kind\":\"ExecCredential\",\"apiVersion\":");
    put_json_str(&b, ec->api_version);
    puts_(&b, ",\"spec\":{");
    if (ec->provide_cluster_info) {
        puts_(&b, "\"cluster\":{\"server\":");
        put_json_str(&b, rc->server);
        if (rc->tls_server_name) {
            puts_(&b, ",\"tls-server-name\":");
            put_json_str(&b, rc->tls_server_name);
        }
        if (rc->insecure)
            puts_(&b, ",\"insecure-skip-tls-verify\":true");
        char *ca = NULL;
        size_t ca_len = 0;
        if (rc->ca_data) {
            puts_(&b, ",\"certificate-authority-data\":");
            put_base64(&b, rc->ca_data, rc->ca_data_len);
        } else if (rc->ca_file &&
                   kh_file__read(rc->ca_file, "CA", 1 << 20, &ca, &ca_len, NULL) == 0) {
            puts_(&b, ",\"certificate-authority-data\":");
            put_base64(&b, ca, ca_len);
        }
        free(ca);
        if (rc->proxy_url) {
            puts_(&b, ",\"proxy-url\":");
            put_json_str(&b, rc->proxy_url);
        }
        puts_(&b, "},");
    }
    puts_(&b, interactive ? "\"interactive\":true}}" : "\"interactive\":false}}");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* ---------------------------------------------------------------- running */

int kh_exec__run(const kh_exec_config *ec, const kh_rest_config *rc, bool stdin_tty,
                 kh_exec_cred *out, kh_error *err)
{
    const char *av = ec->api_version ? ec->api_version : "";
    if (strcmp(av, V1) != 0 && strcmp(av, V1BETA1) != 0)
        return kh_error_set(err, KH_ECONFIG, NULL, 0, 0,
                            "exec plugin: invalid apiVersion '%s' (use %s or %s)", av, V1,
                            V1BETA1);
    /* v1 requires interactiveMode; v1beta1 defaults to IfAvailable. */
    const char *mode = ec->interactive_mode;
    if (!mode && strcmp(av, V1) == 0)
        return kh_error_set(err, KH_ECONFIG, NULL, 0, 0,
                            "exec plugin: interactiveMode must be specified for %s to use "
                            "exec authentication plugin", av);
    if (!mode)
        mode = "IfAvailable";
    bool interactive;
    if (strcmp(mode, "Never") == 0)
        interactive = false;
    else if (strcmp(mode, "IfAvailable") == 0)
        interactive = stdin_tty;
    else if (strcmp(mode, "Always") == 0) {
        if (!stdin_tty)
            return kh_error_set(err, KH_ECONFIG, NULL, 0, 0,
                                "exec plugin cannot support interactive mode: standard input "
                                "is not a terminal (interactiveMode Always)");
        interactive = true;
    } else
        return kh_error_set(err, KH_ECONFIG, NULL, 0, 0,
                            "exec plugin: invalid interactiveMode '%s' (use Never, "
                            "IfAvailable or Always)", mode);

    char *info = exec_info(ec, rc, interactive);
    size_t nenv = 0;
    while (environ[nenv])
        nenv++;
    char **envp = calloc(nenv + ec->nenv + 2, sizeof(char *));
    char **argv = calloc(ec->nargs + 2, sizeof(char *));
    char *info_var = info ? malloc(strlen(info) + 32) : NULL;
    int fds[2] = {-1, -1};
    int rcode = 0;
    size_t ne = 0, ninherited = 0;
    if (!envp || !argv || !info_var) {
        rcode = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    /* The plugin's env entries override ours; KUBERNETES_EXEC_INFO is last. */
    for (size_t i = 0; i < nenv; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t klen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        bool overridden = klen == 20 && strncmp(environ[i], "KUBERNETES_EXEC_INFO", 20) == 0;
        for (size_t j = 0; j < ec->nenv && !overridden; j++)
            overridden = strlen(ec->env[2 * j]) == klen &&
                         strncmp(environ[i], ec->env[2 * j], klen) == 0;
        if (!overridden)
            envp[ne++] = environ[i];
    }
    ninherited = ne;
    for (size_t j = 0; j < ec->nenv; j++) {
        char *kv = malloc(strlen(ec->env[2 * j]) + strlen(ec->env[2 * j + 1]) + 2);
        if (!kv) {
            rcode = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
            goto done;
        }
        sprintf(kv, "%s=%s", ec->env[2 * j], ec->env[2 * j + 1]);
        envp[ne++] = kv;
    }
    sprintf(info_var, "KUBERNETES_EXEC_INFO=%s", info);
    envp[ne] = info_var;
    argv[0] = (char *)ec->command;
    for (size_t i = 0; i < ec->nargs; i++)
        argv[i + 1] = (char *)ec->args[i];

    if (pipe(fds) != 0) {
        rcode = kh_error_set(err, KH_EIO, NULL, 0, 0, "exec plugin: pipe: %s", strerror(errno));
        goto done;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        rcode = kh_error_set(err, KH_EIO, NULL, 0, 0, "exec plugin: fork: %s", strerror(errno));
        goto done;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (!interactive) {
            int devnull = open("/dev/null", O_RDONLY);
            if (devnull >= 0) {
                dup2(devnull, STDIN_FILENO);
                close(devnull);
            }
        }
        environ = envp;
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    fds[1] = -1;
    sbuf output = {0};
    char chunk[4096];
    for (;;) {
        ssize_t r = read(fds[0], chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (output.n + (size_t)r <= MAX_OUTPUT)
            put(&output, chunk, (size_t)r);
    }
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
        if (code == 127 && ec->install_hint)
            rcode = kh_error_set(err, KH_EIO, NULL, 0, 0,
                                 "exec plugin '%s' could not run: %s", ec->command,
                                 ec->install_hint);
        else
            rcode = kh_error_set(err, KH_EIO, NULL, 0, 0,
                                 "exec plugin '%s' failed with exit status %d", ec->command,
                                 code);
    } else if (output.oom) {
        rcode = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    } else {
        rcode = kh_exec__parse(av, output.p ? output.p : "", output.n, out, err);
    }
    free(output.p);
done:
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    for (size_t i = ninherited; envp && i < ne; i++)
        free(envp[i]);
    free(envp);
    free(argv);
    free(info_var);
    free(info);
    return rcode;
}
