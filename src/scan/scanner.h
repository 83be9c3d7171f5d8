/*
 * scanner.h -- what the scanner shares with the other files of src/scan.
 */
#ifndef KH_SCAN_SCANNER_H
#define KH_SCAN_SCANNER_H

#include <stdbool.h>

#include "doc/node.h"
#include "kubeharden.h"

/* Deliver an input error (not tied to an object) as an error finding. */
void kh_scanner__error(kh_scanner *s, const char *file, unsigned line, unsigned col,
                       const char *message);
/* Has the callback asked to stop? */
int kh_scanner__stopped(const kh_scanner *s);

/* Run no rule; keep whole objects of @p kinds (NULL: every kind) for the
 * caller to read with kh_scanner__objects (kh_cluster). Call before the
 * first input. @return 0 or KH_ENOMEM. */
struct kh_objset;
int kh_scanner__keep_only(kh_scanner *s, const char *const *kinds);
/* Run no rule, but keep what the configuration's set rules would read. */
void kh_scanner__run_no_rule(kh_scanner *s);
/* The objects kept so far (until kh_scanner_finish runs the set rules over
 * them and starts a new set); NULL when nothing is kept. */
const struct kh_objset *kh_scanner__objects(const kh_scanner *s);
/* The objects come from the API server, where a position means nothing
 * (a finding names the object's API path): kept trees have no positions
 * and share equal subtrees and strings (kh_object_clone_shared); kept
 * objects are told apart by the order they were read in (kh_object.seq).
 * Call before the first input. @return 0 or KH_ENOMEM. */
int kh_scanner__share_kept(kh_scanner *s);

/* kh_evaluate for a tree already in memory (the audit watcher decodes an
 * Event and judges its requestObject): @p root's nodes are borrowed. */
int kh_evaluate__node(const kh_config *cfg, kh_pss_level level, const char *pss_version,
                      const kh_node *root, const char *name, kh_finding_cb cb, void *ud,
                      kh_verdict *out, kh_error *err);

#endif
