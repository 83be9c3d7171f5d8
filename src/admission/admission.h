/*
 * admission.h -- what the files of src/admission share: a growable JSON
 * text buffer (jbuf.c), the Pod Security wording of a denial (psa.c) and
 * the strict policy-version syntax that routes and the configuration use.
 */
#ifndef KH_ADMISSION_ADMISSION_H
#define KH_ADMISSION_ADMISSION_H

#include <stddef.h>

#include "core/arena.h"
#include "kubeharden.h"

/* "latest" or "v1.N" without leading zeros, as Pod Security admission's
 * version labels (api.ParseVersion); 1 when valid. */
int kh_admission__version_valid(const char *v);

/* Level names as Pod Security admission spells them; -1 when unknown. */
int kh_admission__level_parse(const char *name);
const char *kh_admission__level_name(kh_pss_level level);

/* A malloc'd text buffer that remembers running out of memory, so a
 * response is built without checking every append. */
typedef struct kh_jbuf {
    char *p;
    size_t len, cap;
    int oom;
} kh_jbuf;

void kh_jbuf__raw(kh_jbuf *b, const char *s, size_t n);
void kh_jbuf__cstr(kh_jbuf *b, const char *s);
/* @p s as a JSON string, quotes included. */
void kh_jbuf__json(kh_jbuf *b, const char *s);

/* One Pod Security finding: its rule and message. */
typedef struct kh_psa_hit {
    const char *rule_id;
    const char *message;
} kh_psa_hit;

/*
 * The findings of one evaluation worded as Pod Security admission's
 * AggregateCheckResult.ForbiddenDetail(): one "reason (detail)" per
 * upstream check, in upstream's check order, joined with ", ", where a
 * check's detail merges its findings (containers "a", "b" must ...).
 * Allocated in @p arena; NULL when out of memory.
 */
const char *kh_psa__detail(kh_arena *arena, const kh_psa_hit *hits, size_t n);

#endif
