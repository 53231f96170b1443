/* test_sched_log.c - learning-rate schedules and early stopping
 * (runtime/train/schedule.c), their checkpoint state, the CSV and
 * JSON-lines logs across a resumed run (runtime/train/log.c) and the
 * progress line on a terminal and into a file (progress.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "check.h"
#include "train_rt.h"

static char errbuf[512];
static char tmpdir[256];

static int near(double a, double b)
{
	if (fabs(a - b) > 1e-12) {
		fprintf(stderr, "    %.17g != %.17g\n", a, b);
		return 0;
	}
	return 1;
}

static int contains(const char *s, const char *sub)
{
	if (!strstr(s, sub)) {
		fprintf(stderr, "    text: %s\n    lacks: %s\n", s, sub);
		return 0;
	}
	return 1;
}

static struct nrt_sched *sched(const char *text, double lr, int64_t spe, int64_t epochs)
{
	cJSON *j = cJSON_Parse(text);
	ASSERT(j != NULL);
	struct nrt_sched *s = nrt_sched_new(j, lr, spe, epochs, errbuf, sizeof errbuf);
	cJSON_Delete(j);
	return s;
}

static void set1(struct nrt_scalars *s, const char *name, double v)
{
	nrt_scalars_clear(s);
	nrt_scalars_set(s, name, v);
}

static void test_schedules(void)
{
	struct nrt_sched *s = sched("[{\"kind\":\"constant\"}]", 0.1, 10, 3);
	ASSERT(near(1, nrt_sched_scale(s, 1)) && near(1, nrt_sched_scale(s, 30)));
	nrt_sched_free(s);
	s = nrt_sched_new(NULL, 0.1, 10, 3, errbuf, sizeof errbuf);
	ASSERT(s && near(1, nrt_sched_scale(s, 7)));
	nrt_sched_free(s);

	/* warmup over 2 epochs of 10 steps: step / 20 */
	s = sched("[{\"kind\":\"warmup\",\"epochs\":2}]", 0.1, 10, 5);
	ASSERT(near(1.0 / 20, nrt_sched_scale(s, 1)));
	ASSERT(near(0.5, nrt_sched_scale(s, 10)));
	ASSERT(near(1, nrt_sched_scale(s, 20)) && near(1, nrt_sched_scale(s, 45)));
	nrt_sched_free(s);

	/* step: every 2 epochs x 0.5 */
	s = sched("{\"kind\":\"step\",\"every\":2,\"factor\":0.5}", 0.1, 10, 6);
	ASSERT(near(1, nrt_sched_scale(s, 20)));
	ASSERT(near(0.5, nrt_sched_scale(s, 21)));
	ASSERT(near(0.25, nrt_sched_scale(s, 41)));
	nrt_sched_free(s);

	/* cosine over the whole run (4 epochs x 10), min_lr 0.01 of lr 0.1 */
	s = sched("[{\"kind\":\"cosine\",\"epochs\":0,\"min_lr\":0.01}]", 0.1, 10, 4);
	ASSERT(near(1, nrt_sched_scale(s, 1)));
	ASSERT(near(0.1 + 0.9 * 0.5, nrt_sched_scale(s, 21)));
	ASSERT(near(0.1 + 0.9 * 0.5 * (1 + cos(M_PI * 10 / 40)), nrt_sched_scale(s, 11)));
	ASSERT(near(0.1, nrt_sched_scale(s, 41)) && near(0.1, nrt_sched_scale(s, 100)));
	nrt_sched_free(s);

	/* a pipeline multiplies */
	s = sched("[{\"kind\":\"warmup\",\"epochs\":1},{\"kind\":\"cosine\",\"epochs\":2,"
		  "\"min_lr\":0}]", 0.1, 10, 4);
	ASSERT(near(0.5 * 0.5 * (1 + cos(M_PI * 4 / 20)), nrt_sched_scale(s, 5)));
	ASSERT(near(0.5, nrt_sched_scale(s, 11)));
	nrt_sched_free(s);

	/* plateau: patience 1, factor 0.5, on val.loss (min) */
	s = sched("[{\"kind\":\"plateau\",\"on\":\"val.loss\",\"factor\":0.5,\"patience\":1,"
		  "\"mode\":\"min\"}]", 0.1, 10, 10);
	static const double loss[] = { 1.0, 0.9, 0.95, 0.95, 0.8, 0.85, 0.9, 0.9 };
	static const double want[] = { 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25 };
	struct nrt_scalars m;
	for (int e = 0; e < 8; e++) {
		set1(&m, "val.loss", loss[e]);
		ASSERT_EQ_INT(0, nrt_sched_epoch_end(s, &m, errbuf, sizeof errbuf));
		ASSERT(near(want[e], nrt_sched_scale(s, 10 * (e + 1) + 1)));
	}
	/* its state through checkpoint metadata */
	struct nrt_ckpt_meta meta;
	nrt_ckpt_meta_init(&meta);
	ASSERT_EQ_INT(0, nrt_sched_save_meta(s, &meta));
	ASSERT_STR_EQ("0.25,0.80000000000000004,1", nrt_ckpt_meta_get(&meta, "sched.state"));
	struct nrt_sched *s2 = sched("[{\"kind\":\"plateau\",\"on\":\"val.loss\",\"factor\":0.5,"
				     "\"patience\":1,\"mode\":\"min\"}]", 0.1, 10, 10);
	ASSERT_EQ_INT(0, nrt_sched_load_meta(s2, &meta, errbuf, sizeof errbuf));
	ASSERT(near(0.25, nrt_sched_scale(s2, 1)));
	set1(&m, "val.loss", 0.9);
	nrt_sched_epoch_end(s, &m, errbuf, sizeof errbuf);
	nrt_sched_epoch_end(s2, &m, errbuf, sizeof errbuf);
	ASSERT(near(0.125, nrt_sched_scale(s2, 1)) && near(0.125, nrt_sched_scale(s, 1)));
	set1(&m, "val.accuracy", 0.9);
	ASSERT_EQ_INT(EINVAL, nrt_sched_epoch_end(s, &m, errbuf, sizeof errbuf));
	ASSERT(contains(errbuf, "plateau: metric 'val.loss' was not computed"));
	nrt_sched_free(s2);
	/* a schedule without plateau does not take that state */
	s2 = sched("[{\"kind\":\"constant\"}]", 0.1, 10, 10);
	ASSERT_EQ_INT(EINVAL, nrt_sched_load_meta(s2, &meta, errbuf, sizeof errbuf));
	ASSERT(contains(errbuf, "does not fit this schedule (0 values expected)"));
	nrt_sched_free(s2);
	nrt_sched_free(s);

	/* plateau on a metric where max is better */
	s = sched("[{\"kind\":\"plateau\",\"on\":\"val.auc\",\"factor\":0.1,\"patience\":0,"
		  "\"mode\":\"max\"}]", 0.1, 10, 10);
	set1(&m, "val.auc", 0.7);
	nrt_sched_epoch_end(s, &m, errbuf, sizeof errbuf);
	set1(&m, "val.auc", 0.8);
	nrt_sched_epoch_end(s, &m, errbuf, sizeof errbuf);
	ASSERT(near(1, nrt_sched_scale(s, 1)));
	set1(&m, "val.auc", 0.75);
	nrt_sched_epoch_end(s, &m, errbuf, sizeof errbuf);
	ASSERT(near(0.1, nrt_sched_scale(s, 1)));
	nrt_sched_free(s);

	static const struct {
		const char *cfg, *want;
	} bad[] = {
		{ "[{\"kind\":\"linear\"}]", "unknown kind 'linear'" },
		{ "[{\"kind\":\"step\",\"factor\":0.5}]", "step needs \"every\"" },
		{ "[{\"kind\":\"step\",\"every\":0}]", "\"every\" must be an integer >= 1" },
		{ "[{\"kind\":\"cosine\",\"epochs\":0,\"min_lr\":1}]", "min_lr 1 must be in [0, the base lr 0.1]" },
		{ "[{\"kind\":\"plateau\",\"on\":\"loss\"}]", "must be train.NAME or val.NAME" },
		{ "[{\"kind\":\"plateau\",\"mode\":\"up\"}]", "plateau mode 'up'" },
		{ "[{\"kind\":\"plateau\",\"factor\":2}]", "plateau factor 2 must be in (0, 1]" },
		{ "[{\"kind\":\"warmup\",\"epochs\":\"5\"}]", "warmup: \"epochs\" must be an integer >= 0" },
		{ "[3]", "without a \"kind\"" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s = sched(bad[i].cfg, 0.1, 10, 10);
		ASSERT(s == NULL && contains(errbuf, bad[i].want));
		nrt_sched_free(s);
	}
}

static void test_early(void)
{
	struct nrt_early e;
	struct nrt_scalars m;
	int stop;
	cJSON *j = cJSON_Parse("{\"kind\":\"patience\",\"epochs\":2,\"on\":\"val.accuracy\"}");
	ASSERT_EQ_INT(0, nrt_early_init(&e, j, errbuf, sizeof errbuf));
	cJSON_Delete(j);
	static const double acc[] = { 0.5, 0.6, 0.6, 0.55 };
	for (int i = 0; i < 4; i++) {
		set1(&m, "val.accuracy", acc[i]);
		ASSERT_EQ_INT(0, nrt_early_epoch_end(&e, &m, &stop, errbuf, sizeof errbuf));
		ASSERT_EQ_INT(i == 3, stop);
		if (i == 2) {
			/* a resumed run goes on counting */
			struct nrt_ckpt_meta meta;
			struct nrt_early e2;
			nrt_ckpt_meta_init(&meta);
			ASSERT_EQ_INT(0, nrt_early_save_meta(&e, &meta));
			j = cJSON_Parse("{\"kind\":\"patience\",\"epochs\":2,\"on\":\"val.accuracy\"}");
			nrt_early_init(&e2, j, errbuf, sizeof errbuf);
			cJSON_Delete(j);
			ASSERT_EQ_INT(0, nrt_early_load_meta(&e2, &meta, errbuf, sizeof errbuf));
			set1(&m, "val.accuracy", 0.55);
			nrt_early_epoch_end(&e2, &m, &stop, errbuf, sizeof errbuf);
			ASSERT_EQ_INT(1, stop);
			nrt_ckpt_meta_init(&meta);
			ASSERT_EQ_INT(EINVAL, nrt_early_load_meta(&e2, &meta, errbuf, sizeof errbuf));
			ASSERT(contains(errbuf, "'early.state' = '(missing)'"));
		}
	}
	/* on loss (min), and NaN never improves */
	j = cJSON_Parse("{\"kind\":\"patience\",\"epochs\":1,\"on\":\"val.loss\"}");
	nrt_early_init(&e, j, errbuf, sizeof errbuf);
	cJSON_Delete(j);
	set1(&m, "val.loss", 0.5);
	nrt_early_epoch_end(&e, &m, &stop, errbuf, sizeof errbuf);
	ASSERT_EQ_INT(0, stop);
	set1(&m, "val.loss", NAN);
	nrt_early_epoch_end(&e, &m, &stop, errbuf, sizeof errbuf);
	ASSERT_EQ_INT(1, stop);
	set1(&m, "train.loss", 1);
	ASSERT_EQ_INT(EINVAL, nrt_early_epoch_end(&e, &m, &stop, errbuf, sizeof errbuf));
	ASSERT(contains(errbuf, "'val.loss' was not computed"));
	/* none configured: never stops */
	ASSERT_EQ_INT(0, nrt_early_init(&e, NULL, errbuf, sizeof errbuf));
	nrt_early_epoch_end(&e, &m, &stop, errbuf, sizeof errbuf);
	ASSERT_EQ_INT(0, stop);
	j = cJSON_Parse("{\"kind\":\"patience\",\"on\":\"val.loss\"}");
	ASSERT_EQ_INT(EINVAL, nrt_early_init(&e, j, errbuf, sizeof errbuf));
	ASSERT(contains(errbuf, "patience needs \"epochs\""));
	cJSON_Delete(j);
}

static char *slurp(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
	return buf;
}

static void test_logs(void)
{
	char csv[512], jl[512];
	struct nrt_scalars s;
	snprintf(csv, sizeof csv, "%s/log.csv", tmpdir);
	snprintf(jl, sizeof jl, "%s/log.jsonl", tmpdir);
	struct nrt_log *log = nrt_log_open(csv, jl, errbuf, sizeof errbuf);
	if (!ASSERT(log != NULL))
		return;
	for (int e = 1; e <= 2; e++) {
		nrt_scalars_clear(&s);
		nrt_scalars_set(&s, "epoch", e);
		nrt_scalars_set(&s, "step", 100 * e);
		nrt_scalars_set(&s, "lr", 0.05);
		nrt_scalars_set(&s, "train.loss", 0.5 / e);
		nrt_scalars_set(&s, "val.accuracy", e == 1 ? NAN : 0.975);
		ASSERT_EQ_INT(0, nrt_log_epoch(log, &s, errbuf, sizeof errbuf));
	}
	ASSERT_EQ_INT(0, nrt_log_close(log, errbuf, sizeof errbuf));
	ASSERT_STR_EQ("epoch,step,lr,train.loss,val.accuracy\n"
		      "1,100,0.05,0.5,\n"
		      "2,200,0.05,0.25,0.975\n", slurp(csv));
	ASSERT_STR_EQ("{\"epoch\": 1, \"step\": 100, \"lr\": 0.05, \"train.loss\": 0.5, "
		      "\"val.accuracy\": null}\n"
		      "{\"epoch\": 2, \"step\": 200, \"lr\": 0.05, \"train.loss\": 0.25, "
		      "\"val.accuracy\": 0.975}\n", slurp(jl));
	/* A resumed run, after a crash that tore the last line: the header is
	 * kept, a new column goes to the JSON lines only. */
	FILE *f = fopen(csv, "a");
	fputs("3,30", f);
	fclose(f);
	log = nrt_log_open(csv, jl, errbuf, sizeof errbuf);
	nrt_scalars_clear(&s);
	nrt_scalars_set(&s, "val.auc", 0.8);
	nrt_scalars_set(&s, "epoch", 3);
	nrt_scalars_set(&s, "train.loss", 1.0 / 3);
	ASSERT_EQ_INT(0, nrt_log_epoch(log, &s, errbuf, sizeof errbuf));
	nrt_log_close(log, errbuf, sizeof errbuf);
	ASSERT_STR_EQ("epoch,step,lr,train.loss,val.accuracy\n"
		      "1,100,0.05,0.5,\n"
		      "2,200,0.05,0.25,0.975\n"
		      "3,30\n"
		      "3,,,0.333333333,\n", slurp(csv));
	ASSERT(contains(slurp(jl), "\n{\"val.auc\": 0.8, \"epoch\": 3, \"train.loss\": 0.333333333}\n"));
	/* CSV quoting of odd names */
	snprintf(csv, sizeof csv, "%s/odd.csv", tmpdir);
	log = nrt_log_open(csv, NULL, errbuf, sizeof errbuf);
	nrt_scalars_clear(&s);
	nrt_scalars_set(&s, "val.auc.a,b", 0.5);
	nrt_scalars_set(&s, "x", 2);
	nrt_log_epoch(log, &s, errbuf, sizeof errbuf);
	nrt_log_close(log, errbuf, sizeof errbuf);
	log = nrt_log_open(csv, NULL, errbuf, sizeof errbuf);
	nrt_log_epoch(log, &s, errbuf, sizeof errbuf);
	nrt_log_close(log, errbuf, sizeof errbuf);
	ASSERT_STR_EQ("\"val.auc.a,b\",x\n0.5,2\n0.5,2\n", slurp(csv));
	ASSERT(nrt_log_open("/nonexistent-dir/x.csv", NULL, errbuf, sizeof errbuf) == NULL);
	ASSERT(contains(errbuf, "/nonexistent-dir/x.csv: cannot open the log"));
}

static void test_progress(void)
{
	char path[512];
	struct nrt_progress pr;
	struct nrt_scalars s;
	snprintf(path, sizeof path, "%s/progress.txt", tmpdir);
	FILE *f = fopen(path, "w");
	nrt_progress_init(&pr, f, -1, 3, 20);
	ASSERT_EQ_INT(0, pr.tty);
	nrt_progress_epoch_begin(&pr, 2, 100.0);
	for (int k = 1; k <= 20; k++)
		nrt_progress_step(&pr, k, 64, 0.5, "accuracy", 0.9, 100.0 + 0.5 * k);
	nrt_scalars_clear(&s);
	nrt_scalars_set(&s, "epoch", 2);
	nrt_scalars_set(&s, "train.loss", 0.5);
	nrt_scalars_set(&s, "val.auc.x", 0.5);
	nrt_scalars_set(&s, "val.accuracy", 0.9);
	nrt_progress_epoch_end(&pr, &s, 110.0);
	fclose(f);
	char *t = slurp(path);
	int lines = 0;
	for (char *p = t; *p; p++)
		lines += *p == '\n';
	ASSERT_EQ_INT(11, lines);
	ASSERT(contains(t, "epoch 2/3  step 2/20  loss 0.5000  accuracy 0.9000  128 img/s  ETA 0:09\n"));
	ASSERT(contains(t, "step 20/20"));
	ASSERT(contains(t, "epoch 2/3  train.loss 0.5000  val.accuracy 0.9000  10.0 s  128 img/s\n"));
	ASSERT(!strchr(t, '\r'));

	/* a terminal: rewritten at most every 0.1 s, cleared before the epoch line */
	f = fopen(path, "w");
	nrt_progress_init(&pr, f, 1, 3, 1000);
	nrt_progress_epoch_begin(&pr, 1, 0.0);
	for (int k = 1; k <= 1000; k++)
		nrt_progress_step(&pr, k, 10, 0.25, NULL, 0, 0.01 * k);
	nrt_progress_epoch_end(&pr, &s, 10.0);
	fclose(f);
	t = slurp(path);
	int cr = 0;
	for (char *p = t; *p; p++)
		cr += *p == '\r';
	ASSERT(cr >= 90 && cr <= 102);
	ASSERT(contains(t, "\repoch 1/3  step 1000/1000  loss 0.2500  1000 img/s  ETA 0:00\033[K"));
	ASSERT(contains(t, "\r\033[Kepoch 1/3  train.loss"));
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/netc-log-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_schedules();
	test_early();
	test_logs();
	test_progress();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return check_summary();
}
