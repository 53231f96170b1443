/* test_cpu.c - the fast CPU kernels (runtime/cpu) checked against the
 * reference kernels (runtime/kernels, the oracle):
 *   - conv and conv_transpose (1-D, 2-D, 3-D; stride, asymmetric padding,
 *     dilation, groups and depthwise, output_pad, bias or none, batch 1, 3
 *     and larger) and dense, forward and every gradient, over fixed and
 *     seeded random configurations: |fast - ref| <= 1e-5 + 1e-4 |ref| for
 *     every element;
 *   - the same bits for 1, 2 and 3 threads, for a workspace planned for
 *     fewer threads than the pool has, for a misaligned workspace, and
 *     for gradients asked for one at a time;
 *   - the pool on its own: each index handled once, in the static chunks
 *     of pool.h, by distinct threads; n = 0, n below the thread count,
 *     nested calls, two callers at once.
 * One line per checked output with its worst error, then
 * "N passed, M failed"; exit status 1 on any failure.
 *
 *   test_cpu [-v]      -v: a line per case */
#define _POSIX_C_SOURCE 200809L

#include "cpu.h"
#include "ref.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { NPOOL = 3 };             /* pools of 1, 2 and 3 threads */

static struct nrt_pool *pools[NPOOL];
static int verbose;
static int passed, failed;

/* ---------------------------------------------------------------- helpers */

/* splitmix64: the data and the random configurations, seeded. */
static uint64_t rng;

static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform integer in [0, n). */
static int below(int n)
{
	return (int)(next() % (uint64_t)n);
}

static void fill(float *v, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		v[i] = (float)((double)(next() >> 11) * 0x1.0p-53 * 2.0 - 1.0);
}

/* Eighths in [-1, 1]: products are 64ths, and sums of fewer than 2^18
 * of them are exact in float. */
static void fill_dyadic(float *v, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		v[i] = (float)below(17) / 8.0f - 1.0f;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "test_cpu: out of memory\n");
		exit(2);
	}
	return p;
}

static float *falloc(int64_t n)
{
	return xmalloc((size_t)n * sizeof(float));
}

/* A result against the oracle, per kernel output: the worst |a - b| and
 * the worst |a - b| / (1e-5 + 1e-4 |b|) (<= 1 passes). */
enum {
	S_CONV_Y, S_CONV_DX, S_CONV_DW, S_CONV_DB,
	S_CT_Y, S_CT_DX, S_CT_DW, S_CT_DB,
	S_DENSE_Y, S_DENSE_DX, S_DENSE_DW, S_DENSE_DB,
	S_COUNT
};
static const char *const stat_name[S_COUNT] = {
	"conv y", "conv dx", "conv dw", "conv db",
	"conv_transpose y", "conv_transpose dx", "conv_transpose dw", "conv_transpose db",
	"dense y", "dense dx", "dense dw", "dense db",
};
static struct {
	double abs, ratio;
	int64_t elems, cases;
} stats[S_COUNT];
static int64_t bitwise_checks;

/* Is every element of a (fast) within tolerance of b (reference)? */
static int close_to(int s, const char *label, const float *a, const float *b, int64_t n)
{
	int bad = 0;
	for (int64_t i = 0; i < n; i++) {
		double e = fabs((double)a[i] - (double)b[i]);
		double tol = 1e-5 + 1e-4 * fabs((double)b[i]);
		if (!(e <= tol)) {
			if (bad++ < 3)
				printf("FAIL %s: %s[%lld] = %.9g, reference %.9g\n", label,
				       stat_name[s], (long long)i, a[i], b[i]);
		}
		if (e > stats[s].abs)
			stats[s].abs = e;
		if (e / tol > stats[s].ratio)
			stats[s].ratio = e / tol;
	}
	stats[s].elems += n;
	stats[s].cases++;
	return bad == 0;
}

/* Are a and b the same bits? */
static int same_bits(const char *label, const char *what, const float *a, const float *b,
		     int64_t n)
{
	bitwise_checks++;
	if (n == 0 || memcmp(a, b, (size_t)n * sizeof *a) == 0)
		return 1;
	for (int64_t i = 0; i < n; i++) {
		if (memcmp(&a[i], &b[i], sizeof *a) != 0) {
			printf("FAIL %s: %s not bitwise equal at [%lld]: %.9g vs %.9g\n", label,
			       what, (long long)i, a[i], b[i]);
			break;
		}
	}
	return 0;
}

static void verdict(int ok, const char *label)
{
	if (ok)
		passed++;
	else
		failed++;
	if (verbose || !ok)
		printf("%s %s\n", ok ? "ok  " : "FAIL", label);
}

/* ---------------------------------------------------------------- conv */

struct ccase {
	int transpose, nd, n, c, k, groups, bias;
	int in[3], kernel[3], stride[3], lo[3], hi[3], dil[3], opad[3];
};

/* Hand-picked cases: the paths of conv.c (1x1 layers read in place,
 * sample blocks with a short last block, a kernel wider than the input,
 * windows wholly in the padding) and the shapes of real layers. */
static const struct ccase fixed_cases[] = {
	/* 1x1 stride 1 no pad: no im2col; batch 1, and 13 (blocks of 2) */
	{ 0, 2, 1, 6, 5, 1, 1, { 4, 5 }, { 1, 1 }, { 1, 1 }, { 0 }, { 0 }, { 1, 1 }, { 0 } },
	{ 0, 2, 13, 4, 6, 2, 1, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 0 }, { 0 }, { 1, 1 }, { 0 } },
	{ 1, 2, 13, 6, 4, 2, 1, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 0 }, { 0 }, { 1, 1 }, { 0 } },
	/* 1x1 with stride 2: not in place */
	{ 0, 2, 3, 4, 4, 1, 0, { 7, 6 }, { 1, 1 }, { 2, 2 }, { 0 }, { 0 }, { 1, 1 }, { 0 } },
	/* 3x3 pad 1 (ResNet-like), batch 3 and 17 (blocks of 3, last 2) */
	{ 0, 2, 3, 8, 8, 1, 1, { 6, 6 }, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 0 } },
	{ 0, 2, 17, 3, 5, 1, 1, { 4, 4 }, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 0 } },
	/* depthwise 3x3 stride 2 and depthwise with multiplier 2 */
	{ 0, 2, 3, 6, 6, 6, 1, { 7, 8 }, { 3, 3 }, { 2, 2 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 0 } },
	{ 0, 2, 3, 4, 8, 4, 0, { 5, 5 }, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 0 } },
	/* kernel wider than the input, padding on one side only */
	{ 0, 1, 3, 2, 3, 1, 1, { 3 }, { 5 }, { 1 }, { 3 }, { 0 }, { 1 }, { 0 } },
	/* stride and dilation past the input: windows wholly in the padding */
	{ 0, 1, 1, 2, 2, 1, 1, { 4 }, { 2 }, { 3 }, { 4 }, { 4 }, { 3 }, { 0 } },
	/* 3-D, asymmetric everything */
	{ 0, 3, 3, 4, 6, 2, 1, { 5, 4, 6 }, { 3, 2, 3 }, { 2, 1, 2 }, { 1, 0, 2 }, { 0, 1, 1 },
	  { 1, 2, 1 }, { 0 } },
	/* conv_transpose: stride 2 upsampling with output_pad, 1-D to 3-D */
	{ 1, 1, 3, 3, 2, 1, 1, { 7 }, { 4 }, { 2 }, { 1 }, { 1 }, { 1 }, { 1 } },
	{ 1, 2, 3, 4, 6, 2, 1, { 4, 5 }, { 3, 3 }, { 2, 2 }, { 1, 1 }, { 1, 0 }, { 1, 1 }, { 1, 0 } },
	{ 1, 2, 1, 4, 4, 4, 0, { 5, 3 }, { 2, 3 }, { 3, 2 }, { 0, 2 }, { 1, 1 }, { 2, 1 }, { 2, 1 } },
	{ 1, 3, 3, 2, 2, 1, 1, { 2, 3, 3 }, { 2, 2, 3 }, { 2, 2, 1 }, { 0, 1, 1 }, { 0, 1, 1 },
	  { 1, 1, 1 }, { 1, 0, 0 } },
	/* more input channels than one weight-gradient tile holds (2-D, 3-D,
	 * transpose: its image side is k) */
	{ 0, 2, 3, 20, 4, 1, 1, { 5, 5 }, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 0 } },
	{ 0, 3, 1, 10, 4, 2, 0, { 4, 4, 4 }, { 3, 3, 3 }, { 1, 1, 1 }, { 1, 0, 1 }, { 0, 1, 1 },
	  { 1, 1, 1 }, { 0 } },
	{ 1, 2, 3, 3, 20, 1, 1, { 3, 3 }, { 3, 3 }, { 2, 1 }, { 1, 1 }, { 1, 0 }, { 1, 1 }, { 1, 0 } },
	/* conv_transpose in blocks (batch 20, small input: blocks of 3) */
	{ 1, 2, 20, 3, 2, 1, 1, { 3, 3 }, { 3, 3 }, { 2, 2 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 } },
};

/* Samples with a column matrix large enough to be taken in column tiles,
 * tiles that start inside a row of positions.  Their sums are too long
 * for the float32 reference to be within 1e-4 of the truth on random data,
 * so the data are eighths (fill_dyadic): every sum is then exact, in any
 * order, and the fast kernels must match the reference to the bit. */
static const struct ccase big_cases[] = {
	{ 0, 2, 1, 16, 3, 1, 1, { 40, 40 }, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 0 } },
	{ 0, 2, 2, 16, 4, 1, 0, { 81, 61 }, { 3, 3 }, { 2, 2 }, { 1, 0 }, { 0, 1 }, { 1, 1 }, { 0 } },
	{ 0, 1, 3, 64, 2, 1, 1, { 1000 }, { 5 }, { 1 }, { 3 }, { 1 }, { 2 }, { 0 } },
	{ 0, 3, 1, 8, 2, 1, 1, { 12, 12, 12 }, { 3, 3, 3 }, { 1, 1, 1 }, { 1, 1, 1 }, { 1, 1, 1 },
	  { 1, 1, 1 }, { 0 } },
	{ 1, 2, 3, 3, 16, 1, 1, { 40, 40 }, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 0 } },
	{ 1, 2, 1, 4, 16, 1, 0, { 35, 35 }, { 4, 4 }, { 2, 2 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 } },
};

/* Fill the descriptor of a case, out[] from the rules of window.c; 0 if
 * the case is not one (groups not dividing c and k, or no output: the
 * reference kernels do not check). */
static int make_desc(const struct ccase *cc, struct nrt_conv_desc *d)
{
	memset(d, 0, sizeof *d);
	d->nd = cc->nd;
	d->n = cc->n;
	d->c = cc->c;
	d->k = cc->k;
	d->groups = cc->groups;
	if (cc->c % cc->groups || cc->k % cc->groups)
		return 0;
	for (int j = 0; j < cc->nd; j++) {
		d->in[j] = cc->in[j];
		d->kernel[j] = cc->kernel[j];
		d->stride[j] = cc->stride[j];
		d->pad_lo[j] = cc->lo[j];
		d->pad_hi[j] = cc->hi[j];
		d->dilation[j] = cc->dil[j];
		d->output_pad[j] = cc->opad[j];
		if (cc->transpose)
			d->out[j] = (int)nrt_conv_transpose_out_dim(d->in[j], d->kernel[j],
								    d->stride[j], d->pad_lo[j],
								    d->pad_hi[j], d->dilation[j],
								    d->output_pad[j]);
		else
			d->out[j] = (int)nrt_conv_out_dim(d->in[j], d->kernel[j], d->stride[j],
							  d->pad_lo[j], d->pad_hi[j], d->dilation[j]);
		if (d->out[j] < 1)
			return 0;
	}
	return 1;
}

static int64_t vol(const int *a, int nd)
{
	int64_t v = 1;
	for (int j = 0; j < nd; j++)
		v *= a[j];
	return v;
}

/* A random case: sizes drawn until there is an output and the sums stay
 * short enough for the float32 reference to be an oracle at 1e-4 (the
 * reference sums in float, in its own order; its rounding grows with the
 * length of a sum). */
static void random_case(struct ccase *cc)
{
	static const int batches[] = { 1, 3, 3, 1, 3, 10 };
	struct nrt_conv_desc d;

	for (;;) {
		int cg, kg;
		int64_t kvol, invol, outvol, colvol;

		memset(cc, 0, sizeof *cc);
		cc->transpose = below(3) == 0;
		cc->nd = 1 + below(3);
		cc->n = batches[below(6)];
		switch (below(4)) {
		case 0: cc->groups = 1; break;
		case 1: cc->groups = 2; break;
		case 2: cc->groups = 3; break;
		default: cc->groups = 2 + below(5); break;   /* depthwise below */
		}
		cg = 1 + below(4);
		kg = 1 + below(3);
		if (cc->groups > 3)
			cg = 1;
		cc->c = cc->groups * cg;
		cc->k = cc->groups * kg;
		cc->bias = below(2);
		for (int j = 0; j < cc->nd; j++) {
			int maxin = cc->nd == 1 ? 24 : cc->nd == 2 ? 9 : 5;
			cc->in[j] = 1 + below(maxin);
			cc->kernel[j] = 1 + below(cc->nd == 3 ? 3 : 4);
			cc->stride[j] = 1 + below(3);
			cc->dil[j] = 1 + below(2);
			cc->lo[j] = below(3);
			cc->hi[j] = below(3);
			cc->opad[j] = cc->transpose ?
				below(cc->stride[j] > cc->dil[j] ? cc->stride[j] : cc->dil[j]) : 0;
		}
		if (!make_desc(cc, &d))
			continue;
		kvol = vol(d.kernel, d.nd);
		invol = vol(d.in, d.nd);
		outvol = vol(d.out, d.nd);
		colvol = cc->transpose ? invol : outvol;
		/* the sums: over batch and positions (dw, db), over the window (y, dx) */
		if ((int64_t)cc->n * (cc->transpose ? outvol : colvol) > 700 ||
		    (cc->transpose ? kg : cg) * kvol > 200)
			continue;
		return;
	}
}

static void describe(const struct ccase *cc, const struct nrt_conv_desc *d, char *buf,
		     size_t size)
{
	int len = snprintf(buf, size, "%s%dd n%d c%d k%d g%d%s in", cc->transpose ?
			   "conv_transpose" : "conv", d->nd, d->n, d->c, d->k, d->groups,
			   cc->bias ? " bias" : "");
	for (int j = 0; j < d->nd && len < (int)size; j++)
		len += snprintf(buf + len, size - (size_t)len, "%s%d", j ? "x" : " ", d->in[j]);
	for (int j = 0; j < d->nd && len < (int)size; j++)
		len += snprintf(buf + len, size - (size_t)len, " [k%d s%d p%d/%d d%d o%d]",
				d->kernel[j], d->stride[j], d->pad_lo[j], d->pad_hi[j],
				d->dilation[j], d->output_pad[j]);
}

static int conv_fwd(struct nrt_pool *p, int tr, const struct nrt_conv_desc *d, const float *x,
		    const float *w, const float *b, float *y, void *ws, size_t wss)
{
	return tr ? nrt_cpu_conv_transpose_fwd_f32(p, d, x, w, b, y, ws, wss)
		  : nrt_cpu_conv_fwd_f32(p, d, x, w, b, y, ws, wss);
}

static int conv_bwd(struct nrt_pool *p, int tr, const struct nrt_conv_desc *d, const float *x,
		    const float *w, const float *dy, float *dx, float *dw, float *db, void *ws,
		    size_t wss)
{
	return tr ? nrt_cpu_conv_transpose_bwd_f32(p, d, x, w, dy, dx, dw, db, ws, wss)
		  : nrt_cpu_conv_bwd_f32(p, d, x, w, dy, dx, dw, db, ws, wss);
}

static void conv_case(const struct ccase *cc, uint64_t seed, int dyadic)
{
	struct nrt_conv_desc d;
	char label[256];
	int tr = cc->transpose, ok = 1, s0 = tr ? S_CT_Y : S_CONV_Y;
	int64_t xlen, ylen, wlen, blen;
	size_t ws_big, ws_one;
	float *x, *w, *b = NULL, *dy, *yr, *dxr, *dwr, *dbr;
	float *y[NPOOL], *dx[NPOOL], *dw[NPOOL], *db[NPOOL], *t1, *t2, *t3;
	char *ws;

	if (!make_desc(cc, &d)) {
		printf("FAIL a test case that is no conv (groups, or no output)\n");
		failed++;
		return;
	}
	describe(cc, &d, label, sizeof label);
	xlen = (int64_t)d.n * d.c * vol(d.in, d.nd);
	ylen = (int64_t)d.n * d.k * vol(d.out, d.nd);
	wlen = (tr ? (int64_t)d.c * (d.k / d.groups) : (int64_t)d.k * (d.c / d.groups)) *
	       vol(d.kernel, d.nd);
	blen = d.k;
	rng = seed;
	x = falloc(xlen);
	w = falloc(wlen);
	dy = falloc(ylen);
	b = cc->bias ? falloc(blen) : NULL;
	{
		void (*fl)(float *, int64_t) = dyadic ? fill_dyadic : fill;
		fl(x, xlen);
		fl(w, wlen);
		fl(dy, ylen);
		if (b)
			fl(b, blen);
	}
	yr = falloc(ylen);
	dxr = falloc(xlen);
	dwr = falloc(wlen);
	dbr = falloc(blen);
	if (tr) {
		nrt_ref_conv_transpose_fwd_f32(&d, x, w, b, yr);
		nrt_ref_conv_transpose_bwd_f32(&d, x, w, dy, dxr, dwr, dbr);
	} else {
		nrt_ref_conv_fwd_f32(&d, x, w, b, yr);
		nrt_ref_conv_bwd_f32(&d, x, w, dy, dxr, dwr, dbr);
	}

	/* a workspace for the largest pool, and one planned for 1 thread;
	 * + 4 to shift the pointer off alignment below */
	ws_big = tr ? nrt_conv_transpose_workspace(&d, NPOOL) : nrt_conv_workspace(&d, NPOOL);
	ws_one = tr ? nrt_conv_transpose_workspace(&d, 1) : nrt_conv_workspace(&d, 1);
	ws = xmalloc(ws_big + 4);
	for (int i = 0; i < NPOOL; i++) {
		y[i] = falloc(ylen);
		dx[i] = falloc(xlen);
		dw[i] = falloc(wlen);
		db[i] = falloc(blen);
		/* NaN in the outputs: what a kernel leaves unwritten shows */
		memset(y[i], 0xff, (size_t)ylen * sizeof(float));
		memset(dx[i], 0xff, (size_t)xlen * sizeof(float));
		memset(dw[i], 0xff, (size_t)wlen * sizeof(float));
		memset(db[i], 0xff, (size_t)blen * sizeof(float));
		if (conv_fwd(pools[i], tr, &d, x, w, b, y[i], ws, ws_big) ||
		    conv_bwd(pools[i], tr, &d, x, w, dy, dx[i], dw[i], db[i], ws, ws_big)) {
			printf("FAIL %s: error return with %d threads\n", label, i + 1);
			ok = 0;
		}
	}
	ok &= close_to(s0 + 0, label, y[0], yr, ylen);
	ok &= close_to(s0 + 1, label, dx[0], dxr, xlen);
	ok &= close_to(s0 + 2, label, dw[0], dwr, wlen);
	ok &= close_to(s0 + 3, label, db[0], dbr, blen);
	for (int i = 1; i < NPOOL; i++) {
		ok &= same_bits(label, "y across threads", y[i], y[0], ylen);
		ok &= same_bits(label, "dx across threads", dx[i], dx[0], xlen);
		ok &= same_bits(label, "dw across threads", dw[i], dw[0], wlen);
		ok &= same_bits(label, "db across threads", db[i], db[0], blen);
	}
	if (dyadic) {
		ok &= same_bits(label, "y (exact sums) and the reference", y[0], yr, ylen);
		ok &= same_bits(label, "dx (exact sums) and the reference", dx[0], dxr, xlen);
		ok &= same_bits(label, "dw (exact sums) and the reference", dw[0], dwr, wlen);
		ok &= same_bits(label, "db (exact sums) and the reference", db[0], dbr, blen);
	}

	/* 3 threads on a 1-thread workspace, misaligned; gradients one at a
	 * time: the same bits */
	t1 = falloc(ylen > xlen ? ylen : xlen);
	t2 = falloc(wlen);
	t3 = falloc(blen);
	if (conv_fwd(pools[NPOOL - 1], tr, &d, x, w, b, t1, ws + 4, ws_one))
		ok = 0, printf("FAIL %s: error return on a small workspace\n", label);
	ok &= same_bits(label, "y on a 1-thread workspace", t1, y[0], ylen);
	if (conv_bwd(pools[NPOOL - 1], tr, &d, x, w, dy, t1, NULL, NULL, ws + 4, ws_one) ||
	    conv_bwd(pools[NPOOL - 1], tr, &d, x, w, dy, NULL, t2, NULL, ws + 4, ws_one) ||
	    conv_bwd(pools[NPOOL - 1], tr, &d, x, w, dy, NULL, NULL, t3, ws + 4, ws_one))
		ok = 0, printf("FAIL %s: error return for one gradient\n", label);
	ok &= same_bits(label, "dx alone", t1, dx[0], xlen);
	ok &= same_bits(label, "dw alone", t2, dw[0], wlen);
	ok &= same_bits(label, "db alone", t3, db[0], blen);
	/* a workspace short of one thread's share is refused, not overrun */
	if (ws_one > 0 && conv_fwd(pools[0], tr, &d, x, w, b, t1, ws, 1) != EINVAL)
		ok = 0, printf("FAIL %s: a 1-byte workspace was accepted\n", label);

	verdict(ok, label);
	free(t1);
	free(t2);
	free(t3);
	for (int i = 0; i < NPOOL; i++) {
		free(y[i]);
		free(dx[i]);
		free(dw[i]);
		free(db[i]);
	}
	free(ws);
	free(x);
	free(w);
	free(b);
	free(dy);
	free(yr);
	free(dxr);
	free(dwr);
	free(dbr);
}

/* Descriptors the kernels must refuse with EINVAL, not crash on. */
static void conv_invalid(void)
{
	struct ccase cc = { 0, 2, 1, 4, 4, 1, 0, { 5, 5 }, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 1, 1 },
			    { 1, 1 }, { 0 } };
	struct nrt_conv_desc d, e;
	float v[1024] = { 0 };
	int ok = 1;

	make_desc(&cc, &d);
	e = d, e.groups = 3;              /* does not divide c */
	ok &= nrt_cpu_conv_fwd_f32(pools[0], &e, v, v, NULL, v, NULL, 0) == EINVAL;
	e = d, e.nd = 0;
	ok &= nrt_cpu_conv_bwd_f32(pools[0], &e, v, v, v, v, v, v, NULL, 0) == EINVAL;
	e = d, e.stride[1] = 0;
	ok &= nrt_cpu_conv_transpose_fwd_f32(pools[0], &e, v, v, NULL, v, NULL, 0) == EINVAL;
	e = d, e.pad_lo[0] = -1;
	ok &= nrt_cpu_conv_transpose_bwd_f32(pools[0], &e, v, v, v, v, v, v, NULL, 0) == EINVAL;
	ok &= nrt_conv_workspace(&e, 4) == 0;
	/* a workspace is needed here and none given */
	ok &= nrt_cpu_conv_fwd_f32(pools[0], &d, v, v, NULL, v, NULL, 0) == EINVAL;
	verdict(ok, "invalid descriptors and workspaces refused");
}

/* ---------------------------------------------------------------- dense */

static void dense_case(int n, int in, int out, int bias, uint64_t seed)
{
	struct nrt_dense_desc d = { n, in, out };
	char label[96];
	int ok = 1;
	int64_t xl = (int64_t)n * in, yl = (int64_t)n * out, wl = (int64_t)out * in;
	float *x, *w, *b = NULL, *dy, *yr, *dxr, *dwr, *dbr, *y[NPOOL], *dx[NPOOL], *dw[NPOOL],
	      *db[NPOOL];

	snprintf(label, sizeof label, "dense n%d in%d out%d%s", n, in, out, bias ? " bias" : "");
	rng = seed;
	x = falloc(xl);
	w = falloc(wl);
	dy = falloc(yl);
	fill(x, xl);
	fill(w, wl);
	fill(dy, yl);
	if (bias) {
		b = falloc(out);
		fill(b, out);
	}
	yr = falloc(yl);
	dxr = falloc(xl);
	dwr = falloc(wl);
	dbr = falloc(out);
	nrt_ref_dense_fwd_f32(&d, x, w, b, yr);
	nrt_ref_dense_bwd_f32(&d, x, w, dy, dxr, dwr, dbr);
	for (int i = 0; i < NPOOL; i++) {
		y[i] = falloc(yl);
		dx[i] = falloc(xl);
		dw[i] = falloc(wl);
		db[i] = falloc(out);
		memset(y[i], 0xff, (size_t)yl * sizeof(float));
		memset(dx[i], 0xff, (size_t)xl * sizeof(float));
		memset(dw[i], 0xff, (size_t)wl * sizeof(float));
		memset(db[i], 0xff, (size_t)out * sizeof(float));
		if (nrt_cpu_dense_fwd_f32(pools[i], &d, x, w, b, y[i]) ||
		    nrt_cpu_dense_bwd_f32(pools[i], &d, x, w, dy, dx[i], dw[i], db[i])) {
			printf("FAIL %s: error return\n", label);
			ok = 0;
		}
	}
	ok &= close_to(S_DENSE_Y, label, y[0], yr, yl);
	ok &= close_to(S_DENSE_DX, label, dx[0], dxr, xl);
	ok &= close_to(S_DENSE_DW, label, dw[0], dwr, wl);
	ok &= close_to(S_DENSE_DB, label, db[0], dbr, out);
	for (int i = 1; i < NPOOL; i++) {
		ok &= same_bits(label, "y across threads", y[i], y[0], yl);
		ok &= same_bits(label, "dx across threads", dx[i], dx[0], xl);
		ok &= same_bits(label, "dw across threads", dw[i], dw[0], wl);
		ok &= same_bits(label, "db across threads", db[i], db[0], out);
	}
	verdict(ok, label);
	for (int i = 0; i < NPOOL; i++) {
		free(y[i]);
		free(dx[i]);
		free(dw[i]);
		free(db[i]);
	}
	free(x);
	free(w);
	free(b);
	free(dy);
	free(yr);
	free(dxr);
	free(dwr);
	free(dbr);
}

/* ---------------------------------------------------------------- pool */

enum { MAX_IDX = 1000, MAX_THREADS = 8 };

struct mark {
	int64_t n;
	int count[MAX_IDX];            /* times each index was handled */
	int64_t begin[MAX_IDX];        /* begin of the chunk that handled it */
	pthread_t who[MAX_IDX];        /* the thread that handled it */
	int calls;                     /* body calls, under mu */
	pthread_mutex_t mu;
};

/* ---------------------------------------------------------------- epilogues */

/* act(y) as the reference activation kernels compute it, in place. */
static void ref_act(const struct nrt_epilogue *e, float *y, int64_t n)
{
	if (e->act == NRT_ACT_RELU)
		nrt_ref_relu_fwd_f32(n, y, y);
	else if (e->act == NRT_ACT_LEAKY_RELU)
		nrt_ref_leaky_relu_fwd_f32(n, (double)e->alpha, y, y);
}

/* The _ep_ forward kernels (epilogue.h) against the plain forward followed
 * by the activation kernel: bitwise, on every pool (what the fuse pass
 * promises), with and without bias. */
static void epilogue_conv(const struct ccase *cc, uint64_t seed)
{
	static const struct nrt_epilogue eps[] = {
		{ NRT_ACT_RELU, 0 }, { NRT_ACT_LEAKY_RELU, 0.1f }, { NRT_ACT_NONE, 0 },
	};
	struct nrt_conv_desc d;
	char label[300], desc[256];
	int tr = cc->transpose, ok = 1;
	int64_t xlen, ylen, wlen;
	size_t wss;
	float *x, *w, *b, *want, *got;
	char *ws;

	if (!make_desc(cc, &d))
		return;
	describe(cc, &d, desc, sizeof desc);
	snprintf(label, sizeof label, "epilogue %s", desc);
	xlen = (int64_t)d.n * d.c * vol(d.in, d.nd);
	ylen = (int64_t)d.n * d.k * vol(d.out, d.nd);
	wlen = (tr ? (int64_t)d.c * (d.k / d.groups) : (int64_t)d.k * (d.c / d.groups)) *
	       vol(d.kernel, d.nd);
	rng = seed;
	x = falloc(xlen);
	w = falloc(wlen);
	b = falloc(d.k);
	fill(x, xlen);
	fill(w, wlen);
	fill(b, d.k);
	want = falloc(ylen);
	got = falloc(ylen);
	wss = tr ? nrt_conv_transpose_workspace(&d, NPOOL) : nrt_conv_workspace(&d, NPOOL);
	ws = xmalloc(wss + 1);
	for (size_t e = 0; e < sizeof eps / sizeof eps[0]; e++)
		for (int withb = 0; withb < 2; withb++)
			for (int i = 0; i < NPOOL; i++) {
				const float *bb = withb ? b : NULL;
				int rc = conv_fwd(pools[i], tr, &d, x, w, bb, want, ws, wss);
				ref_act(&eps[e], want, ylen);
				memset(got, 0xff, (size_t)ylen * sizeof *got);
				rc |= tr ? nrt_cpu_conv_transpose_fwd_ep_f32(pools[i], &d, x, w, bb, got, &eps[e],
									     ws, wss)
					 : nrt_cpu_conv_fwd_ep_f32(pools[i], &d, x, w, bb, got, &eps[e], ws, wss);
				ok &= rc == 0;
				ok &= same_bits(label, "act(conv) fused", got, want, ylen);
			}
	verdict(ok, label);
	free(x);
	free(w);
	free(b);
	free(want);
	free(got);
	free(ws);
}

static void epilogue_dense(int n, int in, int out, uint64_t seed)
{
	static const struct nrt_epilogue eps[] = {
		{ NRT_ACT_RELU, 0 }, { NRT_ACT_LEAKY_RELU, 0.25f }, { NRT_ACT_NONE, 0 },
	};
	struct nrt_dense_desc d = { n, in, out };
	char label[96];
	int ok = 1;
	int64_t xl = (int64_t)n * in, yl = (int64_t)n * out, wl = (int64_t)out * in;
	float *x = falloc(xl), *w = falloc(wl), *b = falloc(out), *want = falloc(yl),
	      *got = falloc(yl);

	snprintf(label, sizeof label, "epilogue dense n%d in%d out%d", n, in, out);
	rng = seed;
	fill(x, xl);
	fill(w, wl);
	fill(b, out);
	for (size_t e = 0; e < sizeof eps / sizeof eps[0]; e++)
		for (int withb = 0; withb < 2; withb++)
			for (int i = 0; i < NPOOL; i++) {
				int rc = nrt_cpu_dense_fwd_f32(pools[i], &d, x, w, withb ? b : NULL, want);
				ref_act(&eps[e], want, yl);
				memset(got, 0xff, (size_t)yl * sizeof *got);
				rc |= nrt_cpu_dense_fwd_ep_f32(pools[i], &d, x, w, withb ? b : NULL, got,
							       &eps[e]);
				ok &= rc == 0;
				ok &= same_bits(label, "act(dense) fused", got, want, yl);
			}
	verdict(ok, label);
	free(x);
	free(w);
	free(b);
	free(want);
	free(got);
}

static void mark_body(void *ctx, int64_t begin, int64_t end)
{
	struct mark *m = ctx;
	for (int64_t i = begin; i < end; i++) {
		m->count[i]++;
		m->begin[i] = begin;
		m->who[i] = pthread_self();
	}
	pthread_mutex_lock(&m->mu);
	m->calls++;
	pthread_mutex_unlock(&m->mu);
}

/* Every n from 0 to past the thread count, every pool size: each index
 * once, in the chunk nrt_split names, chunks on distinct threads. */
static void pool_partition(void)
{
	static const int64_t ns[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 100, 999, 1000 };
	static struct mark m;
	int ok = 1;

	pthread_mutex_init(&m.mu, NULL);
	for (int t = 0; t <= MAX_THREADS && ok; t++) {
		struct nrt_pool *p = nrt_pool_new(t);
		int threads = t > 1 ? t : 1;

		if (!p || nrt_pool_threads(p) != threads) {
			printf("FAIL pool of %d threads not made\n", t);
			ok = 0;
			break;
		}
		for (size_t k = 0; k < sizeof ns / sizeof ns[0] && ok; k++) {
			int64_t n = ns[k];
			memset(m.count, 0, sizeof m.count);
			m.calls = 0;
			nrt_parallel_for(p, n, mark_body, &m);
			for (int64_t i = 0; i < n; i++) {
				if (m.count[i] != 1) {
					printf("FAIL pool %d, n %lld: index %lld handled %d times\n",
					       t, (long long)n, (long long)i, m.count[i]);
					ok = 0;
					break;
				}
			}
			if (n == 0 && m.calls != 0) {
				printf("FAIL pool %d: n = 0 called the body\n", t);
				ok = 0;
			}
			/* the static chunks, on distinct threads */
			for (int c = 0; c < threads && ok; c++) {
				int64_t b, e;
				nrt_split(n, threads, c, &b, &e);
				for (int64_t i = b; i < e; i++) {
					if (m.begin[i] != b || !pthread_equal(m.who[i], m.who[b])) {
						printf("FAIL pool %d, n %lld: index %lld not in chunk %d\n",
						       t, (long long)n, (long long)i, c);
						ok = 0;
						break;
					}
				}
				for (int c2 = 0; c2 < c && b < e; c2++) {
					int64_t b2, e2;
					nrt_split(n, threads, c2, &b2, &e2);
					if (b2 < e2 && pthread_equal(m.who[b2], m.who[b])) {
						printf("FAIL pool %d, n %lld: chunks %d and %d on one thread\n",
						       t, (long long)n, c2, c);
						ok = 0;
					}
				}
			}
		}
		nrt_pool_free(p);
	}
	nrt_pool_free(NULL);
	pthread_mutex_destroy(&m.mu);
	verdict(ok, "pool: static chunks, each index once, n = 0 and n < threads, 0..8 threads");
}

/* Disjoint writes summed, many times over (a lost wake-up or a race
 * would show as a hang or a wrong sum). */
struct sq {
	int64_t *a;
};

static void sq_body(void *ctx, int64_t begin, int64_t end)
{
	struct sq *s = ctx;
	for (int64_t i = begin; i < end; i++)
		s->a[i] = i * i;
}

static void pool_sum(void)
{
	enum { N = 10007, REPS = 2000 };
	int64_t *a = xmalloc(N * sizeof *a), want = 0;
	struct sq s = { a };
	int ok = 1;

	for (int64_t i = 0; i < N; i++)
		want += i * i;
	for (int r = 0; r < REPS && ok; r++) {
		int64_t sum = 0, n = 1 + r * 37 % N;
		memset(a, 0, N * sizeof *a);
		nrt_parallel_for(pools[r % NPOOL], n, sq_body, &s);
		for (int64_t i = 0; i < N; i++)
			sum += a[i];
		if (sum != (n - 1) * n * (2 * n - 1) / 6) {
			printf("FAIL pool sum: %lld for n %lld\n", (long long)sum, (long long)n);
			ok = 0;
		}
	}
	nrt_parallel_for(pools[NPOOL - 1], N, sq_body, &s);
	for (int64_t i = 0; i < N; i++)
		want -= a[i];
	ok &= want == 0;
	free(a);
	verdict(ok, "pool: sums of disjoint writes, 2000 calls");
}

/* A body calling nrt_parallel_for again: the inner loop runs inline. */
struct nest {
	struct nrt_pool *p;
	int64_t inner;
	int cells[16][50];
	int bad;
};

struct nest_inner {
	struct nest *nt;
	int64_t row;
	pthread_t outer;
};

static void inner_body(void *ctx, int64_t begin, int64_t end)
{
	struct nest_inner *in = ctx;
	if (!pthread_equal(pthread_self(), in->outer) || begin != 0 || end != in->nt->inner)
		in->nt->bad = 1;
	for (int64_t j = begin; j < end; j++)
		in->nt->cells[in->row][j]++;
}

static void outer_body(void *ctx, int64_t begin, int64_t end)
{
	struct nest *nt = ctx;
	for (int64_t r = begin; r < end; r++) {
		struct nest_inner in = { nt, r, pthread_self() };
		nrt_parallel_for(nt->p, nt->inner, inner_body, &in);
	}
}

static void pool_nested(void)
{
	struct nest nt = { pools[NPOOL - 1], 50, { { 0 } }, 0 };
	int ok = 1;

	nrt_parallel_for(nt.p, 16, outer_body, &nt);
	for (int r = 0; r < 16; r++)
		for (int j = 0; j < 50; j++)
			ok &= nt.cells[r][j] == 1;
	ok &= !nt.bad;
	verdict(ok, "pool: nested calls run inline");
}

/* Two threads of the program using one pool at once: both loops done
 * (the second caller runs inline rather than waiting). */
struct two {
	struct nrt_pool *p;
	int64_t *a;
	int64_t n;
};

static void *two_main(void *arg)
{
	struct two *t = arg;
	struct sq s = { t->a };
	for (int r = 0; r < 500; r++)
		nrt_parallel_for(t->p, t->n, sq_body, &s);
	return NULL;
}

static void pool_two_callers(void)
{
	enum { N = 5000 };
	int64_t *a = xmalloc(N * sizeof *a), *b = xmalloc(N * sizeof *b);
	struct two ta = { pools[NPOOL - 1], a, N }, tb = { pools[NPOOL - 1], b, N };
	pthread_t th;
	int ok = 1;

	memset(a, 0, N * sizeof *a);
	memset(b, 0, N * sizeof *b);
	if (pthread_create(&th, NULL, two_main, &ta) != 0) {
		printf("FAIL pthread_create\n");
		ok = 0;
	} else {
		two_main(&tb);
		pthread_join(th, NULL);
	}
	for (int64_t i = 0; i < N && ok; i++)
		ok &= a[i] == i * i && b[i] == i * i;
	free(a);
	free(b);
	verdict(ok, "pool: two callers at once");
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	int nrandom = 1000;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			verbose = 1;
		} else {
			fprintf(stderr, "usage: test_cpu [-v]\n");
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	nrt_cpu_init();
	for (int i = 0; i < NPOOL; i++) {
		pools[i] = nrt_pool_new(i + 1);
		if (!pools[i]) {
			perror("test_cpu: nrt_pool_new");
			return 2;
		}
	}

	pool_partition();
	pool_sum();
	pool_nested();
	pool_two_callers();

	for (size_t i = 0; i < sizeof fixed_cases / sizeof fixed_cases[0]; i++)
		conv_case(&fixed_cases[i], 1000 + i, 0);
	for (size_t i = 0; i < sizeof big_cases / sizeof big_cases[0]; i++)
		conv_case(&big_cases[i], 2000 + i, 1);
	rng = 42;
	for (int i = 0; i < nrandom; i++) {
		struct ccase cc;
		uint64_t keep;
		random_case(&cc);
		keep = rng;
		conv_case(&cc, 5000 + (uint64_t)i, 0);
		rng = keep;   /* the configurations do not depend on the data drawn */
	}
	conv_invalid();
	for (size_t i = 0; i < sizeof fixed_cases / sizeof fixed_cases[0]; i++)
		epilogue_conv(&fixed_cases[i], 3000 + i);
	epilogue_dense(3, 67, 129, 3100);
	epilogue_dense(65, 200, 7, 3101);
	epilogue_dense(1, 1, 1, 3102);

	{
		static const int dn[] = { 1, 3, 64, 65, 130 };
		static const int din[] = { 1, 5, 67, 200 };
		static const int dout[] = { 1, 7, 128, 129, 300 };
		uint64_t seed = 9000;
		for (size_t i = 0; i < sizeof dn / sizeof dn[0]; i++)
			for (size_t j = 0; j < sizeof din / sizeof din[0]; j++)
				for (size_t k = 0; k < sizeof dout / sizeof dout[0]; k++)
					dense_case(dn[i], din[j], dout[k], (int)((i + j + k) % 2),
						   seed++);
	}
	for (int i = 0; i < NPOOL; i++)
		nrt_pool_free(pools[i]);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("test_cpu: |fast - ref| <= 1e-5 + 1e-4 |ref| on every element "
	       "(ratio: worst error / tolerance)\n");
	for (int s = 0; s < S_COUNT; s++)
		printf("  %-20s %4lld cases %9lld elements  max |err| %.3g  ratio %.3f\n",
		       stat_name[s], (long long)stats[s].cases, (long long)stats[s].elems,
		       stats[s].abs, stats[s].ratio);
	printf("test_cpu: %lld bitwise comparisons (1, 2, 3 threads; small and misaligned "
	       "workspace; one gradient at a time); %.2f s\n", (long long)bitwise_checks,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
