/*
 * evidence.c -- vulnerability reports (Trivy, Grype) and signature
 * verification results (cosign) read into the policy the image rules use.
 *
 * Each file is one JSON document, read with the manifest loader into a
 * scratch arena; only what the rules need (image names and digests, CVE
 * ids and severities, signed digests and signer identities) is copied into
 * the configuration's arena. Formats are documented in docs/supply-chain.md.
 * A malformed file is an error with file:line:col, and the policy is left
 * exactly as it was before the call.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/array.h"
#include "core/file.h"
#include "doc/node.h"
#include "k8s/imageref.h"
#include "scan/config.h"

typedef struct ev {
    kh_config *cfg;
    kh_arena *scratch;           /* the parsed file; freed after loading */
    const char *label;           /* the file as named in errors */
    kh_error *err;
} ev;

static int bad(ev *e, const kh_node *at, const char *fmt, const char *arg)
{
    return kh_error_set(e->err, KH_EINVALID, e->label, at ? at->line : 0,
                        at ? at->col : 0, fmt, arg);
}

static int oom(ev *e)
{
    return kh_error_set(e->err, KH_ENOMEM, e->label, 0, 0, "out of memory");
}

/* A string value, or NULL when absent or not a string. */
static const char *text(const kh_node *n)
{
    return n && n->type == KH_NODE_STRING ? n->u.text : NULL;
}

/* NULL, null or a sequence; anything else is an error naming @p what. */
static int optional_seq(ev *e, const kh_node *n, const char *what)
{
    if (!n || n->type == KH_NODE_NULL || kh_node_is_seq(n))
        return KH_OK;
    return bad(e, n, "'%s' must be a list", what);
}

/* Value of @p key in @p map, compared case-insensitively (old cosign
 * versions printed "Critical" and "Docker-manifest-digest"). */
static const kh_node *get_ci(const kh_node *map, const char *key)
{
    if (!kh_node_is_map(map))
        return NULL;
    for (size_t i = 0; i < map->len; i++) {
        const char *k = kh_node_str(map->u.pairs[i].key);
        if (k && strcasecmp(k, key) == 0)
            return map->u.pairs[i].value;
    }
    return NULL;
}

/* Read @p path and parse it as one JSON (YAML) document. */
static int load_tree(ev *e, const char *path, const char *what, const kh_node **root)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = kh_file__read(path, what, KH_FILE_MAX_BYTES, &buf, &len, e->err);
    if (rc) {
        if (e->err)
            e->err->file = e->label;
        return rc;
    }
    kh_error perr = {0};
    rc = kh_doc_load_buffer(root, e->scratch, buf, len, e->label, &perr);
    free(buf);
    if (rc == KH_EPARSE && strcmp(perr.message, "empty document") == 0)
        return kh_error_set(e->err, KH_EPARSE, e->label, 0, 0, "%s is empty", what);
    if (rc)
        return kh_error_set(e->err, (kh_code)rc, e->label, perr.line, perr.col, "%s",
                            perr.message);
    return KH_OK;
}

/* ---------------------------------------------------- vulnerability index */

static int push_str(ev *e, const char ***items, size_t *n, const char *s)
{
    const char **slot = kh_array__push(&e->cfg->arena, items, n, sizeof(char *));
    if (!slot || !(*slot = kh_arena_strdup(&e->cfg->arena, s)))
        return oom(e);
    return KH_OK;
}

/* Record what an image reference names: "name:tag" (no tag and no digest
 * is :latest, as the runtime pulls it) and its digest. A @p strict
 * reference must parse; a lenient one (what the user typed, which may be
 * a file path) is skipped when it does not. */
static int add_reference(ev *e, kh_vuln_image *img, const kh_node *n, int strict)
{
    kh_imageref ref;
    const char *why, *s = text(n);
    if (!s)
        return strict ? bad(e, n, "%s must be a string", "an image reference") : KH_OK;
    int rc = kh_imageref_parse(&ref, s, e->scratch, &why);
    if (rc == KH_ENOMEM)
        return oom(e);
    if (rc)
        return strict ? bad(e, n, "bad image reference '%s'", s) : KH_OK;
    if (ref.digest && (rc = push_str(e, &img->digests, &img->ndigests, ref.digest)))
        return rc;
    if (!ref.tag && ref.digest)
        return KH_OK;
    const char *named = kh_arena_printf(e->scratch, "%s:%s", ref.name,
                                        kh_imageref_tag_or_latest(&ref));
    return named ? push_str(e, &img->names, &img->nnames, named) : oom(e);
}

static int add_references(ev *e, kh_vuln_image *img, const kh_node *seq, const char *what)
{
    int rc = optional_seq(e, seq, what);
    for (size_t i = 0; rc == KH_OK && kh_node_is_seq(seq) && i < seq->len; i++)
        rc = add_reference(e, img, kh_node_at(seq, i), 1);
    return rc;
}

static int add_vuln(ev *e, kh_vuln_image *img, const kh_node *id, const kh_node *sev,
                    const kh_node *entry)
{
    kh_severity severity;
    if (!text(id) || !*text(id))
        return bad(e, id ? id : entry, "%s must be a non-empty string", "the vulnerability id");
    if (!text(sev))
        return bad(e, sev ? sev : entry, "%s must be a string", "the severity");
    if (kh_policy__scanner_severity(text(sev), &severity) != 0)
        return bad(e, sev,
                   "unknown severity '%s' (expected unknown, negligible, low, medium, high "
                   "or critical)",
                   text(sev));
    kh_vuln *v = kh_array__push(&e->cfg->arena, &img->vulns, &img->nvulns, sizeof(*v));
    if (!v || !(v->id = kh_arena_strdup(&e->cfg->arena, text(id))))
        return oom(e);
    v->severity = severity;
    return KH_OK;
}

static int vuln_cmp(const void *pa, const void *pb)
{
    const kh_vuln *a = pa, *b = pb;
    return strcmp(a->id, b->id);
}

/* One entry per id (a CVE is listed once per affected package), with the
 * highest severity any entry gave it. */
static void dedupe_vulns(kh_vuln_image *img)
{
    if (img->nvulns < 2)
        return;
    qsort(img->vulns, img->nvulns, sizeof(kh_vuln), vuln_cmp);
    size_t out = 0;
    for (size_t i = 0; i < img->nvulns; i++) {
        if (out && strcmp(img->vulns[out - 1].id, img->vulns[i].id) == 0) {
            if (img->vulns[i].severity > img->vulns[out - 1].severity)
                img->vulns[out - 1].severity = img->vulns[i].severity;
            continue;
        }
        img->vulns[out++] = img->vulns[i];
    }
    img->nvulns = out;
}

/* trivy image -f json: ArtifactName, ArtifactType, Metadata.{RepoTags,
 * RepoDigests}, Results[].Vulnerabilities[].{VulnerabilityID, Severity}. */
static int load_trivy(ev *e, const kh_node *root, kh_vuln_image *img)
{
    const kh_node *type = kh_node_get(root, "ArtifactType");
    if (type && (!text(type) || strcmp(text(type), "container_image") != 0))
        return bad(e, type, "this Trivy report is for a '%s', not a container image",
                   text(type) ? text(type) : "?");
    const kh_node *meta = kh_node_get(root, "Metadata");
    int rc = add_reference(e, img, kh_node_get(root, "ArtifactName"), 0);
    if (!rc)
        rc = add_references(e, img, kh_node_get(meta, "RepoTags"), "Metadata.RepoTags");
    if (!rc)
        rc = add_references(e, img, kh_node_get(meta, "RepoDigests"), "Metadata.RepoDigests");
    const kh_node *results = kh_node_get(root, "Results");
    if (!rc)
        rc = optional_seq(e, results, "Results");
    for (size_t i = 0; !rc && kh_node_is_seq(results) && i < results->len; i++) {
        const kh_node *vulns = kh_node_get(kh_node_at(results, i), "Vulnerabilities");
        rc = optional_seq(e, vulns, "Results[].Vulnerabilities");
        for (size_t k = 0; !rc && kh_node_is_seq(vulns) && k < vulns->len; k++) {
            const kh_node *v = kh_node_at(vulns, k);
            rc = add_vuln(e, img, kh_node_get(v, "VulnerabilityID"),
                          kh_node_get(v, "Severity"), v);
        }
    }
    return rc;
}

/* Grype's source.target.userInput may carry a source scheme. */
static const kh_node *strip_scheme(ev *e, const kh_node *n)
{
    static const char *const schemes[] = {"docker:", "podman:", "registry:", "containerd:"};
    const char *s = text(n);
    for (size_t i = 0; s && i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t k = strlen(schemes[i]);
        if (strncmp(s, schemes[i], k) != 0)
            continue;
        kh_node *copy = kh_arena_alloc(e->scratch, sizeof(*copy));
        if (!copy)
            return n;
        *copy = *n;
        copy->u.text = s + k;
        return copy;
    }
    return n;
}

/* grype -o json: source.{type, target.{userInput, tags, repoDigests,
 * manifestDigest}}, matches[].vulnerability.{id, severity}. */
static int load_grype(ev *e, const kh_node *root, kh_vuln_image *img)
{
    const kh_node *source = kh_node_get(root, "source");
    const kh_node *type = kh_node_get(source, "type");
    if (type && (!text(type) || strcmp(text(type), "image") != 0))
        return bad(e, type, "this Grype report is for a '%s', not a container image",
                   text(type) ? text(type) : "?");
    const kh_node *target = kh_node_get(source, "target");
    int rc = add_reference(e, img, strip_scheme(e, kh_node_get(target, "userInput")), 0);
    if (!rc)
        rc = add_references(e, img, kh_node_get(target, "tags"), "source.target.tags");
    if (!rc)
        rc = add_references(e, img, kh_node_get(target, "repoDigests"),
                            "source.target.repoDigests");
    const kh_node *md = kh_node_get(target, "manifestDigest");
    if (!rc && md && md->type != KH_NODE_NULL) {
        if (!kh_imageref_digest_valid(text(md)))
            return bad(e, md, "bad digest '%s'", text(md) ? text(md) : "?");
        rc = push_str(e, &img->digests, &img->ndigests, text(md));
    }
    const kh_node *matches = kh_node_get(root, "matches");
    if (!rc)
        rc = optional_seq(e, matches, "matches");
    for (size_t i = 0; !rc && kh_node_is_seq(matches) && i < matches->len; i++) {
        const kh_node *m = kh_node_at(matches, i);
        const kh_node *v = kh_node_get(m, "vulnerability");
        if (!kh_node_is_map(v))
            return bad(e, v ? v : m, "%s must be a mapping", "matches[].vulnerability");
        rc = add_vuln(e, img, kh_node_get(v, "id"), kh_node_get(v, "severity"), v);
    }
    return rc;
}

static int load_report(ev *e, const kh_node *root, kh_vuln_image *img)
{
    if (kh_node_is_seq(root))
        return bad(e, root, "%s",
                   "this is Trivy's old list format, which does not name the image; "
                   "use the report of a current trivy (trivy image -f json)");
    if (!kh_node_is_map(root))
        return bad(e, root, "%s", "not a Trivy or Grype JSON report");
    if (kh_node_get(root, "matches") || kh_node_get(root, "source"))
        return load_grype(e, root, img);
    if (kh_node_get(root, "Results") || kh_node_get(root, "ArtifactName") ||
        kh_node_get(root, "SchemaVersion"))
        return load_trivy(e, root, img);
    return bad(e, root, "%s",
               "not a Trivy or Grype JSON report (it has neither 'Results' nor 'matches')");
}

int kh_config__load_vuln_report(kh_config *cfg, const char *path, const char *label,
                                kh_error *err)
{
    kh_policy *p = &cfg->policy;
    size_t before = p->nvuln_images;
    kh_arena scratch;
    kh_arena_init(&scratch, 0);
    ev e = {cfg, &scratch, label ? label : path, err};
    const kh_node *root = NULL;
    int rc = load_tree(&e, path, "vulnerability report", &root);
    kh_vuln_image *img = NULL;
    if (!rc) {
        img = kh_array__push(&cfg->arena, &p->vuln_images, &p->nvuln_images, sizeof(*img));
        rc = img ? KH_OK : oom(&e);
    }
    if (!rc && !(img->source = kh_arena_strdup(&cfg->arena, e.label)))
        rc = oom(&e);
    if (!rc)
        rc = load_report(&e, root, img);
    if (!rc) {
        dedupe_vulns(img);
        p->vuln_reports_given = true;
    } else {
        p->nvuln_images = before;
    }
    kh_arena_free(&scratch);
    return rc;
}

int kh_config_add_vuln_report(kh_config *cfg, const char *path, kh_error *err)
{
    return kh_config__load_vuln_report(cfg, path, path, err);
}

/* ----------------------------------------------------------- signatures */

/* The claim types of image signatures; attestations (SLSA provenance...)
 * in the same output are not signatures of the image and are skipped. */
static int is_signature_type(const char *type)
{
    return type && (strcmp(type, "cosign container image signature") == 0 ||
                     strcmp(type, "https://sigstore.dev/cosign/sign/v1") == 0);
}

static int signature_repository(ev *e, const kh_node *identity, kh_signature *sig)
{
    const kh_node *ref = get_ci(identity, "docker-reference");
    if (!ref || ref->type == KH_NODE_NULL || (text(ref) && !*text(ref)))
        return KH_OK; /* the claim names no repository: the digest alone binds it */
    kh_imageref parsed;
    const char *why;
    if (!text(ref) || kh_imageref_parse(&parsed, text(ref), e->scratch, &why) != KH_OK)
        return bad(e, ref, "bad docker-reference '%s'", text(ref) ? text(ref) : "?");
    sig->repository = kh_arena_strdup(&e->cfg->arena, parsed.name);
    return sig->repository ? KH_OK : oom(e);
}

/* Keyless signatures: cosign adds the certificate's subject (first SAN)
 * and OIDC issuer under "optional". */
static int signature_identity(ev *e, const kh_node *entry, kh_signature *sig)
{
    const kh_node *opt = get_ci(entry, "optional");
    const char *subject = text(get_ci(opt, "Subject"));
    const char *issuer = text(get_ci(opt, "Issuer"));
    if (!issuer)
        issuer = text(get_ci(opt, "1.3.6.1.4.1.57264.1.1"));
    if (subject && *subject && !(sig->subject = kh_arena_strdup(&e->cfg->arena, subject)))
        return oom(e);
    if (issuer && *issuer && !(sig->issuer = kh_arena_strdup(&e->cfg->arena, issuer)))
        return oom(e);
    return KH_OK;
}

static int load_signature(ev *e, const kh_node *entry, const char *key)
{
    const kh_node *critical = get_ci(entry, "critical");
    if (!kh_node_is_map(critical))
        return bad(e, critical ? critical : entry, "%s",
                   "a cosign verification result needs a 'critical' mapping");
    const kh_node *type = get_ci(critical, "type");
    if (!text(type))
        return bad(e, type ? type : critical, "%s", "missing 'critical.type'");
    if (!is_signature_type(text(type)))
        return KH_OK;
    const kh_node *digest = get_ci(get_ci(critical, "image"), "docker-manifest-digest");
    if (!kh_imageref_digest_valid(text(digest)))
        return bad(e, digest ? digest : critical, "bad docker-manifest-digest '%s'",
                   text(digest) ? text(digest) : "");
    kh_policy *p = &e->cfg->policy;
    kh_signature *sig = kh_array__push(&e->cfg->arena, &p->signatures, &p->nsignatures,
                                        sizeof(*sig));
    if (!sig || !(sig->digest = kh_arena_strdup(&e->cfg->arena, text(digest))))
        return oom(e);
    if (key && !(sig->key = kh_arena_strdup(&e->cfg->arena, key)))
        return oom(e);
    int rc = signature_repository(e, get_ci(critical, "identity"), sig);
    return rc ? rc : signature_identity(e, entry, sig);
}

/* The bare list `cosign verify --output json` prints, or the envelope
 * {"key": NAME, "results": LIST} for key-based verification. */
static int load_signature_file(ev *e, const kh_node *root)
{
    const char *key = NULL;
    const kh_node *list = root;
    if (kh_node_is_map(root)) {
        const kh_node *k = kh_node_get(root, "key");
        list = kh_node_get(root, "results");
        if (!text(k) || !*text(k))
            return bad(e, k ? k : root, "%s", "the envelope needs 'key': the name of the key");
        key = text(k);
        if (!kh_node_is_seq(list))
            return bad(e, list ? list : root, "%s",
                       "the envelope needs 'results': the list cosign verify printed");
    } else if (!kh_node_is_seq(root)) {
        return bad(e, root, "%s",
                   "not a cosign verification result (expected the JSON list that "
                   "'cosign verify --output json' prints)");
    }
    for (size_t i = 0; i < list->len; i++) {
        int rc = load_signature(e, kh_node_at(list, i), key);
        if (rc)
            return rc;
    }
    return KH_OK;
}

int kh_config__load_signatures(kh_config *cfg, const char *path, const char *label,
                               kh_error *err)
{
    size_t before = cfg->policy.nsignatures;
    kh_arena scratch;
    kh_arena_init(&scratch, 0);
    ev e = {cfg, &scratch, label ? label : path, err};
    const kh_node *root = NULL;
    int rc = load_tree(&e, path, "signature file", &root);
    if (!rc)
        rc = load_signature_file(&e, root);
    if (rc)
        cfg->policy.nsignatures = before;
    kh_arena_free(&scratch);
    return rc;
}

int kh_config_add_signatures(kh_config *cfg, const char *path, kh_error *err)
{
    return kh_config__load_signatures(cfg, path, path, err);
}
