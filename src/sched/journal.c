#include "sched/journal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/flops.h"

#define J_MAGIC "CKRJRNL1"
#define REC_MAGIC 0x4a524543u /* "CERJ" */
#define REC_MAX (64u * 1024u)

uint32_t ckr_crc32(const void *data, size_t len)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint32_t c = 0xffffffffu;
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* ---- encoding: strings NUL-terminated, then 4 doubles ---------------------- */

static size_t put_str(unsigned char *buf, size_t at, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(buf + at, s, n);
    return at + n;
}

static size_t encode(const ckr_journal_rec *r, unsigned char *buf)
{
    size_t at = 0;
    at = put_str(buf, at, r->ckpt);
    at = put_str(buf, at, r->task);
    at = put_str(buf, at, r->method);
    at = put_str(buf, at, r->res.status);
    at = put_str(buf, at, r->res.message);
    at = put_str(buf, at, r->res.info);
    double d[4] = { r->res.score, r->res.seconds, r->res.gflops, r->res.heldout };
    memcpy(buf + at, d, sizeof d);
    return at + sizeof d;
}

static int get_str(const unsigned char *buf, size_t len, size_t *at, char *out, size_t cap)
{
    const unsigned char *end = memchr(buf + *at, '\0', len - *at);
    if (!end)
        return -1;
    size_t n = (size_t)(end - (buf + *at));
    if (n >= cap)
        return -1;
    memcpy(out, buf + *at, n + 1);
    *at += n + 1;
    return 0;
}

static int decode(const unsigned char *buf, size_t len, ckr_journal_rec *r)
{
    size_t at = 0;
    memset(r, 0, sizeof *r);
    if (get_str(buf, len, &at, r->ckpt, sizeof r->ckpt) || get_str(buf, len, &at, r->task, sizeof r->task) ||
        get_str(buf, len, &at, r->method, sizeof r->method) ||
        get_str(buf, len, &at, r->res.status, sizeof r->res.status) ||
        get_str(buf, len, &at, r->res.message, sizeof r->res.message) ||
        get_str(buf, len, &at, r->res.info, sizeof r->res.info) || len - at != 4 * sizeof(double))
        return -1;
    double d[4];
    memcpy(d, buf + at, sizeof d);
    r->res.score = d[0];
    r->res.seconds = d[1];
    r->res.gflops = d[2];
    r->res.heldout = d[3];
    return 0;
}

/* ---- header ------------------------------------------------------------------ */

static void header_text(const ckr_journal_id *id, char *buf, size_t len)
{
    snprintf(buf, len, "zoo=%s\nmethods=%s\nseed=%s\nshard=%s\n", id->zoo, id->methods, id->seed,
             id->shard);
}

static int write_header(FILE *f, const ckr_journal_id *id)
{
    char text[4096];
    header_text(id, text, sizeof text);
    uint32_t n = (uint32_t)strlen(text);
    return fwrite(J_MAGIC, 1, 8, f) == 8 && fwrite(&n, sizeof n, 1, f) == 1 &&
                   fwrite(text, 1, n, f) == n
               ? 0
               : -1;
}

/* Name the first line of the header that differs. */
static int header_mismatch(const char *path, const char *have, const char *want, ckr_err *err)
{
    static const char *const keys[] = { "zoo=", "methods=", "seed=", "shard=" };
    static const char *const what[] = { "zoo", "method list", "seed", "shard" };
    for (int i = 0; i < 4; i++) {
        const char *a = strstr(have, keys[i]), *b = strstr(want, keys[i]);
        size_t la = a ? strcspn(a, "\n") : 0, lb = b ? strcspn(b, "\n") : 0;
        if (!a || !b || la != lb || strncmp(a, b, la) != 0)
            return ckr_err_set(err, CKR_EARG,
                               "%s: journal belongs to a different run (its %s differs: journal has "
                               "'%.*s', this run '%.*s'); remove it or run without --resume",
                               path, what[i], (int)(a ? la : 0), a ? a : "", (int)(b ? lb : 0), b ? b : "");
    }
    return ckr_err_set(err, CKR_EARG, "%s: journal header differs from this run", path);
}

/* Read header + records; returns offset of the end of the last good record. */
static int read_existing(FILE *f, const char *path, const ckr_journal_id *id, ckr_journal_cb cb,
                         void *ctx, size_t *n_rec, long *good_end, ckr_err *err)
{
    char magic[8];
    uint32_t n = 0;
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, J_MAGIC, 8) != 0 || fread(&n, sizeof n, 1, f) != 1 ||
        n > 16384)
        return ckr_err_set(err, CKR_EFORMAT, "%s: not a ckptrank journal", path);
    char *have = calloc(n + 1, 1), want[4096];
    if (!have || fread(have, 1, n, f) != n) {
        free(have);
        return ckr_err_set(err, CKR_EFORMAT, "%s: journal header is truncated", path);
    }
    header_text(id, want, sizeof want);
    if (strcmp(have, want) != 0) {
        int rc = header_mismatch(path, have, want, err);
        free(have);
        return rc;
    }
    free(have);
    *good_end = ftell(f);
    unsigned char *buf = malloc(REC_MAX);
    if (!buf)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory reading %s", path);
    for (;;) {
        uint32_t hdr[3];
        if (fread(hdr, sizeof hdr, 1, f) != 1 || hdr[0] != REC_MAGIC || hdr[1] > REC_MAX ||
            fread(buf, 1, hdr[1], f) != hdr[1] || ckr_crc32(buf, hdr[1]) != hdr[2])
            break;
        ckr_journal_rec r;
        if (decode(buf, hdr[1], &r) != 0)
            break;
        if (cb)
            cb(ctx, &r);
        (*n_rec)++;
        *good_end = ftell(f);
    }
    free(buf);
    return 0;
}

int ckr_journal_open(ckr_journal *j, const char *path, const ckr_journal_id *id, int resume,
                     ckr_journal_cb cb, void *ctx, size_t *n_records, size_t *dropped_bytes,
                     ckr_err *err)
{
    memset(j, 0, sizeof *j);
    snprintf(j->path, sizeof j->path, "%s", path);
    j->batch = 64;
    j->interval = 5.0;
    j->last_sync = ckr_now();
    *n_records = 0;
    *dropped_bytes = 0;
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && resume) {
        FILE *f = fopen(path, "r+b");
        if (!f)
            return ckr_err_set(err, CKR_EIO, "%s: cannot open the journal: %s", path, strerror(errno));
        long good = 0;
        int rc = read_existing(f, path, id, cb, ctx, n_records, &good, err);
        if (rc) {
            fclose(f);
            return rc;
        }
        if (good < st.st_size) {
            *dropped_bytes = (size_t)(st.st_size - good);
            if (ftruncate(fileno(f), good) != 0) {
                fclose(f);
                return ckr_err_set(err, CKR_EIO, "%s: cannot cut the torn tail", path);
            }
        }
        fseek(f, 0, SEEK_END);
        j->f = f;
        return 0;
    }
    j->f = fopen(path, "wb");
    if (!j->f)
        return ckr_err_set(err, CKR_EIO, "%s: cannot create the journal: %s", path, strerror(errno));
    if (write_header(j->f, id) != 0 || ckr_journal_sync(j, err) != 0) {
        fclose(j->f);
        j->f = NULL;
        return ckr_err_set(err, CKR_EIO, "%s: cannot write the journal header", path);
    }
    return 0;
}

int ckr_journal_append(ckr_journal *j, const ckr_journal_rec *rec, ckr_err *err)
{
    unsigned char buf[2048];
    size_t n = encode(rec, buf);
    uint32_t hdr[3] = { REC_MAGIC, (uint32_t)n, ckr_crc32(buf, n) };
    if (fwrite(hdr, sizeof hdr, 1, j->f) != 1 || fwrite(buf, 1, n, j->f) != n)
        return ckr_err_set(err, CKR_EIO, "%s: journal write failed", j->path);
    /* to the OS at once (survives kill -9); to the disk in batches */
    if (fflush(j->f) != 0)
        return ckr_err_set(err, CKR_EIO, "%s: journal write failed", j->path);
    j->unsynced++;
    if (j->unsynced >= j->batch || ckr_now() - j->last_sync >= j->interval)
        return ckr_journal_sync(j, err);
    return 0;
}

int ckr_journal_sync(ckr_journal *j, ckr_err *err)
{
    if (!j->f)
        return 0;
    if (fflush(j->f) != 0 || fsync(fileno(j->f)) != 0)
        return ckr_err_set(err, CKR_EIO, "%s: journal sync failed: %s", j->path, strerror(errno));
    j->unsynced = 0;
    j->last_sync = ckr_now();
    return 0;
}

int ckr_journal_close(ckr_journal *j, ckr_err *err)
{
    if (!j->f)
        return 0;
    int rc = ckr_journal_sync(j, err);
    if (fclose(j->f) != 0 && !rc)
        rc = ckr_err_set(err, CKR_EIO, "%s: journal close failed", j->path);
    j->f = NULL;
    return rc;
}
