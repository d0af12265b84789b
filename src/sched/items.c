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
    return x->spec < y->spec ? -1 : (x->spec > y->spec);
}

/* Groups by total cost, largest first; ties in the zoo's pair order (the
 * groups are still in canonical order here, so `first` orders them). */
static int cmp_group_cost(const void *a, const void *b)
{
    const ckr_item_group *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    return x->first < y->first ? -1 : (x->first > y->first);
}

int ckr_items_order(ckr_item_list *l, ckr_err *err)
{
    free(l->groups);
    l->groups = NULL;
    l->n_todo = l->n_groups = 0;
    /* the items are in canonical order, pair-major: each pair's items to do
     * are one run of the todo list */
    ckr_item **todo = calloc(l->n + 1, sizeof *todo);
    l->groups = calloc(l->n + 1, sizeof *l->groups);
    if (!todo || !l->groups) {
        free(todo);
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for ordering %zu items", l->n);
    }
    for (size_t i = 0; i < l->n; i++) {
        ckr_item *it = &l->items[i];
        if (it->done)
            continue;
        if (l->n_todo == 0 || todo[l->n_todo - 1]->pair != it->pair)
            l->groups[l->n_groups++] = (ckr_item_group){ l->n_todo, 0, 0.0, 0 };
        ckr_item_group *g = &l->groups[l->n_groups - 1];
        g->count++;
        g->cost += it->cost;
        todo[l->n_todo++] = it;
    }
    qsort(l->groups, l->n_groups, sizeof *l->groups, cmp_group_cost);
    size_t k = 0;
    for (size_t g = 0; g < l->n_groups; g++) {
        ckr_item_group *gr = &l->groups[g];
        memcpy(&l->order[k], &todo[gr->first], gr->count * sizeof *todo);
        gr->first = k;
        qsort(&l->order[k], gr->count, sizeof *l->order, cmp_item_cost);
        k += gr->count;
    }
    free(todo);
    return 0;
}

int ckr_items_split_teams(ckr_item_list *l, double above, ckr_err *err)
{
    ckr_item_group *g2 = calloc(2 * l->n_groups + 1, sizeof *g2);
    ckr_item **tmp = calloc(l->n_todo + 1, sizeof *tmp);
    if (!g2 || !tmp) {
        free(g2);
        free(tmp);
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for the team groups of %zu items",
                           l->n_todo);
    }
    size_t ng = 0;
    for (size_t g = 0; g < l->n_groups; g++) {
        ckr_item_group gr = l->groups[g];
        const ckr_pair_shape *s = &ckr_zoo_pair(l->zoo, l->order[gr.first]->pair)->shape;
        double bytes = (double)s->n * (double)s->d * 8.0;
        if (bytes < above || s->n == 0 || s->d == 0) {
            g2[ng++] = gr;
            continue;
        }
        ckr_item_group tg = { gr.first, 0, 0.0, 1 }, sg = { 0, 0, 0.0, 0 };
        size_t k = 0;
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = gr.first; i < gr.first + gr.count; i++) {
                ckr_item *it = l->order[i];
                int capable = l->specs[it->spec].method->score_team != NULL;
                if (capable != (pass == 0))
                    continue;
                tmp[k++] = it;
                ckr_item_group *dst = capable ? &tg : &sg;
                dst->count++;
                dst->cost += it->cost;
            }
        memcpy(&l->order[gr.first], tmp, gr.count * sizeof *tmp);
        sg.first = gr.first + tg.count;
        if (tg.count)
            g2[ng++] = tg;
        if (sg.count)
            g2[ng++] = sg;
    }
    free(tmp);
    free(l->groups);
    l->groups = g2;
    l->n_groups = ng;
    return 0;
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
    free(l->groups);
    memset(l, 0, sizeof *l);
}
