/* augment.c - the augmentation ops and their pipeline (see augment.h). */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <math.h>
#include <string.h>

#include "augment.h"
#include "philox.h"
#include "util.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* The key is the seed under a constant, so that augmentation and the
 * dropout streams of the same seed (philox.h) differ. */
#define AUG_KEY UINT64_C(0x61756d656e746174)

void nrt_rng_init(struct nrt_rng *r, uint64_t seed, uint64_t epoch, uint32_t op, uint64_t sample)
{
	uint64_t k = seed ^ AUG_KEY;
	r->key[0] = (uint32_t)k;
	r->key[1] = (uint32_t)(k >> 32);
	r->epoch = (uint32_t)epoch;
	r->op = op;
	r->sample = sample;
	r->next = 0;
}

double nrt_rng_uniform(struct nrt_rng *r)
{
	if (r->next % 4 == 0) {
		/* block: 2^24 blocks (2^26 draws) per sample and op */
		uint64_t blk = (r->sample << 24) + (r->next / 4);
		uint32_t ctr[4] = { (uint32_t)blk, (uint32_t)(blk >> 32), r->epoch, r->op };
		nrt_philox4x32_10(ctr, r->key, r->block);
	}
	return r->block[r->next++ % 4] * 0x1p-32;
}

double nrt_rng_normal(struct nrt_rng *r)
{
	double u1 = 1.0 - nrt_rng_uniform(r), u2 = nrt_rng_uniform(r);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static size_t numel(const struct nrt_img *im)
{
	return (size_t)im->c * (size_t)im->h * (size_t)im->w;
}

static void swap_img(struct nrt_img *a, struct nrt_img *b)
{
	struct nrt_img t = *a;
	*a = *b;
	*b = t;
}

int nrt_aug_crop_at(struct nrt_img *im, struct nrt_img *tmp, int y0, int x0, int h, int w,
		    int pad)
{
	int H = im->h, W = im->w;

	if (nrt_img_reserve(tmp, im->c, h, w))
		return -1;
	for (int c = 0; c < im->c; c++)
		for (int y = 0; y < h; y++) {
			int sy = y + y0 - pad;
			float *d = tmp->p + ((size_t)c * (size_t)h + (size_t)y) * (size_t)w;
			if (sy < 0 || sy >= H) {
				memset(d, 0, (size_t)w * sizeof *d);
				continue;
			}
			const float *s = im->p + ((size_t)c * (size_t)H + (size_t)sy) * (size_t)W;
			for (int x = 0; x < w; x++) {
				int sx = x + x0 - pad;
				d[x] = sx >= 0 && sx < W ? s[sx] : 0.0f;
			}
		}
	swap_img(im, tmp);
	return 0;
}

int nrt_aug_center_crop(struct nrt_img *im, struct nrt_img *tmp, int h, int w)
{
	return nrt_aug_crop_at(im, tmp, (im->h - h) / 2, (im->w - w) / 2, h, w, 0);
}

int nrt_aug_random_crop(struct nrt_img *im, struct nrt_img *tmp, int h, int w, int pad,
			struct nrt_rng *r)
{
	int ny = im->h + 2 * pad - h + 1, nx = im->w + 2 * pad - w + 1;
	int y0 = (int)(nrt_rng_uniform(r) * ny), x0 = (int)(nrt_rng_uniform(r) * nx);
	return nrt_aug_crop_at(im, tmp, y0, x0, h, w, pad);
}

void nrt_aug_flip(struct nrt_img *im, bool horizontal, bool vertical)
{
	int H = im->h, W = im->w;
	for (int c = 0; c < im->c; c++) {
		float *p = im->p + (size_t)c * (size_t)H * (size_t)W;
		if (horizontal)
			for (int y = 0; y < H; y++) {
				float *row = p + (size_t)y * (size_t)W;
				for (int x = 0; x < W / 2; x++) {
					float t = row[x];
					row[x] = row[W - 1 - x];
					row[W - 1 - x] = t;
				}
			}
		if (vertical)
			for (int y = 0; y < H / 2; y++) {
				float *a = p + (size_t)y * (size_t)W, *b = p + (size_t)(H - 1 - y) * (size_t)W;
				for (int x = 0; x < W; x++) {
					float t = a[x];
					a[x] = b[x];
					b[x] = t;
				}
			}
	}
}

void nrt_aug_random_flip(struct nrt_img *im, bool horizontal, bool vertical, double p,
			 struct nrt_rng *r)
{
	bool h = nrt_rng_uniform(r) < p, v = nrt_rng_uniform(r) < p;   /* always two draws */
	nrt_aug_flip(im, horizontal && h, vertical && v);
}

void nrt_aug_rotate180(struct nrt_img *im, double p, struct nrt_rng *r)
{
	if (nrt_rng_uniform(r) < p)
		nrt_aug_flip(im, true, true);
}

int nrt_aug_rotate(struct nrt_img *im, struct nrt_img *tmp, double degrees)
{
	int H = im->h, W = im->w;
	double a = degrees * M_PI / 180.0, ca = cos(a), sa = sin(a);
	double cy = (H - 1) / 2.0, cx = (W - 1) / 2.0;

	if (nrt_img_reserve(tmp, im->c, H, W))
		return -1;
	/* output (x, y) reads the source at the point rotated back: with y down,
	 * a positive angle turns the content counterclockwise on screen */
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			double dx = x - cx, dy = y - cy;
			double xs = cx + ca * dx - sa * dy, ys = cy + sa * dx + ca * dy;
			double fx = floor(xs), fy = floor(ys);
			int x0 = (int)fx, y0 = (int)fy;
			double wx = xs - fx, wy = ys - fy;
			for (int c = 0; c < im->c; c++) {
				const float *s = im->p + (size_t)c * (size_t)H * (size_t)W;
				double acc = 0.0;
				for (int j = 0; j < 2; j++)
					for (int i = 0; i < 2; i++) {
						int sx = x0 + i, sy = y0 + j;
						if (sx < 0 || sx >= W || sy < 0 || sy >= H)
							continue;
						acc += (i ? wx : 1 - wx) * (j ? wy : 1 - wy) *
						       s[(size_t)sy * (size_t)W + (size_t)sx];
					}
				tmp->p[((size_t)c * (size_t)H + (size_t)y) * (size_t)W + (size_t)x] =
					(float)acc;
			}
		}
	swap_img(im, tmp);
	return 0;
}

int nrt_aug_random_rotation(struct nrt_img *im, struct nrt_img *tmp, double degrees,
			    struct nrt_rng *r)
{
	double a = (2.0 * nrt_rng_uniform(r) - 1.0) * degrees;
	return nrt_aug_rotate(im, tmp, a);
}

void nrt_aug_brightness(struct nrt_img *im, double delta, struct nrt_rng *r)
{
	float d = (float)((2.0 * nrt_rng_uniform(r) - 1.0) * delta);
	size_t n = numel(im);
	for (size_t i = 0; i < n; i++)
		im->p[i] += d;
}

void nrt_aug_contrast(struct nrt_img *im, double factor, struct nrt_rng *r)
{
	double a = 1.0 + (2.0 * nrt_rng_uniform(r) - 1.0) * factor, mean = 0.0;
	size_t n = numel(im);
	for (size_t i = 0; i < n; i++)
		mean += im->p[i];
	mean = n ? mean / (double)n : 0.0;
	for (size_t i = 0; i < n; i++)
		im->p[i] = (float)(mean + a * (im->p[i] - mean));
}

void nrt_aug_noise(struct nrt_img *im, double std, double p, struct nrt_rng *r)
{
	size_t n = numel(im);
	if (!(nrt_rng_uniform(r) < p))
		return;
	for (size_t i = 0; i < n; i++)
		im->p[i] += (float)(std * nrt_rng_normal(r));
}

void nrt_aug_normalize(struct nrt_img *im, int nmean, const float *mean, const float *sd)
{
	size_t plane = (size_t)im->h * (size_t)im->w;
	for (int c = 0; c < im->c; c++) {
		int k = nmean == 1 ? 0 : c;
		float m = mean[k], inv = 1.0f / sd[k];
		float *p = im->p + (size_t)c * plane;
		for (size_t i = 0; i < plane; i++)
			p[i] = (p[i] - m) * inv;
	}
}

int nrt_aug_apply(const struct nrt_aug *ops, int n, struct nrt_img *im, struct nrt_img *tmp,
		  uint64_t seed, int64_t epoch, int64_t sample, bool train)
{
	for (int i = 0; i < n; i++) {
		const struct nrt_aug *o = &ops[i];
		struct nrt_rng r;
		int rc = 0;

		nrt_rng_init(&r, seed, (uint64_t)epoch, (uint32_t)i, (uint64_t)sample);
		switch (o->kind) {
		case NRT_AUG_CROP:
		case NRT_AUG_CENTER_CROP:
			rc = nrt_aug_center_crop(im, tmp, o->h, o->w);
			break;
		case NRT_AUG_RANDOM_CROP:
			if (train)
				rc = nrt_aug_random_crop(im, tmp, o->h, o->w, o->pad, &r);
			else
				rc = nrt_aug_crop_at(im, tmp, (im->h + 2 * o->pad - o->h) / 2,
						     (im->w + 2 * o->pad - o->w) / 2, o->h, o->w,
						     o->pad);
			break;
		case NRT_AUG_FLIP:
			if (train)
				nrt_aug_random_flip(im, o->horizontal, o->vertical, o->p, &r);
			break;
		case NRT_AUG_ROTATE180:
			if (train)
				nrt_aug_rotate180(im, o->p, &r);
			break;
		case NRT_AUG_ROTATION:
			if (train)
				rc = nrt_aug_random_rotation(im, tmp, o->degrees, &r);
			break;
		case NRT_AUG_BRIGHTNESS:
			if (train)
				nrt_aug_brightness(im, o->delta, &r);
			break;
		case NRT_AUG_CONTRAST:
			if (train)
				nrt_aug_contrast(im, o->factor, &r);
			break;
		case NRT_AUG_NOISE:
			if (train)
				nrt_aug_noise(im, o->std, o->p, &r);
			break;
		case NRT_AUG_NORMALIZE:
			nrt_aug_normalize(im, o->nmean, o->mean, o->sd);
			break;
		}
		if (rc)
			return -1;
	}
	return 0;
}

int nrt_aug_out_shape(const struct nrt_aug *ops, int n, int c, int *h, int *w, char *err,
		      size_t errlen)
{
	for (int i = 0; i < n; i++) {
		const struct nrt_aug *o = &ops[i];
		int pad = o->kind == NRT_AUG_RANDOM_CROP ? o->pad : 0;
		if (o->kind != NRT_AUG_CROP && o->kind != NRT_AUG_CENTER_CROP &&
		    o->kind != NRT_AUG_RANDOM_CROP) {
			if (o->kind == NRT_AUG_NORMALIZE && o->nmean != 1 && o->nmean != c)
				return nrt_errf(err, errlen, "augment %d: normalize has %d means "
						"for %d channels", i + 1, o->nmean, c);
			continue;
		}
		if (o->h <= 0 || o->w <= 0 || o->h > *h + 2 * pad || o->w > *w + 2 * pad)
			return nrt_errf(err, errlen, "augment %d: a %dx%d crop does not fit a "
					"%dx%d image", i + 1, o->h, o->w, *h + 2 * pad, *w + 2 * pad);
		*h = o->h;
		*w = o->w;
	}
	return 0;
}
