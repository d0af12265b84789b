/* crc64.c -- CRC-64/XZ, slicing by eight. */
#include "util/crc64.h"

#include <pthread.h>
#include <string.h>

#define POLY 0xc96c5795d7870f42ull /* ECMA-182, bit-reversed */

static uint64_t table[8][256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build_tables(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? POLY ^ (c >> 1) : c >> 1;
        table[0][i] = c;
    }
    /* table[k][i]: the CRC of byte i followed by k zero bytes */
    for (unsigned i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            table[k][i] = table[0][table[k - 1][i] & 0xff] ^ (table[k - 1][i] >> 8);
}

static uint64_t load_le64(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
#else
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
#endif
}

uint64_t ckr_crc64_update(uint64_t crc, const void *data, size_t len)
{
    pthread_once(&once, build_tables);
    const unsigned char *p = data;
    uint64_t c = ~crc;
    while (len >= 8) {
        c ^= load_le64(p);
        c = table[7][c & 0xff] ^ table[6][(c >> 8) & 0xff] ^ table[5][(c >> 16) & 0xff] ^
            table[4][(c >> 24) & 0xff] ^ table[3][(c >> 32) & 0xff] ^
            table[2][(c >> 40) & 0xff] ^ table[1][(c >> 48) & 0xff] ^ table[0][c >> 56];
        p += 8;
        len -= 8;
    }
    while (len--)
        c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}
