/*
 * imageref.c -- the image reference grammar of distribution/reference,
 * by hand instead of by regular expression.
 *
 * Normalisation first picks the registry the way splitDockerDomain does
 * (first component with '.' or ':', "localhost", or upper case; otherwise
 * docker.io, with "library/" for one-component names), then the whole
 * "domain/remainder" must match the reference grammar and the digest must
 * pass go-digest's checks. One deliberate difference: when the component
 * chosen as the registry is not a valid host ("a_b.example/app"), upstream
 * would silently read the whole name as a path; we call the reference
 * invalid, so that allow-lists can never be sidestepped through it.
 */
#include "k8s/imageref.h"

#include <string.h>
#include <strings.h>

#include "kubeharden.h"

#define MAX_PATH_LEN 255   /* RepositoryNameTotalLengthMax: the path, not the domain */
#define MAX_TAG_LEN 128

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
    return is_alnum(c) || c == '_';
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* ------------------------------------------------------------- domains */

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool domain_component(const char *s, size_t n)
{
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

static bool domain_name(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (!domain_component(s + start, i - start))
            return false;
        start = i + 1;
    }
    return true;
}

/* host [":" port]; host := domain-name | "[" [a-fA-F0-9:]+ "]" */
static bool domain_and_port(const char *s, size_t n)
{
    size_t host_end = n;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || close == s + 1)
            return false;
        for (const char *p = s + 1; p < close; p++)
            if (!is_hex(*p) && *p != ':')
                return false;
        host_end = (size_t)(close - s) + 1;
        if (host_end < n && s[host_end] != ':')
            return false;
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon)
            host_end = (size_t)(colon - s);
        if (!domain_name(s, host_end))
            return false;
    }
    if (host_end == n)
        return true;
    if (host_end + 1 == n)
        return false; /* ":" with no port */
    for (size_t i = host_end + 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* --------------------------------------------------------------- paths */

/* path-component := [a-z0-9]+ ((?:[._]|__|[-]+) [a-z0-9]+)* */
static bool path_component(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (!is_lower_alnum(s[i]))
            return false;
        while (i < n && is_lower_alnum(s[i]))
            i++;
        if (i == n)
            return true;
        size_t sep = i;
        if (s[i] == '.')
            i++;
        else if (s[i] == '_')
            i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
        else if (s[i] == '-')
            while (i < n && s[i] == '-')
                i++;
        if (i == sep || i == n)
            return false; /* not a separator, or a trailing one */
    }
    return n > 0;
}

static bool remote_name(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '/')
            continue;
        if (!path_component(s + start, i - start))
            return false;
        start = i + 1;
    }
    return true;
}

/* ------------------------------------------------------- tags, digests */

static bool tag_valid(const char *s, size_t n)
{
    if (n == 0 || n > MAX_TAG_LEN || !is_word(s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

/* algorithm := [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)* */
static bool digest_algorithm(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
            return false;
        while (i < n && is_alnum(s[i]))
            i++;
        if (i == n)
            return true;
        if (!strchr("-_+.", s[i]) || i + 1 == n)
            return false;
        i++;
    }
    return false;
}

/* Syntax as in the reference grammar, then go-digest's Validate: a
 * registered algorithm and lower-case hex of its exact length. */
static const char *digest_problem(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (!colon || !digest_algorithm(s, (size_t)(colon - s)))
        return "invalid digest";
    size_t alen = (size_t)(colon - s), hlen = n - alen - 1;
    const char *hex = colon + 1;
    if (hlen < 32)
        return "invalid digest";
    for (size_t i = 0; i < hlen; i++)
        if (!is_hex(hex[i]))
            return "invalid digest";
    static const struct {
        const char *name;
        size_t hex_len;
    } algos[] = {{"sha256", 64}, {"sha384", 96}, {"sha512", 128}};
    for (size_t a = 0; a < sizeof(algos) / sizeof(algos[0]); a++) {
        if (strlen(algos[a].name) != alen || memcmp(algos[a].name, s, alen) != 0)
            continue;
        if (hlen != algos[a].hex_len)
            return "digest has the wrong length for its algorithm";
        for (size_t i = 0; i < hlen; i++)
            if (!is_lower_hex(hex[i]))
                return "digest must be lower-case hexadecimal";
        return NULL;
    }
    return "unsupported digest algorithm (use sha256, sha384 or sha512)";
}

bool kh_imageref_digest_valid(const char *digest)
{
    return digest && !digest_problem(digest, strlen(digest));
}

/* ------------------------------------------------------------- parsing */

static bool is_identifier(const char *s)
{
    size_t n = strlen(s);
    if (n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_hex(s[i]))
            return false;
    return true;
}

static bool has_upper(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            return true;
    return false;
}

typedef struct split {
    const char *domain;
    size_t domain_len;
    const char *rest;            /* remainder after "domain/" */
    bool library;                /* prefix "library/" to rest */
} split;

/* splitDockerDomain: which part of the reference names the registry. */
static void split_domain(split *sp, const char *s)
{
    const char *slash = strchr(s, '/');
    sp->domain = "docker.io";
    sp->domain_len = 9;
    sp->rest = s;
    sp->library = false;
    if (!slash) {
        sp->library = true;
        return;
    }
    size_t n = (size_t)(slash - s);
    bool is_domain = (n == 9 && memcmp(s, "localhost", 9) == 0) ||
                     memchr(s, '.', n) || memchr(s, ':', n) || has_upper(s, n);
    bool legacy_hub = n == 15 && memcmp(s, "index.docker.io", 15) == 0;
    if (is_domain) {
        sp->rest = slash + 1;
        if (!legacy_hub) {
            sp->domain = s;
            sp->domain_len = n;
        }
    }
    if (sp->domain_len == 9 && memcmp(sp->domain, "docker.io", 9) == 0 &&
        !strchr(sp->rest, '/'))
        sp->library = true;
}

static const char oom[] = "out of memory";

/* Parse "path[:tag][@digest]" (the remainder after the registry). */
static const char *parse_rest(kh_imageref *out, const split *sp, kh_arena *arena)
{
    const char *rest = sp->rest;
    const char *at = strchr(rest, '@');
    size_t name_end = at ? (size_t)(at - rest) : strlen(rest);
    const char *colon = memchr(rest, ':', name_end);
    size_t path_len = colon ? (size_t)(colon - rest) : name_end;
    if (has_upper(rest, path_len))
        return "repository name must be lowercase";
    if (!remote_name(rest, path_len))
        return "invalid repository path";
    if (path_len + (sp->library ? 8 : 0) > MAX_PATH_LEN)
        return "repository name must not be more than 255 characters";
    if (colon && !tag_valid(colon + 1, name_end - path_len - 1))
        return "invalid tag";
    if (at) {
        const char *problem = digest_problem(at + 1, strlen(at + 1));
        if (problem)
            return problem;
        if (!(out->digest = kh_arena_strdup(arena, at + 1)))
            return oom;
    }
    if (colon && !(out->tag = kh_arena_strndup(arena, colon + 1, name_end - path_len - 1)))
        return oom;
    out->domain = kh_arena_strndup(arena, sp->domain, sp->domain_len);
    out->path = kh_arena_printf(arena, "%s%.*s", sp->library ? "library/" : "",
                                (int)path_len, rest);
    if (!out->domain || !out->path)
        return oom;
    out->name = kh_arena_printf(arena, "%s/%s", out->domain, out->path);
    return out->name ? NULL : oom;
}

int kh_imageref_parse(kh_imageref *out, const char *ref, kh_arena *arena,
                      const char **why)
{
    memset(out, 0, sizeof(*out));
    *why = NULL;
    if (!ref || !*ref)
        *why = "empty image reference";
    else if (is_identifier(ref))
        *why = "a 64-character hexadecimal string is an image id, not a reference";
    if (*why)
        return KH_EINVALID;
    split sp;
    split_domain(&sp, ref);
    if (!domain_and_port(sp.domain, sp.domain_len)) {
        *why = "invalid registry host";
        return KH_EINVALID;
    }
    *why = parse_rest(out, &sp, arena);
    if (*why == oom)
        return KH_ENOMEM;
    return *why ? KH_EINVALID : KH_OK;
}

const char *kh_imageref_tag_or_latest(const kh_imageref *ref)
{
    return ref->tag ? ref->tag : "latest";
}

/* ------------------------------------------------------------ matching */

bool kh_imageref_prefix_valid(const char *prefix)
{
    const char *host = prefix;
    if (host[0] == '*' && host[1] == '.')
        host += 2;
    const char *slash = strchr(host, '/');
    size_t n = slash ? (size_t)(slash - host) : strlen(host);
    bool looks_like_host = (n == 9 && memcmp(host, "localhost", 9) == 0) ||
                           memchr(host, '.', n) || memchr(host, ':', n) ||
                           has_upper(host, n);
    if (!looks_like_host || !domain_and_port(host, n))
        return false;
    if (!slash)
        return true;
    size_t plen = strlen(slash + 1);
    while (plen > 0 && slash[plen] == '/')
        plen--; /* trailing slashes */
    return plen == 0 || remote_name(slash + 1, plen);
}

/* Does @p host (n bytes) match the entry host @p pat (m bytes)? */
static bool host_matches(const char *host, size_t n, const char *pat, size_t m)
{
    if (m > 2 && pat[0] == '*' && pat[1] == '.') {
        /* "*.example.com": at least one label before ".example.com". */
        size_t suffix = m - 1;
        return n > suffix && strncasecmp(host + n - suffix, pat + 1, suffix) == 0 &&
               !memchr(host, ':', n);
    }
    return n == m && strncasecmp(host, pat, n) == 0;
}

bool kh_imageref_name_has_prefix(const char *name, const char *prefix)
{
    const char *name_slash = strchr(name, '/');
    const char *pat_slash = strchr(prefix, '/');
    size_t host_len = name_slash ? (size_t)(name_slash - name) : strlen(name);
    size_t pat_len = pat_slash ? (size_t)(pat_slash - prefix) : strlen(prefix);
    if (!host_matches(name, host_len, prefix, pat_len))
        return false;
    if (!pat_slash)
        return true;
    const char *path = name + host_len, *pat = pat_slash;
    size_t plen = strlen(pat);
    while (plen > 0 && pat[plen - 1] == '/')
        plen--; /* "registry.example/team/" is "registry.example/team" */
    if (plen == 0)
        return true;
    return strncmp(path, pat, plen) == 0 && (path[plen] == '\0' || path[plen] == '/');
}
