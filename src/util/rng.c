#include "util/rng.h"

#include <math.h>

uint64_t ckr_hash_str(uint64_t h, const char *s)
{
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    /* a separator so ("ab","c") and ("a","bc") differ */
    h ^= 0xff;
    h *= 0x100000001b3ULL;
    return h;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ckr_rng_seed(ckr_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t ckr_pair_split_seed(uint64_t seed, const char *ckpt, const char *task)
{
    return ckr_hash_str(ckr_hash_str(CKR_FNV_OFFSET ^ seed, ckpt), task);
}

void ckr_rng_seed_item(ckr_rng *r, uint64_t seed, const char *ckpt,
                       const char *task, const char *method)
{
    uint64_t h = CKR_FNV_OFFSET ^ seed;
    h = ckr_hash_str(h, ckpt);
    h = ckr_hash_str(h, task);
    h = ckr_hash_str(h, method);
    ckr_rng_seed(r, h);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ckr_rng_next(ckr_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ckr_rng_uniform(ckr_rng *r)
{
    return (double)(ckr_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t ckr_rng_below(ckr_rng *r, uint64_t n)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = ckr_rng_next(r);
    while (x >= lim);
    return x % n;
}

double ckr_rng_normal(ckr_rng *r)
{
    double u1, u2;
    do
        u1 = ckr_rng_uniform(r);
    while (u1 <= 0.0);
    u2 = ckr_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void ckr_rng_shuffle(ckr_rng *r, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ckr_rng_below(r, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
