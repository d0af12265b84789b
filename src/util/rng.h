/* rng.h -- deterministic random numbers.
 *
 * Every random choice in ckptrank comes from a ckr_rng seeded by
 * ckr_rng_seed_item(seed, checkpoint, task, method_spec): the stream depends only
 * on those four values, never on the rank or the order of work. The generator
 * is xoshiro256** seeded through splitmix64. */
#ifndef CKR_RNG_H
#define CKR_RNG_H

#include <stdint.h>
#include <stddef.h>

typedef struct ckr_rng {
    uint64_t s[4];
} ckr_rng;

/* 64-bit FNV-1a of a string, continuing from h (use CKR_FNV_OFFSET to start). */
#define CKR_FNV_OFFSET 0xcbf29ce484222325ULL
uint64_t ckr_hash_str(uint64_t h, const char *s);

void ckr_rng_seed(ckr_rng *r, uint64_t seed);
/* The seed of a pair's own random choices (e.g. a train/val split made for
 * a method) from (seed, checkpoint, task): the same for every method. */
uint64_t ckr_pair_split_seed(uint64_t seed, const char *ckpt, const char *task);
/* Seed from (seed, checkpoint, task, method spec). */
void ckr_rng_seed_item(ckr_rng *r, uint64_t seed, const char *ckpt,
                       const char *task, const char *method);
uint64_t ckr_rng_next(ckr_rng *r);
/* Uniform double in [0, 1). */
double ckr_rng_uniform(ckr_rng *r);
/* Uniform integer in [0, n), n > 0, unbiased. */
uint64_t ckr_rng_below(ckr_rng *r, uint64_t n);
/* Standard normal (Box-Muller; one value per call). */
double ckr_rng_normal(ckr_rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void ckr_rng_shuffle(ckr_rng *r, size_t *idx, size_t n);

#endif
