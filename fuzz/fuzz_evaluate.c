/*
 * fuzz_evaluate.c -- libFuzzer target for kh_evaluate, the entry point the
 * admission webhook and the audit watcher call with bytes off the network
 * (an AdmissionReview, an object, an audit event).
 *
 * Each input is judged at every Pod Security level. Besides crashes, leaks
 * and sanitizer reports, it checks the verdict's contract: an allowed
 * verdict has no violation and no input error, a failed call never allows,
 * and the privileged level never counts a violation.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kubeharden.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(const kh_finding *f, void *ud)
{
    size_t *n = ud;
    if (!f->rule_id || !f->file || !f->message)
        abort();
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kh_config *cfg;
    if (!cfg && kh_config_new(&cfg, NULL) != KH_OK)
        abort();
    for (int level = KH_PSS_PRIVILEGED; level <= KH_PSS_RESTRICTED; level++) {
        kh_verdict v;
        kh_error err = {0};
        size_t delivered = 0;
        int rc = kh_evaluate(cfg, (kh_pss_level)level, level == KH_PSS_BASELINE ? "v1.24" : NULL,
                             (const char *)data, size, "request", count, &delivered, &v, &err);
        if (v.allowed && (v.violations || v.errors || rc))
            abort();
        if (rc && !err.message[0])
            abort();
        if (level == KH_PSS_PRIVILEGED && v.violations)
            abort();
        if (delivered != v.findings + v.errors)
            abort();
    }
    return 0;
}
