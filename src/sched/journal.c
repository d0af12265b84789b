#include "sched/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/flops.h"

#define J_MAGIC "CKRJRNL3"     /* records carry the raw terms of normalised scores */
#define J_MAGIC_V2 "CKRJRNL2"  /* before: the pair's content checksum, no terms (read
                                  with 0 terms: no normalised score existed then) */
#define J_MAGIC_V1 "CKRJRNL1"  /* before: names and shapes only */
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

/* ---- encoding: strings NUL-terminated, 4 doubles, the pair checksum, then
 * (CKRJRNL3, only when the result has raw terms) an int32 count of terms
 * (1..CKR_MAX_TERMS) and the terms as doubles --------------------------------- */

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
    at += sizeof d;
    memcpy(buf + at, &r->res.pair_sum, sizeof r->res.pair_sum);
    at += sizeof r->res.pair_sum;
    int32_t nt = r->res.n_terms > 0 && r->res.n_terms <= CKR_MAX_TERMS ? r->res.n_terms : 0;
    if (nt == 0)
        return at; /* as in CKRJRNL2 */
    memcpy(buf + at, &nt, sizeof nt);
    at += sizeof nt;
    memcpy(buf + at, r->res.terms, (size_t)nt * sizeof(double));
    return at + (size_t)nt * sizeof(double);
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
        get_str(buf, len, &at, r->res.info, sizeof r->res.info) ||
        len - at < 4 * sizeof(double) + sizeof(uint64_t))
        return -1;
    size_t fixed = 4 * sizeof(double) + sizeof(uint64_t);
    int32_t nt = 0;
    if (len - at != fixed) { /* a record with raw terms */
        if (len - at < fixed + sizeof nt)
            return -1;
        memcpy(&nt, buf + at + fixed, sizeof nt);
        if (nt < 1 || nt > CKR_MAX_TERMS ||
            len - at != fixed + sizeof nt + (size_t)nt * sizeof(double))
            return -1;
        memcpy(r->res.terms, buf + at + fixed + sizeof nt, (size_t)nt * sizeof(double));
    }
    r->res.n_terms = nt;
    double d[4];
    memcpy(d, buf + at, sizeof d);
    memcpy(&r->res.pair_sum, buf + at + sizeof d, sizeof r->res.pair_sum);
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
    int got = (int)fread(magic, 1, 8, f);
    if (got == 8 && memcmp(magic, J_MAGIC_V1, 8) == 0)
        return ckr_err_set(err, CKR_EFORMAT, "%s: journal of an older ckptrank (its records have no "
                           "pair checksums, so changed pairs cannot be told); remove it or run "
                           "without --resume", path);
    if (got != 8 || (memcmp(magic, J_MAGIC, 8) != 0 && memcmp(magic, J_MAGIC_V2, 8) != 0) ||
        fread(&n, sizeof n, 1, f) != 1 || n > 16384)
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

/* ---- the lock: an fcntl write lock on the whole journal ----------------------- */

/* Lock fd (the journal path) for this process; when another process holds
 * it, refuse naming that process. A file system without locks (ENOLCK)
 * runs unlocked. */
static int lock_or_refuse(int fd, const char *path, ckr_err *err)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        if (fcntl(fd, F_SETLK, &fl) == 0 || errno == ENOLCK)
            return 0;
        if (errno != EACCES && errno != EAGAIN)
            return ckr_err_set(err, CKR_EIO, "%s: cannot lock the journal: %s", path, strerror(errno));
        if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
            return ckr_err_set(err, CKR_EIO, "%s is in use by process %ld (another ckptrank run "
                               "writing the same outputs)", path, (long)fl.l_pid);
        /* the holder let go in between: try again */
    }
    return ckr_err_set(err, CKR_EIO, "%s is in use by another process (another ckptrank run "
                       "writing the same outputs)", path);
}

/* 1 when path names the file open as fd (not replaced or removed since). */
static int same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* fsync the directory holding path, so a rename into it is durable. */
static void sync_dir_of(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* A new journal: PATH.tmp.PID locked, its header written and fsync'd, then
 * put in place: renamed over path (replace) or linked to path only when no
 * file is there. Returns 0 (j->f open and locked), 1 when another file
 * appeared at path meanwhile (the caller looks again), or a CKR_E* code. */
static int create_fresh(ckr_journal *j, const char *path, const ckr_journal_id *id, int replace,
                        ckr_err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot create the journal: %s", path, strerror(errno));
    FILE *f = NULL;
    int rc = lock_or_refuse(fd, tmp, err);
    if (rc) {
        close(fd);
        unlink(tmp);
        return rc;
    }
    f = fdopen(fd, "w+b");
    if (!f) {
        close(fd);
        unlink(tmp);
        return ckr_err_set(err, CKR_EIO, "%s: cannot create the journal: %s", path, strerror(errno));
    }
    if (write_header(f, id) != 0 || fflush(f) != 0 || fsync(fd) != 0) {
        rc = ckr_err_set(err, CKR_EIO, "%s: cannot write the journal header: %s", path,
                         strerror(errno ? errno : EIO));
        goto fail;
    }
    int placed = replace ? rename(tmp, path) : link(tmp, path);
    if (placed != 0 && !replace && errno == EEXIST) {
        rc = 1;
        goto fail;
    }
    if (placed != 0 && !replace && (errno == EPERM || errno == ENOTSUP || errno == EMLINK))
        placed = rename(tmp, path); /* a file system without hard links */
    if (placed != 0) {
        rc = ckr_err_set(err, CKR_EIO, "%s: cannot put the journal in place: %s", path,
                         strerror(errno));
        goto fail;
    }
    if (!replace)
        unlink(tmp);
    sync_dir_of(path);
    j->f = f;
    return 0;
fail:
    fclose(f);
    unlink(tmp);
    return rc;
}

/* Resume from the journal open (and locked) as fd: read, cut the torn tail. */
static int resume_existing(ckr_journal *j, int fd, const char *path, const ckr_journal_id *id,
                           ckr_journal_cb cb, void *ctx, size_t *n_records, size_t *dropped_bytes,
                           ckr_err *err)
{
    struct stat st;
    FILE *f = fstat(fd, &st) == 0 ? fdopen(fd, "r+b") : NULL;
    if (!f) {
        close(fd);
        return ckr_err_set(err, CKR_EIO, "%s: cannot open the journal: %s", path, strerror(errno));
    }
    long good = 0;
    int rc = read_existing(f, path, id, cb, ctx, n_records, &good, err);
    if (rc) {
        fclose(f);
        return rc;
    }
    if (good < st.st_size) {
        *dropped_bytes = (size_t)(st.st_size - good);
        if (ftruncate(fd, good) != 0) {
            fclose(f);
            return ckr_err_set(err, CKR_EIO, "%s: cannot cut the torn tail", path);
        }
    }
    fseek(f, 0, SEEK_END);
    j->f = f;
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
    /* a few rounds: another run may create or replace the file in between */
    for (int round = 0; round < 8; round++) {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            if (errno != ENOENT)
                return ckr_err_set(err, CKR_EIO, "%s: cannot open the journal: %s", path,
                                   strerror(errno));
            int rc = create_fresh(j, path, id, 0, err);
            if (rc == 1)
                continue;
            return rc;
        }
        int rc = lock_or_refuse(fd, path, err);
        if (rc) {
            close(fd);
            return rc;
        }
        if (!same_file(fd, path)) { /* replaced or removed while we locked it */
            close(fd);
            continue;
        }
        if (resume)
            return resume_existing(j, fd, path, id, cb, ctx, n_records, dropped_bytes, err);
        /* a new journal over the old one, whose lock we hold until it is replaced */
        rc = create_fresh(j, path, id, 1, err);
        close(fd);
        return rc;
    }
    return ckr_err_set(err, CKR_EIO, "%s: the journal keeps being replaced by another process",
                       path);
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

int ckr_journal_remove(ckr_journal *j)
{
    if (!j->f)
        return 0;
    int removed = 0;
    if (same_file(fileno(j->f), j->path)) /* still ours: remove it while locked */
        removed = unlink(j->path) == 0;
    fclose(j->f);
    j->f = NULL;
    return removed;
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
