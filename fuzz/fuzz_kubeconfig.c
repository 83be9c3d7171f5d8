/*
 * fuzz_kubeconfig.c -- libFuzzer target for the kubeconfig loader: an
 * arbitrary file loaded as --kubeconfig, then every context it names (and
 * the current one) resolved into connection settings.
 *
 * The loader reads a path, so each input is written to a file in a private
 * directory. The contract checked: loading and resolving either succeed,
 * with a server URL, or fail with a message; nothing leaks or crashes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        char dir[] = "/tmp/kh-fuzz-kubeconfig-XXXXXX";
        if (!mkdtemp(dir))
            abort();
        snprintf(path, sizeof(path), "%s/config", dir);
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    kh_kubeconfig kc;
    kh_error err = {0};
    if (kh_kubeconfig__load(&kc, path, NULL, NULL, &err) == KH_OK) {
        for (size_t i = 0; i <= kc.contexts.n; i++) {
            kh_rest_config rc;
            const char *name = i < kc.contexts.n ? kc.contexts.items[i].name : NULL;
            int r = kh_kubeconfig__resolve(&kc, name, &rc, &err);
            if (r == KH_OK && (!rc.server || strncmp(rc.server, "", 1) == 0))
                abort();
            if (r != KH_OK && !err.message[0])
                abort();
            kh_rest_config__free(&rc);
        }
    } else if (!err.message[0]) {
        abort();
    }
    kh_kubeconfig__free(&kc);
    return 0;
}
