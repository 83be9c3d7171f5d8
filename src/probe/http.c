/*
 * http.c -- reading what a probed server answered: the status line of an
 * HTTP/1.x response, where its body starts, and a string member of a JSON
 * body ("gitVersion" of an API server's /version, "etcdserver" of etcd's,
 * "count" of an etcd range). This is the only network input the probe
 * interprets, so it is written for hostile bytes: every read is bounded by
 * the length, nothing is allocated, and anything unexpected is "not found"
 * (fuzz/fuzz_probe.c). The JSON scan is deliberately shallow: it looks for
 * "key" followed by optional spaces, ':' and a string, which is all the
 * evidence needs, and never treats a match inside a string as a key.
 */
#include <string.h>

#include "probe/internal.h"

int kh_probe__http_parse(const char *buf, size_t len, kh_pr_http *out)
{
    memset(out, 0, sizeof(*out));
    /* "HTTP/1.x NNN" */
    if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[7] < '0' || buf[7] > '9' ||
        buf[8] != ' ')
        return -1;
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (buf[i] < '0' || buf[i] > '9')
            return -1;
        status = status * 10 + (buf[i] - '0');
    }
    if (status < 100 || (len > 12 && buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n'))
        return -1;
    const char *nl = memchr(buf, '\n', len);
    if (!nl)
        return -1;
    size_t line_len = (size_t)(nl - buf);
    if (line_len && buf[line_len - 1] == '\r')
        line_len--;
    out->status = status;
    out->line = buf;
    out->line_len = line_len;
    /* The body starts after the first empty line (CRLF CRLF or LF LF). */
    for (const char *p = nl; p < buf + len; ) {
        const char *q = memchr(p, '\n', (size_t)(buf + len - p));
        if (!q)
            break;
        const char *next = q + 1;
        if (next < buf + len && *next == '\r')
            next++;
        if (next < buf + len && *next == '\n') {
            out->body = next + 1;
            out->body_len = (size_t)(buf + len - out->body);
            break;
        }
        p = q + 1;
    }
    return 0;
}

/* The end of the JSON string whose opening quote is at @p s[i]: the index
 * of its closing quote, or len when it does not close. */
static size_t string_end(const char *s, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i;
    }
    return len;
}

int kh_probe__json_string(const char *s, size_t len, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    if (!s || !size)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '"')
            continue;
        size_t end = string_end(s, len, i);
        if (end >= len)
            return -1;
        int is_key = end - i - 1 == klen && memcmp(s + i + 1, key, klen) == 0;
        size_t j = end + 1;
        while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n'))
            j++;
        if (j < len && s[j] == ':') {
            /* a member name: look at its value */
            j++;
            while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n'))
                j++;
            if (is_key && j < len && s[j] == '"') {
                size_t vend = string_end(s, len, j);
                if (vend >= len)
                    return -1;
                size_t n = vend - j - 1;
                if (n > size - 1)
                    n = size - 1;
                memcpy(out, s + j + 1, n);
                out[n] = '\0';
                return 0;
            }
        }
        i = end; /* skip the string, whatever it was */
    }
    return -1;
}

/* The value of header @p name (case-insensitive) in the head @p head..@p end,
 * or NULL. */
static const char *header(const char *head, const char *end, const char *name, size_t *vlen)
{
    size_t n = strlen(name);
    const char *p = memchr(head, '\n', (size_t)(end - head)); /* skip the status line */
    while (p && p + 1 < end) {
        p++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > n && p[n] == ':') {
            size_t i = 0;
            while (i < n && (p[i] | 0x20) == (name[i] | 0x20))
                i++;
            if (i == n) {
                const char *v = p + n + 1;
                while (v < eol && (*v == ' ' || *v == '\t'))
                    v++;
                const char *ve = eol;
                while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                    ve--;
                *vlen = (size_t)(ve - v);
                return v;
            }
        }
        p = eol < end ? eol : NULL;
    }
    return NULL;
}

int kh_probe__http_complete(const char *buf, size_t len)
{
    kh_pr_http h;
    if (kh_probe__http_parse(buf, len, &h) != 0 || !h.body)
        return 0;
    if (h.status < 200 || h.status == 204 || h.status == 304)
        return 1;
    size_t vlen;
    const char *v = header(buf, h.body, "Content-Length", &vlen);
    if (v) {
        size_t want = 0;
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9' || want > (size_t)1 << 40)
                return 0;
            want = want * 10 + (size_t)(v[i] - '0');
        }
        return h.body_len >= want;
    }
    v = header(buf, h.body, "Transfer-Encoding", &vlen);
    if (v && vlen >= 7 && memcmp(v + vlen - 7, "chunked", 7) == 0) {
        /* the last chunk: "0" CRLF, no trailers, CRLF */
        return h.body_len >= 5 && memcmp(h.body + h.body_len - 5, "0\r\n\r\n", 5) == 0;
    }
    return 0; /* read to the close */
}
