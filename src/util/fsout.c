/* fsout.c -- temporary-name-then-rename output files (see fsout.h). */
#include "util/fsout.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ckr_fsout_open(ckr_fsout *o, const char *path, ckr_err *err)
{
    memset(o, 0, sizeof *o);
    if (!path || !path[0])
        return ckr_err_set(err, CKR_EARG, "empty output file name");
    if (strlen(path) >= sizeof o->path)
        return ckr_err_set(err, CKR_EARG, "%.200s...: output file name too long", path);
    snprintf(o->path, sizeof o->path, "%s", path);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        /* a device or pipe (/dev/stdout, a FIFO): written directly, nothing to rename */
        o->f = fopen(path, "wb");
        if (!o->f)
            return ckr_err_set(err, CKR_EIO, "%s: cannot open for writing: %s", path,
                               strerror(errno));
        o->direct = 1;
        return 0;
    }
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp, "wb");
    if (!o->f) {
        int e = errno;
        o->tmp[0] = '\0';
        return ckr_err_set(err, CKR_EIO, "%s: cannot create %s.tmp.%ld: %s", path, path,
                           (long)getpid(), strerror(e));
    }
    return 0;
}

/* A file that replaces another keeps its permission bits. */
static int keep_mode(const ckr_fsout *o)
{
    struct stat st;
    if (stat(o->path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    return fchmod(fileno(o->f), st.st_mode & 07777);
}

void ckr_fsout_abort(ckr_fsout *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp[0])
        unlink(o->tmp);
    o->tmp[0] = '\0';
}

void ckr_fsout_sync_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int ckr_fsout_commit(ckr_fsout *o, ckr_err *err)
{
    if (!o->f) {
        ckr_fsout_abort(o);
        return ckr_err_set(err, CKR_EIO, "%s: output was not open", o->path);
    }
    const char *what = "writing";
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f)) {
        e = errno ? errno : EIO;
    } else if (!o->direct && keep_mode(o) != 0) {
        e = errno;
        what = "setting the permissions of";
    } else if (fsync(fileno(o->f)) != 0 && errno != EINVAL && errno != EROFS) {
        e = errno; /* EINVAL/EROFS: a special file that cannot be synced */
        what = "syncing";
    }
    if (fclose(o->f) != 0 && !e) {
        e = errno ? errno : EIO;
        what = "closing";
    }
    o->f = NULL;
    if (!e && o->direct)
        return 0;
    if (!e && rename(o->tmp, o->path) != 0) {
        e = errno;
        what = "renaming into place";
        int rc = ckr_err_set(err, CKR_EIO, "%s: %s %s failed: %s", o->path, what, o->tmp,
                             strerror(e));
        ckr_fsout_abort(o);
        return rc;
    }
    if (e) {
        int rc = ckr_err_set(err, CKR_EIO, "%s: %s failed: %s (nothing written)", o->path, what,
                             strerror(e));
        ckr_fsout_abort(o);
        return rc;
    }
    o->tmp[0] = '\0';
    ckr_fsout_sync_dir(o->path);
    return 0;
}

int ckr_fsout_write_file(const char *path, const void *buf, size_t n, ckr_err *err)
{
    ckr_fsout o;
    int rc = ckr_fsout_open(&o, path, err);
    if (rc)
        return rc;
    if (n && fwrite(buf, 1, n, o.f) != n) {
        int e = errno ? errno : EIO;
        ckr_fsout_abort(&o);
        return ckr_err_set(err, CKR_EIO, "%s: writing failed: %s (nothing written)", path,
                           strerror(e));
    }
    return ckr_fsout_commit(&o, err);
}
