/* method.h -- the one interface every score implements.
 *
 * A method gets the data of one (checkpoint, task) pair, its parsed
 * parameters and a seeded RNG, and fills a ckr_result: a score (higher =
 * predicted more transferable), a status ("ok" or an error word such as
 * "needs-logits") with a message, and an info string for the report.  FLOPs
 * are counted by the code doing the work through util/flops.h; the worker
 * resets/reads the counter around the call, so a method never sets gflops.
 *
 * Parameters are data: each method declares a config struct (in
 * src/methods/<name>.h when it has parameters), a table binding each key to
 * a field of it (CKR_*_PARAM below) and a check hook for ranges.  Parsing a
 * spec fills and checks the struct once; score and cost read its fields.
 *
 * Adding a method: write src/methods/<name>.c (and <name>.h with its config
 * struct) defining a `const ckr_method ckr_method_<name>` and add one line to
 * the table in registry.c. */
#ifndef CKR_METHOD_H
#define CKR_METHOD_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pair.h"
#include "util/err.h"
#include "util/rng.h"
#include "util/speclist.h"

typedef enum { CKR_PARAM_DOUBLE, CKR_PARAM_INT, CKR_PARAM_CHOICE } ckr_param_type;

/* A method's parameter table entry.  The value of `key` is stored in the
 * field at `offset` of the method's own config struct: a double (DOUBLE), a
 * long (INT) or an int holding the index of the value in `choices` "a|b|c"
 * (CHOICE; "b" is 1).  Write entries with the CKR_*_PARAM macros below,
 * which make the key the field's name and refuse, at compile time, a field
 * of the wrong type. */
typedef struct ckr_param_def {
    const char *key;
    ckr_param_type type;
    const char *def;      /* default value as text */
    const char *choices;  /* CHOICE only */
    const char *help;
    size_t offset;        /* of the field in the method's config struct */
} ckr_param_def;

/* offsetof(T, field), or a compile error when the field is not a ctype. */
#define CKR_PARAM_FIELD(T, field, ctype) _Generic(((T *)0)->field, ctype: offsetof(T, field))
#define CKR_DOUBLE_PARAM(T, field, def_, help_)                                         \
    { .key = #field, .type = CKR_PARAM_DOUBLE, .def = def_, .help = help_,              \
      .offset = CKR_PARAM_FIELD(T, field, double) }
#define CKR_INT_PARAM(T, field, def_, help_)                                            \
    { .key = #field, .type = CKR_PARAM_INT, .def = def_, .help = help_,                 \
      .offset = CKR_PARAM_FIELD(T, field, long) }
#define CKR_CHOICE_PARAM(T, field, def_, choices_, help_)                               \
    { .key = #field, .type = CKR_PARAM_CHOICE, .def = def_, .choices = choices_,        \
      .help = help_, .offset = CKR_PARAM_FIELD(T, field, int) }
#define CKR_PARAMS_END { .key = NULL }

/* The stored index of the value of a "1|0" CHOICE parameter (standardize). */
enum { CKR_SWITCH_ON = 0, CKR_SWITCH_OFF = 1 };

#define CKR_MAX_PARAMS 16
/* Bytes available for a method's config struct. */
#define CKR_CONFIG_MAX 256
/* In a method's source: refuse to compile when its config struct T is too
 * large for ckr_params. */
#define CKR_CONFIG_FITS(T)                                                              \
    _Static_assert(sizeof(T) <= CKR_CONFIG_MAX, #T " is larger than CKR_CONFIG_MAX")

/* The parameters of one method spec: the method's config struct, filled by
 * the spec parser (the table's defaults, then the user's values, each
 * type-checked) and validated by the method's check hook.  A method reads
 * it through ckr_params_config; plain data, safe to copy. */
typedef struct ckr_params {
    int n;                        /* entries in defs */
    const ckr_param_def *defs;    /* the method's table */
    int given[CKR_MAX_PARAMS];    /* given[i]: the user set defs[i] */
    union {
        max_align_t align;
        unsigned char bytes[CKR_CONFIG_MAX];
    } config;
} ckr_params;

/* The method's config struct (cast to the method's own type). */
static inline const void *ckr_params_config(const ckr_params *p)
{
    return p->config.bytes;
}

/* Whether the user set the parameter stored at `offset` (offsetof of a field
 * of the method's config struct); 0 for a field the table does not bind. */
int ckr_param_given(const ckr_params *p, size_t offset);

/* What a check hook reports about a parameter value it refuses. */
typedef struct ckr_param_fault {
    size_t offset;       /* offsetof the offending field in the config struct */
    const char *range;   /* the allowed range, e.g. "must be > 0" */
} ckr_param_fault;

/* Fill *fault (offset, range) and return CKR_EARG; for check hooks:
 *   if (!(c->lr > 0.0))
 *       return ckr_param_refuse(fault, offsetof(my_cfg, lr), "must be > 0"); */
int ckr_param_refuse(ckr_param_fault *fault, size_t offset, const char *range);

/* Raw terms a result can carry (ckr_result.terms). */
#define CKR_MAX_TERMS 4

typedef struct ckr_result {
    double score;        /* NaN when status is not ok */
    char status[32];     /* "ok" or an error word */
    char message[256];   /* empty when ok, else what went wrong */
    char info[256];      /* method details for the report, e.g. "K=50 d=12 iters=9" */
    double heldout;      /* trained methods: accuracy on the pair's test split of
                            the trained model (NaN if none); never a score input */
    double seconds;      /* set by the worker */
    double gflops;       /* set by the worker from the FLOP counter */
    uint64_t pair_sum;   /* set by the executor: the pair's content checksum
                            (zoo/checksum.h; 0 = none), journalled for --resume */
    /* A score normalised across checkpoints (ncti, etran: the method's
     * n_terms > 0): the raw per-pair terms, finite, in the order the method
     * documents. The final score is min-max normalised per term across the
     * ok rows of a task and method, then weighted (report/crossnorm.h); until
     * that pass runs, `score` holds the raw weighted sum. n_terms = 0 for
     * every other method. */
    double terms[CKR_MAX_TERMS];
    int n_terms;
} ckr_result;

/* result.c.  Mark res failed with a status word and a message; returns code. */
int ckr_result_fail(ckr_result *res, int code, const char *word, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Mark res ok with the score; a non-finite score becomes "numerical-error". */
int ckr_result_ok(ckr_result *res, double score);
/* After a method's score call returned rc: an abandoned item becomes
 * "not-run" (with the reason from sched's stop state, util/stop.h), a method
 * that returned 0 without setting ok gets ok (or numerical-error), and one
 * that failed without a status gets a generic failure. Every executor (one
 * rank, a team, the in-memory API) ends an item with this. */
void ckr_result_settle(ckr_result *res, int rc, int abandoned, const char *why);
/* Mark res ok with the raw terms t[0..n) (n <= CKR_MAX_TERMS) of a score
 * normalised across checkpoints, and score = sum_k w[k] t[k] (the raw
 * weighted sum, replaced by report/crossnorm.h); a non-finite term becomes
 * "numerical-error" (naming it) with n_terms 0. */
int ckr_result_terms(ckr_result *res, const double *t, const double *w, int n);

/* A team: the ranks of comm score one pair together, each holding a
 * contiguous run of its training rows (zoo/teamread.h deals them out).
 * size/rank are those of comm; this rank holds rows [row0, row0 + n) of the
 * n_total training rows (n = local->train_features.rows, possibly 0). */
typedef struct ckr_team {
    MPI_Comm comm;
    int size, rank;
    size_t row0, n_total;
} ckr_team;

/* A source of the training features of one pair, read a block of rows at a
 * time (zoo/rowread.h reads them from the file; a test can serve a matrix):
 * n rows of d columns; read(ctx, row0, nrows, out, err) fills out with rows
 * [row0, row0 + nrows) as doubles (nrows <= block), returning 0 or a CKR_E*
 * code with err set. A streamed score reads the rows in order, as many
 * passes as it needs, and holds at most `block` rows at a time. */
typedef struct ckr_rowsrc {
    size_t n, d, block;
    int (*read)(void *ctx, size_t row0, size_t nrows, double *out, ckr_err *err);
    void *ctx;
    /* Bytes the method may allocate in all (0: no limit): a method whose
     * need is known only part-way (NLEEP after its PCA) checks it then and
     * fails with status "over-memory" when over it. */
    double budget;
} ckr_rowsrc;

typedef struct ckr_method {
    const char *name;
    const char *summary;
    const ckr_param_def *params;  /* terminated by CKR_PARAMS_END (key == NULL) */
    /* Validate the parsed config struct (ranges, combinations of values):
     * return 0, or CKR_EARG through ckr_param_refuse.  NULL when every value
     * of the right type is valid.  Runs at parse time, so score and cost see
     * only configs it accepted. */
    int (*check)(const void *config, ckr_param_fault *fault);
    /* Estimated FLOPs, used only to order work (largest first). */
    double (*cost)(const ckr_pair_shape *shape, const ckr_params *p);
    /* Compute the score; return 0, or an error code after ckr_result_fail. */
    int (*score)(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res);
    /* The same score computed by a team (NULL: the method cannot run on a
     * team; run `score` on one rank). Collective over team->comm: every rank
     * of the team calls it at the same time with the same p and an rng seeded
     * the same way. `local` is the pair as this rank holds it:
     *   - train_features: rows [row0, row0 + n) of the pair, cols = D on
     *     every rank (data may be NULL when n == 0; a pair without features
     *     has data NULL on every rank);
     *   - train labels (y or Y) and train_logits: the same rows;
     *   - everything else (val and test splits, num_classes, kind, top
     *     weights, split_seed, names): whole, the same on every rank.
     * Every rank returns the same code and fills res with the same score,
     * status, message and info (a failure seen by one rank, e.g. NaN in its
     * rows, becomes the team's failure; no rank is left waiting). The score
     * equals `score` on the whole pair to 1e-10 relative, at any team size;
     * a team of one gives the bits of `score`. FLOPs are counted per rank.
     * Memory per rank beyond its rows (closed-form scores): about 3 D^2 + 2
     * C D doubles (Gram, eigenvectors, class sums; GBC's PCA 3 D^2 + 1024 D);
     * a pair with N <= D is gathered whole (N D <= D^2) and scored by
     * `score` on every rank. */
    int (*score_team)(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                      ckr_rng *rng, ckr_result *res);
    /* 1 when the score is an accuracy of a model trained on the pair (and
     * res->heldout that model's test accuracy): only such methods may build
     * ground truth (`ckptrank groundtruth`). 0 for every other score. */
    int gives_accuracy;
    /* ---- bounded memory (--max-memory; methods/memory.h has the formulas) ----
     * Bytes the method allocates for one pair beyond the pair's own data
     * (features, logits and labels as read, which the executor counts):
     * block == 0 for `score` on the whole pair, block > 0 for `score_stream`
     * reading the training features `block` rows at a time (the block buffer
     * included). A negative value: the method has no such form. NULL: no
     * estimate (the executor counts the pair only). */
    double (*memory)(const ckr_pair_shape *shape, const ckr_params *p, size_t block);
    /* The score with the training features streamed (NULL: none). `meta` is
     * the pair without any features in memory (train_features, val_features
     * and test_features have rows and cols but data NULL; labels, logits and
     * the rest as `score` gets them; the file's features were checked to be
     * finite when it was read); `rows` yields the training features in
     * blocks of rows->block rows. Equals `score` on the whole pair to 1e-10
     * relative whatever the block size. */
    int (*score_stream)(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                        ckr_rng *rng, ckr_result *res);
    /* ---- scores normalised across the checkpoints of a task ----
     * n_terms > 0: score fills res->terms (ckr_result_terms), and the final
     * score of a row is sum_k term_weights[k] * (t_k - min_k) / (max_k -
     * min_k) over the task's ok rows of the same spec (report/crossnorm.h;
     * a term with max_k == min_k contributes 0). 0 for every other score. */
    int n_terms;
    const double *term_weights;
} ckr_method;

/* registry.c: every method, in the order `ckptrank methods` lists them */
const ckr_method *ckr_method_find(const char *name);
size_t ckr_method_count(void);
const ckr_method *ckr_method_at(size_t i);

/* spec.c: a method spec is `name` or `name:key=value,key=value`.  A value may
 * be a sweep `a|b|c`, which a list expands into one spec per grid point in
 * the user's key order (util/speclist.h has the syntax).
 *
 * Parsing resolves the name in the registry, fills the config struct
 * (defaults, then the user's values) and runs the method's check hook.  It
 * refuses (CKR_EARG, one message) an unknown method or key, a key given
 * twice, a value of the wrong type, and a value the check hook refuses:
 *   method 'finetune:lr=-1': lr=-1 is out of range (must be > 0) */
typedef struct ckr_spec {
    char text[CKR_SPEC_TEXT_MAX];   /* the spec exactly as written (or the grid point) */
    char sweep[CKR_SPEC_TEXT_MAX];  /* the user's sweep spec, "" when not a sweep point */
    const ckr_method *method;
    ckr_params params;
} ckr_spec;

/* Parse one spec (no sweeps allowed) into out. */
int ckr_spec_parse(const char *text, ckr_spec *out, ckr_err *err);
/* Parse a comma-separated list "nleep,leep:foo=1" of specs, each possibly a
 * sweep, into a newly allocated array of grid points (free with free()).
 * Commas inside a spec's parameter list are told apart from list commas by
 * the `key=` form.  Also refuses an empty list and a grid point listed twice. */
int ckr_spec_parse_list(const char *list, ckr_spec **out, size_t *n, ckr_err *err);

#endif
