/* link.c -- `ckptrank link`: a zoo whose pairs are external links into part
 * zoos (contract in zoo/link.h). */
#include "zoo/link.h"

#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/h5attr.h"
#include "zoo/fileout.h"
#include "zoo/h5util.h"

/* A task seen in an earlier part: its labels, to compare later parts with. */
typedef struct seen_task {
    char name[CKR_NAME_MAX];
    size_t part;
    ckr_zoo_taskdata td;
} seen_task;

/* A pair linked so far, to name both parts of a duplicate. */
typedef struct seen_pair {
    char ckpt[CKR_NAME_MAX], task[CKR_NAME_MAX];
    size_t part;
} seen_pair;

typedef struct linker {
    const char *out;
    const char *const *parts;
    char **rel;             /* each part's path relative to out's directory */
    hid_t file;             /* the temporary out */
    hid_t tasks, ckpts;     /* its /tasks and /checkpoints */
    int minor;
    seen_task *t;
    size_t nt;
    seen_pair *p;
    size_t np, capp;
    size_t nckpts;
    ckr_err *err;
} linker;

/* ---- paths ------------------------------------------------------------ */

/* The real directory of path (which need not exist itself). */
static int real_dir_of(const char *path, char *dir, size_t cap, ckr_err *err)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    char *slash = strrchr(tmp, '/');
    if (!slash)
        snprintf(tmp, sizeof tmp, ".");
    else if (slash == tmp)
        tmp[1] = '\0';
    else
        *slash = '\0';
    char real[PATH_MAX];
    if (!realpath(tmp, real))
        return ckr_err_set(err, CKR_EIO, "%s: directory %s: %s", path, tmp, strerror(errno));
    snprintf(dir, cap, "%s", real);
    return 0;
}

/* target relative to directory dir (both absolute and normalised by
 * realpath), malloc'd: "../" once per component of dir below the common
 * prefix, then the rest of target. */
static char *relative_to(const char *dir, const char *target)
{
    size_t common = 0; /* length of the common prefix of whole components */
    for (size_t i = 1;; i++) {
        char a = dir[i], b = target[i];
        if ((a == '/' || a == '\0') && (b == '/' || b == '\0') && i > 1)
            common = i;
        if (a != b || a == '\0')
            break;
    }
    size_t ups = 0;
    if (strcmp(dir, "/") == 0)
        common = 0;
    else
        for (const char *s = dir + common; *s; s++)
            ups += *s == '/';
    const char *rest = target + common;
    while (*rest == '/')
        rest++;
    char *r = malloc(3 * ups + strlen(rest) + 1);
    if (!r)
        return NULL;
    r[0] = '\0';
    for (size_t k = 0; k < ups; k++)
        strcat(r, "../");
    strcat(r, rest);
    return r;
}

/* ---- attributes ------------------------------------------------------- */

typedef struct name_list {
    char **v;
    size_t n, cap;
} name_list;

static herr_t collect_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)loc;
    (void)info;
    name_list *l = data;
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 8;
        char **v = realloc(l->v, nc * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = nc;
    }
    if (!(l->v[l->n] = strdup(name)))
        return -1;
    l->n++;
    return 0;
}

/* Copy attribute name of src to dst, type and value as stored. */
static int copy_attr(hid_t src, hid_t dst, const char *name)
{
    hid_t a = H5Aopen(src, name, H5P_DEFAULT), t = -1, s = -1, b = -1;
    void *buf = NULL;
    int bad = 1;
    if (a < 0 || (t = H5Aget_type(a)) < 0 || (s = H5Aget_space(a)) < 0)
        goto cleanup;
    hssize_t np = H5Sget_simple_extent_npoints(s);
    size_t sz = H5Tget_size(t);
    if (np < 0 || sz == 0 || !(buf = calloc((size_t)(np ? np : 1), sz)))
        goto cleanup;
    if (H5Aread(a, t, buf) < 0)
        goto cleanup;
    b = H5Acreate2(dst, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    bad = b < 0 || H5Awrite(b, t, buf) < 0;
    if (H5Tdetect_class(t, H5T_VLEN) > 0 || H5Tis_variable_str(t) > 0)
        H5Dvlen_reclaim(t, s, H5P_DEFAULT, buf);
cleanup:
    free(buf);
    if (b >= 0)
        H5Aclose(b);
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return bad;
}

/* The checkpoint attributes a reader uses must agree between parts. */
static int attrs_agree(linker *L, hid_t src, hid_t dst, const char *ck, size_t part)
{
    static const char *const str[] = { "arch", "source" };
    for (int k = 0; k < 2; k++) {
        char a[512], b[512];
        if (ckr_h5_attr_string(src, str[k], a, sizeof a) == CKR_ATTR_OK &&
            ckr_h5_attr_string(dst, str[k], b, sizeof b) == CKR_ATTR_OK && strcmp(a, b) != 0)
            return ckr_err_set(L->err, CKR_EDATA, "/checkpoints/%s: attribute %s is \"%s\" in %s "
                               "but \"%s\" in an earlier part; refusing to link", ck, str[k], a,
                               L->parts[part], b);
    }
    double x, y;
    if (ckr_h5_attr_double(src, "num_params", &x) == CKR_ATTR_OK &&
        ckr_h5_attr_double(dst, "num_params", &y) == CKR_ATTR_OK && !(x == y))
        return ckr_err_set(L->err, CKR_EDATA, "/checkpoints/%s: attribute num_params is %.17g in "
                           "%s but %.17g in an earlier part; refusing to link", ck, x,
                           L->parts[part], y);
    return 0;
}

/* Copy src's attributes that dst does not have yet (after attrs_agree). */
static int merge_attrs(linker *L, hid_t src, hid_t dst, const char *obj, size_t part)
{
    name_list l = { NULL, 0, 0 };
    hsize_t idx = 0;
    int rc = 0;
    if (H5Aiterate2(src, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr, &l) < 0)
        rc = ckr_err_set(L->err, CKR_EIO, "%s: %s: cannot list the attributes", L->parts[part], obj);
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        if (H5Aexists(dst, l.v[i]) <= 0 && copy_attr(src, dst, l.v[i]))
            rc = ckr_err_set(L->err, CKR_EIO, "%s: %s: cannot copy attribute %s", L->parts[part],
                             obj, l.v[i]);
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
    return rc;
}

/* ---- tasks ------------------------------------------------------------ */

/* -1 when equal, else the first differing row (a->n when the counts differ). */
static long labels_differ(const ckr_labels *a, const ckr_labels *b, ckr_task_kind kind, int C)
{
    if (a->n != b->n)
        return (long)(a->n < b->n ? a->n : b->n);
    for (size_t i = 0; i < a->n; i++) {
        if (kind == CKR_MULTILABEL) {
            if (memcmp(a->Y + i * (size_t)C, b->Y + i * (size_t)C, (size_t)C) != 0)
                return (long)i;
        } else if (a->y[i] != b->y[i]) {
            return (long)i;
        }
    }
    return -1;
}

static int compare_task(linker *L, const seen_task *old, const ckr_zoo_taskdata *td, size_t part,
                        const char *task)
{
    const char *fa = L->parts[old->part], *fb = L->parts[part];
    if (td->kind != old->td.kind || td->num_classes != old->td.num_classes)
        return ckr_err_set(L->err, CKR_EDATA, "/tasks/%s: %s has %s with %d classes, %s has %s "
                           "with %d classes; the task's labels must agree across parts", task,
                           fa, old->td.kind == CKR_MULTILABEL ? "multilabel" : "multiclass",
                           old->td.num_classes, fb,
                           td->kind == CKR_MULTILABEL ? "multilabel" : "multiclass", td->num_classes);
    static const char *const dn[] = { "train_labels", "val_labels", "test_labels" };
    const ckr_labels *la[] = { &old->td.train, &old->td.val, &old->td.test };
    const ckr_labels *lb[] = { &td->train, &td->val, &td->test };
    for (int k = 0; k < 3; k++) {
        long row = labels_differ(la[k], lb[k], td->kind, td->num_classes);
        if (row < 0)
            continue;
        if (la[k]->n != lb[k]->n)
            return ckr_err_set(L->err, CKR_EDATA, "/tasks/%s/%s: %zu labels in %s, %zu in %s; the "
                               "task's labels must agree across parts", task, dn[k], la[k]->n,
                               fa, lb[k]->n, fb);
        return ckr_err_set(L->err, CKR_EDATA, "/tasks/%s/%s: differs between %s and %s (first "
                           "at row %ld); the task's labels must agree across parts", task, dn[k],
                           fa, fb, row);
    }
    return 0;
}

static int link_tasks(linker *L, hid_t pf, size_t part)
{
    const char *pname = L->parts[part];
    hid_t tg = H5Gopen2(pf, "tasks", H5P_DEFAULT);
    if (tg < 0)
        return ckr_err_set(L->err, CKR_EFORMAT, "%s: /tasks: group is missing", pname);
    char **names = NULL;
    size_t n = 0;
    int rc = ckr_h5_list_names(tg, &names, &n);
    if (rc)
        rc = ckr_err_set(L->err, rc, "%s: /tasks: cannot list the group", pname);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        ckr_zoo_taskdata td;
        ckr_zrep r;
        ckr_zrep_init(&r, pname, NULL, NULL, 1);
        memset(&td, 0, sizeof td);
        if (ckr_zoo_check_task(tg, names[i], 1, 1, &td, &r) > 0) {
            rc = ckr_zrep_to_err(&r, L->err);
            ckr_zoo_taskdata_free(&td);
            break;
        }
        seen_task *old = NULL;
        for (size_t k = 0; k < L->nt; k++)
            if (strcmp(L->t[k].name, names[i]) == 0)
                old = &L->t[k];
        if (old) {
            rc = compare_task(L, old, &td, part, names[i]);
            ckr_zoo_taskdata_free(&td);
            continue;
        }
        seen_task *nt = realloc(L->t, (L->nt + 1) * sizeof *nt);
        if (!nt) {
            ckr_zoo_taskdata_free(&td);
            rc = ckr_err_set(L->err, CKR_ENOMEM, "%s: out of memory", L->out);
            break;
        }
        L->t = nt;
        seen_task *s = &L->t[L->nt++];
        ckr_zoo_copy_str(s->name, sizeof s->name, names[i]);
        s->part = part;
        s->td = td;
        if (H5Ocopy(tg, names[i], L->tasks, names[i], H5P_DEFAULT, H5P_DEFAULT) < 0)
            rc = ckr_err_set(L->err, CKR_EIO, "%s: /tasks/%s: cannot copy into %s", pname,
                             names[i], L->out);
    }
    ckr_h5_free_names(names, n);
    H5Gclose(tg);
    return rc;
}

/* ---- checkpoints and pairs -------------------------------------------- */

static int add_pair(linker *L, hid_t cg_out, const char *ck, const char *task, size_t part)
{
    for (size_t k = 0; k < L->np; k++)
        if (strcmp(L->p[k].ckpt, ck) == 0 && strcmp(L->p[k].task, task) == 0)
            return ckr_err_set(L->err, CKR_EDATA, "/checkpoints/%s/%s: pair defined twice, in %s "
                               "and in %s; refusing to link", ck, task, L->parts[L->p[k].part],
                               L->parts[part]);
    if (L->np == L->capp) {
        size_t nc = L->capp ? 2 * L->capp : 64;
        seen_pair *p = realloc(L->p, nc * sizeof *p);
        if (!p)
            return ckr_err_set(L->err, CKR_ENOMEM, "%s: out of memory", L->out);
        L->p = p;
        L->capp = nc;
    }
    seen_pair *s = &L->p[L->np++];
    ckr_zoo_copy_str(s->ckpt, sizeof s->ckpt, ck);
    ckr_zoo_copy_str(s->task, sizeof s->task, task);
    s->part = part;
    char obj[CKR_ZOO_OBJ_MAX];
    snprintf(obj, sizeof obj, "/checkpoints/%s/%s", ck, task);
    if (H5Lcreate_external(L->rel[part], obj, cg_out, task, H5P_DEFAULT, H5P_DEFAULT) < 0)
        return ckr_err_set(L->err, CKR_EIO, "%s: %s: cannot create the external link to %s",
                           L->out, obj, L->parts[part]);
    return 0;
}

static int link_ckpt(linker *L, hid_t cks, const char *ck, size_t part)
{
    const char *pname = L->parts[part];
    char cpath[CKR_ZOO_OBJ_MAX];
    snprintf(cpath, sizeof cpath, "/checkpoints/%s", ck);
    if (ckr_h5_child_kind(cks, ck) != CKR_H5_GROUP)
        return ckr_err_set(L->err, CKR_EFORMAT, "%s: %s: is not a checkpoint group", pname, cpath);
    hid_t cg = H5Gopen2(cks, ck, H5P_DEFAULT), co = -1;
    char **kids = NULL;
    size_t nk = 0;
    int rc = 0;
    if (cg < 0) {
        return ckr_err_set(L->err, CKR_EIO, "%s: %s: cannot open group", pname, cpath);
    }
    int exists = H5Lexists(L->ckpts, ck, H5P_DEFAULT) > 0;
    co = exists ? H5Gopen2(L->ckpts, ck, H5P_DEFAULT)
                : H5Gcreate2(L->ckpts, ck, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (co < 0) {
        rc = ckr_err_set(L->err, CKR_EIO, "%s: %s: cannot create the group", L->out, cpath);
        goto cleanup;
    }
    if (!exists)
        L->nckpts++;
    if ((rc = attrs_agree(L, cg, co, ck, part)) || (rc = merge_attrs(L, cg, co, cpath, part)))
        goto cleanup;
    if ((rc = ckr_h5_list_names(cg, &kids, &nk))) {
        rc = ckr_err_set(L->err, rc, "%s: %s: cannot list the group", pname, cpath);
        goto cleanup;
    }
    for (size_t j = 0; rc == 0 && j < nk; j++)
        rc = add_pair(L, co, ck, kids[j], part);
cleanup:
    ckr_h5_free_names(kids, nk);
    if (co >= 0)
        H5Gclose(co);
    H5Gclose(cg);
    return rc;
}

static int link_part(linker *L, size_t part)
{
    const char *pname = L->parts[part];
    struct stat sb;
    if (stat(pname, &sb) != 0)
        return ckr_err_set(L->err, CKR_EIO, "%s: cannot open: %s", pname, strerror(errno));
    hid_t pf = H5Fopen(pname, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (pf < 0) {
        int sig = ckr_h5_has_signature(pname);
        return ckr_err_set(L->err, sig == 0 ? CKR_EFORMAT : CKR_EIO, "%s: %s", pname,
                           sig == 0 ? "not an HDF5 file (no HDF5 signature)"
                                    : "cannot open as HDF5 (truncated or corrupt?)");
    }
    ckr_zrep r;
    ckr_zrep_init(&r, pname, NULL, NULL, 1);
    int minor = 0, rc = 0;
    char **cks = NULL;
    size_t nc = 0;
    hid_t cg = -1;
    if (ckr_zoo_check_root(pf, &minor, &r) > 0) {
        rc = ckr_zrep_to_err(&r, L->err);
        goto cleanup;
    }
    if (minor > L->minor)
        L->minor = minor;
    if ((rc = link_tasks(L, pf, part)))
        goto cleanup;
    if ((cg = H5Gopen2(pf, "checkpoints", H5P_DEFAULT)) < 0) {
        rc = ckr_err_set(L->err, CKR_EFORMAT, "%s: /checkpoints: group is missing", pname);
        goto cleanup;
    }
    if ((rc = ckr_h5_list_names(cg, &cks, &nc))) {
        rc = ckr_err_set(L->err, rc, "%s: /checkpoints: cannot list the group", pname);
        goto cleanup;
    }
    for (size_t i = 0; rc == 0 && i < nc; i++)
        rc = link_ckpt(L, cg, cks[i], part);
cleanup:
    ckr_h5_free_names(cks, nc);
    if (cg >= 0)
        H5Gclose(cg);
    H5Fclose(pf);
    return rc;
}

/* ---- the linked zoo --------------------------------------------------- */

static int write_root(linker *L)
{
    int v = CKR_ZOO_VERSION;
    if (ckr_h5_attr_write_str(L->file, "format", CKR_ZOO_FORMAT) ||
        ckr_h5_attr_write(L->file, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &v, 0) ||
        ckr_h5_attr_write(L->file, "format_minor", H5T_STD_I32LE, H5T_NATIVE_INT, &L->minor, 0) ||
        ckr_h5_attr_write_str(L->file, "created_by", "ckptrank link"))
        return ckr_err_set(L->err, CKR_EIO, "%s: /: cannot write the root attributes", L->out);
    return 0;
}

static int link_all(linker *L, size_t n, const char *tmp)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fcpl >= 0)
        H5Pset_link_creation_order(fcpl, 0);
    if (fapl >= 0)
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    L->file = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fcpl);
    H5Pclose(fapl);
    if (L->file < 0)
        return ckr_err_set(L->err, CKR_EIO, "%s: cannot create the temporary file %s", L->out, tmp);
    int rc = 0;
    L->tasks = H5Gcreate2(L->file, "tasks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    L->ckpts = H5Gcreate2(L->file, "checkpoints", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (L->tasks < 0 || L->ckpts < 0)
        rc = ckr_err_set(L->err, CKR_EIO, "%s: cannot create /tasks and /checkpoints", L->out);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = link_part(L, i);
    if (rc == 0)
        rc = write_root(L);
    if (L->tasks >= 0)
        H5Gclose(L->tasks);
    if (L->ckpts >= 0)
        H5Gclose(L->ckpts);
    if (H5Fclose(L->file) < 0 && rc == 0)
        rc = ckr_err_set(L->err, CKR_EIO, "%s: cannot write %s", L->out, tmp);
    return rc;
}

int ckr_zoo_link(const char *out, const char *const *parts, size_t n, int force,
                 ckr_link_stats *st, ckr_err *err)
{
    ckr_h5_quiet();
    if (!out || !*out || n == 0)
        return ckr_err_set(err, CKR_EARG, "link: expected an output zoo and at least one part");
    struct stat sb;
    if (!force && stat(out, &sb) == 0)
        return ckr_err_set(err, CKR_EARG, "%s: exists; refusing to replace it (use --force)", out);
    linker L;
    memset(&L, 0, sizeof L);
    L.out = out;
    L.parts = parts;
    L.err = err;
    L.file = L.tasks = L.ckpts = -1;
    char dir[PATH_MAX], tmp[PATH_MAX + 64];
    int rc = real_dir_of(out, dir, sizeof dir, err);
    if (rc == 0 && !(L.rel = calloc(n, sizeof *L.rel)))
        rc = ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", out);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char real[PATH_MAX];
        if (!realpath(parts[i], real))
            rc = ckr_err_set(err, CKR_EIO, "%s: cannot open: %s", parts[i], strerror(errno));
        else if (!(L.rel[i] = relative_to(dir, real)))
            rc = ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", out);
    }
    if (rc == 0) {
        snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld", dir,
                 strrchr(out, '/') ? strrchr(out, '/') + 1 : out, (long)getpid());
        rc = link_all(&L, n, tmp);
        if (rc == 0) {
            char final[PATH_MAX + 64];
            const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
            snprintf(final, sizeof final, "%s/%s", dir, base);
            rc = ckr_zoo_commit_temp(tmp, final, err);
        } else {
            unlink(tmp);
        }
    }
    if (rc == 0 && st) {
        st->n_tasks = L.nt;
        st->n_ckpts = L.nckpts;
        st->n_pairs = L.np;
    }
    for (size_t i = 0; L.rel && i < n; i++)
        free(L.rel[i]);
    free(L.rel);
    for (size_t k = 0; k < L.nt; k++)
        ckr_zoo_taskdata_free(&L.t[k].td);
    free(L.t);
    free(L.p);
    return rc;
}
