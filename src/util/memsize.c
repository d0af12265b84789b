/* memsize.c -- parse a memory size (see memsize.h). */
#include "util/memsize.h"

#include <ctype.h>
#include <string.h>

#define MEMSIZE_MAX ((uint64_t)1 << 62)

int ckr_parse_memsize(const char *text, uint64_t *bytes, ckr_err *err)
{
    static const char units[] = "KMGT";
    *bytes = 0;
    if (!text)
        text = "";
    const char *p = text;
    uint64_t v = 0;
    int digits = 0, big = 0;
    for (; isdigit((unsigned char)*p); p++, digits++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (MEMSIZE_MAX - d) / 10)
            big = 1;
        else
            v = v * 10 + d;
    }
    uint64_t mult = 1;
    if (digits && *p) {
        const char *u = strchr(units, toupper((unsigned char)*p));
        if (u && *p) {
            mult = (uint64_t)1 << (10 * (1 + (u - units)));
            p++;
            if (*p == 'i' && (p[1] == 'B' || p[1] == 'b'))
                p += 2;
            else if (*p == 'B' || *p == 'b')
                p++;
        } else if (*p == 'B' || *p == 'b') {
            p++;
        }
    }
    if (!digits || *p)
        return ckr_err_set(err, CKR_EARG, "'%s' is not a size (expected e.g. 16M, 2G, 1024K or "
                           "a number of bytes)", text);
    if (big || v > MEMSIZE_MAX / mult)
        return ckr_err_set(err, CKR_EARG, "'%s' is too large (at most 4194304T)", text);
    if (v == 0)
        return ckr_err_set(err, CKR_EARG, "'%s' must be > 0", text);
    *bytes = v * mult;
    return 0;
}
