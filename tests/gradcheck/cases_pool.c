/* cases_pool.c - gradient checks of maxpool (dilation, padding, ceil
 * mode), avgpool (count_pad, ceil mode) and the global pools.  maxpool
 * inputs are pairwise at least 2e-3 apart, so no window has a tie. */
#include "gc.h"

#include "ref.h"

static void maxpool_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	GC_CALL(prec, maxpool_fwd, ctx, in[0], out);
}

static void maxpool_bwd(const void *ctx, int prec, void *const *in, const void *dy,
			void *const *grad)
{
	GC_CALL(prec, maxpool_bwd, ctx, in[0], dy, grad[0]);
}

static void avgpool_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	GC_CALL(prec, avgpool_fwd, ctx, in[0], out);
}

static void avgpool_bwd(const void *ctx, int prec, void *const *in, const void *dy,
			void *const *grad)
{
	(void)in;
	GC_CALL(prec, avgpool_bwd, ctx, dy, grad[0]);
}

struct pool_case {
	int nd, n, c, ceil, count_pad;
	int in[3], kernel[3], stride[3], pad[3], dil[3];
};

static const struct pool_case cases[] = {
	{ 2, 1, 2, 0, 1, { 7, 7 }, { 3, 3 }, { 2, 2 }, { 1, 1 }, { 1, 1 } },
	{ 2, 3, 1, 1, 1, { 5, 6 }, { 2, 2 }, { 2, 2 }, { 0, 0 }, { 1, 1 } },
	{ 2, 1, 2, 0, 0, { 7, 5 }, { 2, 3 }, { 1, 1 }, { 1, 1 }, { 2, 2 } },
	{ 2, 3, 2, 1, 0, { 7, 5 }, { 3, 2 }, { 2, 2 }, { 1, 1 }, { 1, 1 } },
	{ 2, 1, 1, 1, 1, { 5, 13 }, { 3, 3 }, { 2, 3 }, { 1, 1 }, { 1, 2 } },
	{ 1, 3, 2, 1, 1, { 13 }, { 3 }, { 2 }, { 1 }, { 1 } },
	{ 1, 1, 3, 1, 0, { 5 }, { 2 }, { 2 }, { 1 }, { 1 } },  /* the last window dropped */
	{ 1, 1, 2, 0, 1, { 7 }, { 5 }, { 1 }, { 2 }, { 1 } },
	{ 3, 1, 2, 1, 1, { 5, 4, 3 }, { 2, 2, 2 }, { 2, 2, 2 }, { 1, 0, 1 }, { 1, 1, 1 } },
	{ 3, 3, 1, 0, 0, { 5, 5, 3 }, { 3, 2, 3 }, { 2, 1, 1 }, { 1, 1, 1 }, { 1, 2, 1 } },
};

static void pool_case(struct gc_report *rep, const struct pool_case *pc, int idx, int max)
{
	struct nrt_pool_desc d = { .nd = pc->nd, .n = pc->n, .c = pc->c,
				   .count_pad = pc->count_pad };
	struct gc_problem p;
	struct gc_rng rng;
	int64_t in_vol = 1, out_vol = 1, xlen;
	double *x;

	for (int j = 0; j < pc->nd; j++) {
		d.in[j] = pc->in[j];
		d.kernel[j] = pc->kernel[j];
		d.stride[j] = pc->stride[j];
		d.pad[j] = pc->pad[j];
		d.dilation[j] = max ? pc->dil[j] : 1;
		d.out[j] = (int)nrt_pool_out_dim(d.in[j], d.kernel[j], d.stride[j], d.pad[j],
						 d.dilation[j], pc->ceil);
		in_vol *= d.in[j];
		out_vol *= d.out[j];
	}
	xlen = (int64_t)d.n * d.c * in_vol;
	x = gc_alloc(xlen);
	gc_seed(&rng, 2000 + (uint64_t)idx + (max ? 100 : 0));
	if (max)
		gc_fill_distinct(&rng, x, xlen, 2e-3);
	else
		gc_fill(&rng, x, xlen, -1, 1);
	gc_problem_init(&p, max ? "maxpool" : "avgpool",
			"case %d: %dd n %d c %d in %dx%dx%d kernel %dx%dx%d stride %dx%dx%d "
			"pad %d,%d,%d dil %d,%d,%d -> %dx%dx%d%s%s", idx, d.nd, d.n, d.c,
			d.in[0], d.in[1], d.in[2], d.kernel[0], d.kernel[1], d.kernel[2],
			d.stride[0], d.stride[1], d.stride[2], d.pad[0], d.pad[1], d.pad[2],
			d.dilation[0], d.dilation[1], d.dilation[2], d.out[0], d.out[1], d.out[2],
			pc->ceil ? " ceil" : "", !max && pc->count_pad ? " count_pad" : "");
	gc_add_input(&p, "x", x, xlen, 1);
	p.out_len = (int64_t)d.n * d.c * out_vol;
	p.fwd = max ? maxpool_fwd : avgpool_fwd;
	p.bwd = max ? maxpool_bwd : avgpool_bwd;
	p.ctx = &d;
	gc_check(rep, &p, &rng);
	gc_problem_free(&p);
}

/* The global pools: [nc, s] -> [nc]. */
struct global_ctx {
	int64_t nc, s;
};

static void gavg_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	const struct global_ctx *g = ctx;
	GC_CALL(prec, global_avgpool_fwd, g->nc, g->s, in[0], out);
}

static void gavg_bwd(const void *ctx, int prec, void *const *in, const void *dy,
		     void *const *grad)
{
	const struct global_ctx *g = ctx;
	(void)in;
	GC_CALL(prec, global_avgpool_bwd, g->nc, g->s, dy, grad[0]);
}

static void gmax_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	const struct global_ctx *g = ctx;
	GC_CALL(prec, global_maxpool_fwd, g->nc, g->s, in[0], out);
}

static void gmax_bwd(const void *ctx, int prec, void *const *in, const void *dy,
		     void *const *grad)
{
	const struct global_ctx *g = ctx;
	GC_CALL(prec, global_maxpool_bwd, g->nc, g->s, in[0], dy, grad[0]);
}

static void global_case(struct gc_report *rep, int n, int c, int64_t s, int max, uint64_t seed)
{
	struct global_ctx g = { (int64_t)n * c, s };
	struct gc_problem p;
	struct gc_rng rng;
	double *x = gc_alloc(g.nc * s);

	gc_seed(&rng, seed);
	if (max)
		gc_fill_distinct(&rng, x, g.nc * s, 2e-3);
	else
		gc_fill(&rng, x, g.nc * s, -1, 1);
	gc_problem_init(&p, max ? "global_maxpool" : "global_avgpool", "n %d c %d s %lld",
			n, c, (long long)s);
	gc_add_input(&p, "x", x, g.nc * s, 1);
	p.out_len = g.nc;
	p.fwd = max ? gmax_fwd : gavg_fwd;
	p.bwd = max ? gmax_bwd : gavg_bwd;
	p.ctx = &g;
	gc_check(rep, &p, &rng);
	gc_problem_free(&p);
}

/* A random valid case: sizes 1 to 9 (1 to 5 in 3-D), kernel 1 to 3,
 * stride 1 to 3, pad up to kernel / 2, dilation 1 to 2 (maxpool), ceil
 * and count_pad either way.  maxpool: no window entirely in the padding
 * (PyTorch gives -inf there; such a case is drawn again). */
static void random_case(struct gc_rng *rng, int nd, int max, struct pool_case *pc)
{
	for (;;) {
		int ok = 1;
		*pc = (struct pool_case){ .nd = nd };
		pc->n = gc_below(rng, 2) ? 3 : 1;
		pc->c = 1 + (int)gc_below(rng, 2);
		pc->ceil = (int)gc_below(rng, 2);
		pc->count_pad = (int)gc_below(rng, 2);
		for (int j = 0; j < nd; j++) {
			int64_t out;
			pc->in[j] = 1 + (int)gc_below(rng, nd == 3 ? 5 : 9);
			pc->kernel[j] = 1 + (int)gc_below(rng, 3);
			pc->stride[j] = 1 + (int)gc_below(rng, 3);
			pc->pad[j] = (int)gc_below(rng, pc->kernel[j] / 2 + 1);
			pc->dil[j] = max ? 1 + (int)gc_below(rng, 2) : 1;
			out = nrt_pool_out_dim(pc->in[j], pc->kernel[j], pc->stride[j], pc->pad[j],
					       pc->dil[j], pc->ceil);
			ok &= out >= 1;
			/* every window holds an element of the input */
			for (int64_t o = 0; ok && o < out; o++) {
				int real = 0;
				for (int kk = 0; kk < pc->kernel[j]; kk++) {
					int64_t t = o * pc->stride[j] - pc->pad[j] + kk * pc->dil[j];
					real |= t >= 0 && t < pc->in[j];
				}
				ok &= real;
			}
		}
		if (ok)
			return;
	}
}

enum { RANDOM_CASES = 20 };   /* per kind and number of dimensions */

void gc_pool_cases(struct gc_report *rep)
{
	int nfixed = (int)(sizeof cases / sizeof cases[0]);

	for (int max = 1; max >= 0; max--) {
		struct gc_rng rng;
		int idx = nfixed;
		for (int i = 0; i < nfixed; i++)
			pool_case(rep, &cases[i], i, max);
		gc_seed(&rng, 2600 + (uint64_t)max);
		for (int nd = 1; nd <= 3; nd++) {
			for (int i = 0; i < RANDOM_CASES; i++) {
				struct pool_case pc;
				random_case(&rng, nd, max, &pc);
				pool_case(rep, &pc, idx++, max);
			}
		}
	}
	for (int max = 0; max <= 1; max++) {
		global_case(rep, 3, 4, 15, max, 2500 + (uint64_t)max);
		global_case(rep, 1, 5, 7, max, 2510 + (uint64_t)max);
		global_case(rep, 3, 2, 60, max, 2520 + (uint64_t)max);
	}
}
