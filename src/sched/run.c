/* run.c -- ckptrank_run: coordinator (rank 0), workers, journal, outputs.
 *
 * Rank 0 scans the zoo, lists the (checkpoint, task, method) items (the
 * shard's slice of them), drops those already in the journal when resuming,
 * orders the rest by estimated cost (largest first) and hands them out from
 * the front of that queue as the workers return results, keeping each worker
 * two items deep so it never waits for rank 0 (a dynamic queue). A worker reads its
 * pair through the MPI-IO driver on MPI_COMM_SELF (independent I/O), runs the
 * method and sends the result back with its next request; rank 0 appends it
 * to the journal. With one rank, rank 0 runs the items itself. On SIGTERM,
 * SIGINT or SIGUSR1 rank 0 stops handing out work, collects what is in
 * flight (up to the grace period), and writes the journal and the partial
 * outputs. Rank 0 writes every output. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ckptrank/ckptrank.h"
#include "methods/method.h"
#include "report/json.h"
#include "report/results_csv.h"
#include "report/results_h5.h"
#include "report/sweep.h"
#include "sched/journal.h"
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
    int done;      /* 1 computed now, 2 taken from the journal */
    ckr_result res;
} run_item;

/* Rank 0's view of the run. */
typedef struct coord {
    ckr_zoo *zoo;
    const ckr_spec *specs;
    run_item *items;     /* canonical order (pair-major, then spec), shard only */
    run_item **order;    /* items still to compute, by cost */
    size_t n, n_todo, n_resumed, n_computed, n_failed;
    ckr_journal journal;
    int has_journal;
    ckr_progress pg;
    int journal_error;
    ckr_err jerr;
} coord;

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

/* ---- signals ---------------------------------------------------------------- */

static volatile sig_atomic_t g_stop_signal;

static void on_stop_signal(int sig) { g_stop_signal = sig; }

typedef struct saved_handlers {
    struct sigaction term, intr, usr1;
} saved_handlers;

static void install_handlers(saved_handlers *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    g_stop_signal = 0;
    sigaction(SIGTERM, &sa, &old->term);
    sigaction(SIGINT, &sa, &old->intr);
    sigaction(SIGUSR1, &sa, &old->usr1);
}

static void restore_handlers(const saved_handlers *old)
{
    sigaction(SIGTERM, &old->term, NULL);
    sigaction(SIGINT, &old->intr, NULL);
    sigaction(SIGUSR1, &old->usr1, NULL);
}

void ckptrank_run_defaults(ckptrank_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->methods = "nleep,leep";
    o->k[0] = 1;
    o->k[1] = 3;
    o->nk = 2;
    o->progress = 1;
    o->print_table = 1;
    o->grace_seconds = 60.0;
}

static void iso_time_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- executing one item (any rank) ---------------------------------------------- */

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
    res->score = res->heldout = NAN;
    const ckr_pair *pair = executor_pair(ex, ckpt, task);
    if (!pair) {
        ckr_result_fail(res, ex->read_rc, ckr_err_word(ex->read_rc), "%s", ex->read_err.msg);
        return;
    }
    ex->pair.split_seed = ckr_hash_str(ckr_hash_str(CKR_FNV_OFFSET ^ ex->seed, ckpt), task);
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

/* ---- rank 0: the item list ---------------------------------------------------------- */

static int cmp_item_cost(const void *a, const void *b)
{
    const run_item *x = *(run_item *const *)a, *y = *(run_item *const *)b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    if (x->pair != y->pair)
        return x->pair < y->pair ? -1 : 1;
    return x->spec < y->spec ? -1 : (x->spec > y->spec);
}

static void item_names(ckr_zoo *zoo, const run_item *it, const char **ckpt, const char **task)
{
    const ckr_pair_info *pi = ckr_zoo_pair(zoo, it->pair);
    *ckpt = ckr_zoo_ckpt(zoo, pi->ckpt)->name;
    *task = ckr_zoo_task(zoo, pi->task)->name;
}

/* The shard's items in canonical order (pair-major, then spec). */
static int list_items(coord *c, size_t n_specs, const ckptrank_run_opts *o, ckr_err *err)
{
    size_t n_pairs = ckr_zoo_num_pairs(c->zoo), all = n_pairs * n_specs;
    if (all == 0)
        return ckr_err_set(err, CKR_EDATA, "%s: no (checkpoint, task) pair to score",
                           ckr_zoo_path(c->zoo));
    c->items = calloc(all, sizeof *c->items);
    c->order = calloc(all, sizeof *c->order);
    if (!c->items || !c->order)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu items", all);
    size_t count = o->shard_count > 0 ? (size_t)o->shard_count : 1;
    size_t index = o->shard_count > 0 ? (size_t)o->shard_index : 0;
    for (size_t i = 0; i < all; i++) {
        if (i % count != index)
            continue;
        run_item *it = &c->items[c->n++];
        it->pair = i / n_specs;
        it->spec = i % n_specs;
        it->cost = c->specs[it->spec].method->cost(&ckr_zoo_pair(c->zoo, it->pair)->shape,
                                                   &c->specs[it->spec].params);
        it->res.score = it->res.heldout = NAN;
    }
    if (c->n == 0)
        return ckr_err_set(err, CKR_EARG, "shard %d/%d has no items (%zu in all)", o->shard_index,
                           o->shard_count, all);
    return 0;
}

static void build_order(coord *c)
{
    c->n_todo = 0;
    for (size_t i = 0; i < c->n; i++)
        if (!c->items[i].done)
            c->order[c->n_todo++] = &c->items[i];
    qsort(c->order, c->n_todo, sizeof *c->order, cmp_item_cost);
}

/* ---- rank 0: journal -------------------------------------------------------------------- */

typedef struct item_key {
    const char *ckpt, *task, *method;
    size_t index;
} item_key;

static int cmp_key(const void *a, const void *b)
{
    const item_key *x = a, *y = b;
    int c = strcmp(x->ckpt, y->ckpt);
    if (!c)
        c = strcmp(x->task, y->task);
    if (!c)
        c = strcmp(x->method, y->method);
    return c;
}

typedef struct resume_ctx {
    coord *c;
    item_key *keys;
    size_t unknown;
} resume_ctx;

static void take_journal_record(void *p, const ckr_journal_rec *rec)
{
    resume_ctx *rc = p;
    item_key k = { rec->ckpt, rec->task, rec->method, 0 };
    item_key *hit = bsearch(&k, rc->keys, rc->c->n, sizeof k, cmp_key);
    if (!hit) {
        rc->unknown++;
        return;
    }
    run_item *it = &rc->c->items[hit->index];
    if (!it->done)
        rc->c->n_resumed++;
    it->res = rec->res;
    it->done = 2;
}

/* What the journal belongs to: zoo listing, methods, seed, shard. */
static void journal_identity(const coord *c, const ckptrank_run_opts *o, ckr_journal_id *id)
{
    uint64_t h = CKR_FNV_OFFSET;
    char buf[128];
    for (size_t i = 0; i < ckr_zoo_num_pairs(c->zoo); i++) {
        const ckr_pair_info *p = ckr_zoo_pair(c->zoo, i);
        h = ckr_hash_str(h, ckr_zoo_ckpt(c->zoo, p->ckpt)->name);
        h = ckr_hash_str(h, ckr_zoo_task(c->zoo, p->task)->name);
        snprintf(buf, sizeof buf, "%zu %zu %zu %zu %d", p->shape.n, p->shape.d, p->shape.z,
                 p->shape.n_val, p->shape.num_classes);
        h = ckr_hash_str(h, buf);
    }
    memset(id, 0, sizeof *id);
    snprintf(id->zoo, sizeof id->zoo, "%zu pairs, listing %016llx", ckr_zoo_num_pairs(c->zoo),
             (unsigned long long)h);
    snprintf(id->methods, sizeof id->methods, "%s", o->methods);
    snprintf(id->seed, sizeof id->seed, "%llu", (unsigned long long)o->seed);
    if (o->shard_count > 0)
        snprintf(id->shard, sizeof id->shard, "%d/%d", o->shard_index, o->shard_count);
    else
        snprintf(id->shard, sizeof id->shard, "all");
}

static const char *journal_path(const ckptrank_run_opts *o, char *buf, size_t len)
{
    if (o->journal_path)
        return o->journal_path[0] ? o->journal_path : NULL;
    const char *base = o->out_h5 ? o->out_h5 : o->csv_path;
    if (!base)
        return NULL;
    snprintf(buf, len, "%s.journal", base);
    return buf;
}

static int open_journal(coord *c, const ckptrank_run_opts *o, ckr_err *err)
{
    char buf[4200];
    const char *path = journal_path(o, buf, sizeof buf);
    if (!path) {
        if (o->resume)
            return ckr_err_set(err, CKR_EARG, "--resume needs a journal: give -o, --csv or --journal");
        return 0;
    }
    ckr_journal_id id;
    journal_identity(c, o, &id);
    item_key *keys = calloc(c->n, sizeof *keys);
    if (!keys)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for the journal index");
    for (size_t i = 0; i < c->n; i++) {
        item_names(c->zoo, &c->items[i], &keys[i].ckpt, &keys[i].task);
        keys[i].method = c->specs[c->items[i].spec].text;
        keys[i].index = i;
    }
    qsort(keys, c->n, sizeof *keys, cmp_key);
    resume_ctx rctx = { c, keys, 0 };
    size_t n_rec = 0, dropped = 0;
    int rc = ckr_journal_open(&c->journal, path, &id, o->resume, take_journal_record, &rctx, &n_rec,
                              &dropped, err);
    free(keys);
    if (rc)
        return rc;
    c->has_journal = 1;
    if (o->resume && o->progress)
        fprintf(stderr, "ckptrank: resuming from %s: %zu of %zu items done%s\n", path, c->n_resumed,
                c->n, dropped ? " (a torn last record was dropped)" : "");
    return 0;
}

/* Record a finished item: journal (flushed per record, fsync'd in batches). */
static void record_result(coord *c, run_item *it)
{
    it->done = 1;
    c->n_computed++;
    if (strcmp(it->res.status, "ok") != 0)
        c->n_failed++;
    if (c->has_journal && !c->journal_error) {
        ckr_journal_rec rec;
        memset(&rec, 0, sizeof rec);
        const char *ckpt, *task;
        item_names(c->zoo, it, &ckpt, &task);
        snprintf(rec.ckpt, sizeof rec.ckpt, "%s", ckpt);
        snprintf(rec.task, sizeof rec.task, "%s", task);
        snprintf(rec.method, sizeof rec.method, "%s", c->specs[it->spec].text);
        rec.res = it->res;
        if (ckr_journal_append(&c->journal, &rec, &c->jerr) != 0) {
            c->journal_error = 1;
            fprintf(stderr, "ckptrank: %s (continuing without the journal)\n", c->jerr.msg);
        }
    }
    if (getenv("CKPTRANK_TRACE"))
        fprintf(stderr, "ckptrank-trace: done %zu\n", (size_t)(it - c->items));
    ckr_progress_update(&c->pg, c->n_computed, c->n_failed, c->n_computed == c->n_todo);
}

/* ---- the dynamic queue ----------------------------------------------------------------- */

static void run_serial(coord *c, executor *ex)
{
    for (size_t i = 0; i < c->n_todo && !g_stop_signal; i++) {
        const char *ckpt, *task;
        item_names(c->zoo, c->order[i], &ckpt, &task);
        execute_item(ex, ckpt, task, (int)c->order[i]->spec, &c->order[i]->res);
        record_result(c, c->order[i]);
    }
}

static void sleep_briefly(double seconds)
{
    struct timespec ts = { 0, (long)(seconds * 1e9) };
    nanosleep(&ts, NULL);
}

/* Items a worker holds at once (one computing, one queued): its next item is
 * already there when it sends a result, so it never waits on rank 0. */
#define WORKER_DEPTH 2
#define SEND_SLOTS (WORKER_DEPTH + 1)

typedef struct queue_state {
    size_t front, back;   /* the workers take order[front++] while front < back */
    int *outstanding;     /* per worker: items sent, results not yet back */
    char *stopped;        /* per worker: STOP sent */
    int n_stopped, busy;
    /* non-blocking sends: a standard MPI_Send may wait for the worker to
     * receive (it is busy computing), so each worker has SEND_SLOTS buffers */
    work_msg *slot;       /* size x SEND_SLOTS */
    MPI_Request *sreq;    /* size x SEND_SLOTS */
    int *next_slot;       /* per worker */
} queue_state;

static void send_item(MPI_Comm comm, coord *c, queue_state *q, run_item *it, int worker)
{
    size_t k = (size_t)worker * SEND_SLOTS + (size_t)q->next_slot[worker];
    q->next_slot[worker] = (q->next_slot[worker] + 1) % SEND_SLOTS;
    MPI_Wait(&q->sreq[k], MPI_STATUS_IGNORE); /* long done: the worker answered since */
    work_msg *w = &q->slot[k];
    memset(w, 0, sizeof *w);
    const char *ckpt, *task;
    item_names(c->zoo, it, &ckpt, &task);
    w->item = (int)(it - c->items);
    w->spec = (int)it->spec;
    snprintf(w->ckpt, sizeof w->ckpt, "%s", ckpt);
    snprintf(w->task, sizeof w->task, "%s", task);
    MPI_Isend(w, (int)sizeof *w, MPI_BYTE, worker, TAG_WORK, comm, &q->sreq[k]);
}

static int queue_empty(const queue_state *q) { return q->front >= q->back; }

/* After a message from `worker`: top it up to WORKER_DEPTH, or stop it. */
static void refill(MPI_Comm comm, coord *c, queue_state *q, int worker)
{
    while (!g_stop_signal && !queue_empty(q) && q->outstanding[worker] < WORKER_DEPTH) {
        send_item(comm, c, q, c->order[q->front++], worker);
        q->outstanding[worker]++;
        q->busy++;
    }
    if (q->outstanding[worker] == 0 && !q->stopped[worker] && (g_stop_signal || queue_empty(q))) {
        MPI_Send(NULL, 0, MPI_BYTE, worker, TAG_STOP, comm);
        q->stopped[worker] = 1;
        q->n_stopped++;
    }
}

/* Serve the workers until every one got STOP (it gets it only with no item
 * outstanding, so every result is in). Returns 1 if the grace period ran out
 * with items still in flight (the caller must abort), else 0. */
static int coordinate(MPI_Comm comm, coord *c, double grace)
{
    int size;
    MPI_Comm_size(comm, &size);
    size_t ns = (size_t)size * SEND_SLOTS;
    queue_state q = { 0, c->n_todo, calloc((size_t)size, sizeof(int)), calloc((size_t)size, 1), 0, 0,
                      calloc(ns, sizeof(work_msg)), malloc(ns * sizeof(MPI_Request)),
                      calloc((size_t)size, sizeof(int)) };
    if (!q.outstanding || !q.stopped || !q.slot || !q.sreq || !q.next_slot) {
        fprintf(stderr, "ckptrank: out of memory in the coordinator\n");
        MPI_Abort(comm, 1);
    }
    for (size_t k = 0; k < ns; k++)
        q.sreq[k] = MPI_REQUEST_NULL;
    int timed_out = 0;
    result_msg in;
    MPI_Request req;
    MPI_Status st;
    double stop_at = -1.0, nap = 1e-5;
    MPI_Irecv(&in, (int)sizeof in, MPI_BYTE, MPI_ANY_SOURCE, TAG_RESULT, comm, &req);
    while (q.n_stopped < size - 1) {
        if (g_stop_signal && stop_at < 0) {
            stop_at = ckr_now();
            fprintf(stderr, "ckptrank: signal %d: no new work; waiting up to %.0f s for %d item(s) in flight\n",
                    (int)g_stop_signal, grace, q.busy);
            for (int w = 1; w < size; w++) /* idle workers stop at once */
                if (!q.stopped[w] && q.outstanding[w] == 0)
                    refill(comm, c, &q, w);
            if (q.n_stopped == size - 1)
                break;
        }
        int flag = 0;
        MPI_Test(&req, &flag, &st);
        if (flag) {
            nap = 1e-5;
            if (in.item >= 0 && (size_t)in.item < c->n) {
                c->items[in.item].res = in.res;
                record_result(c, &c->items[in.item]);
                q.outstanding[st.MPI_SOURCE]--;
                q.busy--;
            }
            refill(comm, c, &q, st.MPI_SOURCE);
            if (q.n_stopped < size - 1)
                MPI_Irecv(&in, (int)sizeof in, MPI_BYTE, MPI_ANY_SOURCE, TAG_RESULT, comm, &req);
            continue;
        }
        if (stop_at >= 0 && ckr_now() - stop_at > grace && q.busy > 0) {
            MPI_Cancel(&req);
            MPI_Request_free(&req);
            timed_out = 1;
            break;
        }
        /* poll gently so an oversubscribed coordinator does not steal a core */
        sleep_briefly(nap);
        nap = nap < 2e-3 ? nap * 2 : 2e-3;
        ckr_progress_update(&c->pg, c->n_computed, c->n_failed, 0);
    }
    if (!timed_out) /* every worker answered every item: the sends are complete */
        MPI_Waitall((int)ns, q.sreq, MPI_STATUSES_IGNORE);
    free(q.outstanding);
    free(q.stopped);
    if (!timed_out) /* after a time-out the caller aborts; the buffers must outlive the sends */
        free(q.slot);
    free(q.sreq);
    free(q.next_slot);
    return timed_out;
}

static void work(MPI_Comm comm, executor *ex)
{
    result_msg out;
    memset(&out, 0, sizeof out);
    out.item = -1; /* the first message asks for work */
    /* rank 0's messages arrive in order: items, then STOP. The receive of the
     * next one is posted before computing, so rank 0's send completes at once
     * instead of spinning until this worker is done. */
    work_msg w[2];
    MPI_Request req;
    int cur = 0;
    MPI_Irecv(&w[cur], (int)sizeof w[cur], MPI_BYTE, 0, MPI_ANY_TAG, comm, &req);
    MPI_Send(&out, (int)sizeof out, MPI_BYTE, 0, TAG_RESULT, comm);
    for (;;) {
        MPI_Status st;
        MPI_Wait(&req, &st);
        if (st.MPI_TAG == TAG_STOP)
            break;
        MPI_Irecv(&w[1 - cur], (int)sizeof w[1 - cur], MPI_BYTE, 0, MPI_ANY_TAG, comm, &req);
        memset(&out, 0, sizeof out);
        out.item = w[cur].item;
        execute_item(ex, w[cur].ckpt, w[cur].task, w[cur].spec, &out.res);
        MPI_Send(&out, (int)sizeof out, MPI_BYTE, 0, TAG_RESULT, comm);
        cur = 1 - cur;
    }
    executor_release(ex);
}

/* ---- rank 0: outputs ---------------------------------------------------------------------- */

static int collect_results(const coord *c, ckr_results *r, ckr_err *err)
{
    r->scores = calloc(c->n + 1, sizeof *r->scores);
    r->gt = calloc(ckr_zoo_num_pairs(c->zoo) + 1, sizeof *r->gt);
    if (!r->scores || !r->gt)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for results");
    for (size_t i = 0; i < c->n; i++) {
        const run_item *it = &c->items[i];
        ckr_score_row *row = &r->scores[r->n_scores++];
        const char *ckpt, *task;
        item_names(c->zoo, it, &ckpt, &task);
        snprintf(row->ckpt, sizeof row->ckpt, "%s", ckpt);
        snprintf(row->task, sizeof row->task, "%s", task);
        snprintf(row->method, sizeof row->method, "%s", c->specs[it->spec].text);
        snprintf(row->sweep, sizeof row->sweep, "%s", c->specs[it->spec].sweep);
        if (!it->done) {
            row->score = row->seconds = row->gflops = row->heldout = NAN;
            snprintf(row->status, sizeof row->status, "not-run");
            snprintf(row->message, sizeof row->message, "interrupted before this item ran; use --resume");
            continue;
        }
        row->score = it->res.score;
        snprintf(row->status, sizeof row->status, "%s", it->res.status);
        snprintf(row->message, sizeof row->message, "%s", it->res.message);
        snprintf(row->info, sizeof row->info, "%s", it->res.info);
        row->seconds = it->res.seconds;
        row->gflops = it->res.gflops;
        row->heldout = it->res.heldout;
    }
    for (size_t p = 0; p < ckr_zoo_num_pairs(c->zoo); p++) {
        const ckr_pair_info *pi = ckr_zoo_pair(c->zoo, p);
        if (!pi->has_gt)
            continue;
        ckr_gt_row *g = &r->gt[r->n_gt++];
        snprintf(g->ckpt, sizeof g->ckpt, "%s", ckr_zoo_ckpt(c->zoo, pi->ckpt)->name);
        snprintf(g->task, sizeof g->task, "%s", ckr_zoo_task(c->zoo, pi->task)->name);
        g->accuracy = pi->finetune_accuracy;
    }
    return ckr_results_add_sweep_best(r, err);
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
    if (!rc && o->json_path)
        rc = ckr_results_write_json(o->json_path, r, 0, err);
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

/* ---- the entry point ------------------------------------------------------------------------- */

static int check_opts(const ckptrank_run_opts *o, ckr_err *err)
{
    if (!o->zoo_path)
        return ckr_err_set(err, CKR_EARG, "no zoo file given");
    if (o->shard_count < 0 || (o->shard_count > 0 && (o->shard_index < 0 || o->shard_index >= o->shard_count)))
        return ckr_err_set(err, CKR_EARG, "bad shard %d/%d (want I/N with 0 <= I < N)", o->shard_index,
                           o->shard_count);
    if (o->nk < 0 || o->nk > 8)
        return ckr_err_set(err, CKR_EARG, "between 0 and 8 values of k");
    return 0;
}

/* rank 0: open + scan + list + journal; the outcome is broadcast so all ranks agree. */
static int setup_coordinator(const ckptrank_run_opts *o, coord *c, size_t n_specs, ckr_err *err)
{
    int rc = ckr_zoo_open(o->zoo_path, MPI_COMM_SELF, &c->zoo, err);
    if (!rc)
        rc = ckr_zoo_scan(c->zoo, err);
    if (!rc)
        rc = list_items(c, n_specs, o, err);
    if (!rc)
        rc = open_journal(c, o, err);
    if (!rc)
        build_order(c);
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

/* Rank 0 after the queue: outputs, journal close. */
static int finish_coordinator(const ckptrank_run_opts *o, coord *c, int size, double t0,
                              ckr_results *res, ckr_err *err)
{
    fill_meta(o, size, &res->meta);
    iso_time_now(res->meta.end_time, sizeof res->meta.end_time);
    res->meta.seconds = ckr_now() - t0;
    int rc = collect_results(c, res, err);
    if (!rc)
        rc = write_outputs(o, res, err);
    ckr_err jerr = { 0, "" };
    if (c->has_journal && ckr_journal_close(&c->journal, &jerr) != 0 && !rc)
        rc = ckr_err_set(err, jerr.code, "%s", jerr.msg);
    /* complete and written: the outputs hold everything, the journal is spent */
    if (!rc && c->has_journal && c->n_resumed + c->n_computed == c->n)
        remove(c->journal.path);
    return rc;
}

int ckptrank_run(MPI_Comm comm, const ckptrank_run_opts *o, ckptrank_run_summary *summary,
                 ckr_err *err)
{
    int rank, size, rc;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    memset(summary, 0, sizeof *summary);
    ckr_spec *specs = NULL;
    size_t n_specs = 0;
    coord c;
    memset(&c, 0, sizeof c);
    ckr_results res;
    memset(&res, 0, sizeof res);
    executor ex;
    memset(&ex, 0, sizeof ex);
    saved_handlers old;
    double t0 = ckr_now();
    install_handlers(&old);

    /* every rank checks the options and parses the method list: same outcome */
    rc = check_opts(o, err);
    if (!rc)
        rc = ckr_spec_parse_list(o->methods, &specs, &n_specs, err);
    if (rc)
        goto cleanup;
    c.specs = specs;
    if (rank == 0) {
        iso_time_now(res.meta.start_time, sizeof res.meta.start_time);
        rc = setup_coordinator(o, &c, n_specs, err);
    }
    rc = bcast_status(comm, rc, err);
    if (rc)
        goto cleanup;

    ex.specs = specs;
    ex.seed = o->seed;
    int abort_needed = 0;
    if (rank == 0) {
        ckr_progress_start(&c.pg, c.n_todo, o->progress);
        ex.zoo = c.zoo;
        if (size == 1)
            run_serial(&c, &ex);
        else
            abort_needed = coordinate(comm, &c, o->grace_seconds);
        executor_release(&ex);
        ex.zoo = NULL;
        rc = finish_coordinator(o, &c, size, t0, &res, err);
        if (abort_needed) {
            fprintf(stderr, "ckptrank: grace period over with items in flight; partial outputs and "
                            "journal written; aborting the workers\n");
            MPI_Abort(comm, CKPTRANK_EXIT_INTERRUPTED);
        }
    } else {
        /* a worker that cannot open the file still serves the queue: its items fail */
        ex.open_rc = ckr_zoo_open(o->zoo_path, MPI_COMM_SELF, &ex.zoo, &ex.open_err);
        work(comm, &ex);
        rc = 0;
    }
    unsigned long long counts[6] = { c.n, c.n_failed, c.n_resumed, c.n_computed, 0,
                                     (unsigned long long)g_stop_signal };
    for (size_t i = 0; i < c.n; i++) /* failures among resumed items count too */
        if (c.items[i].done == 2 && strcmp(c.items[i].res.status, "ok") != 0)
            counts[1]++;
    counts[4] = c.n - c.n_resumed - c.n_computed;
    MPI_Bcast(counts, 6, MPI_UNSIGNED_LONG_LONG, 0, comm);
    summary->n_items = counts[0];
    summary->n_failed = counts[1];
    summary->n_resumed = counts[2];
    summary->n_computed = counts[3];
    summary->n_not_run = counts[4];
    summary->n_ok = counts[0] - counts[1] - counts[4];
    summary->interrupted = counts[4] > 0 || (counts[5] != 0 && counts[3] + counts[2] < counts[0]);
    summary->seconds = ckr_now() - t0;
    rc = bcast_status(comm, rc, err);
    if (!rc && summary->interrupted)
        rc = ckr_err_set(err, CKR_EINTR, "interrupted by a signal: %zu of %zu items not run; "
                         "partial outputs written; rerun with --resume", summary->n_not_run,
                         summary->n_items);

cleanup:
    restore_handlers(&old);
    if (ex.zoo)
        ckr_zoo_close(ex.zoo);
    if (c.has_journal)
        ckr_journal_close(&c.journal, NULL);
    if (c.zoo)
        ckr_zoo_close(c.zoo);
    ckr_results_free(&res);
    free(c.items);
    free(c.order);
    free(specs);
    return rc;
}
