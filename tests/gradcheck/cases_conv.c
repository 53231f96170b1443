/* cases_conv.c - gradient checks of conv (1-D, 2-D, 3-D), conv_transpose
 * and dense: stride, asymmetric padding, dilation, groups, with and
 * without bias, batch 1 and 3. */
#include "gc.h"

#include <stdlib.h>

#include "ref.h"

struct conv_ctx {
	struct nrt_conv_desc d;
	int transpose;
};

static void conv_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	const struct conv_ctx *c = ctx;
	if (c->transpose)
		GC_CALL(prec, conv_transpose_fwd, &c->d, in[0], in[1], in[2], out);
	else
		GC_CALL(prec, conv_fwd, &c->d, in[0], in[1], in[2], out);
}

static void conv_bwd(const void *ctx, int prec, void *const *in, const void *dy,
		     void *const *grad)
{
	const struct conv_ctx *c = ctx;
	if (c->transpose)
		GC_CALL(prec, conv_transpose_bwd, &c->d, in[0], in[1], dy, grad[0], grad[1], grad[2]);
	else
		GC_CALL(prec, conv_bwd, &c->d, in[0], in[1], dy, grad[0], grad[1], grad[2]);
}

/* One case: the descriptor's spatial arrays (first nd used), out[] is
 * computed here.  same: pad = same (pad_lo/pad_hi from nrt_pad_same). */
struct conv_case {
	int transpose, nd, n, c, k, groups, bias, same;
	int in[3], kernel[3], stride[3], lo[3], hi[3], dil[3], opad[3];
};

static const struct conv_case cases[] = {
	/* conv 1-D */
	{ 0, 1, 1, 3, 2, 1, 1, 0, { 13 }, { 3 }, { 2 }, { 1 }, { 1 }, { 1 }, { 0 } },
	{ 0, 1, 3, 4, 6, 2, 1, 1, { 7 }, { 2 }, { 1 }, { 0 }, { 0 }, { 1 }, { 0 } },
	{ 0, 1, 3, 2, 4, 2, 0, 0, { 13 }, { 3 }, { 3 }, { 2 }, { 0 }, { 2 }, { 0 } },
	/* conv 2-D */
	{ 0, 2, 1, 2, 3, 1, 1, 0, { 7, 5 }, { 3, 2 }, { 2, 1 }, { 1, 0 }, { 1, 1 }, { 1, 2 }, { 0 } },
	{ 0, 2, 3, 4, 4, 4, 0, 0, { 5, 5 }, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 0 } },
	{ 0, 2, 1, 6, 4, 2, 1, 0, { 5, 7 }, { 2, 3 }, { 2, 2 }, { 0, 0 }, { 0, 0 }, { 1, 1 }, { 0 } },
	{ 0, 2, 3, 3, 2, 1, 1, 1, { 5, 7 }, { 4, 3 }, { 1, 1 }, { 0 }, { 0 }, { 1, 2 }, { 0 } },
	{ 0, 2, 1, 2, 2, 1, 1, 0, { 7, 7 }, { 3, 3 }, { 2, 3 }, { 2, 1 }, { 0, 2 }, { 2, 1 }, { 0 } },
	/* conv 3-D */
	{ 0, 3, 1, 2, 2, 1, 1, 0, { 5, 4, 3 }, { 3, 2, 2 }, { 2, 1, 1 }, { 1, 0, 1 }, { 1, 0, 1 }, { 1, 1, 1 }, { 0 } },
	{ 0, 3, 3, 2, 4, 2, 1, 1, { 3, 3, 5 }, { 2, 2, 2 }, { 1, 1, 1 }, { 0 }, { 0 }, { 1, 1, 1 }, { 0 } },
	{ 0, 3, 1, 3, 3, 3, 0, 0, { 5, 5, 5 }, { 2, 2, 2 }, { 2, 2, 2 }, { 1, 0, 1 }, { 0, 1, 1 }, { 2, 1, 1 }, { 0 } },
	/* conv_transpose */
	{ 1, 1, 3, 2, 3, 1, 1, 0, { 5 }, { 3 }, { 2 }, { 1 }, { 1 }, { 1 }, { 1 } },
	{ 1, 2, 1, 4, 2, 2, 1, 0, { 3, 4 }, { 3, 2 }, { 2, 3 }, { 1, 0 }, { 1, 0 }, { 1, 1 }, { 1, 2 } },
	{ 1, 2, 3, 2, 4, 2, 0, 0, { 5, 3 }, { 2, 3 }, { 1, 2 }, { 0, 1 }, { 0, 1 }, { 2, 1 }, { 1, 1 } },
	{ 1, 3, 1, 2, 2, 1, 1, 0, { 2, 3, 3 }, { 2, 2, 3 }, { 2, 2, 1 }, { 0, 1, 1 }, { 0, 1, 1 }, { 1, 1, 1 }, { 1, 0, 0 } },
};

static const char *conv_family(const struct conv_case *cc)
{
	static const char *const names[2][3] = {
		{ "conv1d", "conv2d", "conv3d" },
		{ "conv_transpose1d", "conv_transpose2d", "conv_transpose3d" },
	};
	return names[cc->transpose][cc->nd - 1];
}

static void conv_case(struct gc_report *rep, const struct conv_case *cc, int idx)
{
	struct conv_ctx ctx = { .transpose = cc->transpose };
	struct nrt_conv_desc *d = &ctx.d;
	struct gc_problem p;
	struct gc_rng rng;
	int64_t in_vol = 1, out_vol = 1, k_vol = 1, wlen;
	double *x, *w, *b = NULL;

	d->nd = cc->nd;
	d->n = cc->n;
	d->c = cc->c;
	d->k = cc->k;
	d->groups = cc->groups;
	for (int j = 0; j < cc->nd; j++) {
		d->in[j] = cc->in[j];
		d->kernel[j] = cc->kernel[j];
		d->stride[j] = cc->stride[j];
		d->dilation[j] = cc->dil[j];
		d->output_pad[j] = cc->opad[j];
		if (cc->same) {
			nrt_pad_same(cc->kernel[j], cc->dil[j], &d->pad_lo[j], &d->pad_hi[j]);
		} else {
			d->pad_lo[j] = cc->lo[j];
			d->pad_hi[j] = cc->hi[j];
		}
		if (cc->transpose)
			d->out[j] = (int)nrt_conv_transpose_out_dim(d->in[j], d->kernel[j],
								    d->stride[j], d->pad_lo[j],
								    d->pad_hi[j], d->dilation[j],
								    d->output_pad[j]);
		else
			d->out[j] = (int)nrt_conv_out_dim(d->in[j], d->kernel[j], d->stride[j],
							  d->pad_lo[j], d->pad_hi[j], d->dilation[j]);
		in_vol *= d->in[j];
		out_vol *= d->out[j];
		k_vol *= d->kernel[j];
	}
	wlen = cc->transpose ? (int64_t)d->c * (d->k / d->groups) * k_vol
			     : (int64_t)d->k * (d->c / d->groups) * k_vol;
	gc_seed(&rng, 1000 + (uint64_t)idx);
	x = gc_alloc((int64_t)d->n * d->c * in_vol);
	w = gc_alloc(wlen);
	gc_fill(&rng, x, (int64_t)d->n * d->c * in_vol, -1, 1);
	gc_fill(&rng, w, wlen, -1, 1);
	if (cc->bias) {
		b = gc_alloc(d->k);
		gc_fill(&rng, b, d->k, -1, 1);
	}
	gc_problem_init(&p, conv_family(cc), "case %d: n %d c %d k %d groups %d in %dx%dx%d "
			"kernel %dx%dx%d stride %dx%dx%d pad %d:%d,%d:%d,%d:%d dil %dx%dx%d opad %d,%d,%d%s",
			idx, d->n, d->c, d->k, d->groups, d->in[0], d->in[1], d->in[2],
			d->kernel[0], d->kernel[1], d->kernel[2],
			d->stride[0], d->stride[1], d->stride[2],
			d->pad_lo[0], d->pad_hi[0], d->pad_lo[1], d->pad_hi[1], d->pad_lo[2], d->pad_hi[2],
			d->dilation[0], d->dilation[1], d->dilation[2],
			d->output_pad[0], d->output_pad[1], d->output_pad[2],
			cc->bias ? " bias" : "");
	gc_add_input(&p, "x", x, (int64_t)d->n * d->c * in_vol, 1);
	gc_add_input(&p, "weight", w, wlen, 1);
	gc_add_input(&p, "bias", b, d->k, 1);
	p.out_len = (int64_t)d->n * d->k * out_vol;
	p.fwd = conv_fwd;
	p.bwd = conv_bwd;
	p.ctx = &ctx;
	gc_check(rep, &p, &rng);
	gc_problem_free(&p);
}

static void dense_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	GC_CALL(prec, dense_fwd, ctx, in[0], in[1], in[2], out);
}

static void dense_bwd(const void *ctx, int prec, void *const *in, const void *dy,
		      void *const *grad)
{
	GC_CALL(prec, dense_bwd, ctx, in[0], in[1], dy, grad[0], grad[1], grad[2]);
}

static void dense_case(struct gc_report *rep, int n, int in, int out, int bias, uint64_t seed)
{
	struct nrt_dense_desc d = { n, in, out };
	struct gc_problem p;
	struct gc_rng rng;
	double *x = gc_alloc((int64_t)n * in), *w = gc_alloc((int64_t)out * in), *b = NULL;

	gc_seed(&rng, seed);
	gc_fill(&rng, x, (int64_t)n * in, -1, 1);
	gc_fill(&rng, w, (int64_t)out * in, -1, 1);
	if (bias) {
		b = gc_alloc(out);
		gc_fill(&rng, b, out, -1, 1);
	}
	gc_problem_init(&p, "dense", "n %d in %d out %d%s", n, in, out, bias ? " bias" : "");
	gc_add_input(&p, "x", x, (int64_t)n * in, 1);
	gc_add_input(&p, "weight", w, (int64_t)out * in, 1);
	gc_add_input(&p, "bias", b, out, 1);
	p.out_len = (int64_t)n * out;
	p.fwd = dense_fwd;
	p.bwd = dense_bwd;
	p.ctx = &d;
	gc_check(rep, &p, &rng);
	gc_problem_free(&p);
}

/* A random valid case: sizes 1 to 7 (1 to 4 in 3-D, 1 to 5 for
 * conv_transpose's input), kernel 1 to 3, stride 1 to 3, dilation 1 to 2,
 * independent low and high padding 0 to 2, groups 1 to 3. */
static void random_case(struct gc_rng *rng, int transpose, int nd, struct conv_case *cc)
{
	for (;;) {
		int ok = 1;
		*cc = (struct conv_case){ .transpose = transpose, .nd = nd };
		cc->n = gc_below(rng, 2) ? 3 : 1;
		cc->groups = 1 + (int)gc_below(rng, 3);
		cc->c = cc->groups * (1 + (int)gc_below(rng, 2));
		cc->k = cc->groups * (1 + (int)gc_below(rng, 2));
		cc->bias = (int)gc_below(rng, 2);
		for (int j = 0; j < nd; j++) {
			int64_t out;
			cc->in[j] = 1 + (int)gc_below(rng, transpose ? 5 : nd == 3 ? 4 : 7);
			cc->kernel[j] = 1 + (int)gc_below(rng, 3);
			cc->stride[j] = 1 + (int)gc_below(rng, 3);
			cc->dil[j] = 1 + (int)gc_below(rng, 2);
			cc->lo[j] = (int)gc_below(rng, 3);
			cc->hi[j] = (int)gc_below(rng, 3);
			if (transpose) {
				int m = cc->stride[j] > cc->dil[j] ? cc->stride[j] : cc->dil[j];
				cc->opad[j] = (int)gc_below(rng, m);
				out = nrt_conv_transpose_out_dim(cc->in[j], cc->kernel[j], cc->stride[j],
								 cc->lo[j], cc->hi[j], cc->dil[j],
								 cc->opad[j]);
			} else {
				out = nrt_conv_out_dim(cc->in[j], cc->kernel[j], cc->stride[j],
						       cc->lo[j], cc->hi[j], cc->dil[j]);
			}
			ok &= out >= 1;
		}
		if (ok)
			return;
	}
}

enum { RANDOM_CASES = 20 };   /* per kind and number of dimensions */

void gc_conv_cases(struct gc_report *rep)
{
	struct gc_rng rng;
	int idx = (int)(sizeof cases / sizeof cases[0]);

	for (int i = 0; i < idx; i++)
		conv_case(rep, &cases[i], i);
	gc_seed(&rng, 1500);
	for (int transpose = 0; transpose <= 1; transpose++) {
		for (int nd = 1; nd <= 3; nd++) {
			for (int i = 0; i < RANDOM_CASES; i++) {
				struct conv_case cc;
				random_case(&rng, transpose, nd, &cc);
				conv_case(rep, &cc, idx++);
			}
		}
	}
	dense_case(rep, 1, 7, 5, 1, 1);
	dense_case(rep, 3, 13, 4, 0, 2);
	dense_case(rep, 3, 5, 7, 1, 3);
}
