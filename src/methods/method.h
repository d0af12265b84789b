/* method.h -- the one interface every score implements.
 *
 * A method gets the data of one (checkpoint, task) pair, its parsed
 * parameters and a seeded RNG, and fills a ckr_result: a score (higher =
 * predicted more transferable), a status ("ok" or an error word such as
 * "needs-logits") with a message, and an info string for the report.  FLOPs
 * are counted by the code doing the work through util/flops.h; the worker
 * resets/reads the counter around the call, so a method never sets gflops.
 *
 * Adding a method: write src/methods/<name>.c defining a `const ckr_method
 * ckr_method_<name>` and add one line to the table in registry.c. */
#ifndef CKR_METHOD_H
#define CKR_METHOD_H

#include <stddef.h>
#include <stdint.h>

#include "core/pair.h"
#include "util/err.h"
#include "util/rng.h"

typedef enum { CKR_PARAM_DOUBLE, CKR_PARAM_INT, CKR_PARAM_CHOICE } ckr_param_type;

/* A method's parameter table entry. For CHOICE, `choices` is "a|b|c". */
typedef struct ckr_param_def {
    const char *key;
    ckr_param_type type;
    const char *def;      /* default value as text */
    const char *choices;  /* CHOICE only */
    const char *help;
} ckr_param_def;

#define CKR_MAX_PARAMS 16
/* Parameters resolved against a method's table: one value per table entry
 * (the user's or the default), already type-checked. */
typedef struct ckr_params {
    int n;
    const ckr_param_def *defs;
    char val[CKR_MAX_PARAMS][64];
    int given[CKR_MAX_PARAMS];  /* 1 if the user set it */
} ckr_params;

double ckr_param_double(const ckr_params *p, const char *key);
long ckr_param_int(const ckr_params *p, const char *key);
const char *ckr_param_str(const ckr_params *p, const char *key);
int ckr_param_given(const ckr_params *p, const char *key);

typedef struct ckr_result {
    double score;        /* NaN when status is not ok */
    char status[32];     /* "ok" or an error word */
    char message[256];   /* empty when ok, else what went wrong */
    char info[256];      /* method details for the report, e.g. "K=50 d=12 iters=9" */
    double heldout;      /* trained methods: accuracy on the pair's test split of
                            the trained model (NaN if none); never a score input */
    double seconds;      /* set by the worker */
    double gflops;       /* set by the worker from the FLOP counter */
} ckr_result;

/* Mark res failed with a status word and a message; returns code. */
int ckr_result_fail(ckr_result *res, int code, const char *word, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Mark res ok with the score; a non-finite score becomes "numerical-error". */
int ckr_result_ok(ckr_result *res, double score);

typedef struct ckr_method {
    const char *name;
    const char *summary;
    const ckr_param_def *params;  /* terminated by an entry with key == NULL */
    /* Estimated FLOPs, used only to order work (largest first). */
    double (*cost)(const ckr_pair_shape *shape, const ckr_params *p);
    /* Compute the score; return 0, or an error code after ckr_result_fail. */
    int (*score)(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res);
} ckr_method;

/* registry.c */
const ckr_method *ckr_method_find(const char *name);
size_t ckr_method_count(void);
const ckr_method *ckr_method_at(size_t i);

/* spec.c: a method spec is `name` or `name:key=value,key=value`.  A value may
 * be a sweep `a|b|c`; ckr_spec_expand turns a spec into one spec per grid
 * point (the spec itself when there is no sweep), in the user's key order. */
typedef struct ckr_spec {
    char text[256];            /* the spec exactly as written (or the grid point) */
    char sweep[256];           /* the user's sweep spec, "" when not a sweep point */
    const ckr_method *method;
    ckr_params params;
} ckr_spec;

/* Parse one spec (no sweeps allowed) into out. */
int ckr_spec_parse(const char *text, ckr_spec *out, ckr_err *err);
/* Parse a comma-separated list "nleep,leep:foo=1" of specs, each possibly a
 * sweep, into a newly allocated array (free with free()). Commas inside a
 * spec's parameter list are told apart from list commas by the `key=` form. */
int ckr_spec_parse_list(const char *list, ckr_spec **out, size_t *n, ckr_err *err);

#endif
