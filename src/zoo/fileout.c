/* fileout.c -- zoo files through a temporary name (see fileout.h). */
#include "zoo/fileout.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fsout.h"

static int temp_name(const char *final, char *tmp, size_t cap)
{
    int w = snprintf(tmp, cap, "%s.tmp.%ld", final, (long)getpid());
    return w > 0 && (size_t)w < cap ? 0 : -1;
}

/* write all of buf to fd; returns 0 or -1 with errno set */
static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* fsync the directory holding path (best effort: some file systems refuse) */
int ckr_zoo_commit_temp(const char *tmp, const char *final, ckr_err *err)
{
    int fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        return ckr_err_set(err, CKR_EIO, "%s: cannot sync the temporary file %s: %s", final, tmp,
                           strerror(e));
    }
    close(fd);
    if (rename(tmp, final) != 0) {
        int e = errno;
        unlink(tmp);
        return ckr_err_set(err, CKR_EIO, "%s: cannot rename %s into place: %s", final, tmp,
                           strerror(e));
    }
    ckr_fsout_sync_dir(final);
    return 0;
}

/* Copy in to out (both open); returns 0 or -1 with errno set. */
static int copy_fd(int in, int out)
{
    char *buf = malloc(1 << 20);
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    int rc = 0;
    for (;;) {
        ssize_t r = read(in, buf, 1 << 20);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -1;
            break;
        }
        if (r == 0)
            break;
        if (write_all(out, buf, (size_t)r) != 0) {
            rc = -1;
            break;
        }
    }
    int e = errno;
    free(buf);
    errno = e;
    return rc;
}

int ckr_zoo_copy_to_temp(const char *path, size_t reserve, char *tmp, char *final, size_t cap,
                         ckr_err *err)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return ckr_err_set(err, CKR_EIO, "%s: cannot resolve the file name: %s", path,
                           strerror(errno));
    if (snprintf(final, cap, "%s", real) >= (int)cap || temp_name(real, tmp, cap) != 0)
        return ckr_err_set(err, CKR_EIO, "%s: file name too long", path);
    int in = open(real, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (in < 0 || fstat(in, &st) != 0) {
        int e = errno;
        if (in >= 0)
            close(in);
        return ckr_err_set(err, CKR_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
    if (out < 0) {
        int e = errno;
        close(in);
        return ckr_err_set(err, CKR_EIO, "%s: cannot create the copy %s: %s", path, tmp,
                           strerror(e));
    }
    int rc = copy_fd(in, out);
    int e = errno;
    if (rc == 0 && fchmod(out, st.st_mode & 07777) != 0) /* the umask narrowed it */
        rc = -1, e = errno;
    if (rc == 0 && reserve > 0) {
        int fe = posix_fallocate(out, st.st_size, (off_t)reserve);
        if (fe != 0)
            rc = -1, e = fe;
    }
    if (rc == 0 && fsync(out) != 0)
        rc = -1, e = errno;
    if (close(out) != 0 && rc == 0)
        rc = -1, e = errno;
    close(in);
    if (rc != 0) {
        unlink(tmp);
        return ckr_err_set(err, CKR_EIO, "%s: cannot copy to %s: %s", path, tmp, strerror(e));
    }
    return 0;
}
