/*
 * policy.c -- lookups the image rules make in the configured policy:
 * registry allow-list, signature evidence against trusted signers, and
 * the vulnerability index.
 *
 * The tables are small next to the objects scanned (a few registries,
 * signers and reports), so lookups are linear scans; every query is
 * independent of how many objects a scan holds.
 */
#include "rules/policy.h"

#include <fnmatch.h>
#include <string.h>
#include <strings.h>

const char *kh_policy__trusted_registry(const kh_policy *p, const char *name)
{
    for (size_t i = 0; p && i < p->nregistries; i++)
        if (kh_imageref_name_has_prefix(name, p->registries[i]))
            return p->registries[i];
    return NULL;
}

/* ---------------------------------------------------------- signatures */

static bool signer_matches(const kh_signer *s, const kh_signature *sig)
{
    if (s->key)
        return sig->key && strcmp(s->key, sig->key) == 0;
    return sig->issuer && sig->subject && strcmp(s->issuer, sig->issuer) == 0 &&
           fnmatch(s->subject, sig->subject, 0) == 0;
}

static bool trusted(const kh_policy *p, const kh_signature *sig)
{
    for (size_t i = 0; i < p->nsigners; i++)
        if (signer_matches(&p->signers[i], sig))
            return true;
    return false;
}

/* The signature is for this image: same digest, and the repository it
 * names (when it names one) is the image's. */
static bool covers(const kh_signature *sig, const kh_imageref *ref)
{
    return strcmp(sig->digest, ref->digest) == 0 &&
           (!sig->repository || strcmp(sig->repository, ref->name) == 0);
}

static const char *identity(const kh_signature *sig)
{
    if (sig->key)
        return sig->key;
    return sig->subject ? sig->subject : "an unnamed key";
}

kh_signature_status kh_policy__signature(const kh_policy *p, const kh_imageref *ref,
                                         const char **who)
{
    *who = NULL;
    if (!ref->digest)
        return KH_SIGNATURE_NO_DIGEST;
    for (size_t i = 0; p && i < p->nsignatures; i++) {
        const kh_signature *sig = &p->signatures[i];
        if (!covers(sig, ref))
            continue;
        if (trusted(p, sig))
            return KH_SIGNED;
        if (!*who)
            *who = identity(sig);
    }
    return *who ? KH_SIGNATURE_UNTRUSTED : KH_SIGNATURE_NONE;
}

/* ------------------------------------------------------ vulnerabilities */

static bool in_list(const char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static bool image_matches(const kh_vuln_image *img, const kh_imageref *ref)
{
    if (ref->digest)
        return in_list(img->digests, img->ndigests, ref->digest);
    /* names are "name:tag"; the name part has no ':' after its registry */
    const char *tag = kh_imageref_tag_or_latest(ref);
    size_t nlen = strlen(ref->name);
    for (size_t i = 0; i < img->nnames; i++) {
        const char *n = img->names[i];
        if (strncmp(n, ref->name, nlen) == 0 && n[nlen] == ':' && strcmp(n + nlen + 1, tag) == 0)
            return true;
    }
    return false;
}

size_t kh_policy__vuln_images(const kh_policy *p, const kh_imageref *ref,
                              const kh_vuln_image **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; p && i < p->nvuln_images && n < max; i++)
        if (image_matches(&p->vuln_images[i], ref))
            out[n++] = &p->vuln_images[i];
    return n;
}

int kh_policy__scanner_severity(const char *name, kh_severity *out)
{
    static const struct {
        const char *name;
        kh_severity sev;
    } names[] = {
        {"unknown", KH_SEVERITY_INFO}, {"negligible", KH_SEVERITY_INFO},
        {"low", KH_SEVERITY_LOW},      {"medium", KH_SEVERITY_MEDIUM},
        {"high", KH_SEVERITY_HIGH},    {"critical", KH_SEVERITY_CRITICAL},
    };
    for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].sev;
            return 0;
        }
    }
    return -1;
}
