/*
 * fuzz_nats.c -- libFuzzer target for the NATS wire parser of the
 * JetStream input and the nats:// sink (src/watch/nats.c).
 *
 * The input is parsed frame by frame as a connection's read buffer would
 * be. Besides crashes and sanitizer reports it checks the parser's
 * contract: a frame takes at least one byte and never more than it was
 * given, its pointers lie inside the input, a payload ends before the
 * frame's end, and every header lookup lands inside the header block.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "watch/nats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *p, size_t n, const char *lo, const char *hi)
{
    if (n && (p < lo || p + n > hi))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly @p size bytes: a read past it is an ASan report. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    size_t off = 0;
    while (off < size) {
        kh_nats_frame f;
        long n = kh_nats__parse(buf + off, size - off, &f);
        if (n <= 0)
            break;
        if ((size_t)n > size - off)
            abort();
        const char *lo = buf + off, *hi = buf + off + n;
        inside(f.subject, f.subject_len, lo, hi);
        inside(f.reply, f.reply_len, lo, hi);
        inside(f.data, f.data_len, lo, hi);
        inside(f.hdr, f.hdr_len, lo, hi);
        inside(f.status_text, f.status_text_len, lo, hi);
        if (f.op == KH_NATS_MSG && f.hdr && f.hdr + f.hdr_len != f.data)
            abort();
        static const char *const keys[] = {"Nats-Msg-Id", "Status", "Nats-Pending-Messages", ""};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            const char *v;
            size_t vl;
            if (kh_nats__header(&f, keys[k], &v, &vl))
                inside(v, vl, f.hdr, f.hdr + f.hdr_len);
        }
        off += (size_t)n;
    }
    free(buf);
    return 0;
}
