/* items.c -- list a run's items (shard), order them by estimated cost. */
#include "sched/items.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ckr_items_list(ckr_item_list *l, ckr_zoo *zoo, const ckr_spec *specs, size_t n_specs,
                   int shard_index, int shard_count, ckr_err *err)
{
    memset(l, 0, sizeof *l);
    l->zoo = zoo;
    l->specs = specs;
    size_t n_pairs = ckr_zoo_num_pairs(zoo), all = n_pairs * n_specs;
    if (all == 0)
        return ckr_err_set(err, CKR_EDATA, "%s: no (checkpoint, task) pair to score",
                           ckr_zoo_path(zoo));
    l->items = calloc(all, sizeof *l->items);
    l->order = calloc(all, sizeof *l->order);
    if (!l->items || !l->order)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu items", all);
    size_t count = shard_count > 0 ? (size_t)shard_count : 1;
    size_t index = shard_count > 0 ? (size_t)shard_index : 0;
    for (size_t i = 0; i < all; i++) {
        if (i % count != index)
            continue;
        ckr_item *it = &l->items[l->n++];
        it->pair = i / n_specs;
        it->spec = i % n_specs;
        const ckr_spec *spec = &specs[it->spec];
        const ckr_pair_shape shape = ckr_zoo_pair(zoo, it->pair)->shape;
        it->cost = spec->method->cost(&shape, &spec->params);
        it->res.score = it->res.heldout = NAN;
    }
    if (l->n == 0)
        return ckr_err_set(err, CKR_EARG, "shard %d/%d has no items (%zu in all)", shard_index,
                           shard_count, all);
    return 0;
}

static int cmp_item_cost(const void *a, const void *b)
{
    const ckr_item *x = *(ckr_item *const *)a, *y = *(ckr_item *const *)b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    if (x->pair != y->pair)
        return x->pair < y->pair ? -1 : 1;
    return x->spec < y->spec ? -1 : (x->spec > y->spec);
}

void ckr_items_order(ckr_item_list *l)
{
    l->n_todo = 0;
    for (size_t i = 0; i < l->n; i++)
        if (!l->items[i].done)
            l->order[l->n_todo++] = &l->items[i];
    qsort(l->order, l->n_todo, sizeof *l->order, cmp_item_cost);
}

void ckr_item_names(const ckr_item_list *l, const ckr_item *it, const char **ckpt,
                    const char **task)
{
    const ckr_pair_info *pi = ckr_zoo_pair(l->zoo, it->pair);
    *ckpt = ckr_zoo_ckpt(l->zoo, pi->ckpt)->name;
    *task = ckr_zoo_task(l->zoo, pi->task)->name;
}

size_t ckr_item_index(const ckr_item_list *l, const ckr_item *it)
{
    return (size_t)(it - l->items);
}

void ckr_items_free(ckr_item_list *l)
{
    free(l->items);
    free(l->order);
    memset(l, 0, sizeof *l);
}
