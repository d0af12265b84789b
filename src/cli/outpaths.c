/* outpaths.c -- refuse outputs that would clobber an input or each other
 * (see cli_check_paths in cmdutil.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cmdutil.h"

/* What names one file: its (device, inode) when it exists, else the
 * canonical path of its directory joined with its last component. */
typedef struct file_id {
    int exists;
    dev_t dev;
    ino_t ino;
    char canon[PATH_MAX + 256];
} file_id;

static void identify(const char *path, file_id *id)
{
    struct stat st;
    memset(id, 0, sizeof *id);
    if (stat(path, &st) == 0) {
        id->exists = 1;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        return;
    }
    /* not there yet: its directory's real path + its name */
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX], real[PATH_MAX];
    const char *base = slash ? slash + 1 : path;
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (realpath(dir, real))
        snprintf(id->canon, sizeof id->canon, "%s/%s", real, base);
    else
        snprintf(id->canon, sizeof id->canon, "%s", path);
}

static int same_file(const file_id *a, const file_id *b)
{
    if (a->exists || b->exists)
        return a->exists && b->exists && a->dev == b->dev && a->ino == b->ino;
    return strcmp(a->canon, b->canon) == 0;
}

/* Rank 0's verdict; returns CKR_EXIT_OK or CKR_EXIT_USAGE after printing. */
static int verdict(const cli_cmd *c, const cli_path *in, size_t nin, const cli_path *out,
                   size_t nout)
{
    file_id *ids = calloc(nin + nout + 1, sizeof *ids);
    if (!ids) {
        cli_error(c, "out of memory checking the file names");
        return CKR_EXIT_ERROR;
    }
    int status = CKR_EXIT_OK;
    for (size_t i = 0; i < nout && status == CKR_EXIT_OK; i++)
        if (out[i].path && !out[i].path[0]) {
            cli_error(c, "%s: empty file name", out[i].opt);
            status = CKR_EXIT_USAGE;
        }
    for (size_t i = 0; i < nin && status == CKR_EXIT_OK; i++)
        if (in[i].path)
            identify(in[i].path, &ids[i]);
    for (size_t i = 0; i < nout && status == CKR_EXIT_OK; i++) {
        if (!out[i].path)
            continue;
        file_id *o = &ids[nin + i];
        identify(out[i].path, o);
        for (size_t j = 0; j < nin && status == CKR_EXIT_OK; j++)
            if (in[j].path && ids[j].exists && same_file(o, &ids[j])) {
                cli_error(c, "%s %s is the input %s%s%s: refusing to overwrite it", out[i].opt,
                          out[i].path, in[j].opt, in[j].opt[0] ? " " : "", in[j].path);
                status = CKR_EXIT_USAGE;
            }
        for (size_t j = 0; j < i && status == CKR_EXIT_OK; j++)
            if (out[j].path && same_file(o, &ids[nin + j])) {
                cli_error(c, "%s %s and %s %s are the same file: give each output its own name",
                          out[j].opt, out[j].path, out[i].opt, out[i].path);
                status = CKR_EXIT_USAGE;
            }
    }
    free(ids);
    return status;
}

int cli_check_paths(const cli_cmd *c, const cli_path *in, size_t nin, const cli_path *out,
                    size_t nout)
{
    int status = c->rank == 0 ? verdict(c, in, nin, out, nout) : CKR_EXIT_OK;
    if (MPI_Bcast(&status, 1, MPI_INT, 0, c->comm) != MPI_SUCCESS)
        return CKR_EXIT_ERROR;
    return status;
}
