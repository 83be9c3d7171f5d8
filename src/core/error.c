/*
 * error.c -- kh_error: a code, an input position and a message.
 *
 * There is deliberately no global "last error": the webhook serves many
 * requests at once, so every fallible call takes its own kh_error.
 */
#include "kubeharden.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int kh_error_set(kh_error *err, kh_code code, const char *file, unsigned line,
                 unsigned col, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->file = file;
    err->line = line;
    err->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

void kh_error_format(const kh_error *err, char *buf, size_t size)
{
    if (err->file && err->line)
        snprintf(buf, size, "%s:%u:%u: error: %s", err->file, err->line,
                 err->col, err->message);
    else if (err->file)
        snprintf(buf, size, "%s: error: %s", err->file, err->message);
    else
        snprintf(buf, size, "error: %s", err->message);
}
