/* exec.c -- execute one item: read its pair (cached), run the method. */
#include "sched/exec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sched/signals.h"
#include "util/flops.h"
#include "util/rng.h"
#include "util/stop.h"
#include "zoo/checksum.h"

void ckr_executor_init(ckr_executor *ex, ckr_zoo *zoo, const ckr_spec *specs, uint64_t seed)
{
    memset(ex, 0, sizeof *ex);
    ex->zoo = zoo;
    ex->specs = specs;
    ex->seed = seed;
    ex->team_comm = MPI_COMM_NULL;
}

/* The content checksum of a pair that did not read, or was read without its
 * features (--max-memory), from the file in bounded blocks (so a broken
 * pair's checksum is stable too; journalled with its results, so --resume
 * can tell a changed pair). Called with the io_lock held. */
static void broken_pair_checksum(ckr_executor *ex, const char *ckpt, const char *task)
{
    if (ckr_zoo_pair_checksum(ckr_zoo_path(ex->zoo), ckpt, task, 0, &ex->pair_sum, NULL) != 0)
        ex->pair_sum = 0;
}

/* ---- bounded memory (--max-memory) ------------------------------------ */

#define MB (1024.0 * 1024.0)
#define STREAM_BLOCK_MAX 8192
#define STREAM_BLOCK_MIN 16

/* The extent of (ckpt, task) (cached for consecutive items); NULL when the
 * file cannot tell (then the read reports the problem). */
static const ckr_pair_extent *executor_extent(ckr_executor *ex, const char *ckpt,
                                              const char *task)
{
    if (!ex->zoo)
        return NULL;
    if (!ex->extent_ok || strcmp(ex->ext_ckpt, ckpt) != 0 || strcmp(ex->ext_task, task) != 0) {
        ckr_err err = { 0, "" };
        if (ex->io_lock)
            pthread_mutex_lock(ex->io_lock);
        int rc = ckr_zoo_pair_extent(ex->zoo, ckpt, task, &ex->extent, &err);
        if (ex->io_lock)
            pthread_mutex_unlock(ex->io_lock);
        if (rc)
            return NULL;
        snprintf(ex->ext_ckpt, sizeof ex->ext_ckpt, "%s", ckpt);
        snprintf(ex->ext_task, sizeof ex->ext_task, "%s", task);
        ex->extent_ok = 1;
    }
    return &ex->extent;
}

/* Bytes of the pair as held in memory (matrices that were read, labels). */
static double pair_bytes(const ckr_pair *p)
{
    const ckr_matrix *m[] = { &p->train_features, &p->val_features, &p->test_features,
                              &p->train_logits, &p->val_logits, &p->top_weights };
    double b = p->top_bias ? 8.0 * (double)p->top_weights.cols : 0.0;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (m[i]->data)
            b += 8.0 * (double)m[i]->rows * (double)m[i]->cols;
    double label = p->kind == CKR_MULTILABEL ? (double)p->num_classes : 4.0;
    return b + label * (double)(p->train.n + p->val.n + p->test.n);
}

enum { PLAN_WHOLE = 0, PLAN_STREAM = 1, PLAN_OVER = 2 };

/* How the item fits under the cap: PLAN_WHOLE, PLAN_STREAM with *block, or
 * PLAN_OVER with res failed ("over-memory" and the estimate). */
static int plan_item(ckr_executor *ex, const char *ckpt, const char *task, const ckr_spec *spec,
                     size_t *block, ckr_result *res)
{
    const ckr_pair_extent *e = executor_extent(ex, ckpt, task);
    if (!e)
        return PLAN_WHOLE;
    const ckr_method *m = spec->method;
    const ckr_pair_shape *s = &e->shape;
    double cap = ex->max_memory;
    double whole = e->bytes_features + e->bytes_meta +
                   (m->memory ? fmax(0.0, m->memory(s, &spec->params, 0)) : 0.0);
    if (whole <= cap)
        return PLAN_WHOLE;
    double best = -1.0; /* the smallest streamed need, for the message */
    if (m->score_stream && m->memory) {
        size_t b = s->n < STREAM_BLOCK_MAX ? s->n : STREAM_BLOCK_MAX;
        if (b < STREAM_BLOCK_MIN)
            b = STREAM_BLOCK_MIN;
        for (;; b /= 2) {
            double w = m->memory(s, &spec->params, b);
            if (w < 0.0)
                break;
            double need = e->bytes_meta + fmax(e->bytes_check, w);
            best = need;
            if (need <= cap) {
                *block = b;
                return PLAN_STREAM;
            }
            if (b / 2 < STREAM_BLOCK_MIN)
                break;
        }
    }
    char how[96];
    if (best >= 0.0)
        snprintf(how, sizeof how, "whole %.1f MB, streamed at least %.1f MB", whole / MB,
                 best / MB);
    else
        snprintf(how, sizeof how, "whole pair; %s has no streamed form", m->name);
    ckr_result_fail(res, CKR_ENOMEM, "over-memory",
                    "needs about %.1f MB for N=%zu D=%zu C=%d (%s), over --max-memory %.1f MB",
                    (best >= 0.0 ? best : whole) / MB, s->n, s->d, s->num_classes, how, cap / MB);
    return PLAN_OVER;
}

/* Run the method's streamed form on the feature-less pair with the
 * training rows read from the zoo in blocks of `block` rows. */
static int run_stream(ckr_executor *ex, const char *ckpt, const char *task, const ckr_pair *meta,
                      const ckr_spec *spec, size_t block, ckr_rng *rng, ckr_result *res)
{
    ckr_zoo_rows *zr = NULL;
    ckr_err err = { 0, "" };
    ckr_rowsrc src = { 0, 0, block, ckr_zoo_rows_read, NULL, 0.0 };
    if (ex->extent_ok)
        src.budget = fmax(1.0, ex->max_memory - ex->extent.bytes_meta);
    /* no rows (a pair without features): the method says what it needs */
    if (meta->train_features.rows > 0 &&
        ckr_zoo_rows_open(ex->zoo, ckpt, task, ex->io_lock, &zr, &err) == 0) {
        src.n = ckr_zoo_rows_n(zr);
        src.d = ckr_zoo_rows_d(zr);
        src.ctx = zr;
    }
    int rc = spec->method->score_stream(meta, zr ? &src : NULL, &spec->params, rng, res);
    if (zr) {
        double got = ckr_zoo_rows_bytes(zr);
        ex->bytes_read += got;
        size_t len = strlen(res->info);
        if (got > 0.0 && len < sizeof res->info)
            snprintf(res->info + len, sizeof res->info - len, "%sstreamed block=%zu read=%.1fMB",
                     len ? " " : "", block, got / MB);
        ckr_zoo_rows_close(zr);
    }
    return rc;
}

/* The pair (ckpt, task), read once for consecutive items on it (whole, or
 * without features when meta); NULL when it cannot be read (ex->read_rc
 * and ex->read_err say why). */
static const ckr_pair *executor_pair(ckr_executor *ex, const char *ckpt, const char *task,
                                     int meta)
{
    if (!ex->zoo) {
        ex->read_rc = ex->open_rc ? ex->open_rc : CKR_EIO;
        ex->read_err = ex->open_err;
        return NULL;
    }
    if (!ex->cached || strcmp(ex->ckpt, ckpt) != 0 || strcmp(ex->task, task) != 0 ||
        ex->cached_meta != meta) {
        ckr_executor_release_team(ex); /* one pair in memory at a time */
        if (ex->cached && ex->read_rc == 0)
            ckr_pair_free(&ex->pair);
        memset(&ex->pair, 0, sizeof ex->pair);
        ckr_err_clear(&ex->read_err);
        if (ex->io_lock)
            pthread_mutex_lock(ex->io_lock);
        ex->read_rc = (meta ? ckr_zoo_read_pair_meta : ckr_zoo_read_pair)(ex->zoo, ckpt, task,
                                                                          &ex->pair, &ex->read_err);
        if (ex->read_rc != 0 || meta) /* a meta read holds no features: checksum the file */
            broken_pair_checksum(ex, ckpt, task);
        if (ex->io_lock)
            pthread_mutex_unlock(ex->io_lock);
        if (ex->read_rc == 0 && !meta) /* over the data as read (zoo/checksum.h) */
            ex->pair_sum = ckr_pair_checksum(&ex->pair);
        ex->n_reads++;
        ex->cached_meta = meta;
        if (ex->read_rc == 0)
            ex->bytes_read += pair_bytes(&ex->pair);
        snprintf(ex->ckpt, sizeof ex->ckpt, "%s", ckpt);
        snprintf(ex->task, sizeof ex->task, "%s", task);
        ex->cached = 1;
    }
    return ex->read_rc == 0 ? &ex->pair : NULL;
}

void ckr_executor_release(ckr_executor *ex)
{
    if (ex->cached && ex->read_rc == 0)
        ckr_pair_free(&ex->pair);
    ex->cached = 0;
    ckr_executor_release_team(ex);
}

void ckr_executor_run(ckr_executor *ex, const char *ckpt, const char *task, int spec_idx,
                      ckr_result *res)
{
    const ckr_spec *spec = &ex->specs[spec_idx];
    memset(res, 0, sizeof *res);
    res->score = res->heldout = NAN;
    if (ckr_stop_requested()) { /* abandoning: the items queued here are not run either */
        ckr_result_fail(res, CKR_EINTR, "not-run", "%s", ckr_stop_why());
        return;
    }
    size_t block = 0;
    int plan = ex->max_memory > 0.0 ? plan_item(ex, ckpt, task, spec, &block, res) : PLAN_WHOLE;
    if (plan == PLAN_OVER)
        return;
    const ckr_pair *pair = executor_pair(ex, ckpt, task, plan == PLAN_STREAM);
    res->pair_sum = ex->zoo ? ex->pair_sum : 0;
    if (!pair) {
        ckr_result_fail(res, ex->read_rc, ckr_err_word(ex->read_rc), "%s", ex->read_err.msg);
        return;
    }
    ex->pair.split_seed = ckr_pair_split_seed(ex->seed, ckpt, task);
    ckr_rng rng;
    ckr_rng_seed_item(&rng, ex->seed, ckpt, task, spec->text);
    ckr_flops_reset();
    double t0 = ckr_now();
    int rc = plan == PLAN_STREAM ? run_stream(ex, ckpt, task, pair, spec, block, &rng, res)
                                 : spec->method->score(pair, &spec->params, &rng, res);
    res->seconds = ckr_now() - t0;
    res->gflops = ckr_flops_get() * 1e-9;
    /* abandoned: not-run, not journalled */
    ckr_result_settle(res, rc, rc == CKR_EINTR || (rc != 0 && ckr_stop_requested()),
                      ckr_stop_why());
}
