/* philox.h - the Philox4x32-10 counter-based random number generator
 * (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as
 * 1, 2, 3", SC'11; the Random123 library).  A counter-based generator
 * has no state to carry: the bits of element i of a stream are a pure
 * function of (key, counter), so any step of a training run is reproduced
 * from its seed and step number alone, on any backend and any thread
 * count. */
#ifndef NRT_PHILOX_H
#define NRT_PHILOX_H

#include <stdint.h>

/* One Philox4x32-10 block: 10 rounds of the bijection of ctr under key. */
void nrt_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* 32 random bits for element i of the stream (step, layer) under seed:
 * word i % 4 of the block with key (seed low, seed high) and counter
 * (i / 4 low, i / 4 high, step, layer). */
uint32_t nrt_philox_bits(uint64_t seed, uint32_t step, uint32_t layer, uint64_t i);

/* The same bits as a uniform number in [0, 1): the top 24 bits times
 * 2^-24, exact in float as in double. */
double nrt_philox_uniform(uint64_t seed, uint32_t step, uint32_t layer, uint64_t i);

/* splitmix64 (Steele, Lea, Flood): a small sequential generator, the same
 * sequence on every machine: the data pipeline's splits and epoch orders,
 * the driver's --synthetic batches and the REPL's random inputs. */
static inline uint64_t nrt_splitmix(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

#endif
