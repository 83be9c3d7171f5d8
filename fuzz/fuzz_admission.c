/*
 * fuzz_admission.c -- libFuzzer target for kh_admission_review, which the
 * webhook server calls with request bodies straight off the network.
 *
 * The first byte of each input picks a route (level and mode) and whether
 * the configuration has an admission: section (exemptions, a namespace
 * map, workload templates enforced, per-rule modes); the rest is the
 * body. Besides crashes, leaks and sanitizer reports, it checks the
 * contract: a response is written exactly when 0 is returned, it is an
 * AdmissionReview, and allowed/code agree with the result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubeharden.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config_text[] =
    "admission:\n"
    "  exemptions: {usernames: [admin], namespaces: [kube-system], runtimeClasses: [kata]}\n"
    "  namespaces:\n"
    "    legacy: {level: baseline, mode: warn}\n"
    "    trial: {version: v1.24, mode: audit}\n"
    "  workloadTemplates: enforce\n"
    "  ruleModes: {image.tag-not-pinned: enforce, workload.no-liveness-probe: warn}\n";

static kh_config *load_config(void)
{
    char path[] = "/tmp/kh-fuzz-admission-XXXXXX";
    int fd = mkstemp(path);
    kh_config *cfg = NULL;
    if (fd < 0 || write(fd, config_text, sizeof(config_text) - 1) < 0)
        abort();
    close(fd);
    if (kh_config_load(&cfg, path, NULL) != KH_OK)
        abort();
    unlink(path);
    return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kh_config *plain, *configured;
    if (!plain && kh_config_new(&plain, NULL) != KH_OK)
        abort();
    if (!configured)
        configured = load_config();
    if (size == 0)
        return 0;
    static const char *const levels[] = {"/validate/privileged", "/validate/baseline",
                                         "/validate/restricted", "/validate/restricted"};
    static const char *const queries[] = {"", "mode=warn", "mode=audit&version=v1.22",
                                          "version=v1.30"};
    kh_route route;
    if (kh_route_parse(&route, levels[data[0] & 3], queries[(data[0] >> 2) & 3], NULL) != KH_OK)
        abort();
    const kh_config *cfg = data[0] & 16 ? configured : plain;
    char *out = NULL;
    size_t len = 0;
    kh_admission_result res;
    kh_error err = {0};
    int rc = kh_admission_review(cfg, &route, (const char *)data + 1, size - 1, NULL, NULL,
                                 &out, &len, &res, &err);
    if (rc == KH_OK) {
        if (!out || len != strlen(out) || strncmp(out, "{\"apiVersion\":", 14) != 0 ||
            !strstr(out, "\"kind\":\"AdmissionReview\",\"response\":{\"uid\":"))
            abort();
        if (res.allowed != (strstr(out, "\"allowed\":true") != NULL) ||
            res.code != (res.allowed ? 200 : 403))
            abort();
        if (route.mode != KH_MODE_ENFORCE && !res.allowed)
            abort(); /* a warn or audit route never denies */
    } else {
        if (out || (rc != KH_EPARSE && rc != KH_EINVALID && rc != KH_ENOMEM) ||
            err.code != rc || !err.message[0])
            abort();
    }
    free(out);
    return 0;
}
