/* ckpt_policy.c - when and where checkpoints are written: every N epochs
 * to FOLDER/PREFIX-epochNNNN.safetensors with PREFIX-last beside it, the
 * newest keep_last epoch files kept, PREFIX-best when the keep_best
 * metric improves (train_rt.h has the rules).  -last and -best are hard
 * links to the epoch file when one was written this epoch (renamed into
 * place, so they change atomically too), else written in full. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "train_rt.h"
#include "train_int.h"

#define SUFFIX ".safetensors"

struct nrt_ckpt_policy {
	char dir[2048];                 /* the folder */
	char prefix[256];               /* files are dir/prefix-... */
	long long every, keep_last;
	char best[NRT_SCALAR_NAME];     /* keep_best metric; "" none */
	int higher;                     /* keep_best: larger is better */
};

/* Remove temporary files a killed writer left (PREFIX-*.safetensors.tmp.*). */
static void remove_stale(const struct nrt_ckpt_policy *pol)
{
	DIR *d = opendir(pol->dir);
	struct dirent *e;
	size_t pn = strlen(pol->prefix);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, pol->prefix, pn) != 0 || e->d_name[pn] != '-' ||
		    !strstr(e->d_name + pn, SUFFIX ".tmp."))
			continue;
		char path[4096];
		if (snprintf(path, sizeof path, "%s/%s", pol->dir, e->d_name) < (int)sizeof path)
			unlink(path);
	}
	closedir(d);
}

struct nrt_ckpt_policy *nrt_ckpt_policy_new(const struct cJSON *cfg, const char *base_dir,
					    const char *name, char *err, size_t errn)
{
	const char *what = "train.checkpoint";
	struct nrt_ckpt_policy *pol = calloc(1, sizeof *pol);
	char full[4096];
	struct stat st;
	if (!pol) {
		nrt_train_errf(err, errn, "%s: out of memory", what);
		return NULL;
	}
	const char *kind = nrt_cfg_str(cfg, what, "kind", "every", err, errn);
	const char *to = nrt_cfg_str(cfg, what, "to", "ckpt", err, errn);
	const char *best = nrt_cfg_str(cfg, what, "keep_best", "none", err, errn);
	if (!kind || !to || !best)
		goto fail;
	if (strcmp(kind, "every") != 0) {
		nrt_train_errf(err, errn, "%s: unknown kind '%s' (expected every)", what, kind);
		goto fail;
	}
	if (nrt_cfg_int(cfg, what, "epochs", 1, 1, &pol->every, err, errn) == EINVAL ||
	    nrt_cfg_int(cfg, what, "keep_last", 0, 3, &pol->keep_last, err, errn) == EINVAL)
		goto fail;
	if (!*to) {
		nrt_train_errf(err, errn, "%s: \"to\" is empty", what);
		goto fail;
	}
	if (strcmp(best, "none") != 0) {
		if (nrt_cfg_metric_ref(best, "train.checkpoint.keep_best", err, errn))
			goto fail;
		snprintf(pol->best, sizeof pol->best, "%s", best);
		pol->higher = nrt_metric_higher_is_better(best);
	}
	if (to[0] == '/' || !base_dir || !*base_dir)
		snprintf(full, sizeof full, "%s", to);
	else
		snprintf(full, sizeof full, "%s/%s", base_dir, to);
	size_t n = strlen(full);
	if (n + 64 >= sizeof pol->dir || (name && strlen(name) > 200)) {
		nrt_train_errf(err, errn, "%s: the folder '%s' (or the name) is too long", what, full);
		goto fail;
	}
	if (full[n - 1] == '/' || (stat(full, &st) == 0 && S_ISDIR(st.st_mode))) {
		while (n > 1 && full[n - 1] == '/')
			full[--n] = 0;
		snprintf(pol->dir, sizeof pol->dir, "%.2000s", full);
		snprintf(pol->prefix, sizeof pol->prefix, "%.255s", name && *name ? name : "ckpt");
	} else {
		char *slash = strrchr(full, '/');
		if (!slash) {
			snprintf(pol->dir, sizeof pol->dir, ".");
			snprintf(pol->prefix, sizeof pol->prefix, "%.255s", full);
		} else {
			*slash = 0;
			snprintf(pol->dir, sizeof pol->dir, "%.2000s", slash == full ? "/" : full);
			snprintf(pol->prefix, sizeof pol->prefix, "%.255s", slash + 1);
		}
	}
	remove_stale(pol);
	return pol;
fail:
	free(pol);
	return NULL;
}

void nrt_ckpt_policy_free(struct nrt_ckpt_policy *pol)
{
	free(pol);
}

const char *nrt_ckpt_policy_best_metric(const struct nrt_ckpt_policy *pol)
{
	return pol->best[0] ? pol->best : NULL;
}

const char *nrt_ckpt_policy_path(const struct nrt_ckpt_policy *pol, const char *which,
				 int64_t epoch, char *buf, size_t n)
{
	int k;
	if (strcmp(which, "epoch") == 0)
		k = snprintf(buf, n, "%s/%s-epoch%04lld" SUFFIX, pol->dir, pol->prefix,
			     (long long)epoch);
	else
		k = snprintf(buf, n, "%s/%s-%s" SUFFIX, pol->dir, pol->prefix, which);
	return k >= 0 && (size_t)k < n ? buf : NULL;
}

/* mkdir -p of the folder. */
static int make_dir(const struct nrt_ckpt_policy *pol, char *err, size_t errn)
{
	char path[2048];
	snprintf(path, sizeof path, "%s", pol->dir);
	for (char *q = path + 1;; q++) {
		if (*q == '/' || !*q) {
			char c = *q;
			*q = 0;
			if (mkdir(path, 0777) && errno != EEXIST) {
				int rc = errno;
				nrt_train_errf(err, errn, "%s: cannot create the checkpoint folder: %s", path,
					 strerror(rc));
				return rc;
			}
			*q = c;
			if (!c)
				break;
		}
	}
	return 0;
}

/* dst becomes a hard link to src, atomically; an errno value when the
 * file system cannot (the caller then writes dst in full). */
static int link_over(const char *src, const char *dst)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", dst);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return errno;
	close(fd);
	unlink(tmp);
	if (link(src, tmp))
		return errno;
	if (rename(tmp, dst)) {
		int rc = errno;
		unlink(tmp);
		return rc;
	}
	return nrt_sync_dir_of(dst);
}

static int cmp_desc(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* Delete epoch files but the newest keep_last. */
static void prune(const struct nrt_ckpt_policy *pol)
{
	if (pol->keep_last <= 0)
		return;
	DIR *d = opendir(pol->dir);
	size_t pn = strlen(pol->prefix), cap = 0, n = 0;
	long long *ep = NULL;
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *s = e->d_name;
		if (strncmp(s, pol->prefix, pn) != 0 || strncmp(s + pn, "-epoch", 6) != 0)
			continue;
		char *end;
		const char *digits = s + pn + 6;
		if (*digits < '0' || *digits > '9')
			continue;
		long long k = strtoll(digits, &end, 10);
		if (strcmp(end, SUFFIX) != 0)
			continue;
		if (n == cap) {
			long long *q = realloc(ep, (cap ? cap * 2 : 16) * sizeof *ep);
			if (!q)
				break;
			ep = q;
			cap = cap ? cap * 2 : 16;
		}
		ep[n++] = k;
	}
	closedir(d);
	qsort(ep, n, sizeof *ep, cmp_desc);
	for (size_t i = (size_t)pol->keep_last; i < n; i++) {
		char path[4096];
		if (nrt_ckpt_policy_path(pol, "epoch", ep[i], path, sizeof path))
			unlink(path);
	}
	free(ep);
}

int nrt_ckpt_policy_save_last(struct nrt_ckpt_policy *pol, const struct netrt_program *p,
			      void *const region[NETRT_NREGIONS], const struct nrt_ckpt_meta *m,
			      char *err, size_t errn)
{
	char path[4096];
	int rc = make_dir(pol, err, errn);
	if (rc)
		return rc;
	nrt_ckpt_policy_path(pol, "last", 0, path, sizeof path);
	return nrt_ckpt_save(path, p, region, m, err, errn);
}

int nrt_ckpt_policy_epoch_end(struct nrt_ckpt_policy *pol, const struct netrt_program *p,
			      void *const region[NETRT_NREGIONS], struct nrt_ckpt_meta *m,
			      const struct nrt_scalars *metrics, int last_epoch, int *saved,
			      char *err, size_t errn)
{
	char epath[4096], path[4096];
	int improved = 0, wrote = 0, rc;
	if (saved)
		*saved = 0;
	if (pol->best[0]) {
		const double *v = metrics ? nrt_scalars_get(metrics, pol->best) : NULL;
		if (!v)
			return nrt_train_errf(err, errn, "checkpoint keep_best: metric '%s' was not "
					"computed this epoch", pol->best);
		if (!isnan(*v) && (isnan(m->best) || (pol->higher ? *v > m->best : *v < m->best))) {
			m->best = *v;
			improved = 1;
		}
	}
	if (m->epoch % pol->every == 0 || last_epoch) {
		rc = make_dir(pol, err, errn);
		if (rc)
			return rc;
		nrt_ckpt_policy_path(pol, "epoch", m->epoch, epath, sizeof epath);
		rc = nrt_ckpt_save(epath, p, region, m, err, errn);
		if (rc)
			return rc;
		nrt_ckpt_policy_path(pol, "last", 0, path, sizeof path);
		if (link_over(epath, path)) {
			rc = nrt_ckpt_save(path, p, region, m, err, errn);
			if (rc)
				return rc;
		}
		wrote = 1;
		if (saved)
			*saved |= 1;
	}
	if (improved) {
		rc = make_dir(pol, err, errn);
		if (rc)
			return rc;
		nrt_ckpt_policy_path(pol, "best", 0, path, sizeof path);
		if (!wrote || link_over(epath, path)) {
			rc = nrt_ckpt_save(path, p, region, m, err, errn);
			if (rc)
				return rc;
		}
		if (saved)
			*saved |= 2;
	}
	if (wrote)
		prune(pol);
	return 0;
}
