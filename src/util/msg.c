/* msg.c -- fitting messages into fixed fields (see msg.h). */
#include "util/msg.h"

#include <stdio.h>
#include <string.h>

#define ELLIPSIS "..."
#define ELLIPSIS_LEN 3

static int is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

size_t ckr_utf8_cut(const char *s, size_t n)
{
    size_t len = strlen(s);
    if (n >= len)
        return len;
    while (n > 0 && is_cont((unsigned char)s[n]))
        n--;
    return n;
}

/* The first byte at or after i that starts a character (or the end). */
static size_t utf8_start(const char *s, size_t i, size_t len)
{
    while (i < len && is_cont((unsigned char)s[i]))
        i++;
    return i;
}

/* dst = s[0..a) ELLIPSIS s[b..len): a and b already on boundaries. */
static void splice(char *dst, const char *s, size_t a, size_t b, size_t len)
{
    memcpy(dst, s, a);
    memcpy(dst + a, ELLIPSIS, ELLIPSIS_LEN);
    memcpy(dst + a + ELLIPSIS_LEN, s + b, len - b);
    dst[a + ELLIPSIS_LEN + len - b] = '\0';
}

/* Remove the middle of s[lo..hi) so that `drop` bytes (plus room for the
 * ellipsis) go: keep its first third and the rest of its end. Writes dst and
 * returns 1, or 0 if the part is too short. */
static int elide_part(char *dst, const char *s, size_t len, size_t lo, size_t hi, size_t drop)
{
    size_t need = drop + ELLIPSIS_LEN; /* bytes to remove from the part */
    if (hi - lo < need + 8)
        return 0;
    size_t keep = hi - lo - need;     /* bytes of the part that stay */
    size_t head = keep / 3;
    size_t a = ckr_utf8_cut(s, lo + head);
    size_t b = utf8_start(s, a + need, len);
    if (b > hi)
        return 0;
    splice(dst, s, a, b, len);
    return 1;
}

int ckr_msg_fit(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return 0;
    size_t len = strlen(src);
    if (len < cap) {
        memcpy(dst, src, len + 1);
        return 0;
    }
    if (cap <= ELLIPSIS_LEN + 1) {
        size_t n = ckr_utf8_cut(src, cap - 1);
        memcpy(dst, src, n);
        dst[n] = '\0';
        return 1;
    }
    size_t drop = len - (cap - 1);
    /* the longest ": "-separated part */
    size_t best_lo = 0, best_hi = 0, lo = 0;
    for (;;) {
        const char *sep = strstr(src + lo, ": ");
        size_t hi = sep ? (size_t)(sep - src) : len;
        if (hi - lo > best_hi - best_lo) {
            best_lo = lo;
            best_hi = hi;
        }
        if (!sep)
            break;
        lo = hi + 2;
    }
    if (elide_part(dst, src, len, best_lo, best_hi, drop))
        return 1;
    /* the whole message: its first third and its end */
    size_t keep = cap - 1 - ELLIPSIS_LEN;
    size_t a = ckr_utf8_cut(src, keep / 3);
    size_t b = utf8_start(src, len - (keep - a), len);
    splice(dst, src, a, b, len);
    return 1;
}

int ckr_msg_vfitf(char *dst, size_t cap, const char *fmt, va_list ap)
{
    char buf[8192];
    vsnprintf(buf, sizeof buf, fmt, ap);
    buf[ckr_utf8_cut(buf, sizeof buf - 1)] = '\0';
    return ckr_msg_fit(dst, cap, buf);
}

int ckr_msg_fitf(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = ckr_msg_vfitf(dst, cap, fmt, ap);
    va_end(ap);
    return r;
}
