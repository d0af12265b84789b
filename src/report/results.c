/* results.c -- results.h5, the CSV files and the fixed-width table. */
#include "report/results.h"

#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/h5attr.h"

#define RESULTS_FORMAT "ckptrank-results"
#define RESULTS_VERSION 1

void ckr_results_free(ckr_results *r)
{
    free(r->scores);
    free(r->gt);
    free(r->metrics);
    r->scores = NULL;
    r->gt = NULL;
    r->metrics = NULL;
    r->n_scores = r->n_gt = r->n_metrics = 0;
}

int ckr_results_compute_metrics(ckr_results *r, const int *k, int nk, ckr_err *err)
{
    free(r->metrics);
    r->metrics = NULL;
    r->n_metrics = 0;
    return ckr_metrics_table(r->scores, r->n_scores, r->gt, r->n_gt, k, nk, &r->metrics,
                             &r->n_metrics, err);
}

/* ---- HDF5 helpers ---------------------------------------------------------- */

/* Write n strings found at base + i*stride as a fixed-length string column. */
static int write_str_col(hid_t g, const char *name, const char *base, size_t stride, size_t n)
{
    size_t width = 1;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(base + i * stride) + 1;
        if (l > width)
            width = l;
    }
    char *buf = calloc(n ? n : 1, width);
    if (!buf)
        return -1;
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * width, base + i * stride, strlen(base + i * stride));
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, width);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    hsize_t dim = n;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t d = H5Dcreate2(g, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = d < 0 ? -1 : (n ? H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0);
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(t);
    free(buf);
    return st < 0 ? -1 : 0;
}

/* Write a numeric column gathered from base + i*stride (type double or int). */
static int write_num_col(hid_t g, const char *name, const char *base, size_t stride, size_t n,
                         size_t cols, int is_int)
{
    size_t esz = is_int ? sizeof(int) : sizeof(double);
    char *buf = malloc((n ? n : 1) * (cols ? cols : 1) * esz);
    if (!buf)
        return -1;
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * cols * esz, base + i * stride, cols * esz);
    hsize_t dims[2] = { n, cols };
    hid_t sp = H5Screate_simple(cols > 1 ? 2 : 1, dims, NULL);
    hid_t mt = is_int ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE;
    hid_t ft = is_int ? H5T_STD_I32LE : H5T_IEEE_F64LE;
    hid_t d = H5Dcreate2(g, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = d < 0 ? -1 : (n ? H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0);
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(sp);
    free(buf);
    return st < 0 ? -1 : 0;
}

#define COL_STR(g, name, arr, field, n) \
    write_str_col(g, name, (const char *)(arr) + offsetof(__typeof__(*(arr)), field), sizeof *(arr), n)
#define COL_NUM(g, name, arr, field, n, cols, is_int) \
    write_num_col(g, name, (const char *)(arr) + offsetof(__typeof__(*(arr)), field), sizeof *(arr), n, cols, is_int)

static int write_meta(hid_t f, const ckr_results_meta *m)
{
    int bad = 0;
    bad |= ckr_h5_attr_write_str(f, "format", RESULTS_FORMAT);
    int v = RESULTS_VERSION;
    bad |= ckr_h5_attr_write(f, "format_version", H5T_NATIVE_INT, H5T_NATIVE_INT, &v, 0);
    bad |= ckr_h5_attr_write_str(f, "command_line", m->command_line);
    bad |= ckr_h5_attr_write_str(f, "version", m->version);
    bad |= ckr_h5_attr_write_str(f, "zoo", m->zoo);
    bad |= ckr_h5_attr_write_str(f, "methods", m->methods);
    bad |= ckr_h5_attr_write(f, "seed", H5T_NATIVE_ULLONG, H5T_NATIVE_ULLONG, &m->seed, 0);
    bad |= ckr_h5_attr_write(f, "n_ranks", H5T_NATIVE_INT, H5T_NATIVE_INT, &m->n_ranks, 0);
    bad |= ckr_h5_attr_write_str(f, "start_time", m->start_time);
    bad |= ckr_h5_attr_write_str(f, "end_time", m->end_time);
    bad |= ckr_h5_attr_write(f, "seconds", H5T_NATIVE_DOUBLE, H5T_NATIVE_DOUBLE, &m->seconds, 0);
    return bad;
}

static int write_scores(hid_t f, const ckr_score_row *s, size_t n)
{
    hid_t g = H5Gcreate2(f, "scores", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    int bad = 0;
    bad |= COL_STR(g, "checkpoint", s, ckpt, n);
    bad |= COL_STR(g, "task", s, task, n);
    bad |= COL_STR(g, "method", s, method, n);
    bad |= COL_STR(g, "sweep", s, sweep, n);
    bad |= COL_NUM(g, "score", s, score, n, 1, 0);
    bad |= COL_STR(g, "status", s, status, n);
    bad |= COL_STR(g, "message", s, message, n);
    bad |= COL_STR(g, "info", s, info, n);
    bad |= COL_NUM(g, "seconds", s, seconds, n, 1, 0);
    bad |= COL_NUM(g, "gflops", s, gflops, n, 1, 0);
    bad |= COL_NUM(g, "heldout", s, heldout, n, 1, 0);
    bad |= COL_NUM(g, "best", s, best, n, 1, 1);
    H5Gclose(g);
    return bad;
}

static int write_gt(hid_t f, const ckr_gt_row *gt, size_t n)
{
    hid_t g = H5Gcreate2(f, "ground_truth", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    int bad = 0;
    bad |= COL_STR(g, "checkpoint", gt, ckpt, n);
    bad |= COL_STR(g, "task", gt, task, n);
    bad |= COL_NUM(g, "accuracy", gt, accuracy, n, 1, 0);
    H5Gclose(g);
    return bad;
}

static int write_metrics(hid_t f, const ckr_metric_row *m, size_t n)
{
    hid_t g = H5Gcreate2(f, "metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    int bad = 0;
    int nk = n ? m[0].nk : 0;
    bad |= ckr_h5_attr_write(g, "k", H5T_NATIVE_INT, H5T_NATIVE_INT, n ? m[0].k : &nk,
                             n ? (hsize_t)nk : 0);
    bad |= COL_STR(g, "task", m, task, n);
    bad |= COL_STR(g, "method", m, method, n);
    bad |= COL_NUM(g, "n_checkpoints", m, n_checkpoints, n, 1, 1);
    bad |= COL_NUM(g, "n_excluded", m, n_excluded, n, 1, 1);
    if (nk > 0) {
        bad |= COL_NUM(g, "recall", m, recall, n, (size_t)nk, 0);
        bad |= COL_NUM(g, "rel", m, rel, n, (size_t)nk, 0);
    }
    bad |= COL_NUM(g, "pearson", m, pearson, n, 1, 0);
    bad |= COL_NUM(g, "kendall", m, kendall, n, 1, 0);
    bad |= COL_NUM(g, "weighted_kendall", m, weighted_kendall, n, 1, 0);
    bad |= COL_NUM(g, "mean_seconds", m, mean_seconds, n, 1, 0);
    bad |= COL_NUM(g, "mean_gflops", m, mean_gflops, n, 1, 0);
    H5Gclose(g);
    return bad;
}

int ckr_results_write_h5(const char *path, const ckr_results *r, ckr_err *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot create the results file", tmp);
    int bad = write_meta(f, &r->meta);
    bad |= write_scores(f, r->scores, r->n_scores);
    bad |= write_gt(f, r->gt, r->n_gt);
    bad |= write_metrics(f, r->metrics, r->n_metrics);
    if (H5Fclose(f) < 0)
        bad = 1;
    if (bad) {
        unlink(tmp);
        return ckr_err_set(err, CKR_EIO, "%s: writing the results failed", path);
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return ckr_err_set(err, CKR_EIO, "%s: cannot rename %s into place", path, tmp);
    }
    return 0;
}

/* ---- reading results.h5 ------------------------------------------------------ */

static long column_length(hid_t g, const char *name)
{
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = { 0, 0 };
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(d);
    return (long)dims[0];
}

static int read_str_col(hid_t g, const char *name, char *base, size_t stride, size_t cap, size_t n)
{
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t ft = H5Dget_type(d);
    int rc = -1;
    if (n == 0) {
        rc = 0;
    } else if (H5Tis_variable_str(ft) > 0) {
        char **v = calloc(n, sizeof *v);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        if (v && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
            for (size_t i = 0; i < n; i++)
                snprintf(base + i * stride, cap, "%s", v[i] ? v[i] : "");
            hid_t sp = H5Dget_space(d);
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
            H5Sclose(sp);
            rc = 0;
        }
        H5Tclose(mt);
        free(v);
    } else {
        size_t w = H5Tget_size(ft);
        char *buf = calloc(n, w + 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, w + 1);
        H5Tset_strpad(mt, H5T_STR_NULLTERM);
        if (buf && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) {
            for (size_t i = 0; i < n; i++)
                snprintf(base + i * stride, cap, "%s", buf + i * (w + 1));
            rc = 0;
        }
        H5Tclose(mt);
        free(buf);
    }
    H5Tclose(ft);
    H5Dclose(d);
    return rc;
}

static int read_num_col(hid_t g, const char *name, char *base, size_t stride, size_t n,
                        size_t cols, int is_int)
{
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    size_t esz = is_int ? sizeof(int) : sizeof(double);
    char *buf = malloc((n ? n : 1) * (cols ? cols : 1) * esz);
    herr_t st = buf ? (n ? H5Dread(d, is_int ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE, H5S_ALL,
                                   H5S_ALL, H5P_DEFAULT, buf) : 0) : -1;
    if (st >= 0)
        for (size_t i = 0; i < n; i++)
            memcpy(base + i * stride, buf + i * cols * esz, cols * esz);
    free(buf);
    H5Dclose(d);
    return st < 0 ? -1 : 0;
}

#define RD_STR(g, name, arr, field, n) \
    read_str_col(g, name, (char *)(arr) + offsetof(__typeof__(*(arr)), field), sizeof *(arr), \
                 sizeof((arr)->field), n)
#define RD_NUM(g, name, arr, field, n, cols, is_int) \
    read_num_col(g, name, (char *)(arr) + offsetof(__typeof__(*(arr)), field), sizeof *(arr), n, cols, is_int)

static int read_scores(hid_t f, ckr_results *r)
{
    hid_t g = H5Gopen2(f, "scores", H5P_DEFAULT);
    if (g < 0)
        return -1;
    long n = column_length(g, "checkpoint");
    int bad = n < 0;
    if (!bad) {
        r->scores = calloc((size_t)n + 1, sizeof *r->scores);
        r->n_scores = (size_t)n;
        bad = !r->scores;
    }
    if (!bad) {
        ckr_score_row *s = r->scores;
        size_t m = (size_t)n;
        bad |= RD_STR(g, "checkpoint", s, ckpt, m);
        bad |= RD_STR(g, "task", s, task, m);
        bad |= RD_STR(g, "method", s, method, m);
        bad |= RD_STR(g, "sweep", s, sweep, m);
        bad |= RD_NUM(g, "score", s, score, m, 1, 0);
        bad |= RD_STR(g, "status", s, status, m);
        bad |= RD_STR(g, "message", s, message, m);
        bad |= RD_STR(g, "info", s, info, m);
        bad |= RD_NUM(g, "seconds", s, seconds, m, 1, 0);
        bad |= RD_NUM(g, "gflops", s, gflops, m, 1, 0);
        bad |= RD_NUM(g, "heldout", s, heldout, m, 1, 0);
        bad |= RD_NUM(g, "best", s, best, m, 1, 1);
    }
    H5Gclose(g);
    return bad ? -1 : 0;
}

static int read_gt(hid_t f, ckr_results *r)
{
    hid_t g = H5Gopen2(f, "ground_truth", H5P_DEFAULT);
    if (g < 0)
        return -1;
    long n = column_length(g, "checkpoint");
    int bad = n < 0;
    if (!bad) {
        r->gt = calloc((size_t)n + 1, sizeof *r->gt);
        r->n_gt = (size_t)n;
        bad = !r->gt;
    }
    if (!bad) {
        bad |= RD_STR(g, "checkpoint", r->gt, ckpt, r->n_gt);
        bad |= RD_STR(g, "task", r->gt, task, r->n_gt);
        bad |= RD_NUM(g, "accuracy", r->gt, accuracy, r->n_gt, 1, 0);
    }
    H5Gclose(g);
    return bad ? -1 : 0;
}

int ckr_results_read_h5(const char *path, ckr_results *r, ckr_err *err)
{
    memset(r, 0, sizeof *r);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (access(path, R_OK) != 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot read the file", path);
    if (H5Fis_hdf5(path) <= 0)
        return ckr_err_set(err, CKR_EFORMAT, "%s: not an HDF5 file (or truncated)", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot open", path);
    char fmt[64];
    int rc = 0;
    if (ckr_h5_attr_string(f, "format", fmt, sizeof fmt) != CKR_ATTR_OK ||
        strcmp(fmt, RESULTS_FORMAT) != 0) {
        rc = ckr_err_set(err, CKR_EFORMAT, "%s: /: attribute format is not \"%s\" (not a ckptrank results file)",
                         path, RESULTS_FORMAT);
        goto cleanup;
    }
    ckr_results_meta *m = &r->meta;
    ckr_h5_attr_string(f, "command_line", m->command_line, sizeof m->command_line);
    ckr_h5_attr_string(f, "version", m->version, sizeof m->version);
    ckr_h5_attr_string(f, "zoo", m->zoo, sizeof m->zoo);
    ckr_h5_attr_string(f, "methods", m->methods, sizeof m->methods);
    ckr_h5_attr_string(f, "start_time", m->start_time, sizeof m->start_time);
    ckr_h5_attr_string(f, "end_time", m->end_time, sizeof m->end_time);
    ckr_h5_attr_number(f, "seed", H5T_NATIVE_ULLONG, &m->seed);
    ckr_h5_attr_number(f, "n_ranks", H5T_NATIVE_INT, &m->n_ranks);
    ckr_h5_attr_number(f, "seconds", H5T_NATIVE_DOUBLE, &m->seconds);
    if (read_scores(f, r) != 0) {
        rc = ckr_err_set(err, CKR_EFORMAT, "%s: /scores: missing or unreadable", path);
        goto cleanup;
    }
    if (read_gt(f, r) != 0) {
        rc = ckr_err_set(err, CKR_EFORMAT, "%s: /ground_truth: missing or unreadable", path);
        goto cleanup;
    }
cleanup:
    H5Fclose(f);
    if (rc)
        ckr_results_free(r);
    return rc;
}

/* ---- CSV ---------------------------------------------------------------------- */

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_number(FILE *f, double x)
{
    if (isnan(x))
        return; /* empty field */
    fprintf(f, "%.17g", x);
}

static int close_checked(FILE *f, const char *path, ckr_err *err)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return ckr_err_set(err, CKR_EIO, "%s: write failed", path);
    return 0;
}

int ckr_scores_write_csv(const char *path, const ckr_score_row *rows, size_t n, ckr_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return ckr_err_set(err, CKR_EIO, "%s: cannot create", path);
    fputs("checkpoint,task,method,score,status,seconds,gflops\n", f);
    for (size_t i = 0; i < n; i++) {
        const ckr_score_row *r = &rows[i];
        csv_field(f, r->ckpt);
        fputc(',', f);
        csv_field(f, r->task);
        fputc(',', f);
        csv_field(f, r->method);
        fputc(',', f);
        if (strcmp(r->status, "ok") == 0)
            csv_number(f, r->score);
        fputc(',', f);
        csv_field(f, r->status);
        fputc(',', f);
        csv_number(f, r->seconds);
        fputc(',', f);
        csv_number(f, r->gflops);
        fputc('\n', f);
    }
    return close_checked(f, path, err);
}

int ckr_metrics_write_csv(const char *path, const ckr_metric_row *rows, size_t n, ckr_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return ckr_err_set(err, CKR_EIO, "%s: cannot create", path);
    fputs("task,method,n_checkpoints", f);
    int nk = n ? rows[0].nk : 0;
    for (int j = 0; j < nk; j++)
        fprintf(f, ",recall@%d,rel@%d", rows[0].k[j], rows[0].k[j]);
    fputs(",pearson,kendall,weighted_kendall\n", f);
    for (size_t i = 0; i < n; i++) {
        const ckr_metric_row *m = &rows[i];
        csv_field(f, m->task);
        fputc(',', f);
        csv_field(f, m->method);
        fprintf(f, ",%d", m->n_checkpoints);
        for (int j = 0; j < nk; j++) {
            fputc(',', f);
            csv_number(f, m->recall[j]);
            fputc(',', f);
            csv_number(f, m->rel[j]);
        }
        fputc(',', f);
        csv_number(f, m->pearson);
        fputc(',', f);
        csv_number(f, m->kendall);
        fputc(',', f);
        csv_number(f, m->weighted_kendall);
        fputc('\n', f);
    }
    return close_checked(f, path, err);
}

static void print_num(FILE *f, double x, int width, int prec)
{
    if (isnan(x))
        fprintf(f, " %*s", width, "-");
    else
        fprintf(f, " %*.*f", width, prec, x);
}

void ckr_metrics_print(FILE *f, const ckr_metric_row *rows, size_t n)
{
    if (n == 0) {
        fprintf(f, "(no metrics)\n");
        return;
    }
    int wt = 4, wm = 6;
    for (size_t i = 0; i < n; i++) {
        int lt = (int)strlen(rows[i].task), lm = (int)strlen(rows[i].method);
        wt = lt > wt ? (lt < 24 ? lt : 24) : wt;
        wm = lm > wm ? (lm < 32 ? lm : 32) : wm;
    }
    int nk = rows[0].nk;
    fprintf(f, "%-*s  %-*s %5s %4s", wt, "task", wm, "method", "ckpts", "excl");
    for (int j = 0; j < nk; j++) {
        char a[16], b[16];
        snprintf(a, sizeof a, "recall@%d", rows[0].k[j]);
        snprintf(b, sizeof b, "rel@%d", rows[0].k[j]);
        fprintf(f, " %8s %6s", a, b);
    }
    fprintf(f, " %8s %8s %8s %10s %10s\n", "pearson", "kendall", "w-kendall", "mean_s", "gflops");
    for (size_t i = 0; i < n; i++) {
        const ckr_metric_row *m = &rows[i];
        fprintf(f, "%-*.*s  %-*.*s %5d %4d", wt, wt, m->task, wm, wm, m->method, m->n_checkpoints,
                m->n_excluded);
        for (int j = 0; j < nk; j++) {
            print_num(f, m->recall[j], 8, 3);
            print_num(f, m->rel[j], 6, 3);
        }
        print_num(f, m->pearson, 8, 3);
        print_num(f, m->kendall, 8, 3);
        print_num(f, m->weighted_kendall, 8, 3);
        fprintf(f, " %10.4g %10.4g\n", m->mean_seconds, m->mean_gflops);
        if (strcmp(m->task, "mean") == 0 && i + 1 < n)
            fputc('\n', f);
    }
}

/* Split one CSV record (RFC 4180, no embedded newlines) into fields in place.
 * Returns the number of fields (at most max). */
static int csv_split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = '\0';
    while (n < max) {
        char *out = p;
        fields[n++] = out;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0')
                    break;
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            while (*p && *p != ',')
                p++;
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        int more = *p == ',';
        if (*p)
            p++;
        *out = '\0';
        if (!more)
            break;
    }
    return n;
}

static int find_col(char **hdr, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(hdr[i], name) == 0)
            return i;
    return -1;
}

typedef int (*row_fn)(void *ctx, char **fields, int n, const int *cols, size_t lineno,
                      const char *path, ckr_err *err);

/* Read a CSV whose header must contain the columns `need` (and may contain
 * `opt`); calls fn per data row with cols[] = the column index of each name. */
static int csv_read(const char *path, const char *const *names, int n_need, int n_names,
                    row_fn fn, void *ctx, ckr_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ckr_err_set(err, CKR_EIO, "%s: cannot open", path);
    char line[8192];
    char *fields[64], *hdr[64];
    int cols[16], rc = 0;
    char header[8192];
    if (!fgets(header, sizeof header, f)) {
        fclose(f);
        return ckr_err_set(err, CKR_EFORMAT, "%s: empty file (expected a CSV header)", path);
    }
    int nh = csv_split(header, hdr, 64);
    for (int j = 0; j < n_names; j++) {
        cols[j] = find_col(hdr, nh, names[j]);
        if (cols[j] < 0 && j < n_need) {
            fclose(f);
            return ckr_err_set(err, CKR_EFORMAT, "%s: line 1: the header has no column '%s'",
                               path, names[j]);
        }
    }
    size_t lineno = 1;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        int nf = csv_split(line, fields, 64);
        for (int j = 0; j < n_need; j++)
            if (cols[j] >= nf) {
                rc = ckr_err_set(err, CKR_EFORMAT, "%s: line %zu: %d fields, expected at least %d",
                                 path, lineno, nf, cols[j] + 1);
                goto done;
            }
        rc = fn(ctx, fields, nf, cols, lineno, path, err);
        if (rc)
            goto done;
    }
done:
    fclose(f);
    return rc;
}

typedef struct grow {
    void *v;
    size_t n, cap, esz;
} grow;

static void *grow_push(grow *g)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 64;
        void *v = realloc(g->v, cap * g->esz);
        if (!v)
            return NULL;
        g->v = v;
        g->cap = cap;
    }
    void *e = (char *)g->v + g->n++ * g->esz;
    memset(e, 0, g->esz);
    return e;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    if (!*s)
        return -1;
    *out = strtod(s, &end);
    while (*end == ' ')
        end++;
    return *end ? -1 : 0;
}

static int score_row(void *ctx, char **fl, int nf, const int *cols, size_t lineno,
                     const char *path, ckr_err *err)
{
    ckr_score_row *r = grow_push(ctx);
    if (!r)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory reading %s", path);
    snprintf(r->ckpt, sizeof r->ckpt, "%s", fl[cols[0]]);
    snprintf(r->task, sizeof r->task, "%s", fl[cols[1]]);
    snprintf(r->method, sizeof r->method, "%s", fl[cols[2]]);
    const char *status = cols[4] >= 0 && cols[4] < nf ? fl[cols[4]] : "";
    r->score = NAN;
    if (status[0] && strcmp(status, "ok") != 0) {
        snprintf(r->status, sizeof r->status, "%s", status);
    } else if (!fl[cols[3]][0]) {
        snprintf(r->status, sizeof r->status, "%s", status[0] ? "bad-data" : "no-score");
    } else if (parse_double(fl[cols[3]], &r->score) != 0 || !isfinite(r->score)) {
        return ckr_err_set(err, CKR_EFORMAT, "%s: line %zu: score '%s' is not a finite number",
                           path, lineno, fl[cols[3]]);
    } else {
        snprintf(r->status, sizeof r->status, "ok");
    }
    double x;
    if (cols[5] >= 0 && cols[5] < nf && parse_double(fl[cols[5]], &x) == 0)
        r->seconds = x;
    if (cols[6] >= 0 && cols[6] < nf && parse_double(fl[cols[6]], &x) == 0)
        r->gflops = x;
    return 0;
}

int ckr_scores_read_csv(const char *path, ckr_score_row **rows, size_t *n, ckr_err *err)
{
    static const char *const names[] = { "checkpoint", "task", "method", "score",
                                         "status", "seconds", "gflops" };
    grow g = { NULL, 0, 0, sizeof(ckr_score_row) };
    int rc = csv_read(path, names, 4, 7, score_row, &g, err);
    if (rc) {
        free(g.v);
        return rc;
    }
    *rows = g.v;
    *n = g.n;
    return 0;
}

static int gt_row(void *ctx, char **fl, int nf, const int *cols, size_t lineno,
                  const char *path, ckr_err *err)
{
    (void)nf;
    ckr_gt_row *r = grow_push(ctx);
    if (!r)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory reading %s", path);
    snprintf(r->ckpt, sizeof r->ckpt, "%s", fl[cols[0]]);
    snprintf(r->task, sizeof r->task, "%s", fl[cols[1]]);
    if (parse_double(fl[cols[2]], &r->accuracy) != 0 || !isfinite(r->accuracy))
        return ckr_err_set(err, CKR_EFORMAT, "%s: line %zu: accuracy '%s' is not a finite number",
                           path, lineno, fl[cols[2]]);
    return 0;
}

int ckr_gt_read_csv(const char *path, ckr_gt_row **rows, size_t *n, ckr_err *err)
{
    static const char *const names[] = { "checkpoint", "task", "accuracy" };
    grow g = { NULL, 0, 0, sizeof(ckr_gt_row) };
    int rc = csv_read(path, names, 3, 3, gt_row, &g, err);
    if (rc) {
        free(g.v);
        return rc;
    }
    *rows = g.v;
    *n = g.n;
    return 0;
}
