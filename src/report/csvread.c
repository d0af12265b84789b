/* csvread.c -- RFC 4180 records (see csvread.h). */
#include "report/csvread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ckr_csv_open(ckr_csv *c, const char *path, ckr_err *err)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    c->line = 1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ckr_err_set(err, CKR_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int rc = 0;
    for (;;) {
        if (!buf) {
            rc = ckr_err_set(err, CKR_ENOMEM, "%s: out of memory reading the file", path);
            break;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) {
            rc = ckr_err_set(err, CKR_EIO, "%s: read error: %s", path, strerror(errno));
            break;
        }
        if (n < cap)
            break;
        if (cap >= CKR_CSV_MAX_BYTES) {
            rc = ckr_err_set(err, CKR_EFORMAT, "%s: larger than %zu bytes", path,
                             (size_t)CKR_CSV_MAX_BYTES);
            break;
        }
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb)
            free(buf);
        buf = nb;
    }
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    c->buf = buf;
    c->len = n;
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        c->pos = 3; /* a UTF-8 byte-order mark */
    return 0;
}

void ckr_csv_close(ckr_csv *c)
{
    free(c->buf);
    c->buf = NULL;
}

/* At a line end (CR, LF or CRLF) at c->pos: step over it, count the line,
 * return 1; else 0. */
static int line_end(ckr_csv *c)
{
    char ch = c->buf[c->pos];
    if (c->pos >= c->len || (ch != '\r' && ch != '\n'))
        return 0;
    c->pos++;
    if (ch == '\r' && c->pos < c->len && c->buf[c->pos] == '\n')
        c->pos++;
    c->line++;
    return 1;
}

int ckr_csv_next(ckr_csv *c, char **fields, int *nf, size_t *line, int *blank, ckr_err *err)
{
    *nf = 0;
    *blank = 0;
    *line = c->line;
    if (c->pos >= c->len)
        return 0;
    int quoted_any = 0;
    for (;;) {
        if (*nf == CKR_CSV_MAX_FIELDS)
            return ckr_err_set(err, CKR_EFORMAT, "%s: line %zu: more than %d fields", c->path,
                               *line, CKR_CSV_MAX_FIELDS);
        char *out = c->buf + c->pos;
        fields[(*nf)++] = out;
        if (c->buf[c->pos] == '"') {
            quoted_any = 1;
            size_t open_line = c->line;
            c->pos++;
            for (;;) {
                if (c->pos >= c->len)
                    return ckr_err_set(err, CKR_EFORMAT,
                                       "%s: line %zu: unterminated quoted field (the quote "
                                       "opened on line %zu is never closed)",
                                       c->path, c->line, open_line);
                char ch = c->buf[c->pos];
                if (ch == '"' && c->buf[c->pos + 1] == '"') {
                    *out++ = '"';
                    c->pos += 2;
                } else if (ch == '"') {
                    c->pos++;
                    break;
                } else {
                    if (ch == '\0')
                        return ckr_err_set(err, CKR_EFORMAT, "%s: line %zu: a NUL byte",
                                           c->path, c->line);
                    if (ch == '\n' || (ch == '\r' && c->buf[c->pos + 1] != '\n'))
                        c->line++;
                    *out++ = ch;
                    c->pos++;
                }
            }
            char ch = c->buf[c->pos];
            if (c->pos < c->len && ch != ',' && ch != '\r' && ch != '\n')
                return ckr_err_set(err, CKR_EFORMAT,
                                   "%s: line %zu: '%c' after the closing quote of field %d "
                                   "(expected a comma or the end of the line)",
                                   c->path, c->line, ch >= 0x20 && ch < 0x7f ? ch : '?', *nf);
        } else {
            for (;;) {
                char ch = c->buf[c->pos];
                if (c->pos >= c->len || ch == ',' || ch == '\r' || ch == '\n')
                    break;
                if (ch == '\0')
                    return ckr_err_set(err, CKR_EFORMAT, "%s: line %zu: a NUL byte", c->path,
                                       c->line);
                *out++ = ch;
                c->pos++;
            }
        }
        /* c->pos is at a comma, a line end or the end of the file */
        int comma = c->pos < c->len && c->buf[c->pos] == ',';
        if (comma)
            c->pos++;
        else
            line_end(c);
        *out = '\0';
        if (!comma)
            break;
    }
    *blank = *nf == 1 && !quoted_any && fields[0][strspn(fields[0], " \t")] == '\0';
    return 1;
}
