/* dataset.c - the splits of an opened data section (ratio and
 * group-aware by_patient, from splitmix64 so every machine gets the same
 * ones), its accessors, class counts and weights, the listing hash. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

int nrt_data_split(struct nrt_data *d, const char *kind, const double frac[3], uint64_t seed,
		   char *err, size_t errlen);
void nrt_data_finish(struct nrt_data *d);

/* A split's share of n (rounded half up); test takes the rest. */
static void split_sizes(int64_t n, const double frac[3], int64_t out[3])
{
	out[0] = (int64_t)(frac[0] * (double)n + 0.5);
	out[1] = (int64_t)(frac[1] * (double)n + 0.5);
	if (out[0] > n)
		out[0] = n;
	if (out[0] + out[1] > n)
		out[1] = n - out[0];
	out[2] = n - out[0] - out[1];
	if (frac[2] == 0 && out[2] > 0) {         /* a rounding leftover goes to train */
		out[0] += out[2];
		out[2] = 0;
	}
}

/* A sample's group and index, sorted by (group, index). */
struct gkey {
	const char *g;
	int64_t i;
};

static int cmp_gkey(const void *a, const void *b)
{
	const struct gkey *x = a, *y = b;
	int c = strcmp(x->g, y->g);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Group ids numbered in order of first appearance: gid[i] for sample i;
 * *ng groups.  NULL when out of memory. */
static int64_t *group_ids(const struct nrt_data *d, int64_t *ng)
{
	int64_t n = d->list.n, g = -1, next = 0;
	int64_t *gid = malloc(((size_t)n + 1) * sizeof *gid);
	int64_t *newid = malloc(((size_t)n + 1) * sizeof *newid);
	struct gkey *k = malloc(((size_t)n + 1) * sizeof *k);

	if (!gid || !newid || !k) {
		free(gid);
		gid = NULL;
		goto out;
	}
	for (int64_t i = 0; i < n; i++)
		k[i] = (struct gkey){ d->list.group[i], i };
	qsort(k, (size_t)n, sizeof *k, cmp_gkey);
	for (int64_t i = 0; i < n; i++) {
		if (i == 0 || strcmp(k[i].g, k[i - 1].g))
			newid[++g] = -1;
		gid[k[i].i] = g;
	}
	*ng = g + 1;
	for (int64_t i = 0; i < n; i++) {
		if (newid[gid[i]] < 0)
			newid[gid[i]] = next++;
		gid[i] = newid[gid[i]];
	}
out:
	free(newid);
	free(k);
	return gid;
}

int nrt_data_split(struct nrt_data *d, const char *kind, const double frac[3], uint64_t seed,
		   char *err, size_t errlen)
{
	int64_t n = d->list.n, sizes[3], *perm = malloc(((size_t)n + 1) * sizeof *perm);
	int64_t *part = malloc(((size_t)n + 1) * sizeof *part);   /* the split of sample i */
	int rc = -1;

	if (!perm || !part) {
		nrt_errf(err, errlen, "data: out of memory");
		goto out;
	}
	split_sizes(n, frac, sizes);
	if (!strcmp(kind, "none")) {
		for (int64_t i = 0; i < n; i++)
			part[i] = NRT_TRAIN;
	} else if (!strcmp(kind, "ratio")) {
		for (int64_t i = 0; i < n; i++)
			perm[i] = i;
		nrt_shuffle_i64(perm, n, nrt_seed_mix(seed, 0x73706c6974, 0));
		for (int64_t i = 0; i < n; i++)
			part[perm[i]] = i < sizes[0] ? NRT_TRAIN : i < sizes[0] + sizes[1] ? NRT_VAL
											: NRT_TEST;
	} else {
		/* by_patient: shuffle the groups, then fill train, val, test in turn with
		 * whole groups: a group goes to the split its first sample would fall in */
		int64_t ng = 0, *gid = group_ids(d, &ng), *gsize, *gpart, at = 0;
		if (!gid) {
			nrt_errf(err, errlen, "data: out of memory");
			goto out;
		}
		gsize = calloc((size_t)ng + 1, sizeof *gsize);
		gpart = calloc((size_t)ng + 1, sizeof *gpart);
		if (!gsize || !gpart) {
			free(gid);
			free(gsize);
			free(gpart);
			nrt_errf(err, errlen, "data: out of memory");
			goto out;
		}
		for (int64_t i = 0; i < n; i++)
			gsize[gid[i]]++;
		for (int64_t g = 0; g < ng; g++)
			perm[g] = g;
		nrt_shuffle_i64(perm, ng, nrt_seed_mix(seed, 0x67726f7570, 0));
		for (int64_t j = 0; j < ng; j++) {
			int64_t g = perm[j];
			gpart[g] = at < sizes[0] ? NRT_TRAIN : at < sizes[0] + sizes[1] ? NRT_VAL
										: NRT_TEST;
			if (gpart[g] == NRT_VAL && sizes[1] == 0)
				gpart[g] = NRT_TEST;
			if (gpart[g] == NRT_TEST && sizes[2] == 0)
				gpart[g] = sizes[1] ? NRT_VAL : NRT_TRAIN;
			at += gsize[g];
		}
		for (int64_t i = 0; i < n; i++)
			part[i] = gpart[gid[i]];
		free(gid);
		free(gsize);
		free(gpart);
	}
	for (int s = 0; s < NRT_NSPLITS; s++) {
		int64_t c = 0;
		for (int64_t i = 0; i < n; i++)
			c += part[i] == s;
		d->split[s] = malloc(((size_t)c + 1) * sizeof *d->split[s]);
		if (!d->split[s]) {
			nrt_errf(err, errlen, "data: out of memory");
			goto out;
		}
		d->nsplit[s] = 0;
		for (int64_t i = 0; i < n; i++)
			if (part[i] == s)
				d->split[s][d->nsplit[s]++] = i;
	}
	rc = 0;
out:
	free(perm);
	free(part);
	return rc;
}

void nrt_data_finish(struct nrt_data *d)
{
	uint64_t h = NRT_FNV_INIT;
	int32_t nc = d->list.nclasses;
	h = nrt_fnv(h, &nc, sizeof nc);
	for (int c = 0; c < nc; c++)
		h = nrt_fnv(h, d->list.class_name[c], strlen(d->list.class_name[c]) + 1);
	for (int64_t i = 0; i < d->list.n; i++) {
		h = nrt_fnv(h, d->list.path[i], strlen(d->list.path[i]) + 1);
		h = nrt_fnv(h, d->list.hot + (size_t)i * (size_t)nc, (size_t)nc);
		if (d->list.group)
			h = nrt_fnv(h, d->list.group[i], strlen(d->list.group[i]) + 1);
	}
	for (int s = 0; s < NRT_NSPLITS; s++) {
		h = nrt_fnv(h, &d->nsplit[s], sizeof d->nsplit[s]);
		h = nrt_fnv(h, d->split[s], (size_t)d->nsplit[s] * sizeof *d->split[s]);
	}
	d->hash = h;
}

void nrt_data_free(struct nrt_data *d)
{
	if (!d)
		return;
	nrt_listing_free(&d->list);
	free(d->aug);
	for (int s = 0; s < NRT_NSPLITS; s++)
		free(d->split[s]);
	free(d->cache);
	free(d->cache_state);
	free(d);
}

const char *nrt_split_name(enum nrt_split s)
{
	static const char *const names[] = { "train", "val", "test" };
	return (unsigned)s < NRT_NSPLITS ? names[s] : "?";
}

int64_t nrt_data_count(const struct nrt_data *d, enum nrt_split s)
{
	return (unsigned)s < NRT_NSPLITS ? d->nsplit[s] : 0;
}

int nrt_data_classes(const struct nrt_data *d)
{
	return d->list.nclasses;
}

const char *nrt_data_class_name(const struct nrt_data *d, int c)
{
	return c >= 0 && c < d->list.nclasses ? d->list.class_name[c] : NULL;
}

bool nrt_data_multi_label(const struct nrt_data *d)
{
	return d->multi_label;
}

void nrt_data_shape(const struct nrt_data *d, int *c, int *h, int *w)
{
	*c = d->out_c;
	*h = d->out_h;
	*w = d->out_w;
}

uint64_t nrt_data_hash(const struct nrt_data *d)
{
	return d->hash;
}

void nrt_data_class_counts(const struct nrt_data *d, enum nrt_split s, int64_t *counts)
{
	int nc = d->list.nclasses;
	memset(counts, 0, (size_t)nc * sizeof *counts);
	if ((unsigned)s >= NRT_NSPLITS)
		return;
	for (int64_t i = 0; i < d->nsplit[s]; i++) {
		const uint8_t *hot = d->list.hot + (size_t)d->split[s][i] * (size_t)nc;
		for (int c = 0; c < nc; c++)
			counts[c] += hot[c];
	}
}

void nrt_data_class_weights(const struct nrt_data *d, enum nrt_split s, float *w)
{
	int nc = d->list.nclasses;
	int64_t *counts = calloc((size_t)nc + 1, sizeof *counts);
	double n = (unsigned)s < NRT_NSPLITS ? (double)d->nsplit[s] : 0;

	if (!counts) {
		for (int c = 0; c < nc; c++)
			w[c] = 1.0f;
		return;
	}
	nrt_data_class_counts(d, s, counts);
	for (int c = 0; c < nc; c++)
		w[c] = counts[c] ? (float)(n / ((double)nc * (double)counts[c])) : 0.0f;
	free(counts);
}

int nrt_data_sample(const struct nrt_data *d, enum nrt_split s, int64_t i,
		    struct nrt_sample_info *out)
{
	int64_t k;
	if ((unsigned)s >= NRT_NSPLITS || i < 0 || i >= d->nsplit[s])
		return -1;
	k = d->split[s][i];
	out->path = d->list.path[k];
	out->label = d->list.label[k];
	out->hot = d->list.hot + (size_t)k * (size_t)d->list.nclasses;
	out->group = d->list.group ? d->list.group[k] : NULL;
	out->index = k;
	out->line = d->list.line[k];
	return 0;
}
