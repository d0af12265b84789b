/* npz.c -- reading a .npy file or a member of an .npz (zip) archive into
 * memory (see npy.h): the zip central directory (zip64 included), stored and
 * deflated members (zlib), CRC-32 checks. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "zoo/npy.h"

typedef struct member {
    char name[256];
    int method, flags;
    uint32_t crc;
    uint64_t csize, usize, offset;
} member;

static uint32_t le16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const unsigned char *p) { return le16(p) | le16(p + 2) << 16; }
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* Map the whole file read-only (no copy of a large .npy in memory);
 * *buf NULL for an empty file. Unmap with munmap(*buf, *len). */
static int map_file(const char *path, unsigned char **buf, size_t *len, ckr_err *err)
{
    *buf = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ckr_err_set(err, CKR_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ckr_err_set(err, CKR_EIO, "%s: not a regular file", path);
    }
    if (st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            return ckr_err_set(err, CKR_EIO, "%s: cannot read: %s", path, strerror(e));
        }
        *buf = m;
        *len = (size_t)st.st_size;
    }
    close(fd);
    return 0;
}

/* Locate the central directory: *cd offset, *count entries. */
static int find_cd(const unsigned char *b, size_t len, const char *path, uint64_t *cd,
                   uint64_t *count, ckr_err *err)
{
    if (len < 22)
        return ckr_err_set(err, CKR_EFORMAT, "%s: truncated zip archive", path);
    size_t e = len - 22, stop = len - 22 > 65535 ? len - 22 - 65535 : 0;
    for (;; e--) {
        if (le32(b + e) == 0x06054b50)
            break;
        if (e == stop)
            return ckr_err_set(err, CKR_EFORMAT, "%s: not a valid zip archive (no end of "
                               "central directory)", path);
    }
    *count = le16(b + e + 10);
    *cd = le32(b + e + 16);
    if ((*count == 0xffff || *cd == 0xffffffffu) && e >= 20 && le32(b + e - 20) == 0x07064b50) {
        uint64_t z = le64(b + e - 20 + 8);
        if (z > len || len - z < 56 || le32(b + z) != 0x06064b50)
            return ckr_err_set(err, CKR_EFORMAT, "%s: bad zip64 end of central directory", path);
        *count = le64(b + z + 32);
        *cd = le64(b + z + 48);
    }
    if (*cd > len)
        return ckr_err_set(err, CKR_EFORMAT, "%s: the zip central directory lies beyond the end "
                           "of the file (truncated)", path);
    return 0;
}

/* Parse the central-directory entry at *pos into m, advancing *pos. */
static int cd_entry(const unsigned char *b, size_t len, uint64_t *pos, member *m,
                    const char *path, ckr_err *err)
{
    uint64_t p = *pos;
    if (len - p < 46 || le32(b + p) != 0x02014b50)
        return ckr_err_set(err, CKR_EFORMAT, "%s: bad zip central directory entry", path);
    size_t nl = le16(b + p + 28), xl = le16(b + p + 30), cl = le16(b + p + 32);
    if (len - p - 46 < nl + xl + cl)
        return ckr_err_set(err, CKR_EFORMAT, "%s: truncated zip central directory", path);
    memset(m, 0, sizeof *m);
    m->flags = (int)le16(b + p + 8);
    m->method = (int)le16(b + p + 10);
    m->crc = le32(b + p + 16);
    m->csize = le32(b + p + 20);
    m->usize = le32(b + p + 24);
    m->offset = le32(b + p + 42);
    snprintf(m->name, sizeof m->name, "%.*s", (int)(nl < 255 ? nl : 255), (const char *)b + p + 46);
    const unsigned char *x = b + p + 46 + nl, *xe = x + xl;
    while (xe - x >= 4) { /* zip64 extra: the fields that are 0xffffffff, in order */
        size_t id = le16(x), sz = le16(x + 2);
        const unsigned char *d = x + 4;
        if ((size_t)(xe - d) < sz)
            break;
        if (id == 1) {
            const unsigned char *de = d + sz;
            if (m->usize == 0xffffffffu && de - d >= 8)
                m->usize = le64(d), d += 8;
            if (m->csize == 0xffffffffu && de - d >= 8)
                m->csize = le64(d), d += 8;
            if (m->offset == 0xffffffffu && de - d >= 8)
                m->offset = le64(d);
        }
        x += 4 + sz;
    }
    *pos = p + 46 + nl + xl + cl;
    return 0;
}

/* Decompress / copy member m of the archive into a new buffer. */
static int member_data(const unsigned char *b, size_t len, const member *m, const char *name,
                       unsigned char **out, ckr_err *err)
{
    *out = NULL;
    if (m->flags & 1)
        return ckr_err_set(err, CKR_EFORMAT, "%s: the member is encrypted", name);
    if (m->method != 0 && m->method != 8)
        return ckr_err_set(err, CKR_EFORMAT, "%s: zip compression method %d is not supported "
                           "(stored or deflated only)", name, m->method);
    if (m->offset > len || len - m->offset < 30 || le32(b + m->offset) != 0x04034b50)
        return ckr_err_set(err, CKR_EFORMAT, "%s: bad zip local header", name);
    uint64_t data = m->offset + 30 + le16(b + m->offset + 26) + le16(b + m->offset + 28);
    if (data > len || len - data < m->csize)
        return ckr_err_set(err, CKR_EFORMAT, "%s: the member's data is truncated", name);
    if (m->usize > ((uint64_t)1 << 46) || (m->method == 0 && m->csize != m->usize))
        return ckr_err_set(err, CKR_EFORMAT, "%s: bad member sizes", name);
    unsigned char *u = malloc(m->usize ? (size_t)m->usize : 1);
    if (!u)
        return ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", name);
    if (m->method == 0) {
        memcpy(u, b + data, (size_t)m->usize);
    } else {
        z_stream z;
        memset(&z, 0, sizeof z);
        int zr = inflateInit2(&z, -MAX_WBITS);
        uint64_t in_left = m->csize, out_done = 0;
        const unsigned char *in = b + data;
        while (zr == Z_OK) {
            unsigned ci = in_left > (1u << 30) ? 1u << 30 : (unsigned)in_left;
            uint64_t room = m->usize - out_done;
            unsigned co = room > (1u << 30) ? 1u << 30 : (unsigned)room;
            z.next_in = (unsigned char *)in;
            z.avail_in = ci;
            z.next_out = u + out_done;
            z.avail_out = co;
            zr = inflate(&z, Z_NO_FLUSH);
            in += ci - z.avail_in;
            in_left -= ci - z.avail_in;
            out_done += co - z.avail_out;
            if (zr == Z_OK && ci == z.avail_in && co == z.avail_out)
                zr = Z_DATA_ERROR; /* no progress */
        }
        inflateEnd(&z);
        if (zr != Z_STREAM_END || out_done != m->usize) {
            free(u);
            return ckr_err_set(err, CKR_EFORMAT, "%s: corrupt deflated data", name);
        }
    }
    uLong c = crc32(0L, Z_NULL, 0);
    for (uint64_t o = 0; o < m->usize; o += 1u << 30) {
        uint64_t k = m->usize - o > (1u << 30) ? 1u << 30 : m->usize - o;
        c = crc32(c, u + o, (uInt)k);
    }
    if ((uint32_t)c != m->crc) {
        free(u);
        return ckr_err_set(err, CKR_EFORMAT, "%s: CRC-32 mismatch (corrupt archive)", name);
    }
    *out = u;
    return 0;
}

static int load_npz(const char *path, const unsigned char *b, size_t len, const char *key,
                    ckr_npy *out, ckr_err *err)
{
    uint64_t cd = 0, count = 0;
    int rc = find_cd(b, len, path, &cd, &count, err);
    if (rc)
        return rc;
    member m, found;
    int nfound = 0;
    char list[512] = "";
    uint64_t pos = cd;
    for (uint64_t i = 0; i < count; i++) {
        if ((rc = cd_entry(b, len, &pos, &m, path, err)) != 0)
            return rc;
        char bare[256];
        snprintf(bare, sizeof bare, "%s", m.name);
        size_t bl = strlen(bare);
        if (bl > 4 && strcmp(bare + bl - 4, ".npy") == 0)
            bare[bl - 4] = 0;
        size_t ll = strlen(list);
        if (ll + strlen(bare) + 3 < sizeof list)
            snprintf(list + ll, sizeof list - ll, "%s%s", ll ? ", " : "", bare);
        if (key ? strcmp(key, bare) == 0 || strcmp(key, m.name) == 0 : count == 1)
            found = m, nfound = 1;
    }
    if (!nfound && !key)
        return ckr_err_set(err, CKR_EARG, "%s: the archive has %llu arrays (%s): name one with "
                           "--key", path, (unsigned long long)count, list);
    if (!nfound)
        return ckr_err_set(err, CKR_EFORMAT, "%s: no array '%s' in the archive (it has: %s)", path,
                           key, count ? list : "nothing");
    char name[600];
    snprintf(name, sizeof name, "%s:%s", path, found.name);
    unsigned char *u = NULL;
    if ((rc = member_data(b, len, &found, name, &u, err)) != 0)
        return rc;
    rc = ckr_npy_parse(u, (size_t)found.usize, name, out, err);
    free(u);
    return rc;
}

int ckr_npy_load_key(const char *path, const char *key, const char *default_key, ckr_npy *out,
                     ckr_err *err)
{
    memset(out, 0, sizeof *out);
    unsigned char *b = NULL;
    size_t len = 0;
    int rc = map_file(path, &b, &len, err);
    if (rc)
        return rc;
    if (len >= 4 && (le32(b) == 0x04034b50 || le32(b) == 0x06054b50))
        rc = load_npz(path, b, len, key ? key : default_key, out, err);
    else if (key)
        rc = ckr_err_set(err, CKR_EARG, "%s: key %s given, but this is a .npy file, not an "
                         ".npz archive", path, key);
    else
        rc = ckr_npy_parse(b, len, path, out, err);
    if (b)
        munmap(b, len);
    return rc;
}

int ckr_npy_load(const char *path, const char *key, ckr_npy *out, ckr_err *err)
{
    return ckr_npy_load_key(path, key, NULL, out, err);
}
