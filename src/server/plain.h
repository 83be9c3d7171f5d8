/*
 * plain.h -- a plain HTTP endpoint with /healthz and /metrics only
 * (plain.c), for `kubeharden watch --metrics-listen` while it reads a file.
 */
#ifndef KH_PLAIN_H
#define KH_PLAIN_H

#include <stddef.h>

struct kh_plain;

/* Serve on @p addr (numeric IPv4 or IPv6) port @p port from a thread of
 * its own until kh_plain__stop; /metrics is what @p metrics returns
 * (malloc'd). @return 0, or -1 with the reason in @p why. */
int kh_plain__start(struct kh_plain **out, const char *addr, unsigned port,
                    char *(*metrics)(void *ud), void *ud, char *why, size_t n);
void kh_plain__stop(struct kh_plain *p);

#endif
