/* crc64.h -- CRC-64/XZ (the ECMA-182 polynomial, reflected; the check value
 * of "123456789" is 0x995dc9bbdf1939fa), table-driven, eight bytes a step.
 *
 * Used for content checksums (a zoo pair's data in the journal records):
 * it detects any change of up to 64 bits in a burst and every odd number of
 * flipped bits, and runs at a few GB/s, well below the cost of reading the
 * data it covers. Not a cryptographic hash. */
#ifndef CKR_UTIL_CRC64_H
#define CKR_UTIL_CRC64_H

#include <stddef.h>
#include <stdint.h>

/* Continue crc (0 for the start) over len bytes of data: the value after
 * bytes a then b equals ckr_crc64_update(ckr_crc64_update(0, a), b), which
 * equals the CRC of a followed by b. data may be NULL when len is 0.
 * Thread-safe (the tables are built once, before main's threads start or
 * under a pthread_once). */
uint64_t ckr_crc64_update(uint64_t crc, const void *data, size_t len);

#endif
