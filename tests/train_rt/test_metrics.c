/* test_metrics.c - the epoch metrics (runtime/train/metrics.c, auc.c):
 * AUC against a brute-force pairwise count on random scores with ties and
 * against values computed by hand (as sklearn's roc_auc_score gives them),
 * accuracy, top-k, the confusion matrix and its table, multi-label
 * outputs (sigmoid threshold, classes of one label value left out of the
 * mean), Dice and IoU of per-pixel outputs, the loss mean, skipped targets
 * and configuration errors. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "check.h"
#include "train_rt.h"

static char errbuf[512];

static int near(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	if (fabs(a - b) > 1e-12) {
		fprintf(stderr, "    %.17g != %.17g\n", a, b);
		return 0;
	}
	return 1;
}

static double brute_auc(const double *s, const unsigned char *l, int n)
{
	double num = 0, pairs = 0;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (l[i] && !l[j]) {
				pairs++;
				num += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
			}
	return pairs ? num / pairs : NAN;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_auc(void)
{
	/* sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75 */
	static const double s1[] = { 0.1, 0.4, 0.35, 0.8 };
	static const unsigned char l1[] = { 0, 0, 1, 1 };
	ASSERT(near(0.75, nrt_auc(s1, l1, 4, NULL)));
	/* ties: roc_auc_score([1, 0, 1, 1, 0], [0.9, 0.9, 0.8, 0.3, 0.1]) = 3.5 / 6 */
	static const double s2[] = { 0.9, 0.9, 0.8, 0.3, 0.1 };
	static const unsigned char l2[] = { 1, 0, 1, 1, 0 };
	ASSERT(near(3.5 / 6, nrt_auc(s2, l2, 5, NULL)));
	/* all tied: 0.5; perfect: 1; reversed: 0; one label value: NaN */
	static const double s3[] = { 1, 1, 1, 1 };
	static const double s4[] = { 1, 2, 3, 4 };
	ASSERT(near(0.5, nrt_auc(s3, l1, 4, NULL)));
	ASSERT(near(1.0, nrt_auc(s4, l1, 4, NULL)));
	static const unsigned char l4[] = { 1, 1, 0, 0 };
	ASSERT(near(0.0, nrt_auc(s4, l4, 4, NULL)));
	static const unsigned char l5[] = { 1, 1, 1, 1 };
	ASSERT(isnan(nrt_auc(s4, l5, 4, NULL)));
	ASSERT(isnan(nrt_auc(s4, l1, 0, NULL)));
	/* roc_auc_score([0, 1, 0, 1, 1, 0, 1], [0.2, 0.6, 0.6, 0.7, 0.1, 0.3, 0.9]):
	 * positives 0.6 0.7 0.1 0.9 against negatives 0.2 0.6 0.3: 2.5 + 3 + 0 + 3 = 8.5 / 12 */
	static const double s6[] = { 0.2, 0.6, 0.6, 0.7, 0.1, 0.3, 0.9 };
	static const unsigned char l6[] = { 0, 1, 0, 1, 1, 0, 1 };
	ASSERT(near(8.5 / 12, nrt_auc(s6, l6, 7, NULL)));
	/* NaN scores rank lowest. */
	static const double s7[] = { NAN, 0.5, 0.2, 0.9 };
	static const unsigned char l7[] = { 1, 0, 0, 1 };
	ASSERT(near(0.5, nrt_auc(s7, l7, 4, NULL)));

	/* Random scores with many ties against the pairwise count. */
	double s[400];
	unsigned char l[400];
	int bad = 0;
	for (int trial = 0; trial < 300; trial++) {
		int n = 2 + (int)(next() % 399), levels = 1 + (int)(next() % 20);
		for (int i = 0; i < n; i++) {
			s[i] = (double)(next() % (uint64_t)levels) / levels;
			l[i] = (next() % 100) < (uint64_t)(5 + trial % 90);
		}
		double a = nrt_auc(s, l, n, NULL), b = brute_auc(s, l, n);
		if (isnan(a) != isnan(b) || (!isnan(a) && fabs(a - b) > 1e-12))
			bad++;
	}
	ASSERT_EQ_INT(0, bad);
}

static cJSON *json(const char *t)
{
	cJSON *j = cJSON_Parse(t);
	ASSERT(j != NULL);
	return j;
}

static char *capture(struct nrt_metrics *m, const char *split)
{
	static char buf[8192];
	FILE *f = tmpfile();
	nrt_metrics_print(m, split, f);
	rewind(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int contains(const char *s, const char *sub)
{
	if (!strstr(s, sub)) {
		fprintf(stderr, "    text: %s\n    lacks: %s\n", s, sub);
		return 0;
	}
	return 1;
}

static double get(const struct nrt_scalars *s, const char *name)
{
	const double *v = nrt_scalars_get(s, name);
	if (!v) {
		fprintf(stderr, "    no scalar %s\n", name);
		return -999;
	}
	return *v;
}

static void test_single_label(void)
{
	static const char *const names[] = { "cat", "dog", "bird" };
	struct nrt_metrics_cfg cfg = { .classes = 3, .spatial = 1, .class_names = names };
	cJSON *mc = json("[{\"kind\":\"accuracy\"},{\"kind\":\"top_k\",\"k\":2},{\"kind\":\"loss\"},"
			 "{\"kind\":\"auc\",\"average\":\"per_class\"}]");
	struct nrt_metrics *m = nrt_metrics_new(mc, &cfg, errbuf, sizeof errbuf);
	if (!ASSERT(m != NULL))
		return;
	/* 6 samples of logits; predictions 0, 1, 2, 1, 0, 2 */
	static const float out[] = {
		3, 1, 0,   0, 2, 1,   0, 0, 5,
		1, 4, 2,   2, 1, 0,   0, 1, 3,
	};
	static const int32_t tgt[] = { 0, 1, 1, 0, 0, 2 };
	ASSERT_EQ_INT(0, nrt_metrics_add(m, out, tgt, 4, 1.0));
	ASSERT_EQ_INT(0, nrt_metrics_add(m, out + 12, tgt + 4, 2, 4.0));
	struct nrt_scalars s;
	nrt_scalars_clear(&s);
	ASSERT_EQ_INT(0, nrt_metrics_export(m, "val", &s));
	ASSERT(near(2.0, get(&s, "val.loss")));
	ASSERT(near(4.0 / 6, get(&s, "val.accuracy")));
	/* top-2: sample 3 (target 0 scores 1 < 4, 2) misses, sample 2 (target 1
	 * scores 0 = 0 < 5) hits. */
	ASSERT(near(5.0 / 6, get(&s, "val.top_k")));
	const int64_t *cm = nrt_metrics_confusion(m);
	static const int64_t want[9] = { 2, 1, 0,  0, 1, 1,  0, 0, 1 };
	ASSERT(memcmp(cm, want, sizeof want) == 0);
	/* AUC one-vs-rest over softmax probabilities, against the brute force. */
	double sum = 0;
	for (int c = 0; c < 3; c++) {
		double p[6];
		unsigned char l[6];
		for (int i = 0; i < 6; i++) {
			double z = 0;
			for (int k = 0; k < 3; k++)
				z += exp(out[i * 3 + k]);
			p[i] = exp(out[i * 3 + c]) / z;
			l[i] = tgt[i] == c;
		}
		char name[32];
		snprintf(name, sizeof name, "val.auc.%s", names[c]);
		ASSERT(near(brute_auc(p, l, 6), get(&s, name)));
		sum += brute_auc(p, l, 6);
	}
	ASSERT(near(sum / 3, get(&s, "val.auc")));
	char *txt = capture(m, "val");
	ASSERT(contains(txt, "val: 6 samples, loss 2, accuracy 0.6667, top-2 0.8333"));
	ASSERT(contains(txt, "confusion matrix (rows: true class, columns: predicted)"));
	ASSERT(contains(txt, "   cat     2     1     0\n"));
	ASSERT(contains(txt, "  bird     0     0     1\n"));
	/* Reset forgets the epoch. */
	nrt_metrics_reset(m);
	nrt_scalars_clear(&s);
	nrt_metrics_export(m, "val", &s);
	ASSERT(isnan(get(&s, "val.loss")) && isnan(get(&s, "val.accuracy")));
	/* Targets outside [0, C) are skipped and reported. */
	static const int32_t odd[] = { -1, 1, 7, 0 };
	nrt_metrics_add(m, out, odd, 4, 0.5);
	ASSERT_EQ_INT(2, nrt_metrics_count(m));
	ASSERT_EQ_INT(2, nrt_metrics_skipped(m));
	ASSERT(contains(capture(m, "train"), "2 targets outside [0, 3) skipped"));
	nrt_metrics_free(m);
	cJSON_Delete(mc);

	/* Probabilities as output: the AUC uses them as given. */
	cfg.output_kind = NRT_OUTPUT_PROBS;
	cfg.classes = 2;
	mc = json("[{\"kind\":\"auc\",\"average\":\"mean\"}]");
	m = nrt_metrics_new(mc, &cfg, errbuf, sizeof errbuf);
	static const float pr[] = { 0.9f, 0.1f,  0.6f, 0.4f,  0.65f, 0.35f,  0.2f, 0.8f };
	static const int32_t t2[] = { 0, 0, 1, 1 };
	nrt_metrics_add(m, pr, t2, 4, 0);
	nrt_scalars_clear(&s);
	nrt_metrics_export(m, "val", &s);
	/* class 1 scores 0.1 0.4 0.35 0.8 with labels 0 0 1 1: 0.75 (and class 0 the same) */
	ASSERT(near(0.75, get(&s, "val.auc")));
	ASSERT(nrt_scalars_get(&s, "val.accuracy") == NULL);
	nrt_metrics_free(m);
	cJSON_Delete(mc);
}

static void test_multi_label(void)
{
	struct nrt_metrics_cfg cfg = { .classes = 3, .spatial = 1, .multi_label = 1 };
	cJSON *mc = json("[{\"kind\":\"auc\",\"average\":\"per_class\"},{\"kind\":\"accuracy\"},"
			 "{\"kind\":\"top_k\",\"k\":1}]");
	struct nrt_metrics *m = nrt_metrics_new(mc, &cfg, errbuf, sizeof errbuf);
	if (!ASSERT(m != NULL))
		return;
	/* Logits; class 2 is never positive. */
	static const float out[] = {
		2, -1, -3,   -1, 0.5f, 1,   0.1f, -2, -1,   -3, 3, 2,
	};
	static const float tgt[] = {
		1, 0, 0,     0, 1, 0,       0, 0, 0,        1, 1, 0,
	};
	nrt_metrics_add(m, out, tgt, 4, 0.3);
	struct nrt_scalars s;
	nrt_scalars_clear(&s);
	nrt_metrics_export(m, "val", &s);
	/* decisions (logit > 0): 1 0 0 | 0 1 1 | 1 0 0 | 0 1 1 against the
	 * targets: right 3 + 2 + 2 + 1 = 8 of 12 */
	ASSERT(near(8.0 / 12, get(&s, "val.accuracy")));
	/* top-1 over samples with a positive: sample 0 (class 0 highest) hits,
	 * sample 1 (class 2 above class 1) misses, sample 3 (class 1) hits. */
	ASSERT(near(2.0 / 3, get(&s, "val.top_k")));
	double a0, a1;
	{
		double s0[] = { 2, -1, 0.1, -3 }, s1[] = { -1, 0.5, -2, 3 };
		unsigned char l0[] = { 1, 0, 0, 1 }, l1[] = { 0, 1, 0, 1 };
		a0 = brute_auc(s0, l0, 4);
		a1 = brute_auc(s1, l1, 4);
	}
	ASSERT(near(a0, get(&s, "val.auc.0")));
	ASSERT(near(a1, get(&s, "val.auc.1")));
	ASSERT(isnan(get(&s, "val.auc.2")));
	ASSERT(near((a0 + a1) / 2, get(&s, "val.auc")));
	char *txt = capture(m, "val");
	ASSERT(contains(txt, "auc 0.7500 (mean of 2 of 3 classes)"));
	ASSERT(contains(txt, "left out of the auc mean, one label value only: 2 (no positives)"));
	ASSERT(!strstr(txt, "confusion"));
	ASSERT(nrt_metrics_confusion(m) == NULL);
	nrt_metrics_free(m);
	cJSON_Delete(mc);
}

static void test_per_pixel(void)
{
	/* 2 classes, 2x2 pixels, 2 samples. */
	struct nrt_metrics_cfg cfg = { .classes = 2, .spatial = 4 };
	cJSON *mc = json("[{\"kind\":\"dice\"},{\"kind\":\"iou\"},{\"kind\":\"accuracy\"}]");
	struct nrt_metrics *m = nrt_metrics_new(mc, &cfg, errbuf, sizeof errbuf);
	if (!ASSERT(m != NULL))
		return;
	/* sample-major [n, C, H, W]: predictions (arg-max per pixel)
	 * sample 0: 1 1 0 0, sample 1: 0 0 0 1 */
	static const float out[] = {
		0, 0, 1, 1,   1, 1, 0, 0,
		1, 1, 1, 0,   0, 0, 0, 1,
	};
	static const int32_t tgt[] = { 1, 0, 0, 0,   0, 0, 1, 1 };
	nrt_metrics_add(m, out, tgt, 2, 0.7);
	struct nrt_scalars s;
	nrt_scalars_clear(&s);
	nrt_metrics_export(m, "val", &s);
	/* class 1: tp 2 (s0 px0, s1 px3), fp 1 (s0 px1), fn 1 (s1 px2)
	 * class 0: tp 4, fp 1, fn 1 */
	double d1 = 4.0 / 6, d0 = 8.0 / 10, i1 = 2.0 / 4, i0 = 4.0 / 6;
	ASSERT(near((d0 + d1) / 2, get(&s, "val.dice")));
	ASSERT(near((i0 + i1) / 2, get(&s, "val.iou")));
	ASSERT(near(6.0 / 8, get(&s, "val.accuracy")));
	ASSERT_EQ_INT(8, nrt_metrics_count(m));
	ASSERT(contains(capture(m, "val"), "per class (dice / iou): 0 0.8000/0.6667 1 0.6667/0.5000"));
	nrt_metrics_free(m);
	cJSON_Delete(mc);
}

static void test_config(void)
{
	static const struct {
		const char *metrics;
		int64_t spatial;
		int regression;
		const char *want;
	} bad[] = {
		{ "[{\"kind\":\"f1\"}]", 1, 0, "unknown metric 'f1'" },
		{ "[{\"kind\":\"auc\",\"average\":\"mean\"}]", 16, 0, "auc is computed per sample" },
		{ "[{\"kind\":\"auc\",\"average\":\"macro\"}]", 1, 0, "auc average 'macro'" },
		{ "[{\"kind\":\"dice\"}]", 1, 0, "dice needs a per-pixel output" },
		{ "[{\"kind\":\"top_k\",\"k\":0}]", 1, 0, "\"k\" must be an integer >= 1" },
		{ "[{\"kind\":\"accuracy\"}]", 1, 1, "accuracy needs class targets" },
		{ "{\"kind\":\"accuracy\"}", 1, 0, "not an array" },
		{ "[{\"k\":1}]", 1, 0, "without a \"kind\"" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct nrt_metrics_cfg cfg = { .classes = 3, .spatial = bad[i].spatial,
					       .regression = bad[i].regression };
		cJSON *mc = json(bad[i].metrics);
		struct nrt_metrics *m = nrt_metrics_new(mc, &cfg, errbuf, sizeof errbuf);
		ASSERT(m == NULL && contains(errbuf, bad[i].want));
		nrt_metrics_free(m);
		cJSON_Delete(mc);
	}
	/* NULL: the loss only; regression works with it. */
	struct nrt_metrics_cfg cfg = { .classes = 1, .spatial = 1, .regression = 1 };
	struct nrt_metrics *m = nrt_metrics_new(NULL, &cfg, errbuf, sizeof errbuf);
	float y[2] = { 0 };
	nrt_metrics_add(m, y, y, 2, 0.25);
	struct nrt_scalars s;
	nrt_scalars_clear(&s);
	nrt_metrics_export(m, "train", &s);
	ASSERT_EQ_INT(1, s.n);
	ASSERT(near(0.25, get(&s, "train.loss")));
	nrt_metrics_free(m);
	/* From a program's tables. */
	struct netrt_program p;
	memset(&p, 0, sizeof p);
	p.batch = 4;
	p.classes = 3;
	p.output_numel = 4 * 3 * 25;
	p.target_kind = NETRT_TARGET_CLASS;
	ASSERT_EQ_INT(0, nrt_metrics_cfg_from_program(&p, &cfg, errbuf, sizeof errbuf));
	ASSERT_EQ_INT(25, cfg.spatial);
	p.output_numel = 13;
	ASSERT_EQ_INT(EINVAL, nrt_metrics_cfg_from_program(&p, &cfg, errbuf, sizeof errbuf));
}

int main(void)
{
	test_auc();
	test_single_label();
	test_multi_label();
	test_per_pixel();
	test_config();
	return check_summary();
}
