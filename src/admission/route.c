/*
 * route.c -- webhook routes: `/validate/<level>[/<version>[/<mode>]]` and
 * the same with `?version=...&mode=...`.
 *
 * A ValidatingWebhookConfiguration can only choose a path per webhook, so
 * the path carries what a namespace's pod-security.kubernetes.io labels
 * carry for the API server's own admission: level, version and mode. The
 * API server accepts no query string in a webhook's `service.path` or
 * `url` (each path segment must be a DNS-1123 subdomain: ValidateWebhook-
 * Service), so inside a cluster the segments are the way to say it
 * (`/validate/restricted/v1.30/warn`); the query form serves curl and tests.
 * Parsing is strict (unknown or repeated parameters are errors) so that a
 * typo in a webhook configuration fails loudly instead of enforcing less.
 */
#include <string.h>

#include "admission/admission.h"

static const char *const mode_names[] = {"enforce", "warn", "audit"};
static const char *const level_names[] = {"privileged", "baseline", "restricted"};

int kh_mode_parse(kh_mode *out, const char *name)
{
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, mode_names[i]) == 0) {
            *out = (kh_mode)i;
            return KH_OK;
        }
    return KH_EUSAGE;
}

const char *kh_mode_name(kh_mode m)
{
    return (unsigned)m < 3 ? mode_names[m] : "unknown";
}

int kh_admission__level_parse(const char *name)
{
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

const char *kh_admission__level_name(kh_pss_level level)
{
    return (unsigned)level < 3 ? level_names[level] : "unknown";
}

int kh_admission__version_valid(const char *v)
{
    if (strcmp(v, "latest") == 0)
        return 1;
    if (strncmp(v, "v1.", 3) != 0 || !v[3] || (v[3] == '0' && v[4]))
        return 0;
    size_t n = 0;
    for (const char *p = v + 3; *p; p++, n++)
        if (*p < '0' || *p > '9' || n >= 6)
            return 0;
    return 1;
}

#define PREFIX "/validate/"

/* Copy the query value [s, s+n) into @p dst (NUL-ended), refusing what
 * does not fit and any percent-escape: no valid value needs one. */
static int take(char *dst, size_t size, const char *s, size_t n)
{
    if (n >= size || memchr(s, '%', n) || memchr(s, '+', n))
        return 0;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 1;
}

int kh_route_parse(kh_route *out, const char *path, const char *query, kh_error *err)
{
    kh_route r = {.level = KH_PSS_RESTRICTED, .version = "latest", .mode = KH_MODE_ENFORCE};
    if (!path || strncmp(path, PREFIX, sizeof(PREFIX) - 1) != 0)
        return kh_error_set(err, KH_ENOTFOUND, NULL, 0, 0, "no route for '%s'",
                            path ? path : "");
    /* Segments: level, then optional version and mode. */
    char seg[3][24];
    size_t nseg = 0;
    for (const char *p = path + sizeof(PREFIX) - 1;; nseg++) {
        size_t n = strcspn(p, "/");
        if (nseg == 3 || !take(seg[nseg], sizeof(seg[nseg]), p, n) || (n == 0 && nseg))
            return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                "bad route '%.96s' (use /validate/<level>[/<version>[/<mode>]])",
                                path);
        if (!p[n]) {
            nseg++;
            break;
        }
        p += n + 1;
    }
    int level = kh_admission__level_parse(seg[0]);
    if (level < 0)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                            "unknown Pod Security level '%s' in the path (use privileged, "
                            "baseline or restricted)",
                            seg[0]);
    r.level = (kh_pss_level)level;
    int seen_version = nseg > 1, seen_mode = nseg > 2;
    if (seen_version && !kh_admission__version_valid(seg[1]))
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                            "bad Pod Security version '%s' in the path (use latest or v1.N, "
                            "e.g. v1.30)",
                            seg[1]);
    if (seen_version)
        memcpy(r.version, seg[1], strlen(seg[1]) + 1);
    if (seen_mode && kh_mode_parse(&r.mode, seg[2]) != KH_OK)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                            "unknown mode '%s' in the path (use enforce, warn or audit)", seg[2]);
    for (const char *p = query ? query : ""; *p;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        char key[16], value[24];
        if (n == 0) {
            p += end ? 1 : 0; /* "a=1&&b=2": an empty parameter says nothing */
            continue;
        }
        if (!eq || !take(key, sizeof(key), p, (size_t)(eq - p)) ||
            !take(value, sizeof(value), eq + 1, n - (size_t)(eq - p) - 1)) {
            return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                "bad query parameter '%.*s' (use version=latest|v1.N and "
                                "mode=enforce|warn|audit)",
                                (int)(n > 64 ? 64 : n), p);
        }
        if (strcmp(key, "version") == 0) {
            if (seen_version++)
                return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                    "version given twice (in the path and the query, or twice)");
            if (!kh_admission__version_valid(value))
                return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                    "bad Pod Security version '%s' (use latest or v1.N, e.g. "
                                    "v1.30)",
                                    value);
            memcpy(r.version, value, strlen(value) + 1); /* valid: at most 9 bytes */
        } else if (strcmp(key, "mode") == 0) {
            if (seen_mode++)
                return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                    "mode given twice (in the path and the query, or twice)");
            if (kh_mode_parse(&r.mode, value) != KH_OK)
                return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                    "unknown mode '%s' (use enforce, warn or audit)", value);
        } else {
            return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                "unknown query parameter '%s' (use version or mode)", key);
        }
        p += n + (end ? 1 : 0);
    }
    *out = r;
    return KH_OK;
}
