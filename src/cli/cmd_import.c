/* cmd_import.c -- `ckptrank import ZOO --checkpoint C --task T
 * --train-features X.npy --train-labels y.npy [options]`: add one pair from
 * NumPy .npy / .npz files (zoo/npy.h, zoo/import.h). */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cmdutil.h"
#include "zoo/import.h"

typedef struct import_args {
    const char *ckpt, *task, *key, *accuracy, *num_params;
    const char *file[CKR_IMP_N];
    int num_classes, multilabel, force, compress, no_compress;
} import_args;

#define FILE_OPT(name, i, help) \
    { name, 0, OPT_STR, offsetof(import_args, file) + (i) * sizeof(const char *), "FILE", help }

static const cli_opt import_opts[] = {
    { "checkpoint", 0, OPT_STR, offsetof(import_args, ckpt), "NAME", "checkpoint name (required)" },
    { "task", 0, OPT_STR, offsetof(import_args, task), "NAME", "task name (required)" },
    FILE_OPT("train-features", CKR_IMP_TRAIN_X, "[N, D] features (required)"),
    FILE_OPT("train-labels", CKR_IMP_TRAIN_Y, "[N] class indices, or [N, C] 0/1 with --multilabel (required)"),
    FILE_OPT("val-features", CKR_IMP_VAL_X, "[M, D] validation features (needs --val-labels)"),
    FILE_OPT("val-labels", CKR_IMP_VAL_Y, "[M] or [M, C] validation labels"),
    FILE_OPT("train-logits", CKR_IMP_TRAIN_Z, "[N, Z] source-classifier logits"),
    FILE_OPT("val-logits", CKR_IMP_VAL_Z, "[M, Z] (needs --val-features and --train-logits)"),
    FILE_OPT("test-features", CKR_IMP_TEST_X, "[T, D] held-out test features (needs --test-labels)"),
    FILE_OPT("test-labels", CKR_IMP_TEST_Y, "[T] or [T, C] held-out test labels"),
    { "finetune-accuracy", 0, OPT_STR, offsetof(import_args, accuracy), "A", "ground truth of the pair (a finite number)" },
    { "num-params", 0, OPT_STR, offsetof(import_args, num_params), "P", "the checkpoint's number of parameters (attribute num_params)" },
    { "num-classes", 0, OPT_INT, offsetof(import_args, num_classes), "C", "classes of a new task (default: max label + 1; multilabel: columns)" },
    { "multilabel", 0, OPT_FLAG, offsetof(import_args, multilabel), NULL, "labels are N x C matrices of 0/1" },
    { "force", 0, OPT_FLAG, offsetof(import_args, force), NULL, "replace an existing pair (and a different num_params)" },
    { "compress", 0, OPT_FLAG, offsetof(import_args, compress), NULL, "chunked, shuffled, deflated datasets (the default)" },
    { "no-compress", 0, OPT_FLAG, offsetof(import_args, no_compress), NULL, "contiguous, uncompressed datasets" },
    { "key", 0, OPT_STR, offsetof(import_args, key), "NAME", "the array of every .npz file given without :KEY (a .npy file ignores it)" },
    { NULL, 0, 0, 0, NULL, NULL },
};

static const char import_about[] =
    "Add one (checkpoint, task) pair to ZOO (created when missing) from NumPy files:\n"
    ".npy (float16/32/64 features and logits; int8..int64, uint8..uint64 or bool\n"
    "labels; C or Fortran order; either byte order) or an .npz archive member, named\n"
    "FILE.npz:KEY or with --key (stored or deflated members). The first pair of a task\n"
    "writes the task's labels; later pairs must give the same labels. Everything is\n"
    "checked first (shapes, NaN/Inf in features and logits, labels, an existing pair\n"
    "without --force) and the zoo is written through a temporary copy renamed into\n"
    "place: a refused or failed import leaves the zoo unchanged.\n"
    "Features are stored as float32 (float16/32 input) or float64; labels as int32\n"
    "(multilabel: uint8).\n"
    "\nexit status: 0 imported, 1 refused or failed (nothing written), 2 usage error.";

/* "FILE:KEY" when FILE exists and the whole name does not (*key = KEY); else
 * the whole name (*key NULL). file gets a copy (capacity cap). */
static void split_key(const char *arg, char *file, size_t cap, const char **key, char *keybuf,
                      size_t kcap)
{
    struct stat st;
    snprintf(file, cap, "%s", arg);
    *key = NULL;
    const char *colon = strrchr(arg, ':');
    if (!colon || stat(arg, &st) == 0)
        return;
    snprintf(file, cap, "%.*s", (int)(colon - arg), arg);
    if (stat(file, &st) != 0) {
        snprintf(file, cap, "%s", arg);
        return;
    }
    snprintf(keybuf, kcap, "%s", colon + 1);
    *key = keybuf;
}

static int parse_numbers(cli_cmd *c, const import_args *a, ckr_import_spec *s)
{
    if (a->accuracy) {
        char *end;
        errno = 0;
        s->accuracy = strtod(a->accuracy, &end);
        if (end == a->accuracy || *end || errno || !isfinite(s->accuracy))
            return cli_usage(c, "--finetune-accuracy %s: expected a finite number", a->accuracy);
        s->has_accuracy = 1;
    }
    if (a->num_params) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(a->num_params, &end, 10);
        if (a->num_params[0] < '0' || a->num_params[0] > '9' || *end || errno)
            return cli_usage(c, "--num-params %s: expected a non-negative integer", a->num_params);
        s->num_params = v;
        s->has_num_params = 1;
    }
    return CLI_OK;
}

int ckr_cmd_import(int argc, char **argv, MPI_Comm comm)
{
    cli_cmd c;
    cli_cmd_init(&c, argc, argv, comm);
    import_args a;
    memset(&a, 0, sizeof a);
    ckr_import_spec s;
    memset(&s, 0, sizeof s);
    char *pos[1];
    int npos = 0;
    int prc = cli_cmd_parse(&c, import_opts, &a, pos, 1, &npos,
                            "ckptrank import ZOO --checkpoint C --task T --train-features X.npy "
                            "--train-labels y.npy [options]", import_about);
    if (prc == CLI_OK && npos != 1)
        prc = cli_usage(&c, "expected one zoo file (see --help)");
    if (prc == CLI_OK && (!a.ckpt || !a.task || !a.file[CKR_IMP_TRAIN_X] || !a.file[CKR_IMP_TRAIN_Y]))
        prc = cli_usage(&c, "--checkpoint, --task, --train-features and --train-labels are required");
    if (prc == CLI_OK && a.compress && a.no_compress)
        prc = cli_usage(&c, "--compress and --no-compress exclude each other");
    if (prc == CLI_OK)
        prc = parse_numbers(&c, &a, &s);
    if (prc != CLI_OK)
        return cli_parse_status(prc);
    static char files[CKR_IMP_N][4096], keys[CKR_IMP_N][256], whats[CKR_IMP_N][4400];
    static char optnames[CKR_IMP_N][32];
    const char *key[CKR_IMP_N] = {NULL};
    cli_path in[CKR_IMP_N];
    size_t nin = 0;
    for (int i = 0; i < CKR_IMP_N; i++) {
        if (!a.file[i])
            continue;
        split_key(a.file[i], files[i], sizeof files[i], &key[i], keys[i], sizeof keys[i]);
        snprintf(whats[i], sizeof whats[i], "--%s %s", import_opts[2 + i].name, a.file[i]);
        snprintf(optnames[i], sizeof optnames[i], "--%s", import_opts[2 + i].name);
        s.what[i] = whats[i];
        in[nin].opt = optnames[i];
        in[nin++].path = files[i];
    }
    const cli_path out[] = { { "the zoo", pos[0] } };
    int pst = cli_check_paths(&c, in, nin, out, 1);
    if (pst != CKR_EXIT_OK)
        return pst;
    if (c.rank != 0)
        return CKR_EXIT_OK; /* rank 0's work; its status is everyone's */
    s.ckpt = a.ckpt;
    s.task = a.task;
    s.num_classes = a.num_classes;
    s.multilabel = a.multilabel;
    s.force = a.force;
    s.compress = !a.no_compress;
    ckr_npy arr[CKR_IMP_N];
    memset(arr, 0, sizeof arr);
    ckr_err err = { 0, "" };
    int rc = 0;
    for (int i = 0; rc == 0 && i < CKR_IMP_N; i++) {
        if (!a.file[i])
            continue;
        rc = ckr_npy_load_key(files[i], key[i], a.key, &arr[i], &err);
        if (rc == 0)
            s.a[i] = &arr[i];
        else {
            char m[sizeof err.msg];
            snprintf(m, sizeof m, "%s", err.msg);
            ckr_err_set(&err, rc, "--%s: %s", import_opts[2 + i].name, m);
        }
    }
    if (rc == 0)
        rc = ckr_zoo_import(pos[0], &s, &err);
    if (rc == 0) {
        const ckr_npy *x = s.a[CKR_IMP_TRAIN_X];
        printf("%s: imported /checkpoints/%s/%s: %zu x %zu train features%s%s%s%s\n", pos[0],
               a.ckpt, a.task, x->rows, x->cols, s.a[CKR_IMP_VAL_X] ? ", val" : "",
               s.a[CKR_IMP_TEST_X] ? ", test" : "", s.a[CKR_IMP_TRAIN_Z] ? ", logits" : "",
               s.has_accuracy ? ", finetune_accuracy" : "");
    } else {
        cli_error(&c, "%s", err.msg);
    }
    for (int i = 0; i < CKR_IMP_N; i++)
        ckr_npy_free(&arr[i]);
    return rc == 0 ? CKR_EXIT_OK : CKR_EXIT_ERROR;
}
