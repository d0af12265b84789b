/* csvread.h -- reading a CSV file record by record (RFC 4180), for the
 * inputs of `ckptrank evaluate` (report/results_csv.h).
 *
 * Accepted: an optional UTF-8 byte-order mark; records ending in CRLF, LF or
 * a lone CR (also mixed, and none after the last record); quoted fields
 * ("...", a quote inside doubled) that may hold commas, quotes and line
 * breaks (kept as written). Refused, with the file, the line and the cause:
 * a quoted field not closed before the end of the file ("unterminated
 * quoted field"), a character other than a comma or a line end after a
 * closing quote, a NUL byte, more than CKR_CSV_MAX_FIELDS fields, a file
 * larger than CKR_CSV_MAX_BYTES. An unquoted field is taken as is (a quote
 * inside it is an ordinary character). Line numbers count physical lines
 * (a CRLF is one line end), starting at 1; a record's line is the line it
 * starts on. */
#ifndef CKR_CSVREAD_H
#define CKR_CSVREAD_H

#include <stddef.h>

#include "util/err.h"

#define CKR_CSV_MAX_FIELDS 256
#define CKR_CSV_MAX_BYTES ((size_t)1 << 31)

typedef struct ckr_csv {
    char *buf;            /* the whole file, fields unescaped in place */
    size_t len, pos;
    size_t line;          /* the line at pos */
    const char *path;
} ckr_csv;

/* Read the file path into c (c->path points to path, which must outlive c).
 * Returns 0; CKR_EIO (cannot open or read: strerror), CKR_EFORMAT (too
 * large), CKR_ENOMEM. */
int ckr_csv_open(ckr_csv *c, const char *path, ckr_err *err);

/* The next record: *nf fields at fields[0..*nf), NUL-terminated strings
 * valid until ckr_csv_close; *line the line it starts on; *blank 1 when the
 * record is one unquoted field of spaces and tabs only (a blank line).
 * Returns 1 (a record), 0 (end of file) or CKR_EFORMAT with err set. */
int ckr_csv_next(ckr_csv *c, char **fields, int *nf, size_t *line, int *blank, ckr_err *err);

void ckr_csv_close(ckr_csv *c);

#endif
