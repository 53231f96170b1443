/* test_augment.c - every augmentation op on a hand-checkable image, the
 * evaluation pipeline, and determinism per (seed, epoch, sample). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "augment.h"
#include "check.h"

/* A c x h x w image with value 100 c + 10 y + x. */
static void ramp(struct nrt_img *im, int c, int h, int w)
{
	nrt_img_reserve(im, c, h, w);
	for (int k = 0; k < c; k++)
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				im->p[((size_t)k * h + y) * w + x] = (float)(100 * k + 10 * y + x);
}

static float px(const struct nrt_img *im, int c, int y, int x)
{
	return im->p[((size_t)c * im->h + y) * im->w + x];
}

static void test_crops(void)
{
	struct nrt_img im = { 0 }, t = { 0 };
	struct nrt_rng r;

	ramp(&im, 2, 5, 6);
	ASSERT_EQ_INT(0, nrt_aug_center_crop(&im, &t, 3, 2));
	ASSERT(im.h == 3 && im.w == 2);
	ASSERT(px(&im, 0, 0, 0) == 12 && px(&im, 1, 2, 1) == 100 + 33);   /* offsets (1, 2) */

	ramp(&im, 1, 4, 4);
	ASSERT_EQ_INT(0, nrt_aug_crop_at(&im, &t, 0, 0, 4, 4, 1));        /* pad 1, offset 0 */
	ASSERT(px(&im, 0, 0, 0) == 0 && px(&im, 0, 0, 3) == 0);           /* the padding */
	ASSERT(px(&im, 0, 1, 1) == 0 && px(&im, 0, 1, 2) == 1 && px(&im, 0, 3, 3) == 22);

	/* random_crop: every offset in [0, 2 pad] appears, the size is kept */
	int seen[3] = { 0 };
	for (int s = 0; s < 60; s++) {
		ramp(&im, 1, 4, 4);
		nrt_rng_init(&r, 1, 0, 0, (uint64_t)s);
		ASSERT_EQ_INT(0, nrt_aug_random_crop(&im, &t, 4, 4, 1, &r));
		ASSERT(im.h == 4 && im.w == 4);
		/* x offset ox: pixel (3, 3) reads source (3 + oy - 1, 3 + ox - 1) */
		for (int ox = 0; ox < 3; ox++)
			for (int oy = 0; oy < 3; oy++) {
				int sy = 2 + oy, sx = 2 + ox;
				float want = sy < 4 && sx < 4 ? (float)(10 * sy + sx) : 0;
				int sy0 = oy - 1, sx0 = ox - 1;
				float want0 = sy0 >= 0 && sx0 >= 0 ? (float)(10 * sy0 + sx0) : 0;
				if (px(&im, 0, 3, 3) == want && px(&im, 0, 0, 0) == want0)
					seen[ox]++;
			}
	}
	ASSERT(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
	nrt_img_free(&im);
	nrt_img_free(&t);
}

static void test_flips(void)
{
	struct nrt_img im = { 0 };
	struct nrt_rng r;

	ramp(&im, 1, 2, 3);
	nrt_aug_flip(&im, true, false);
	ASSERT(px(&im, 0, 0, 0) == 2 && px(&im, 0, 1, 2) == 10);
	ramp(&im, 1, 2, 3);
	nrt_aug_flip(&im, false, true);
	ASSERT(px(&im, 0, 0, 0) == 10 && px(&im, 0, 1, 2) == 2);
	/* p = 1 always flips, p = 0 never */
	ramp(&im, 1, 2, 3);
	nrt_rng_init(&r, 1, 0, 0, 0);
	nrt_aug_random_flip(&im, true, false, 1.0, &r);
	ASSERT(px(&im, 0, 0, 0) == 2);
	nrt_rng_init(&r, 1, 0, 0, 0);
	nrt_aug_random_flip(&im, true, true, 0.0, &r);
	ASSERT(px(&im, 0, 0, 0) == 2);
	ramp(&im, 2, 3, 3);
	nrt_rng_init(&r, 1, 0, 0, 0);
	nrt_aug_rotate180(&im, 1.0, &r);
	ASSERT(px(&im, 0, 0, 0) == 22 && px(&im, 1, 2, 2) == 100 && px(&im, 0, 1, 1) == 11);
	/* about half of the samples flip with p = 0.5 */
	int flipped = 0;
	for (int s = 0; s < 1000; s++) {
		ramp(&im, 1, 1, 2);
		nrt_rng_init(&r, 9, 0, 0, (uint64_t)s);
		nrt_aug_random_flip(&im, true, false, 0.5, &r);
		flipped += px(&im, 0, 0, 0) == 1;
	}
	ASSERT(flipped > 430 && flipped < 570);
	nrt_img_free(&im);
}

static void test_rotation(void)
{
	struct nrt_img im = { 0 }, t = { 0 };
	struct nrt_rng r;
	int bad = 0;

	/* 90 degrees: a permutation (counterclockwise on screen: the right column
	 * comes from the bottom row) */
	ramp(&im, 1, 3, 3);
	ASSERT_EQ_INT(0, nrt_aug_rotate(&im, &t, 90));
	/* output (x=2, y=1) reads source (x=1, y=2) = 21 */
	ASSERT(fabsf(px(&im, 0, 1, 2) - 21) < 1e-4f);
	ASSERT(fabsf(px(&im, 0, 0, 0) - 2) < 1e-4f);      /* from (x=2, y=0) */
	ASSERT(fabsf(px(&im, 0, 1, 1) - 11) < 1e-4f);     /* the centre stays */
	/* 0 degrees: identity; 45 degrees: corners fall outside, zero fill */
	ramp(&im, 1, 5, 5);
	ASSERT_EQ_INT(0, nrt_aug_rotate(&im, &t, 0));
	for (int y = 0; y < 5; y++)
		for (int x = 0; x < 5; x++)
			bad += px(&im, 0, y, x) != 10 * y + x;
	ASSERT_EQ_INT(0, bad);
	ASSERT_EQ_INT(0, nrt_aug_rotate(&im, &t, 45));
	ASSERT(fabsf(px(&im, 0, 2, 2) - 22) < 1e-4f);
	nrt_img_reserve(&im, 1, 7, 7);
	for (int i = 0; i < 49; i++)
		im.p[i] = 1.0f;
	ASSERT_EQ_INT(0, nrt_aug_rotate(&im, &t, 45));
	ASSERT(px(&im, 0, 0, 0) == 0 && px(&im, 0, 6, 6) == 0);   /* corners from outside */
	ASSERT(fabsf(px(&im, 0, 3, 3) - 1) < 1e-6f && fabsf(px(&im, 0, 3, 0) - 1) < 1e-6f);
	/* random_rotation(0) changes nothing */
	ramp(&im, 1, 4, 4);
	nrt_rng_init(&r, 1, 0, 0, 0);
	ASSERT_EQ_INT(0, nrt_aug_random_rotation(&im, &t, 0, &r));
	ASSERT(fabsf(px(&im, 0, 3, 3) - 33) < 1e-4f);
	nrt_img_free(&im);
	nrt_img_free(&t);
}

static void test_values(void)
{
	struct nrt_img im = { 0 };
	struct nrt_rng r;

	/* brightness: one shift in [-delta, delta] for the whole image */
	ramp(&im, 1, 2, 2);
	nrt_rng_init(&r, 3, 0, 0, 0);
	nrt_aug_brightness(&im, 0.5, &r);
	float d = px(&im, 0, 0, 0);
	ASSERT(fabsf(d) <= 0.5f && d != 0);
	ASSERT(fabsf(px(&im, 0, 1, 1) - (11 + d)) < 1e-5f);
	/* contrast: the mean is kept, distances scale by one factor in [0.5, 1.5] */
	ramp(&im, 1, 1, 2);                              /* 0, 1: mean 0.5 */
	nrt_rng_init(&r, 3, 0, 0, 0);
	nrt_aug_contrast(&im, 0.5, &r);
	float a = px(&im, 0, 0, 1) - px(&im, 0, 0, 0);
	ASSERT(a >= 0.5f && a <= 1.5f);
	ASSERT(fabsf(px(&im, 0, 0, 0) + px(&im, 0, 0, 1) - 1.0f) < 1e-6f);
	/* noise: mean 0, std as asked; p = 0 leaves the image */
	nrt_img_reserve(&im, 1, 100, 100);
	memset(im.p, 0, 10000 * sizeof *im.p);
	nrt_rng_init(&r, 3, 0, 0, 0);
	nrt_aug_noise(&im, 0.1, 1.0, &r);
	double m = 0, v = 0;
	for (int i = 0; i < 10000; i++)
		m += im.p[i];
	m /= 10000;
	for (int i = 0; i < 10000; i++)
		v += (im.p[i] - m) * (im.p[i] - m);
	v = sqrt(v / 9999);
	ASSERT(fabs(m) < 0.005 && fabs(v - 0.1) < 0.005);
	memset(im.p, 0, 10000 * sizeof *im.p);
	nrt_aug_noise(&im, 0.1, 0.0, &r);
	ASSERT(im.p[0] == 0 && im.p[9999] == 0);
	/* normalize: per channel, or one value for all */
	float mean[3] = { 0.5f, 1.0f, 0.0f }, sd[3] = { 0.5f, 2.0f, 1.0f };
	nrt_img_reserve(&im, 3, 1, 1);
	im.p[0] = 1.0f;
	im.p[1] = 3.0f;
	im.p[2] = 7.0f;
	nrt_aug_normalize(&im, 3, mean, sd);
	ASSERT(im.p[0] == 1.0f && im.p[1] == 1.0f && im.p[2] == 7.0f);
	nrt_aug_normalize(&im, 1, mean, sd);
	ASSERT(im.p[0] == 1.0f && im.p[2] == 13.0f);
	nrt_img_free(&im);
}

/* The pipeline: the same (seed, epoch, sample) gives the same result,
 * another epoch or sample another; evaluation skips the random ops. */
static void test_pipeline(void)
{
	struct nrt_aug ops[5] = {
		{ .kind = NRT_AUG_RANDOM_CROP, .h = 6, .w = 6, .pad = 2 },
		{ .kind = NRT_AUG_FLIP, .horizontal = true, .p = 0.5 },
		{ .kind = NRT_AUG_BRIGHTNESS, .delta = 0.2 },
		{ .kind = NRT_AUG_NOISE, .std = 0.1, .p = 1 },
		{ .kind = NRT_AUG_NORMALIZE, .nmean = 1, .mean = { 0.5f }, .sd = { 2.0f } },
	};
	struct nrt_img a = { 0 }, b = { 0 }, t = { 0 };
	char err[128];
	int h = 8, w = 8;

	ASSERT_EQ_INT(0, nrt_aug_out_shape(ops, 5, 1, &h, &w, err, sizeof err));
	ASSERT(h == 6 && w == 6);
	ramp(&a, 1, 8, 8);
	ramp(&b, 1, 8, 8);
	nrt_aug_apply(ops, 5, &a, &t, 42, 3, 17, true);
	nrt_aug_apply(ops, 5, &b, &t, 42, 3, 17, true);
	ASSERT(a.h == 6 && memcmp(a.p, b.p, 36 * sizeof *a.p) == 0);
	ramp(&b, 1, 8, 8);
	nrt_aug_apply(ops, 5, &b, &t, 42, 4, 17, true);
	ASSERT(memcmp(a.p, b.p, 36 * sizeof *a.p) != 0);
	ramp(&b, 1, 8, 8);
	nrt_aug_apply(ops, 5, &b, &t, 42, 3, 18, true);
	ASSERT(memcmp(a.p, b.p, 36 * sizeof *a.p) != 0);
	/* evaluation: center crop of the padded image, then normalize only */
	ramp(&b, 1, 8, 8);
	nrt_aug_apply(ops, 5, &b, &t, 42, 3, 17, false);
	ASSERT(b.h == 6 && b.p[0] == (11 - 0.5f) / 2.0f && b.p[35] == (66 - 0.5f) / 2.0f);
	/* a crop too large, normalize with the wrong channel count */
	h = w = 1;
	ASSERT_EQ_INT(-1, nrt_aug_out_shape(ops + 0, 1, 1, &h, &w, err, sizeof err));
	ASSERT_STR_EQ("augment 1: a 6x6 crop does not fit a 5x5 image", err);
	struct nrt_aug n2 = { .kind = NRT_AUG_NORMALIZE, .nmean = 2 };
	h = w = 4;
	ASSERT_EQ_INT(-1, nrt_aug_out_shape(&n2, 1, 3, &h, &w, err, sizeof err));
	ASSERT(strstr(err, "normalize has 2 means for 3 channels") != NULL);
	nrt_img_free(&a);
	nrt_img_free(&b);
	nrt_img_free(&t);
}

int main(void)
{
	test_crops();
	test_flips();
	test_rotation();
	test_values();
	test_pipeline();
	return check_summary();
}
