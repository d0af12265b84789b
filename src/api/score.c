/* score.c -- the public in-memory API (include/ckptrank/score.h): one pair,
 * one method spec, no zoo file, no mpirun. */
#include "ckptrank/score.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/pairin.h"
#include "ckptrank/ckptrank.h"
#include "methods/method.h"
#include "report/crossnorm.h"
#include "sched/signals.h"
#include "util/flops.h"
#include "util/rng.h"
#include "util/stop.h"

static int mpi_ours;       /* ckptrank_init initialised MPI */
static int atexit_done;

int ckptrank_init(void)
{
    int inited = 0, finalized = 0;
    if (MPI_Finalized(&finalized) != MPI_SUCCESS || finalized)
        return CKR_EMPI;
    if (MPI_Initialized(&inited) != MPI_SUCCESS)
        return CKR_EMPI;
    if (inited)
        return 0;
    int provided = 0;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
        return CKR_EMPI;
    mpi_ours = 1;
    if (!atexit_done && atexit(ckptrank_finalize) == 0)
        atexit_done = 1;
    return 0;
}

void ckptrank_finalize(void)
{
    int finalized = 1;
    if (mpi_ours && MPI_Finalized(&finalized) == MPI_SUCCESS && !finalized)
        MPI_Finalize();
    mpi_ours = 0;
}

void ckptrank_pair_init(ckptrank_pair *p)
{
    if (p)
        memset(p, 0, sizeof *p);
}

static int refuse(ckptrank_score_result *out, int code, const char *msg)
{
    snprintf(out->status, sizeof out->status, "%s", ckr_err_word(code));
    snprintf(out->message, sizeof out->message, "%s", msg);
    return code;
}

/* The method on the pair as sched/exec.c's ckr_executor_run runs one item:
 * the pair's split seed (ckr_pair_split_seed), the item's stream from
 * (seed, checkpoint, task, spec text), the FLOP counter and the clock around
 * the score, the same status fix-ups (ckr_result_settle). */
static void run_item(const ckr_spec *spec, uint64_t seed, ckr_pair *pair, ckr_result *res)
{
    memset(res, 0, sizeof *res);
    res->score = res->heldout = NAN;
    pair->split_seed = ckr_pair_split_seed(seed, pair->ckpt, pair->task);
    ckr_rng rng;
    ckr_rng_seed_item(&rng, seed, pair->ckpt, pair->task, spec->text);
    ckr_flops_reset();
    double t0 = ckr_now();
    int rc = spec->method->score(pair, &spec->params, &rng, res);
    res->seconds = ckr_now() - t0;
    res->gflops = ckr_flops_get() * 1e-9;
    ckr_result_settle(res, rc, rc == CKR_EINTR || (rc != 0 && ckr_stop_requested()),
                      ckr_stop_why());
}

int ckptrank_score(const ckptrank_pair *p, const char *method, uint64_t seed,
                   ckptrank_score_result *out)
{
    if (!out)
        return CKR_EARG;
    memset(out, 0, sizeof *out);
    out->score = out->heldout = NAN;
    if (!p || !method)
        return refuse(out, CKR_EARG, "ckptrank_score: the pair and the method spec are required");
    ckr_err err = { 0, "" };
    ckr_spec *spec = malloc(sizeof *spec); /* ~1 KB of spec text and config */
    if (!spec)
        return refuse(out, CKR_ENOMEM, "out of memory");
    int rc = ckr_spec_parse(method, spec, &err);
    if (rc != 0) {
        free(spec);
        return refuse(out, rc, err.msg);
    }
    if ((rc = ckptrank_init()) != 0) {
        free(spec);
        return refuse(out, rc, "MPI could not be initialised (or was finalised already)");
    }
    const char *ckpt = p->checkpoint ? p->checkpoint : "ckpt";
    const char *task = p->task ? p->task : "task";
    ckr_pair pair;
    if ((rc = ckr_api_pair_from(p, ckpt, task, &pair, &err)) != 0) {
        free(spec);
        return refuse(out, rc, err.msg);
    }
    ckr_result res;
    run_item(spec, seed, &pair, &res);
    ckr_pair_free(&pair);
    int spec_terms = spec->method->n_terms; /* the method table is static */
    const double *spec_weights = spec->method->term_weights;
    free(spec);
    out->score = res.score;
    out->heldout = res.heldout;
    out->seconds = res.seconds;
    out->gflops = res.gflops;
    snprintf(out->status, sizeof out->status, "%s", res.status);
    snprintf(out->message, sizeof out->message, "%s", res.message);
    snprintf(out->info, sizeof out->info, "%s", res.info);
    if (spec_terms > 0 && res.n_terms == spec_terms)
        ckr_terms_format(spec_weights, res.terms, res.n_terms, out->terms, sizeof out->terms);
    return 0;
}

int ckptrank_normalize(ckptrank_score_result *r, size_t n)
{
    if (n == 0)
        return 0;
    if (!r)
        return CKR_EARG;
    ckr_score_row *rows = calloc(n, sizeof *rows);
    if (!rows)
        return CKR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        /* one group: the same task and method, a checkpoint per result */
        snprintf(rows[i].task, sizeof rows[i].task, "task");
        snprintf(rows[i].method, sizeof rows[i].method, "method");
        snprintf(rows[i].ckpt, sizeof rows[i].ckpt, "%zu", i);
        snprintf(rows[i].status, sizeof rows[i].status, "%s", r[i].status);
        snprintf(rows[i].terms, sizeof rows[i].terms, "%s", r[i].terms);
        rows[i].score = r[i].score;
    }
    ckr_err err;
    int rc = ckr_crossnorm_apply(rows, n, &err);
    if (rc == 0)
        for (size_t i = 0; i < n; i++) {
            if (strcmp(rows[i].status, r[i].status) != 0) {
                snprintf(r[i].status, sizeof r[i].status, "%s", rows[i].status);
                snprintf(r[i].message, sizeof r[i].message, "%s", rows[i].message);
            }
            r[i].score = rows[i].score;
        }
    free(rows);
    return rc;
}

/* ---- the method table ----------------------------------------------- */

size_t ckptrank_method_count(void)
{
    return ckr_method_count();
}

const char *ckptrank_method_name(size_t i)
{
    const ckr_method *m = ckr_method_at(i);
    return m ? m->name : NULL;
}

const char *ckptrank_method_summary(size_t i)
{
    const ckr_method *m = ckr_method_at(i);
    return m ? m->summary : NULL;
}

size_t ckptrank_method_param_count(size_t i)
{
    const ckr_method *m = ckr_method_at(i);
    size_t n = 0;
    for (const ckr_param_def *d = m ? m->params : NULL; d && d->key; d++)
        n++;
    return n;
}

int ckptrank_method_param(size_t i, size_t j, const char **key, const char **def,
                          const char **help, const char **choices)
{
    const ckr_param_def *d = NULL;
    if (j < ckptrank_method_param_count(i))
        d = &ckr_method_at(i)->params[j];
    if (key)
        *key = d ? d->key : NULL;
    if (def)
        *def = d ? d->def : NULL;
    if (help)
        *help = d ? d->help : NULL;
    if (choices)
        *choices = d ? d->choices : NULL;
    return d ? 0 : CKR_EARG;
}

const char *ckptrank_version(void)
{
    return CKPTRANK_VERSION;
}
