/*
 * nats.c -- a minimal NATS client for `kubeharden watch`: JetStream as an
 * input (a durable pull consumer shared by several watchers) and as a sink.
 *
 * The wire parser is stateless: it takes one whole frame (INFO, MSG, HMSG,
 * PING, PONG, +OK, -ERR) from the start of a byte buffer, or says that more
 * bytes are needed, or that the bytes are not NATS; control lines and
 * payloads are bounded, so no input can make it read out of bounds or grow
 * without limit. A connection speaks TLS (GnuTLS) when the server's INFO
 * asks for it and waits with poll timeouts; what is written goes out in
 * one send before the next read, so a batch's acks share a packet. It
 * answers the server's PINGs, sends its own when the server is quiet, and
 * is dropped on any error; the caller reconnects (the input with backoff,
 * the sink through its breaker). JetStream is reached through its $JS.API
 * request subjects with replies on the connection's _INBOX.
 */
#define _GNU_SOURCE /* strndup, memmem */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "core/arena.h"
#include "doc/node.h"
#include "report/report.h"
#include "watch/nats.h"

/* ------------------------------------------------------------- parser */

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Does the token [p, p+n) spell @p op, in any case (the protocol's
 * operation names are case-insensitive)? */
static int op_is(const char *p, size_t n, const char *op)
{
    if (strlen(op) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (ch != op[i])
            return 0;
    }
    return 1;
}

/* A decimal number of at most @p maxdig digits; -1 when not one. */
static int64_t number(const char *p, size_t n, size_t maxdig)
{
    if (n == 0 || n > maxdig)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* The header block of an HMSG: "NATS/1.0[ CODE[ TEXT]]" CRLF, then
 * "Key: Value" CRLF lines, then CRLF. 0 when well-formed. */
static int parse_headers(const char *h, size_t n, kh_nats_frame *f)
{
    if (n < 12 || memcmp(h, "NATS/1.0", 8) != 0 || memcmp(h + n - 4, "\r\n\r\n", 4) != 0)
        return -1;
    const char *end = memmem(h, n, "\r\n", 2);
    size_t first = (size_t)(end - h);
    f->status = 0;
    f->status_text = "";
    f->status_text_len = 0;
    if (first > 8) {
        if (h[8] != ' ' || first < 12)
            return -1;
        int64_t code = number(h + 9, 3, 3);
        if (code < 0 || (first > 12 && h[12] != ' '))
            return -1;
        f->status = (int)code;
        if (first > 13) {
            f->status_text = h + 13;
            f->status_text_len = first - 13;
        }
    }
    for (size_t p = first + 2; p < n - 2;) {
        const char *eol = memmem(h + p, n - p, "\r\n", 2);
        size_t ll = (size_t)(eol - (h + p)); /* found: the block ends in CRLF CRLF */
        const char *colon = memchr(h + p, ':', ll);
        if (!colon || colon == h + p)
            return -1;
        p += ll + 2;
    }
    return 0;
}

long kh_nats__parse(const char *buf, size_t len, kh_nats_frame *f)
{
    memset(f, 0, sizeof(*f));
    f->reply = f->subject = f->data = f->status_text = "";
    if (len < 2)
        return 0;
    size_t scan = len < KH_NATS_MAX_CONTROL ? len : KH_NATS_MAX_CONTROL;
    const char *crlf = memmem(buf, scan, "\r\n", 2);
    if (!crlf)
        return len >= KH_NATS_MAX_CONTROL ? -1 : 0;
    size_t ll = (size_t)(crlf - buf);
    /* Split the control line into at most 7 tokens. */
    const char *tok[7];
    size_t tlen[7], nt = 0;
    for (size_t i = 0; i < ll;) {
        while (i < ll && is_space(buf[i]))
            i++;
        if (i == ll)
            break;
        if (nt == 7)
            return -1;
        tok[nt] = buf + i;
        while (i < ll && !is_space(buf[i]))
            i++;
        tlen[nt] = (size_t)(buf + i - tok[nt]);
        nt++;
    }
    if (nt == 0)
        return -1;
    for (size_t i = 0; i < ll; i++)
        if ((unsigned char)buf[i] < 0x20 && buf[i] != '\t')
            return -1; /* a bare CR or LF, or another control byte */
    if (op_is(tok[0], tlen[0], "PING") || op_is(tok[0], tlen[0], "PONG") ||
        op_is(tok[0], tlen[0], "+OK")) {
        if (nt != 1)
            return -1;
        f->op = tlen[0] == 3 ? KH_NATS_OK : (tok[0][1] | 0x20) == 'i' ? KH_NATS_PING
                                                                      : KH_NATS_PONG;
        return (long)(ll + 2);
    }
    if (op_is(tok[0], tlen[0], "INFO") || op_is(tok[0], tlen[0], "-ERR")) {
        if (nt < 2)
            return -1;
        f->op = tok[0][0] == '-' ? KH_NATS_ERR : KH_NATS_INFO;
        f->data = tok[1];
        f->data_len = (size_t)(crlf - tok[1]);
        return (long)(ll + 2);
    }
    int hmsg = op_is(tok[0], tlen[0], "HMSG");
    if (!hmsg && !op_is(tok[0], tlen[0], "MSG"))
        return -1;
    /* MSG subject sid [reply] size; HMSG subject sid [reply] hdr-size size */
    size_t nargs = nt - 1, base = hmsg ? 4 : 3;
    if (nargs != base && nargs != base + 1)
        return -1;
    int has_reply = nargs == base + 1;
    int64_t sid = number(tok[2], tlen[2], 19);
    int64_t total = number(tok[nt - 1], tlen[nt - 1], 10);
    int64_t hdr = hmsg ? number(tok[nt - 2], tlen[nt - 2], 10) : 0;
    if (sid < 0 || total < 0 || hdr < 0 || total > (int64_t)KH_NATS_MAX_PAYLOAD || hdr > total)
        return -1;
    size_t need = ll + 2 + (size_t)total + 2;
    if (len < need)
        return 0;
    const char *body = crlf + 2;
    if (body[total] != '\r' || body[total + 1] != '\n')
        return -1;
    f->op = KH_NATS_MSG;
    f->subject = tok[1];
    f->subject_len = tlen[1];
    f->sid = (uint64_t)sid;
    if (has_reply) {
        f->reply = tok[3];
        f->reply_len = tlen[3];
    }
    if (hmsg) {
        f->hdr = body;
        f->hdr_len = (size_t)hdr;
        if (parse_headers(body, (size_t)hdr, f) != 0)
            return -1;
    }
    f->data = body + hdr;
    f->data_len = (size_t)(total - hdr);
    return (long)need;
}

int kh_nats__header(const kh_nats_frame *f, const char *key, const char **val, size_t *len)
{
    if (!f->hdr)
        return 0;
    const char *h = f->hdr, *end = f->hdr + f->hdr_len;
    const char *p = memmem(h, f->hdr_len, "\r\n", 2) + 2;
    size_t kl = strlen(key);
    while (p < end - 2) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if ((size_t)(colon - p) == kl && memcmp(p, key, kl) == 0) {
            const char *v = colon + 1;
            while (v < eol && is_space(*v))
                v++;
            const char *ve = eol;
            while (ve > v && is_space(ve[-1]))
                ve--;
            *val = v;
            *len = (size_t)(ve - v);
            return 1;
        }
        p = eol + 2;
    }
    return 0;
}

/* --------------------------------------------------------- connection */

#define IO_TIMEOUT_MS 5000    /* connect, handshake, a request's answer */
#define PING_EVERY_MS 10000   /* a quiet connection is checked this often */

struct kh_nats {
    char *url;                /* for messages, without credentials */
    char host[256], port[16];
    char *user, *pass, *token;
    char *subject;            /* the sink's */
    int fd;
    char *rbuf;
    size_t rcap, rlen, rpos;  /* unread bytes are rbuf[rpos, rlen) */
    char *wbuf;               /* written, not yet sent: sent before each read */
    size_t wlen, wcap;
    char *ca;                 /* ?ca=FILE: the CAs to trust (else the system's) */
    gnutls_session_t tls;     /* when the server requires TLS */
    gnutls_certificate_credentials_t cred;
    char inbox[32];           /* "_INBOX.<22 random characters>" */
    unsigned long long next_req;
    size_t max_payload;
    int64_t last_rx, ping_sent;
    int ping_out;
};

static int flush_out(kh_nats *c, kh_error *err);

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drop(kh_nats *c)
{
    if (c->tls) {
        gnutls_deinit(c->tls);
        c->tls = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->rlen = c->rpos = c->wlen = 0;
    c->ping_out = 0;
}

/* A subject or name we put into protocol lines and JSON: printable ASCII
 * without spaces, quotes or backslashes; names also without '.', '*', '>'. */
static int valid_token(const char *s, int name)
{
    if (!*s || strlen(s) > 255)
        return 0;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~' || *s == '"' || *s == '\\' ||
            (name && (*s == '.' || *s == '*' || *s == '>')))
            return 0;
    return 1;
}

/* @p url as an error may quote it: any "USER:PASS@" or "TOKEN@" before
 * the host becomes "***@" (a refused URL is printed at start-up). */
static const char *without_credentials(char *buf, size_t cap, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *auth = scheme ? scheme + 3 : url;
    const char *at = auth + strcspn(auth, "/?#");
    const char *cred = memchr(auth, '@', (size_t)(at - auth));
    while (cred && memchr(cred + 1, '@', (size_t)(at - cred - 1)))
        cred = memchr(cred + 1, '@', (size_t)(at - cred - 1)); /* the last '@' ends them */
    if (!cred)
        return url;
    snprintf(buf, cap, "%.*s***%s", (int)(auth - url), url, cred);
    return buf;
}

int kh_nats__open(kh_nats **out, const char *url, int want_subject, kh_error *err)
{
    char shown_url[512];
    if (strncmp(url, "nats://", 7) != 0)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "bad NATS URL '%s' (use nats://HOST:PORT)",
                            without_credentials(shown_url, sizeof(shown_url), url));
    kh_nats *c = calloc(1, sizeof(*c));
    char *u = c ? strdup(url) : NULL; /* without its "?ca=FILE" */
    if (!u) {
        free(c);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    c->fd = -1;
    c->rcap = 65536;
    int bad = 0, nomem = 0;
    char *q = strchr(u, '?');
    if (q) {
        *q = '\0';
        bad = strncmp(q + 1, "ca=", 3) != 0 || !q[4];
        nomem = !bad && !(c->ca = strdup(q + 4));
    }
    const char *rest = u + 7;
    const char *slash = strchr(rest, '/');
    const char *hostend = slash ? slash : rest + strlen(rest);
    const char *at = memrchr(rest, '@', (size_t)(hostend - rest));
    if (at) {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        if (colon) {
            nomem = !(c->user = strndup(rest, (size_t)(colon - rest))) ||
                    !(c->pass = strndup(colon + 1, (size_t)(at - colon - 1)));
        } else {
            nomem = !(c->token = strndup(rest, (size_t)(at - rest)));
        }
        rest = at + 1;
    }
    /* HOST[:PORT] or [IPv6][:PORT]; 4222 by default */
    const char *hs = rest, *he, *port = NULL;
    if (*rest == '[') {
        hs = rest + 1;
        he = memchr(hs, ']', (size_t)(hostend - hs));
        bad = !he || (he + 1 < hostend && he[1] != ':');
        if (!bad && he + 1 < hostend)
            port = he + 2;
    } else {
        he = memchr(rest, ':', (size_t)(hostend - rest));
        if (he)
            port = he + 1;
        else
            he = hostend;
    }
    size_t hl = bad ? 0 : (size_t)(he - hs);
    size_t pl = port ? (size_t)(hostend - port) : 0;
    if (bad || hl == 0 || hl >= sizeof(c->host) || (port && (pl == 0 || pl > 5)) ||
        (port && strspn(port, "0123456789") < pl)) {
        bad = 1;
    } else {
        memcpy(c->host, hs, hl);
        if (port)
            memcpy(c->port, port, pl);
        else
            strcpy(c->port, "4222");
    }
    if (!bad && slash && !want_subject)
        bad = 1;
    if (!bad && want_subject) {
        bad = !slash || !valid_token(slash + 1, 0);
        if (!bad)
            nomem = nomem || !(c->subject = strdup(slash + 1));
    }
    nomem = nomem || !(c->rbuf = malloc(c->rcap));
    if (!bad && !nomem) {
        char shown[600];
        snprintf(shown, sizeof(shown), "nats://%s:%s", c->host, c->port);
        nomem = !(c->url = strdup(shown));
    }
    free(u);
    if (bad || nomem) {
        kh_nats__close(c);
        return nomem ? kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory")
               : want_subject
                   ? kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "bad NATS sink '%s' (use "
                                  "nats://HOST:PORT/SUBJECT[?ca=FILE])",
                                  without_credentials(shown_url, sizeof(shown_url), url))
                   : kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "bad NATS URL '%s' (use "
                                  "nats://[USER:PASS@]HOST:PORT[?ca=FILE])",
                                  without_credentials(shown_url, sizeof(shown_url), url));
    }
    *out = c;
    return 0;
}

void kh_nats__close(kh_nats *c)
{
    if (!c)
        return;
    kh_error err;
    if (c->fd >= 0 && c->wlen)
        flush_out(c, &err);
    drop(c);
    free(c->url);
    free(c->user);
    free(c->pass);
    free(c->token);
    free(c->subject);
    free(c->rbuf);
    free(c->wbuf);
    free(c->ca);
    if (c->cred)
        gnutls_certificate_free_credentials(c->cred);
    free(c);
}

static int tls_error(kh_nats *c, kh_error *err, const char *what, int rc)
{
    drop(c);
    return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': %s: %s", c->url, what,
                        gnutls_strerror(rc));
}

static int io_error(kh_nats *c, kh_error *err, const char *what)
{
    int e = errno;
    drop(c);
    return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': %s%s%s", c->url, what,
                        e ? ": " : "", e ? strerror(e) : "");
}

/* Send what was written. */
static int flush_out(kh_nats *c, kh_error *err)
{
    if (c->fd < 0)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': not connected", c->url);
    const char *p = c->wbuf;
    size_t n = c->wlen;
    c->wlen = 0;
    while (n && c->tls) { /* a non-blocking socket under TLS: wait for room */
        ssize_t k = gnutls_record_send(c->tls, p, n);
        if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED) {
            struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
            if (poll(&pfd, 1, IO_TIMEOUT_MS) > 0 || errno == EINTR)
                continue; /* the same data again, as gnutls wants */
            errno = ETIMEDOUT;
            return io_error(c, err, "cannot send");
        }
        if (k < 0)
            return tls_error(c, err, "cannot send", (int)k);
        p += k;
        n -= (size_t)k;
    }
    while (n) {
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return io_error(c, err, "cannot send");
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Queue @p n bytes for the server; many acks go out in one send. */
static int out(kh_nats *c, const char *p, size_t n, kh_error *err)
{
    if (c->fd < 0)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': not connected", c->url);
    if (c->wlen + n > c->wcap) {
        size_t cap = c->wcap ? c->wcap : 16384;
        while (cap < c->wlen + n)
            cap *= 2;
        char *b = realloc(c->wbuf, cap);
        if (!b)
            return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        c->wbuf = b;
        c->wcap = cap;
    }
    memcpy(c->wbuf + c->wlen, p, n);
    c->wlen += n;
    return c->wlen >= 65536 ? flush_out(c, err) : 0;
}

/* Read what arrives within @p timeout_ms: 1 read something, 0 nothing. */
static int fill(kh_nats *c, int timeout_ms, kh_error *err)
{
    if (c->wlen && flush_out(c, err) != 0)
        return KH_EIO;
    if (c->rpos) { /* frames handed out before are done with */
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
    }
    if (c->rlen == c->rcap) {
        size_t limit = KH_NATS_MAX_CONTROL + KH_NATS_MAX_PAYLOAD + 2;
        size_t cap = c->rcap * 2;
        if (cap > limit)
            cap = limit;
        char *b = cap > c->rcap ? realloc(c->rbuf, cap) : NULL;
        if (!b) {
            drop(c);
            return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': frame too large",
                                c->url);
        }
        c->rbuf = b;
        c->rcap = cap;
    }
    /* gnutls may hold a decrypted record the socket no longer shows */
    if (!c->tls || gnutls_record_check_pending(c->tls) == 0) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int n = poll(&pfd, 1, timeout_ms);
        if (n < 0 && errno == EINTR)
            return 0;
        if (n <= 0)
            return n == 0 ? 0 : io_error(c, err, "poll failed");
    }
    ssize_t k;
    if (c->tls) {
        /* a TLS 1.3 session ticket is no data: AGAIN on the non-blocking socket */
        k = gnutls_record_recv(c->tls, c->rbuf + c->rlen, c->rcap - c->rlen);
        if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED)
            return 0;
        if (k < 0)
            return tls_error(c, err, "cannot read", (int)k);
    } else {
        k = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
    }
    if (k < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (k <= 0) {
        if (k == 0)
            errno = 0;
        return io_error(c, err, k == 0 ? "connection closed by the server" : "cannot read");
    }
    c->rlen += (size_t)k;
    c->last_rx = now_ms();
    return 1;
}

/* The next MSG/HMSG (1; valid until the next call), or 0 when none came
 * within @p timeout_ms. PING, PONG, +OK and INFO are handled here; -ERR
 * and protocol errors drop the connection. */
static int next_msg(kh_nats *c, kh_nats_frame *f, int timeout_ms, kh_error *err)
{
    int64_t until = now_ms() + timeout_ms;
    for (;;) {
        if (c->fd < 0)
            return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': not connected", c->url);
        long n = kh_nats__parse(c->rbuf + c->rpos, c->rlen - c->rpos, f);
        if (n < 0) {
            drop(c);
            return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': protocol error", c->url);
        }
        if (n > 0) {
            c->rpos += (size_t)n;
            switch (f->op) {
            case KH_NATS_MSG: return 1;
            case KH_NATS_PING:
                if (out(c, "PONG\r\n", 6, err) != 0)
                    return KH_EIO;
                continue;
            case KH_NATS_PONG: c->ping_out = 0; continue;
            case KH_NATS_ERR: {
                kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s' says %.*s", c->url,
                             (int)(f->data_len < 200 ? f->data_len : 200), f->data);
                drop(c);
                return KH_EIO;
            }
            default: continue; /* INFO (cluster updates), +OK */
            }
        }
        int64_t now = now_ms();
        if (c->ping_out && now - c->ping_sent >= PING_EVERY_MS) {
            drop(c);
            return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': no PONG in %d s", c->url,
                                PING_EVERY_MS / 1000);
        }
        if (!c->ping_out && now - c->last_rx >= PING_EVERY_MS) {
            if (out(c, "PING\r\n", 6, err) != 0)
                return KH_EIO;
            c->ping_out = 1;
            c->ping_sent = now;
        }
        if (now >= until)
            return 0;
        int rc = fill(c, (int)(until - now < 250 ? until - now : 250), err);
        if (rc < 0)
            return rc;
    }
}

/* Connect the socket within IO_TIMEOUT_MS. */
static int dial(kh_nats *c, kh_error *err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int gai = getaddrinfo(c->host, c->port, &hints, &res);
    if (gai != 0)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot resolve '%s': %s", c->host,
                            gai_strerror(gai));
    int fd = -1, e = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
        if (fd < 0)
            continue;
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            socklen_t sl = sizeof(e);
            e = ETIMEDOUT;
            if (poll(&pfd, 1, IO_TIMEOUT_MS) == 1)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl);
            rc = e ? -1 : 0;
        } else if (rc != 0) {
            e = errno;
        }
        if (rc != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot connect to NATS '%s': %s",
                            c->url, strerror(e));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    struct timeval tv = {IO_TIMEOUT_MS / 1000, 0}; /* a stuck server must not stall us */
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1; /* acks and pull requests are small: Nagle would hold them back */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->fd = fd;
    return 0;
}

/* The server asked for TLS (its INFO): the handshake on c->fd, now
 * non-blocking, within IO_TIMEOUT_MS. The server's certificate must chain
 * to ?ca=FILE (else the system's CAs) and name the host of the URL. */
static int tls_start(kh_nats *c, kh_error *err)
{
    int rc = 0;
    if (!c->cred) {
        rc = gnutls_certificate_allocate_credentials(&c->cred);
        if (rc >= 0)
            rc = c->ca ? gnutls_certificate_set_x509_trust_file(c->cred, c->ca,
                                                                 GNUTLS_X509_FMT_PEM)
                       : gnutls_certificate_set_x509_system_trust(c->cred);
        if (rc <= 0) {
            if (c->cred)
                gnutls_certificate_free_credentials(c->cred);
            c->cred = NULL;
            drop(c);
            return kh_error_set(err, KH_EIO, NULL, 0, 0, "no trusted CA read from '%s': %s",
                                c->ca ? c->ca : "the system store",
                                rc < 0 ? gnutls_strerror(rc) : "no certificate");
        }
    }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    rc = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
    if (rc >= 0)
        rc = gnutls_set_default_priority(c->tls);
    if (rc >= 0)
        rc = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred);
    if (rc >= 0)
        rc = gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, c->host, strlen(c->host));
    if (rc >= 0) {
        gnutls_session_set_verify_cert(c->tls, c->host, 0);
        gnutls_transport_set_int(c->tls, c->fd);
        int64_t until = now_ms() + IO_TIMEOUT_MS;
        while ((rc = gnutls_handshake(c->tls)) == GNUTLS_E_AGAIN ||
               rc == GNUTLS_E_INTERRUPTED) {
            int64_t left = until - now_ms();
            struct pollfd pfd = {.fd = c->fd,
                                 .events = gnutls_record_get_direction(c->tls) ? POLLOUT
                                                                               : POLLIN};
            if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
                rc = GNUTLS_E_TIMEDOUT;
                break;
            }
        }
    }
    if (rc < 0)
        return tls_error(c, err, "TLS handshake failed", rc);
    return 0;
}

int kh_nats__connect(kh_nats *c, kh_error *err)
{
    if (c->fd >= 0)
        return 0;
    if (dial(c, err) != 0)
        return KH_EIO;
    c->last_rx = now_ms();
    /* The server speaks first: INFO. */
    kh_nats_frame f;
    long n = 0;
    int64_t until = now_ms() + IO_TIMEOUT_MS;
    while ((n = kh_nats__parse(c->rbuf + c->rpos, c->rlen - c->rpos, &f)) == 0 &&
           now_ms() < until)
        if (fill(c, 250, err) < 0)
            return KH_EIO;
    if (n <= 0 || f.op != KH_NATS_INFO) {
        drop(c);
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': no INFO from the server",
                            c->url);
    }
    kh_arena arena;
    kh_arena_init(&arena, 0);
    const kh_node *info = NULL;
    kh_error perr = {0};
    kh_doc_load_buffer(&info, &arena, f.data, f.data_len, "INFO", &perr);
    int64_t mp = 0;
    c->max_payload = kh_node_int(kh_node_get(info, "max_payload"), &mp) && mp > 0 &&
                             mp <= (int64_t)KH_NATS_MAX_PAYLOAD
                         ? (size_t)mp
                         : 1u << 20;
    int tls = kh_node_is_true(kh_node_get(info, "tls_required"));
    int headers = kh_node_is_true(kh_node_get(info, "headers"));
    kh_arena_free(&arena);
    c->rpos += (size_t)n;
    if (!headers) {
        drop(c);
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s' does not support headers "
                            "(NATS 2.2 or later is needed)", c->url);
    }
    if (tls && tls_start(c, err) != 0)
        return KH_EIO;
    unsigned char rnd[22];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        for (size_t i = 0; i < sizeof(rnd); i++)
            rnd[i] = (unsigned char)(rand() ^ (int)now_ms());
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    memcpy(c->inbox, "_INBOX.", 7);
    for (size_t i = 0; i < sizeof(rnd); i++)
        c->inbox[7 + i] = alpha[rnd[i] % 62];
    c->inbox[7 + sizeof(rnd)] = '\0';
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        drop(c);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    fprintf(m, "CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":%s,",
            tls ? "true" : "false");
    fputs("\"name\":\"kubeharden\",\"lang\":\"c\",\"version\":\"" KH_VERSION "\","
          "\"protocol\":1,\"headers\":true,\"no_responders\":true", m);
    if (c->user) {
        fputs(",\"user\":", m);
        kh_report__json_str(m, c->user);
        fputs(",\"pass\":", m);
        kh_report__json_str(m, c->pass);
    } else if (c->token) {
        fputs(",\"auth_token\":", m);
        kh_report__json_str(m, c->token);
    }
    /* Every reply we wait for comes to one wildcard subscription, sid 1. */
    fprintf(m, "}\r\nSUB %s.* 1\r\nPING\r\n", c->inbox);
    int rc = fclose(m) == 0 ? out(c, buf, len, err)
                            : kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    free(buf);
    if (rc != 0) {
        drop(c);
        return rc;
    }
    /* The PONG says CONNECT was accepted (an -ERR comes first otherwise). */
    c->ping_out = 1;
    c->ping_sent = now_ms();
    until = now_ms() + IO_TIMEOUT_MS;
    while (c->ping_out && now_ms() < until) {
        int k = next_msg(c, &f, 250, err);
        if (k < 0)
            return k;
    }
    if (c->ping_out) {
        drop(c);
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': no answer to CONNECT",
                            c->url);
    }
    return 0;
}

/* PUB or HPUB (with @p hdr). */
static int publish(kh_nats *c, const char *subject, const char *reply, const char *hdr,
                   size_t hlen, const char *data, size_t len, kh_error *err)
{
    if (hlen + len > c->max_payload)
        return kh_error_set(err, KH_EIO, NULL, 0, 0,
                            "NATS '%s': message of %zu bytes over max_payload %zu", c->url,
                            hlen + len, c->max_payload);
    char line[700];
    int n = hdr ? snprintf(line, sizeof(line), "HPUB %s %s %zu %zu\r\n", subject, reply, hlen,
                           hlen + len)
                : snprintf(line, sizeof(line), "PUB %s%s%s %zu\r\n", subject, *reply ? " " : "",
                           reply, len);
    if (n < 0 || (size_t)n >= sizeof(line))
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "subject too long '%s'", subject);
    int rc = out(c, line, (size_t)n, err);
    if (rc == 0 && hlen)
        rc = out(c, hdr, hlen, err);
    if (rc == 0 && len)
        rc = out(c, data, len, err);
    return rc ? rc : out(c, "\r\n", 2, err);
}

/* Publish with a fresh reply subject and wait for the answer (1; *f valid
 * until the next read) within @p timeout_ms. */
static int request(kh_nats *c, const char *subject, const char *hdr, size_t hlen,
                   const char *data, size_t len, int timeout_ms, kh_nats_frame *f,
                   kh_error *err)
{
    char reply[64];
    snprintf(reply, sizeof(reply), "%s.%llu", c->inbox, ++c->next_req);
    if (publish(c, subject, reply, hdr, hlen, data, len, err) != 0)
        return KH_EIO;
    int64_t until = now_ms() + timeout_ms;
    for (int64_t now = now_ms(); now < until; now = now_ms()) {
        int rc = next_msg(c, f, (int)(until - now), err);
        if (rc < 0)
            return rc;
        if (rc == 1 && f->subject_len == strlen(reply) &&
            memcmp(f->subject, reply, f->subject_len) == 0)
            return 1;
    }
    drop(c); /* a late answer must not be taken for the next request's */
    return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': no answer on '%s' in %d ms",
                        c->url, subject, timeout_ms);
}

/* A JetStream API call: 0 with the answer in *root (allocated in @p arena),
 * KH_EIO when the server could not be asked or did not answer (503: no
 * JetStream there), KH_ENOTFOUND for an answer with error code 404 and
 * KH_EINVALID for any other error answer (its description in @p err). */
static int js_api(kh_nats *c, const char *subject, const char *body, kh_arena *arena,
                  const kh_node **root, kh_error *err)
{
    kh_nats_frame f;
    int rc = request(c, subject, NULL, 0, body, strlen(body), IO_TIMEOUT_MS, &f, err);
    if (rc < 0)
        return rc;
    if (f.status == 503)
        return kh_error_set(err, KH_EIO, NULL, 0, 0,
                            "NATS '%s': no JetStream answers '%s' (is nats-server run with -js?)",
                            c->url, subject);
    kh_error perr = {0};
    if (f.status || kh_doc_load_buffer(root, arena, f.data, f.data_len, subject, &perr) != 0 ||
        !kh_node_is_map(*root))
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': unreadable answer on '%s'",
                            c->url, subject);
    const kh_node *e = kh_node_get(*root, "error");
    if (!e)
        return 0;
    int64_t code = 0;
    kh_node_int(kh_node_get(e, "code"), &code);
    const char *d = kh_node_str(kh_node_get(e, "description"));
    kh_error_set(err, code == 404 ? KH_ENOTFOUND : KH_EINVALID, NULL, 0, 0,
                 "JetStream '%s' answered '%s' (%lld)", subject, d ? d : "?", (long long)code);
    return code == 404 ? KH_ENOTFOUND : KH_EINVALID;
}

/* -------------------------------------------------------------- sink */

char *kh_nats__alert_message(const kh_alert *a, size_t *len)
{
    char *json = kh_alert_json(a);
    if (!json)
        return NULL;
    size_t il = strlen(a->id), jl = strlen(json);
    char *msg = malloc(il + 1 + jl + 1);
    if (msg) {
        memcpy(msg, a->id, il);
        msg[il] = '\n';
        memcpy(msg + il + 1, json, jl + 1);
        *len = il + 1 + jl;
    }
    free(json);
    return msg;
}

/* Read what the server sent while we were not listening (PINGs to answer,
 * or the end of a connection it closed), without waiting. */
static void service(kh_nats *c)
{
    kh_nats_frame f;
    kh_error err;
    while (c->fd >= 0 && fill(c, 0, &err) == 1)
        while (next_msg(c, &f, 0, &err) == 1)
            ; /* a late answer to a request that timed out: dropped */
}

int kh_nats__publish_alert(kh_nats *c, const char *msg, size_t len, kh_error *err)
{
    const char *nl = memchr(msg, '\n', len);
    if (!nl || nl == msg || nl - msg > 64)
        return kh_error_set(err, KH_EINVALID, NULL, 0, 0, "not an alert message");
    char hdr[128];
    int hl = snprintf(hdr, sizeof(hdr), "NATS/1.0\r\nNats-Msg-Id: %.*s\r\n\r\n",
                      (int)(nl - msg), msg);
    const char *json = nl + 1;
    size_t jl = len - (size_t)(nl + 1 - msg);
    service(c);
    for (int attempt = 0; attempt < 2; attempt++) {
        kh_nats_frame f;
        if (kh_nats__connect(c, err) != 0)
            continue;
        int rc = request(c, c->subject, hdr, (size_t)hl, json, jl, IO_TIMEOUT_MS, &f, err);
        if (rc < 0)
            continue; /* a connection the server had closed: once more on a new one */
        if (f.status == 503)
            return kh_error_set(err, KH_EIO, NULL, 0, 0,
                                "NATS '%s': no JetStream stream takes '%s'", c->url,
                                c->subject);
        /* {"stream":"S","seq":N[,"duplicate":true]} or {"error":{...}} */
        kh_arena arena;
        kh_arena_init(&arena, 0);
        const kh_node *root = NULL;
        kh_error perr = {0};
        rc = f.status ? -1
                      : kh_doc_load_buffer(&root, &arena, f.data, f.data_len, "PubAck", &perr);
        const kh_node *e = rc == 0 ? kh_node_get(root, "error") : NULL;
        const char *d = e ? kh_node_str(kh_node_get(e, "description")) : NULL;
        int ok = rc == 0 && !e && kh_node_str(kh_node_get(root, "stream"));
        if (!ok)
            kh_error_set(err, KH_EIO, NULL, 0, 0, "NATS '%s': JetStream did not store the alert "
                         "on '%s': %s", c->url, c->subject, d ? d : "unexpected answer");
        kh_arena_free(&arena);
        return ok ? 0 : KH_EIO;
    }
    return KH_EIO;
}

/* -------------------------------------------------------------- input */

/* Unacknowledged messages of the consumer (all watchers). Events folded
 * into dedup are held until their count goes out, so this bounds how many
 * a storm can fold before the counts are handed on (FOLDED_FLUSH). */
#define MAX_ACK_PENDING 20000
#define FOLDED_FLUSH (MAX_ACK_PENDING / 4)
#define PULL_EXPIRES_MS 2000      /* a pull request's life: how soon a stop is seen */

/* A message judged and not yet acknowledged. */
typedef struct held {
    char *reply;                  /* its $JS.ACK subject */
    unsigned long long *need;     /* per sink: delivered count that covers its alerts */
    int folded;                   /* an alert was folded into dedup: wait for a flush */
    int64_t since;
} held;

typedef struct input {
    kh_nats *c;
    kh_watch *w;
    const kh_nats_input *in;
    kh_sink *const *sinks;
    size_t nsinks;
    held *h;
    size_t nh, caph;
    unsigned long long *before, *after, *done; /* per sink, scratch */
    int64_t last_wpi;
    int ready;                    /* stream and consumer set up on this connection */
} input;

/* The stream and the durable consumer, created when absent. */
static int setup(input *p, kh_error *err)
{
    const kh_nats_input *in = p->in;
    kh_arena arena;
    kh_arena_init(&arena, 0);
    const kh_node *root = NULL;
    char subj[600], body[1400];
    snprintf(subj, sizeof(subj), "$JS.API.STREAM.INFO.%s", in->stream);
    int rc = js_api(p->c, subj, "", &arena, &root, err);
    if (rc == KH_ENOTFOUND) {
        snprintf(subj, sizeof(subj), "$JS.API.STREAM.CREATE.%s", in->stream);
        snprintf(body, sizeof(body), "{\"name\":\"%s\",\"subjects\":[\"%s\"],\"storage\":\"file\"}",
                 in->stream, in->subject);
        rc = js_api(p->c, subj, body, &arena, &root, err);
        if (rc == 0)
            fprintf(stderr, "kubeharden watch: created JetStream stream '%s' for '%s'\n",
                    in->stream, in->subject);
    }
    snprintf(subj, sizeof(subj), "$JS.API.CONSUMER.INFO.%s.%s", in->stream, in->consumer);
    if (rc == 0)
        rc = js_api(p->c, subj, "", &arena, &root, err);
    if (rc == KH_ENOTFOUND) {
        char create[600];
        snprintf(create, sizeof(create), "$JS.API.CONSUMER.DURABLE.CREATE.%s.%s", in->stream,
                 in->consumer);
        snprintf(body, sizeof(body),
                 "{\"stream_name\":\"%s\",\"config\":{\"durable_name\":\"%s\","
                 "\"deliver_policy\":\"all\",\"ack_policy\":\"explicit\",\"ack_wait\":%llu,"
                 "\"max_ack_pending\":%d,\"filter_subject\":\"%s\",\"replay_policy\":\"instant\"}}",
                 in->stream, in->consumer, (unsigned long long)in->ack_wait_s * 1000000000ull,
                 MAX_ACK_PENDING, in->subject);
        rc = js_api(p->c, create, body, &arena, &root, err);
        if (rc == KH_EINVALID) /* another watcher created it first */
            rc = js_api(p->c, subj, "", &arena, &root, err);
    }
    if (rc == 0 && kh_node_str(kh_node_path(root, "config.deliver_subject")))
        rc = kh_error_set(err, KH_EINVALID, NULL, 0, 0, "JetStream consumer '%s' is a push "
                          "consumer: --nats-consumer needs a pull consumer", in->consumer);
    kh_arena_free(&arena);
    return rc == KH_EINVALID || rc == KH_ENOTFOUND ? KH_EUSAGE : rc;
}

static void sums(const input *p, unsigned long long *out, unsigned long long *delivered)
{
    for (size_t i = 0; i < p->nsinks; i++) {
        kh_sink_stats st;
        kh_sink_get_stats(p->sinks[i], &st);
        out[i] = st.delivered + st.queued;
        if (delivered)
            delivered[i] = st.delivered;
    }
}

/* Send "+ACK", "+WPI", "+TERM" or "-NAK" for one message; 0 when sent. */
static int ack(input *p, const char *reply, const char *what)
{
    kh_error err;
    if (p->c->fd >= 0 && publish(p->c, reply, "", NULL, 0, what, strlen(what), &err) == 0)
        return 0;
    p->ready = 0;
    return -1;
}

/* Judge one delivered message and hold it until its alerts are safe. */
static int take(input *p, const kh_nats_frame *f, kh_error *err)
{
    /* $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>
     * (9 tokens), or with domain and account hash after ACK (12 tokens). */
    char reply[512];
    if (f->reply_len == 0 || f->reply_len >= sizeof(reply) ||
        strncmp(f->reply, "$JS.ACK.", 8) != 0)
        return 0; /* not a JetStream delivery */
    memcpy(reply, f->reply, f->reply_len);
    reply[f->reply_len] = '\0';
    const char *tok[12];
    size_t nt = 0;
    for (const char *s = reply; s && nt < 12; s = strchr(s, '.'), s = s ? s + 1 : NULL)
        tok[nt++] = s;
    unsigned long long seq = nt >= 9 ? strtoull(tok[nt >= 11 ? 7 : 5], NULL, 10) : 0;
    char label[300];
    snprintf(label, sizeof(label), "<nats %s seq %llu>", p->in->stream, seq);
    unsigned long long *before = p->before, *after = p->after;
    kh_watch_stats s0, s1;
    kh_watch_get_stats(p->w, &s0);
    sums(p, before, NULL);
    kh_error lerr = {0};
    int rc = kh_watch_line(p->w, f->data, f->data_len, label, 1, &lerr);
    kh_watch_get_stats(p->w, &s1);
    sums(p, after, NULL);
    if (rc == KH_ENOMEM)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    if (rc == KH_EPARSE || rc == KH_EINVALID) {
        ack(p, reply, "+TERM"); /* malformed: redelivery cannot help (reported on stderr) */
        return 0;
    }
    for (size_t i = 0; i < p->nsinks; i++)
        if (after[i] - before[i] < s1.alerts - s0.alerts) {
            fprintf(stderr, "kubeharden watch: %s not acknowledged: sink '%s' did not take its "
                            "alerts; JetStream delivers it again\n", label,
                    kh_sink_spec(p->sinks[i]));
            return 0;
        }
    if (p->nh == p->caph) {
        size_t cap = p->caph ? p->caph * 2 : 64;
        held *h = realloc(p->h, cap * sizeof(*h));
        if (!h)
            return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        p->h = h;
        p->caph = cap;
    }
    held *h = &p->h[p->nh];
    h->reply = strdup(reply);
    h->need = calloc(p->nsinks ? p->nsinks : 1, sizeof(*h->need));
    if (!h->reply || !h->need) {
        free(h->reply);
        free(h->need);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    /* With a spool, taken is safe (on disk); else wait for delivery. */
    for (size_t i = 0; i < p->nsinks; i++)
        h->need[i] = p->in->spooled ? 0 : after[i];
    h->folded = s1.folded > s0.folded;
    h->since = now_ms();
    p->nh++;
    return 0;
}

/* Retry the sinks, hand folded counts on when they have waited half the
 * ack wait or FOLDED_FLUSH of them are held, acknowledge what is safe, and tell JetStream the rest is
 * still being worked on. */
static void tend(input *p, int force_flush)
{
    for (size_t i = 0; i < p->nsinks; i++)
        kh_sink_poll(p->sinks[i]);
    int64_t now = now_ms(), half = (int64_t)p->in->ack_wait_s * 500;
    int flush = 0;
    size_t folded = 0;
    for (size_t k = 0; k < p->nh; k++)
        if (p->h[k].folded) {
            folded++;
            if (force_flush || now - p->h[k].since >= half)
                flush = 1;
        }
    /* Before held events fill the ack window and stop the pulls: with 1,000
     * pending, 4,000 folded events in 200,000 stalled the input for half
     * the ack wait (15 s) at a time. */
    if (folded >= FOLDED_FLUSH)
        flush = 1;
    unsigned long long *cur = p->after, *done = p->done;
    if (flush) {
        kh_watch_flush(p->w);
        sums(p, cur, NULL);
        for (size_t k = 0; k < p->nh; k++)
            if (p->h[k].folded) {
                p->h[k].folded = 0;
                for (size_t i = 0; i < p->nsinks; i++)
                    p->h[k].need[i] = p->in->spooled ? 0 : cur[i];
            }
    }
    sums(p, cur, done);
    size_t keep = 0;
    for (size_t k = 0; k < p->nh; k++) {
        held *h = &p->h[k];
        int safe = !h->folded;
        for (size_t i = 0; safe && i < p->nsinks; i++)
            safe = done[i] >= h->need[i];
        if (safe && ack(p, h->reply, "+ACK") == 0) {
            free(h->reply);
            free(h->need);
        } else {
            p->h[keep++] = *h;
        }
    }
    p->nh = keep;
    if (p->nh && now - p->last_wpi >= (int64_t)p->in->ack_wait_s * 1000 / 3) {
        for (size_t k = 0; k < p->nh; k++)
            ack(p, p->h[k].reply, "+WPI");
        p->last_wpi = now;
    }
}

/* One pull request, read until it ends (its 404/408/409 status, its
 * batch, or its expiry). */
static int pull(input *p, kh_error *err)
{
    size_t room = p->nh < MAX_ACK_PENDING ? MAX_ACK_PENDING - p->nh : 0;
    unsigned batch = p->in->batch < room ? p->in->batch : (unsigned)room;
    if (batch == 0) { /* all held for the sinks: wait for them */
        struct timespec ts = {0, 250 * 1000000L};
        nanosleep(&ts, NULL);
        tend(p, 0);
        return 0;
    }
    char subj[600], body[100], inbox[64];
    snprintf(subj, sizeof(subj), "$JS.API.CONSUMER.MSG.NEXT.%s.%s", p->in->stream,
             p->in->consumer);
    snprintf(body, sizeof(body), "{\"batch\":%u,\"expires\":%llu}", batch,
             (unsigned long long)PULL_EXPIRES_MS * 1000000ull);
    snprintf(inbox, sizeof(inbox), "%s.%llu", p->c->inbox, ++p->c->next_req);
    if (publish(p->c, subj, inbox, NULL, 0, body, strlen(body), err) != 0)
        return KH_EIO;
    int64_t until = now_ms() + PULL_EXPIRES_MS + 1000;
    unsigned got = 0;
    for (;;) {
        int64_t now = now_ms();
        if (got == batch)
            break;
        if (now >= until) {
            /* No end of the request came: the consumer may be gone. */
            tend(p, 0);
            return got ? 0 : KH_ENOTFOUND;
        }
        kh_nats_frame f;
        int rc = next_msg(p->c, &f, (int)(until - now < 250 ? until - now : 250), err);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            tend(p, 0);
            continue;
        }
        if (f.status) {
            int ours = f.subject_len == strlen(inbox) && memcmp(f.subject, inbox, f.subject_len) == 0;
            if (f.status == 100 || !ours)
                continue; /* a heartbeat, or the end of an earlier request */
            if (f.status == 404 || f.status == 408)
                break;
            /* 409: the consumer was deleted, or a limit: set up again. */
            fprintf(stderr, "kubeharden watch: NATS pull on '%s.%s' ended: %d %.*s\n",
                    p->in->stream, p->in->consumer, f.status, (int)f.status_text_len,
                    f.status_text);
            tend(p, 0);
            return KH_ENOTFOUND;
        }
        if ((rc = take(p, &f, err)) != 0)
            return rc;
        got++;
        tend(p, 0);
    }
    tend(p, 0);
    return 0;
}

/* Sleep up to @p ms in slices, so a stop is seen. */
static void pause_ms(int64_t ms, volatile sig_atomic_t *stop)
{
    for (int64_t until = now_ms() + ms; !*stop && now_ms() < until;) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

int kh_watch_nats(kh_watch *w, const kh_nats_input *in, kh_sink *const *sinks, size_t nsinks,
                  volatile sig_atomic_t *stop, kh_error *err)
{
    if (!valid_token(in->subject, 0))
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "bad NATS subject '%s'", in->subject);
    if (!valid_token(in->stream, 1) || !valid_token(in->consumer, 1))
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "bad JetStream %s name '%s' (no '.', "
                            "'*', '>' or spaces)", valid_token(in->stream, 1) ? "consumer"
                                                                              : "stream",
                            valid_token(in->stream, 1) ? in->consumer : in->stream);
    input p = {.w = w, .in = in, .sinks = sinks, .nsinks = nsinks};
    kh_watch_set_source(w, "nats");
    p.before = calloc(nsinks + 1, sizeof(*p.before));
    p.after = calloc(nsinks + 1, sizeof(*p.after));
    p.done = calloc(nsinks + 1, sizeof(*p.done));
    int rc = p.before && p.after && p.done
                 ? kh_nats__open(&p.c, in->url, 0, err)
                 : kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    if (rc) {
        free(p.before);
        free(p.after);
        free(p.done);
        return rc;
    }
    int64_t backoff = 0;
    int down = 0, connected = 0;
    while (!*stop && rc == 0) {
        kh_error e = {0};
        if (p.c->fd < 0)
            p.ready = 0;
        if (!p.ready) {
            int k = kh_nats__connect(p.c, &e);
            if (k == 0 && (k = setup(&p, &e)) == KH_EUSAGE) {
                rc = kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "%s", e.message);
                break;
            }
            if (k != 0 && !connected && (strstr(e.message, "Authorization Violation") ||
                                         strstr(e.message, "certificate verification"))) {
                rc = kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "%s", e.message);
                break; /* wrong credentials or CA from the start: retrying cannot help */
            }
            if (k != 0) {
                if (!down++)
                    fprintf(stderr, "kubeharden watch: %s: retrying with backoff\n", e.message);
                backoff = backoff ? (backoff * 2 > 5000 ? 5000 : backoff * 2) : 100;
                pause_ms(backoff / 2 + (int64_t)((double)backoff * rand() / RAND_MAX / 2), stop);
                tend(&p, 0); /* the sinks go on; acks wait for a connection */
                continue;
            }
            if (down)
                fprintf(stderr, "kubeharden watch: NATS '%s' back after %d failed attempts\n",
                        p.c->url, down); /* without credentials */
            down = 0;
            backoff = 0;
            p.ready = connected = 1;
        }
        int k = pull(&p, &e);
        if (k == KH_ENOMEM)
            rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "%s", e.message);
        else if (k != 0)
            p.ready = 0;
    }
    /* Stopping: hand folded counts on, give the sinks a few seconds, then
     * acknowledge what is safe and give the rest back at once (-NAK) so
     * another watcher takes it. */
    tend(&p, 1);
    for (int64_t until = now_ms() + 5000; p.nh && p.c->fd >= 0 && now_ms() < until;) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
        tend(&p, 1);
    }
    for (size_t k = 0; k < p.nh; k++) {
        ack(&p, p.h[k].reply, "-NAK");
        free(p.h[k].reply);
        free(p.h[k].need);
    }
    free(p.h);
    free(p.before);
    free(p.after);
    free(p.done);
    if (p.c->fd >= 0) { /* the acks are read before we hang up: PING, wait for PONG */
        kh_nats_frame f;
        kh_error e;
        if (out(p.c, "PING\r\n", 6, &e) == 0) {
            p.c->ping_out = 1;
            p.c->ping_sent = now_ms();
            for (int64_t until = now_ms() + 2000; p.c->ping_out && now_ms() < until;)
                if (next_msg(p.c, &f, 100, &e) < 0)
                    break;
        }
    }
    kh_nats__close(p.c);
    return rc;
}
