/*
 * jbuf.c -- a growable text buffer for AdmissionReview responses.
 *
 * Responses are small (a few hundred bytes, a few KiB with many
 * violations), so the buffer doubles from 512 bytes. A failed allocation
 * only sets oom; the caller checks once when the response is complete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/admission.h"

void kh_jbuf__raw(kh_jbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void kh_jbuf__cstr(kh_jbuf *b, const char *s)
{
    kh_jbuf__raw(b, s, strlen(s));
}

/* Bytes >= 0x80 pass through: the loader has checked the input is UTF-8,
 * and every string written comes from it or from us. */
void kh_jbuf__json(kh_jbuf *b, const char *s)
{
    kh_jbuf__raw(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        kh_jbuf__raw(b, run, (size_t)(s - run));
        char esc[8];
        switch (c) {
        case '"': kh_jbuf__raw(b, "\\\"", 2); break;
        case '\\': kh_jbuf__raw(b, "\\\\", 2); break;
        case '\n': kh_jbuf__raw(b, "\\n", 2); break;
        case '\t': kh_jbuf__raw(b, "\\t", 2); break;
        case '\r': kh_jbuf__raw(b, "\\r", 2); break;
        default:
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            kh_jbuf__raw(b, esc, 6);
        }
        run = s + 1;
    }
    kh_jbuf__raw(b, run, (size_t)(s - run));
    kh_jbuf__raw(b, "\"", 1);
}
