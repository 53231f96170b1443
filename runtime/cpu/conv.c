/* conv.c - conv and conv_transpose in float32 by im2col and cblas_sgemm.
 *
 * Both ops are written in terms of one "core" convolution between an
 * image side and a column side:
 *
 *                   image side             column side
 *   conv            x, dx  [n, c, in]      y, dy  [n, k, out]
 *   conv_transpose  y, dy  [n, k, out]     x, dx  [n, c, in]
 *
 * with the weight [column channels, image channels / groups, kernel] in
 * both (conv [k, c/g, kernel], conv_transpose [c, k/g, kernel], as
 * PyTorch) and the same tap t(o, kk) = o * stride - pad_lo + kk * dilation
 * from a column position o into the image.  conv_transpose is the adjoint
 * of conv, so the three core products cover all six computations:
 *
 *   fwd   col = W  im2col(img)        conv y,  conv_transpose dx
 *   dimg  img = col2im(W^T col)       conv dx, conv_transpose y
 *   dw    dW  = col im2col(img)^T     conv dw, conv_transpose dw
 *
 * Per group g, W_g is the [kg, rows] matrix (kg column channels, rows =
 * image channels of the group * kernel volume) and the column matrix of
 * one sample is [rows, col_vol].  Samples with small outputs are taken
 * `nb` at a time, their column matrices side by side, to give sgemm a
 * wide enough N; a sample with a large one is taken a tile of `cw`
 * columns at a time, so that the workspace stays small and in cache.
 * These, like every other cut of the work, are functions of the
 * descriptor only (core_plan): the sgemm calls made, and hence the bits
 * of every result, do not depend on the thread count.
 *
 * The weight gradient sums over the whole batch.  Cutting the batch among
 * threads and adding the per-thread sums afterwards would round
 * differently for every thread count, so it is cut by image channel
 * instead: a tile of input channels owns its columns of dW, and runs
 * through all the sample blocks in order, accumulating with beta = 1. */
#include "conv.h"

#include <cblas.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

/* The cuts of the work (core_plan); they depend on the descriptor alone.
 * A sample whose column matrix is large is taken a tile of columns
 * (output positions) at a time, the tile's column matrix about
 * TILE_FLOATS floats, to stay in the core's cache between im2col and
 * sgemm; but never narrower than MIN_COLS, where sgemm slows down.
 * Samples with few positions are taken several at a time, side by side,
 * until MIN_COLS columns or as many as W_g has rows (sgemm packs W_g anew
 * in every call: in a deep layer with a small output that copying costs
 * more than the columns'), but leaving at least MIN_BLOCKS blocks for the
 * threads.
 * (They change which sgemm calls are made, and so the last bits of the
 * results: constants, not settings.) */
enum { TILE_FLOATS = 128 * 1024, MIN_COLS = 256, MIN_BLOCKS = 8 };
/* Weight-gradient tiles: about this many per layer, each of at least
 * MIN_TILE_COLS columns of dW. */
enum { DW_TILES = 16, MIN_TILE_COLS = 64 };
/* Rows of output positions shorter than this go through a tap map. */
enum { SHORT_ROW = 16 };
/* Workspace slots start on cache lines. */
enum { ALIGN = 64 };

struct core {
	int64_t n;                     /* batch */
	int64_t cimg, ccol;            /* image side, column side channels */
	int64_t groups, gi, gc;        /* groups, cimg / groups, ccol / groups */
	int64_t img[3], col[3];        /* spatial sizes, 3-D (leading 1s) */
	int64_t k[3], s[3], lo[3], dil[3];
	int64_t img_vol, col_vol, k_vol;
	int64_t rows;                  /* gi * k_vol: rows of a column matrix */
	int64_t nb, nblk;              /* samples per block, blocks */
	int64_t cw;                    /* nb = 1: positions per column tile */
	int64_t ct, ntile;             /* image channels per dW tile, tiles per group */
	int direct;                    /* 1x1, stride 1, no pad: the image is its own column matrix */
	int use_map;                   /* rows of positions too short for row copies: a tap map */
	size_t slot;                   /* floats of workspace per thread */
	size_t tmp_off, map_off;       /* in a slot: the gathered block, the tap map */
};

static int64_t cdiv(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The cuts of the work, from the descriptor only (never the threads). */
static void core_plan(struct core *g)
{
	int64_t cols;

	g->nb = 1;
	if (g->col_vol > 0)
		g->nb = max64(1, min64(cdiv(max64(MIN_COLS, g->gc), g->col_vol),
				       cdiv(g->n, MIN_BLOCKS)));
	g->nblk = cdiv(g->n, g->nb);
	g->cw = g->col_vol;
	if (g->nb == 1 && g->col_vol > MIN_COLS)
		g->cw = min64(g->col_vol, max64(MIN_COLS, TILE_FLOATS / g->rows / 16 * 16));
	g->ct = min64(g->gi, max64(cdiv(MIN_TILE_COLS, g->k_vol),
				   cdiv(g->gi * g->groups, DW_TILES)));
	g->ntile = cdiv(g->gi, g->ct);
	g->direct = g->k_vol == 1;
	for (int i = 0; i < 3; i++)
		if (g->s[i] != 1 || g->lo[i] != 0 || g->img[i] != g->col[i])
			g->direct = 0;
	/* Rows of positions shorter than SHORT_ROW are copied through a
	 * map of the tap (see im2col); long ones a run at a time. */
	g->use_map = !g->direct && g->col[2] < SHORT_ROW;
	/* A slot holds the column matrix of a tile (nb = 1) or of a sample
	 * block (rows >= ct * k_vol: enough for the dW tile's part too);
	 * with nb > 1, the block's column side values gathered side by side
	 * (the output of fwd, the input of dimg and dw); and the map of one
	 * tap over one tile or sample (int32, the size of a float).  A 1x1
	 * layer taken a sample at a time reads and writes the tensors in
	 * place. */
	cols = g->nb > 1 ? g->nb * g->col_vol : g->cw;
	g->slot = 0;
	if (!(g->direct && g->nb == 1))
		g->slot = (size_t)(g->rows * cols);
	g->tmp_off = g->slot;
	if (g->nb > 1)
		g->slot += (size_t)(g->gc * cols);
	g->map_off = g->slot;
	if (g->use_map)
		g->slot += (size_t)(g->nb > 1 ? g->col_vol : g->cw);
	g->slot = (g->slot + ALIGN / sizeof(float) - 1) / (ALIGN / sizeof(float)) *
		  (ALIGN / sizeof(float));
}

/* The core of d: conv (transpose 0) or conv_transpose (1).  0 or EINVAL. */
static int core_init(const struct nrt_conv_desc *d, int transpose, struct core *g)
{
	if (d->nd < 1 || d->nd > NRT_MAX_SPATIAL || d->n < 0 || d->c < 1 || d->k < 1 ||
	    d->groups < 1 || d->c % d->groups || d->k % d->groups)
		return EINVAL;
	g->n = d->n;
	g->cimg = transpose ? d->k : d->c;
	g->ccol = transpose ? d->c : d->k;
	g->groups = d->groups;
	g->gi = g->cimg / g->groups;
	g->gc = g->ccol / g->groups;
	for (int i = 0; i < 3; i++) {
		g->img[i] = g->col[i] = g->k[i] = g->s[i] = g->dil[i] = 1;
		g->lo[i] = 0;
	}
	/* nd < 3: dimensions of size 1 in front, as geom.inc does */
	for (int j = 0; j < d->nd; j++) {
		int i = 3 - d->nd + j;
		if (d->in[j] < 1 || d->out[j] < 0 || d->kernel[j] < 1 || d->stride[j] < 1 ||
		    d->dilation[j] < 1 || d->pad_lo[j] < 0 || d->pad_hi[j] < 0)
			return EINVAL;
		g->img[i] = transpose ? d->out[j] : d->in[j];
		g->col[i] = transpose ? d->in[j] : d->out[j];
		g->k[i] = d->kernel[j];
		g->s[i] = d->stride[j];
		g->lo[i] = d->pad_lo[j];
		g->dil[i] = d->dilation[j];
	}
	g->img_vol = g->img[0] * g->img[1] * g->img[2];
	g->col_vol = g->col[0] * g->col[1] * g->col[2];
	g->k_vol = g->k[0] * g->k[1] * g->k[2];
	g->rows = g->gi * g->k_vol;
	core_plan(g);
	/* every dimension and leading dimension given to sgemm fits its int */
	if (g->rows > INT_MAX || g->gc > INT_MAX || g->nb * g->col_vol > INT_MAX ||
	    g->img_vol > INT_MAX)
		return EINVAL;
	return 0;
}

/* Nothing to multiply: an empty batch or an empty side. */
static int core_empty(const struct core *g)
{
	return g->n == 0 || g->img_vol == 0 || g->col_vol == 0;
}

/* Workspace bytes for `threads` threads, alignment slack included. */
static size_t core_workspace(const struct core *g, int threads)
{
	int64_t items = g->groups * max64(g->nblk, g->ntile);
	int64_t t = min64(threads > 1 ? threads : 1, max64(items, 1));
	if (g->slot == 0)
		return 0;
	return (size_t)t * g->slot * sizeof(float) + ALIGN;
}

size_t nrt_conv_workspace(const struct nrt_conv_desc *d, int threads)
{
	struct core g;
	return core_init(d, 0, &g) ? 0 : core_workspace(&g, threads);
}

size_t nrt_conv_transpose_workspace(const struct nrt_conv_desc *d, int threads)
{
	struct core g;
	return core_init(d, 1, &g) ? 0 : core_workspace(&g, threads);
}

/* ---------------------------------------------------------------- im2col */

/* The columns o2 in [*a, *b) of a row whose tap t2 = o2 * s + off falls
 * inside 0 .. img - 1; the others read (write) padding. */
static void inner_range(int64_t off, int64_t s, int64_t img, int64_t cols, int64_t *a,
			int64_t *b)
{
	int64_t lo = off >= 0 ? 0 : cdiv(-off, s);
	int64_t hi = img - off > 0 ? cdiv(img - off, s) : 0;
	*a = min64(lo, cols);
	*b = max64(min64(hi, cols), *a);
}

/* One kernel tap (ci's row kf of a column matrix) and where it reads:
 * image index t = o * s + off along each dimension; [a, b) are the o2 of
 * a row of positions whose t2 falls inside the image. */
struct tap {
	int64_t off[3];
	int64_t a, b;
};

static void tap_init(const struct core *g, int64_t kf, struct tap *t)
{
	int64_t kk[3] = { kf / (g->k[2] * g->k[1]), kf / g->k[2] % g->k[1], kf % g->k[2] };
	for (int i = 0; i < 3; i++)
		t->off[i] = kk[i] * g->dil[i] - g->lo[i];
	inner_range(t->off[2], g->s[2], g->img[2], g->col[2], &t->a, &t->b);
}

/* Walks the rows (o0, o1) of positions that columns [p0, p1) touch, in
 * order, without a division per row: the rows of a 4x4 layer are 4
 * columns long, so per-row work is most of im2col there. */
struct rows {
	int64_t rr, o0, o1;            /* the row: rr = o0 * col[1] + o1 */
	int64_t e0, e1;                /* its columns o2 inside [p0, p1) */
};

static void rows_first(const struct core *g, int64_t p0, int64_t p1, struct rows *r)
{
	r->rr = p0 / g->col[2];
	r->o0 = r->rr / g->col[1];
	r->o1 = r->rr % g->col[1];
	r->e0 = p0 - r->rr * g->col[2];
	r->e1 = min64(p1 - r->rr * g->col[2], g->col[2]);
}

/* The next row; 0 past p1. */
static inline int rows_next(const struct core *g, int64_t p1, struct rows *r)
{
	r->rr++;
	if (r->rr * g->col[2] >= p1)
		return 0;
	if (++r->o1 == g->col[1]) {
		r->o1 = 0;
		r->o0++;
	}
	r->e0 = 0;
	r->e1 = min64(p1 - r->rr * g->col[2], g->col[2]);
	return 1;
}

/* The image index of column o2 = 0 of the current row for tap t (o2 * s[2]
 * further on; it may be negative: the low padding of dimension 2).  0 when
 * the row falls in the padding of dimensions 0 or 1. */
static inline int row_base(const struct core *g, const struct tap *t, const struct rows *r,
			   int64_t *base)
{
	int64_t t0 = r->o0 * g->s[0] + t->off[0], t1 = r->o1 * g->s[1] + t->off[1];
	if (t0 < 0 || t0 >= g->img[0] || t1 < 0 || t1 >= g->img[1])
		return 0;
	*base = (t0 * g->img[1] + t1) * g->img[2] + t->off[2];
	return 1;
}

/* The map of tap kf over columns [p0, p1): map[o - p0] is the image
 * index that column o reads (within a channel), -1 in the padding.  Built
 * once per tap and used for every channel, it turns im2col of short rows
 * (4 positions in a 4x4 layer, where the per-row work of the run copies
 * would cost more than the copying) into one gather loop. */
static void tap_map(const struct core *g, int64_t kf, int64_t p0, int64_t p1, int32_t *map)
{
	int64_t w = g->col[2], s2 = g->s[2];
	struct tap t;
	struct rows r;

	tap_init(g, kf, &t);
	rows_first(g, p0, p1, &r);
	do {
		int64_t e0 = r.e0, e1 = r.e1, base = 0;
		int64_t a1 = max64(e0, min64(t.a, e1)), b1 = max64(a1, min64(t.b, e1));
		int64_t off = r.rr * w - p0;   /* map[off + o2]: column o2 of the row */

		if (!row_base(g, &t, &r, &base))
			a1 = b1 = e1;
		for (int64_t o2 = e0; o2 < a1; o2++)
			map[off + o2] = -1;
		for (int64_t o2 = a1; o2 < b1; o2++)
			map[off + o2] = (int32_t)(base + o2 * s2);
		for (int64_t o2 = b1; o2 < e1; o2++)
			map[off + o2] = -1;
	} while (rows_next(g, p1, &r));
}

/* n zeros at d.  The padding at the ends of a row is a float or two,
 * where a call to memset costs more than the stores (a plain loop would
 * be turned into that call by the compiler). */
static void zero_run(float *d, int64_t n)
{
	switch (n) {
	case 4:
		d[3] = 0;
		/* fallthrough */
	case 3:
		d[2] = 0;
		/* fallthrough */
	case 2:
		d[1] = 0;
		/* fallthrough */
	case 1:
		d[0] = 0;
		/* fallthrough */
	case 0:
		break;
	default:
		memset(d, 0, (size_t)n * sizeof *d);
	}
}

/* Rows [c0 * k_vol, c1 * k_vol) and columns [p0, p1) (flat output
 * positions) of the column matrix of one sample: row (ci, kk), column o
 * holds img[ci, t(o, kk)], zero in the padding.  img is the sample's gi
 * channels; column p lands at col[row * ld + p - p0].  Short runs are
 * copied by plain loops: a call to memcpy costs more than 4 floats. */
static void im2col(const struct core *g, const float *img, int64_t c0, int64_t c1, int64_t p0,
		   int64_t p1, float *col, int64_t ld, int32_t *map)
{
	int64_t w = g->col[2], s2 = g->s[2];

	if (p0 >= p1)
		return;
	if (g->use_map) {
		for (int64_t kf = 0; kf < g->k_vol; kf++) {
			tap_map(g, kf, p0, p1, map);
			for (int64_t ci = c0; ci < c1; ci++) {
				const float *src = img + ci * g->img_vol;
				float *d = col + ((ci - c0) * g->k_vol + kf) * ld;
				for (int64_t o = 0; o < p1 - p0; o++)
					d[o] = map[o] >= 0 ? src[map[o]] : 0.0f;
			}
		}
		return;
	}
	for (int64_t kf = 0; kf < g->k_vol; kf++) {
		struct tap t;
		tap_init(g, kf, &t);
		for (int64_t ci = c0; ci < c1; ci++) {
			const float *src = img + ci * g->img_vol;
			float *dst = col + ((ci - c0) * g->k_vol + kf) * ld;
			struct rows r;

			rows_first(g, p0, p1, &r);
			do {
				int64_t e0 = r.e0, e1 = r.e1, base = 0, off = r.rr * w - p0;
				int64_t a1 = max64(e0, min64(t.a, e1)), b1 = max64(a1, min64(t.b, e1));

				/* dst[off + o2]: column o2 of the row; indices, not
				 * pointers, as off and base may be negative */
				if (!row_base(g, &t, &r, &base)) {
					a1 = b1 = e1;
				} else if (s2 == 1 && b1 - a1 >= 16) {
					memcpy(dst + (off + a1), src + (base + a1),
					       (size_t)(b1 - a1) * sizeof *dst);
				} else {
					for (int64_t o2 = a1; o2 < b1; o2++)
						dst[off + o2] = src[base + o2 * s2];
				}
				zero_run(dst + (off + e0), a1 - e0);
				zero_run(dst + (off + b1), e1 - b1);
			} while (rows_next(g, p1, &r));
		}
	}
}

/* The adjoint of im2col, over all gi channels and columns [p0, p1):
 * img[ci, t(o, kk)] += col[(ci, kk) * ld + o - p0], the padding dropped.
 * img must be zeroed before the first tile.  The order of the additions
 * is fixed by the loops. */
static void col2im(const struct core *g, const float *col, int64_t p0, int64_t p1, int64_t ld,
		   float *img, int32_t *map)
{
	int64_t w = g->col[2], s2 = g->s[2];

	if (p0 >= p1)
		return;
	if (g->use_map) {
		for (int64_t kf = 0; kf < g->k_vol; kf++) {
			tap_map(g, kf, p0, p1, map);
			for (int64_t ci = 0; ci < g->gi; ci++) {
				float *dst = img + ci * g->img_vol;
				const float *sr = col + (ci * g->k_vol + kf) * ld;
				for (int64_t o = 0; o < p1 - p0; o++)
					if (map[o] >= 0)
						dst[map[o]] += sr[o];
			}
		}
		return;
	}
	/* kf outside ci, as in im2col: an image element still receives its
	 * terms in kf order, channel by channel */
	for (int64_t kf = 0; kf < g->k_vol; kf++) {
		struct tap t;
		tap_init(g, kf, &t);
		for (int64_t ci = 0; ci < g->gi; ci++) {
			float *dst = img + ci * g->img_vol;
			const float *src = col + (ci * g->k_vol + kf) * ld;
			struct rows r;

			rows_first(g, p0, p1, &r);
			do {
				int64_t e0 = r.e0, e1 = r.e1, base = 0, off = r.rr * w - p0;
				int64_t a1 = max64(e0, min64(t.a, e1)), b1 = max64(a1, min64(t.b, e1));

				if (!row_base(g, &t, &r, &base))
					continue;
				for (int64_t o2 = a1; o2 < b1; o2++)
					dst[base + o2 * s2] += src[off + o2];
			} while (rows_next(g, p1, &r));
		}
	}
}

/* ---------------------------------------------------------------- jobs */

enum op { OP_FWD, OP_DIMG, OP_DW };

struct job {
	const struct core *g;
	enum op op;
	const float *img;              /* image side input (fwd, dw) */
	const float *colv;             /* column side input (dimg, dw) */
	const float *w;
	const float *bias;             /* fwd: per column channel; dimg: per image channel */
	const struct nrt_epilogue *ep; /* fwd, dimg: the activation after the bias, or NULL */
	float *out;                    /* fwd: column side; dimg: image side; dw: dW */
	float *ws;                     /* parts slots of g->slot floats */
	int64_t items, parts;
};

/* Samples [n0, n1) of the column side tensor t, group gr, side by side
 * into buf [gc, (n1 - n0) * col_vol]. */
static void gather(const struct core *g, const float *t, int64_t gr, int64_t n0, int64_t n1,
		   float *buf)
{
	int64_t cols = (n1 - n0) * g->col_vol;
	for (int64_t j = 0; j < n1 - n0; j++)
		for (int64_t r = 0; r < g->gc; r++)
			memcpy(buf + r * cols + j * g->col_vol,
			       t + ((n0 + j) * g->ccol + gr * g->gc + r) * g->col_vol,
			       (size_t)g->col_vol * sizeof *buf);
}

/* The gathered column side block, after the column matrix in a slot
 * (only there, and only used, when nb > 1). */
static float *block_tmp(const struct core *g, float *scr)
{
	return g->nb > 1 ? scr + g->tmp_off : NULL;
}

/* The tap map of a slot (only there with use_map). */
static int32_t *slot_map(const struct core *g, float *scr)
{
	return g->use_map ? (int32_t *)(void *)(scr + g->map_off) : NULL;
}

/* The samples [*n0, *n1) of block blk. */
static int64_t block(const struct core *g, int64_t blk, int64_t *n0, int64_t *n1)
{
	*n0 = blk * g->nb;
	*n1 = min64(*n0 + g->nb, g->n);
	return *n1 - *n0;
}

/* fwd, one block of samples and one group: column side = W_g im2col(img) (+ bias). */
static void item_fwd(const struct job *jb, int64_t gr, int64_t blk, float *scr)
{
	const struct core *g = jb->g;
	int64_t n0, n1, m = block(g, blk, &n0, &n1), cols = m * g->col_vol;
	const float *wg = jb->w + gr * g->gc * g->rows;
	const float *img = jb->img + (n0 * g->cimg + gr * g->gi) * g->img_vol;
	float *y = jb->out + (n0 * g->ccol + gr * g->gc) * g->col_vol, *tmp = block_tmp(g, scr);
	int32_t *map = slot_map(g, scr);

	if (m == 1 && g->direct) {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->gc, (int)cols,
			    (int)g->rows, 1.0f, wg, (int)g->rows, img, (int)cols, 0.0f, y,
			    (int)cols);
	} else if (m == 1) {
		/* tile by tile, straight into y (ldc = col_vol) */
		for (int64_t p0 = 0; p0 < g->col_vol; p0 += g->cw) {
			int64_t p1 = min64(p0 + g->cw, g->col_vol);
			im2col(g, img, 0, g->gi, p0, p1, scr, p1 - p0, map);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->gc,
				    (int)(p1 - p0), (int)g->rows, 1.0f, wg, (int)g->rows, scr,
				    (int)(p1 - p0), 0.0f, y + p0, (int)g->col_vol);
		}
	} else {
		/* the block's column matrices side by side, one sgemm, then
		 * the rows of the result back to their samples */
		for (int64_t j = 0; j < m; j++)
			im2col(g, img + j * g->cimg * g->img_vol, 0, g->gi, 0, g->col_vol,
			       scr + j * g->col_vol, cols, map);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->gc, (int)cols,
			    (int)g->rows, 1.0f, wg, (int)g->rows, scr, (int)cols, 0.0f, tmp,
			    (int)cols);
		for (int64_t j = 0; j < m; j++)
			for (int64_t r = 0; r < g->gc; r++)
				memcpy(y + (j * g->ccol + r) * g->col_vol,
				       tmp + r * cols + j * g->col_vol,
				       (size_t)g->col_vol * sizeof *y);
	}
	if (jb->bias || nrt_epilogue_active(jb->ep))
		for (int64_t j = 0; j < m; j++)
			for (int64_t r = 0; r < g->gc; r++)
				nrt_epilogue_row(jb->ep, y + (j * g->ccol + r) * g->col_vol, g->col_vol,
						 jb->bias ? jb->bias + gr * g->gc + r : NULL);
}

/* dimg, one block and group: image side = col2im(W_g^T column side) (+ bias). */
static void item_dimg(const struct job *jb, int64_t gr, int64_t blk, float *scr)
{
	const struct core *g = jb->g;
	int64_t n0, n1, m = block(g, blk, &n0, &n1), cols = m * g->col_vol;
	const float *wg = jb->w + gr * g->gc * g->rows;
	const float *dy = jb->colv + (n0 * g->ccol + gr * g->gc) * g->col_vol;
	float *img = jb->out + (n0 * g->cimg + gr * g->gi) * g->img_vol, *tmp = block_tmp(g, scr);
	int32_t *map = slot_map(g, scr);

	if (m == 1 && g->direct) {
		/* the column matrix is the image: no col2im */
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)g->rows, (int)cols,
			    (int)g->gc, 1.0f, wg, (int)g->rows, dy, (int)cols, 0.0f, img,
			    (int)cols);
	} else if (m == 1) {
		memset(img, 0, (size_t)(g->gi * g->img_vol) * sizeof *img);
		for (int64_t p0 = 0; p0 < g->col_vol; p0 += g->cw) {
			int64_t p1 = min64(p0 + g->cw, g->col_vol);
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)g->rows,
				    (int)(p1 - p0), (int)g->gc, 1.0f, wg, (int)g->rows, dy + p0,
				    (int)g->col_vol, 0.0f, scr, (int)(p1 - p0));
			col2im(g, scr, p0, p1, p1 - p0, img, map);
		}
	} else {
		gather(g, jb->colv, gr, n0, n1, tmp);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)g->rows, (int)cols,
			    (int)g->gc, 1.0f, wg, (int)g->rows, tmp, (int)cols, 0.0f, scr,
			    (int)cols);
		for (int64_t j = 0; j < m; j++) {
			float *im = img + j * g->cimg * g->img_vol;
			memset(im, 0, (size_t)(g->gi * g->img_vol) * sizeof *im);
			col2im(g, scr + j * g->col_vol, 0, g->col_vol, cols, im, map);
		}
	}
	if (jb->bias || nrt_epilogue_active(jb->ep))
		for (int64_t j = 0; j < m; j++)
			for (int64_t ci = 0; ci < g->gi; ci++)
				nrt_epilogue_row(jb->ep, img + (j * g->cimg + ci) * g->img_vol,
						 g->img_vol, jb->bias ? jb->bias + gr * g->gi + ci : NULL);
}

/* dw, one tile of image channels of a group: dW[:, tile] = the sum over
 * the sample blocks (and column tiles), in order, of column side times
 * im2col(img)[tile]^T; the first product overwrites, the others add. */
static void item_dw(const struct job *jb, int64_t gr, int64_t tile, float *scr)
{
	const struct core *g = jb->g;
	int64_t c0 = tile * g->ct, c1 = min64(c0 + g->ct, g->gi);
	int tr = (int)((c1 - c0) * g->k_vol), ldw = (int)g->rows;
	float *dwg = jb->out + gr * g->gc * g->rows + c0 * g->k_vol, *tmp = block_tmp(g, scr);
	int32_t *map = slot_map(g, scr);
	float beta = 0.0f;

	for (int64_t blk = 0; blk < g->nblk; blk++) {
		int64_t n0, n1, m = block(g, blk, &n0, &n1), cols = m * g->col_vol;
		const float *img = jb->img + (n0 * g->cimg + gr * g->gi) * g->img_vol;
		const float *dy = jb->colv + (n0 * g->ccol + gr * g->gc) * g->col_vol;

		if (m == 1 && g->direct) {
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)g->gc, tr,
				    (int)cols, 1.0f, dy, (int)cols, img + c0 * g->img_vol,
				    (int)cols, beta, dwg, ldw);
		} else if (m == 1) {
			for (int64_t p0 = 0; p0 < g->col_vol; p0 += g->cw) {
				int64_t p1 = min64(p0 + g->cw, g->col_vol);
				im2col(g, img, c0, c1, p0, p1, scr, p1 - p0, map);
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)g->gc, tr,
					    (int)(p1 - p0), 1.0f, dy + p0, (int)g->col_vol, scr,
					    (int)(p1 - p0), beta, dwg, ldw);
				beta = 1.0f;
			}
		} else {
			gather(g, jb->colv, gr, n0, n1, tmp);
			for (int64_t j = 0; j < m; j++)
				im2col(g, img + j * g->cimg * g->img_vol, c0, c1, 0, g->col_vol,
				       scr + j * g->col_vol, cols, map);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)g->gc, tr,
				    (int)cols, 1.0f, tmp, (int)cols, scr, (int)cols, beta, dwg, ldw);
		}
		beta = 1.0f;
	}
}

static void job_body(void *ctx, int64_t begin, int64_t end)
{
	const struct job *jb = ctx;
	const struct core *g = jb->g;

	for (int64_t part = begin; part < end; part++) {
		/* no arithmetic on a NULL workspace (a 1x1 layer needs none) */
		float *scr = jb->ws ? jb->ws + (size_t)part * g->slot : NULL;
		int64_t ib, ie;

		nrt_split(jb->items, jb->parts, part, &ib, &ie);
		for (int64_t it = ib; it < ie; it++) {
			switch (jb->op) {
			case OP_FWD:
				/* item = block * groups + group: a thread's items are whole samples */
				item_fwd(jb, it % g->groups, it / g->groups, scr);
				break;
			case OP_DIMG:
				item_dimg(jb, it % g->groups, it / g->groups, scr);
				break;
			case OP_DW:
				item_dw(jb, it / g->ntile, it % g->ntile, scr);
				break;
			}
		}
	}
}

/* Run one core product on the pool with the workspace there is. */
static int core_run(struct nrt_pool *p, struct job *jb, void *ws, size_t ws_size)
{
	const struct core *g = jb->g;
	int64_t parts = nrt_pool_threads(p);

	jb->items = g->groups * (jb->op == OP_DW ? g->ntile : g->nblk);
	jb->ws = NULL;
	if (g->slot > 0) {
		/* slots start on a cache line whatever ws is, so that every
		 * thread count sees the same alignment */
		size_t pad = (ALIGN - (size_t)((uintptr_t)ws % ALIGN)) % ALIGN;
		size_t avail = ws && ws_size > pad ? (ws_size - pad) / (g->slot * sizeof(float)) : 0;
		if (avail == 0)
			return EINVAL;
		parts = min64(parts, (int64_t)min64((int64_t)avail, INT_MAX));
		jb->ws = (float *)(void *)((char *)ws + pad);
	}
	jb->parts = min64(parts, jb->items);
	nrt_parallel_for(p, jb->parts, job_body, jb);
	return 0;
}

/* ---------------------------------------------------------------- bias */

struct sum_job {
	const float *t;                /* [n, ch, vol] */
	int64_t n, ch, vol;
	float *out;                    /* [ch] */
};

/* One channel's sum over batch and space, in double, in a fixed order. */
static void sum_body(void *ctx, int64_t begin, int64_t end)
{
	const struct sum_job *sj = ctx;
	for (int64_t c = begin; c < end; c++) {
		double acc = 0;
		for (int64_t n = 0; n < sj->n; n++) {
			const float *r = sj->t + (n * sj->ch + c) * sj->vol;
			for (int64_t v = 0; v < sj->vol; v++)
				acc += r[v];
		}
		sj->out[c] = (float)acc;
	}
}

static void chan_sum(struct nrt_pool *p, const float *t, int64_t n, int64_t ch, int64_t vol,
		     float *out)
{
	struct sum_job sj = { t, n, ch, vol, out };
	nrt_parallel_for(p, ch, sum_body, &sj);
}

/* ---------------------------------------------------------------- entry points */

static void zero(float *p, int64_t count)
{
	if (p)
		memset(p, 0, (size_t)count * sizeof *p);
}

/* out [n, c, vol] = act(bias[c] (or 0)): a conv whose image side is empty. */
static void fill_bias(float *out, int64_t n, int64_t c, int64_t vol, const float *bias,
		      const struct nrt_epilogue *ep)
{
	for (int64_t i = 0; i < n; i++)
		for (int64_t k = 0; k < c; k++)
			for (int64_t o = 0; o < vol; o++)
				out[(i * c + k) * vol + o] = nrt_epilogue_one(ep, bias ? bias[k] : 0);
}

/* Run jb, or, with no image (empty core), write the bias alone through the
 * epilogue into its rows x vol output planes. */
static int core_run_or_bias(struct nrt_pool *p, struct job *jb, int64_t rows, int64_t vol,
			    void *ws, size_t ws_size)
{
	if (core_empty(jb->g)) {
		fill_bias(jb->out, jb->g->n, rows, vol, jb->bias, jb->ep);
		return 0;
	}
	return core_run(p, jb, ws, ws_size);
}

/* column side = act(W im2col(image side) + bias). */
static int core_fwd(struct nrt_pool *p, const struct core *g, const float *img,
		    const float *w, const float *bias, const struct nrt_epilogue *ep, float *out,
		    void *ws, size_t ws_size)
{
	struct job jb = { .g = g, .op = OP_FWD, .img = img, .w = w, .bias = bias, .ep = ep,
			  .out = out };
	return core_run_or_bias(p, &jb, g->ccol, g->col_vol, ws, ws_size);
}

/* image side = act(col2im(W^T column side) + bias). */
static int core_dimg(struct nrt_pool *p, const struct core *g, const float *colv,
		     const float *w, const float *bias, const struct nrt_epilogue *ep, float *out,
		     void *ws, size_t ws_size)
{
	struct job jb = { .g = g, .op = OP_DIMG, .colv = colv, .w = w, .bias = bias, .ep = ep,
			  .out = out };
	return core_run_or_bias(p, &jb, g->cimg, g->img_vol, ws, ws_size);
}

/* dW = column side x im2col(image side)^T over the batch. */
static int core_dw(struct nrt_pool *p, const struct core *g, const float *img,
		   const float *colv, float *dw, void *ws, size_t ws_size)
{
	struct job jb = { .g = g, .op = OP_DW, .img = img, .colv = colv, .out = dw };
	if (core_empty(g)) {
		zero(dw, g->ccol * g->rows);
		return 0;
	}
	return core_run(p, &jb, ws, ws_size);
}

int nrt_cpu_conv_fwd_ep_f32(struct nrt_pool *p, const struct nrt_conv_desc *d, const float *x,
			    const float *w, const float *b, float *y,
			    const struct nrt_epilogue *ep, void *ws, size_t ws_size)
{
	struct core g;
	int err = core_init(d, 0, &g);
	return err ? err : core_fwd(p, &g, x, w, b, ep, y, ws, ws_size);
}

int nrt_cpu_conv_fwd_f32(struct nrt_pool *p, const struct nrt_conv_desc *d, const float *x,
			 const float *w, const float *b, float *y, void *ws, size_t ws_size)
{
	return nrt_cpu_conv_fwd_ep_f32(p, d, x, w, b, y, NULL, ws, ws_size);
}

int nrt_cpu_conv_bwd_f32(struct nrt_pool *p, const struct nrt_conv_desc *d, const float *x,
			 const float *w, const float *dy, float *dx, float *dw, float *db,
			 void *ws, size_t ws_size)
{
	struct core g;
	int err = core_init(d, 0, &g);

	if (!err && dx)
		err = core_dimg(p, &g, dy, w, NULL, NULL, dx, ws, ws_size);
	if (!err && dw)
		err = core_dw(p, &g, x, dy, dw, ws, ws_size);
	if (!err && db)
		chan_sum(p, dy, g.n, g.ccol, g.col_vol, db);
	return err;
}

int nrt_cpu_conv_transpose_fwd_ep_f32(struct nrt_pool *p, const struct nrt_conv_desc *d,
				      const float *x, const float *w, const float *b, float *y,
				      const struct nrt_epilogue *ep, void *ws, size_t ws_size)
{
	struct core g;
	int err = core_init(d, 1, &g);
	return err ? err : core_dimg(p, &g, x, w, b, ep, y, ws, ws_size);
}

int nrt_cpu_conv_transpose_fwd_f32(struct nrt_pool *p, const struct nrt_conv_desc *d,
				   const float *x, const float *w, const float *b, float *y,
				   void *ws, size_t ws_size)
{
	return nrt_cpu_conv_transpose_fwd_ep_f32(p, d, x, w, b, y, NULL, ws, ws_size);
}

int nrt_cpu_conv_transpose_bwd_f32(struct nrt_pool *p, const struct nrt_conv_desc *d,
				   const float *x, const float *w, const float *dy, float *dx,
				   float *dw, float *db, void *ws, size_t ws_size)
{
	struct core g;
	int err = core_init(d, 1, &g);

	if (!err && dx)
		err = core_fwd(p, &g, dy, w, NULL, NULL, dx, ws, ws_size);
	if (!err && dw)
		err = core_dw(p, &g, dy, x, dw, ws, ws_size);
	if (!err && db)
		chan_sum(p, dy, g.n, g.cimg, g.img_vol, db);
	return err;
}
