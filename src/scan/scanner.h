/*
 * scanner.h -- what the scanner shares with the other files of src/scan.
 */
#ifndef KH_SCAN_SCANNER_H
#define KH_SCAN_SCANNER_H

#include "kubeharden.h"

/* Deliver an input error (not tied to an object) as an error finding. */
void kh_scanner__error(kh_scanner *s, const char *file, unsigned line, unsigned col,
                       const char *message);
/* Has the callback asked to stop? */
int kh_scanner__stopped(const kh_scanner *s);

#endif
