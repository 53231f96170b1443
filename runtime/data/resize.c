/* resize.c - separable resampling with a triangle (bilinear) filter whose
 * support grows with the reduction factor, as PIL's Image.resize with
 * BILINEAR (libImaging/Resample.c): output pixel i of n covers source
 * coordinates around (i + 0.5) * in / n; when shrinking by s > 1 the
 * triangle is s wide on each side, so the result is an area average
 * (antialiased); when enlarging it is plain linear interpolation between
 * pixel centres, clamped at the borders. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

/* The taps of one axis: output i reads k[i * width .. + n[i]) from src start[i]. */
struct taps {
	int *start, *n;
	double *k;
	int width;
};

static double triangle(double x)
{
	x = fabs(x);
	return x < 1.0 ? 1.0 - x : 0.0;
}

static int make_taps(int in, int out, struct taps *t)
{
	double scale = (double)in / out;
	double fscale = scale > 1.0 ? scale : 1.0;
	double support = 1.0 * fscale;

	t->width = (int)ceil(support) * 2 + 1;
	t->start = malloc((size_t)out * sizeof *t->start);
	t->n = malloc((size_t)out * sizeof *t->n);
	t->k = calloc((size_t)out * (size_t)t->width, sizeof *t->k);
	if (!t->start || !t->n || !t->k)
		return -1;
	for (int i = 0; i < out; i++) {
		double center = (i + 0.5) * scale, sum = 0.0;
		int lo = (int)floor(center - support + 0.5), hi = (int)floor(center + support + 0.5);
		double *k = t->k + (size_t)i * (size_t)t->width;
		if (lo < 0)
			lo = 0;
		if (hi > in)
			hi = in;
		if (hi - lo > t->width)
			hi = lo + t->width;
		for (int x = lo; x < hi; x++) {
			k[x - lo] = triangle((x - center + 0.5) / fscale);
			sum += k[x - lo];
		}
		if (sum > 0.0)
			for (int x = 0; x < hi - lo; x++)
				k[x] /= sum;
		t->start[i] = lo;
		t->n[i] = hi - lo;
	}
	return 0;
}

static void free_taps(struct taps *t)
{
	free(t->start);
	free(t->n);
	free(t->k);
}

int nrt_img_resize(const struct nrt_img *src, int h, int w, struct nrt_img *dst)
{
	struct taps tx = { 0 }, ty = { 0 };
	float *mid = NULL;
	int c = src->c, H = src->h, W = src->w, rc = -1;

	if (h == H && w == W) {
		if (nrt_img_reserve(dst, c, h, w))
			return -1;
		memcpy(dst->p, src->p, (size_t)c * (size_t)h * (size_t)w * sizeof *dst->p);
		return 0;
	}
	if (make_taps(W, w, &tx) || make_taps(H, h, &ty))
		goto out;
	mid = malloc((size_t)c * (size_t)H * (size_t)w * sizeof *mid);
	if (!mid || nrt_img_reserve(dst, c, h, w))
		goto out;
	for (int ch = 0; ch < c; ch++) {
		const float *s = src->p + (size_t)ch * (size_t)H * (size_t)W;
		float *m = mid + (size_t)ch * (size_t)H * (size_t)w;
		float *d = dst->p + (size_t)ch * (size_t)h * (size_t)w;
		for (int y = 0; y < H; y++)                       /* horizontal pass */
			for (int x = 0; x < w; x++) {
				const double *k = tx.k + (size_t)x * (size_t)tx.width;
				const float *r = s + (size_t)y * (size_t)W + tx.start[x];
				double acc = 0.0;
				for (int j = 0; j < tx.n[x]; j++)
					acc += k[j] * r[j];
				m[(size_t)y * (size_t)w + (size_t)x] = (float)acc;
			}
		for (int y = 0; y < h; y++) {                     /* vertical pass */
			const double *k = ty.k + (size_t)y * (size_t)ty.width;
			for (int x = 0; x < w; x++) {
				double acc = 0.0;
				for (int j = 0; j < ty.n[y]; j++)
					acc += k[j] * m[(size_t)(ty.start[y] + j) * (size_t)w + (size_t)x];
				d[(size_t)y * (size_t)w + (size_t)x] = (float)acc;
			}
		}
	}
	rc = 0;
out:
	free(mid);
	free_taps(&tx);
	free_taps(&ty);
	return rc;
}
