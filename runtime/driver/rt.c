/* rt.c - the small helpers that generated code calls besides the kernels
 * (netrt.h): the random initialisers.  They are written in C rather than
 * IR so that the bits equal the reference interpreter's (the same double
 * formulas, tests/train/interp.c: init_value), which the differential
 * tests rely on. */
#include "netrt.h"

#include <math.h>

#include "philox.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

void netrt_init_uniform_f32(float *y, int64_t n, double lo, double hi, uint64_t seed,
			    uint32_t stream)
{
	for (int64_t i = 0; i < n; i++) {
		double u = nrt_philox_uniform(seed, 0, stream, (uint64_t)(2 * i));
		y[i] = (float)(lo + (hi - lo) * u);
	}
}

void netrt_init_normal_f32(float *y, int64_t n, double mean, double std, uint64_t seed,
			   uint32_t stream)
{
	for (int64_t i = 0; i < n; i++) {
		double u1 = nrt_philox_uniform(seed, 0, stream, (uint64_t)(2 * i));
		double u2 = nrt_philox_uniform(seed, 0, stream, (uint64_t)(2 * i + 1));
		y[i] = (float)(mean + std * sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2));
	}
}
