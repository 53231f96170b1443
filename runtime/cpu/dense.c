/* dense.c - dense forward and backward as tiled cblas_sgemm calls.
 *
 * Each product C = A B is cut into TILE_M x TILE_N tiles of C, one sgemm
 * per tile over the whole of K, so that a tile is computed the same way
 * whichever thread takes it and however many threads there are.  For the
 * weight gradient K is the batch: every tile sums the batch itself, in
 * one call, instead of threads summing parts of it. */
#include "dense.h"

#include <cblas.h>
#include <errno.h>
#include <string.h>

enum { TILE_M = 64, TILE_N = 128 };

enum which { FWD, DX, DW };

struct job {
	enum which op;
	const struct nrt_dense_desc *d;
	const float *x, *w, *b, *dy;
	const struct nrt_epilogue *ep; /* FWD: the activation after the bias, or NULL */
	float *out;
	int64_t m, n;                  /* the product's C: m x n */
	int64_t tn;                    /* tiles along n */
};

static int64_t cdiv(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

static void tile_body(void *ctx, int64_t begin, int64_t end)
{
	const struct job *jb = ctx;
	const struct nrt_dense_desc *d = jb->d;

	for (int64_t t = begin; t < end; t++) {
		int64_t i0 = t / jb->tn * TILE_M, j0 = t % jb->tn * TILE_N;
		int mi = (int)(jb->m - i0 < TILE_M ? jb->m - i0 : TILE_M);
		int nj = (int)(jb->n - j0 < TILE_N ? jb->n - j0 : TILE_N);

		switch (jb->op) {
		case FWD:
			/* y[i, j] = x[i, :] . w[j, :] */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, mi, nj, d->in, 1.0f,
				    jb->x + i0 * d->in, d->in, jb->w + j0 * d->in, d->in, 0.0f,
				    jb->out + i0 * d->out + j0, d->out);
			if (jb->b || nrt_epilogue_active(jb->ep))
				for (int64_t i = i0; i < i0 + mi; i++)
					nrt_epilogue_rowv(jb->ep, jb->out + i * d->out + j0, nj,
							  jb->b ? jb->b + j0 : NULL);
			break;
		case DX:
			/* dx[i, k] = dy[i, :] . w[:, k] */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mi, nj, d->out, 1.0f,
				    jb->dy + i0 * d->out, d->out, jb->w + j0, d->in, 0.0f,
				    jb->out + i0 * d->in + j0, d->in);
			break;
		case DW:
			/* dw[j, k] = dy[:, j] . x[:, k], the whole batch in one call */
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, mi, nj, d->n, 1.0f,
				    jb->dy + i0, d->out, jb->x + j0, d->in, 0.0f,
				    jb->out + i0 * d->in + j0, d->in);
			break;
		}
	}
}

static void run(struct nrt_pool *p, struct job *jb, int64_t m, int64_t n)
{
	jb->m = m;
	jb->n = n;
	jb->tn = cdiv(n, TILE_N);
	nrt_parallel_for(p, cdiv(m, TILE_M) * jb->tn, tile_body, jb);
}

struct sum_job {
	const struct nrt_dense_desc *d;
	const float *dy;
	float *db;
};

/* db[j] = sum over the batch of dy[:, j], in double, in batch order. */
static void sum_body(void *ctx, int64_t begin, int64_t end)
{
	const struct sum_job *sj = ctx;
	for (int64_t j = begin; j < end; j++) {
		double acc = 0;
		for (int64_t i = 0; i < sj->d->n; i++)
			acc += sj->dy[i * sj->d->out + j];
		sj->db[j] = (float)acc;
	}
}

static int bad(const struct nrt_dense_desc *d)
{
	return d->n < 0 || d->in < 1 || d->out < 1;
}

int nrt_cpu_dense_fwd_ep_f32(struct nrt_pool *p, const struct nrt_dense_desc *d, const float *x,
			     const float *w, const float *b, float *y,
			     const struct nrt_epilogue *ep)
{
	struct job jb = { .op = FWD, .d = d, .x = x, .w = w, .b = b, .ep = ep, .out = y };

	if (bad(d))
		return EINVAL;
	run(p, &jb, d->n, d->out);
	return 0;
}

int nrt_cpu_dense_fwd_f32(struct nrt_pool *p, const struct nrt_dense_desc *d, const float *x,
			  const float *w, const float *b, float *y)
{
	return nrt_cpu_dense_fwd_ep_f32(p, d, x, w, b, y, NULL);
}

int nrt_cpu_dense_bwd_f32(struct nrt_pool *p, const struct nrt_dense_desc *d, const float *x,
			  const float *w, const float *dy, float *dx, float *dw, float *db)
{
	if (bad(d))
		return EINVAL;
	if (dx) {
		struct job jb = { .op = DX, .d = d, .w = w, .dy = dy, .out = dx };
		run(p, &jb, d->n, d->in);
	}
	if (dw) {
		struct job jb = { .op = DW, .d = d, .x = x, .dy = dy, .out = dw };
		if (d->n == 0)
			memset(dw, 0, (size_t)d->out * (size_t)d->in * sizeof *dw);
		else
			run(p, &jb, d->out, d->in);
	}
	if (db) {
		struct sum_job sj = { d, dy, db };
		nrt_parallel_for(p, d->out, sum_body, &sj);
	}
	return 0;
}
