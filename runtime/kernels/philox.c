/* philox.c - Philox4x32-10; see philox.h.  Constants and round function
 * as in Random123's philox.h. */
#include "philox.h"

enum {
	PHILOX_ROUNDS = 10,
};

#define PHILOX_M0 UINT32_C(0xD2511F53)   /* round multipliers */
#define PHILOX_M1 UINT32_C(0xCD9E8D57)
#define PHILOX_W0 UINT32_C(0x9E3779B9)   /* Weyl key increments: golden ratio, sqrt(3) - 1 */
#define PHILOX_W1 UINT32_C(0xBB67AE85)

/* The high and low words of the 64-bit product a * b. */
static void mulhilo(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
	uint64_t p = (uint64_t)a * b;
	*hi = (uint32_t)(p >> 32);
	*lo = (uint32_t)p;
}

/* One round:
 *   (c0, c1, c2, c3) -> (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2), hi(M0 c0) ^ c3 ^ k1, lo(M0 c0)). */
static void philox_round(uint32_t c[4], const uint32_t k[2])
{
	uint32_t hi0, lo0, hi1, lo1;
	mulhilo(PHILOX_M0, c[0], &hi0, &lo0);
	mulhilo(PHILOX_M1, c[2], &hi1, &lo1);
	c[0] = hi1 ^ c[1] ^ k[0];
	c[1] = lo1;
	c[2] = hi0 ^ c[3] ^ k[1];
	c[3] = lo0;
}

void nrt_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
	uint32_t c[4] = { ctr[0], ctr[1], ctr[2], ctr[3] };
	uint32_t k[2] = { key[0], key[1] };

	for (int r = 0; r < PHILOX_ROUNDS; r++) {
		if (r > 0) {            /* the key is bumped between rounds */
			k[0] += PHILOX_W0;
			k[1] += PHILOX_W1;
		}
		philox_round(c, k);
	}
	for (int i = 0; i < 4; i++)
		out[i] = c[i];
}

uint32_t nrt_philox_bits(uint64_t seed, uint32_t step, uint32_t layer, uint64_t i)
{
	uint64_t block = i / 4;
	uint32_t ctr[4] = { (uint32_t)block, (uint32_t)(block >> 32), step, layer };
	uint32_t key[2] = { (uint32_t)seed, (uint32_t)(seed >> 32) };
	uint32_t out[4];

	nrt_philox4x32_10(ctr, key, out);
	return out[i % 4];
}

double nrt_philox_uniform(uint64_t seed, uint32_t step, uint32_t layer, uint64_t i)
{
	return (double)(nrt_philox_bits(seed, step, layer, i) >> 8) * 0x1p-24;
}
