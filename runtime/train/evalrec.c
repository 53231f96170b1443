/* evalrec.c - the records of evaluated batches (train_rt.h): a rank
 * packs what nrt_metrics_add reads of each batch it evaluated, the driver
 * gathers every rank's records to every rank, and each replays them in
 * batch order, so a split evaluated over several ranks has the metrics of
 * one process (AUC ranks every score, Dice sums every pixel). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "train_int.h"
#include "train_rt.h"

enum { HEAD = 16 };                     /* int64 valid, double loss */

void nrt_evalrec_init(struct nrt_evalrec *r, int64_t out_per, int64_t tgt_per)
{
	memset(r, 0, sizeof *r);
	r->out_per = out_per > 0 ? out_per : 0;
	r->tgt_per = tgt_per > 0 ? tgt_per : 0;
}

void nrt_evalrec_free(struct nrt_evalrec *r)
{
	free(r->b);
	r->b = NULL;
	r->len = r->cap = 0;
	r->batches = 0;
}

int64_t nrt_evalrec_size(const struct nrt_evalrec *r, int64_t valid)
{
	return HEAD + valid * (r->out_per + r->tgt_per) * 4;
}

int nrt_evalrec_add(struct nrt_evalrec *r, const float *out, const void *target, int64_t valid,
		    double loss)
{
	size_t need = (size_t)nrt_evalrec_size(r, valid);
	if (valid < 0)
		return EINVAL;
	if (r->len + need > r->cap) {
		size_t cap = r->cap ? 2 * r->cap : (size_t)1 << 16;
		while (cap < r->len + need)
			cap *= 2;
		unsigned char *b = realloc(r->b, cap);
		if (!b)
			return ENOMEM;
		r->b = b, r->cap = cap;
	}
	unsigned char *q = r->b + r->len;
	size_t ob = (size_t)(valid * r->out_per) * 4, tb = (size_t)(valid * r->tgt_per) * 4;
	memcpy(q, &valid, 8);
	memcpy(q + 8, &loss, 8);
	if (ob)
		memcpy(q + HEAD, out, ob);
	if (tb)
		memcpy(q + HEAD + ob, target, tb);
	r->len += need;
	r->batches++;
	return 0;
}

int nrt_evalrec_replay(struct nrt_metrics *m, const struct nrt_evalrec *shape, int64_t batch,
		       const unsigned char *all, const int64_t *lo, const int64_t *hi,
		       const int64_t *nb, int nparts, char *err, size_t errn)
{
	int64_t *at = malloc((size_t)(nparts > 0 ? nparts : 1) * sizeof *at);
	int rc = 0;
	if (!at)
		return nrt_train_errf(err, errn, "evaluation records: out of memory"), ENOMEM;
	for (int p = 0; p < nparts; p++)
		at[p] = lo[p];
	/* batch b = p + nparts j is part p's j-th record */
	for (int64_t j = 0, left = 1; left && !rc; j++) {
		left = 0;
		for (int p = 0; p < nparts && !rc; p++) {
			int64_t valid = -1;
			double loss;
			if (j >= nb[p])
				continue;
			left = 1;
			if (hi[p] - at[p] >= HEAD) {
				memcpy(&valid, all + at[p], 8);
				memcpy(&loss, all + at[p] + 8, 8);
			}
			if (valid < 0 || valid > batch ||
			    nrt_evalrec_size(shape, valid) > hi[p] - at[p]) {
				rc = EINVAL;
				nrt_train_errf(err, errn, "evaluation record %lld of rank %d is damaged "
					       "(a count or a length out of range)", (long long)j, p);
				break;
			}
			const unsigned char *q = all + at[p] + HEAD;
			if (nrt_metrics_add(m, (const float *)q, q + valid * shape->out_per * 4, valid,
					    loss)) {
				rc = ENOMEM;
				nrt_train_errf(err, errn, "evaluation records: out of memory");
				break;
			}
			at[p] += nrt_evalrec_size(shape, valid);
		}
	}
	for (int p = 0; p < nparts && !rc; p++)
		if (at[p] != hi[p])
			rc = EINVAL, nrt_train_errf(err, errn, "evaluation records of rank %d: %lld "
						    "bytes left over", p, (long long)(hi[p] - at[p]));
	free(at);
	return rc;
}
