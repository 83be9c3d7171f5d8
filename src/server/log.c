/*
 * log.c -- the server's structured logs: one JSON object per line on
 * stderr, {"time":..., "level":..., "msg":..., <fields>}. Each line is
 * built in a buffer and written with one write(2), so lines from the
 * worker threads never interleave. Callers put only metadata in fields
 * (uid, route, decision, counts), never a manifest's content.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

void kh_log__str(char *buf, size_t n, size_t *pos, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t p = *pos;
    /* Leave room for the worst escape (6 bytes), the closing quote and NUL. */
    if (p + 2 > n)
        return;
    buf[p++] = '"';
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c && p + 8 < n; c++) {
        if (*c == '"' || *c == '\\') {
            buf[p++] = '\\';
            buf[p++] = (char)*c;
        } else if (*c < 0x20 || *c == 0x7f) {
            memcpy(buf + p, "\\u00", 4);
            buf[p + 4] = hex[*c >> 4];
            buf[p + 5] = hex[*c & 15];
            p += 6;
        } else {
            buf[p++] = (char)*c;
        }
    }
    buf[p++] = '"';
    buf[p] = '\0';
    *pos = p;
}

void kh_log__line(const char *level, const char *msg, const char *fields)
{
    char line[2048];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t pos = (size_t)snprintf(line, sizeof(line),
                                  "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":",
                                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                  tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
    kh_log__str(line, sizeof(line), &pos, level);
    if (pos + 8 < sizeof(line)) {
        memcpy(line + pos, ",\"msg\":", 7);
        pos += 7;
    }
    kh_log__str(line, sizeof(line), &pos, msg);
    if (fields && *fields && pos + 3 < sizeof(line)) {
        int k = snprintf(line + pos, sizeof(line) - pos - 2, ",%s", fields);
        if (k > 0)
            pos += (size_t)k < sizeof(line) - pos - 2 ? (size_t)k : sizeof(line) - pos - 3;
    }
    line[pos++] = '}';
    line[pos++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, pos);
    (void)w; /* nowhere to report a failed log write */
}
