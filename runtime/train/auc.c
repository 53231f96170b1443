/* auc.c - the exact area under the ROC curve of a set of scores and
 * binary labels, by sorting: the Mann-Whitney U statistic
 *   AUC = (R+ - P (P + 1) / 2) / (P N)
 * with R+ the sum of the positives' ranks, tied scores sharing their
 * average rank.  That equals the trapezoid area under the ROC curve (ties
 * draw a diagonal segment), i.e. sklearn's roc_auc_score. */
#include <math.h>
#include <stdlib.h>

#include "train_rt.h"

static int cmp_score(const void *a, const void *b)
{
	double x = ((const struct nrt_auc_item *)a)->score;
	double y = ((const struct nrt_auc_item *)b)->score;
	return x < y ? -1 : x > y;
}

double nrt_auc(const double *score, const unsigned char *label, int64_t n,
	       struct nrt_auc_item *scratch)
{
	struct nrt_auc_item *it = scratch;
	int64_t pos = 0;
	if (n <= 0)
		return NAN;
	for (int64_t i = 0; i < n; i++)
		pos += label[i] != 0;
	if (pos == 0 || pos == n)
		return NAN;
	if (!it && !(it = malloc((size_t)n * sizeof *it)))
		return NAN;
	for (int64_t i = 0; i < n; i++) {
		it[i].score = isnan(score[i]) ? -INFINITY : score[i];
		it[i].label = label[i] != 0;
	}
	qsort(it, (size_t)n, sizeof *it, cmp_score);
	double rank_sum = 0;
	for (int64_t i = 0; i < n;) {
		int64_t j = i, p = 0;
		while (j < n && it[j].score == it[i].score)
			p += it[j++].label;
		/* ranks i+1 .. j share (i + 1 + j) / 2 */
		rank_sum += (double)p * (double)(i + 1 + j) * 0.5;
		i = j;
	}
	if (it != scratch)
		free(it);
	double P = (double)pos, N = (double)(n - pos);
	return (rank_sum - P * (P + 1) * 0.5) / (P * N);
}
