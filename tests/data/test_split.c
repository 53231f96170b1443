/* test_split.c - splits and epoch orders: MNIST's ratio split (sizes,
 * disjoint, covering, the same on every open), by_patient (no group in
 * two splits), the per-epoch shuffle, resample_majority and oversample
 * sizes, class counts and weights, rank shards, the listing hash, and the
 * config errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data.h"
#include "fixtures.h"

static struct nrt_data *open_json(const char *json, const char *base, int rank, int world,
				  char *err, size_t n)
{
	cJSON *cfg = cJSON_Parse(json);
	struct nrt_data_opts o;
	struct nrt_data *d;
	if (!cfg) {
		snprintf(err, n, "bad test JSON");
		return NULL;
	}
	nrt_data_opts_init(&o);
	o.base_dir = base;
	o.rank = rank;
	o.world = world;
	d = nrt_data_open(cfg, &o, err, n);
	cJSON_Delete(cfg);
	return d;
}

static const char *mnist_json =
	"{\"source\": {\"kind\": \"csv\", \"file\": \"labels.csv\", \"image\": \"Image Index\","
	" \"labels\": \"Finding Labels\", \"sep\": \"\", \"root\": \"images/\", \"patient\": \"\"},"
	" \"classes\": [\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"],"
	" \"multi_label\": false,"
	" \"split\": {\"kind\": \"ratio\", \"train\": 0.8, \"val\": 0.1, \"test\": 0.1, \"seed\": 1},"
	" \"decode\": {\"kind\": \"gray\", \"height\": 28, \"width\": 28},"
	" \"augment\": [{\"kind\": \"normalize\", \"mean\": 0.1307, \"std\": 0.3081}],"
	" \"balance\": {\"kind\": \"none\"}, \"shuffle\": true, \"cache\": false, \"workers\": 0}";

static void test_mnist_split(void)
{
	const char *m = fx_mnist();
	char err[512] = "";
	struct nrt_data *d, *e;
	if (!m) {
		printf("SKIP: MNIST folder not found\n");
		return;
	}
	d = open_json(mnist_json, m, 0, 1, err, sizeof err);
	if (!ASSERT(d != NULL)) {
		fprintf(stderr, "    %s\n", err);
		return;
	}
	ASSERT_EQ_INT(8000, nrt_data_count(d, NRT_TRAIN));
	ASSERT_EQ_INT(1000, nrt_data_count(d, NRT_VAL));
	ASSERT_EQ_INT(1000, nrt_data_count(d, NRT_TEST));
	ASSERT_EQ_INT(10, nrt_data_classes(d));
	int c, h, w;
	nrt_data_shape(d, &c, &h, &w);
	ASSERT(c == 1 && h == 28 && w == 28);

	/* disjoint and covering */
	char *seen = calloc(10000, 1);
	int dup = 0;
	for (int s = 0; s < NRT_NSPLITS; s++)
		for (int64_t i = 0; i < nrt_data_count(d, s); i++) {
			struct nrt_sample_info si;
			nrt_data_sample(d, s, i, &si);
			dup += seen[si.index]++ != 0;
		}
	ASSERT_EQ_INT(0, dup);
	int missing = 0;
	for (int i = 0; i < 10000; i++)
		missing += !seen[i];
	ASSERT_EQ_INT(0, missing);
	free(seen);

	/* the same split on another open; another seed gives another */
	e = open_json(mnist_json, m, 0, 1, err, sizeof err);
	ASSERT(e && nrt_data_hash(d) == nrt_data_hash(e));
	int same = 1;
	for (int64_t i = 0; e && i < 1000; i++) {
		struct nrt_sample_info a, b;
		nrt_data_sample(d, NRT_VAL, i, &a);
		nrt_data_sample(e, NRT_VAL, i, &b);
		same &= a.index == b.index;
	}
	ASSERT(same);
	nrt_data_free(e);
	char j2[4096];
	snprintf(j2, sizeof j2, "%s", mnist_json);
	memcpy(strstr(j2, "\"seed\": 1"), "\"seed\": 2", 9);
	e = open_json(j2, m, 0, 1, err, sizeof err);
	ASSERT(e && nrt_data_hash(d) != nrt_data_hash(e));
	nrt_data_free(e);

	/* class counts add up; weights N / (C n_c) */
	int64_t counts[10], total = 0;
	float wts[10];
	nrt_data_class_counts(d, NRT_TRAIN, counts);
	for (int k = 0; k < 10; k++)
		total += counts[k];
	ASSERT_EQ_INT(8000, total);
	nrt_data_class_weights(d, NRT_TRAIN, wts);
	ASSERT(wts[3] == (float)(8000.0 / (10.0 * counts[3])));

	/* epoch orders: a permutation, different per epoch, equal for the same epoch */
	int64_t n1, n2, n3, *o1 = nrt_data_epoch_order(d, NRT_TRAIN, 7, 1, true, &n1);
	int64_t *o2 = nrt_data_epoch_order(d, NRT_TRAIN, 7, 2, true, &n2);
	int64_t *o3 = nrt_data_epoch_order(d, NRT_TRAIN, 7, 1, true, &n3);
	ASSERT(n1 == 8000 && n2 == 8000 && n3 == 8000);
	ASSERT(memcmp(o1, o3, 8000 * sizeof *o1) == 0);
	ASSERT(memcmp(o1, o2, 8000 * sizeof *o1) != 0);
	int64_t *sorted = malloc(8000 * sizeof *sorted);
	memcpy(sorted, o1, 8000 * sizeof *o1);
	int perm = 1;
	char *hit = calloc(10000, 1);
	for (int i = 0; i < 8000; i++)
		perm &= !hit[sorted[i]]++;
	ASSERT(perm);
	free(hit);
	free(sorted);
	free(o2);
	free(o3);
	/* evaluation: the split in listing order */
	o2 = nrt_data_epoch_order(d, NRT_VAL, 7, 1, false, &n2);
	ASSERT_EQ_INT(1000, n2);
	int asc = 1;
	for (int i = 1; i < 1000; i++)
		asc &= o2[i] > o2[i - 1];
	ASSERT(asc);
	free(o2);

	/* two ranks: disjoint halves of the same global order */
	struct nrt_data *r0 = open_json(mnist_json, m, 0, 2, err, sizeof err);
	struct nrt_data *r1 = open_json(mnist_json, m, 1, 2, err, sizeof err);
	ASSERT(r0 && r1 && nrt_data_hash(r0) == nrt_data_hash(d));
	int64_t a0, a1, *p0 = nrt_data_epoch_order(r0, NRT_TRAIN, 7, 1, true, &a0);
	int64_t *p1 = nrt_data_epoch_order(r1, NRT_TRAIN, 7, 1, true, &a1);
	ASSERT(a0 == 4000 && a1 == 4000);
	int ok = 1;
	for (int i = 0; i < 4000; i++)
		ok &= p0[i] == o1[2 * i] && p1[i] == o1[2 * i + 1];
	ASSERT(ok);
	free(p0);
	free(p1);
	free(o1);
	nrt_data_free(r0);
	nrt_data_free(r1);
	nrt_data_free(d);
}

/* A label file of n rows: patient i % groups, label from the function. */
static void write_csv(const char *path, int n, int groups, int (*label)(int))
{
	FILE *f = fopen(path, "w");
	fprintf(f, "Image Index,Finding Labels,Patient ID\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "%05d.png,%d,p%d\n", i, label(i), (i * 7) % groups);
	fclose(f);
}

static int label_mod3(int i)
{
	return i % 3;
}

/* 70 % class 0, 20 % class 1, 10 % class 2 */
static int label_skewed(int i)
{
	return i % 10 < 7 ? 0 : i % 10 < 9 ? 1 : 2;
}

static const char *synth_json(char *buf, size_t n, const char *split, const char *balance)
{
	snprintf(buf, n,
		 "{\"source\": {\"kind\": \"csv\", \"file\": \"l.csv\", \"sep\": \"\", \"root\": \"\","
		 " \"image\": \"Image Index\", \"labels\": \"Finding Labels\", \"patient\": \"\"},"
		 " \"classes\": [\"0\", \"1\", \"2\"], \"split\": %s,"
		 " \"decode\": {\"kind\": \"gray\", \"height\": 4, \"width\": 4},"
		 " \"balance\": %s, \"shuffle\": true}", split, balance);
	return buf;
}

static void test_by_patient(void)
{
	const char *dir = fx_tmpdir();
	char path[PATH_MAX], json[2048], err[512] = "";
	struct nrt_data *d;

	snprintf(path, sizeof path, "%s/l.csv", dir);
	write_csv(path, 1000, 37, label_mod3);
	d = open_json(synth_json(json, sizeof json,
				 "{\"kind\": \"by_patient\", \"column\": \"Patient ID\", \"train\": 0.7,"
				 " \"val\": 0.1, \"test\": 0.2, \"seed\": 3}", "{\"kind\": \"none\"}"),
		      dir, 0, 1, err, sizeof err);
	if (!ASSERT(d != NULL)) {
		fprintf(stderr, "    %s\n", err);
		fx_rmtree(dir);
		return;
	}
	/* no group in two splits */
	int where[37], clash = 0;
	for (int g = 0; g < 37; g++)
		where[g] = -1;
	for (int s = 0; s < NRT_NSPLITS; s++)
		for (int64_t i = 0; i < nrt_data_count(d, s); i++) {
			struct nrt_sample_info si;
			nrt_data_sample(d, s, i, &si);
			int g = atoi(si.group + 1);
			if (where[g] >= 0 && where[g] != s)
				clash++;
			where[g] = s;
		}
	ASSERT_EQ_INT(0, clash);
	int64_t tr = nrt_data_count(d, NRT_TRAIN), va = nrt_data_count(d, NRT_VAL),
		te = nrt_data_count(d, NRT_TEST);
	ASSERT_EQ_INT(1000, tr + va + te);
	ASSERT(tr > 600 && tr < 800 && va > 30 && te > 120);   /* groups of ~27 */
	nrt_data_free(d);

	/* by_patient on a column that is not there */
	d = open_json(synth_json(json, sizeof json,
				 "{\"kind\": \"by_patient\", \"column\": \"Patient\", \"train\": 0.7,"
				 " \"val\": 0.1, \"test\": 0.2, \"seed\": 3}", "{\"kind\": \"none\"}"),
		      dir, 0, 1, err, sizeof err);
	ASSERT(d == NULL && strstr(err, "l.csv:1: no column 'Patient'") != NULL);
	fx_rmtree(dir);
}

static void test_balance(void)
{
	const char *dir = fx_tmpdir();
	char path[PATH_MAX], json[2048], err[512] = "";
	const char *all = "{\"kind\": \"ratio\", \"train\": 1, \"val\": 0, \"test\": 0, \"seed\": 1}";
	struct nrt_data *d;
	int64_t n, counts[3];

	snprintf(path, sizeof path, "%s/l.csv", dir);
	write_csv(path, 1000, 10, label_skewed);
	d = open_json(synth_json(json, sizeof json, all,
				 "{\"kind\": \"resample_majority\", \"seed\": 5}"), dir, 0, 1, err,
		      sizeof err);
	if (!ASSERT(d != NULL)) {
		fprintf(stderr, "    %s\n", err);
		fx_rmtree(dir);
		return;
	}
	nrt_data_class_counts(d, NRT_TRAIN, counts);
	ASSERT(counts[0] == 700 && counts[1] == 200 && counts[2] == 100);
	int64_t *e1 = nrt_data_epoch_order(d, NRT_TRAIN, 1, 1, true, &n);
	ASSERT_EQ_INT(500, n);                       /* 200 + 200 drawn of 700 + 100 */
	int64_t got[3] = { 0 };
	for (int64_t i = 0; i < n; i++)
		got[e1[i] % 10 < 7 ? 0 : e1[i] % 10 < 9 ? 1 : 2]++;
	ASSERT(got[0] == 200 && got[1] == 200 && got[2] == 100);
	/* a fresh draw the next epoch: another subset of class 0 */
	int64_t n2, *e2 = nrt_data_epoch_order(d, NRT_TRAIN, 1, 2, true, &n2);
	char *in1 = calloc(1000, 1);
	int differ = 0;
	for (int64_t i = 0; i < n; i++)
		in1[e1[i]] = 1;
	for (int64_t i = 0; i < n2; i++)
		differ += !in1[e2[i]];
	ASSERT(n2 == 500 && differ > 0);
	free(in1);
	free(e1);
	free(e2);
	/* evaluation is not balanced */
	e1 = nrt_data_epoch_order(d, NRT_TRAIN, 1, 1, false, &n);
	ASSERT_EQ_INT(1000, n);
	free(e1);
	nrt_data_free(d);

	d = open_json(synth_json(json, sizeof json, all, "{\"kind\": \"oversample\", \"seed\": 5}"),
		      dir, 0, 1, err, sizeof err);
	ASSERT(d != NULL);
	e1 = nrt_data_epoch_order(d, NRT_TRAIN, 1, 1, true, &n);
	ASSERT_EQ_INT(2100, n);
	memset(got, 0, sizeof got);
	for (int64_t i = 0; i < n; i++)
		got[e1[i] % 10 < 7 ? 0 : e1[i] % 10 < 9 ? 1 : 2]++;
	ASSERT(got[0] == 700 && got[1] == 700 && got[2] == 700);
	free(e1);
	nrt_data_free(d);
	fx_rmtree(dir);
}

struct bad_cfg {
	const char *split, *balance, *error;
};

static void test_config_errors(void)
{
	const char *dir = fx_tmpdir();
	char path[PATH_MAX], json[2048], err[512];
	const char *ok = "{\"kind\": \"ratio\", \"train\": 0.8, \"val\": 0.1, \"test\": 0.1}";
	static const struct bad_cfg cases[] = {
		{ "{\"kind\": \"ratio\", \"train\": 0.8, \"val\": 0.3, \"test\": 0.1}", "{\"kind\": \"none\"}",
		  "data.split: fractions sum to 1.2, not 1" },
		{ "{\"kind\": \"halves\", \"train\": 0.8, \"val\": 0.1, \"test\": 0.1}", "{\"kind\": \"none\"}",
		  "data.split: unknown kind 'halves'" },
		{ "{\"kind\": \"ratio\", \"train\": \"x\", \"val\": 0.1, \"test\": 0.1}", "{\"kind\": \"none\"}",
		  "data.split.train: expected a number" },
		{ NULL, "{\"kind\": \"fair\"}", "data.balance: unknown kind 'fair'" },
	};
	struct nrt_data *d;

	snprintf(path, sizeof path, "%s/l.csv", dir);
	write_csv(path, 10, 2, label_mod3);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		err[0] = '\0';
		d = open_json(synth_json(json, sizeof json, cases[i].split ? cases[i].split : ok,
					 cases[i].balance), dir, 0, 1, err, sizeof err);
		ASSERT(d == NULL);
		if (!ASSERT(strstr(err, cases[i].error) != NULL))
			fprintf(stderr, "    expected '%s', got '%s'\n", cases[i].error, err);
		nrt_data_free(d);
	}
	/* a label file that is not there, a row with an unknown class */
	d = open_json(synth_json(json, sizeof json, ok, "{\"kind\": \"none\"}"), "/nonexistent", 0,
		      1, err, sizeof err);
	ASSERT(d == NULL && strstr(err, "/nonexistent/l.csv: No such file") != NULL);
	fx_write_str(path, "Image Index,Finding Labels,Patient ID\na.png,1,p\nb.png,7,p\n");
	d = open_json(synth_json(json, sizeof json, ok, "{\"kind\": \"none\"}"), dir, 0, 1, err,
		      sizeof err);
	ASSERT(d == NULL && strstr(err, "l.csv:3: unknown label '7' (not in classes)") != NULL);
	/* an image path leaving the root */
	fx_write_str(path, "Image Index,Finding Labels,Patient ID\na.png,1,p\n../../x.png,1,p\n");
	d = open_json(synth_json(json, sizeof json, ok, "{\"kind\": \"none\"}"), dir, 0, 1, err,
		      sizeof err);
	ASSERT(d == NULL && strstr(err, "l.csv:3: '../../x.png': the path leaves the data root") !=
				    NULL);
	fx_write_str(path, "Image Index,Finding Labels,Patient ID\n/etc/passwd,1,p\n");
	d = open_json(synth_json(json, sizeof json, ok, "{\"kind\": \"none\"}"), dir, 0, 1, err,
		      sizeof err);
	ASSERT(d == NULL && strstr(err, "l.csv:2: '/etc/passwd': absolute image paths") != NULL);
	fx_rmtree(dir);
}

/* The configuration of examples/mnist.net exactly as netc embeds it (the
 * contract), opened from the examples folder: its relative paths reach
 * the shared MNIST folder when the tree sits beside shared/. */
static void test_contract(void)
{
	const char *top = getenv("abs_top_srcdir");
	char base[PATH_MAX], probe[PATH_MAX + 64], err[512] = "";
	const char *json =
		"{\"name\": \"mnist\", \"source\": {\"kind\": \"csv\","
		" \"file\": \"../../shared/data/mnist/labels.csv\", \"image\": \"Image Index\","
		" \"labels\": \"Finding Labels\", \"sep\": \"\","
		" \"root\": \"../../shared/data/mnist/images/\", \"patient\": \"\"},"
		" \"classes\": [\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"],"
		" \"multi_label\": false,"
		" \"split\": {\"kind\": \"ratio\", \"train\": 0.8, \"val\": 0.1, \"test\": 0.1, \"seed\": 1},"
		" \"decode\": {\"kind\": \"gray\", \"height\": 28, \"width\": 28},"
		" \"augment\": [{\"kind\": \"normalize\", \"mean\": 0.1307, \"std\": 0.3081}],"
		" \"balance\": {\"kind\": \"none\"}, \"shuffle\": true, \"cache\": false,"
		" \"workers\": 0}";
	if (!top || !realpath(top, base)) {
		printf("SKIP: contract example (abs_top_srcdir not set)\n");
		return;
	}
	strcat(base, "/examples");
	snprintf(probe, sizeof probe, "%s/../../shared/data/mnist/labels.csv", base);
	if (access(probe, R_OK) != 0) {
		printf("SKIP: contract example (%s not there)\n", probe);
		return;
	}
	struct nrt_data *d = open_json(json, base, 0, 1, err, sizeof err);
	if (!ASSERT(d != NULL)) {
		fprintf(stderr, "    %s\n", err);
		return;
	}
	ASSERT_EQ_INT(8000, nrt_data_count(d, NRT_TRAIN));
	const char *m = fx_mnist();
	if (m) {
		struct nrt_data *e = open_json(mnist_json, m, 0, 1, err, sizeof err);
		ASSERT(e && nrt_data_hash(e) == nrt_data_hash(d));   /* paths as written: same */
		nrt_data_free(e);
	}
	nrt_data_free(d);
}

int main(void)
{
	test_mnist_split();
	test_contract();
	test_by_patient();
	test_balance();
	test_config_errors();
	return check_summary();
}
