/* test_evalrec.c - evaluation records (runtime/train/evalrec.c): 2000
 * samples at batch 32 (63 batches, the last padded) added in one process,
 * and packed by 1, 2 and 3 "ranks" (batch b on rank b % ranks), gathered
 * and replayed, give bitwise the same exported metrics and confusion
 * matrix, for single-label (accuracy, top-k, per-class AUC, loss),
 * multi-label (AUC) and per-pixel (Dice, IoU) outputs; damaged records
 * (a bad count, a short part, bytes left over) are refused with a message
 * naming the rank. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "check.h"
#include "train_rt.h"

enum { N = 2000, B = 32, NB = (N + B - 1) / B };

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct split {
	int64_t out_per, tgt_per;
	float *out;                    /* NB * B * out_per */
	uint32_t *tgt;                 /* NB * B * tgt_per (int32 classes or float labels) */
	double loss[NB];
};

static int64_t valid_of(int64_t b)
{
	return b == NB - 1 ? N - (NB - 1) * B : B;
}

/* Random outputs (with ties: 1/8 steps) and targets of the config. */
static void make(struct split *s, const struct nrt_metrics_cfg *cfg)
{
	int64_t C = cfg->classes, HW = cfg->spatial;
	s->out_per = C * HW;
	s->tgt_per = cfg->multi_label ? C * HW : HW;
	s->out = calloc((size_t)(NB * B * s->out_per), sizeof *s->out);
	s->tgt = calloc((size_t)(NB * B * s->tgt_per), sizeof *s->tgt);
	for (int64_t i = 0; i < NB * B * s->out_per && s->out; i++)
		s->out[i] = (float)(next() % 64) / 8.0f - 4.0f;
	for (int64_t i = 0; i < NB * B * s->tgt_per && s->tgt; i++) {
		if (cfg->multi_label) {
			float f = (float)(next() % 2);
			memcpy(&s->tgt[i], &f, 4);
		} else {
			s->tgt[i] = (uint32_t)(next() % (uint64_t)C);
		}
	}
	for (int b = 0; b < NB; b++)
		s->loss[b] = (double)(next() % 100000) / 7919.0;
}

static const float *out_of(const struct split *s, int64_t b)
{
	return s->out + b * B * s->out_per;
}

static const uint32_t *tgt_of(const struct split *s, int64_t b)
{
	return s->tgt + b * B * s->tgt_per;
}

/* The records of `ranks` ranks gathered into one buffer (rank order). */
static unsigned char *gather(const struct split *s, int ranks, struct nrt_evalrec *shape,
			     int64_t *lo, int64_t *hi, int64_t *nb)
{
	struct nrt_evalrec r[3];
	int64_t total = 0;
	unsigned char *all;
	nrt_evalrec_init(shape, s->out_per, s->tgt_per);
	for (int p = 0; p < ranks; p++) {
		nrt_evalrec_init(&r[p], s->out_per, s->tgt_per);
		for (int64_t b = p; b < NB; b += ranks)
			if (nrt_evalrec_add(&r[p], out_of(s, b), tgt_of(s, b), valid_of(b), s->loss[b]))
				return NULL;
		lo[p] = total;
		total += (int64_t)r[p].len;
		hi[p] = total;
		nb[p] = r[p].batches;
	}
	all = malloc((size_t)total);
	for (int p = 0; p < ranks; p++) {
		if (all)
			memcpy(all + lo[p], r[p].b, r[p].len);
		nrt_evalrec_free(&r[p]);
	}
	return all;
}

static int same_metrics(struct nrt_metrics *a, struct nrt_metrics *b, int64_t C)
{
	struct nrt_scalars sa, sb;
	nrt_scalars_clear(&sa);
	nrt_scalars_clear(&sb);
	if (!ASSERT_EQ_INT(0, nrt_metrics_export(a, "val", &sa)) ||
	    !ASSERT_EQ_INT(0, nrt_metrics_export(b, "val", &sb)) || !ASSERT_EQ_INT(sa.n, sb.n))
		return 0;
	for (int i = 0; i < sa.n; i++) {
		if (!ASSERT(strcmp(sa.v[i].name, sb.v[i].name) == 0) ||
		    !ASSERT(memcmp(&sa.v[i].value, &sb.v[i].value, sizeof(double)) == 0)) {
			fprintf(stderr, "    %s: %.17g != %.17g\n", sa.v[i].name, sa.v[i].value,
				sb.v[i].value);
			return 0;
		}
	}
	const int64_t *ca = nrt_metrics_confusion(a), *cb = nrt_metrics_confusion(b);
	if (ca || cb)
		return ASSERT(ca && cb && memcmp(ca, cb, (size_t)(C * C) * sizeof *ca) == 0);
	return sa.n > 0;
}

static void check_cfg(const struct nrt_metrics_cfg *cfg, const char *metrics)
{
	char err[512] = "";
	cJSON *mc = cJSON_Parse(metrics);
	struct nrt_metrics *one = nrt_metrics_new(mc, cfg, err, sizeof err);
	struct nrt_metrics *many = nrt_metrics_new(mc, cfg, err, sizeof err);
	struct split s;
	make(&s, cfg);
	if (!ASSERT(one && many && s.out && s.tgt)) {
		fprintf(stderr, "    %s\n", err);
		goto out;
	}
	for (int64_t b = 0; b < NB; b++)
		ASSERT_EQ_INT(0, nrt_metrics_add(one, out_of(&s, b), tgt_of(&s, b), valid_of(b),
						 s.loss[b]));
	for (int ranks = 1; ranks <= 3; ranks++) {
		struct nrt_evalrec shape;
		int64_t lo[3], hi[3], nb[3];
		unsigned char *all = gather(&s, ranks, &shape, lo, hi, nb);
		if (!ASSERT(all != NULL))
			break;
		ASSERT_EQ_INT(NB / ranks, nb[ranks - 1]);   /* the last rank: 63, 31, 21 */
		nrt_metrics_reset(many);
		ASSERT_EQ_INT(0, nrt_evalrec_replay(many, &shape, B, all, lo, hi, nb, ranks, err,
						    sizeof err));
		if (!same_metrics(one, many, cfg->classes))
			fprintf(stderr, "    %d ranks differ from one process\n", ranks);
		free(all);
	}
out:
	free(s.out), free(s.tgt);
	nrt_metrics_free(one), nrt_metrics_free(many);
	cJSON_Delete(mc);
}

static void test_damaged(void)
{
	struct nrt_metrics_cfg cfg = { .classes = 3, .spatial = 1 };
	cJSON *mc = cJSON_Parse("[{\"kind\":\"accuracy\"}]");
	char err[512] = "";
	struct nrt_metrics *m = nrt_metrics_new(mc, &cfg, err, sizeof err);
	struct nrt_evalrec shape;
	int64_t lo[3], hi[3], nb[3], bad = B + 1, keep;
	struct split s;
	make(&s, &cfg);
	unsigned char *all = gather(&s, 3, &shape, lo, hi, nb);
	if (!ASSERT(m && all))
		goto out;
	memcpy(&keep, all + lo[1], 8);
	memcpy(all + lo[1], &bad, 8);       /* rank 1's first record: 33 of batch 32 */
	ASSERT_EQ_INT(EINVAL, nrt_evalrec_replay(m, &shape, B, all, lo, hi, nb, 3, err, sizeof err));
	ASSERT(strstr(err, "record 0 of rank 1 is damaged") != NULL);
	memcpy(all + lo[1], &keep, 8);
	hi[2] -= 1;                          /* rank 2's last record cut short */
	nrt_metrics_reset(m);
	ASSERT_EQ_INT(EINVAL, nrt_evalrec_replay(m, &shape, B, all, lo, hi, nb, 3, err, sizeof err));
	ASSERT(strstr(err, "of rank 2 is damaged") != NULL);
	hi[2] += 1;
	nb[0] -= 1;                          /* rank 0's last record not counted: left over */
	nrt_metrics_reset(m);
	ASSERT_EQ_INT(EINVAL, nrt_evalrec_replay(m, &shape, B, all, lo, hi, nb, 3, err, sizeof err));
	ASSERT(strstr(err, "rank 0") && strstr(err, "left over"));
	nb[0] += 1;
	nrt_metrics_reset(m);
	ASSERT_EQ_INT(0, nrt_evalrec_replay(m, &shape, B, all, lo, hi, nb, 3, err, sizeof err));
out:
	free(all), free(s.out), free(s.tgt);
	nrt_metrics_free(m);
	cJSON_Delete(mc);
}

int main(void)
{
	struct nrt_metrics_cfg single = { .classes = 4, .spatial = 1 };
	struct nrt_metrics_cfg multi = { .classes = 3, .spatial = 1, .multi_label = 1 };
	struct nrt_metrics_cfg pixel = { .classes = 2, .spatial = 9 };
	check_cfg(&single, "[{\"kind\":\"accuracy\"},{\"kind\":\"top_k\",\"k\":2},{\"kind\":\"loss\"},"
			   "{\"kind\":\"auc\",\"average\":\"per_class\"}]");
	check_cfg(&multi, "[{\"kind\":\"auc\",\"average\":\"per_class\"},{\"kind\":\"accuracy\"},"
			  "{\"kind\":\"loss\"}]");
	check_cfg(&pixel, "[{\"kind\":\"dice\"},{\"kind\":\"iou\"},{\"kind\":\"accuracy\"}]");
	test_damaged();
	return check_summary();
}
