/*
 * cmd_serve.c -- `kubeharden serve`: run the validating admission webhook
 * (src/server). Flags take the names Kubernetes components use; every value
 * is checked here before anything starts, and a bad one stops start-up
 * with a message naming it (fail fast: never a silent default). Durations
 * are written as Kubernetes writes them (10s, 500ms, 1m30s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "server.h"

enum {
    OPT_BIND_ADDRESS, OPT_CLIENT_CA_FILE, OPT_CONFIG, OPT_HELP, OPT_KUBE_VERSION,
    OPT_MAX_BODY_BYTES, OPT_MAX_CONNECTIONS, OPT_MAX_CONNECTIONS_PER_IP, OPT_MAX_IN_FLIGHT, OPT_READ_TIMEOUT,
    OPT_REQUEST_TIMEOUT, OPT_SECURE_PORT, OPT_SHUTDOWN_GRACE_PERIOD, OPT_THREADS,
    OPT_TLS_CERT_FILE, OPT_TLS_MIN_VERSION, OPT_TLS_PRIVATE_KEY_FILE
};

/* Sorted by long name. */
static const struct cli_option options[] = {
    {"bind-address", ' ', "IP", "address to listen on (default 0.0.0.0; IPv6 too)", OPT_BIND_ADDRESS},
    {"client-ca-file", ' ', "FILE", "require client certificates signed by these CAs (mTLS)", OPT_CLIENT_CA_FILE},
    {"config", ' ', "FILE", "configuration file (.kubeharden.yaml; default: none)", OPT_CONFIG},
    {"help", 'h', NULL, "show this help", OPT_HELP},
    {"kube-version", ' ', "VERSION", "the API server's version: latest (default) or v1.N", OPT_KUBE_VERSION},
    {"max-body-bytes", ' ', "N", "largest request body (default 3145728, the API server's)", OPT_MAX_BODY_BYTES},
    {"max-connections", ' ', "N", "open connections at most (default 1024)", OPT_MAX_CONNECTIONS},
    {"max-connections-per-ip", ' ', "N", "connections from one address at most, 0 for no bound (default: half of --max-connections)", OPT_MAX_CONNECTIONS_PER_IP},
    {"max-in-flight", ' ', "N", "reviews at once; beyond it answer 429 at once (default 400)", OPT_MAX_IN_FLIGHT},
    {"read-timeout", ' ', "DURATION", "close a connection idle, or slow to send its next request line, this long; whole seconds (default 30s)", OPT_READ_TIMEOUT},
    {"request-timeout", ' ', "DURATION", "drop a connection not through TLS and its first request line, or a request not read, within this (default 10s)", OPT_REQUEST_TIMEOUT},
    {"secure-port", ' ', "PORT", "HTTPS port (default 8443)", OPT_SECURE_PORT},
    {"shutdown-grace-period", ' ', "DURATION", "on SIGTERM, finish requests within this (default 20s)", OPT_SHUTDOWN_GRACE_PERIOD},
    {"threads", ' ', "N", "worker threads (default: one per CPU)", OPT_THREADS},
    {"tls-cert-file", ' ', "FILE", "serving certificate chain, PEM; reloaded when it changes", OPT_TLS_CERT_FILE},
    {"tls-min-version", ' ', "VERSION", "VersionTLS12 (default) or VersionTLS13", OPT_TLS_MIN_VERSION},
    {"tls-private-key-file", ' ', "FILE", "its private key, PEM; reloaded with it", OPT_TLS_PRIVATE_KEY_FILE},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

struct serve_args {
    struct kh_server_options o;
    const char *config, *kube_version;
    int help, per_ip_set;
};

static int bad(const char *opt, const char *value, const char *what)
{
    fprintf(stderr, "kubeharden serve: invalid --%s '%s': %s\n", opt, value, what);
    return CLI_EXIT_ERROR;
}

/* A decimal count in [min, max]. */
static int parse_count(const char *s, unsigned long long min, unsigned long long max,
                       unsigned long long *out)
{
    if (!*s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* A Go duration as Kubernetes flags take it: one or more <number><unit>
 * with units ms, s, m, h ("1m30s"); "0" alone is zero. In milliseconds. */
static int parse_duration(const char *s, uint64_t *out_ms)
{
    if (strcmp(s, "0") == 0) {
        *out_ms = 0;
        return 0;
    }
    uint64_t total = 0;
    if (!*s)
        return -1;
    while (*s) {
        if (*s < '0' || *s > '9')
            return -1;
        uint64_t v = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (uint64_t)(*s++ - '0');
            if (v > 1000000000u)
                return -1;
        }
        uint64_t unit;
        if (strncmp(s, "ms", 2) == 0)
            unit = 1, s += 2;
        else if (*s == 's')
            unit = 1000, s++;
        else if (*s == 'm')
            unit = 60000, s++;
        else if (*s == 'h')
            unit = 3600000, s++;
        else
            return -1;
        total += v * unit;
        if (total > 24ull * 3600000u)
            return -1;
    }
    *out_ms = total;
    return 0;
}

static int on_option(const struct cli_option *o, const char *value, void *ud)
{
    struct serve_args *a = ud;
    unsigned long long n;
    uint64_t ms;
    if (!o) {
        fprintf(stderr, "kubeharden serve: unexpected argument '%s'\n", value);
        return CLI_EXIT_ERROR;
    }
    switch (o->id) {
    case OPT_BIND_ADDRESS: {
        unsigned char buf[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, value, buf) != 1 && inet_pton(AF_INET6, value, buf) != 1)
            return bad(o->lname, value, "not a numeric IPv4 or IPv6 address");
        a->o.bind_address = value;
        break;
    }
    case OPT_CLIENT_CA_FILE: a->o.client_ca_file = value; break;
    case OPT_CONFIG: a->config = value; break;
    case OPT_HELP: a->help = 1; break;
    case OPT_KUBE_VERSION: a->kube_version = value; break;
    case OPT_MAX_BODY_BYTES:
        if (parse_count(value, 1, 64ull << 20, &n))
            return bad(o->lname, value, "use a byte count from 1 to 67108864");
        a->o.max_body_bytes = (size_t)n;
        break;
    case OPT_MAX_CONNECTIONS:
        if (parse_count(value, 1, 65536, &n))
            return bad(o->lname, value, "use a count from 1 to 65536");
        a->o.max_connections = (unsigned)n;
        break;
    case OPT_MAX_CONNECTIONS_PER_IP:
        if (parse_count(value, 0, 65536, &n))
            return bad(o->lname, value, "use a count from 0 (no bound) to 65536");
        a->o.max_connections_per_ip = (unsigned)n;
        a->per_ip_set = 1;
        break;
    case OPT_MAX_IN_FLIGHT:
        if (parse_count(value, 1, 1000000, &n))
            return bad(o->lname, value, "use a count from 1 to 1000000");
        a->o.max_in_flight = (unsigned)n;
        break;
    case OPT_READ_TIMEOUT:
        if (parse_duration(value, &ms) || ms == 0 || ms % 1000)
            return bad(o->lname, value, "use a whole number of seconds, at least 1s (e.g. 30s)");
        a->o.read_timeout_s = (unsigned)(ms / 1000);
        break;
    case OPT_REQUEST_TIMEOUT:
        if (parse_duration(value, &ms) || ms == 0)
            return bad(o->lname, value, "use a duration above zero (e.g. 10s, 500ms)");
        a->o.request_timeout_ms = ms;
        break;
    case OPT_SECURE_PORT:
        if (parse_count(value, 1, 65535, &n))
            return bad(o->lname, value, "use a port from 1 to 65535");
        a->o.port = (unsigned)n;
        break;
    case OPT_SHUTDOWN_GRACE_PERIOD:
        if (parse_duration(value, &ms))
            return bad(o->lname, value, "use a duration (e.g. 20s, 0 to stop at once)");
        a->o.grace_ms = ms;
        break;
    case OPT_THREADS:
        if (parse_count(value, 1, 256, &n))
            return bad(o->lname, value, "use a count from 1 to 256");
        a->o.threads = (unsigned)n;
        break;
    case OPT_TLS_CERT_FILE: a->o.cert_file = value; break;
    case OPT_TLS_MIN_VERSION:
        if (strcmp(value, "VersionTLS12") == 0)
            a->o.tls13_only = 0;
        else if (strcmp(value, "VersionTLS13") == 0)
            a->o.tls13_only = 1;
        else
            return bad(o->lname, value, "use VersionTLS12 or VersionTLS13 (older versions are not served)");
        break;
    case OPT_TLS_PRIVATE_KEY_FILE: a->o.key_file = value; break;
    }
    return 0;
}

static void help(void)
{
    fputs("Usage: kubeharden serve --tls-cert-file FILE --tls-private-key-file FILE [OPTIONS]\n\n"
          "Run a validating admission webhook over HTTPS (TLS 1.2 or 1.3, AEAD ciphers\n"
          "with forward secrecy). POST an AdmissionReview (admission.k8s.io/v1 or\n"
          "v1beta1) to /validate/<privileged|baseline|restricted>[/<latest|v1.N>[/<mode>]]\n"
          "(mode: enforce, warn or audit; ?version=&mode= also work outside a webhook\n"
          "configuration, which allows no query); the response keeps its uid and apiVersion.\n"
          "Also GET /healthz, /readyz (503 while draining) and /metrics (Prometheus).\n"
          "The certificate and key are reloaded when their files change (checked every\n"
          "second, or at once on SIGHUP). SIGTERM or SIGINT: stop accepting, report\n"
          "not ready, finish what is in progress within the grace period, exit.\n"
          "Logs: one JSON object per line on stderr, one line per review.\n\n",
          stdout);
    cli_print_options(stdout, options, NOPTIONS);
    fputs("\nExample:\n"
          "  kubeharden serve --tls-cert-file /tls/tls.crt --tls-private-key-file /tls/tls.key \\\n"
          "      --client-ca-file /tls/apiserver-ca.crt --config /etc/kubeharden/.kubeharden.yaml\n"
          "  # webhook clientConfig.service.path: /validate/restricted/v1.30/enforce\n"
          "\nExit status:\n"
          "  0  stopped by SIGTERM or SIGINT after draining\n"
          "  2  usage error, bad flag value, unreadable certificate, key or configuration,\n"
          "     or the address could not be bound\n",
          stdout);
}

int cmd_serve(int argc, char **argv)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct serve_args a = {
        .o = {
            .bind_address = "0.0.0.0",
            .port = 8443,
            .max_body_bytes = 3u << 20,
            .max_in_flight = 400,
            .max_connections = 1024,
            .threads = cpus > 0 && cpus <= 256 ? (unsigned)cpus : 1,
            .read_timeout_s = 30,
            .request_timeout_ms = 10000,
            .grace_ms = 20000,
        },
    };
    int status = cli_parse("serve", options, NOPTIONS, argc, argv, on_option, &a);
    if (status)
        return status;
    if (a.help) {
        help();
        return CLI_EXIT_OK;
    }
    /* Half, so one address (a client gone wrong, or slowloris) cannot take
     * every slot, while an API server, which may reach us from one or a
     * few addresses, still has hundreds. */
    if (!a.per_ip_set)
        a.o.max_connections_per_ip = a.o.max_connections > 1 ? a.o.max_connections / 2 : 1;
    else if (a.o.max_connections_per_ip > a.o.max_connections) {
        fprintf(stderr, "kubeharden serve: invalid --max-connections-per-ip '%u': more than "
                        "--max-connections '%u'\n", a.o.max_connections_per_ip, a.o.max_connections);
        return CLI_EXIT_ERROR;
    }
    if (!a.o.cert_file || !a.o.key_file) {
        fprintf(stderr, "kubeharden serve: --tls-cert-file and --tls-private-key-file are "
                        "required\nTry 'kubeharden serve --help'.\n");
        return CLI_EXIT_ERROR;
    }
    kh_config *cfg = NULL;
    kh_error err = {0};
    int rc = a.config ? kh_config_load(&cfg, a.config, &err) : kh_config_new(&cfg, &err);
    if (rc == KH_OK && a.kube_version)
        rc = kh_config_set_kube_version(cfg, a.kube_version, &err);
    if (rc != KH_OK) {
        char buf[512];
        kh_error_format(&err, buf, sizeof(buf));
        fprintf(stderr, "kubeharden serve: %s\n", buf);
        kh_config_free(cfg);
        return CLI_EXIT_ERROR;
    }
    a.o.cfg = cfg;
    status = kh_server__run(&a.o) == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    kh_config_free(cfg);
    return status;
}
