/*
 * fuzz_config.c -- libFuzzer target for the configuration loader
 * (.kubeharden.yaml): the schema table, rule ids, severities, globs, pod
 * template paths and evidence file names, on arbitrary input.
 *
 * The loader reads a path, so each input is written to a file in a private
 * directory; evidence files it names are relative to that directory, which
 * holds nothing else. The contract checked: a load either succeeds or
 * fails with a message and a position inside the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubeharden.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        char dir[] = "/tmp/kh-fuzz-config-XXXXXX";
        if (!mkdtemp(dir))
            abort();
        snprintf(path, sizeof(path), "%s/.kubeharden.yaml", dir);
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    kh_config *cfg = NULL;
    kh_error err = {0};
    int rc = kh_config_load(&cfg, path, &err);
    if (rc == KH_OK) {
        /* A loaded configuration must drive a scan. */
        kh_scanner *s = NULL;
        static const char pod[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
                                  "spec: {containers: [{name: c, image: x}]}\n";
        if (kh_scanner_new(&s, cfg, NULL, NULL, NULL) != KH_OK)
            abort();
        kh_scan_buffer(s, pod, sizeof(pod) - 1, "pod.yaml", NULL);
        kh_scanner_finish(s, NULL);
        kh_scanner_free(s);
    } else if (!err.message[0]) {
        abort();
    }
    kh_config_free(cfg);
    return 0;
}
