/*
 * imageref.h -- container image references, parsed and normalised exactly
 * as container runtimes do (distribution/reference's ParseNormalizedNamed,
 * which containerd and CRI-O both follow). In src/k8s so that both the
 * configuration and evidence readers (src/scan) and the rules use it.
 */
#ifndef KH_K8S_IMAGEREF_H
#define KH_K8S_IMAGEREF_H

#include <stdbool.h>

#include "core/arena.h"

/* "nginx:1.27" is domain "docker.io", path "library/nginx", name
 * "docker.io/library/nginx", tag "1.27", digest NULL. */
typedef struct kh_imageref {
    const char *domain;   /* registry host[:port] as written; Docker Hub is "docker.io" */
    const char *path;     /* repository path, "library/" added for Docker Hub */
    const char *name;     /* domain "/" path: the normalised repository */
    const char *tag;      /* NULL when absent (the runtime then pulls "latest") */
    const char *digest;   /* "sha256:<hex>", NULL when absent */
} kh_imageref;

/*
 * Parse @p ref into @p out, strings in @p arena. The grammar is
 *   reference := name [":" tag] ["@" digest]
 *   name      := [domain "/"] path-component ["/" path-component]*
 * where the first component is the registry when it contains '.' or ':',
 * is "localhost" or has an upper-case letter; otherwise the registry is
 * docker.io (and "index.docker.io" means docker.io). A single-component
 * Docker Hub path gets "library/". Digests must use a registered algorithm
 * (sha256, sha384, sha512) with lower-case hex of the right length.
 * @return 0; KH_EINVALID with *why set to a static, lower-case reason;
 * KH_ENOMEM.
 */
int kh_imageref_parse(kh_imageref *out, const char *ref, kh_arena *arena,
                      const char **why);

/* Is @p digest a well-formed digest as the parser requires (for evidence
 * files that carry a bare "sha256:..." value)? */
bool kh_imageref_digest_valid(const char *digest);

/* The tag the runtime pulls: the tag, or "latest" when there is none. */
const char *kh_imageref_tag_or_latest(const kh_imageref *ref);

/* Is @p prefix a usable allow-list entry: an optional "*.", a registry
 * host[:port] recognisable as one (it has '.' or ':' or is localhost), and
 * optionally "/" and repository path components? */
bool kh_imageref_prefix_valid(const char *prefix);

/* Does the repository @p name ("host[:port]/path") fall under the
 * allow-list entry @p prefix? The host is compared case-insensitively (it
 * is a DNS name), a leading "*." in the entry matches any subdomain, and a
 * path prefix matches only on '/' boundaries: "registry.example/team"
 * matches "registry.example/team/app" but not "registry.example/teamx". */
bool kh_imageref_name_has_prefix(const char *name, const char *prefix);

#endif
