/* augment.h - the augmentations of a data section, one function each, and
 * the pipeline that runs them on one decoded sample.
 *
 * Randomness: every sample has its own counter-based stream (Philox4x32-10,
 * runtime/kernels/philox.h) keyed by the seed and counted by (epoch, op
 * index in the pipeline, sample position in the epoch, draw), so an
 * augmented sample is a function of (seed, epoch, position) alone: the
 * thread count and the batch composition do not change it. */
#ifndef NRT_AUGMENT_H
#define NRT_AUGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "image.h"

/* One random stream: uniforms from Philox blocks, four per block. */
struct nrt_rng {
	uint32_t key[2];
	uint32_t epoch, op;
	uint64_t sample;               /* the position in the epoch's order */
	uint64_t next;                 /* draws taken */
	uint32_t block[4];
};

/* The stream of op op for the sample at position sample of epoch epoch. */
void nrt_rng_init(struct nrt_rng *r, uint64_t seed, uint64_t epoch, uint32_t op, uint64_t sample);
double nrt_rng_uniform(struct nrt_rng *r);       /* [0, 1), 32 bits */
double nrt_rng_normal(struct nrt_rng *r);        /* N(0, 1), Box-Muller */

enum nrt_aug_kind {
	NRT_AUG_CROP,                  /* center crop (h, w); applies in evaluation too */
	NRT_AUG_CENTER_CROP,           /* the same */
	NRT_AUG_RANDOM_CROP,           /* zero-pad by pad, crop (h, w) at a random offset */
	NRT_AUG_FLIP,                  /* flip horizontally / vertically, each with probability p */
	NRT_AUG_ROTATE180,             /* turn upside down with probability p */
	NRT_AUG_ROTATION,              /* rotate by U(-degrees, degrees), bilinear, zero fill */
	NRT_AUG_BRIGHTNESS,            /* add U(-delta, delta) */
	NRT_AUG_CONTRAST,              /* scale around the mean by U(1 - factor, 1 + factor) */
	NRT_AUG_NOISE,                 /* with probability p, add N(0, std) to every value */
	NRT_AUG_NORMALIZE,             /* (x - mean[c]) / std[c]; applies in evaluation too */
};

/* One op with its arguments (those of its kind are set). */
struct nrt_aug {
	enum nrt_aug_kind kind;
	int h, w, pad;                 /* crops */
	bool horizontal, vertical;     /* flip */
	double p;                      /* flip, rotate180, noise */
	double degrees, delta, factor, std;
	int nmean;                     /* normalize: 1 (all channels) or one per channel */
	float mean[3], sd[3];
};

/* The ops, each usable alone.  Those taking tmp may change the size and
 * swap im with tmp; all return 0, or -1 when out of memory. */
int nrt_aug_crop_at(struct nrt_img *im, struct nrt_img *tmp, int y0, int x0, int h, int w,
		    int pad);
int nrt_aug_center_crop(struct nrt_img *im, struct nrt_img *tmp, int h, int w);
int nrt_aug_random_crop(struct nrt_img *im, struct nrt_img *tmp, int h, int w, int pad,
			struct nrt_rng *r);
void nrt_aug_flip(struct nrt_img *im, bool horizontal, bool vertical);
void nrt_aug_random_flip(struct nrt_img *im, bool horizontal, bool vertical, double p,
			 struct nrt_rng *r);
void nrt_aug_rotate180(struct nrt_img *im, double p, struct nrt_rng *r);
int nrt_aug_rotate(struct nrt_img *im, struct nrt_img *tmp, double degrees);
int nrt_aug_random_rotation(struct nrt_img *im, struct nrt_img *tmp, double degrees,
			    struct nrt_rng *r);
void nrt_aug_brightness(struct nrt_img *im, double delta, struct nrt_rng *r);
void nrt_aug_contrast(struct nrt_img *im, double factor, struct nrt_rng *r);
void nrt_aug_noise(struct nrt_img *im, double std, double p, struct nrt_rng *r);
void nrt_aug_normalize(struct nrt_img *im, int nmean, const float *mean, const float *sd);

/* Run ops[0..n) on im.  train false: the evaluation pipeline (crops,
 * random_crop as a center crop, normalize; the random ops skipped). */
int nrt_aug_apply(const struct nrt_aug *ops, int n, struct nrt_img *im, struct nrt_img *tmp,
		  uint64_t seed, int64_t epoch, int64_t sample, bool train);

/* The size after ops[0..n) of an image c x h x w; -1 with a message when a
 * crop does not fit. */
int nrt_aug_out_shape(const struct nrt_aug *ops, int n, int c, int *h, int *w, char *err,
		      size_t errlen);

#endif
