/* coord.c -- rank 0's bookkeeping: journal identity, resume, recording. */
#include "sched/coord.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/flops.h"
#include "util/rng.h"
#include "zoo/checksum.h"

/* ---- resume: the journalled items ----------------------------------------------------- */

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
    ckr_coord *c;
    item_key *keys;
    size_t unknown;
} resume_ctx;

static void take_journal_record(void *p, const ckr_journal_rec *rec)
{
    resume_ctx *rc = p;
    item_key k = { rec->ckpt, rec->task, rec->method, 0 };
    item_key *hit = bsearch(&k, rc->keys, rc->c->list.n, sizeof k, cmp_key);
    if (!hit) {
        rc->unknown++;
        return;
    }
    ckr_item *it = &rc->c->list.items[hit->index];
    if (!it->done)
        rc->c->n_resumed++;
    it->res = rec->res;
    it->done = CKR_ITEM_RESUMED;
}

void ckr_coord_journal_id(const ckr_coord *c, const ckptrank_run_opts *o, ckr_journal_id *id)
{
    const ckr_zoo *zoo = c->list.zoo;
    uint64_t h = CKR_FNV_OFFSET;
    char buf[128];
    for (size_t i = 0; i < ckr_zoo_num_pairs(zoo); i++) {
        const ckr_pair_info *p = ckr_zoo_pair(zoo, i);
        h = ckr_hash_str(h, ckr_zoo_ckpt(zoo, p->ckpt)->name);
        h = ckr_hash_str(h, ckr_zoo_task(zoo, p->task)->name);
        snprintf(buf, sizeof buf, "%zu %zu %zu %zu %d", p->shape.n, p->shape.d, p->shape.z,
                 p->shape.n_val, p->shape.num_classes);
        h = ckr_hash_str(h, buf);
    }
    memset(id, 0, sizeof *id);
    snprintf(id->zoo, sizeof id->zoo, "%zu pairs, listing %016llx", ckr_zoo_num_pairs(zoo),
             (unsigned long long)h);
    snprintf(id->methods, sizeof id->methods, "%s", o->methods);
    snprintf(id->seed, sizeof id->seed, "%llu", (unsigned long long)o->seed);
    if (o->shard_count > 0)
        snprintf(id->shard, sizeof id->shard, "%d/%d", o->shard_index, o->shard_count);
    else
        snprintf(id->shard, sizeof id->shard, "all");
}

/* ---- resume: the pairs whose content changed ---------------------------------------- */

/* Items [first, end) of one pair: those resumed from a record whose pair
 * checksum is not the pair's current one go back to the work list. Returns
 * how many. */
static size_t reopen_changed(ckr_coord *c, size_t first, size_t end, uint64_t sum)
{
    size_t n = 0;
    for (size_t i = first; i < end; i++) {
        ckr_item *it = &c->list.items[i];
        if (it->done != CKR_ITEM_RESUMED || it->res.pair_sum == sum)
            continue;
        it->done = CKR_ITEM_TODO;
        memset(&it->res, 0, sizeof it->res);
        it->res.score = it->res.heldout = NAN;
        c->n_resumed--;
        n++;
    }
    return n;
}

/* Recompute, on rank 0, the content checksum of every pair with resumed
 * items (bounded row blocks: zoo/checksum.h) and send the items of a pair
 * that changed since they were journalled back to the work list, saying so
 * once per pair. A pair whose checksum cannot be computed counts as changed
 * (its items are computed again and fail or succeed on their own). Items
 * are pair-major (sched/items.h), so a pair's items are contiguous. */
static void verify_resumed_pairs(ckr_coord *c)
{
    ckr_item_list *l = &c->list;
    for (size_t first = 0, end; first < l->n; first = end) {
        int resumed = 0;
        for (end = first; end < l->n && l->items[end].pair == l->items[first].pair; end++)
            resumed |= l->items[end].done == CKR_ITEM_RESUMED;
        if (!resumed)
            continue;
        const char *ckpt, *task;
        ckr_item_names(l, &l->items[first], &ckpt, &task);
        uint64_t sum = 0;
        ckr_err e = { 0, "" };
        int rc = ckr_zoo_pair_checksum(ckr_zoo_path(l->zoo), ckpt, task, CKR_CHECKSUM_BLOCK_BYTES,
                                       &sum, &e);
        size_t n = reopen_changed(c, first, end, rc ? 0 : sum);
        if (n && rc)
            fprintf(stderr, "ckptrank: pair %s/%s cannot be checked against the journal (%s): "
                    "its %zu item%s computed again\n", ckpt, task, e.msg, n, n == 1 ? " is" : "s are");
        else if (n)
            fprintf(stderr, "ckptrank: pair %s/%s changed since the journal: its %zu item%s "
                    "computed again\n", ckpt, task, n, n == 1 ? " is" : "s are");
    }
}

const char *ckr_coord_journal_path(const ckptrank_run_opts *o, char *buf, size_t len)
{
    if (o->journal_path)
        return o->journal_path[0] ? o->journal_path : NULL;
    const char *base = o->out_h5 ? o->out_h5 : o->csv_path;
    if (!base)
        return NULL;
    snprintf(buf, len, "%s.journal", base);
    return buf;
}

int ckr_coord_open_journal(ckr_coord *c, const ckptrank_run_opts *o, ckr_err *err)
{
    char buf[4200];
    const char *path = ckr_coord_journal_path(o, buf, sizeof buf);
    if (!path) {
        if (o->resume)
            return ckr_err_set(err, CKR_EARG, "--resume needs a journal: give -o, --csv or --journal");
        return 0;
    }
    ckr_journal_id id;
    ckr_coord_journal_id(c, o, &id);
    const ckr_item_list *l = &c->list;
    item_key *keys = calloc(l->n, sizeof *keys);
    if (!keys)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for the journal index");
    for (size_t i = 0; i < l->n; i++) {
        ckr_item_names(l, &l->items[i], &keys[i].ckpt, &keys[i].task);
        keys[i].method = l->specs[l->items[i].spec].text;
        keys[i].index = i;
    }
    qsort(keys, l->n, sizeof *keys, cmp_key);
    resume_ctx rctx = { c, keys, 0 };
    size_t n_rec = 0, dropped = 0;
    int rc = ckr_journal_open(&c->journal, path, &id, o->resume, take_journal_record, &rctx, &n_rec,
                              &dropped, err);
    free(keys);
    if (rc)
        return rc;
    c->has_journal = 1;
    double t0 = ckr_now();
    if (c->n_resumed)
        verify_resumed_pairs(c);
    if (o->resume && o->progress)
        fprintf(stderr, "ckptrank: resuming from %s: %zu of %zu items done%s (pair contents "
                "checked in %.3f s)\n", path, c->n_resumed, l->n,
                dropped ? "; a torn last record was dropped" : "", ckr_now() - t0);
    return 0;
}

/* ---- recording finished items ----------------------------------------------------------- */

void ckr_coord_record(ckr_coord *c, ckr_item *it)
{
    if (strcmp(it->res.status, "not-run") == 0)
        return; /* abandoned after a stop signal: not done, not journalled (--resume runs it) */
    it->done = CKR_ITEM_COMPUTED;
    c->n_computed++;
    if (strcmp(it->res.status, "ok") != 0)
        c->n_failed++;
    if (c->has_journal && !c->journal_error) {
        ckr_journal_rec rec;
        memset(&rec, 0, sizeof rec);
        const char *ckpt, *task;
        ckr_item_names(&c->list, it, &ckpt, &task);
        snprintf(rec.ckpt, sizeof rec.ckpt, "%s", ckpt);
        snprintf(rec.task, sizeof rec.task, "%s", task);
        snprintf(rec.method, sizeof rec.method, "%s", c->list.specs[it->spec].text);
        rec.res = it->res;
        if (ckr_journal_append(&c->journal, &rec, &c->jerr) != 0) {
            c->journal_error = 1;
            fprintf(stderr, "ckptrank: %s (continuing without the journal)\n", c->jerr.msg);
        }
    }
    if (getenv("CKPTRANK_TRACE"))
        fprintf(stderr, "ckptrank-trace: done %zu\n", ckr_item_index(&c->list, it));
    ckr_progress_update(&c->pg, c->n_computed, c->n_failed, c->n_computed == c->list.n_todo);
}

int ckr_coord_close_journal(ckr_coord *c, int outputs_ok, ckr_err *err)
{
    if (!c->has_journal)
        return 0;
    c->has_journal = 0;
    /* complete and written: the outputs hold everything, the journal is spent
     * (removed only while this run still holds it) */
    if (outputs_ok && c->n_resumed + c->n_computed == c->list.n) {
        ckr_journal_remove(&c->journal);
        return 0;
    }
    ckr_err jerr = { 0, "" };
    if (ckr_journal_close(&c->journal, &jerr) != 0)
        return ckr_err_set(err, jerr.code, "%s", jerr.msg);
    return 0;
}
