/*
 * file.h -- whole files read into memory, with a size limit.
 */
#ifndef KH_CORE_FILE_H
#define KH_CORE_FILE_H

#include <stddef.h>

#include "kubeharden.h"

/* The most kubeharden reads of a configuration file (--config,
 * .kubeharden.yaml) or an evidence file (--vuln-report, --signatures and
 * their config entries). Manifests are streamed and have no such limit. */
#define KH_FILE_MAX_BYTES ((size_t)64 << 20)

/*
 * Read all of @p path into a malloc'd buffer (caller frees), NUL-terminated
 * after @p len bytes. @p what names the file in errors ("cannot open
 * config: ..."). A file, device or pipe that holds more than @p max_bytes
 * is an error that says so; a regular file is refused from its size before
 * any byte is read. @return 0, KH_EIO, KH_ELIMIT or KH_ENOMEM, with
 * @p err->file set to @p path.
 */
int kh_file__read(const char *path, const char *what, size_t max_bytes, char **buf,
                  size_t *len, kh_error *err);

#endif
