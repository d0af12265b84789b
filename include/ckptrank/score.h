/* score.h -- score one in-memory (checkpoint, task) pair with one method.
 *
 * The C API behind the Python binding (python/ckptrank): no zoo file, no
 * mpirun. The caller hands over row-major arrays (features and logits as
 * float32 or float64, labels as int32/int64 class indices or, multilabel,
 * an N x C 0/1 matrix as uint8/int32/int64) and a method spec as
 * `ckptrank run --methods` takes it ("nleep", "logme:form=thuml", ...; one
 * spec, no sweep). The arrays are copied to double and checked exactly as
 * `ckptrank import` checks them (shapes, finite values, labels, at least two
 * training classes), and the method runs on the path `ckptrank run` uses
 * for one item: the item's random stream is seeded from (seed, checkpoint,
 * task, spec), the pair's hold-out split from (seed, checkpoint, task), the
 * FLOP counter and the wall clock are read around the call. So the score
 * of a pair equals, bit for bit, the score `ckptrank run --seed SEED`
 * writes for the same arrays stored in a zoo under the same checkpoint and
 * task names (float32 features stay float32 in the zoo; the zoo's
 * num_classes attribute is passed as num_classes).
 *
 * MPI: the methods run on one process and make no MPI calls, but the
 * library is an MPI program. ckptrank_init() (called by ckptrank_score when
 * needed) initialises MPI with MPI_Init_thread(MPI_THREAD_SERIALIZED) when
 * the caller has not, and registers ckptrank_finalize() with atexit(); a
 * caller that initialised MPI itself keeps finalising it. Calls are not
 * thread-safe: one ckptrank_score at a time per process (the FLOP counter
 * and the stop flag are per process).
 *
 * Link with `pkg-config --cflags --libs ckptrank` (libckptrank.so.0). */
#ifndef CKPTRANK_SCORE_H
#define CKPTRANK_SCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of a ckptrank_array. */
enum {
    CKPTRANK_F64 = 0,  /* double */
    CKPTRANK_F32 = 1,  /* float */
    CKPTRANK_I32 = 2,  /* int32_t */
    CKPTRANK_I64 = 3,  /* int64_t */
    CKPTRANK_U8 = 4    /* uint8_t (0/1 multilabel matrices, small labels) */
};

/* A borrowed row-major (C order) array: rows x cols values of type dtype.
 * data NULL = absent. A vector (labels, top_bias) has cols 1. */
typedef struct ckptrank_array {
    const void *data;
    int dtype;          /* CKPTRANK_F64 ... */
    size_t rows, cols;
} ckptrank_array;

/* One pair. Required: train_features [N, D] (float) and train_labels [N]
 * (integer class indices; multilabel: [N, C] of 0/1). Optional: a val split
 * (val_features [M, D] with val_labels), source logits (train_logits [N, Z],
 * val_logits [M, Z] with val features and train logits), a test split
 * (test_features [T, D] with test_labels: the trained methods' `heldout`),
 * the checkpoint's top layer (top_weights [D, H] with top_bias [H]: the
 * finetune method starts its hidden layer from it). Fill with
 * ckptrank_pair_init, then set the arrays. */
typedef struct ckptrank_pair {
    ckptrank_array train_features, train_labels;
    ckptrank_array val_features, val_labels;
    ckptrank_array train_logits, val_logits;
    ckptrank_array test_features, test_labels;
    ckptrank_array top_weights, top_bias;
    int multilabel;          /* labels are 0/1 matrices [N, C] */
    int num_classes;         /* 0: the largest label + 1 (multilabel: the columns) */
    double num_params;       /* the checkpoint's parameter count (method `size`); 0 = none */
    const char *checkpoint;  /* names the seeds derive from; NULL: "ckpt" */
    const char *task;        /* NULL: "task" */
} ckptrank_pair;

typedef struct ckptrank_score_result {
    double score;          /* NaN unless status is "ok" */
    char status[32];       /* "ok", a method's word ("needs-logits", ...), or
                            * "bad-argument" / "bad-data" / "bad-format" for
                            * a refused spec or pair */
    char message[1024];    /* empty when ok, else why */
    char info[256];        /* the method's details, as in the results' info column */
    double heldout;        /* trained methods: test-split accuracy, else NaN */
    double seconds;        /* wall time of the method */
    double gflops;         /* GFLOPs the method counted */
    char terms[224];       /* a score normalised across checkpoints (ncti, etran):
                            * the method's weights and this pair's raw terms,
                            * "w1:t1 w2:t2 ...", as the results' terms column;
                            * "" for every other method. `score` is then the raw
                            * weighted sum until ckptrank_normalize runs */
} ckptrank_score_result;

/* Zero p and set its defaults (every array absent, names NULL). */
void ckptrank_pair_init(ckptrank_pair *p);

/* Score pair p with the method spec `method` and base seed `seed` into
 * *out (always filled). Returns 0 when the method ran (out->status is "ok"
 * or the method's failure word, as in a results file), or a negative code
 * when nothing ran: -5 (bad-argument: an unknown method or parameter, a
 * value out of range, a sweep, a NULL argument, a bad name or dtype),
 * -3 / -2 (bad-data / bad-format: the pair failed the import checks),
 * -6 (out-of-memory), -7 (MPI could not be initialised); out->status and
 * out->message say why. Never exits. */
int ckptrank_score(const ckptrank_pair *p, const char *method, uint64_t seed,
                   ckptrank_score_result *out);

/* The published score of ncti and etran needs every checkpoint of the task:
 * given r[0..n), the results of one method spec on the n checkpoints of one
 * task, replace the score of each "ok" result with terms by the min-max
 * normalised weighted sum over those n (as `ckptrank run` does per task:
 * score = sum_k w_k (t_k - min_k) / (max_k - min_k); a term equal on all
 * contributes 0). Results without terms are left alone; results whose
 * weights or number of terms differ all become "bad-data". Returns 0, -5
 * (r NULL with n > 0) or -6 (out of memory). */
int ckptrank_normalize(ckptrank_score_result *r, size_t n);

/* Initialise MPI if nobody has (see above). Returns 0, or -7 when MPI
 * cannot be initialised or was already finalised. Idempotent. */
int ckptrank_init(void);
/* Finalise MPI if ckptrank_init initialised it (else nothing). Idempotent;
 * registered with atexit() by ckptrank_init. */
void ckptrank_finalize(void);

/* The methods, in the order `ckptrank methods` lists them: count, and for
 * i < count its name and one-line summary (NULL for i out of range). */
size_t ckptrank_method_count(void);
const char *ckptrank_method_name(size_t i);
const char *ckptrank_method_summary(size_t i);
/* Parameters of method i: count, and for j < count its key, default value
 * (as text), help, and choices ("a|b|c", or NULL when the value is a
 * number). Returns 0, or -5 when i or j is out of range (outputs NULL). */
size_t ckptrank_method_param_count(size_t i);
int ckptrank_method_param(size_t i, size_t j, const char **key, const char **def,
                          const char **help, const char **choices);

/* The library's version, CKPTRANK_VERSION of ckptrank.h ("0.1.0"). */
const char *ckptrank_version(void);

#ifdef __cplusplus
}
#endif

#endif
