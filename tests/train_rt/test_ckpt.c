/* test_ckpt.c - checkpoints (runtime/train/ckpt.c, ckpt_policy.c): round
 * trips of a hand-made program, each refusal of the loader with its
 * message, truncations and byte flips of a real file (never a crash; a
 * file that loads has the original data), the every / keep-last /
 * keep-best policy, disk full through RLIMIT_FSIZE (EFBIG) and a read-only
 * folder (skipped as root). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "check.h"
#include "fake_prog.h"
#include "train_rt.h"

static char tmpdir[256];
static char errbuf[1024];

static const char *tpath(const char *name)
{
	static char buf[8][512];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
	return buf[k];
}

static int contains(const char *s, const char *sub)
{
	if (!strstr(s, sub)) {
		fprintf(stderr, "    message: %s\n    lacks:   %s\n", s, sub);
		return 0;
	}
	return 1;
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long k = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)k + 1);
	*n = fread(b, 1, (size_t)k, f);
	fclose(f);
	return b;
}

static void spill(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	fwrite(b, 1, n, f);
	fclose(f);
}

/* A file with the given header text (length field hlen_override unless 0)
 * and n data bytes of zeros. */
static void write_raw(const char *path, const char *hdr, uint64_t hlen_override, size_t ndata)
{
	FILE *f = fopen(path, "wb");
	uint64_t n = hlen_override ? hlen_override : strlen(hdr);
	for (int i = 0; i < 8; i++)
		fputc((int)((n >> (8 * i)) & 0xff), f);
	fputs(hdr, f);
	for (size_t i = 0; i < ndata; i++)
		fputc(0, f);
	fclose(f);
}

static int count_tmp_files(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		n += strstr(e->d_name, ".tmp.") != NULL;
	closedir(d);
	return n;
}

static void test_roundtrip(void)
{
	struct netrt_program p = fake_program(0);
	struct fake_regions a, b;
	struct nrt_ckpt_meta m, m2;
	ASSERT(fake_alloc(&p, &a) == 0 && fake_alloc(&p, &b) == 0);
	fake_fill(&p, &a, 7);
	nrt_ckpt_meta_init(&m);
	m.epoch = 3;
	m.step = 1234;
	m.batch_in_epoch = 5;
	m.program_hash = 0xfedcba9876543210ull;
	m.data_hash = 0x0123456789abcdefull;
	m.seed = 18446744073709551615ull;
	m.best = 0.1;
	ASSERT_EQ_INT(0, nrt_ckpt_meta_set(&m, "sched.state", "%d,%g", 3, 0.5));
	ASSERT_EQ_INT(0, nrt_ckpt_meta_set(&m, "note", "quote \" backslash \\ tab \t"));
	ASSERT_EQ_INT(EINVAL, nrt_ckpt_meta_set(&m, "epoch", "1"));
	const char *path = tpath("rt.safetensors");
	ASSERT_EQ_INT(0, nrt_ckpt_save(path, &p, a.r, &m, errbuf, sizeof errbuf));
	ASSERT_EQ_INT(0, count_tmp_files());

	size_t n;
	unsigned char *raw = slurp(path, &n);
	uint64_t hlen = 0;
	for (int i = 0; i < 8; i++)
		hlen |= (uint64_t)raw[i] << (8 * i);
	ASSERT((8 + hlen) % 8 == 0);
	ASSERT_EQ_INT(8 + hlen + 4 * (162 + 8 + 324), n);
	/* The header is plain safetensors JSON. */
	cJSON *h = cJSON_ParseWithLength((const char *)raw + 8, hlen);
	ASSERT(h != NULL);
	cJSON *w = cJSON_GetObjectItem(h, "conv_1.weight");
	ASSERT(w && strcmp(cJSON_GetObjectItem(w, "dtype")->valuestring, "F32") == 0);
	ASSERT_EQ_INT(4, cJSON_GetArraySize(cJSON_GetObjectItem(w, "shape")));
	ASSERT(cJSON_GetObjectItem(h, "optimizer.state") != NULL);
	cJSON *md = cJSON_GetObjectItem(h, "__metadata__");
	ASSERT_STR_EQ("1234", cJSON_GetObjectItem(md, "step")->valuestring);
	ASSERT_STR_EQ("fedcba9876543210", cJSON_GetObjectItem(md, "program_hash")->valuestring);
	cJSON_Delete(h);
	/* The data are the regions, little-endian, in header order. */
	ASSERT(memcmp(raw + 8 + hlen, a.r[NETRT_PARAM], 108 * 4) == 0);
	free(raw);

	ASSERT_EQ_INT(0, nrt_ckpt_load(path, &p, b.r, m.program_hash, &m2, errbuf, sizeof errbuf));
	ASSERT(fake_equal(&p, &a, &b));
	ASSERT_EQ_INT(3, m2.epoch);
	ASSERT_EQ_INT(1234, m2.step);
	ASSERT_EQ_INT(5, m2.batch_in_epoch);
	ASSERT(m2.seed == m.seed && m2.data_hash == m.data_hash && m2.best == 0.1);
	ASSERT_STR_EQ("3,0.5", nrt_ckpt_meta_get(&m2, "sched.state"));
	ASSERT_STR_EQ("quote \" backslash \\ tab \t", nrt_ckpt_meta_get(&m2, "note"));
	ASSERT_EQ_INT(0, nrt_ckpt_verify(path, &p, 0, NULL, errbuf, sizeof errbuf));

	/* NaN best survives; an overwrite replaces the file. */
	m.best = NAN;
	fake_fill(&p, &a, 8);
	ASSERT_EQ_INT(0, nrt_ckpt_save(path, &p, a.r, &m, errbuf, sizeof errbuf));
	ASSERT_EQ_INT(0, nrt_ckpt_load(path, &p, b.r, 0, &m2, errbuf, sizeof errbuf));
	ASSERT(isnan(m2.best));
	ASSERT(fake_equal(&p, &a, &b));

	/* Another program's hash. */
	ASSERT_EQ_INT(EINVAL, nrt_ckpt_load(path, &p, b.r, 42, NULL, errbuf, sizeof errbuf));
	ASSERT(contains(errbuf, "not of this program 'fake_net'"));
	ASSERT(contains(errbuf, "fedcba9876543210"));

	/* The program's tables disagree with the file. */
	struct netrt_param q[6];
	memcpy(q, fake_params, sizeof q);
	struct netrt_program p2 = p;
	p2.params = q;
	q[4].shape[0] = 4;
	q[4].shape[1] = 10;
	ASSERT_EQ_INT(EINVAL, nrt_ckpt_load(path, &p2, b.r, 0, NULL, errbuf, sizeof errbuf));
	ASSERT(contains(errbuf, "tensor 'dense_1.weight': shape [10, 4], expected [4, 10]"));
	p2.nparams = 5;
	p2.region_size[NETRT_PARAM] = 152;
	memcpy(q, fake_params, sizeof q);
	ASSERT_EQ_INT(EINVAL, nrt_ckpt_load(path, &p2, b.r, 0, NULL, errbuf, sizeof errbuf));
	ASSERT(contains(errbuf, "unexpected tensor 'dense_1.bias'"));
	p2 = p;
	p2.region_size[NETRT_OPT] = 400;
	ASSERT_EQ_INT(EINVAL, nrt_ckpt_load(path, &p2, b.r, 0, NULL, errbuf, sizeof errbuf));
	ASSERT(contains(errbuf, "tensor 'optimizer.state': shape [324], expected [400]"));
	/* A malformed program is refused before any file is touched. */
	p2 = p;
	p2.params = q;
	q[1].offset = 160;
	ASSERT_EQ_INT(EINVAL, nrt_ckpt_save(tpath("bad.safetensors"), &p2, a.r, &m, errbuf,
					    sizeof errbuf));
	ASSERT(contains(errbuf, "parameter 1 ('conv_1.bias')"));
	ASSERT(access(tpath("bad.safetensors"), F_OK) != 0);
	ASSERT_EQ_INT(ENOENT, nrt_ckpt_load(tpath("none.safetensors"), &p, b.r, 0, NULL, errbuf,
					    sizeof errbuf));
	ASSERT(contains(errbuf, "none.safetensors: cannot open"));
	/* The program identity: stable, and different for another layout. */
	uint64_t h1 = nrt_ckpt_program_hash(&p, "cfg");
	ASSERT(h1 != 0 && h1 == nrt_ckpt_program_hash(&p, "cfg"));
	ASSERT(h1 != nrt_ckpt_program_hash(&p, "cfg2"));
	p2 = p;
	p2.region_size[NETRT_OPT]++;
	ASSERT(h1 != nrt_ckpt_program_hash(&p2, "cfg"));
	memcpy(q, fake_params, sizeof q);
	p2 = p;
	p2.params = q;
	q[2].shape[0] = 5;
	ASSERT(h1 != nrt_ckpt_program_hash(&p2, "cfg"));
	fake_free(&a);
	fake_free(&b);
}

/* One hostile header: the loader refuses it with a message containing want. */
static void hostile(const struct netrt_program *p, void *const *r, const char *hdr,
		    uint64_t hlen, size_t ndata, const char *want)
{
	const char *path = tpath("hostile.safetensors");
	write_raw(path, hdr, hlen, ndata);
	int rc = nrt_ckpt_load(path, p, r, 0, NULL, errbuf, sizeof errbuf);
	if (!ASSERT_EQ_INT(EINVAL, rc) || !ASSERT(contains(errbuf, want)))
		fprintf(stderr, "    header: %.200s\n", hdr);
}

static void test_hostile(void)
{
	/* A program of one tensor "w" [2, 3] and no optimizer state. */
	static const struct netrt_param w = { "w", NETRT_PARAM, 2, { 2, 3 }, 0, 6, 1 };
	struct netrt_program p;
	memset(&p, 0, sizeof p);
	p.region_size[NETRT_PARAM] = 6;
	p.nparams = 1;
	p.params = &w;
	p.name = "tiny";
	struct fake_regions f;
	ASSERT(fake_alloc(&p, &f) == 0);
	const char *md = "\"__metadata__\":{\"format\":\"netc-ckpt-1\",\"program_hash\":\"1\","
		"\"data_hash\":\"0\",\"seed\":\"1\",\"epoch\":\"1\",\"step\":\"1\","
		"\"batch_in_epoch\":\"0\",\"best\":\"nan\",\"checksum\":\"0\"}";
	const char *opt = "\"optimizer.state\":{\"dtype\":\"F32\",\"shape\":[0],"
		"\"data_offsets\":[24,24]}";
	char h[2048];
#define HDR(...) (snprintf(h, sizeof h, __VA_ARGS__), h)
	hostile(&p, f.r, "", 0, 0, "header length 0 does not fit the file of 8 bytes");
	spill(tpath("short.safetensors"), "\x10\0\0", 3);
	ASSERT_EQ_INT(EINVAL, nrt_ckpt_load(tpath("short.safetensors"), &p, f.r, 0, NULL, errbuf,
					    sizeof errbuf));
	ASSERT(contains(errbuf, "3 bytes, shorter than the 8-byte header length"));
	hostile(&p, f.r, "{}", (uint64_t)200 << 20, 0, "more than the 104857600 allowed");
	hostile(&p, f.r, "{}", 100, 0, "does not fit the file");
	hostile(&p, f.r, "{\"w\":", 0, 24, "not valid JSON");
	hostile(&p, f.r, "[1,2]   ", 0, 24, "not a JSON object");
	hostile(&p, f.r, "{} x", 0, 24, "text after the header");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "%s,%s}", opt, md), 0, 24, "tensor 'w': dtype 'F16', expected F32");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,24]},"
			     "%s,%s}", opt, md), 0, 24, "shape[1] is not a non-negative integer");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3.5],\"data_offsets\":[0,24]},"
			     "%s,%s}", opt, md), 0, 24, "shape[1] is not a non-negative integer");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,8],"
			     "\"data_offsets\":[0,24]},%s,%s}", opt, md), 0, 24,
		"element count overflows");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],"
			     "\"data_offsets\":[0,24]},%s,%s}", opt, md), 0, 24,
		"more than 8 dimensions");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]},"
			     "%s,%s}", opt, md), 0, 24, "shape [3, 2], expected [2, 3]");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]},"
			     "%s,%s}", opt, md), 0, 24, "hold 20 bytes, shape [2, 3] needs 24");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,32]},"
			     "%s,%s}", opt, md), 0, 24, "run past the 24 data bytes");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[24,0]},"
			     "%s,%s}", opt, md), 0, 24, "is not [begin, end]");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24,3]},"
			     "%s,%s}", opt, md), 0, 24, "is not [begin, end]");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,1e300]},"
			     "%s,%s}", opt, md), 0, 24, "is not [begin, end]");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,32]},"
			     "%s,%s}", opt, md), 0, 40, "data bytes [0, 8) before tensor 'w'");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "\"optimizer.state\":{\"dtype\":\"F32\",\"shape\":[0],"
			     "\"data_offsets\":[24,24]},%s}", md), 0, 32,
		"8 data bytes after the last tensor");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "\"optimizer.state\":{\"dtype\":\"F32\",\"shape\":[0],"
			     "\"data_offsets\":[12,12]},%s}", md), 0, 24, "overlap");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "%s,%s}", opt, md), 0, 24, "tensor 'w' appears twice");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "\"v\\u0001\":{},%s,%s}", opt, md), 0, 24, "unexpected tensor 'v?'");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "%s}", md), 0, 24, "tensor 'optimizer.state' (F32 [0]) is missing");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "%s}", opt), 0, 24, "no __metadata__");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "%s,\"__metadata__\":{\"epoch\":3}}", opt), 0, 24,
		"metadata 'epoch' is not a string");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "%s,\"__metadata__\":{\"epoch\":\"3\"}}", opt), 0, 24,
		"metadata 'format' is missing");
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "%s,%s,%s}", opt, md, md), 0, 24, "__metadata__ appears twice");
	char md2[1024];
	snprintf(md2, sizeof md2, "%s", md);
	memcpy(strstr(md2, "\"epoch\":\"1\""), "\"epoch\":\"x\"", 11);
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "%s,%s}", opt, md2), 0, 24, "metadata 'epoch' = 'x' is not valid");
	/* All well-formed, but the zero data do not match checksum 0. */
	hostile(&p, f.r, HDR("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			     "%s,%s}", opt, md), 0, 24, "the file is corrupt");
	/* A folder is not a checkpoint. */
	ASSERT_EQ_INT(EINVAL, nrt_ckpt_load(tmpdir, &p, f.r, 0, NULL, errbuf, sizeof errbuf));
	ASSERT(contains(errbuf, "not a regular file"));
#undef HDR
	fake_free(&f);
}

/* Truncations and byte flips of a real checkpoint: each load fails with a
 * message or gives back exactly the saved data (a flip the format cannot
 * see, as in header padding or a digit of the epoch). */
static void test_fuzz(void)
{
	struct netrt_program p = fake_program(100);
	struct fake_regions a, b;
	struct nrt_ckpt_meta m;
	ASSERT(fake_alloc(&p, &a) == 0 && fake_alloc(&p, &b) == 0);
	fake_fill(&p, &a, 99);
	nrt_ckpt_meta_init(&m);
	m.program_hash = 5;
	const char *good = tpath("fuzz-good.safetensors"), *bad = tpath("fuzz.safetensors");
	ASSERT_EQ_INT(0, nrt_ckpt_save(good, &p, a.r, &m, errbuf, sizeof errbuf));
	size_t n;
	unsigned char *raw = slurp(good, &n);
	long fails = 0, oks = 0, wrong = 0;
	for (size_t len = 0; len < n; len += (len < 1200 ? 1 : 37)) {
		spill(bad, raw, len);
		int rc = nrt_ckpt_load(bad, &p, b.r, 5, NULL, errbuf, sizeof errbuf);
		fails += rc != 0;
		if (rc == 0)
			wrong++;
		else if (!errbuf[0] || !strstr(errbuf, bad))
			wrong++;
	}
	ASSERT_EQ_INT(0, wrong);
	uint64_t s = 12345;
	unsigned char *mut = malloc(n);
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(mut, raw, n);
		int flips = 1 + (int)(fake_mix(&s) % (iter % 4 == 3 ? 8 : 1));
		for (int k = 0; k < flips; k++) {
			/* Mostly the header, where the parser is. */
			size_t at = fake_mix(&s) % (iter % 2 ? n : (n < 1200 ? n : 1200));
			mut[at] ^= (unsigned char)(1u << (fake_mix(&s) % 8));
		}
		spill(bad, mut, n);
		memset(b.r[NETRT_PARAM], 0, 4 * 162);
		int rc = nrt_ckpt_load(bad, &p, b.r, 5, NULL, errbuf, sizeof errbuf);
		if (rc == 0) {
			oks++;
			wrong += !fake_equal(&p, &a, &b);
		} else {
			fails++;
			wrong += !errbuf[0];
		}
		rc = nrt_ckpt_verify(bad, &p, 5, NULL, errbuf, sizeof errbuf);
	}
	ASSERT_EQ_INT(0, wrong);
	ASSERT(fails > 2500);
	printf("fuzz: %ld refused, %ld loaded (unchanged data)\n", fails, oks);
	free(mut);
	free(raw);
	fake_free(&a);
	fake_free(&b);
}

static cJSON *json(const char *text)
{
	cJSON *j = cJSON_Parse(text);
	ASSERT(j != NULL);
	return j;
}

static void test_policy(void)
{
	struct netrt_program p = fake_program(0);
	struct fake_regions a, b;
	struct nrt_ckpt_meta m, m2;
	struct nrt_scalars s;
	char path[1024];
	int saved;
	ASSERT(fake_alloc(&p, &a) == 0 && fake_alloc(&p, &b) == 0);

	cJSON *cfg = json("{\"kind\":\"every\",\"epochs\":2,\"to\":\"pol/run\","
			  "\"keep_best\":\"val.accuracy\",\"keep_last\":2}");
	struct nrt_ckpt_policy *pol = nrt_ckpt_policy_new(cfg, tmpdir, "x", errbuf, sizeof errbuf);
	if (!ASSERT(pol != NULL))
		return;
	ASSERT_STR_EQ("val.accuracy", nrt_ckpt_policy_best_metric(pol));
	snprintf(path, sizeof path, "%s/pol/run-epoch0004.safetensors", tmpdir);
	ASSERT_STR_EQ(path, nrt_ckpt_policy_path(pol, "epoch", 4, errbuf, sizeof errbuf));
	static const double acc[] = { 0.5, 0.7, 0.6, 0.9, 0.8, 0.85, 0.88 };
	nrt_ckpt_meta_init(&m);
	m.program_hash = 77;
	for (int e = 1; e <= 7; e++) {
		fake_fill(&p, &a, (uint64_t)e);
		m.epoch = e;
		m.step = e * 10;
		nrt_scalars_clear(&s);
		nrt_scalars_set(&s, "val.accuracy", acc[e - 1]);
		ASSERT_EQ_INT(0, nrt_ckpt_policy_epoch_end(pol, &p, a.r, &m, &s, e == 7, &saved,
							  errbuf, sizeof errbuf));
		int want = (e % 2 == 0 || e == 7) | (e == 1 || e == 2 || e == 4 ? 2 : 0);
		ASSERT_EQ_INT(want, saved);
	}
	ASSERT(m.best == 0.9);
	for (int e = 1; e <= 7; e++) {
		nrt_ckpt_policy_path(pol, "epoch", e, path, sizeof path);
		ASSERT_EQ_INT(e == 6 || e == 7, access(path, F_OK) == 0);
	}
	nrt_ckpt_policy_path(pol, "last", 0, path, sizeof path);
	ASSERT_EQ_INT(0, nrt_ckpt_load(path, &p, b.r, 77, &m2, errbuf, sizeof errbuf));
	ASSERT_EQ_INT(7, m2.epoch);
	ASSERT(m2.best == 0.9);
	ASSERT(fake_equal(&p, &a, &b));
	nrt_ckpt_policy_path(pol, "best", 0, path, sizeof path);
	ASSERT_EQ_INT(0, nrt_ckpt_load(path, &p, b.r, 77, &m2, errbuf, sizeof errbuf));
	ASSERT_EQ_INT(4, m2.epoch);
	fake_fill(&p, &a, 4);
	ASSERT(fake_equal(&p, &a, &b));
	/* A metric the epoch did not compute. */
	nrt_scalars_clear(&s);
	ASSERT_EQ_INT(EINVAL, nrt_ckpt_policy_epoch_end(pol, &p, a.r, &m, &s, 0, NULL, errbuf,
							sizeof errbuf));
	ASSERT(contains(errbuf, "'val.accuracy' was not computed"));
	/* Mid-epoch save of -last. */
	m.batch_in_epoch = 17;
	ASSERT_EQ_INT(0, nrt_ckpt_policy_save_last(pol, &p, a.r, &m, errbuf, sizeof errbuf));
	nrt_ckpt_policy_path(pol, "last", 0, path, sizeof path);
	ASSERT_EQ_INT(0, nrt_ckpt_load(path, &p, b.r, 77, &m2, errbuf, sizeof errbuf));
	ASSERT_EQ_INT(17, m2.batch_in_epoch);
	nrt_ckpt_policy_free(pol);
	cJSON_Delete(cfg);

	/* A stale temporary file of a killed writer goes at the next start. */
	snprintf(path, sizeof path, "%s/pol/mnist-last.safetensors.tmp.AbC123", tmpdir);
	spill(path, "x", 1);
	/* loss: min is better; "to" an existing folder: prefix = the name. */
	cfg = json("{\"kind\":\"every\",\"epochs\":1,\"to\":\"pol\",\"keep_best\":\"val.loss\"}");
	pol = nrt_ckpt_policy_new(cfg, tmpdir, "mnist", errbuf, sizeof errbuf);
	ASSERT(pol != NULL);
	ASSERT(access(path, F_OK) != 0);
	nrt_ckpt_meta_init(&m);
	static const double loss[] = { 1.0, 0.5, 0.7, NAN, 0.4 };
	for (int e = 1; e <= 5; e++) {
		m.epoch = e;
		nrt_scalars_clear(&s);
		nrt_scalars_set(&s, "val.loss", loss[e - 1]);
		ASSERT_EQ_INT(0, nrt_ckpt_policy_epoch_end(pol, &p, a.r, &m, &s, 0, &saved,
							  errbuf, sizeof errbuf));
		ASSERT_EQ_INT(1 | (e == 1 || e == 2 || e == 5 ? 2 : 0), saved);
	}
	snprintf(path, sizeof path, "%s/pol/mnist-epoch0003.safetensors", tmpdir);
	ASSERT(access(path, F_OK) == 0);
	snprintf(path, sizeof path, "%s/pol/mnist-epoch0002.safetensors", tmpdir);
	ASSERT(access(path, F_OK) != 0);
	ASSERT(m.best == 0.4);
	nrt_ckpt_policy_free(pol);
	cJSON_Delete(cfg);

	/* Bad configurations. */
	static const struct {
		const char *cfg, *want;
	} bad[] = {
		{ "{\"kind\":\"sometimes\"}", "unknown kind 'sometimes'" },
		{ "{\"kind\":\"every\",\"epochs\":0}", "\"epochs\" must be an integer >= 1" },
		{ "{\"kind\":\"every\",\"to\":3}", "\"to\" must be a string" },
		{ "{\"kind\":\"every\",\"keep_best\":\"auc\"}", "must be train.NAME or val.NAME" },
		{ "{\"kind\":\"every\",\"keep_last\":-1}", "\"keep_last\" must be an integer >= 0" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cfg = json(bad[i].cfg);
		pol = nrt_ckpt_policy_new(cfg, tmpdir, "x", errbuf, sizeof errbuf);
		ASSERT(pol == NULL && contains(errbuf, bad[i].want));
		nrt_ckpt_policy_free(pol);
		cJSON_Delete(cfg);
	}
	fake_free(&a);
	fake_free(&b);
}

/* Disk full as RLIMIT_FSIZE gives it (EFBIG, SIGXFSZ ignored): the save
 * fails naming the file and the reason, the old checkpoint stays. */
static void test_disk_full(void)
{
	struct netrt_program p = fake_program(100000);
	struct fake_regions a, b;
	struct nrt_ckpt_meta m, m2;
	struct rlimit old, lim;
	ASSERT(fake_alloc(&p, &a) == 0 && fake_alloc(&p, &b) == 0);
	nrt_ckpt_meta_init(&m);
	m.epoch = 1;
	fake_fill(&p, &a, 1);
	const char *path = tpath("full.safetensors");
	ASSERT_EQ_INT(0, nrt_ckpt_save(path, &p, a.r, &m, errbuf, sizeof errbuf));
	fake_fill(&p, &b, 2);
	m.epoch = 2;

	void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 100000;
	if (!ASSERT(setrlimit(RLIMIT_FSIZE, &lim) == 0))
		return;
	int rc = nrt_ckpt_save(path, &p, b.r, &m, errbuf, sizeof errbuf);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, oldsig);
	ASSERT_EQ_INT(EFBIG, rc);
	ASSERT(contains(errbuf, path));
	ASSERT(contains(errbuf, strerror(EFBIG)));
	ASSERT_EQ_INT(0, count_tmp_files());
	ASSERT_EQ_INT(0, nrt_ckpt_load(path, &p, b.r, 0, &m2, errbuf, sizeof errbuf));
	ASSERT_EQ_INT(1, m2.epoch);
	ASSERT(fake_equal(&p, &a, &b));
	fake_free(&a);
	fake_free(&b);
}

static void test_readonly(void)
{
	if (geteuid() == 0) {
		printf("read-only folder test skipped: running as root (root writes anyway)\n");
		return;
	}
	struct netrt_program p = fake_program(0);
	struct fake_regions a;
	struct nrt_ckpt_meta m;
	ASSERT(fake_alloc(&p, &a) == 0);
	nrt_ckpt_meta_init(&m);
	const char *dir = tpath("ro");
	char path[600];
	snprintf(path, sizeof path, "%s/x.safetensors", dir);
	mkdir(dir, 0755);
	ASSERT_EQ_INT(0, nrt_ckpt_save(path, &p, a.r, &m, errbuf, sizeof errbuf));
	chmod(dir, 0555);
	ASSERT_EQ_INT(EACCES, nrt_ckpt_save(path, &p, a.r, &m, errbuf, sizeof errbuf));
	ASSERT(contains(errbuf, "cannot create"));
	ASSERT(contains(errbuf, strerror(EACCES)));
	ASSERT_EQ_INT(0, nrt_ckpt_verify(path, &p, 0, NULL, errbuf, sizeof errbuf));
	chmod(dir, 0755);
	fake_free(&a);
}

static void rm_rf(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/netc-ckpt-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_roundtrip();
	test_hostile();
	test_fuzz();
	test_policy();
	test_disk_full();
	test_readonly();
	rm_rf(tmpdir);
	return check_summary();
}
