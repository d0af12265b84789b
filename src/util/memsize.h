/* memsize.h -- a memory size as the user writes it (--max-memory). */
#ifndef CKR_UTIL_MEMSIZE_H
#define CKR_UTIL_MEMSIZE_H

#include <stdint.h>

#include "util/err.h"

/* Parse text as a size in bytes: digits with an optional unit K, M, G or T
 * (powers of 1024, either case, optionally followed by B or iB: 16M, 2G,
 * 1024K, 512MiB), or plain digits for bytes. Nothing else is accepted: no
 * sign, no fraction, no space. Returns 0 with *bytes set, or CKR_EARG with
 * one message in err naming the text ("'x' is not a size (...)", or "... is
 * too large" beyond 2^62 bytes, or "... must be > 0"). */
int ckr_parse_memsize(const char *text, uint64_t *bytes, ckr_err *err);

#endif
