/* ranking_out.c -- the ranking on stdout, as CSV and as agreement matrices
 * (see ranking_out.h). */
#include "report/ranking_out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/fsout.h"

#define CELL 48
#define NAME_CUT 28

/* ---- stdout --------------------------------------------------------------------- */

typedef struct col {
    const char *method;
    size_t first, n;      /* its rows in k->rows */
    int width;
} col;

static void cell_text(const ckr_rank_row *r, int m_voters, char *b, size_t len)
{
    if (strcmp(r->method, CKR_CONSENSUS_METHOD) == 0) {
        if (r->n_methods < m_voters)
            snprintf(b, len, "%.*s %.2f (%d/%d)", NAME_CUT, r->ckpt, r->score, r->n_methods,
                     m_voters);
        else
            snprintf(b, len, "%.*s %.2f", NAME_CUT, r->ckpt, r->score);
    } else {
        snprintf(b, len, "%.*s %.4g", NAME_CUT, r->ckpt, r->score);
    }
}

/* Print the task whose rows are k->rows[a..b). */
static void print_task(FILE *f, const ckr_ranking *k, size_t a, size_t b, int top)
{
    col cols[CKR_AGREE_MAX + 2];
    size_t nc = 0, n_ckpt = 0;
    int m_voters = 0;
    for (size_t i = a; i < b && nc < sizeof cols / sizeof cols[0]; i++) {
        const ckr_rank_row *r = &k->rows[i];
        if (nc == 0 || strcmp(cols[nc - 1].method, r->method) != 0)
            cols[nc++] = (col){ r->method, i, 0, 0 };
        cols[nc - 1].n++;
    }
    int has_cons = nc > 0 && strcmp(cols[0].method, CKR_CONSENSUS_METHOD) == 0;
    for (size_t c = 0; c < nc; c++) {
        n_ckpt = cols[c].n > n_ckpt ? cols[c].n : n_ckpt;
        const ckr_rank_row *r = &k->rows[cols[c].first];
        if (has_cons && c == 0)
            m_voters = r->n_voters;
    }
    char b1[CELL + 32];
    for (size_t c = 0; c < nc; c++) {
        int w = (int)strnlen(cols[c].method, NAME_CUT);
        for (size_t j = 0; j < cols[c].n && j < (size_t)top; j++) {
            cell_text(&k->rows[cols[c].first + j], m_voters, b1, sizeof b1);
            w = (int)strlen(b1) > w ? (int)strlen(b1) : w;
        }
        cols[c].width = w;
    }
    size_t shown = n_ckpt < (size_t)top ? n_ckpt : (size_t)top;
    fprintf(f, "task %s: the best %zu of %zu checkpoints", k->rows[a].task, shown, n_ckpt);
    if (has_cons)
        fprintf(f, " (consensus: mean rank over %d methods, lower = better)", m_voters);
    fprintf(f, "\nrank");
    for (size_t c = 0; c < nc; c++)
        fprintf(f, "  %-*.*s", c + 1 < nc ? cols[c].width : 0, NAME_CUT, cols[c].method);
    fputc('\n', f);
    for (size_t j = 0; j < shown; j++) {
        fprintf(f, "%4zu", j + 1);
        for (size_t c = 0; c < nc; c++) {
            b1[0] = '\0';
            if (j < cols[c].n)
                cell_text(&k->rows[cols[c].first + j], m_voters, b1, sizeof b1);
            fprintf(f, "  %-*s", c + 1 < nc ? cols[c].width : 0, b1);
        }
        fputc('\n', f);
    }
}

void ckr_ranking_print(FILE *f, const ckr_ranking *k, int top)
{
    if (top < 1)
        top = 1;
    for (size_t a = 0; a < k->n_rows;) {
        size_t b = a + 1;
        while (b < k->n_rows && strcmp(k->rows[b].task, k->rows[a].task) == 0)
            b++;
        if (a > 0)
            fputc('\n', f);
        print_task(f, k, a, b, top);
        a = b;
    }
}

/* ---- CSV ---------------------------------------------------------------------------- */

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

int ckr_ranking_write_csv(const char *path, const ckr_ranking *k, ckr_err *err)
{
    ckr_fsout o;
    int rc = ckr_fsout_open(&o, path, err);
    if (rc)
        return rc;
    fputs("task,method,rank,checkpoint,score\n", o.f);
    for (size_t i = 0; i < k->n_rows; i++) {
        const ckr_rank_row *r = &k->rows[i];
        csv_field(o.f, r->task);
        fputc(',', o.f);
        csv_field(o.f, r->method);
        fprintf(o.f, ",%.17g,", r->rank);
        csv_field(o.f, r->ckpt);
        fprintf(o.f, ",%.17g\n", r->score);
    }
    return ckr_fsout_commit(&o, err);
}

/* ---- agreement matrices ----------------------------------------------------------- */

const char *ckr_agree_task(const ckr_ranking *k, size_t i)
{
    size_t n = 0;
    for (size_t a = 0; a < k->n_agree; a++)
        if (a == 0 || strcmp(k->agree[a].task, k->agree[a - 1].task) != 0) {
            if (n++ == i)
                return k->agree[a].task;
        }
    return NULL;
}

static size_t index_of(const char **names, size_t *m, const char *name)
{
    for (size_t i = 0; i < *m; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    if (*m >= CKR_AGREE_MAX)
        return (size_t)-1;
    names[*m] = name;
    return (*m)++;
}

size_t ckr_agree_matrix(const ckr_ranking *k, const char *task, const char **names, double *tau,
                        int *n_common)
{
    size_t m = 0;
    for (size_t a = 0; a < k->n_agree; a++)
        if (strcmp(k->agree[a].task, task) == 0) {
            index_of(names, &m, k->agree[a].method_a);
            index_of(names, &m, k->agree[a].method_b);
        }
    for (size_t i = 0; i < m * m; i++) {
        tau[i] = NAN;
        n_common[i] = 0;
    }
    for (size_t i = 0; i < m; i++)
        tau[i * m + i] = 1.0;
    for (size_t a = 0; a < k->n_agree; a++) {
        const ckr_agree_row *q = &k->agree[a];
        if (strcmp(q->task, task) != 0)
            continue;
        size_t i = index_of(names, &m, q->method_a), j = index_of(names, &m, q->method_b);
        if (i == (size_t)-1 || j == (size_t)-1)
            continue;
        tau[i * m + j] = tau[j * m + i] = q->tau;
        n_common[i * m + j] = n_common[j * m + i] = q->n_common;
    }
    return m;
}
