/* epilogue.h - an activation the fast conv, conv_transpose and dense
 * forward kernels apply to their output after the bias, while it is still
 * in cache (the compiler's fuse pass asks for it: compiler/passes/fuse.c).
 * The arithmetic is that of the reference kernels (runtime/kernels/act.inc)
 * in float32, so y = act(conv(x, w) + b) is bitwise what the forward step
 * followed by the activation step computes. */
#ifndef NRT_CPU_EPILOGUE_H
#define NRT_CPU_EPILOGUE_H

#include <stdint.h>

enum nrt_act {
	NRT_ACT_NONE,        /* y unchanged */
	NRT_ACT_RELU,        /* y > 0 ? y : 0 */
	NRT_ACT_LEAKY_RELU,  /* y > 0 ? y : alpha * y */
};

/* What generated code passes (a constant {i32, float}); NULL: none. */
struct nrt_epilogue {
	int32_t act;         /* enum nrt_act */
	float alpha;         /* leaky_relu slope, as (float)slope */
};

/* The activation of one value. */
static inline float nrt_epilogue_one(const struct nrt_epilogue *e, float v)
{
	switch (e ? e->act : NRT_ACT_NONE) {
	case NRT_ACT_RELU:
		return v > 0 ? v : 0;
	case NRT_ACT_LEAKY_RELU:
		return v > 0 ? v : e->alpha * v;
	default:
		return v;
	}
}

/* Whether e does anything. */
static inline int nrt_epilogue_active(const struct nrt_epilogue *e)
{
	return e && e->act != NRT_ACT_NONE;
}

/* y[0, n) = act(y[0, n) + *bias) (the bias added first, as the kernels'
 * own bias loop does; bias NULL: no addition, not + 0, which would turn
 * -0 into +0).  epilogue.c: vectorised loops. */
void nrt_epilogue_row(const struct nrt_epilogue *e, float *y, int64_t n, const float *bias);
/* y[0, n) = act(y[0, n) + bias[0, n)) (dense: a bias per column). */
void nrt_epilogue_rowv(const struct nrt_epilogue *e, float *y, int64_t n, const float *bias);

#endif
