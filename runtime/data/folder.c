/* folder.c - the listing of an image folder: one subfolder per class
 * (root/<class>/<name>.ext), classes sorted by name or given in order, files
 * sorted by name (bytewise), hidden entries skipped. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "internal.h"
#include "util.h"

/* A growing list of strings. */
struct strv {
	char **v;
	size_t n, cap;
};

static int strv_push(struct strv *s, const char *x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		char **v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	if (!(s->v[s->n] = nrt_strdup(x)))
		return -1;
	s->n++;
	return 0;
}

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ext_matches(const char *name, const char *ext)
{
	const char *dot = strrchr(name, '.');
	if (!dot || dot == name)
		return false;
	dot++;
	if (strcasecmp(dot, ext) == 0)
		return true;
	/* jpg and jpeg are one format */
	bool jpg = strcasecmp(ext, "jpg") == 0 || strcasecmp(ext, "jpeg") == 0;
	return jpg && (strcasecmp(dot, "jpg") == 0 || strcasecmp(dot, "jpeg") == 0);
}

/* The entries of dir (files when want_dirs is false, folders otherwise). */
static int list_dir(const char *dir, bool want_dirs, const char *ext, struct strv *out,
		    char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];

	if (!d)
		return nrt_errf(err, errlen, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p ||
		    stat(p, &st) != 0)
			continue;
		if (want_dirs ? !S_ISDIR(st.st_mode) : (!S_ISREG(st.st_mode) ||
							!ext_matches(e->d_name, ext)))
			continue;
		if (strv_push(out, e->d_name)) {
			closedir(d);
			return nrt_errf(err, errlen, "%s: out of memory", dir);
		}
	}
	closedir(d);
	qsort(out->v, out->n, sizeof *out->v, cmp_str);
	return 0;
}

int nrt_folder_list(const char *root, const char *ext, int nclasses,
		    const char *const *classes, struct nrt_listing *l, char *err, size_t errlen)
{
	struct strv cls = { 0 }, files = { 0 };
	size_t total = 0, bytes = 0, at = 0;
	char dir[PATH_MAX], *w = NULL;
	int rc = -1;

	memset(l, 0, sizeof *l);
	if (classes) {
		for (int c = 0; c < nclasses; c++)
			if (strv_push(&cls, classes[c])) {
				nrt_errf(err, errlen, "%s: out of memory", root);
				goto out;
			}
	} else {
		if (list_dir(root, true, ext, &cls, err, errlen))
			goto out;
		if (cls.n == 0) {
			nrt_errf(err, errlen, "%s: no class folders (expected root/<class>/*.%s)",
				 root, ext);
			goto out;
		}
		if (nclasses > 0 && cls.n != (size_t)nclasses) {
			nrt_errf(err, errlen, "%s: %zu class folders, but classes is %d", root,
				 cls.n, nclasses);
			goto out;
		}
	}
	/* two passes: count the files and bytes, then fill */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t c = 0; c < cls.n; c++) {
			if (snprintf(dir, sizeof dir, "%s/%s", root, cls.v[c]) >= (int)sizeof dir) {
				nrt_errf(err, errlen, "%s/%s: path too long", root, cls.v[c]);
				goto out;
			}
			strv_free(&files);
			if (list_dir(dir, false, ext, &files, err, errlen))
				goto out;
			for (size_t f = 0; f < files.n; f++) {
				size_t len = strlen(cls.v[c]) + 1 + strlen(files.v[f]) + 1;
				if (pass == 0) {
					total++;
					bytes += len;
					continue;
				}
				if (at >= total || bytes < len) {
					nrt_errf(err, errlen, "%s: the folder changed while it was read",
						 root);
					goto out;
				}
				bytes -= len;
				snprintf(w, len, "%s/%s", cls.v[c], files.v[f]);
				l->path[at] = w;
				l->label[at] = (int32_t)c;
				l->hot[at * cls.n + c] = 1;
				at++;
				w += len;
			}
		}
		if (pass == 0) {
			for (size_t c = 0; c < cls.n; c++)
				bytes += strlen(cls.v[c]) + 1;
			l->n = (int64_t)total;
			l->nclasses = (int)cls.n;
			l->buf = malloc(bytes + 1);
			l->class_name = calloc(cls.n + 1, sizeof *l->class_name);
			l->path = calloc(total + 1, sizeof *l->path);
			l->label = calloc(total + 1, sizeof *l->label);
			l->hot = calloc(total * cls.n + 1, 1);
			l->line = calloc(total + 1, sizeof *l->line);
			if (!l->buf || !l->class_name || !l->path || !l->label || !l->hot ||
			    !l->line) {
				nrt_errf(err, errlen, "%s: out of memory", root);
				goto out;
			}
			w = l->buf;
			for (size_t c = 0; c < cls.n; c++) {
				strcpy(w, cls.v[c]);
				l->class_name[c] = w;
				bytes -= strlen(w) + 1;
				w += strlen(w) + 1;
			}
		}
	}
	if (at != total) {
		nrt_errf(err, errlen, "%s: the folder changed while it was read", root);
		goto out;
	}
	if (total == 0) {
		nrt_errf(err, errlen, "%s: no *.%s files in the class folders", root, ext);
		goto out;
	}
	rc = 0;
out:
	strv_free(&cls);
	strv_free(&files);
	if (rc)
		nrt_listing_free(l);
	return rc;
}
