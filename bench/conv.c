/* bench/conv.c - how close the fast conv (runtime/cpu) comes to sgemm.
 *
 * For the 3x3 conv layers of a CIFAR-sized ResNet-18 (batch 32, stride 1,
 * pad 1: 64 channels at 32x32, 128 at 16x16, 256 at 8x8, 512 at 4x4) it
 * measures, in this run, with 1 and 2 threads:
 *   conv   nrt_cpu_conv_fwd_f32 on a pool of T threads (BLAS 1 thread)
 *   sgemm  one cblas_sgemm of the whole layer, M = k, N = batch * H * W,
 *          K = c * 9, with OpenBLAS on T threads: the im2col-free bound
 *   ratio  conv / sgemm, per layer and the mean over the layers
 * and, for contrast, the backward pass (dx + dw: twice the FLOPs), the
 * workspace the kernels asked for (all threads together) and the
 * reference kernel nrt_ref_conv_fwd_f32 on one layer (a smaller batch: it
 * is slow).  GFLOP/s count 2 * N * k * H * W * c * 9 per forward; each
 * figure is the best of the timed calls (see measure2).  Figures only, no
 * pass/fail.
 *
 *   bench/conv [seconds per measurement, default 0.5]
 *   make bench-conv            (builds it; bench/conv.sh runs it) */
#define _POSIX_C_SOURCE 200809L

#include "cpu.h"
#include "ref.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { BATCH = 32, MAX_REPS = 200 };

static const struct {
	int c, hw;
} layers[] = { { 64, 32 }, { 128, 16 }, { 256, 8 }, { 512, 4 } };
enum { NLAYERS = sizeof layers / sizeof layers[0] };

static double budget = 0.5;       /* seconds per measurement */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* What one measurement runs. */
struct run {
	struct nrt_pool *pool;
	const struct nrt_conv_desc *d;
	const float *x, *w, *b, *dy;
	float *y, *dx, *dw, *db;
	void *ws;
	size_t ws_size;
	int m, n, k;                   /* sgemm */
	int gemm_threads;              /* OpenBLAS threads for it */
	const float *a, *bm;
	float *cm;
};

enum what { CONV_FWD, CONV_BWD, SGEMM, REF_FWD };

/* Seconds of one call of what (the thread switch of OpenBLAS not counted). */
static double run_once(const struct run *r, enum what what)
{
	double t0 = 0, t1 = 0;

	switch (what) {
	case CONV_FWD:
		t0 = now();
		if (nrt_cpu_conv_fwd_f32(r->pool, r->d, r->x, r->w, r->b, r->y, r->ws, r->ws_size))
			fprintf(stderr, "bench/conv: conv_fwd failed\n"), exit(1);
		t1 = now();
		break;
	case CONV_BWD:
		t0 = now();
		if (nrt_cpu_conv_bwd_f32(r->pool, r->d, r->x, r->w, r->dy, r->dx, r->dw, r->db,
					 r->ws, r->ws_size))
			fprintf(stderr, "bench/conv: conv_bwd failed\n"), exit(1);
		t1 = now();
		break;
	case SGEMM:
		/* the bound gets the threads the kernels get as a pool */
		openblas_set_num_threads(r->gemm_threads);
		t0 = now();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r->m, r->n, r->k, 1.0f, r->a,
			    r->k, r->bm, r->n, 0.0f, r->cm, r->n);
		t1 = now();
		openblas_set_num_threads(1);
		break;
	case REF_FWD:
		t0 = now();
		nrt_ref_conv_fwd_f32(r->d, r->x, r->w, r->b, r->y);
		t1 = now();
		break;
	}
	return t1 - t0;
}

/* Best seconds per call of a and of b: one warm-up call each, then calls
 * of a and b in turn until the budget is spent (at least 5 each), so that
 * both see the same state of a machine shared with other work; the best
 * (minimum) rather than the median, because what other processes add is
 * noise and never makes a call faster. */
static void measure2(const struct run *r, enum what a, enum what b, double *ta, double *tb)
{
	double start;

	run_once(r, a);
	run_once(r, b);
	*ta = *tb = 1e30;
	start = now();
	for (int n = 0; n < MAX_REPS && (n < 5 || now() - start < budget); n++) {
		double t = run_once(r, a);
		if (t < *ta)
			*ta = t;
		t = run_once(r, b);
		if (t < *tb)
			*tb = t;
	}
}

/* Best seconds per call of a alone. */
static double measure1(const struct run *r, enum what a)
{
	double t1, t2;
	measure2(r, a, a, &t1, &t2);
	return t1 < t2 ? t1 : t2;
}

static float *randf(size_t n)
{
	float *v = malloc(n * sizeof *v);
	if (!v)
		fprintf(stderr, "bench/conv: out of memory\n"), exit(1);
	for (size_t i = 0; i < n; i++)
		v[i] = (float)rand() / (float)RAND_MAX - 0.5f;
	return v;
}

static void layer_desc(int li, int batch, struct nrt_conv_desc *d)
{
	memset(d, 0, sizeof *d);
	d->nd = 2;
	d->n = batch;
	d->c = d->k = layers[li].c;
	d->groups = 1;
	for (int j = 0; j < 2; j++) {
		d->in[j] = d->out[j] = layers[li].hw;
		d->kernel[j] = 3;
		d->stride[j] = d->dilation[j] = 1;
		d->pad_lo[j] = d->pad_hi[j] = 1;
	}
}

static double layer_flops(const struct nrt_conv_desc *d)
{
	return 2.0 * d->n * d->k * d->out[0] * d->out[1] * d->c * 9.0;
}

int main(int argc, char **argv)
{
	static const int threads[] = { 1, 2 };

	if (argc > 1)
		budget = atof(argv[1]);
	nrt_cpu_init();
	printf("conv forward, 3x3 stride 1 pad 1, batch %d, float32; GFLOP/s, best of calls\n"
	       "sgemm: one call, M = k, N = batch*H*W, K = c*9, OpenBLAS on the same threads\n",
	       BATCH);
	for (size_t ti = 0; ti < sizeof threads / sizeof threads[0]; ti++) {
		int nt = threads[ti];
		struct nrt_pool *pool = nrt_pool_new(nt);
		double sum_ratio = 0;

		if (!pool) {
			perror("bench/conv: nrt_pool_new");
			return 1;
		}
		printf("\n%d thread%s\n%-16s %6s %6s %6s %9s %9s %7s %9s %9s\n", nt,
		       nt > 1 ? "s" : "", "layer", "M", "N", "K", "conv", "sgemm", "ratio", "conv bwd",
		       "ws KiB");
		for (int li = 0; li < NLAYERS; li++) {
			struct nrt_conv_desc d;
			struct run r = { .pool = pool };
			size_t xl, wl, yl;
			double flops, t_conv, t_bwd, t_gemm, ratio;
			char name[32];

			layer_desc(li, BATCH, &d);
			xl = (size_t)d.n * d.c * d.in[0] * d.in[1];
			yl = (size_t)d.n * d.k * d.out[0] * d.out[1];
			wl = (size_t)d.k * d.c * 9;
			r.d = &d;
			r.x = randf(xl);
			r.w = randf(wl);
			r.b = randf((size_t)d.k);
			r.dy = randf(yl);
			r.y = randf(yl);
			r.dx = randf(xl);
			r.dw = randf(wl);
			r.db = randf((size_t)d.k);
			r.ws_size = nrt_conv_workspace(&d, nt);
			r.ws = malloc(r.ws_size ? r.ws_size : 1);
			r.gemm_threads = nt;
			r.m = d.k;
			r.n = d.n * d.out[0] * d.out[1];
			r.k = d.c * 9;
			r.a = randf((size_t)r.m * r.k);
			r.bm = randf((size_t)r.k * r.n);
			r.cm = randf((size_t)r.m * r.n);
			flops = layer_flops(&d);

			measure2(&r, CONV_FWD, SGEMM, &t_conv, &t_gemm);
			t_bwd = measure1(&r, CONV_BWD);
			ratio = t_gemm / t_conv;
			sum_ratio += ratio;
			snprintf(name, sizeof name, "%dch %dx%d", d.c, d.in[0], d.in[1]);
			printf("%-16s %6d %6d %6d %9.1f %9.1f %7.3f %9.1f %9zu\n", name, r.m, r.n,
			       r.k, flops / t_conv * 1e-9, flops / t_gemm * 1e-9, ratio,
			       2 * flops / t_bwd * 1e-9, r.ws_size / 1024);
			free((void *)r.x);
			free((void *)r.w);
			free((void *)r.b);
			free((void *)r.dy);
			free(r.y);
			free(r.dx);
			free(r.dw);
			free(r.db);
			free(r.ws);
			free((void *)r.a);
			free((void *)r.bm);
			free(r.cm);
		}
		printf("%-16s %30s %7.3f\n", "mean", "", sum_ratio / NLAYERS);
		nrt_pool_free(pool);
	}

	/* The reference kernel, for contrast: the 128-channel layer, batch 2. */
	{
		struct nrt_conv_desc d;
		struct run r = { 0 };
		double t;

		layer_desc(1, 2, &d);
		r.d = &d;
		r.x = randf((size_t)d.n * d.c * d.in[0] * d.in[1]);
		r.w = randf((size_t)d.k * d.c * 9);
		r.b = randf((size_t)d.k);
		r.y = randf((size_t)d.n * d.k * d.out[0] * d.out[1]);
		t = measure1(&r, REF_FWD);
		printf("\nreference nrt_ref_conv_fwd_f32, %dch %dx%d batch %d: %.2f GFLOP/s\n", d.c,
		       d.in[0], d.in[1], d.n, layer_flops(&d) / t * 1e-9);
		free((void *)r.x);
		free((void *)r.w);
		free((void *)r.b);
		free(r.y);
	}
	return 0;
}
