/* util.h - small helpers shared by the data pipeline: error messages into
 * a caller's buffer, reading a whole file, FNV-1a hashing, splitmix64. */
#ifndef NRT_DATA_UTIL_H
#define NRT_DATA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "philox.h"

/* snprintf into err (when err and errlen are set); returns -1. */
int nrt_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The bytes of the file at path (NUL-terminated, *len without the NUL),
 * or NULL with "path: reason" in err. */
char *nrt_read_file(const char *path, size_t *len, char *err, size_t errlen);

/* A copy of s, or NULL when out of memory. */
char *nrt_strdup(const char *s);

/* FNV-1a 64 over n bytes, continuing from h (start with NRT_FNV_INIT). */
#define NRT_FNV_INIT UINT64_C(0xcbf29ce484222325)
static inline uint64_t nrt_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* nrt_splitmix: philox.h */

/* A uniform integer in [0, n) from the stream s (n > 0; the modulo bias
 * is below n / 2^64). */
static inline uint64_t nrt_splitmix_below(uint64_t *s, uint64_t n)
{
	return nrt_splitmix(s) % n;
}

/* The seed of a stream derived from (seed, a, b): every split, epoch and
 * balance draw has its own. */
static inline uint64_t nrt_seed_mix(uint64_t seed, uint64_t a, uint64_t b)
{
	uint64_t s = seed;
	uint64_t x = nrt_splitmix(&s) ^ (a * UINT64_C(0xd1b54a32d192ed03));
	s = x;
	x = nrt_splitmix(&s) ^ (b * UINT64_C(0x8cb92ba72f3d8dd7));
	s = x;
	return nrt_splitmix(&s);
}

/* Fisher-Yates shuffle of v[0..n) from the stream seeded with seed. */
void nrt_shuffle_i64(int64_t *v, int64_t n, uint64_t seed);

#endif
