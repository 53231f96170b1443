/* epilogue.c - the row loops of epilogue.h.  The activation's test is
 * outside each loop, so every loop is a plain one that the compiler
 * vectorises (GCC only does at -O3 or with -ftree-vectorize, asked here
 * for this file alone: no reduction is involved, so vector and scalar code
 * give the same bits). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize")
#endif

#include "epilogue.h"

/* ADD(i) is the value before the activation. */
#define LOOPS(e, y, n, ADD)                                                      \
	do {                                                                     \
		switch ((e) ? (e)->act : NRT_ACT_NONE) {                         \
		case NRT_ACT_RELU:                                               \
			for (int64_t i = 0; i < (n); i++) {                      \
				float v_ = ADD(i);                               \
				(y)[i] = v_ > 0 ? v_ : 0;                        \
			}                                                        \
			break;                                                   \
		case NRT_ACT_LEAKY_RELU: {                                       \
			float a_ = (e)->alpha;                                   \
			for (int64_t i = 0; i < (n); i++) {                      \
				float v_ = ADD(i);                               \
				(y)[i] = v_ > 0 ? v_ : a_ * v_;                  \
			}                                                        \
			break;                                                   \
		}                                                                \
		default:                                                         \
			for (int64_t i = 0; i < (n); i++)                        \
				(y)[i] = ADD(i);                                 \
		}                                                                \
	} while (0)

#define ADD_SCALAR(i) (y[i] + bv)
#define ADD_VECTOR(i) (y[i] + bias[i])
#define SELF(i) (y[i])

void nrt_epilogue_row(const struct nrt_epilogue *e, float *restrict y, int64_t n,
		      const float *restrict bias)
{
	if (bias) {
		float bv = *bias;
		LOOPS(e, y, n, ADD_SCALAR);
	} else if (nrt_epilogue_active(e)) {
		LOOPS(e, y, n, SELF);
	}
}

void nrt_epilogue_rowv(const struct nrt_epilogue *e, float *restrict y, int64_t n,
		       const float *restrict bias)
{
	if (bias) {
		LOOPS(e, y, n, ADD_VECTOR);
	} else if (nrt_epilogue_active(e)) {
		LOOPS(e, y, n, SELF);
	}
}
