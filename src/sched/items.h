/* items.h -- the (checkpoint, task, method) items of a run, on rank 0.
 *
 * The items of a run are every (pair, spec) of the zoo's pairs and the
 * method specs, in canonical order: pair-major (the zoo's pair order), then
 * spec. A shard I/N keeps the items whose canonical index i has i % N == I.
 * Each item carries the method's cost estimate for its pair's shape. The
 * items still to compute are grouped by pair (every method and sweep grid
 * point of a pair in one group, so that one worker reads the pair once and
 * runs them all); the groups are ordered largest total cost first (ties: the
 * zoo's pair order), the items within a group largest cost first (ties: spec
 * order). The queue hands out whole groups in that order. */
#ifndef CKR_SCHED_ITEMS_H
#define CKR_SCHED_ITEMS_H

#include <stddef.h>

#include "methods/method.h"
#include "util/err.h"
#include "zoo/zoo.h"

/* What an item's `done` says. */
enum { CKR_ITEM_TODO = 0, CKR_ITEM_COMPUTED = 1, CKR_ITEM_RESUMED = 2 };

typedef struct ckr_item {
    size_t pair, spec;      /* index into the zoo's pairs and into the specs */
    double cost;            /* the method's estimate for the pair */
    int done;               /* CKR_ITEM_TODO, _COMPUTED (by this run), _RESUMED (journal) */
    ckr_result res;         /* valid when done */
} ckr_item;

/* The items of one pair still to do: order[first .. first + count). */
typedef struct ckr_item_group {
    size_t first, count;
    double cost;            /* sum of the items' costs */
    int team;               /* 1: items for a team (ckr_items_split_teams) */
} ckr_item_group;

typedef struct ckr_item_list {
    ckr_zoo *zoo;           /* borrowed, scanned */
    const ckr_spec *specs;  /* borrowed */
    ckr_item *items;        /* the shard's items in canonical order */
    ckr_item **order;       /* after ckr_items_order: the items still to do, grouped by pair */
    ckr_item_group *groups; /* after ckr_items_order: the pairs with items to do, by cost */
    size_t n, n_todo, n_groups;
} ckr_item_list;

/* List the items of shard shard_index/shard_count (shard_count 0: every
 * item) of the scanned zoo and n_specs specs into l (zeroed first), each
 * with its cost and a NaN score. Returns 0; CKR_EDATA when the zoo has no
 * pair, CKR_EARG when the shard has no item, CKR_ENOMEM; err says why.
 * Free with ckr_items_free also on failure. */
int ckr_items_list(ckr_item_list *l, ckr_zoo *zoo, const ckr_spec *specs, size_t n_specs,
                   int shard_index, int shard_count, ckr_err *err);

/* Fill l->order with the items not done and l->groups with their pairs, in
 * the order above, and set l->n_todo and l->n_groups. Returns 0 or
 * CKR_ENOMEM (err set). */
int ckr_items_order(ckr_item_list *l, ckr_err *err);

/* Teams (sched/teams.h): after ckr_items_order, split each group whose pair
 * is big -- its training features take at least `above` bytes (N x D x 8) --
 * into its items whose method can run on a team (score_team), a group
 * marked team, and right after it the other items, an ordinary group (when
 * there are any). The order within each part is kept. Returns 0 or
 * CKR_ENOMEM (err set). */
int ckr_items_split_teams(ckr_item_list *l, double above, ckr_err *err);

/* The checkpoint and task names of an item (owned by the zoo). */
void ckr_item_names(const ckr_item_list *l, const ckr_item *it, const char **ckpt,
                    const char **task);

/* The item's canonical index within the list. */
size_t ckr_item_index(const ckr_item_list *l, const ckr_item *it);

/* Free the lists (not the zoo or the specs) and zero l. */
void ckr_items_free(ckr_item_list *l);

#endif
