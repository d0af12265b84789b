/* run.c -- ckptrank_run: coordinator (rank 0), workers, outputs.
 *
 * Rank 0 scans the zoo, lists the (checkpoint, task, method) items, orders
 * them by estimated cost (largest first) and hands them out one at a time to
 * the workers that ask (a dynamic queue). A worker reads its pair through the
 * MPI-IO driver on MPI_COMM_SELF (independent I/O), runs the method and
 * sends the result back with its next request. With one rank, rank 0 runs the
 * items itself. Rank 0 then writes every output. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ckptrank/ckptrank.h"
#include "methods/method.h"
#include "report/results.h"
#include "sched/progress.h"
#include "util/err.h"
#include "util/flops.h"
#include "zoo/zoo.h"

enum { TAG_RESULT = 1, TAG_WORK = 2, TAG_STOP = 3 };

/* What rank 0 sends to a worker. */
typedef struct work_msg {
    int item, spec;
    char ckpt[CKR_NAME_MAX], task[CKR_NAME_MAX];
} work_msg;

/* What a worker sends back (item = -1 on the first request). */
typedef struct result_msg {
    int item;
    ckr_result res;
} result_msg;

typedef struct run_item {
    size_t pair, spec;
    double cost;
    int done;
    ckr_result res;
} run_item;

/* Everything a rank needs to execute items. */
typedef struct executor {
    ckr_zoo *zoo;
    const ckr_spec *specs;
    uint64_t seed;
    /* one-pair cache: consecutive items on the same pair read it once */
    char ckpt[CKR_NAME_MAX], task[CKR_NAME_MAX];
    int cached, read_rc;
    ckr_pair pair;
    ckr_err read_err;
    int open_rc;          /* a worker that could not open the zoo fails its items */
    ckr_err open_err;
} executor;

void ckptrank_run_defaults(ckptrank_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->methods = "nleep,leep";
    o->k[0] = 1;
    o->k[1] = 3;
    o->nk = 2;
    o->progress = 1;
    o->print_table = 1;
}

static void iso_time_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const ckr_pair *executor_pair(executor *ex, const char *ckpt, const char *task)
{
    if (!ex->zoo) {
        ex->read_rc = ex->open_rc ? ex->open_rc : CKR_EIO;
        ex->read_err = ex->open_err;
        return NULL;
    }
    if (!ex->cached || strcmp(ex->ckpt, ckpt) != 0 || strcmp(ex->task, task) != 0) {
        if (ex->cached && ex->read_rc == 0)
            ckr_pair_free(&ex->pair);
        memset(&ex->pair, 0, sizeof ex->pair);
        ckr_err_clear(&ex->read_err);
        ex->read_rc = ckr_zoo_read_pair(ex->zoo, ckpt, task, &ex->pair, &ex->read_err);
        snprintf(ex->ckpt, sizeof ex->ckpt, "%s", ckpt);
        snprintf(ex->task, sizeof ex->task, "%s", task);
        ex->cached = 1;
    }
    return ex->read_rc == 0 ? &ex->pair : NULL;
}

static void executor_release(executor *ex)
{
    if (ex->cached && ex->read_rc == 0)
        ckr_pair_free(&ex->pair);
    ex->cached = 0;
}

/* Run one item; never fails: problems become the result's status. */
static void execute_item(executor *ex, const char *ckpt, const char *task, int spec_idx,
                         ckr_result *res)
{
    const ckr_spec *spec = &ex->specs[spec_idx];
    memset(res, 0, sizeof *res);
    res->score = NAN;
    const ckr_pair *pair = executor_pair(ex, ckpt, task);
    if (!pair) {
        ckr_result_fail(res, ex->read_rc, ckr_err_word(ex->read_rc), "%s", ex->read_err.msg);
        return;
    }
    ckr_rng rng;
    ckr_rng_seed_item(&rng, ex->seed, ckpt, task, spec->text);
    ckr_flops_reset();
    double t0 = ckr_now();
    int rc = spec->method->score(pair, &spec->params, &rng, res);
    res->seconds = ckr_now() - t0;
    res->gflops = ckr_flops_get() * 1e-9;
    if (rc == 0 && strcmp(res->status, "ok") != 0)
        ckr_result_ok(res, res->score); /* a method that forgot to set ok */
    if (rc != 0 && (!res->status[0] || strcmp(res->status, "ok") == 0))
        ckr_result_fail(res, rc, NULL, "method failed without a message");
}

/* ---- rank 0: the item list --------------------------------------------- */

static int cmp_item_cost(const void *a, const void *b)
{
    const run_item *x = *(run_item *const *)a, *y = *(run_item *const *)b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    if (x->pair != y->pair)
        return x->pair < y->pair ? -1 : 1;
    return x->spec < y->spec ? -1 : (x->spec > y->spec);
}

/* Items in canonical order (pair-major, then spec) plus a cost order. */
static int list_items(ckr_zoo *zoo, const ckr_spec *specs, size_t n_specs, run_item **items,
                      run_item ***order, size_t *n_items, ckr_err *err)
{
    size_t n_pairs = ckr_zoo_num_pairs(zoo), n = n_pairs * n_specs;
    if (n == 0)
        return ckr_err_set(err, CKR_EDATA, "%s: no (checkpoint, task) pair to score",
                           ckr_zoo_path(zoo));
    run_item *v = calloc(n, sizeof *v);
    run_item **o = calloc(n, sizeof *o);
    if (!v || !o) {
        free(v);
        free(o);
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu items", n);
    }
    for (size_t p = 0; p < n_pairs; p++)
        for (size_t s = 0; s < n_specs; s++) {
            run_item *it = &v[p * n_specs + s];
            it->pair = p;
            it->spec = s;
            it->cost = specs[s].method->cost(&ckr_zoo_pair(zoo, p)->shape, &specs[s].params);
            it->res.score = NAN;
            o[p * n_specs + s] = it;
        }
    qsort(o, n, sizeof *o, cmp_item_cost);
    *items = v;
    *order = o;
    *n_items = n;
    return 0;
}

static void item_names(ckr_zoo *zoo, const run_item *it, const char **ckpt, const char **task)
{
    const ckr_pair_info *pi = ckr_zoo_pair(zoo, it->pair);
    *ckpt = ckr_zoo_ckpt(zoo, pi->ckpt)->name;
    *task = ckr_zoo_task(zoo, pi->task)->name;
}

/* ---- the dynamic queue --------------------------------------------------- */

static void run_serial(executor *ex, run_item **order, size_t n, ckr_progress *pg,
                       size_t *n_failed)
{
    for (size_t i = 0; i < n; i++) {
        const char *ckpt, *task;
        item_names(ex->zoo, order[i], &ckpt, &task);
        execute_item(ex, ckpt, task, (int)order[i]->spec, &order[i]->res);
        order[i]->done = 1;
        if (strcmp(order[i]->res.status, "ok") != 0)
            (*n_failed)++;
        ckr_progress_update(pg, i + 1, *n_failed, i + 1 == n);
    }
}

static void sleep_briefly(double seconds)
{
    struct timespec ts = { 0, (long)(seconds * 1e9) };
    nanosleep(&ts, NULL);
}

static int coordinate(MPI_Comm comm, ckr_zoo *zoo, run_item *items, run_item **order, size_t n,
                      ckr_progress *pg, size_t *n_failed)
{
    int size;
    MPI_Comm_size(comm, &size);
    size_t next = 0, done = 0;
    int active = size - 1;
    result_msg in;
    MPI_Request req;
    MPI_Status st;
    MPI_Irecv(&in, (int)sizeof in, MPI_BYTE, MPI_ANY_SOURCE, TAG_RESULT, comm, &req);
    double nap = 1e-5;
    while (active > 0) {
        int flag = 0;
        MPI_Test(&req, &flag, &st);
        if (!flag) {
            /* poll gently so an oversubscribed coordinator does not steal a core */
            sleep_briefly(nap);
            nap = nap < 2e-3 ? nap * 2 : 2e-3;
            ckr_progress_update(pg, done, *n_failed, 0);
            continue;
        }
        nap = 1e-5;
        if (in.item >= 0 && (size_t)in.item < n) {
            run_item *it = &items[in.item];
            it->res = in.res;
            it->done = 1;
            done++;
            if (strcmp(it->res.status, "ok") != 0)
                (*n_failed)++;
            ckr_progress_update(pg, done, *n_failed, done == n);
        }
        int worker = st.MPI_SOURCE;
        if (next < n) {
            work_msg w;
            memset(&w, 0, sizeof w);
            const char *ckpt, *task;
            item_names(zoo, order[next], &ckpt, &task);
            w.item = (int)(order[next] - items);
            w.spec = (int)order[next]->spec;
            snprintf(w.ckpt, sizeof w.ckpt, "%s", ckpt);
            snprintf(w.task, sizeof w.task, "%s", task);
            MPI_Send(&w, (int)sizeof w, MPI_BYTE, worker, TAG_WORK, comm);
            next++;
        } else {
            MPI_Send(NULL, 0, MPI_BYTE, worker, TAG_STOP, comm);
            active--;
        }
        if (active > 0)
            MPI_Irecv(&in, (int)sizeof in, MPI_BYTE, MPI_ANY_SOURCE, TAG_RESULT, comm, &req);
    }
    return 0;
}

static void work(MPI_Comm comm, executor *ex)
{
    result_msg out;
    memset(&out, 0, sizeof out);
    out.item = -1;
    for (;;) {
        MPI_Send(&out, (int)sizeof out, MPI_BYTE, 0, TAG_RESULT, comm);
        work_msg w;
        MPI_Status st;
        MPI_Recv(&w, (int)sizeof w, MPI_BYTE, 0, MPI_ANY_TAG, comm, &st);
        if (st.MPI_TAG == TAG_STOP)
            break;
        memset(&out, 0, sizeof out);
        out.item = w.item;
        execute_item(ex, w.ckpt, w.task, w.spec, &out.res);
    }
    executor_release(ex);
}

/* ---- rank 0: outputs ----------------------------------------------------- */

static int collect_results(ckr_zoo *zoo, const ckr_spec *specs, const run_item *items,
                           size_t n, ckr_results *r, ckr_err *err)
{
    r->scores = calloc(n, sizeof *r->scores);
    r->gt = calloc(ckr_zoo_num_pairs(zoo) + 1, sizeof *r->gt);
    if (!r->scores || !r->gt)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for results");
    for (size_t i = 0; i < n; i++) {
        ckr_score_row *row = &r->scores[r->n_scores++];
        const char *ckpt, *task;
        item_names(zoo, &items[i], &ckpt, &task);
        snprintf(row->ckpt, sizeof row->ckpt, "%s", ckpt);
        snprintf(row->task, sizeof row->task, "%s", task);
        snprintf(row->method, sizeof row->method, "%s", specs[items[i].spec].text);
        const ckr_result *res = &items[i].res;
        if (!items[i].done) {
            row->score = row->seconds = row->gflops = NAN;
            snprintf(row->status, sizeof row->status, "not-run");
            continue;
        }
        row->score = res->score;
        snprintf(row->status, sizeof row->status, "%s", res->status);
        snprintf(row->message, sizeof row->message, "%s", res->message);
        snprintf(row->info, sizeof row->info, "%s", res->info);
        row->seconds = res->seconds;
        row->gflops = res->gflops;
    }
    for (size_t p = 0; p < ckr_zoo_num_pairs(zoo); p++) {
        const ckr_pair_info *pi = ckr_zoo_pair(zoo, p);
        if (!pi->has_gt)
            continue;
        ckr_gt_row *g = &r->gt[r->n_gt++];
        snprintf(g->ckpt, sizeof g->ckpt, "%s", ckr_zoo_ckpt(zoo, pi->ckpt)->name);
        snprintf(g->task, sizeof g->task, "%s", ckr_zoo_task(zoo, pi->task)->name);
        g->accuracy = pi->finetune_accuracy;
    }
    return 0;
}

static int write_outputs(const ckptrank_run_opts *o, ckr_results *r, ckr_err *err)
{
    int rc = ckr_results_compute_metrics(r, o->k, o->nk, err);
    if (!rc && o->out_h5)
        rc = ckr_results_write_h5(o->out_h5, r, err);
    if (!rc && o->csv_path)
        rc = ckr_scores_write_csv(o->csv_path, r->scores, r->n_scores, err);
    if (!rc && o->metrics_csv)
        rc = ckr_metrics_write_csv(o->metrics_csv, r->metrics, r->n_metrics, err);
    if (!rc && o->print_table) {
        if (r->n_gt > 0)
            ckr_metrics_print(stdout, r->metrics, r->n_metrics);
        else
            printf("(no finetune_accuracy in the zoo: no ranking-quality table)\n");
        fflush(stdout);
    }
    return rc;
}

static void fill_meta(const ckptrank_run_opts *o, int size, ckr_results_meta *m)
{
    snprintf(m->command_line, sizeof m->command_line, "%s", o->command_line ? o->command_line : "");
    snprintf(m->version, sizeof m->version, "%s", CKPTRANK_VERSION);
    snprintf(m->zoo, sizeof m->zoo, "%s", o->zoo_path);
    snprintf(m->methods, sizeof m->methods, "%s", o->methods);
    m->seed = (unsigned long long)o->seed;
    m->n_ranks = size;
}

/* ---- the entry point ------------------------------------------------------ */

/* rank 0: open + scan + list; the outcome is broadcast so all ranks agree. */
static int setup_coordinator(const ckptrank_run_opts *o, const ckr_spec *specs, size_t n_specs,
                             ckr_zoo **zoo, run_item **items, run_item ***order, size_t *n,
                             ckr_err *err)
{
    int rc = ckr_zoo_open(o->zoo_path, MPI_COMM_SELF, zoo, err);
    if (!rc)
        rc = ckr_zoo_scan(*zoo, err);
    if (!rc)
        rc = list_items(*zoo, specs, n_specs, items, order, n, err);
    return rc;
}

static int bcast_status(MPI_Comm comm, int rc, ckr_err *err)
{
    struct { int rc; char msg[sizeof err->msg]; } s;
    memset(&s, 0, sizeof s);
    s.rc = rc;
    if (err)
        memcpy(s.msg, err->msg, sizeof s.msg);
    MPI_Bcast(&s, (int)sizeof s, MPI_BYTE, 0, comm);
    if (s.rc && err) {
        err->code = s.rc;
        memcpy(err->msg, s.msg, sizeof err->msg);
    }
    return s.rc;
}

int ckptrank_run(MPI_Comm comm, const ckptrank_run_opts *o, ckptrank_run_summary *summary,
                 ckr_err *err)
{
    int rank, size, rc;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    memset(summary, 0, sizeof *summary);
    ckr_spec *specs = NULL;
    size_t n_specs = 0, n = 0, n_failed = 0;
    ckr_zoo *zoo = NULL;
    run_item *items = NULL, **order = NULL;
    ckr_results res;
    memset(&res, 0, sizeof res);
    executor ex;
    memset(&ex, 0, sizeof ex);
    double t0 = ckr_now();

    /* every rank parses the method list itself: same input, same outcome */
    rc = ckr_spec_parse_list(o->methods, &specs, &n_specs, err);
    if (rc)
        goto cleanup;
    if (rank == 0) {
        iso_time_now(res.meta.start_time, sizeof res.meta.start_time);
        rc = setup_coordinator(o, specs, n_specs, &zoo, &items, &order, &n, err);
    }
    rc = bcast_status(comm, rc, err);
    if (rc)
        goto cleanup;

    ex.specs = specs;
    ex.seed = o->seed;
    if (rank == 0) {
        ckr_progress pg;
        ckr_progress_start(&pg, n, o->progress);
        ex.zoo = zoo;
        if (size == 1)
            run_serial(&ex, order, n, &pg, &n_failed);
        else
            coordinate(comm, zoo, items, order, n, &pg, &n_failed);
        executor_release(&ex);
        fill_meta(o, size, &res.meta);
        iso_time_now(res.meta.end_time, sizeof res.meta.end_time);
        res.meta.seconds = ckr_now() - t0;
        rc = collect_results(zoo, specs, items, n, &res, err);
        if (!rc)
            rc = write_outputs(o, &res, err);
    } else {
        /* a worker that cannot open the file still serves the queue: its items fail */
        ex.open_rc = ckr_zoo_open(o->zoo_path, MPI_COMM_SELF, &ex.zoo, &ex.open_err);
        work(comm, &ex);
        rc = 0;
    }
    unsigned long long counts[2] = { n, n_failed };
    MPI_Bcast(counts, 2, MPI_UNSIGNED_LONG_LONG, 0, comm);
    summary->n_items = counts[0];
    summary->n_failed = counts[1];
    summary->n_ok = counts[0] - counts[1];
    summary->seconds = ckr_now() - t0;
    rc = bcast_status(comm, rc, err);

cleanup:
    if (ex.zoo && ex.zoo != zoo)
        ckr_zoo_close(ex.zoo);
    if (zoo)
        ckr_zoo_close(zoo);
    ckr_results_free(&res);
    free(items);
    free(order);
    free(specs);
    return rc;
}
