/* sample.c - one sample from its listing entry to the floats a loader
 * hands out: the path checked under the data root, decoded and resized
 * (or taken from the cache of decoded samples), augmented. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

/* The decoded (not yet augmented) sample index into a. */
static int decode(struct nrt_data *d, int64_t index, struct nrt_img *a, struct nrt_img *b,
		  char *err, size_t errlen)
{
	size_t per = (size_t)d->channels * (size_t)d->dec_h * (size_t)d->dec_w;
	char path[PATH_MAX], real[PATH_MAX];
	unsigned char want = CACHE_EMPTY;

	if (d->cache && atomic_load_explicit(&d->cache_state[index], memory_order_acquire) ==
			CACHE_READY) {
		if (nrt_img_reserve(a, d->channels, d->dec_h, d->dec_w))
			return nrt_errf(err, errlen, "out of memory");
		memcpy(a->p, d->cache + (size_t)index * per, per * sizeof *a->p);
		return 0;
	}
	if (nrt_path_join(d->root, d->list.path[index], path, sizeof path, err, errlen) ||
	    nrt_path_check(d->real_root, path, real, sizeof real, err, errlen) ||
	    nrt_img_load(real, d->channels, d->dec_h, d->dec_w, a, b, err, errlen))
		return -1;
	if (a->c != d->channels || a->h != d->dec_h || a->w != d->dec_w)
		return nrt_errf(err, errlen, "%s: decoded to %dx%dx%d, expected %dx%dx%d", path,
				a->c, a->h, a->w, d->channels, d->dec_h, d->dec_w);
	/* one thread fills an entry; another decoding the same sample meanwhile
	 * just does not store it */
	if (d->cache && atomic_compare_exchange_strong(&d->cache_state[index], &want,
						       CACHE_FILLING)) {
		memcpy(d->cache + (size_t)index * per, a->p, per * sizeof *a->p);
		atomic_store_explicit(&d->cache_state[index], CACHE_READY, memory_order_release);
	}
	return 0;
}

int nrt_sample_load(struct nrt_data *d, int64_t index, uint64_t seed, int64_t epoch,
		    int64_t position, bool train, struct nrt_img *a, struct nrt_img *b, float *x,
		    char *err, size_t errlen)
{
	if (index < 0 || index >= d->list.n)
		return nrt_errf(err, errlen, "sample %lld: no such sample", (long long)index);
	if (decode(d, index, a, b, err, errlen))
		return -1;
	if (nrt_aug_apply(d->aug, d->naug, a, b, seed, epoch, position, train))
		return nrt_errf(err, errlen, "%s: out of memory augmenting", d->list.path[index]);
	if (a->c != d->out_c || a->h != d->out_h || a->w != d->out_w)
		return nrt_errf(err, errlen, "%s: augmented to %dx%dx%d, expected %dx%dx%d",
				d->list.path[index], a->c, a->h, a->w, d->out_c, d->out_h,
				d->out_w);
	memcpy(x, a->p, (size_t)a->c * (size_t)a->h * (size_t)a->w * sizeof *x);
	return 0;
}

int nrt_data_load_sample(struct nrt_data *d, int64_t index, uint64_t seed, int64_t epoch,
			 int64_t position, bool train, float *x, char *err, size_t errlen)
{
	struct nrt_img a = { 0 }, b = { 0 };
	int rc = nrt_sample_load(d, index, seed, epoch, position, train, &a, &b, x, err, errlen);
	nrt_img_free(&a);
	nrt_img_free(&b);
	return rc;
}
