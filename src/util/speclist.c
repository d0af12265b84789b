/* speclist.c -- method-spec lists as text: split a list, expand sweeps. */
#include "util/speclist.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- splitting a list -------------------------------------------------- */

/* Does the piece [p, p + len) start a new spec (rather than continue the
 * previous one with a bare key=value)? */
static int starts_spec(const char *p, size_t len)
{
    const char *colon = memchr(p, ':', len);
    const char *eq = memchr(p, '=', len);
    return !eq || (colon && colon < eq);
}

int ckr_speclist_next(const char **cursor, char *spec, ckr_err *err)
{
    const char *p = *cursor ? *cursor : "";
    size_t used = 0;
    spec[0] = '\0';
    while (*p) {
        if (*p == ',') { /* an empty piece is no piece at all */
            p++;
            continue;
        }
        const char *piece = p;
        while (isspace((unsigned char)*piece))
            piece++;
        size_t len = strcspn(piece, ",");
        int new_spec = len == 0 || starts_spec(piece, len);
        if (new_spec && used > 0)
            break; /* the next call starts here */
        p = piece + len;
        if (len == 0)
            continue; /* a blank piece before any spec */
        if (!new_spec && used == 0)
            return ckr_err_set(err, CKR_EARG, "method list: '%.*s' has no method name", (int)len,
                               piece);
        if (used + (used > 0) + len >= CKR_SPEC_TEXT_MAX)
            return ckr_err_set(err, CKR_EARG, "method spec too long: '%.40s...'",
                               used ? spec : piece);
        if (used > 0)
            spec[used++] = ',';
        memcpy(spec + used, piece, len);
        used += len;
        spec[used] = '\0';
    }
    *cursor = p;
    return 0;
}

/* ---- sweeps ------------------------------------------------------------ */

typedef struct grid_walk {
    const char *spec;   /* the user's spec */
    const char *sweep;  /* spec when it has a sweep, else "" */
    int (*visit)(const char *point, const char *sweep, void *arg);
    void *arg;
    ckr_err *err;
} grid_walk;

/* Expand the first sweep value of text, recursively, in the user's key order. */
static int grid_from(const grid_walk *g, const char *text)
{
    const char *bar = strchr(text, '|');
    if (!bar)
        return g->visit(text, g->sweep, g->arg);
    /* the value holding this '|' spans from after its '=' to the next ',' or the end */
    const char *start = bar;
    while (start > text && start[-1] != '=')
        start--;
    const char *end = bar;
    while (*end && *end != ',')
        end++;
    char point[CKR_SPEC_TEXT_MAX];
    for (const char *a = start; a < end;) {
        const char *b = memchr(a, '|', (size_t)(end - a));
        size_t n = b ? (size_t)(b - a) : (size_t)(end - a);
        if (n == 0)
            return ckr_err_set(g->err, CKR_EARG, "method '%s': empty value in a sweep", g->spec);
        int w = snprintf(point, sizeof point, "%.*s%.*s%s", (int)(start - text), text, (int)n, a,
                         end);
        if (w < 0 || (size_t)w >= sizeof point)
            return ckr_err_set(g->err, CKR_EARG, "method '%s': spec too long", g->spec);
        int rc = grid_from(g, point);
        if (rc)
            return rc;
        a = b ? b + 1 : end;
    }
    return 0;
}

int ckr_speclist_grid(const char *spec, int (*visit)(const char *point, const char *sweep,
                                                     void *arg),
                      void *arg, ckr_err *err)
{
    grid_walk g = { spec, strchr(spec, '|') ? spec : "", visit, arg, err };
    return grid_from(&g, spec);
}

int ckr_speclist_check_unique(const ckr_spec_point *points, size_t n, ckr_err *err)
{
    if (n == 0)
        return ckr_err_set(err, CKR_EARG, "no method given");
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(points[i].text, points[j].text) == 0)
                return ckr_err_set(err, CKR_EARG, "method '%s' listed twice", points[i].text);
    return 0;
}

/* ---- a whole list ------------------------------------------------------ */

typedef struct point_list {
    ckr_spec_point *v;
    size_t n, cap;
    ckr_err *err;
} point_list;

static int push_point(const char *point, const char *sweep, void *arg)
{
    point_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        ckr_spec_point *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return ckr_err_set(l->err, CKR_ENOMEM, "out of memory expanding method specs");
        l->v = v;
        l->cap = cap;
    }
    ckr_spec_point *p = &l->v[l->n++];
    snprintf(p->text, sizeof p->text, "%s", point);
    snprintf(p->sweep, sizeof p->sweep, "%s", sweep);
    return 0;
}

int ckr_speclist_expand(const char *list, ckr_spec_point **out, size_t *n, ckr_err *err)
{
    point_list l = { NULL, 0, 0, err };
    char spec[CKR_SPEC_TEXT_MAX];
    const char *cursor = list;
    int rc;
    while (!(rc = ckr_speclist_next(&cursor, spec, err)) && spec[0])
        if ((rc = ckr_speclist_grid(spec, push_point, &l, err)))
            break;
    if (!rc)
        rc = ckr_speclist_check_unique(l.v, l.n, err);
    if (rc) {
        free(l.v);
        return rc;
    }
    *out = l.v;
    *n = l.n;
    return 0;
}
