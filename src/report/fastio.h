/*
 * fastio.h -- cheaper stdio for the report writers, and only for them.
 *
 * A report is written by one thread, and most of the cost of writing a
 * finding was stdio taking its lock on every small write. This header
 * redefines fwrite, putc and fputs as unlocked versions that copy short
 * tokens straight into the stream's buffer. It changes what those names
 * mean in the file that includes it, so only the writers in src/report/
 * include it, after every other header; nothing else must see it.
 */
#ifndef KH_REPORT_FASTIO_H
#define KH_REPORT_FASTIO_H

#include <stdio.h>
#include <string.h>

#if defined(__GLIBC__)
/* fprintf, rarer, keeps the lock. Copy straight into the stream's buffer when it has room, as glibc's own
 * putc_unlocked does; otherwise (full, unbuffered or line-buffered) let
 * stdio take the slow path. Report output is mostly short tokens, and the
 * call into fwrite was most of their cost. */
static inline void kh_report__fwrite(const void *p, size_t n, FILE *f)
{
    if (f->_IO_write_ptr && (size_t)(f->_IO_write_end - f->_IO_write_ptr) > n) {
        memcpy(f->_IO_write_ptr, p, n);
        f->_IO_write_ptr += n;
    } else {
        fwrite_unlocked(p, 1, n, f);
    }
}
#define fwrite(p, size, n, f) kh_report__fwrite((p), (size) * (n), (f))
#define putc putc_unlocked
#undef fputs
#define fputs(s, f) kh_report__fwrite((s), strlen(s), (f))
#endif

#endif
