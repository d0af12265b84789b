/* json.c -- the results as JSON (see json.h). */
#include "report/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/svg.h"

static void j_str(FILE *f, const char *s)
{
    fputc('"', f);
    while (*s) {
        unsigned cp;
        int len = ckr_utf8_decode(s, &cp);
        if (cp == 0xFFFD && len == 1 && (unsigned char)*s >= 0x80)
            fputs("\\ufffd", f);
        else if (cp == '"')
            fputs("\\\"", f);
        else if (cp == '\\')
            fputs("\\\\", f);
        else if (cp < 0x20)
            fprintf(f, "\\u%04x", cp);
        else
            fwrite(s, 1, (size_t)len, f);
        s += len;
    }
    fputc('"', f);
}

static void j_num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.17g", x);
    else
        fputs("null", f);
}

/* "key": */
static void j_key(FILE *f, const char *key)
{
    j_str(f, key);
    fputs(": ", f);
}

static void j_kstr(FILE *f, const char *key, const char *val, int last)
{
    j_key(f, key);
    j_str(f, val);
    fputs(last ? "" : ", ", f);
}

static void j_knum(FILE *f, const char *key, double val, int last)
{
    j_key(f, key);
    j_num(f, val);
    fputs(last ? "" : ", ", f);
}

static void write_provenance(FILE *f, const ckr_results_meta *m, unsigned flags)
{
    fputs("\"provenance\": {", f);
    if (flags & CKR_JSON_FROM_CSV) {
        j_key(f, "command_line");
        if (m->command_line[0])
            j_str(f, m->command_line);
        else
            fputs("null", f);
        fputs(", \"version\": null, \"zoo\": null, \"methods\": null, \"seed\": null, "
              "\"n_ranks\": null, \"start_time\": null, \"end_time\": null, \"seconds\": null},\n",
              f);
        return;
    }
    j_kstr(f, "command_line", m->command_line, 0);
    j_kstr(f, "version", m->version, 0);
    j_kstr(f, "zoo", m->zoo, 0);
    j_kstr(f, "methods", m->methods, 0);
    fprintf(f, "\"seed\": %llu, \"n_ranks\": %d, ", m->seed, m->n_ranks);
    j_kstr(f, "start_time", m->start_time, 0);
    j_kstr(f, "end_time", m->end_time, 0);
    j_knum(f, "seconds", m->seconds, 1);
    fputs("},\n", f);
}

static void write_score(FILE *f, const ckr_score_row *s, unsigned flags)
{
    fputc('{', f);
    j_kstr(f, "checkpoint", s->ckpt, 0);
    j_kstr(f, "task", s->task, 0);
    j_kstr(f, "method", s->method, 0);
    j_knum(f, "score", strcmp(s->status, "ok") == 0 ? s->score : NAN, 0);
    j_kstr(f, "status", s->status, 0);
    j_kstr(f, "message", s->message, 0);
    j_kstr(f, "info", s->info, 0);
    j_knum(f, "seconds", s->seconds, 0);
    j_knum(f, "gflops", s->gflops, 0);
    j_knum(f, "heldout", (flags & CKR_JSON_FROM_CSV) ? NAN : s->heldout, 0);
    j_kstr(f, "sweep", s->sweep, 0);
    fprintf(f, "\"best\": %s}", s->best ? "true" : "false");
}

static void write_metric(FILE *f, const ckr_metric_row *m)
{
    fputc('{', f);
    j_kstr(f, "task", m->task, 0);
    j_kstr(f, "method", m->method, 0);
    fprintf(f, "\"n_checkpoints\": %d, \"n_excluded\": %d, ", m->n_checkpoints, m->n_excluded);
    for (int j = 0; j < m->nk && j < CKR_MAX_K; j++) {
        char key[32];
        snprintf(key, sizeof key, "recall@%d", m->k[j]);
        j_knum(f, key, m->recall[j], 0);
        snprintf(key, sizeof key, "rel@%d", m->k[j]);
        j_knum(f, key, m->rel[j], 0);
    }
    j_knum(f, "pearson", m->pearson, 0);
    j_knum(f, "kendall", m->kendall, 0);
    j_knum(f, "weighted_kendall", m->weighted_kendall, 0);
    j_knum(f, "mean_seconds", m->mean_seconds, 0);
    j_knum(f, "mean_gflops", m->mean_gflops, 1);
    fputc('}', f);
}

int ckr_results_write_json(const char *path, const ckr_results *r, unsigned flags, ckr_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return ckr_err_set(err, CKR_EIO, "%s: cannot create", path);
    fputs("{\"format\": \"ckptrank-results-json\", \"format_version\": 1,\n", f);
    write_provenance(f, &r->meta, flags);
    fputs("\"k\": [", f);
    if (r->n_metrics > 0)
        for (int j = 0; j < r->metrics[0].nk && j < CKR_MAX_K; j++)
            fprintf(f, "%s%d", j ? ", " : "", r->metrics[0].k[j]);
    fputs("],\n\"scores\": [", f);
    for (size_t i = 0; i < r->n_scores; i++) {
        fputs(i ? ",\n" : "\n", f);
        write_score(f, &r->scores[i], flags);
    }
    fputs("],\n\"metrics\": [", f);
    for (size_t i = 0; i < r->n_metrics; i++) {
        fputs(i ? ",\n" : "\n", f);
        write_metric(f, &r->metrics[i]);
    }
    fputs("],\n\"ground_truth\": [", f);
    for (size_t i = 0; i < r->n_gt; i++) {
        fputs(i ? ",\n{" : "\n{", f);
        j_kstr(f, "checkpoint", r->gt[i].ckpt, 0);
        j_kstr(f, "task", r->gt[i].task, 0);
        j_knum(f, "accuracy", r->gt[i].accuracy, 1);
        fputc('}', f);
    }
    fputs("]}\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return ckr_err_set(err, CKR_EIO, "%s: write failed", path);
    return 0;
}
