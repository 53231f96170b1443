/* labels.c - a label file (a parsed CSV table) into the listing of the
 * data pipeline: image paths, class ids or multi-hot label sets, groups
 * (see csv.h). */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "util.h"

void nrt_listing_free(struct nrt_listing *l)
{
	if (!l)
		return;
	free(l->class_name);
	free(l->path);
	free(l->label);
	free(l->hot);
	free(l->group);
	free(l->line);
	free(l->buf);
	memset(l, 0, sizeof *l);
}

/* A class name with its id, sorted by name for bsearch. */
struct cname {
	const char *name;
	size_t len;
	int id;
};

static int cname_cmp(const void *a, const void *b)
{
	const struct cname *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The next label of cell at *p (split on sep, "" the whole cell): its start
 * and length; false at the end. */
static bool next_label(const char **p, const char *sep, const char **s, size_t *n)
{
	size_t sl = strlen(sep);
	const char *q;

	if (!*p)
		return false;
	*s = *p;
	q = sl ? strstr(*p, sep) : NULL;
	if (q) {
		*n = (size_t)(q - *p);
		*p = q + sl;
	} else {
		*n = strlen(*p);
		*p = NULL;
	}
	return true;
}

static int missing_column(const struct nrt_csv *t, const char *name, const char *what,
			  const char *col, char *err, size_t errlen)
{
	char cols[256];
	size_t o = 0;
	cols[0] = '\0';
	for (int i = 0; i < t->ncols && o + 4 < sizeof cols; i++) {
		int w = snprintf(cols + o, sizeof cols - o, "%s'%s'", i ? ", " : "", t->header[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (o >= sizeof cols)
		strcpy(cols + sizeof cols - 5, "...");
	return nrt_errf(err, errlen, "%s:1: no column '%s' (the %s column) in the header; it has %s",
			name, col, what, cols);
}

/* Collect the distinct labels of column lc (not no_finding) into a sorted,
 * NULL-free array of pointers into a fresh buffer. */
static int collect_classes(const struct nrt_csv *t, int lc, const struct nrt_label_opts *o,
			   const char *sep, char ***names, int *count, char **store)
{
	size_t cap = 16, n = 0, bytes = 0;
	struct cname *v = malloc(cap * sizeof *v);
	char *buf, *w;

	if (!v)
		return -1;
	for (int64_t r = 0; r < t->nrows; r++) {
		const char *p = nrt_csv_cell(t, r, lc), *s;
		size_t len;
		if (o->multi_label && strcmp(p, o->no_finding) == 0)
			continue;
		while (next_label(&p, sep, &s, &len)) {
			if (len == 0)
				continue;
			bool seen = false;
			for (size_t i = 0; i < n && !seen; i++)
				seen = v[i].len == len && memcmp(v[i].name, s, len) == 0;
			if (seen)
				continue;
			if (n == cap) {
				struct cname *nv = realloc(v, 2 * cap * sizeof *v);
				if (!nv) {
					free(v);
					return -1;
				}
				v = nv;
				cap *= 2;
			}
			v[n++] = (struct cname){ s, len, 0 };
			bytes += len + 1;
		}
	}
	qsort(v, n, sizeof *v, cname_cmp);
	buf = malloc(bytes + 1);
	*names = malloc((n ? n : 1) * sizeof **names);
	if (!buf || !*names) {
		free(buf);
		free(*names);
		free(v);
		return -1;
	}
	w = buf;
	for (size_t i = 0; i < n; i++) {
		memcpy(w, v[i].name, v[i].len);
		w[v[i].len] = '\0';
		(*names)[i] = w;
		w += v[i].len + 1;
	}
	free(v);
	*count = (int)n;
	*store = buf;
	return 0;
}

int nrt_labels_from_csv(const struct nrt_csv *t, const char *name,
			const struct nrt_label_opts *o, struct nrt_listing *l, char *err, size_t errlen)
{
	const char *sep = o->sep ? o->sep : "";
	const char *nofind = o->no_finding ? o->no_finding : "No Finding";
	struct nrt_label_opts oo = *o;
	int ic, lc, gc = -1, nc = o->nclasses;
	char **collected = NULL, *cstore = NULL, *w;
	struct cname *sorted = NULL;
	size_t bytes = 0;
	bool counted = false;

	oo.no_finding = nofind;
	memset(l, 0, sizeof *l);
	ic = nrt_csv_column(t, o->image);
	if (ic < 0)
		return missing_column(t, name, "image", o->image, err, errlen);
	lc = nrt_csv_column(t, o->labels);
	if (lc < 0)
		return missing_column(t, name, "label", o->labels, err, errlen);
	if (o->group && o->group[0]) {
		gc = nrt_csv_column(t, o->group);
		if (gc < 0)
			return missing_column(t, name, "group", o->group, err, errlen);
	}
	if (nc == 0 && !o->classes) {
		if (collect_classes(t, lc, &oo, o->multi_label ? sep : "", &collected, &nc, &cstore))
			return nrt_errf(err, errlen, "%s: out of memory", name);
		if (nc == 0) {
			free(collected);
			free(cstore);
			return nrt_errf(err, errlen, "%s: no labels in column '%s'", name, o->labels);
		}
	} else if (!o->classes) {
		counted = true;
	}

	/* the strings: paths, groups, class names */
	for (int64_t r = 0; r < t->nrows; r++) {
		bytes += strlen(nrt_csv_cell(t, r, ic)) + 1;
		if (gc >= 0)
			bytes += strlen(nrt_csv_cell(t, r, gc)) + 1;
	}
	for (int c = 0; c < nc; c++)
		bytes += (counted ? 12 : strlen(collected ? collected[c] : o->classes[c])) + 1;
	l->n = t->nrows;
	l->nclasses = nc;
	l->buf = malloc(bytes + 1);
	l->class_name = calloc((size_t)nc + 1, sizeof *l->class_name);
	l->path = calloc((size_t)l->n + 1, sizeof *l->path);
	l->label = calloc((size_t)l->n + 1, sizeof *l->label);
	l->hot = calloc((size_t)l->n * (size_t)nc + 1, 1);
	l->group = gc >= 0 ? calloc((size_t)l->n + 1, sizeof *l->group) : NULL;
	l->line = calloc((size_t)l->n + 1, sizeof *l->line);
	sorted = malloc(((size_t)nc + 1) * sizeof *sorted);
	if (!l->buf || !l->class_name || !l->path || !l->label || !l->hot ||
	    (gc >= 0 && !l->group) || !l->line || !sorted) {
		nrt_errf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	w = l->buf;
	for (int c = 0; c < nc; c++) {
		if (counted)
			snprintf(w, 12, "%d", c);
		else
			strcpy(w, collected ? collected[c] : o->classes[c]);
		l->class_name[c] = w;
		sorted[c] = (struct cname){ w, strlen(w), c };
		w += strlen(w) + 1;
	}
	qsort(sorted, (size_t)nc, sizeof *sorted, cname_cmp);

	for (int64_t r = 0; r < t->nrows; r++) {
		const char *img = nrt_csv_cell(t, r, ic), *p = nrt_csv_cell(t, r, lc), *s;
		long long ln = (long long)t->line[r];
		size_t len;
		int nlab = 0;

		l->line[r] = t->line[r];
		if (!img[0]) {
			nrt_errf(err, errlen, "%s:%lld: empty image cell (column '%s')", name, ln,
				 o->image);
			goto fail;
		}
		strcpy(w, img);
		l->path[r] = w;
		w += strlen(w) + 1;
		if (gc >= 0) {
			strcpy(w, nrt_csv_cell(t, r, gc));
			l->group[r] = w;
			w += strlen(w) + 1;
		}
		l->label[r] = -1;
		if (o->multi_label && strcmp(p, nofind) == 0)
			continue;                             /* the empty label set */
		if (!p[0] && o->multi_label)
			continue;
		if (!p[0]) {
			nrt_errf(err, errlen, "%s:%lld: empty label cell (column '%s')", name, ln,
				 o->labels);
			goto fail;
		}
		while (next_label(&p, o->multi_label ? sep : "", &s, &len)) {
			int id = -1;
			if (len == 0) {
				nrt_errf(err, errlen, "%s:%lld: empty label in '%s'", name, ln,
					 nrt_csv_cell(t, r, lc));
				goto fail;
			}
			if (counted) {
				char *end;
				char num[32];
				long v = -1;
				if (len < sizeof num) {
					memcpy(num, s, len);
					num[len] = '\0';
					v = strtol(num, &end, 10);
					if (*end)
						v = -1;
				}
				if (v >= 0 && v < nc)
					id = (int)v;
			} else {
				struct cname key = { s, len, 0 };
				struct cname *hit = bsearch(&key, sorted, (size_t)nc, sizeof *sorted,
							    cname_cmp);
				if (hit)
					id = hit->id;
			}
			if (id < 0) {
				if (counted)
					nrt_errf(err, errlen, "%s:%lld: unknown label '%.*s' (classes is "
						 "a count, %d: labels must be 0 to %d)", name, ln,
						 (int)len, s, nc, nc - 1);
				else
					nrt_errf(err, errlen, "%s:%lld: unknown label '%.*s' (not in "
						 "classes)", name, ln, (int)len, s);
				goto fail;
			}
			l->hot[(size_t)r * (size_t)nc + (size_t)id] = 1;
			l->label[r] = id;
			nlab++;
		}
		if (!o->multi_label && nlab != 1) {
			nrt_errf(err, errlen, "%s:%lld: one label expected, got '%s'", name, ln,
				 nrt_csv_cell(t, r, lc));
			goto fail;
		}
		if (o->multi_label)
			l->label[r] = -1;
	}
	free(sorted);
	free(collected);
	free(cstore);
	return 0;
fail:
	free(sorted);
	free(collected);
	free(cstore);
	nrt_listing_free(l);
	return -1;
}
