/*
 * plain.c -- /healthz and /metrics over plain HTTP, for Prometheus to
 * scrape `kubeharden watch` while it reads a file or standard input
 * (--metrics-listen; loopback unless told otherwise: nothing here is
 * secret, but nothing needs to be reachable either). One libmicrohttpd
 * thread; GET and HEAD only; every other path is 404.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "plain.h"

struct kh_plain {
    struct MHD_Daemon *d;
    char *(*metrics)(void *ud);
    void *ud;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                             char *body, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version, (void)upload, (void)con_cls;
    struct kh_plain *p = cls;
    static const char *const text = "text/plain; charset=utf-8";
    if (*upload_size)
        return MHD_NO; /* no body is expected here */
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(c, 405, text, "method not allowed\n", MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/healthz") == 0)
        return reply(c, 200, text, "ok\n", MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/metrics") == 0) {
        char *body = p->metrics(p->ud);
        return body ? reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", body,
                            MHD_RESPMEM_MUST_FREE)
                    : reply(c, 500, text, "out of memory\n", MHD_RESPMEM_PERSISTENT);
    }
    return reply(c, 404, text, "not found\n", MHD_RESPMEM_PERSISTENT);
}

int kh_plain__start(struct kh_plain **out, const char *addr, unsigned port,
                    char *(*metrics)(void *ud), void *ud, char *why, size_t n)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
    struct sockaddr *sa = (struct sockaddr *)&sin;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC;
    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
        if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) != 1) {
            snprintf(why, n, "'%s' is not a numeric IPv4 or IPv6 address", addr);
            return -1;
        }
        sa = (struct sockaddr *)&sin6;
        flags |= MHD_USE_IPv6;
    }
    struct kh_plain *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    p->metrics = metrics;
    p->ud = ud;
    errno = 0;
    p->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle, p,
                            MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_CONNECTION_LIMIT, 64u,
                            MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!p->d) {
        snprintf(why, n, "cannot serve on '%s' port %u%s%s", addr, port, errno ? ": " : "",
                 errno ? strerror(errno) : "");
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void kh_plain__stop(struct kh_plain *p)
{
    if (!p)
        return;
    MHD_stop_daemon(p->d);
    free(p);
}
