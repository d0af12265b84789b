/* test_journal.c -- the crash-safe journal of finished items (sched/journal.c):
 * records written and read back, a CRC mismatch, a torn tail, a journal of
 * another run, an empty file, a file of garbage, a journal of the older
 * format; the lock (held, refused naming the holder, released when the
 * holder is killed), the journal put in place through a temporary name, a
 * journal removed only by its holder. The pair checksums in the records
 * are tested in test_checksum.c.
 *
 * The expected sizes come from the file format (journal.c): the header is
 * "CKRJRNL3", a uint32 length and the text "zoo=..\nmethods=..\nseed=..\n
 * shard=..\n"; a record is three uint32 (magic, payload length, CRC-32 of
 * the payload) and a payload of six NUL-terminated strings (checkpoint,
 * task, method, status, message, info), four doubles (score, seconds,
 * gflops, heldout), the uint64 pair checksum and, only for a result with
 * raw terms (ncti, etran), an int32 count and the terms as doubles. A
 * "CKRJRNL2" journal (no terms) is resumed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sched/journal.h"
#include "testutil.h"
#include "util/err.h"

#define MAX_RECS 8

/* What the callback saw. */
typedef struct seen {
    size_t n;
    ckr_journal_rec rec[MAX_RECS];
} seen;

static void collect(void *ctx, const ckr_journal_rec *rec)
{
    seen *s = ctx;
    if (s->n < MAX_RECS)
        s->rec[s->n] = *rec;
    s->n++;
}

static void make_id(ckr_journal_id *id, const char *seed)
{
    memset(id, 0, sizeof *id);
    snprintf(id->zoo, sizeof id->zoo, "12 pairs, listing 0123456789abcdef");
    snprintf(id->methods, sizeof id->methods, "nleep,leep,dummy:ms=5");
    snprintf(id->seed, sizeof id->seed, "%s", seed);
    snprintf(id->shard, sizeof id->shard, "all");
}

static size_t header_bytes(const ckr_journal_id *id)
{
    char text[4096];
    int n = snprintf(text, sizeof text, "zoo=%s\nmethods=%s\nseed=%s\nshard=%s\n", id->zoo,
                     id->methods, id->seed, id->shard);
    return 8 + 4 + (size_t)n;
}

static size_t record_bytes(const ckr_journal_rec *r)
{
    return 12 + strlen(r->ckpt) + 1 + strlen(r->task) + 1 + strlen(r->method) + 1 +
           strlen(r->res.status) + 1 + strlen(r->res.message) + 1 + strlen(r->res.info) + 1 +
           4 * sizeof(double) + sizeof(uint64_t);
}

/* Three records: an ok one, a failed one (NaN score), one with empty strings. */
static void make_recs(ckr_journal_rec rec[3])
{
    memset(rec, 0, 3 * sizeof *rec);
    snprintf(rec[0].ckpt, sizeof rec[0].ckpt, "resnet50");
    snprintf(rec[0].task, sizeof rec[0].task, "cifar100");
    snprintf(rec[0].method, sizeof rec[0].method, "nleep:ratio=2,cov=diag");
    snprintf(rec[0].res.status, sizeof rec[0].res.status, "ok");
    snprintf(rec[0].res.info, sizeof rec[0].res.info, "K=200 d=17 iters=9");
    rec[0].res.score = -1.0 / 3.0;
    rec[0].res.seconds = 12.5;
    rec[0].res.gflops = 0.1;
    rec[0].res.heldout = NAN;
    rec[0].res.pair_sum = 0x0123456789abcdefull;

    snprintf(rec[1].ckpt, sizeof rec[1].ckpt, "vit-b16");
    snprintf(rec[1].task, sizeof rec[1].task, "flowers");
    snprintf(rec[1].method, sizeof rec[1].method, "leep");
    snprintf(rec[1].res.status, sizeof rec[1].res.status, "needs-logits");
    snprintf(rec[1].res.message, sizeof rec[1].res.message, "the pair has no train_logits");
    rec[1].res.score = NAN;
    rec[1].res.seconds = 0.0;
    rec[1].res.gflops = 0.0;
    rec[1].res.heldout = NAN;

    snprintf(rec[2].ckpt, sizeof rec[2].ckpt, "c");
    snprintf(rec[2].task, sizeof rec[2].task, "t");
    snprintf(rec[2].method, sizeof rec[2].method, "finetune:lr=0.01");
    snprintf(rec[2].res.status, sizeof rec[2].res.status, "ok");
    rec[2].res.score = 0.875;
    rec[2].res.seconds = 1e-300;
    rec[2].res.gflops = 1e300;
    rec[2].res.heldout = 0.75;
    rec[2].res.pair_sum = UINT64_MAX;
}

/* Bit-for-bit equal doubles (NaN equals NaN). */
static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void assert_same_rec(const ckr_journal_rec *got, const ckr_journal_rec *want)
{
    assert_string_equal(got->ckpt, want->ckpt);
    assert_string_equal(got->task, want->task);
    assert_string_equal(got->method, want->method);
    assert_string_equal(got->res.status, want->res.status);
    assert_string_equal(got->res.message, want->res.message);
    assert_string_equal(got->res.info, want->res.info);
    assert_true(same_double(got->res.score, want->res.score));
    assert_true(same_double(got->res.seconds, want->res.seconds));
    assert_true(same_double(got->res.gflops, want->res.gflops));
    assert_true(same_double(got->res.heldout, want->res.heldout));
    assert_true(got->res.pair_sum == want->res.pair_sum);
}

static const char *tmp_path(const char *name)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", ckr_test_tmpdir(), name);
    return p;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* A fresh journal at path holding the first n of rec. */
static void write_journal(const char *path, const ckr_journal_id *id, const ckr_journal_rec *rec,
                          size_t n)
{
    ckr_journal j;
    ckr_err err = { 0, "" };
    size_t n_rec = 99, dropped = 99;
    assert_int_equal(ckr_journal_open(&j, path, id, 0, NULL, NULL, &n_rec, &dropped, &err), 0);
    assert_int_equal(n_rec, 0);
    assert_int_equal(dropped, 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ckr_journal_append(&j, &rec[i], &err), 0);
    assert_int_equal(ckr_journal_close(&j, &err), 0);
}

/* Open path for resuming; returns the code, fills s, n_rec, dropped. */
static int resume(const char *path, const ckr_journal_id *id, seen *s, size_t *n_rec,
                  size_t *dropped, ckr_err *err)
{
    ckr_journal j;
    memset(s, 0, sizeof *s);
    int rc = ckr_journal_open(&j, path, id, 1, collect, s, n_rec, dropped, err);
    if (rc == 0)
        assert_int_equal(ckr_journal_close(&j, err), 0);
    return rc;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_crc32_check_value(void **state)
{
    (void)state;
    /* the standard check value of CRC-32 (IEEE 802.3) */
    assert_int_equal(ckr_crc32("123456789", 9), 0xCBF43926u);
    assert_int_equal(ckr_crc32("", 0), 0u);
    assert_int_equal(ckr_crc32("a", 1), 0xE8B7BE43u);
}

static void test_records_round_trip(void **state)
{
    (void)state;
    const char *path = tmp_path("round.journal");
    ckr_journal_id id;
    ckr_journal_rec rec[3];
    make_id(&id, "7");
    make_recs(rec);
    write_journal(path, &id, rec, 3);
    assert_int_equal(file_size(path), (long)(header_bytes(&id) + record_bytes(&rec[0]) +
                                             record_bytes(&rec[1]) + record_bytes(&rec[2])));

    seen s;
    size_t n_rec = 0, dropped = 99;
    ckr_err err = { 0, "" };
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), 0);
    assert_int_equal(n_rec, 3);
    assert_int_equal(dropped, 0);
    assert_int_equal(s.n, 3);
    for (int i = 0; i < 3; i++)
        assert_same_rec(&s.rec[i], &rec[i]);
}

/* A record with raw terms: 4 + 8 n more bytes, read back bit for bit; a
 * CKRJRNL2 journal (the same records without terms) is resumed. */
static void test_terms_round_trip(void **state)
{
    (void)state;
    const char *path = tmp_path("terms.journal");
    ckr_journal_id id;
    ckr_journal_rec rec[3];
    make_id(&id, "7");
    make_recs(rec);
    rec[0].res.n_terms = 3;
    rec[0].res.terms[0] = 0.1 + 0.2;
    rec[0].res.terms[1] = -1e-300;
    rec[0].res.terms[2] = 1.0 / 3.0;
    write_journal(path, &id, rec, 3);
    assert_int_equal(file_size(path),
                     (long)(header_bytes(&id) + record_bytes(&rec[0]) + 4 + 3 * sizeof(double) +
                            record_bytes(&rec[1]) + record_bytes(&rec[2])));
    seen s;
    size_t n_rec = 0, dropped = 99;
    ckr_err err = { 0, "" };
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), 0);
    assert_int_equal(n_rec, 3);
    assert_same_rec(&s.rec[0], &rec[0]);
    assert_int_equal(s.rec[0].res.n_terms, 3);
    assert_memory_equal(s.rec[0].res.terms, rec[0].res.terms, 3 * sizeof(double));
    assert_int_equal(s.rec[1].res.n_terms, 0);
    /* the same journal without the terms record, under the older magic */
    write_journal(path, &id, rec + 1, 2);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fwrite("CKRJRNL2", 1, 8, f), 8);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), 0);
    assert_int_equal(n_rec, 2);
    assert_same_rec(&s.rec[0], &rec[1]);
    assert_same_rec(&s.rec[1], &rec[2]);
    assert_int_equal(dropped, 0);
}

static void test_resume_appends_after_the_records(void **state)
{
    (void)state;
    const char *path = tmp_path("append.journal");
    ckr_journal_id id;
    ckr_journal_rec rec[3];
    make_id(&id, "7");
    make_recs(rec);
    write_journal(path, &id, rec, 2);

    ckr_journal j;
    seen s = { 0 };
    size_t n_rec = 0, dropped = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_journal_open(&j, path, &id, 1, collect, &s, &n_rec, &dropped, &err), 0);
    assert_int_equal(n_rec, 2);
    assert_int_equal(ckr_journal_append(&j, &rec[2], &err), 0);
    assert_int_equal(ckr_journal_close(&j, &err), 0);
    assert_int_equal(ckr_journal_close(&j, &err), 0); /* closing twice is harmless */

    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), 0);
    assert_int_equal(n_rec, 3);
    for (int i = 0; i < 3; i++)
        assert_same_rec(&s.rec[i], &rec[i]);
}

static void test_open_without_resume_replaces(void **state)
{
    (void)state;
    const char *path = tmp_path("replace.journal");
    ckr_journal_id id, other;
    ckr_journal_rec rec[3];
    make_id(&id, "7");
    make_id(&other, "8");
    make_recs(rec);
    write_journal(path, &other, rec, 3);
    write_journal(path, &id, rec, 0); /* another run's journal, not resumed: replaced */
    assert_int_equal(file_size(path), (long)header_bytes(&id));

    seen s;
    size_t n_rec = 99, dropped = 99;
    ckr_err err = { 0, "" };
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), 0);
    assert_int_equal(n_rec, 0);
    assert_int_equal(s.n, 0);
}

static void test_resume_without_a_file_starts_fresh(void **state)
{
    (void)state;
    const char *path = tmp_path("fresh.journal");
    ckr_journal_id id;
    make_id(&id, "7");
    seen s;
    size_t n_rec = 99, dropped = 99;
    ckr_err err = { 0, "" };
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), 0);
    assert_int_equal(n_rec, 0);
    assert_int_equal(dropped, 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(file_size(path), (long)header_bytes(&id));
}

/* Flip one byte inside the second record: it and everything after it go. */
static void test_crc_mismatch_cuts_from_the_bad_record(void **state)
{
    (void)state;
    const char *path = tmp_path("crc.journal");
    ckr_journal_id id;
    ckr_journal_rec rec[3];
    make_id(&id, "7");
    make_recs(rec);
    write_journal(path, &id, rec, 3);
    const size_t end0 = header_bytes(&id) + record_bytes(&rec[0]);
    /* a byte of the second record's task name ("flowers"): 12 bytes of
     * record header, the checkpoint name and its NUL, then two letters in */
    const long at = (long)(end0 + 12 + strlen(rec[1].ckpt) + 1 + 2);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, at, SEEK_SET), 0);
    int c = fgetc(f);
    assert_int_equal(c, 'o');
    assert_int_equal(fseek(f, at, SEEK_SET), 0);
    assert_int_equal(fputc(c ^ 0x20, f), c ^ 0x20);
    assert_int_equal(fclose(f), 0);
    const long size = file_size(path);

    seen s;
    size_t n_rec = 0, dropped = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), 0);
    assert_int_equal(n_rec, 1);
    assert_int_equal(s.n, 1);
    assert_same_rec(&s.rec[0], &rec[0]);
    assert_int_equal(dropped, (size_t)size - end0);
    assert_int_equal(file_size(path), (long)end0);
}

/* A record cut short (a crash mid-write): the complete ones stay. */
static void test_torn_tail_is_dropped(void **state)
{
    (void)state;
    const char *path = tmp_path("torn.journal");
    ckr_journal_id id;
    ckr_journal_rec rec[3];
    make_id(&id, "7");
    make_recs(rec);
    write_journal(path, &id, rec, 3);
    const size_t end1 = header_bytes(&id) + record_bytes(&rec[0]) + record_bytes(&rec[1]);
    const size_t cut[] = { 1, 6, 12, 13, record_bytes(&rec[2]) - 1 };
    for (size_t k = 0; k < sizeof cut / sizeof cut[0]; k++) {
        write_journal(path, &id, rec, 3);
        assert_int_equal(truncate(path, (off_t)(end1 + cut[k])), 0);
        seen s;
        size_t n_rec = 0, dropped = 0;
        ckr_err err = { 0, "" };
        assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), 0);
        assert_int_equal(n_rec, 2);
        assert_int_equal(s.n, 2);
        assert_same_rec(&s.rec[0], &rec[0]);
        assert_same_rec(&s.rec[1], &rec[1]);
        assert_int_equal(dropped, cut[k]);
        assert_int_equal(file_size(path), (long)end1);
    }
}

/* A journal of another zoo, method list, seed or shard is refused, named,
 * and left as it is. */
static void test_foreign_header_is_refused(void **state)
{
    (void)state;
    const char *path = tmp_path("foreign.journal");
    ckr_journal_id id;
    ckr_journal_rec rec[3];
    make_id(&id, "7");
    make_recs(rec);
    write_journal(path, &id, rec, 3);
    const long size = file_size(path);
    static const char *const what[4] = { "zoo", "method list", "seed", "shard" };
    for (int k = 0; k < 4; k++) {
        ckr_journal_id other = id;
        if (k == 0)
            snprintf(other.zoo, sizeof other.zoo, "12 pairs, listing fedcba9876543210");
        else if (k == 1)
            snprintf(other.methods, sizeof other.methods, "nleep,leep");
        else if (k == 2)
            snprintf(other.seed, sizeof other.seed, "8");
        else
            snprintf(other.shard, sizeof other.shard, "1/3");
        seen s;
        size_t n_rec = 0, dropped = 0;
        ckr_err err = { 0, "" };
        assert_int_equal(resume(path, &other, &s, &n_rec, &dropped, &err), CKR_EARG);
        assert_int_equal(s.n, 0);
        char want[64];
        snprintf(want, sizeof want, "its %s differs", what[k]);
        assert_non_null(strstr(err.msg, want));
        assert_non_null(strstr(err.msg, path));
        assert_int_equal(file_size(path), size);
    }
    /* the named value is the journal's and the run's */
    ckr_journal_id other = id;
    snprintf(other.seed, sizeof other.seed, "8");
    seen s;
    size_t n_rec = 0, dropped = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(resume(path, &other, &s, &n_rec, &dropped, &err), CKR_EARG);
    assert_non_null(strstr(err.msg, "journal has 'seed=7', this run 'seed=8'"));
}

static void test_empty_file_is_not_a_journal(void **state)
{
    (void)state;
    const char *path = tmp_path("empty.journal");
    ckr_journal_id id;
    make_id(&id, "7");
    write_bytes(path, "", 0);
    seen s;
    size_t n_rec = 0, dropped = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "not a ckptrank journal"));
    assert_int_equal(s.n, 0);
    assert_int_equal(file_size(path), 0);
}

static void test_garbage_is_not_a_journal(void **state)
{
    (void)state;
    const char *path = tmp_path("garbage.journal");
    ckr_journal_id id;
    make_id(&id, "7");
    unsigned char junk[300];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (unsigned char)(x >> 16);
    }
    write_bytes(path, junk, sizeof junk);
    seen s;
    size_t n_rec = 0, dropped = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "not a ckptrank journal"));
    assert_int_equal(file_size(path), (long)sizeof junk);

    /* the right magic with a header cut short */
    write_bytes(path, "CKRJRNL2\x40\x00\x00\x00zoo=", 16);
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "header is truncated"));

    /* a journal of the format before pair checksums: refused with the reason */
    write_bytes(path, "CKRJRNL1\x04\x00\x00\x00zoo=", 16);
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "older ckptrank"));
    assert_int_equal(file_size(path), 16);
}

/* A good header followed by garbage: no record, the garbage is cut off. */
static void test_garbage_after_the_header_is_dropped(void **state)
{
    (void)state;
    const char *path = tmp_path("tailjunk.journal");
    ckr_journal_id id;
    make_id(&id, "7");
    write_journal(path, &id, NULL, 0);
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    /* record magic "CERJ", a length of 64, then too few bytes */
    assert_int_equal(fwrite("CERJ\x40\x00\x00\x00garbage", 1, 15, f), 15);
    assert_int_equal(fclose(f), 0);
    seen s;
    size_t n_rec = 99, dropped = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), 0);
    assert_int_equal(n_rec, 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(dropped, 15);
    assert_int_equal(file_size(path), (long)header_bytes(&id));
}

/* ---- the lock ------------------------------------------------------------------------ */

/* No PATH.tmp.* is left in the directory of path. */
static int temp_names_left(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[512], prefix[512];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    snprintf(prefix, sizeof prefix, "%s.tmp.", slash + 1);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* A new journal appears with its whole header and no temporary name left;
 * a leftover temporary file of a crashed creator does not matter. */
static void test_new_journal_is_put_in_place_whole(void **state)
{
    (void)state;
    const char *path = tmp_path("place.journal");
    char stale[600];
    snprintf(stale, sizeof stale, "%s.tmp.%ld", path, (long)getpid());
    write_bytes(stale, "CKRJ", 4); /* as a crash mid-header would leave it */
    ckr_journal_id id;
    make_id(&id, "7");
    ckr_journal j;
    ckr_err err = { 0, "" };
    size_t n_rec, dropped;
    assert_int_equal(ckr_journal_open(&j, path, &id, 0, NULL, NULL, &n_rec, &dropped, &err), 0);
    /* before any record and before closing: the header is complete on disk */
    assert_int_equal(file_size(path), (long)header_bytes(&id));
    assert_int_equal(temp_names_left(path), 0);
    assert_int_equal(ckr_journal_close(&j, &err), 0);
    assert_int_equal(file_size(path), (long)header_bytes(&id));
}

/* In a child: try to open path (resuming or not); exit 0 when refused with
 * CKR_EIO naming `holder` and the file untouched, else 1. */
static void child_expect_refused(const char *path, const ckr_journal_id *id, long holder)
{
    long size = file_size(path);
    for (int resume_it = 0; resume_it < 2; resume_it++) {
        ckr_journal j;
        ckr_err err = { 0, "" };
        size_t n_rec, dropped;
        int rc = ckr_journal_open(&j, path, id, resume_it, NULL, NULL, &n_rec, &dropped, &err);
        char want[700];
        snprintf(want, sizeof want, "%s is in use by process %ld (another ckptrank run writing "
                 "the same outputs)", path, holder);
        if (rc != CKR_EIO || strstr(err.msg, want) == NULL || file_size(path) != size) {
            fprintf(stderr, "child: rc %d, message '%s'\n", rc, err.msg);
            _exit(1);
        }
    }
    _exit(0);
}

/* This process holds the journal: another process is refused, naming us,
 * whether it resumes or not, and the file stays as it is. */
static void test_lock_held_refuses_another_process(void **state)
{
    (void)state;
    const char *path = tmp_path("held.journal");
    ckr_journal_id id;
    ckr_journal_rec rec[3];
    make_id(&id, "7");
    make_recs(rec);
    ckr_journal j;
    ckr_err err = { 0, "" };
    size_t n_rec, dropped;
    assert_int_equal(ckr_journal_open(&j, path, &id, 0, NULL, NULL, &n_rec, &dropped, &err), 0);
    assert_int_equal(ckr_journal_append(&j, &rec[0], &err), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        child_expect_refused(path, &id, (long)getppid());
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* still ours and intact */
    assert_int_equal(ckr_journal_append(&j, &rec[1], &err), 0);
    assert_int_equal(ckr_journal_close(&j, &err), 0);
    seen s;
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), 0);
    assert_int_equal(n_rec, 2);
}

/* A process holding the journal is killed (SIGKILL): the OS drops its lock,
 * and the journal resumes with what it had written. While it lived, this
 * process was refused, naming it. */
static void test_lock_released_when_the_holder_is_killed(void **state)
{
    (void)state;
    const char *path = tmp_path("killed.journal");
    ckr_journal_id id;
    ckr_journal_rec rec[3];
    make_id(&id, "7");
    make_recs(rec);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        ckr_journal j;
        ckr_err err = { 0, "" };
        size_t n_rec, dropped;
        close(fds[0]);
        if (ckr_journal_open(&j, path, &id, 0, NULL, NULL, &n_rec, &dropped, &err) != 0 ||
            ckr_journal_append(&j, &rec[0], &err) != 0 || ckr_journal_append(&j, &rec[1], &err) != 0)
            _exit(1);
        if (write(fds[1], "r", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(fds[1]);
    char c = 0;
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);

    ckr_journal j;
    ckr_err err = { 0, "" };
    size_t n_rec = 0, dropped = 0;
    assert_int_equal(ckr_journal_open(&j, path, &id, 1, NULL, NULL, &n_rec, &dropped, &err), CKR_EIO);
    char want[700];
    snprintf(want, sizeof want, "%s is in use by process %ld", path, (long)pid);
    assert_non_null(strstr(err.msg, want));

    assert_int_equal(kill(pid, SIGKILL), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    seen s;
    assert_int_equal(resume(path, &id, &s, &n_rec, &dropped, &err), 0);
    assert_int_equal(n_rec, 2);
    assert_same_rec(&s.rec[0], &rec[0]);
    assert_same_rec(&s.rec[1], &rec[1]);
    assert_int_equal(dropped, 0);
}

/* The holder removes its journal; a journal another run put at the path
 * meanwhile is never removed. */
static void test_remove_only_the_journal_held(void **state)
{
    (void)state;
    const char *path = tmp_path("remove.journal");
    ckr_journal_id id;
    make_id(&id, "7");
    ckr_journal j;
    ckr_err err = { 0, "" };
    size_t n_rec, dropped;
    assert_int_equal(ckr_journal_open(&j, path, &id, 0, NULL, NULL, &n_rec, &dropped, &err), 0);
    assert_int_equal(ckr_journal_remove(&j), 1);
    assert_int_equal(file_size(path), -1);
    assert_int_equal(ckr_journal_remove(&j), 0); /* closed: nothing */

    assert_int_equal(ckr_journal_open(&j, path, &id, 0, NULL, NULL, &n_rec, &dropped, &err), 0);
    const char *other = tmp_path("remove.other");
    write_bytes(other, "another run's journal", 21);
    assert_int_equal(rename(other, path), 0); /* someone replaced it */
    assert_int_equal(ckr_journal_remove(&j), 0);
    assert_int_equal(file_size(path), 21);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_check_value),
        cmocka_unit_test(test_records_round_trip),
        cmocka_unit_test(test_terms_round_trip),
        cmocka_unit_test(test_resume_appends_after_the_records),
        cmocka_unit_test(test_open_without_resume_replaces),
        cmocka_unit_test(test_resume_without_a_file_starts_fresh),
        cmocka_unit_test(test_crc_mismatch_cuts_from_the_bad_record),
        cmocka_unit_test(test_torn_tail_is_dropped),
        cmocka_unit_test(test_foreign_header_is_refused),
        cmocka_unit_test(test_empty_file_is_not_a_journal),
        cmocka_unit_test(test_garbage_is_not_a_journal),
        cmocka_unit_test(test_garbage_after_the_header_is_dropped),
        cmocka_unit_test(test_new_journal_is_put_in_place_whole),
        cmocka_unit_test(test_lock_held_refuses_another_process),
        cmocka_unit_test(test_lock_released_when_the_holder_is_killed),
        cmocka_unit_test(test_remove_only_the_journal_held),
    };
    return cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
}
