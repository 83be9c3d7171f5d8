/*
 * http.c -- GET requests to the API server through one reused libcurl
 * easy handle (one kept-alive connection).
 *
 * Credentials are applied per request: a token file is re-read when it
 * changes (projected service-account tokens rotate), an exec plugin's
 * credential is cached until its expirationTimestamp and fetched again on
 * a 401. In-memory PEM (kubeconfig *-data, plugin certificates) reaches
 * GnuTLS through memfd files, never the disk. 429 and 5xx answers and
 * transport errors are retried with exponential backoff and jitter,
 * honouring Retry-After; a breaker stops all requests for a while once the
 * server has failed many attempts in a row.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/internal.h"
#include "core/file.h"

#define MAX_BODY ((size_t)1 << 30)
#define MAX_RETRIES 5
#define BREAKER_THRESHOLD 10
#define BREAKER_COOLDOWN_S 30
#define RETRY_AFTER_MAX_S 60

struct kh_http {
    CURL *curl;
    kh_rest_config *rc;
    FILE *warnings;
    char *body;
    size_t len, cap;
    bool body_too_big;
    long retry_after;           /* seconds from the last response, -1 when absent */
    /* Credentials. */
    int ca_fd, cert_fd, key_fd;
    char *file_token;           /* the token file's content, trimmed */
    struct timespec token_mtime;
    off_t token_size;
    ino_t token_ino;
    dev_t token_dev;
    bool token_stale;           /* the file changed but could not be read again */
    kh_exec_cred cred;
    bool have_cred;
    /* Retry policy and breaker. */
    long base_ms, max_ms;
    unsigned failures;          /* consecutive failed attempts */
    time_t open_until;
    char last_failure[160];
    char url_base[512];         /* scheme://host:port the URL is built on */
    struct curl_slist *resolve;
    unsigned seed;
    const char *accept;         /* NULL: application/json */
};

void kh_http__set_accept(kh_http *h, const char *accept)
{
    h->accept = accept;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    kh_http *h = ud;
    size_t add = size * n;
    if (h->len + add + 1 > h->cap) {
        size_t cap = h->cap ? h->cap : 65536;
        while (cap < h->len + add + 1)
            cap *= 2;
        if (cap > MAX_BODY) {
            h->body_too_big = true;
            return 0;
        }
        char *bigger = realloc(h->body, cap);
        if (!bigger)
            return 0;
        h->body = bigger;
        h->cap = cap;
    }
    memcpy(h->body + h->len, data, add);
    h->len += add;
    h->body[h->len] = '\0';
    return add;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    kh_http *h = ud;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        /* Delay-seconds only: the API server never sends an HTTP date. */
        char *end = NULL;
        long v = strtol(data + sizeof(name) - 1, &end, 10);
        if (end != data + sizeof(name) - 1 && v >= 0)
            h->retry_after = v > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : v;
    }
    return len;
}

/* A memfd holding @p data, for libcurl options that only take file names. */
static int memfd_of(const char *what, const char *data, size_t len, kh_error *err)
{
    int fd = memfd_create(what, MFD_CLOEXEC);
    if (fd < 0) {
        kh_error_set(err, KH_EIO, NULL, 0, 0, "memfd_create: %s", strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            kh_error_set(err, KH_EIO, NULL, 0, 0, "writing %s: %s", what, strerror(errno));
            return -1;
        }
        off += (size_t)w;
    }
    return fd;
}

static void fd_path(char *buf, size_t size, int fd)
{
    snprintf(buf, size, "/proc/self/fd/%d", fd);
}

static int set_client_cert(kh_http *h, const char *cert, size_t cert_len, const char *key,
                           size_t key_len, kh_error *err)
{
    if (h->cert_fd >= 0)
        close(h->cert_fd);
    if (h->key_fd >= 0)
        close(h->key_fd);
    h->cert_fd = memfd_of("kubeharden-cert", cert, cert_len, err);
    h->key_fd = h->cert_fd < 0 ? -1 : memfd_of("kubeharden-key", key, key_len, err);
    if (h->key_fd < 0)
        return KH_EIO;
    char path[64];
    fd_path(path, sizeof(path), h->cert_fd);
    curl_easy_setopt(h->curl, CURLOPT_SSLCERT, path);
    fd_path(path, sizeof(path), h->key_fd);
    curl_easy_setopt(h->curl, CURLOPT_SSLKEY, path);
    return 0;
}

/* The part of a server URL after the scheme, split into host and port. */
static int split_server(const char *server, char *host, size_t hsize, long *port,
                        const char **scheme_end)
{
    const char *p = strstr(server, "://");
    if (!p)
        return -1;
    *scheme_end = p;
    p += 3;
    const char *end = p + strcspn(p, "/");
    const char *colon = NULL;
    if (*p == '[') {
        const char *close_ = memchr(p, ']', (size_t)(end - p));
        if (!close_)
            return -1;
        colon = close_[1] == ':' ? close_ + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
    }
    size_t hl = (size_t)((colon ? colon : end) - p);
    if (hl == 0 || hl >= hsize)
        return -1;
    memcpy(host, p, hl);
    host[hl] = '\0';
    *port = colon ? strtol(colon + 1, NULL, 10) : (strncmp(server, "http://", 7) == 0 ? 80 : 443);
    return 0;
}

int kh_http__new(kh_http **out, kh_rest_config *rc, long timeout_ms, FILE *warnings,
                 kh_error *err)
{
    *out = NULL;
    static bool global_done = false;
    if (!global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return kh_error_set(err, KH_EIO, NULL, 0, 0, "libcurl could not start");
        global_done = true;
    }
    kh_http *h = calloc(1, sizeof(*h));
    if (!h)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    h->ca_fd = h->cert_fd = h->key_fd = -1;
    h->rc = rc;
    h->warnings = warnings ? warnings : stderr;
    h->base_ms = 250;
    h->max_ms = 8000;
    h->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    h->curl = curl_easy_init();
    if (!h->curl) {
        free(h);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "libcurl could not start");
    }
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kubeharden/" KH_VERSION " (linux)");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 60000L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (!rc->disable_compression)
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    if (rc->proxy_url)
        curl_easy_setopt(c, CURLOPT_PROXY, rc->proxy_url);
    int r = 0;
    char path[64];
    if (rc->insecure) {
        fprintf(h->warnings,
                "kubeharden: WARNING: insecure-skip-tls-verify is set for %s: the API "
                "server's certificate is NOT verified, so anyone on the network path can "
                "impersonate it and read the credentials sent to it\n", rc->server);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (rc->ca_data) {
        if ((h->ca_fd = memfd_of("kubeharden-ca", rc->ca_data, rc->ca_data_len, err)) < 0) {
            r = KH_EIO;
            goto fail;
        }
        fd_path(path, sizeof(path), h->ca_fd);
        curl_easy_setopt(c, CURLOPT_CAINFO, path);
    } else if (rc->ca_file) {
        curl_easy_setopt(c, CURLOPT_CAINFO, rc->ca_file);
    }
    /* The cluster's CA is the only root, as client-go makes it (RootCAs is
     * that pool alone): libcurl would also trust its built-in directory
     * (/etc/ssl/certs on Debian), so that any public CA could vouch for
     * the API server (and loading that directory costs 3 MiB). */
    if (!rc->insecure && (rc->ca_data || rc->ca_file))
        curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    if (rc->cert_data && (r = set_client_cert(h, rc->cert_data, rc->cert_data_len,
                                              rc->key_data, rc->key_data_len, err)))
        goto fail;
    if (!rc->cert_data && rc->cert_file) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, rc->cert_file);
        curl_easy_setopt(c, CURLOPT_SSLKEY, rc->key_file);
    }
    if (rc->username && !rc->token && !rc->token_file && !rc->exec) {
        curl_easy_setopt(c, CURLOPT_USERNAME, rc->username);
        curl_easy_setopt(c, CURLOPT_PASSWORD, rc->password ? rc->password : "");
    }
    snprintf(h->url_base, sizeof(h->url_base), "%s", rc->server);
    if (rc->tls_server_name) {
        /* Verify (and send SNI for) tls-server-name while connecting to the
         * server's own address: the URL names tls-server-name and
         * CONNECT_TO sends its connection to the real host. */
        char host[256];
        long port = 0;
        const char *scheme_end = NULL;
        if (split_server(rc->server, host, sizeof(host), &port, &scheme_end) != 0) {
            r = kh_error_set(err, KH_ECONFIG, NULL, 0, 0, "bad server URL '%s'", rc->server);
            goto fail;
        }
        char map[600];
        snprintf(map, sizeof(map), "%s:%ld:%s:%ld", rc->tls_server_name, port, host, port);
        h->resolve = curl_slist_append(NULL, map);
        curl_easy_setopt(c, CURLOPT_CONNECT_TO, h->resolve);
        snprintf(h->url_base, sizeof(h->url_base), "%.*s://%s:%ld",
                 (int)(scheme_end - rc->server), rc->server, rc->tls_server_name, port);
    }
    *out = h;
    return 0;
fail:
    kh_http__free(h);
    return r;
}

void kh_http__free(kh_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->resolve);
    if (h->ca_fd >= 0)
        close(h->ca_fd);
    if (h->cert_fd >= 0)
        close(h->cert_fd);
    if (h->key_fd >= 0)
        close(h->key_fd);
    free(h->file_token);
    kh_exec_cred__free(&h->cred);
    free(h->body);
    free(h);
}

static bool is_go_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The token file's content, re-read whenever the file changed: a stat
 * before each request compares its modification time, size and inode (the
 * kubelet refreshes a projected token by swapping a symlink to a new file).
 * As client-go's cached file token source: trimmed, an empty token is an
 * error, and once a token was read, a file that cannot be read again keeps
 * the last token (with a warning) rather than failing the scan. */
static const char *file_token(kh_http *h, kh_error *err)
{
    struct stat st;
    const char *path = h->rc->token_file;
    kh_error rerr = {0};
    char *buf = NULL;
    size_t len = 0;
    if (stat(path, &st) != 0) {
        kh_error_set(&rerr, KH_EIO, path, 0, 0, "cannot read token file: %s", strerror(errno));
        goto failed;
    }
    if (h->file_token && st.st_mtim.tv_sec == h->token_mtime.tv_sec &&
        st.st_mtim.tv_nsec == h->token_mtime.tv_nsec && st.st_size == h->token_size &&
        st.st_ino == h->token_ino && st.st_dev == h->token_dev)
        return h->file_token;
    if (kh_file__read(path, "token file", 1 << 20, &buf, &len, &rerr))
        goto failed;
    size_t s = 0;
    while (s < len && is_go_space(buf[s]))
        s++;
    while (len > s && is_go_space(buf[len - 1]))
        len--;
    memmove(buf, buf + s, len - s);
    buf[len - s] = '\0';
    if (!*buf) {
        free(buf);
        kh_error_set(&rerr, KH_EIO, path, 0, 0, "read empty token from file '%s'", path);
        goto failed;
    }
    free(h->file_token);
    h->file_token = buf;
    h->token_stale = false;
    h->token_mtime = st.st_mtim;
    h->token_size = st.st_size;
    h->token_ino = st.st_ino;
    h->token_dev = st.st_dev;
    return buf;
failed:
    if (!h->file_token) {
        if (err)
            *err = rerr;
        return NULL;
    }
    if (!h->token_stale) /* once, not on every request */
        fprintf(h->warnings, "kubeharden: warning: unable to rotate token: %s\n", rerr.message);
    h->token_stale = true;
    return h->file_token;
}

/* The bearer token for the next request (NULL: none), running the exec
 * plugin when its cached credential is missing or expired. */
static int credentials(kh_http *h, const char **token, bool *fresh_conn, kh_error *err)
{
    *token = NULL;
    kh_rest_config *rc = h->rc;
    if (rc->exec) {
        time_t now = time(NULL);
        if (h->have_cred && h->cred.expires && now >= h->cred.expires) {
            kh_exec_cred__free(&h->cred);
            h->have_cred = false;
        }
        if (!h->have_cred) {
            int r = kh_exec__run(rc->exec, rc, isatty(STDIN_FILENO), &h->cred, err);
            if (r)
                return r;
            h->have_cred = true;
            if (h->cred.cert_pem) {
                r = set_client_cert(h, h->cred.cert_pem, strlen(h->cred.cert_pem),
                                    h->cred.key_pem, strlen(h->cred.key_pem), err);
                if (r)
                    return r;
                *fresh_conn = true;     /* a new certificate needs a new handshake */
            }
        }
        if (h->cred.token) {
            *token = h->cred.token;
            return 0;
        }
    }
    if (rc->token_file) {
        /* A token file wins over an inline token, as client-go's cached
         * file token source does once it is set. */
        *token = file_token(h, err);
        return *token ? 0 : KH_EIO;
    }
    *token = rc->token;
    return 0;
}

static bool transient(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_RESOLVE_HOST:
        return true;
    default:
        return false;
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int kh_http__get(kh_http *h, const char *path, int max_retries, kh_http_resp *resp,
                 kh_error *err)
{
    return kh_http__send(h, "GET", path, NULL, NULL, 0, max_retries, resp, err);
}

int kh_http__send(kh_http *h, const char *method, const char *path, const char *content_type,
                  const char *body, size_t body_len, int max_retries, kh_http_resp *resp,
                  kh_error *err)
{
    if (max_retries < 0)
        max_retries = MAX_RETRIES;
    memset(resp, 0, sizeof(*resp));
    size_t ulen = strlen(h->url_base) + strlen(path) + 1;
    char *url = malloc(ulen);
    if (!url)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    snprintf(url, ulen, "%s%s", h->url_base, path);
    int rcode = 0;
    bool reauthed = false;
    for (int attempt = 0;; attempt++) {
        time_t now = time(NULL);
        if (h->failures >= BREAKER_THRESHOLD && now < h->open_until) {
            rcode = kh_error_set(err, KH_EIO, NULL, 0, 0,
                                 "%s %s: not sent: the API server failed %u requests in a "
                                 "row (last: %s); waiting %lds before trying it again",
                                 method, path, h->failures, h->last_failure,
                                 (long)(h->open_until - now));
            break;
        }
        const char *token = NULL;
        bool fresh = false;
        if ((rcode = credentials(h, &token, &fresh, err)))
            break;
        char accept[256];
        snprintf(accept, sizeof(accept), "Accept: %s", h->accept ? h->accept : "application/json");
        struct curl_slist *headers = curl_slist_append(NULL, accept);
        if (content_type) {
            char ct[128];
            snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
            headers = curl_slist_append(headers, ct);
        }
        char *auth = NULL;
        if (token) {
            auth = malloc(strlen(token) + 32);
            if (auth) {
                sprintf(auth, "Authorization: Bearer %s", token);
                headers = curl_slist_append(headers, auth);
            }
        }
        if (h->rc->tls_server_name) {
            /* The Host header names the server, not tls-server-name. */
            char host[300];
            const char *p = strstr(h->rc->server, "://");
            snprintf(host, sizeof(host), "Host: %.*s", (int)strcspn(p + 3, "/"), p + 3);
            headers = curl_slist_append(headers, host);
        }
        h->len = 0;
        h->body_too_big = false;
        h->retry_after = -1;
        curl_easy_setopt(h->curl, CURLOPT_URL, url);
        curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
        if (strcmp(method, "GET") != 0) {
            curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
            curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body ? body : "");
            curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        }
        curl_easy_setopt(h->curl, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
        CURLcode cc = curl_easy_perform(h->curl);
        curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
        if (strcmp(method, "GET") != 0) {
            curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, NULL);
            curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
        }
        curl_slist_free_all(headers);
        if (auth) {
            memset(auth, 0, strlen(auth));
            free(auth);
        }
        long status = 0;
        bool retry = false;
        if (cc != CURLE_OK) {
            if (h->body_too_big)
                cc = CURLE_FILESIZE_EXCEEDED;
            snprintf(h->last_failure, sizeof(h->last_failure), "%s", curl_easy_strerror(cc));
            rcode = kh_error_set(err, KH_EIO, NULL, 0, 0, "%s %s: %s", method, path,
                                 curl_easy_strerror(cc));
            retry = transient(cc);
            if (retry)
                h->failures++;
        } else {
            curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
            rcode = 0;
            if (status >= 500) {
                snprintf(h->last_failure, sizeof(h->last_failure), "HTTP %ld", status);
                h->failures++;
                retry = true;
            } else {
                h->failures = 0;
                retry = status == 429;
            }
            /* A rejected credential from a plugin is fetched again once,
             * as client-go's exec authenticator does on a 401. */
            if (status == 401 && h->rc->exec && h->have_cred && !reauthed) {
                kh_exec_cred__free(&h->cred);
                h->have_cred = false;
                reauthed = true;
                attempt--;
                continue;
            }
        }
        if (h->failures >= BREAKER_THRESHOLD)
            h->open_until = time(NULL) + BREAKER_COOLDOWN_S;
        if (!retry || attempt >= max_retries || h->failures >= BREAKER_THRESHOLD) {
            resp->status = status;
            break;
        }
        long delay;
        if (h->retry_after >= 0) {
            delay = h->retry_after * 1000;
        } else {
            long d = h->base_ms << (attempt < 16 ? attempt : 16);
            if (d > h->max_ms || d <= 0)
                d = h->max_ms;
            /* Half fixed, half random: spread clients that failed together. */
            delay = d / 2 + (d / 2 > 0 ? (long)(rand_r(&h->seed) % (d / 2 + 1)) : 0);
        }
        sleep_ms(delay);
    }
    free(url);
    if (rcode == 0) {
        if (!h->body) {
            h->body = malloc(1);
            if (!h->body)
                return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
            h->cap = 1;
        }
        h->body[h->len] = '\0';
        resp->body = h->body;
        resp->len = h->len;
    }
    return rcode;
}

static const char *reason_phrase(long status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

int kh_http__status_error(const char *path, const kh_http_resp *resp, kh_error *err)
{
    return kh_http__method_error("GET", path, resp, err);
}

int kh_http__method_error(const char *method, const char *path, const kh_http_resp *resp,
                          kh_error *err)
{
    kh_arena a;
    kh_arena_init(&a, 4096);
    const kh_node *root = NULL;
    const char *message = NULL;
    if (resp->len && kh_doc_load_buffer(&root, &a, resp->body, resp->len, "<status>", NULL) == 0) {
        const kh_node *kind = kh_node_get(root, "kind");
        const kh_node *msg = kh_node_get(root, "message");
        if (kind && kh_node_str(kind) && strcmp(kh_node_str(kind), "Status") == 0)
            message = kh_node_str(msg);
    }
    int rc;
    if (message && *message)
        rc = kh_error_set(err, KH_EIO, NULL, 0, 0, "%s %s: %ld %s: %s", method, path, resp->status,
                          reason_phrase(resp->status), message);
    else
        rc = kh_error_set(err, KH_EIO, NULL, 0, 0, "%s %s: %ld %s%s%.120s", method, path,
                          resp->status, reason_phrase(resp->status), resp->len ? ": " : "",
                          resp->len ? resp->body : "");
    kh_arena_free(&a);
    return rc;
}
