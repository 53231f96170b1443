/* test_loader.c - batches: workers 0 and 2 bitwise equal over a whole
 * MNIST epoch (with random augmentations), the cache, resuming at a
 * batch, the padded evaluation tail, targets, bad samples (skipped and
 * counted, strict, the threshold), a symbolic link out of the root, a
 * batch stride (every third batch, bitwise those of the full epoch); and
 * the decode + augment throughput with 0 and 2 workers (printed only). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "csv.h"
#include "data.h"
#include "fixtures.h"

static struct nrt_data *open_json(const char *json, const char *base, int workers, bool strict,
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
	o.workers_override = workers;
	o.strict = strict;
	d = nrt_data_open(cfg, &o, err, n);
	cJSON_Delete(cfg);
	return d;
}

static const char *mnist_aug_json(char *buf, size_t n, bool cache)
{
	snprintf(buf, n,
		 "{\"source\": {\"kind\": \"csv\", \"file\": \"labels.csv\", \"image\": \"Image Index\","
		 " \"labels\": \"Finding Labels\", \"sep\": \"\", \"root\": \"images/\", \"patient\": \"\"},"
		 " \"classes\": [\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"],"
		 " \"split\": {\"kind\": \"ratio\", \"train\": 0.8, \"val\": 0.1, \"test\": 0.1, \"seed\": 1},"
		 " \"decode\": {\"kind\": \"gray\", \"height\": 28, \"width\": 28},"
		 " \"augment\": [{\"kind\": \"random_crop\", \"height\": 26, \"width\": 26, \"pad\": 1},"
		 "  {\"kind\": \"random_rotation\", \"degrees\": 10},"
		 "  {\"kind\": \"gaussian_noise\", \"std\": 0.05, \"p\": 0.5},"
		 "  {\"kind\": \"normalize\", \"mean\": 0.1307, \"std\": 0.3081}],"
		 " \"balance\": {\"kind\": \"none\"}, \"shuffle\": true, \"cache\": %s, \"workers\": 0}",
		 cache ? "true" : "false");
	return buf;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Every batch of one epoch, concatenated: x and int32 targets; *nb batches. */
static float *epoch(struct nrt_data *d, enum nrt_split s, int64_t B, int64_t ep, bool train,
		    int32_t **tg, int64_t *nb, int64_t start, double *secs)
{
	int c, h, w;
	char err[512];
	nrt_data_shape(d, &c, &h, &w);
	size_t per = (size_t)c * h * w;
	struct nrt_loader_args a = { .split = s, .batch = B, .seed = 11, .epoch = ep, .train = train,
				     .start_batch = start };
	double t0 = now();
	struct nrt_loader *l = nrt_loader_start_args(d, &a, err, sizeof err);
	if (!l)
		return NULL;
	int64_t cap = nrt_loader_batches(l) + 1, k = 0, valid;
	float *x = malloc((size_t)cap * B * per * sizeof *x);
	*tg = malloc((size_t)cap * B * sizeof **tg);
	while (nrt_loader_next(l, x + (size_t)k * B * per, *tg + k * B, &valid, err, sizeof err) == 0)
		k++;
	if (secs)
		*secs = now() - t0;
	*nb = k;
	nrt_loader_free(l);
	return x;
}

static void test_workers_equal(void)
{
	const char *m = fx_mnist();
	char json[4096], err[512] = "";
	struct nrt_data *d0, *d2, *dc;
	if (!m) {
		printf("SKIP: MNIST folder not found\n");
		return;
	}
	mnist_aug_json(json, sizeof json, false);
	d0 = open_json(json, m, 0, false, err, sizeof err);
	d2 = open_json(json, m, 2, false, err, sizeof err);
	if (!ASSERT(d0 && d2)) {
		fprintf(stderr, "    %s\n", err);
		return;
	}
	int c, h, w;
	nrt_data_shape(d0, &c, &h, &w);
	ASSERT(c == 1 && h == 26 && w == 26);
	int64_t n0, n2, B = 64;
	int32_t *t0, *t2;
	double s0, s2;
	float *x0 = epoch(d0, NRT_TRAIN, B, 1, true, &t0, &n0, 0, &s0);
	float *x2 = epoch(d2, NRT_TRAIN, B, 1, true, &t2, &n2, 0, &s2);
	size_t per = 26 * 26;
	ASSERT_EQ_INT(125, n0);                       /* 8000 / 64 */
	ASSERT_EQ_INT(n0, n2);
	ASSERT(memcmp(x0, x2, (size_t)n0 * B * per * sizeof *x0) == 0);
	ASSERT(memcmp(t0, t2, (size_t)n0 * B * sizeof *t0) == 0);
	printf("throughput: MNIST train epoch (8000 samples, decode + random_crop + rotation + noise"
	       " + normalize): %.0f samples/s with 0 workers, %.0f samples/s with 2 workers\n",
	       8000 / s0, 8000 / s2);

	/* the targets are the labels of the epoch order (labels.csv row = listing index) */
	int64_t no;
	int64_t *order = nrt_data_epoch_order(d0, NRT_TRAIN, 11, 1, true, &no);
	char csv[PATH_MAX + 16];
	struct nrt_csv t = { 0 };
	snprintf(csv, sizeof csv, "%s/labels.csv", m);
	int ok = no == 8000 && nrt_csv_read(csv, ',', &t, err, sizeof err) == 0;
	for (int64_t i = 0; ok && i < n0 * B; i++)
		ok &= t0[i] == atoi(nrt_csv_cell(&t, order[i], 1));
	ASSERT(ok);
	nrt_csv_free(&t);
	free(order);

	/* resume at batch 100: the same batches as the tail of the whole epoch */
	int64_t nr;
	int32_t *tr;
	float *xr = epoch(d2, NRT_TRAIN, B, 1, true, &tr, &nr, 100, NULL);
	ASSERT_EQ_INT(25, nr);
	ASSERT(memcmp(xr, x0 + (size_t)100 * B * per, (size_t)25 * B * per * sizeof *xr) == 0);
	ASSERT(memcmp(tr, t0 + 100 * B, (size_t)25 * B * sizeof *tr) == 0);
	free(xr);
	free(tr);

	/* another epoch: other batches */
	float *xe = epoch(d0, NRT_TRAIN, B, 2, true, &tr, &nr, 0, NULL);
	ASSERT(memcmp(xe, x0, (size_t)B * per * sizeof *xe) != 0);
	free(xe);
	free(tr);

	/* with the cache, twice (the second from the cache): the same batches */
	mnist_aug_json(json, sizeof json, true);
	dc = open_json(json, m, 2, false, err, sizeof err);
	for (int pass = 0; dc && pass < 2; pass++) {
		float *xc = epoch(dc, NRT_TRAIN, B, 1, true, &tr, &nr, 0, NULL);
		ASSERT(nr == n0 && memcmp(xc, x0, (size_t)n0 * B * per * sizeof *xc) == 0);
		free(xc);
		free(tr);
	}
	nrt_data_free(dc);

	/* evaluation: 1000 val samples in batches of 64 = 15 full + 40 padded */
	float *xv = epoch(d0, NRT_VAL, B, 1, false, &tr, &nr, 0, NULL);
	ASSERT_EQ_INT(16, nr);
	free(t2);
	float *xv2 = epoch(d2, NRT_VAL, B, 3, false, &t2, &n2, 0, NULL);
	ASSERT(memcmp(xv, xv2, (size_t)16 * B * per * sizeof *xv) == 0);   /* no randomness */
	int zero = 1;
	for (size_t i = (size_t)(15 * B + 40) * per; i < (size_t)16 * B * per; i++)
		zero &= xv[i] == 0.0f;
	ASSERT(zero);
	free(xv);
	free(xv2);
	free(tr);
	free(x0);
	free(x2);
	free(t0);
	free(t2);
	nrt_data_free(d0);
	nrt_data_free(d2);
}

/* A folder source of 100 small PNGs (10 classes), some corrupt. */
static const char *bad_folder(const char *dir, int nbad)
{
	char p[PATH_MAX];
	unsigned char px[8 * 8];
	static char json[1024];
	snprintf(p, sizeof p, "%s/img", dir);
	fx_mkdir(p);
	for (int c = 0; c < 10; c++) {
		snprintf(p, sizeof p, "%s/img/c%d", dir, c);
		fx_mkdir(p);
		for (int i = 0; i < 10; i++) {
			snprintf(p, sizeof p, "%s/img/c%d/%02d.png", dir, c, i);
			memset(px, c * 20 + i, sizeof px);
			if (c * 10 + i < nbad && i == 3)
				fx_write_str(p, "garbage, not a PNG");
			else if (c * 10 + i < nbad && i == 5)
				fx_write(p, "", 0);
			else
				fx_png(p, 8, 8, PNG_COLOR_TYPE_GRAY, 8, px, NULL, 0);
		}
	}
	snprintf(json, sizeof json,
		 "{\"source\": {\"kind\": \"folder\", \"root\": \"img\", \"ext\": \"png\"},"
		 " \"split\": {\"kind\": \"ratio\", \"train\": 1, \"val\": 0, \"test\": 0, \"seed\": 1},"
		 " \"decode\": {\"kind\": \"gray\", \"height\": 8, \"width\": 8}, \"shuffle\": false}");
	return json;
}

static void test_bad_samples(void)
{
	const char *dir = fx_tmpdir();
	char err[1024] = "";
	const char *json = bad_folder(dir, 30);        /* c0..c2: 03 garbage, 05 empty: 6 bad */
	float x[10 * 64];
	int32_t t[10];
	int64_t valid, n = 0;
	int rc;

	for (int workers = 0; workers <= 2; workers += 2) {
		struct nrt_data *d = open_json(json, dir, workers, false, err, sizeof err);
		if (!ASSERT(d != NULL)) {
			fprintf(stderr, "    %s\n", err);
			break;
		}
		ASSERT_EQ_INT(10, nrt_data_classes(d));
		ASSERT_STR_EQ("c3", nrt_data_class_name(d, 3));
		ASSERT_EQ_INT(100, nrt_data_count(d, NRT_TRAIN));
		/* skip-and-count needs a looser threshold: 6 of 100 */
		struct nrt_data_opts o;
		nrt_data_opts_init(&o);
		struct nrt_loader_args a = { .split = NRT_TRAIN, .batch = 10, .seed = 1, .train = true };
		struct nrt_loader *l = nrt_loader_start_args(d, &a, err, sizeof err);
		n = 0;
		while ((rc = nrt_loader_next(l, x, t, &valid, err, sizeof err)) == 0)
			n += valid;
		/* the default threshold (1 %) stops it at the second bad sample */
		ASSERT_EQ_INT(-1, rc);
		ASSERT(strstr(err, "2 bad samples of 100 in the train split (more than 1%)") != NULL);
		ASSERT(strstr(err, "c0/03.png: not a PNG or JPEG file") != NULL);
		nrt_loader_free(l);
		nrt_data_free(d);

		/* 10 % allowed: 6 skipped, 94 delivered, first messages kept */
		cJSON *cfg = cJSON_Parse(json);
		nrt_data_opts_init(&o);
		o.base_dir = dir;
		o.workers_override = workers;
		o.max_bad_fraction = 0.1;
		d = nrt_data_open(cfg, &o, err, sizeof err);
		cJSON_Delete(cfg);
		l = nrt_loader_start_args(d, &a, err, sizeof err);
		n = 0;
		int32_t first[10] = { 0 };
		int batches = 0;
		while ((rc = nrt_loader_next(l, x, t, &valid, err, sizeof err)) == 0) {
			if (batches++ == 0)
				memcpy(first, t, sizeof first);
			n += valid;
			ASSERT_EQ_INT(10, valid);
		}
		ASSERT_EQ_INT(1, rc);
		ASSERT_EQ_INT(90, n);                  /* 94 good: 9 full batches, 4 dropped */
		ASSERT_EQ_INT(6, nrt_loader_skipped(l));
		ASSERT(strstr(nrt_loader_skip_message(l, 1), "c0/05.png: empty file") != NULL);
		ASSERT(nrt_loader_skip_message(l, 6) == NULL);
		/* no shuffle: the first batch is c0's 8 good files and two of c1 */
		ASSERT(first[0] == 0 && first[7] == 0 && first[8] == 1 && first[9] == 1);
		nrt_loader_free(l);
		nrt_data_free(d);

		/* strict: fails on the first with the file name */
		d = open_json(json, dir, workers, true, err, sizeof err);
		l = nrt_loader_start_args(d, &a, err, sizeof err);
		rc = nrt_loader_next(l, x, t, &valid, err, sizeof err);
		ASSERT_EQ_INT(-1, rc);
		ASSERT(strstr(err, "img/c0/03.png: not a PNG or JPEG file") != NULL);
		nrt_loader_free(l);
		nrt_data_free(d);
	}
	fx_rmtree(dir);
}

static void test_escape(void)
{
	const char *dir = fx_tmpdir();
	char p[PATH_MAX], q[PATH_MAX], err[1024] = "";
	unsigned char px[4] = { 1, 2, 3, 4 };
	float x[4];
	int32_t t[1];
	int64_t valid;

	snprintf(p, sizeof p, "%s/root", dir);
	fx_mkdir(p);
	snprintf(p, sizeof p, "%s/outside.png", dir);
	fx_png(p, 2, 2, PNG_COLOR_TYPE_GRAY, 8, px, NULL, 0);
	snprintf(q, sizeof q, "%s/root/a.png", dir);
	ASSERT_EQ_INT(0, symlink(p, q));
	snprintf(p, sizeof p, "%s/l.csv", dir);
	fx_write_str(p, "Image Index,Finding Labels\na.png,x\n");
	struct nrt_data *d = open_json(
		"{\"source\": {\"kind\": \"csv\", \"file\": \"l.csv\", \"sep\": \"\", \"root\": \"root\"},"
		" \"classes\": [\"x\"], \"decode\": {\"kind\": \"gray\", \"height\": 2, \"width\": 2}}",
		dir, 0, true, err, sizeof err);
	if (ASSERT(d != NULL)) {
		struct nrt_loader *l = nrt_loader_start(d, NRT_TRAIN, 1, 1, 0, false, err, sizeof err);
		ASSERT_EQ_INT(-1, nrt_loader_next(l, x, t, &valid, err, sizeof err));
		ASSERT(strstr(err, "root/a.png: resolves to") != NULL &&
		       strstr(err, "outside the data root") != NULL);
		nrt_loader_free(l);
	} else {
		fprintf(stderr, "    %s\n", err);
	}
	nrt_data_free(d);
	fx_rmtree(dir);
}

/* cache = true: the second epoch is served from memory (the files are gone). */
static void test_cache(void)
{
	const char *dir = fx_tmpdir();
	char json[1024], err[1024] = "", cmd[PATH_MAX + 32];
	float x[10 * 64], first[10 * 64];
	int32_t t[10];
	int64_t valid, n = 0;

	bad_folder(dir, 0);
	snprintf(json, sizeof json,
		 "{\"source\": {\"kind\": \"folder\", \"root\": \"img\", \"ext\": \"png\"},"
		 " \"decode\": {\"kind\": \"gray\", \"height\": 8, \"width\": 8},"
		 " \"cache\": true, \"shuffle\": false}");
	struct nrt_data *d = open_json(json, dir, 2, true, err, sizeof err);
	if (!ASSERT(d != NULL)) {
		fprintf(stderr, "    %s\n", err);
		fx_rmtree(dir);
		return;
	}
	for (int ep = 0; ep < 2; ep++) {
		struct nrt_loader *l = nrt_loader_start(d, NRT_TRAIN, 10, 1, ep, true, err, sizeof err);
		int rc;
		n = 0;
		while ((rc = nrt_loader_next(l, x, t, &valid, err, sizeof err)) == 0) {
			if (n == 0 && ep == 0)
				memcpy(first, x, sizeof first);
			if (n == 0 && ep == 1)
				ASSERT(memcmp(first, x, sizeof first) == 0);
			n += valid;
		}
		if (!ASSERT_EQ_INT(1, rc))
			fprintf(stderr, "    epoch %d: %s\n", ep, err);
		ASSERT_EQ_INT(100, n);
		nrt_loader_free(l);
		snprintf(cmd, sizeof cmd, "rm -rf '%s/img'/c*/*.png", dir);
		if (ep == 0)
			ASSERT_EQ_INT(0, system(cmd));
	}
	nrt_data_free(d);
	fx_rmtree(dir);
}

/* batch_stride 3, offsets 0..2 (2 workers, augmented): batch j of offset r
 * is batch r + 3 j of the full epoch (workers 0), bitwise, the padded tail
 * included; the three together have every batch once. */
static void test_stride(void)
{
	const char *m = fx_mnist();
	char json[4096], err[512] = "";
	int64_t B = 32, nb = 0, valid, got = 0;
	int c, h, w;
	int32_t *tg;
	if (!m)
		return;
	struct nrt_data *d0 = open_json(mnist_aug_json(json, sizeof json, false), m, 0, false, err,
					sizeof err);
	struct nrt_data *d2 = open_json(json, m, 2, false, err, sizeof err);
	if (!ASSERT(d0 && d2)) {
		fprintf(stderr, "    %s\n", err);
		nrt_data_free(d0), nrt_data_free(d2);
		return;
	}
	nrt_data_shape(d0, &c, &h, &w);
	size_t per = (size_t)c * h * w;
	struct nrt_loader_args fa = { .split = NRT_VAL, .batch = B, .seed = 11, .epoch = 1,
				      .train = true, .tail = NRT_TAIL_PAD };
	struct nrt_loader *fl = nrt_loader_start_args(d0, &fa, err, sizeof err);
	float *all = malloc((size_t)33 * B * per * sizeof *all);
	float *x = malloc((size_t)B * per * sizeof *x);
	int32_t t[32];
	tg = malloc((size_t)33 * B * sizeof *tg);
	while (fl && all && tg && nb < 33 &&
	       nrt_loader_next(fl, all + (size_t)nb * B * per, tg + nb * B, &valid, err,
			       sizeof err) == 0)
		nb++;
	nrt_loader_free(fl);
	ASSERT_EQ_INT(32, nb);   /* 1000 val samples: 31 full batches and a padded tail */
	for (int64_t r = 0; r < 3 && all && x; r++) {
		struct nrt_loader_args a = { .split = NRT_VAL, .batch = B, .seed = 11, .epoch = 1,
					     .train = true, .tail = NRT_TAIL_PAD,
					     .batch_stride = 3, .batch_offset = r };
		struct nrt_loader *l = nrt_loader_start_args(d2, &a, err, sizeof err);
		if (!ASSERT(l != NULL))
			break;
		ASSERT_EQ_INT((nb - r + 2) / 3, nrt_loader_batches(l));
		for (int64_t j = 0; nrt_loader_next(l, x, t, &valid, err, sizeof err) == 0; j++, got++) {
			int64_t b = r + 3 * j;
			ASSERT_EQ_INT(b == nb - 1 ? 1000 - 31 * 32 : 32, valid);
			if (!ASSERT(b < nb) ||
			    !ASSERT(memcmp(x, all + (size_t)b * B * per, (size_t)B * per * sizeof *x) == 0) ||
			    !ASSERT(memcmp(t, tg + b * B, sizeof t) == 0))
				break;
		}
		nrt_loader_free(l);
	}
	ASSERT_EQ_INT(nb, got);
	struct nrt_loader_args bad = { .split = NRT_VAL, .batch = B, .batch_stride = 3,
				       .batch_offset = 3 };
	ASSERT(nrt_loader_start_args(d2, &bad, err, sizeof err) == NULL);
	ASSERT(strstr(err, "batch stride 3, offset 3") != NULL);
	free(x), free(all), free(tg);
	nrt_data_free(d0), nrt_data_free(d2);
}

/* Multi-label RGB JPEGs from a label file: multi-hot targets, No Finding. */
static void test_multilabel(void)
{
	const char *dir = fx_tmpdir();
	char p[PATH_MAX], err[1024] = "";
	unsigned char px[6 * 6 * 3];
	float x[3 * 3 * 4 * 4], tg[3 * 3];
	int64_t valid;

	snprintf(p, sizeof p, "%s/images", dir);
	fx_mkdir(p);
	for (int i = 0; i < 3; i++) {
		for (int k = 0; k < 6 * 6; k++) {
			px[3 * k] = (unsigned char)(50 * i);
			px[3 * k + 1] = 128;
			px[3 * k + 2] = 255;
		}
		snprintf(p, sizeof p, "%s/images/%d.jpg", dir, i);
		fx_jpeg(p, 6, 6, 3, px, 95);
	}
	snprintf(p, sizeof p, "%s/Data_Entry.csv", dir);
	fx_write_str(p, "Image Index,Finding Labels,Patient ID\n"
			"0.jpg,Effusion|Mass,1\n1.jpg,No Finding,2\n2.jpg,Mass,3\n");
	struct nrt_data *d = open_json(
		"{\"source\": {\"kind\": \"csv\", \"file\": \"Data_Entry.csv\", \"image\": \"Image Index\","
		" \"labels\": \"Finding Labels\", \"sep\": \"|\", \"root\": \"images/\","
		" \"patient\": \"Patient ID\"}, \"classes\": [\"Atelectasis\", \"Effusion\", \"Mass\"],"
		" \"multi_label\": true, \"decode\": {\"kind\": \"rgb\", \"height\": 4, \"width\": 4},"
		" \"augment\": [{\"kind\": \"center_crop\", \"height\": 4, \"width\": 4},"
		"  {\"kind\": \"random_flip\", \"horizontal\": true, \"vertical\": false, \"p\": 0.5},"
		"  {\"kind\": \"normalize\", \"mean\": [0, 0.5, 0], \"std\": [1, 1, 0.5]}]}",
		dir, 0, true, err, sizeof err);
	if (!ASSERT(d != NULL)) {
		fprintf(stderr, "    %s\n", err);
		fx_rmtree(dir);
		return;
	}
	ASSERT(nrt_data_multi_label(d));
	struct nrt_loader *l = nrt_loader_start(d, NRT_TRAIN, 3, 1, 0, false, err, sizeof err);
	ASSERT_EQ_INT(0, nrt_loader_next(l, x, tg, &valid, err, sizeof err));
	ASSERT_EQ_INT(3, valid);
	float want[9] = { 0, 1, 1, 0, 0, 0, 0, 0, 1 };
	ASSERT(memcmp(tg, want, sizeof want) == 0);
	/* sample 1 (red 50): R = 50/255, G = 128/255 - 0.5, B = (1 - 0) / 0.5 */
	ASSERT(fabsf(x[48 + 0] - 50 / 255.0f) < 3 / 255.0f);
	ASSERT(fabsf(x[48 + 16] - (128 / 255.0f - 0.5f)) < 3 / 255.0f);
	ASSERT(fabsf(x[48 + 32] - 2.0f) < 6 / 255.0f);
	ASSERT_EQ_INT(1, nrt_loader_next(l, x, tg, &valid, err, sizeof err));
	nrt_loader_free(l);
	/* an index target for multi-label data is refused */
	struct nrt_loader_args a = { .split = NRT_TRAIN, .batch = 3, .target = NRT_TARGET_INDEX };
	ASSERT(nrt_loader_start_args(d, &a, err, sizeof err) == NULL);
	ASSERT(strstr(err, "multi-hot") != NULL);
	nrt_data_free(d);
	fx_rmtree(dir);
}

int main(void)
{
	test_workers_equal();
	test_cache();
	test_multilabel();
	test_bad_samples();
	test_escape();
	test_stride();
	return check_summary();
}
