/* sampling.c - the order of an epoch: class balancing (a fresh draw each
 * epoch), the shuffle seeded by (seed, epoch), this rank's part.  Every
 * rank computes the same global order; rank r of R takes positions
 * r, r + R, r + 2R, ... (for training, as many on every rank). */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

enum {
	STREAM_SHUFFLE = 1,            /* nrt_seed_mix tags of the epoch streams */
	STREAM_RESAMPLE = 2,
	STREAM_OVERSAMPLE = 3,
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Class c's members of list v[0..n) into out (in order); their count. */
static int64_t members(const struct nrt_data *d, const int64_t *v, int64_t n, int c,
		       int64_t *out)
{
	int64_t k = 0;
	for (int64_t i = 0; i < n; i++)
		if (d->list.label[v[i]] == c)
			out[k++] = v[i];
	return k;
}

/* resample_majority: the largest class drawn down (without replacement) to
 * the size of the second largest.  Writes into out, returns its length. */
static int64_t resample_majority(const struct nrt_data *d, const int64_t *v, int64_t n,
				 const int64_t *counts, int64_t epoch, int64_t *out, int64_t *tmp)
{
	int nc = d->list.nclasses, big = -1;
	int64_t second = 0, k = 0, m;

	for (int c = 0; c < nc; c++)
		if (big < 0 || counts[c] > counts[big])
			big = c;
	for (int c = 0; c < nc; c++)
		if (c != big && counts[c] > second)
			second = counts[c];
	if (big < 0 || second == 0 || second >= counts[big]) {
		memcpy(out, v, (size_t)n * sizeof *v);
		return n;
	}
	m = members(d, v, n, big, tmp);
	nrt_shuffle_i64(tmp, m, nrt_seed_mix(d->balance_seed, (uint64_t)epoch, STREAM_RESAMPLE));
	qsort(tmp, (size_t)second, sizeof *tmp, cmp_i64);
	/* merge: the others in order and the drawn ones in order */
	int64_t j = 0;
	for (int64_t i = 0; i < n; i++) {
		if (d->list.label[v[i]] != big) {
			out[k++] = v[i];
			continue;
		}
		if (j < second && tmp[j] == v[i])
			out[k++] = tmp[j++];
	}
	return k;
}

/* oversample: every class repeated up to the largest class's count: whole
 * copies, then the remainder drawn without replacement. */
static int64_t oversample(const struct nrt_data *d, const int64_t *v, int64_t n,
			  const int64_t *counts, int64_t epoch, int64_t *out, int64_t *tmp)
{
	int nc = d->list.nclasses;
	int64_t most = 0, k = n;

	memcpy(out, v, (size_t)n * sizeof *v);
	for (int c = 0; c < nc; c++)
		if (counts[c] > most)
			most = counts[c];
	for (int c = 0; c < nc; c++) {
		int64_t m, extra;
		if (counts[c] == 0 || counts[c] == most)
			continue;
		m = members(d, v, n, c, tmp);
		extra = most - m;
		for (int64_t r = 0; r + m <= extra; r += m) {
			memcpy(out + k, tmp, (size_t)m * sizeof *tmp);
			k += m;
		}
		extra %= m;
		nrt_shuffle_i64(tmp, m, nrt_seed_mix(d->balance_seed, (uint64_t)epoch,
						     STREAM_OVERSAMPLE * 1000003 + (uint64_t)c));
		memcpy(out + k, tmp, (size_t)extra * sizeof *tmp);
		k += extra;
	}
	return k;
}

/* How long the balanced list of split s can get. */
static int64_t balanced_cap(const struct nrt_data *d, int64_t n, const int64_t *counts)
{
	int64_t most = 0;
	if (d->balance != NRT_BAL_OVERSAMPLE)
		return n;
	for (int c = 0; c < d->list.nclasses; c++)
		if (counts[c] > most)
			most = counts[c];
	return most * d->list.nclasses;
}

int64_t *nrt_epoch_global(const struct nrt_data *d, enum nrt_split s, uint64_t seed,
			  int64_t epoch, bool train, int64_t *n)
{
	const int64_t *v = d->split[s];
	int64_t len = d->nsplit[s], cap, *out = NULL, *tmp = NULL, *counts;

	*n = 0;
	counts = calloc((size_t)d->list.nclasses + 1, sizeof *counts);
	if (!counts)
		return NULL;
	nrt_data_class_counts(d, s, counts);
	cap = balanced_cap(d, len, counts);
	out = malloc(((size_t)(cap > len ? cap : len) + 1) * sizeof *out);
	tmp = malloc(((size_t)len + 1) * sizeof *tmp);
	if (!out || !tmp) {
		free(out);
		out = NULL;
		goto done;
	}
	if (train && d->balance == NRT_BAL_RESAMPLE_MAJORITY)
		len = resample_majority(d, v, len, counts, epoch, out, tmp);
	else if (train && d->balance == NRT_BAL_OVERSAMPLE)
		len = oversample(d, v, len, counts, epoch, out, tmp);
	else
		memcpy(out, v, (size_t)len * sizeof *v);
	if (train && d->shuffle)
		nrt_shuffle_i64(out, len, nrt_seed_mix(seed, (uint64_t)epoch,
						       STREAM_SHUFFLE * 16 + (uint64_t)s));
	*n = len;
done:
	free(tmp);
	free(counts);
	return out;
}

int64_t *nrt_data_epoch_order(const struct nrt_data *d, enum nrt_split s, uint64_t seed,
			      int64_t epoch, bool train, int64_t *n)
{
	int64_t g, *all = nrt_epoch_global(d, s, seed, epoch, train, &g), k = 0;
	int R = d->opts.world, r = d->opts.rank;
	int64_t take;

	*n = 0;
	if (!all)
		return NULL;
	take = train ? g / R : (g - r + R - 1) / R;
	for (int64_t i = 0; i < take; i++)
		all[k++] = all[r + i * R];
	*n = k;
	return all;
}
