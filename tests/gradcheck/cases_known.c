/* cases_known.c - checks against published or PyTorch-computed values:
 * the Random123 known-answer vectors of Philox4x32-10, properties of the
 * dropout streams, pooling output sizes and batchnorm statistics. */
#include "gc.h"

#include <math.h>
#include <string.h>

#include "philox.h"
#include "ref.h"

/* Random123's kat_vectors for philox4x32 with 10 rounds: counter, key,
 * expected output. */
static const struct {
	uint32_t ctr[4], key[2], want[4];
} philox_kat[] = {
	{ { 0, 0, 0, 0 }, { 0, 0 },
	  { 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 } },
	{ { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff }, { 0xffffffff, 0xffffffff },
	  { 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd } },
	{ { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344 }, { 0xa4093822, 0x299f31d0 },
	  { 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 } },
};

static void philox_cases(struct gc_report *rep)
{
	for (int i = 0; i < (int)(sizeof philox_kat / sizeof philox_kat[0]); i++) {
		uint32_t out[4];
		int ok;
		nrt_philox4x32_10(philox_kat[i].ctr, philox_kat[i].key, out);
		ok = memcmp(out, philox_kat[i].want, sizeof out) == 0;
		if (!ok)
			printf("FAIL philox: vector %d: got %08x %08x %08x %08x, want %08x %08x %08x %08x\n",
			       i, out[0], out[1], out[2], out[3], philox_kat[i].want[0],
			       philox_kat[i].want[1], philox_kat[i].want[2], philox_kat[i].want[3]);
		gc_count(rep, "philox", ok, ok ? 0 : 1, -1);
	}
}

/* The dropout mask: reproducible from (seed, step, layer), different for
 * another step or layer, the same in float32 and float64, and keeping
 * about 1 - p of the elements, each scaled by 1 / (1 - p). */
static void dropout_stream_cases(struct gc_report *rep)
{
	enum { N = 4000 };
	static double x[N], y1[N], y2[N], y3[N], y4[N];
	static float x32[N], y32[N];
	struct nrt_dropout_desc d = { N, 0.25, 7, 11, 3 }, e;
	int64_t kept = 0, diff_step = 0, diff_layer = 0;
	int same = 1, same32 = 1, ok;
	double rate;

	for (int i = 0; i < N; i++) {
		x[i] = 1;
		x32[i] = 1;
	}
	nrt_ref_dropout_fwd_f64(&d, x, y1);
	nrt_ref_dropout_fwd_f64(&d, x, y2);
	nrt_ref_dropout_fwd_f32(&d, x32, y32);
	e = d;
	e.step++;
	nrt_ref_dropout_fwd_f64(&e, x, y3);
	e = d;
	e.layer++;
	nrt_ref_dropout_fwd_f64(&e, x, y4);
	for (int i = 0; i < N; i++) {
		kept += y1[i] != 0;
		same &= y1[i] == y2[i];
		same32 &= (y1[i] != 0) == (y32[i] != 0);
		diff_step += (y1[i] != 0) != (y3[i] != 0);
		diff_layer += (y1[i] != 0) != (y4[i] != 0);
		if (y1[i] != 0 && fabs(y1[i] - 1 / 0.75) > 1e-15)
			same = 0;
	}
	rate = (double)kept / N;
	/* 1 - p = 0.75, with a standard deviation of the rate of 0.007; two
	 * independent masks differ in 2 p (1 - p) = 37.5% of the elements */
	ok = same && same32 && fabs(rate - 0.75) < 0.04 && diff_step > N / 4 && diff_layer > N / 4;
	if (!ok)
		printf("FAIL dropout_stream: kept %.4f (want 0.75), reproducible %d, float32 mask "
		       "equal %d, differs for another step in %lld and layer in %lld of %d\n",
		       rate, same, same32, (long long)diff_step, (long long)diff_layer, N);
	gc_count(rep, "dropout_stream", ok, fabs(rate - 0.75), -1);
}

/* Pooling output sizes as torch.nn.functional.max_pool1d computes them:
 * in, kernel, stride, pad, dilation, ceil, out. */
static const int pool_sizes[][7] = {
	{ 5, 2, 2, 1, 1, 1, 3 },
	{ 5, 2, 2, 0, 1, 1, 3 },
	{ 112, 3, 2, 1, 1, 0, 56 },
	{ 112, 3, 2, 0, 1, 1, 56 },
	{ 7, 3, 2, 1, 2, 1, 3 },
	{ 13, 3, 2, 1, 1, 1, 7 },
	{ 6, 3, 3, 1, 1, 1, 3 },
	{ 10, 4, 3, 2, 1, 1, 4 },
	{ 9, 2, 4, 1, 1, 1, 3 },
	{ 8, 5, 3, 2, 2, 1, 2 },
	{ 147, 3, 2, 0, 1, 0, 73 },
	{ 14, 2, 2, 0, 1, 1, 7 },
};

static void window_cases(struct gc_report *rep)
{
	int bad = 0, lo, hi;

	for (int i = 0; i < (int)(sizeof pool_sizes / sizeof pool_sizes[0]); i++) {
		const int *r = pool_sizes[i];
		int64_t out = nrt_pool_out_dim(r[0], r[1], r[2], r[3], r[4], r[5]);
		if (out != r[6]) {
			printf("FAIL window: pool in %d kernel %d stride %d pad %d dil %d ceil %d: "
			       "got %lld, PyTorch %d\n", r[0], r[1], r[2], r[3], r[4], r[5],
			       (long long)out, r[6]);
			bad++;
		}
	}
	/* pad = same keeps the size, the odd padding on the high side */
	nrt_pad_same(4, 1, &lo, &hi);
	bad += lo != 1 || hi != 2 || nrt_conv_out_dim(9, 4, 1, lo, hi, 1) != 9;
	nrt_pad_same(3, 2, &lo, &hi);
	bad += lo != 2 || hi != 2 || nrt_conv_out_dim(9, 3, 1, lo, hi, 2) != 9;
	/* conv_transpose: (5 - 1) * 2 - 2 + 2 + 1 + 1 */
	bad += nrt_conv_transpose_out_dim(5, 3, 2, 1, 1, 1, 1) != 10;
	if (bad)
		printf("FAIL window: %d output sizes wrong\n", bad);
	gc_count(rep, "window", bad == 0, bad, -1);
}

/* batchnorm on x [3, 2, 5], x_j = sin(j), against torch.nn.BatchNorm1d
 * (PyTorch 1.13.1, float64) with running mean [0.5, -0.5], running
 * variance [2, 1], gamma [1.5, 0.5], beta [0.1, -0.2]: one training step
 * (y, then the running statistics with the unbiased variance), then
 * inference with the new statistics. */
static void bn_stat_cases(struct gc_report *rep)
{
	static const double want_train[6] = {
		0.037510181945754235, 1.7739783200346895, 1.9139456600977682,
		0.32872687517345583, -1.524235194489816, -0.964998072808118 };
	static const double want_rm[2] = { 0.45302817930172007, -0.44457429943262089 };
	static const double want_rv[2] = { 1.856608568744625, 0.94698367248657433 };
	static const double want_eval[6] = {
		-0.39871810082575426, 0.52761900272973294, 0.60228604529873264,
		-0.24336550771198437, -1.2318475183863116, -0.46427445689822244 };
	struct nrt_bn_desc d = { 3, 2, 5, 1e-5, 0.1 };
	double x[30], y[30], rm[2] = { 0.5, -0.5 }, rv[2] = { 2, 1 };
	double gamma[2] = { 1.5, 0.5 }, beta[2] = { 0.1, -0.2 };
	float x32[30], y32[30], rm32[2] = { 0.5f, -0.5f }, rv32[2] = { 2, 1 };
	float gamma32[2] = { 1.5f, 0.5f }, beta32[2] = { 0.1f, -0.2f };
	double e64 = 0, e32 = 0;
	int ok;

	for (int j = 0; j < 30; j++) {
		x[j] = sin(j);
		x32[j] = (float)x[j];
	}
	nrt_ref_batchnorm_fwd_train_f64(&d, x, gamma, beta, y, NULL, NULL, rm, rv);
	nrt_ref_batchnorm_fwd_train_f32(&d, x32, gamma32, beta32, y32, NULL, NULL, rm32, rv32);
	for (int j = 0; j < 6; j++) {
		e64 = fmax(e64, fabs(y[j] - want_train[j]));
		e32 = fmax(e32, fabs(y32[j] - want_train[j]));
	}
	for (int c = 0; c < 2; c++) {
		e64 = fmax(e64, fmax(fabs(rm[c] - want_rm[c]), fabs(rv[c] - want_rv[c])));
		e32 = fmax(e32, fmax(fabs(rm32[c] - want_rm[c]), fabs(rv32[c] - want_rv[c])));
	}
	nrt_ref_batchnorm_fwd_infer_f64(&d, x, gamma, beta, rm, rv, y);
	nrt_ref_batchnorm_fwd_infer_f32(&d, x32, gamma32, beta32, rm32, rv32, y32);
	for (int j = 0; j < 6; j++) {
		e64 = fmax(e64, fabs(y[j] - want_eval[j]));
		e32 = fmax(e32, fabs(y32[j] - want_eval[j]));
	}
	ok = e64 <= 1e-12 && e32 <= 1e-5;
	if (!ok)
		printf("FAIL batchnorm_stats: differs from PyTorch by %.3g (float64), %.3g (float32)\n",
		       e64, e32);
	gc_count(rep, "batchnorm_stats", ok, e64, e32);
}

void gc_known_cases(struct gc_report *rep)
{
	philox_cases(rep);
	dropout_stream_cases(rep);
	window_cases(rep);
	bn_stat_cases(rep);
}
