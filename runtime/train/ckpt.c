/* ckpt.c - checkpoint files in the safetensors layout: write them
 * atomically, read them back checking everything (a hostile file gives an
 * error, never a crash).
 *
 * The layout (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length N, N bytes of JSON
 *   {"conv_1.weight": {"dtype": "F32", "shape": [6, 1, 5, 5], "data_offsets": [0, 600]},
 *    ..., "__metadata__": {"epoch": "3", ...}}
 * padded with spaces so that 8 + N is a multiple of 8, then the data: the
 * tensors' bytes, little-endian, back to back in header order.  The reader
 * asks (as the reference implementation does) that the tensors cover the
 * data exactly: no gap, no overlap, nothing after the last one.
 *
 * The metadata carry a checksum of the data bytes (ck_sum below, a
 * MurmurHash3-style 64-bit word hash), so a torn or flipped file is
 * refused. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "train_rt.h"
#include "train_int.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define CK_BIG_ENDIAN 1
#else
#define CK_BIG_ENDIAN 0
#endif

#define CK_FORMAT "netc-ckpt-1"
#define CK_OPT_NAME "optimizer.state"
#define CK_MAX_EXACT 9007199254740992.0 /* 2^53: larger JSON numbers are not exact */

static const char *const ck_reserved[] = {
	"format", "program", "program_hash", "data_hash", "seed", "epoch", "step",
	"batch_in_epoch", "best", "checksum",
};


/* ---------------------------------------------------------------- checksum */

struct ck_sum {
	uint64_t h, len;
	unsigned char tail[8];
	int ntail;
};

static uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static void sum_word(struct ck_sum *s, uint64_t k)
{
	k *= 0x87c37b91114253d5ull;
	k = rotl64(k, 31);
	k *= 0x4cf5ad432745937full;
	s->h ^= k;
	s->h = rotl64(s->h, 27) * 5 + 0x52dce729;
}

static uint64_t load_le64(const unsigned char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
#if CK_BIG_ENDIAN
	w = __builtin_bswap64(w);
#endif
	return w;
}

static void sum_init(struct ck_sum *s)
{
	memset(s, 0, sizeof *s);
	s->h = 0x6e657463636b7074ull; /* "netcckpt" */
}

static void sum_update(struct ck_sum *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	s->len += n;
	if (s->ntail) {
		while (n && s->ntail < 8) {
			s->tail[s->ntail++] = *p++;
			n--;
		}
		if (s->ntail < 8)
			return;
		sum_word(s, load_le64(s->tail));
		s->ntail = 0;
	}
	for (; n >= 8; p += 8, n -= 8)
		sum_word(s, load_le64(p));
	memcpy(s->tail, p, n);
	s->ntail = (int)n;
}

static uint64_t sum_final(const struct ck_sum *s0)
{
	struct ck_sum s = *s0;
	if (s.ntail) {
		memset(s.tail + s.ntail, 0, (size_t)(8 - s.ntail));
		sum_word(&s, load_le64(s.tail));
	}
	uint64_t h = s.h ^ s.len;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

uint64_t nrt_ckpt_program_hash(const struct netrt_program *p, const char *extra)
{
	struct ck_sum s;
	int64_t v[4];
	sum_init(&s);
	if (p->name)
		sum_update(&s, p->name, strlen(p->name) + 1);
	v[0] = p->region_size[NETRT_PARAM];
	v[1] = p->region_size[NETRT_STATE];
	v[2] = p->region_size[NETRT_OPT];
	v[3] = p->nparams;
	sum_update(&s, v, sizeof v);
	for (int i = 0; i < p->nparams && p->params; i++) {
		const struct netrt_param *q = &p->params[i];
		int64_t w[3] = { q->region, q->rank, q->offset };
		if (q->name)
			sum_update(&s, q->name, strlen(q->name) + 1);
		sum_update(&s, w, sizeof w);
		for (int d = 0; d < q->rank && d < 8; d++)
			sum_update(&s, &q->shape[d], sizeof q->shape[d]);
	}
	if (extra)
		sum_update(&s, extra, strlen(extra));
	uint64_t h = sum_final(&s);
	return h ? h : 1;
}

/* ---------------------------------------------------------------- tensors */

/* One tensor of the file, as the program expects it. */
struct ck_tensor {
	const char *name;
	int rank;
	int64_t shape[8];
	int64_t numel;
	int region;
	int64_t offset;               /* elements from the region start */
	uint64_t begin, end;          /* bytes in the data section */
	bool seen;
};

/* The tensors of p (params[] then the optimizer state), checked. */
static int tensors_of(const struct netrt_program *p, struct ck_tensor **out, int *nout,
		      char *err, size_t errn)
{
	if (!p || p->nparams < 0 || (p->nparams > 0 && !p->params))
		return nrt_train_errf(err, errn, "checkpoint: no program tables");
	int n = p->nparams + 1;
	struct ck_tensor *t = calloc((size_t)n, sizeof *t);
	if (!t) {
		nrt_train_errf(err, errn, "checkpoint: out of memory");
		return ENOMEM;
	}
	for (int i = 0; i < p->nparams; i++) {
		const struct netrt_param *q = &p->params[i];
		int64_t numel = 1;
		if (!q->name || !*q->name || q->rank < 0 || q->rank > 8 ||
		    (q->region != NETRT_PARAM && q->region != NETRT_STATE))
			goto bad;
		for (int d = 0; d < q->rank; d++)
			if (q->shape[d] < 0 || __builtin_mul_overflow(numel, q->shape[d], &numel))
				goto bad;
		if (numel != q->numel || q->offset < 0 ||
		    q->offset > p->region_size[q->region] - numel)
			goto bad;
		if (strcmp(q->name, CK_OPT_NAME) == 0 || strcmp(q->name, "__metadata__") == 0)
			goto bad;
		for (int j = 0; j < i; j++)
			if (strcmp(t[j].name, q->name) == 0)
				goto bad;
		t[i].name = q->name;
		t[i].rank = q->rank;
		memcpy(t[i].shape, q->shape, sizeof t[i].shape);
		t[i].numel = numel;
		t[i].region = q->region;
		t[i].offset = q->offset;
		continue;
bad:
		free(t);
		return nrt_train_errf(err, errn, "checkpoint: parameter %d ('%s') of program '%s' is "
			      "malformed (shape, region, offset or a duplicate name)", i,
			      q->name ? q->name : "", p->name ? p->name : "");
	}
	struct ck_tensor *o = &t[n - 1];
	o->name = CK_OPT_NAME;
	o->rank = 1;
	o->shape[0] = p->region_size[NETRT_OPT] > 0 ? p->region_size[NETRT_OPT] : 0;
	o->numel = o->shape[0];
	o->region = NETRT_OPT;
	*out = t;
	*nout = n;
	return 0;
}

/* A name of a hostile file, safe to print: printable ASCII, at most 80 bytes. */
static const char *printable(const char *s, char buf[96])
{
	size_t i = 0;
	for (; s && s[i] && i < 80; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = 0;
	if (s && s[i])
		strcpy(buf + i, "...");
	return buf;
}

static void shape_str(const int64_t *shape, int rank, char *buf, size_t n)
{
	size_t k = (size_t)snprintf(buf, n, "[");
	for (int d = 0; d < rank && k < n; d++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
}

/* ---------------------------------------------------------------- header text */

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *q = realloc(b->s, cap);
		if (!q) {
			b->oom = true;
			return;
		}
		b->s = q;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (k > 0)
		sb_add(b, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_json_str(struct sbuf *b, const char *s)
{
	sb_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			sb_add(b, e, 2);
		} else if (c < 0x20) {
			sb_printf(b, "\\u%04x", c);
		} else {
			sb_add(b, (const char *)&c, 1);
		}
	}
	sb_add(b, "\"", 1);
}

static void sb_meta(struct sbuf *b, const char *key, const char *value)
{
	sb_add(b, ",", 1);
	sb_json_str(b, key);
	sb_add(b, ":", 1);
	sb_json_str(b, value);
}

static void fmt_double(double v, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "nan");
	else if (isinf(v))
		snprintf(buf, n, v > 0 ? "inf" : "-inf");
	else
		snprintf(buf, n, "%.17g", v);
}

/* ---------------------------------------------------------------- the meta */

void nrt_ckpt_meta_init(struct nrt_ckpt_meta *m)
{
	memset(m, 0, sizeof *m);
	m->best = NAN;
}

static bool is_reserved(const char *key)
{
	for (size_t i = 0; i < sizeof ck_reserved / sizeof ck_reserved[0]; i++)
		if (strcmp(key, ck_reserved[i]) == 0)
			return true;
	return false;
}

static int meta_put(struct nrt_ckpt_meta *m, const char *key, const char *value)
{
	if (strlen(key) >= NRT_META_KEY || strlen(value) >= NRT_META_VALUE || !*key)
		return ENAMETOOLONG;
	for (int i = 0; i < m->nextra; i++) {
		if (strcmp(m->extra[i].key, key) == 0) {
			strcpy(m->extra[i].value, value);
			return 0;
		}
	}
	if (m->nextra >= NRT_META_MAX)
		return ENOSPC;
	strcpy(m->extra[m->nextra].key, key);
	strcpy(m->extra[m->nextra].value, value);
	m->nextra++;
	return 0;
}

int nrt_ckpt_meta_set(struct nrt_ckpt_meta *m, const char *key, const char *fmt, ...)
{
	char value[NRT_META_VALUE + 1];
	va_list ap;
	if (is_reserved(key) || strcmp(key, "__metadata__") == 0)
		return EINVAL;
	va_start(ap, fmt);
	int k = vsnprintf(value, sizeof value, fmt, ap);
	va_end(ap);
	if (k < 0 || k >= NRT_META_VALUE)
		return ENAMETOOLONG;
	return meta_put(m, key, value);
}

const char *nrt_ckpt_meta_get(const struct nrt_ckpt_meta *m, const char *key)
{
	for (int i = 0; i < m->nextra; i++)
		if (strcmp(m->extra[i].key, key) == 0)
			return m->extra[i].value;
	return NULL;
}

/* ---------------------------------------------------------------- writing */

static int write_all(int fd, const void *data, size_t n)
{
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (w == 0)
			return EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write n floats little-endian (through a buffer on big-endian hosts). */
static int write_f32(int fd, const float *x, int64_t n)
{
#if CK_BIG_ENDIAN
	uint32_t buf[16384];
	while (n > 0) {
		int64_t k = n < 16384 ? n : 16384;
		memcpy(buf, x, (size_t)k * 4);
		for (int64_t i = 0; i < k; i++)
			buf[i] = __builtin_bswap32(buf[i]);
		int rc = write_all(fd, buf, (size_t)k * 4);
		if (rc)
			return rc;
		x += k;
		n -= k;
	}
	return 0;
#else
	return write_all(fd, x, (size_t)n * 4);
#endif
}

static void sum_f32(struct ck_sum *s, const float *x, int64_t n)
{
#if CK_BIG_ENDIAN
	for (int64_t i = 0; i < n; i++) {
		uint32_t w;
		memcpy(&w, &x[i], 4);
		w = __builtin_bswap32(w);
		sum_update(s, &w, 4);
	}
#else
	sum_update(s, x, (size_t)n * 4);
#endif
}

/* The folder part of path ("." when none) into buf. */
static void dir_of(const char *path, char *buf, size_t n)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(buf, n, ".");
	else if (slash == path)
		snprintf(buf, n, "/");
	else
		snprintf(buf, n, "%.*s", (int)(slash - path), path);
}

int nrt_sync_dir_of(const char *path)
{
	char dir[4096];
	dir_of(path, dir, sizeof dir);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int rc = fsync(fd) ? errno : 0;
	close(fd);
	/* Some file systems cannot fsync a folder; the rename is done anyway. */
	return rc == EINVAL || rc == ENOTSUP ? 0 : rc;
}

/* The header JSON, padded so that 8 + its length is a multiple of 8. */
static int header_text(struct sbuf *b, const struct netrt_program *p, struct ck_tensor *t, int nt,
		       const struct nrt_ckpt_meta *m, uint64_t checksum)
{
	char v[64];
	sb_add(b, "{", 1);
	for (int i = 0; i < nt; i++) {
		if (i)
			sb_add(b, ",", 1);
		sb_json_str(b, t[i].name);
		sb_str(b, ":{\"dtype\":\"F32\",\"shape\":[");
		for (int d = 0; d < t[i].rank; d++)
			sb_printf(b, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
		sb_printf(b, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)t[i].begin,
			  (unsigned long long)t[i].end);
	}
	sb_add(b, nt ? "," : "", nt ? 1 : 0);
	sb_str(b, "\"__metadata__\":{\"format\":\"" CK_FORMAT "\"");
	sb_meta(b, "program", p->name ? p->name : "");
	snprintf(v, sizeof v, "%016llx", (unsigned long long)m->program_hash);
	sb_meta(b, "program_hash", v);
	snprintf(v, sizeof v, "%016llx", (unsigned long long)m->data_hash);
	sb_meta(b, "data_hash", v);
	snprintf(v, sizeof v, "%llu", (unsigned long long)m->seed);
	sb_meta(b, "seed", v);
	snprintf(v, sizeof v, "%lld", (long long)m->epoch);
	sb_meta(b, "epoch", v);
	snprintf(v, sizeof v, "%lld", (long long)m->step);
	sb_meta(b, "step", v);
	snprintf(v, sizeof v, "%lld", (long long)m->batch_in_epoch);
	sb_meta(b, "batch_in_epoch", v);
	fmt_double(m->best, v, sizeof v);
	sb_meta(b, "best", v);
	snprintf(v, sizeof v, "%016llx", (unsigned long long)checksum);
	sb_meta(b, "checksum", v);
	for (int i = 0; i < m->nextra; i++) {
		if (is_reserved(m->extra[i].key))
			return EINVAL;
		sb_meta(b, m->extra[i].key, m->extra[i].value);
	}
	sb_add(b, "}}", 2);
	while (b->len % 8)
		sb_add(b, " ", 1);
	return b->oom ? ENOMEM : 0;
}

int nrt_ckpt_save(const char *path, const struct netrt_program *p,
		  void *const region[NETRT_NREGIONS], const struct nrt_ckpt_meta *m,
		  char *err, size_t errn)
{
	struct ck_tensor *t;
	struct sbuf hdr = { 0 };
	struct ck_sum sum;
	char *tmp = NULL;
	int nt, rc, fd = -1;
	uint64_t off = 0;
	const char *what = "write";

	rc = tensors_of(p, &t, &nt, err, errn);
	if (rc)
		return rc;
	sum_init(&sum);
	for (int i = 0; i < nt; i++) {
		if (t[i].numel > 0 && !region[t[i].region]) {
			rc = nrt_train_errf(err, errn, "%s: region %d of tensor '%s' is missing", path,
				    t[i].region, t[i].name);
			goto out;
		}
		t[i].begin = off;
		off += (uint64_t)t[i].numel * 4;
		t[i].end = off;
		if (t[i].numel)
			sum_f32(&sum, (const float *)region[t[i].region] + t[i].offset, t[i].numel);
	}
	rc = header_text(&hdr, p, t, nt, m, sum_final(&sum));
	if (rc) {
		nrt_train_errf(err, errn, "%s: %s", path, rc == ENOMEM ? "out of memory" :
		       "an extra metadata key is reserved");
		goto out;
	}

	size_t plen = strlen(path);
	tmp = malloc(plen + 12);
	if (!tmp) {
		rc = ENOMEM;
		nrt_train_errf(err, errn, "%s: out of memory", path);
		goto out;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", 12);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = errno;
		nrt_train_errf(err, errn, "%s: cannot create %s: %s", path, tmp, strerror(rc));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	(void)fchmod(fd, 0644);

	unsigned char len8[8];
	for (int i = 0; i < 8; i++)
		len8[i] = (unsigned char)((uint64_t)hdr.len >> (8 * i));
	rc = write_all(fd, len8, 8);
	if (!rc)
		rc = write_all(fd, hdr.s, hdr.len);
	for (int i = 0; i < nt && !rc; i++)
		if (t[i].numel)
			rc = write_f32(fd, (const float *)region[t[i].region] + t[i].offset,
				       t[i].numel);
	if (!rc && fsync(fd)) {
		rc = errno;
		what = "fsync";
	}
	if (close(fd) && !rc) {
		rc = errno;
		what = "close";
	}
	fd = -1;
	if (!rc && rename(tmp, path)) {
		rc = errno;
		what = "rename";
	}
	if (rc) {
		nrt_train_errf(err, errn, "%s: %s of %s failed: %s (the previous checkpoint is kept)",
		       path, what, tmp, strerror(rc));
		unlink(tmp);
		goto out;
	}
	rc = nrt_sync_dir_of(path);
	if (rc)
		nrt_train_errf(err, errn, "%s: written, but syncing its folder failed: %s", path,
		       strerror(rc));
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	free(hdr.s);
	free(t);
	return rc;
}

/* ---------------------------------------------------------------- reading */

static int read_at(int fd, void *buf, size_t n, uint64_t off, size_t *got)
{
	char *p = buf;
	*got = 0;
	while (n) {
		ssize_t r = pread(fd, p, n > (1u << 30) ? (1u << 30) : n, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (r == 0)
			return 0;
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
		*got += (size_t)r;
	}
	return 0;
}

/* A JSON number that is an integer in [0, 2^53]. */
static bool json_uint(const cJSON *j, uint64_t *v)
{
	if (!cJSON_IsNumber(j))
		return false;
	double d = j->valuedouble;
	if (!(d >= 0) || d > CK_MAX_EXACT || d != floor(d))
		return false;
	*v = (uint64_t)d;
	return true;
}

static bool parse_i64(const char *s, int64_t *v)
{
	char *end;
	if (!s || !*s)
		return false;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static bool parse_u64(const char *s, int base, uint64_t *v)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	unsigned long long x = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static int cmp_begin(const void *a, const void *b)
{
	const struct ck_tensor *x = *(const struct ck_tensor *const *)a;
	const struct ck_tensor *y = *(const struct ck_tensor *const *)b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Check one tensor entry of the header against what the program expects. */
static int check_tensor(const char *path, const cJSON *j, struct ck_tensor *t, uint64_t data_size,
			char *err, size_t errn)
{
	char es[256], fs[256];
	if (!cJSON_IsObject(j))
		return nrt_train_errf(err, errn, "%s: tensor '%s': not an object", path, t->name);
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(j, "dtype");
	const cJSON *sh = cJSON_GetObjectItemCaseSensitive(j, "shape");
	const cJSON *of = cJSON_GetObjectItemCaseSensitive(j, "data_offsets");
	if (!cJSON_IsString(dt) || !dt->valuestring)
		return nrt_train_errf(err, errn, "%s: tensor '%s': no \"dtype\" string", path, t->name);
	if (strcmp(dt->valuestring, "F32") != 0) {
		char b[96];
		return nrt_train_errf(err, errn, "%s: tensor '%s': dtype '%s', expected F32", path,
			      t->name, printable(dt->valuestring, b));
	}
	if (!cJSON_IsArray(sh))
		return nrt_train_errf(err, errn, "%s: tensor '%s': no \"shape\" array", path, t->name);
	int64_t shape[8], numel = 1;
	int rank = 0;
	const cJSON *d;
	cJSON_ArrayForEach(d, sh) {
		uint64_t v;
		if (rank >= 8)
			return nrt_train_errf(err, errn, "%s: tensor '%s': shape of more than 8 dimensions",
				      path, t->name);
		if (!json_uint(d, &v) || v > INT64_MAX)
			return nrt_train_errf(err, errn, "%s: tensor '%s': shape[%d] is not a non-negative "
				      "integer", path, t->name, rank);
		shape[rank++] = (int64_t)v;
	}
	for (int i = 0; i < rank; i++)
		if (__builtin_mul_overflow(numel, shape[i], &numel))
			return nrt_train_errf(err, errn, "%s: tensor '%s': the shape's element count "
				      "overflows", path, t->name);
	shape_str(t->shape, t->rank, es, sizeof es);
	if (rank != t->rank || memcmp(shape, t->shape, (size_t)rank * sizeof shape[0]) != 0) {
		shape_str(shape, rank, fs, sizeof fs);
		return nrt_train_errf(err, errn, "%s: tensor '%s': shape %s, expected %s", path, t->name,
			      fs, es);
	}
	uint64_t b, e;
	if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2 || !json_uint(of->child, &b) ||
	    !json_uint(of->child->next, &e) || b > e)
		return nrt_train_errf(err, errn, "%s: tensor '%s': \"data_offsets\" is not [begin, end] "
			      "with 0 <= begin <= end", path, t->name);
	if (e > data_size)
		return nrt_train_errf(err, errn, "%s: tensor '%s': data_offsets [%llu, %llu] run past the "
			      "%llu data bytes of the file", path, t->name, (unsigned long long)b,
			      (unsigned long long)e, (unsigned long long)data_size);
	if (e - b != (uint64_t)numel * 4)
		return nrt_train_errf(err, errn, "%s: tensor '%s': data_offsets [%llu, %llu] hold %llu "
			      "bytes, shape %s needs %llu", path, t->name, (unsigned long long)b,
			      (unsigned long long)e, (unsigned long long)(e - b), es,
			      (unsigned long long)numel * 4);
	t->begin = b;
	t->end = e;
	t->seen = true;
	return 0;
}

/* The metadata object into m, checked. */
static int read_meta(const char *path, const cJSON *md, struct nrt_ckpt_meta *m,
		     uint64_t *checksum, char *prog, size_t progn, char *err, size_t errn)
{
	static const char *const need[] = {
		"format", "program_hash", "data_hash", "seed", "epoch", "step", "batch_in_epoch",
		"best", "checksum",
	};
	const cJSON *j;
	char b[96], b2[96];
	if (!md)
		return nrt_train_errf(err, errn, "%s: no __metadata__: not a netc checkpoint", path);
	if (!cJSON_IsObject(md))
		return nrt_train_errf(err, errn, "%s: __metadata__ is not an object", path);
	cJSON_ArrayForEach(j, md)
		if (!cJSON_IsString(j) || !j->valuestring || !j->string)
			return nrt_train_errf(err, errn, "%s: metadata '%s' is not a string", path,
				      printable(j->string, b));
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
		if (!cJSON_GetObjectItemCaseSensitive(md, need[i]))
			return nrt_train_errf(err, errn, "%s: metadata '%s' is missing", path, need[i]);
	nrt_ckpt_meta_init(m);
	snprintf(prog, progn, "?");
	cJSON_ArrayForEach(j, md) {
		const char *k = j->string, *v = j->valuestring;
		bool ok = true;
		if (strcmp(k, "format") == 0)
			ok = strcmp(v, CK_FORMAT) == 0;
		else if (strcmp(k, "program") == 0)
			snprintf(prog, progn, "%s", printable(v, b2));
		else if (strcmp(k, "program_hash") == 0)
			ok = parse_u64(v, 16, &m->program_hash);
		else if (strcmp(k, "data_hash") == 0)
			ok = parse_u64(v, 16, &m->data_hash);
		else if (strcmp(k, "checksum") == 0)
			ok = parse_u64(v, 16, checksum);
		else if (strcmp(k, "seed") == 0)
			ok = parse_u64(v, 10, &m->seed);
		else if (strcmp(k, "epoch") == 0)
			ok = parse_i64(v, &m->epoch) && m->epoch >= 0;
		else if (strcmp(k, "step") == 0)
			ok = parse_i64(v, &m->step) && m->step >= 0;
		else if (strcmp(k, "batch_in_epoch") == 0)
			ok = parse_i64(v, &m->batch_in_epoch) && m->batch_in_epoch >= 0;
		else if (strcmp(k, "best") == 0) {
			char *end;
			m->best = strtod(v, &end);
			ok = *v && !*end;
		} else {
			int rc = meta_put(m, k, v);
			if (rc == ENOSPC)
				return nrt_train_errf(err, errn, "%s: more than %d extra metadata entries",
					      path, NRT_META_MAX);
			if (rc)
				return nrt_train_errf(err, errn, "%s: metadata '%s': key or value too long "
					      "(at most %d and %d bytes)", path, printable(k, b),
					      NRT_META_KEY - 1, NRT_META_VALUE - 1);
			continue;
		}
		if (!ok)
			return nrt_train_errf(err, errn, "%s: metadata '%s' = '%s' is not valid", path, k,
				      printable(v, b));
	}
	return 0;
}

/* Load (region != NULL) or verify the file at path. */
static int ck_read(const char *path, const struct netrt_program *p,
		   void *const region[NETRT_NREGIONS], uint64_t expect_hash,
		   struct nrt_ckpt_meta *mout, char *err, size_t errn)
{
	struct ck_tensor *t = NULL, **order = NULL;
	struct nrt_ckpt_meta *m = NULL;
	char *hbuf = NULL, *chunk = NULL, b[96], prog[96];
	cJSON *root = NULL;
	const cJSON *md = NULL, *j;
	uint64_t checksum = 0, hlen = 0, fsize, data_size;
	unsigned char len8[8];
	struct stat st;
	size_t got;
	int nt, rc, fd;

	rc = tensors_of(p, &t, &nt, err, errn);
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno;
		nrt_train_errf(err, errn, "%s: cannot open: %s", path, strerror(rc));
		goto out;
	}
	if (fstat(fd, &st)) {
		rc = errno;
		nrt_train_errf(err, errn, "%s: stat: %s", path, strerror(rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = nrt_train_errf(err, errn, "%s: not a regular file", path);
		goto out;
	}
	fsize = (uint64_t)st.st_size;
	if (fsize < 8) {
		rc = nrt_train_errf(err, errn, "%s: %llu bytes, shorter than the 8-byte header length",
			    path, (unsigned long long)fsize);
		goto out;
	}
	rc = read_at(fd, len8, 8, 0, &got);
	if (rc || got != 8) {
		rc = rc ? rc : EIO;
		nrt_train_errf(err, errn, "%s: read: %s", path, strerror(rc));
		goto out;
	}
	for (int i = 0; i < 8; i++)
		hlen |= (uint64_t)len8[i] << (8 * i);
	if (hlen > NRT_CKPT_HEADER_MAX) {
		rc = nrt_train_errf(err, errn, "%s: header of %llu bytes, more than the %llu allowed",
			    path, (unsigned long long)hlen, (unsigned long long)NRT_CKPT_HEADER_MAX);
		goto out;
	}
	if (hlen < 2 || hlen > fsize - 8) {
		rc = nrt_train_errf(err, errn, "%s: header length %llu does not fit the file of %llu bytes",
			    path, (unsigned long long)hlen, (unsigned long long)fsize);
		goto out;
	}
	data_size = fsize - 8 - hlen;
	hbuf = malloc((size_t)hlen + 1);
	m = malloc(sizeof *m);
	order = malloc((size_t)nt * sizeof *order);
	if (!hbuf || !m || !order) {
		rc = ENOMEM;
		nrt_train_errf(err, errn, "%s: out of memory", path);
		goto out;
	}
	rc = read_at(fd, hbuf, (size_t)hlen, 8, &got);
	if (rc || got != hlen) {
		rc = rc ? rc : EIO;
		nrt_train_errf(err, errn, "%s: reading the header: %s", path, strerror(rc));
		goto out;
	}
	hbuf[hlen] = 0;

	const char *end = NULL;
	root = cJSON_ParseWithLengthOpts(hbuf, (size_t)hlen, &end, 0);
	if (!root) {
		rc = nrt_train_errf(err, errn, "%s: the header is not valid JSON (at byte %lld)", path,
			    end ? (long long)(end - hbuf) + 8 : -1LL);
		goto out;
	}
	for (const char *q = end; q < hbuf + hlen; q++) {
		if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') {
			rc = nrt_train_errf(err, errn, "%s: byte %lld: text after the header's JSON object",
				    path, (long long)(q - hbuf) + 8);
			goto out;
		}
	}
	if (!cJSON_IsObject(root)) {
		rc = nrt_train_errf(err, errn, "%s: the header is not a JSON object", path);
		goto out;
	}
	cJSON_ArrayForEach(j, root) {
		const char *name = j->string ? j->string : "";
		if (strcmp(name, "__metadata__") == 0) {
			if (md) {
				rc = nrt_train_errf(err, errn, "%s: __metadata__ appears twice", path);
				goto out;
			}
			md = j;
			continue;
		}
		struct ck_tensor *x = NULL;
		for (int i = 0; i < nt && !x; i++)
			if (strcmp(t[i].name, name) == 0)
				x = &t[i];
		if (!x) {
			rc = nrt_train_errf(err, errn, "%s: unexpected tensor '%s' (program '%s' has no such "
				    "parameter)", path, printable(name, b), p->name ? p->name : "");
			goto out;
		}
		if (x->seen) {
			rc = nrt_train_errf(err, errn, "%s: tensor '%s' appears twice", path, x->name);
			goto out;
		}
		rc = check_tensor(path, j, x, data_size, err, errn);
		if (rc)
			goto out;
	}
	for (int i = 0; i < nt; i++) {
		if (!t[i].seen) {
			char es[256];
			shape_str(t[i].shape, t[i].rank, es, sizeof es);
			rc = nrt_train_errf(err, errn, "%s: tensor '%s' (F32 %s) is missing", path, t[i].name,
				    es);
			goto out;
		}
		order[i] = &t[i];
	}
	qsort(order, (size_t)nt, sizeof *order, cmp_begin);
	uint64_t at = 0;
	for (int i = 0; i < nt; i++) {
		if (order[i]->begin < at) {
			rc = nrt_train_errf(err, errn, "%s: tensors '%s' and '%s' overlap", path,
				    order[i - 1]->name, order[i]->name);
			goto out;
		}
		if (order[i]->begin > at) {
			rc = nrt_train_errf(err, errn, "%s: data bytes [%llu, %llu) before tensor '%s' "
				    "belong to no tensor", path, (unsigned long long)at,
				    (unsigned long long)order[i]->begin, order[i]->name);
			goto out;
		}
		at = order[i]->end;
	}
	if (at != data_size) {
		rc = nrt_train_errf(err, errn, "%s: %llu data bytes after the last tensor", path,
			    (unsigned long long)(data_size - at));
		goto out;
	}
	rc = read_meta(path, md, m, &checksum, prog, sizeof prog, err, errn);
	if (rc)
		goto out;
	if (expect_hash && m->program_hash != expect_hash) {
		rc = nrt_train_errf(err, errn, "%s: a checkpoint of program '%s' (hash %016llx), not of "
			    "this program '%s' (hash %016llx)", path, prog,
			    (unsigned long long)m->program_hash, p->name ? p->name : "",
			    (unsigned long long)expect_hash);
		goto out;
	}
	for (int i = 0; i < nt; i++)
		if (region && order[i]->numel && !region[order[i]->region]) {
			rc = nrt_train_errf(err, errn, "%s: region %d of tensor '%s' is missing", path,
				    order[i]->region, order[i]->name);
			goto out;
		}

	/* The data, in file order: into the regions, or through a buffer. */
	struct ck_sum sum;
	enum { CHUNK = 1 << 20 };
	sum_init(&sum);
	if (!region && !(chunk = malloc(CHUNK))) {
		rc = ENOMEM;
		nrt_train_errf(err, errn, "%s: out of memory", path);
		goto out;
	}
	for (int i = 0; i < nt; i++) {
		struct ck_tensor *x = order[i];
		uint64_t n = x->end - x->begin, off = 8 + hlen + x->begin;
		char *dst = region ? (char *)region[x->region] + x->offset * 4 : NULL;
		while (n) {
			size_t k = region ? (size_t)n : (n < CHUNK ? (size_t)n : CHUNK);
			char *buf = region ? dst : chunk;
			rc = read_at(fd, buf, k, off, &got);
			if (rc || got != k) {
				rc = rc ? rc : EIO;
				nrt_train_errf(err, errn, "%s: tensor '%s': the data stop at byte %llu: %s",
				       path, x->name, (unsigned long long)(off + got),
				       got != k ? "file truncated" : strerror(rc));
				goto out;
			}
			sum_update(&sum, buf, k);
#if CK_BIG_ENDIAN
			if (region)
				for (size_t q = 0; q + 4 <= k; q += 4) {
					uint32_t w;
					memcpy(&w, buf + q, 4);
					w = __builtin_bswap32(w);
					memcpy(buf + q, &w, 4);
				}
#endif
			n -= k;
			off += k;
			if (dst)
				dst += k;
		}
	}
	if (sum_final(&sum) != checksum) {
		rc = nrt_train_errf(err, errn, "%s: checksum %016llx of the data, the header says %016llx: "
			    "the file is corrupt", path, (unsigned long long)sum_final(&sum),
			    (unsigned long long)checksum);
		goto out;
	}
	if (mout)
		*mout = *m;
out:
	if (fd >= 0)
		close(fd);
	cJSON_Delete(root);
	free(chunk);
	free(hbuf);
	free(order);
	free(m);
	free(t);
	return rc;
}

int nrt_ckpt_load(const char *path, const struct netrt_program *p,
		  void *const region[NETRT_NREGIONS], uint64_t expect_hash,
		  struct nrt_ckpt_meta *m, char *err, size_t errn)
{
	if (!region)
		return nrt_train_errf(err, errn, "%s: no regions to load into", path);
	return ck_read(path, p, region, expect_hash, m, err, errn);
}

int nrt_ckpt_verify(const char *path, const struct netrt_program *p, uint64_t expect_hash,
		    struct nrt_ckpt_meta *m, char *err, size_t errn)
{
	return ck_read(path, p, NULL, expect_hash, m, err, errn);
}
