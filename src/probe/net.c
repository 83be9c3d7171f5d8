/*
 * net.c -- the probe's connection engine. Each job is one TCP connection:
 * connect, an optional TLS handshake (GnuTLS as a client, with the job's
 * priority string), an optional request, and the answer read until the
 * server closes or KH_PR_MAX_RESP bytes came. Sockets are non-blocking;
 * one poll(2) loop drives at most `concurrency` of them at a time, each in
 * its own state, the others waiting in a FIFO queue. Every stage (connect,
 * then the exchange) has its own deadline of `timeout` milliseconds, so a
 * silent or slow server costs at most twice the timeout. A finished job's
 * callback may queue more jobs; the loop ends when nothing is left.
 * No certificate is verified: the probe reports what it is shown.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "probe/internal.h"

enum { ST_CONNECT, ST_HANDSHAKE, ST_SEND, ST_RECV };

struct kh_pr_engine {
    unsigned concurrency, timeout_ms;
    kh_pr_job *head, *tail;        /* waiting */
    kh_pr_job **active;            /* concurrency slots */
    struct pollfd *pfd;
    gnutls_certificate_credentials_t cred;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int kh_probe__engine_new(kh_pr_engine **out, unsigned concurrency, unsigned timeout_ms)
{
    kh_pr_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return KH_ENOMEM;
    e->concurrency = concurrency ? concurrency : 32;
    /* Leave room under the descriptor limit: a socket() refused for want of
     * descriptors would look like a closed port. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 32 &&
        e->concurrency > rl.rlim_cur - 32)
        e->concurrency = (unsigned)(rl.rlim_cur - 32);
    e->timeout_ms = timeout_ms ? timeout_ms : 2000;
    e->active = calloc(e->concurrency, sizeof(*e->active));
    e->pfd = calloc(e->concurrency, sizeof(*e->pfd));
    if (!e->active || !e->pfd || gnutls_certificate_allocate_credentials(&e->cred) < 0) {
        free(e->active);
        free(e->pfd);
        free(e);
        return KH_ENOMEM;
    }
    *out = e;
    return 0;
}

void kh_probe__submit(kh_pr_engine *e, kh_pr_job *j)
{
    j->next = NULL;
    j->fd = -1;
    j->alert = -1;
    if (e->tail)
        e->tail->next = j;
    else
        e->head = j;
    e->tail = j;
}

static void fail(kh_pr_job *j, int result, const char *why)
{
    j->result = result;
    snprintf(j->why, sizeof(j->why), "%s", why);
}

/* Close the connection, report the job and free it. */
static void finish(kh_pr_job *j)
{
    if (j->session) {
        gnutls_deinit(j->session);
        j->session = NULL;
    }
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
    j->done(j);
    free(j->resp);
    free(j);
}

/* Start a job: a non-blocking connect. @return 0 while it goes on, -1 when
 * it already ended (result set). */
static int start(kh_pr_engine *e, kh_pr_job *j)
{
    j->fd = socket(j->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (j->fd < 0) {
        fail(j, KH_PR_ERROR, strerror(errno));
        return -1;
    }
    j->state = ST_CONNECT;
    j->deadline = now_ms() + e->timeout_ms;
    if (connect(j->fd, (struct sockaddr *)&j->addr, j->alen) == 0 || errno == EINPROGRESS)
        return 0;
    fail(j, errno == ECONNREFUSED || errno == ENETUNREACH || errno == EHOSTUNREACH
                ? KH_PR_REFUSED : KH_PR_ERROR, strerror(errno));
    return -1;
}

static int begin_tls(kh_pr_engine *e, kh_pr_job *j)
{
    gnutls_session_t s;
    const char *where = NULL;
    if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0) {
        fail(j, KH_PR_ERROR, "cannot start a TLS session");
        return -1;
    }
    j->session = s;
    if (gnutls_priority_set_direct(s, j->prio, &where) < 0 ||
        gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, e->cred) < 0) {
        fail(j, KH_PR_ERROR, "cannot set the TLS priorities");
        return -1;
    }
    if (j->sni)
        gnutls_server_name_set(s, GNUTLS_NAME_DNS, j->sni, strlen(j->sni));
    gnutls_transport_set_int(s, j->fd);
    gnutls_handshake_set_timeout(s, 0);
    return 0;
}

/* What the handshake showed, also when it failed: a server that answered
 * the hello speaks TLS and accepted the version (it may still refuse us,
 * e.g. for want of a client certificate), and a certificate it sent is
 * described. */
static void tls_facts(kh_pr_job *j, int rc)
{
    gnutls_session_t s = j->session;
    if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
        j->alert = (int)gnutls_alert_get(s);
    int last = (int)gnutls_handshake_get_last_in(s);
    j->server_hello = rc == 0 || (last >= GNUTLS_HANDSHAKE_SERVER_HELLO && last < 255);
    if (!j->server_hello)
        return;
    j->tls_version = gnutls_protocol_get_version(s);
    unsigned n = 0;
    const gnutls_datum_t *chain = gnutls_certificate_get_peers(s, &n);
    kh_probe__cert_describe(chain, chain ? n : 0, &j->cert);
}

/* Advance a job as far as it goes without blocking. @return 1 when it
 * waits (events set in *ev), 0 when it ended. */
static int step(kh_pr_engine *e, kh_pr_job *j, short *ev)
{
    for (;;) {
        switch (j->state) {
        case ST_CONNECT: {
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            struct pollfd p = {.fd = j->fd, .events = POLLOUT};
            if (poll(&p, 1, 0) == 0) {
                *ev = POLLOUT;
                return 1;
            }
            if (getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
                soerr = errno;
            if (soerr) {
                fail(j, soerr == ECONNREFUSED || soerr == ENETUNREACH || soerr == EHOSTUNREACH
                            ? KH_PR_REFUSED : KH_PR_ERROR, strerror(soerr));
                return 0;
            }
            /* connected: the exchange gets its own deadline */
            j->connected = 1;
            j->deadline = now_ms() + e->timeout_ms;
            if (j->prio) {
                if (begin_tls(e, j) < 0)
                    return 0;
                j->state = ST_HANDSHAKE;
            } else if (j->request) {
                j->state = ST_SEND;
            } else {
                j->result = KH_PR_OK;
                return 0;
            }
            break;
        }
        case ST_HANDSHAKE: {
            int rc = gnutls_handshake(j->session);
            if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
                *ev = gnutls_record_get_direction(j->session) ? POLLOUT : POLLIN;
                return 1;
            }
            if (rc < 0) {
                if (!gnutls_error_is_fatal(rc))
                    break; /* a warning alert: go on */
                fail(j, KH_PR_TLS_FAILED, gnutls_strerror(rc));
                tls_facts(j, rc);
                return 0;
            }
            tls_facts(j, 0);
            if (!j->request) {
                j->result = KH_PR_OK;
                return 0;
            }
            j->state = ST_SEND;
            break;
        }
        case ST_SEND: {
            size_t len = strlen(j->request);
            while (j->sent < len) {
                ssize_t w;
                if (j->session) {
                    w = gnutls_record_send(j->session, j->request + j->sent, len - j->sent);
                    if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
                        *ev = POLLOUT;
                        return 1;
                    }
                    if (w < 0) {
                        fail(j, KH_PR_ERROR, gnutls_strerror((int)w));
                        return 0;
                    }
                } else {
                    w = send(j->fd, j->request + j->sent, len - j->sent, MSG_NOSIGNAL);
                    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                        *ev = POLLOUT;
                        return 1;
                    }
                    if (w < 0) {
                        fail(j, KH_PR_ERROR, strerror(errno));
                        return 0;
                    }
                }
                j->sent += (size_t)w;
            }
            j->resp = malloc(KH_PR_MAX_RESP);
            if (!j->resp) {
                fail(j, KH_PR_ERROR, "out of memory");
                return 0;
            }
            j->state = ST_RECV;
            break;
        }
        case ST_RECV: {
            if (j->resp_len == KH_PR_MAX_RESP) {
                j->result = KH_PR_OK; /* enough: the rest is not read */
                return 0;
            }
            ssize_t r;
            size_t room = KH_PR_MAX_RESP - j->resp_len;
            if (j->session) {
                r = gnutls_record_recv(j->session, j->resp + j->resp_len, room);
                if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
                    *ev = POLLIN;
                    return 1;
                }
                if (r == GNUTLS_E_PREMATURE_TERMINATION || r == GNUTLS_E_REHANDSHAKE)
                    r = 0; /* closed without close_notify: the answer is what came */
                if (r < 0 && !gnutls_error_is_fatal((int)r))
                    continue;
                if (r < 0) {
                    if (r == GNUTLS_E_FATAL_ALERT_RECEIVED)
                        j->alert = (int)gnutls_alert_get(j->session);
                    fail(j, j->resp_len ? KH_PR_OK : KH_PR_ERROR, gnutls_strerror((int)r));
                    return 0;
                }
            } else {
                r = recv(j->fd, j->resp + j->resp_len, room, 0);
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                    *ev = POLLIN;
                    return 1;
                }
                if (r < 0) {
                    fail(j, j->resp_len ? KH_PR_OK : KH_PR_ERROR, strerror(errno));
                    return 0;
                }
            }
            if (r == 0) {
                j->result = KH_PR_OK;
                return 0;
            }
            j->resp_len += (size_t)r;
            if (kh_probe__http_complete(j->resp, j->resp_len)) {
                j->result = KH_PR_OK;
                return 0;
            }
            break;
        }
        }
    }
}

int kh_probe__engine_run(kh_pr_engine *e)
{
    unsigned nactive = 0;
    for (;;) {
        /* fill free slots from the queue */
        for (unsigned i = 0; i < e->concurrency && e->head; i++) {
            if (e->active[i])
                continue;
            kh_pr_job *j = e->head;
            e->head = j->next;
            if (!e->head)
                e->tail = NULL;
            short ev = 0;
            if (start(e, j) < 0 || !step(e, j, &ev)) {
                finish(j); /* may queue more: the loop looks again */
                i = (unsigned)-1;
                continue;
            }
            e->active[i] = j;
            e->pfd[i] = (struct pollfd){.fd = j->fd, .events = ev};
            nactive++;
        }
        if (!nactive)
            return 0;
        int64_t now = now_ms(), wait = -1;
        for (unsigned i = 0; i < e->concurrency; i++) {
            if (!e->active[i]) {
                e->pfd[i].fd = -1;
                continue;
            }
            int64_t left = e->active[i]->deadline - now;
            if (wait < 0 || left < wait)
                wait = left < 0 ? 0 : left;
        }
        int n = poll(e->pfd, e->concurrency, (int)wait);
        if (n < 0 && errno != EINTR)
            return KH_EIO;
        now = now_ms();
        for (unsigned i = 0; i < e->concurrency; i++) {
            kh_pr_job *j = e->active[i];
            if (!j)
                continue;
            short ev = 0;
            int waits;
            if (e->pfd[i].revents) {
                waits = step(e, j, &ev);
            } else if (now >= j->deadline) {
                fail(j, KH_PR_TIMEOUT, j->state == ST_CONNECT ? "connect timed out"
                                       : j->state == ST_HANDSHAKE ? "TLS handshake timed out"
                                                                  : "no answer in time");
                /* an answer cut by the deadline still counts when it came */
                if (j->resp_len && j->state == ST_RECV)
                    j->result = KH_PR_OK;
                waits = 0;
            } else {
                continue;
            }
            if (waits) {
                e->pfd[i].events = ev;
                e->pfd[i].revents = 0;
                continue;
            }
            e->active[i] = NULL;
            e->pfd[i].fd = -1;
            nactive--;
            finish(j);
        }
    }
}

void kh_probe__engine_free(kh_pr_engine *e)
{
    if (!e)
        return;
    for (kh_pr_job *j = e->head, *next; j; j = next) {
        next = j->next;
        free(j->resp);
        free(j);
    }
    gnutls_certificate_free_credentials(e->cred);
    free(e->active);
    free(e->pfd);
    free(e);
}
