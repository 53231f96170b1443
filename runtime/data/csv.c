/* csv.c - the CSV reader and the label-file listing (see csv.h).
 *
 * The parser is one pass over the text with a small state machine; cells
 * are unquoted into one buffer as large as the text (a cell never grows
 * when unquoted), so parsing allocates a fixed number of blocks. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "util.h"

void nrt_csv_free(struct nrt_csv *t)
{
	if (!t)
		return;
	free(t->header);
	free(t->cell);
	free(t->line);
	free(t->buf);
	memset(t, 0, sizeof *t);
}

/* A growing array of cell pointers and record lines. */
struct cells {
	char **v;
	size_t n, cap;
	int64_t *line;
	size_t nl, capl;
};

static int push_cell(struct cells *c, char *s)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		char **v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = s;
	return 0;
}

static int push_line(struct cells *c, int64_t line)
{
	if (c->nl == c->capl) {
		size_t cap = c->capl ? 2 * c->capl : 256;
		int64_t *v = realloc(c->line, cap * sizeof *v);
		if (!v)
			return -1;
		c->line = v;
		c->capl = cap;
	}
	c->line[c->nl++] = line;
	return 0;
}

/* Parse one record starting at text[*pos]: its cells go to c, *nf counts
 * them, *line advances over the newlines read.  Returns 1 for a record,
 * 0 for an empty line (nothing pushed), -1 on error. */
static int parse_record(const char *text, size_t len, size_t *pos, char sep, char **out,
			struct cells *c, int *nf, int64_t *line, const char *name, char *err,
			size_t errlen)
{
	size_t i = *pos;
	char *o = *out;
	int64_t start = *line;

	*nf = 0;
	if (i < len && (text[i] == '\n' || text[i] == '\r')) {     /* an empty line */
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			i++;
		*pos = i + 1;
		(*line)++;
		return 0;
	}
	for (;;) {
		char *cell = o;
		if (i < len && text[i] == '"') {                  /* quoted field */
			i++;
			for (;;) {
				if (i >= len) {
					nrt_errf(err, errlen, "%s:%lld: unterminated quoted field "
						 "(the quote opened here is never closed)",
						 name, (long long)start);
					return -1;
				}
				if (text[i] == '"') {
					if (i + 1 < len && text[i + 1] == '"') {
						*o++ = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				if (text[i] == '\n')
					(*line)++;
				*o++ = text[i++];
			}
			if (i < len && text[i] != sep && text[i] != '\n' && text[i] != '\r') {
				nrt_errf(err, errlen, "%s:%lld: expected '%c' or the end of the line "
					 "after a closing quote, got '%c'", name, (long long)*line, sep,
					 text[i]);
				return -1;
			}
		} else {
			while (i < len && text[i] != sep && text[i] != '\n' && text[i] != '\r') {
				if (text[i] == '"') {
					nrt_errf(err, errlen, "%s:%lld: a quote inside an unquoted field "
						 "(quote the whole field and write \"\" for a quote)",
						 name, (long long)*line);
					return -1;
				}
				*o++ = text[i++];
			}
		}
		*o++ = '\0';
		if (push_cell(c, cell)) {
			nrt_errf(err, errlen, "%s: out of memory", name);
			return -1;
		}
		(*nf)++;
		if (i < len && text[i] == sep) {
			i++;
			continue;
		}
		break;
	}
	/* the end of the record: LF, CRLF, CR or the end of the text */
	if (i < len) {
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			i++;
		i++;
		(*line)++;
	}
	*pos = i;
	*out = o;
	return 1;
}

int nrt_csv_parse(const char *text, size_t len, const char *name, char sep, struct nrt_csv *t,
		  char *err, size_t errlen)
{
	struct cells c = { 0 };
	size_t pos = 0;
	int64_t line = 1;
	char *o;
	int ncols = -1, nf, r;

	memset(t, 0, sizeof *t);
	if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
	    (unsigned char)text[2] == 0xBF)
		pos = 3;                                          /* UTF-8 BOM */
	t->buf = malloc(len + 1 > 1 ? len + 1 : 1);
	if (!t->buf) {
		nrt_errf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	o = t->buf;
	while (pos < len) {
		int64_t at = line;
		r = parse_record(text, len, &pos, sep, &o, &c, &nf, &line, name, err, errlen);
		if (r < 0)
			goto fail;
		if (r == 0)
			continue;
		if (ncols < 0) {
			ncols = nf;
		} else if (nf != ncols) {
			nrt_errf(err, errlen, "%s:%lld: expected %d fields (as in the header), got %d",
				 name, (long long)at, ncols, nf);
			goto fail;
		}
		if (push_line(&c, at)) {
			nrt_errf(err, errlen, "%s: out of memory", name);
			goto fail;
		}
	}
	if (ncols < 0) {
		nrt_errf(err, errlen, "%s:1: empty file (expected a header row)", name);
		goto fail;
	}
	t->ncols = ncols;
	t->nrows = (int64_t)c.nl - 1;
	t->header = malloc((size_t)ncols * sizeof *t->header);
	if (!t->header) {
		nrt_errf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	memcpy(t->header, c.v, (size_t)ncols * sizeof *t->header);
	t->cell = c.v;
	memmove(t->cell, c.v + ncols, (c.n - (size_t)ncols) * sizeof *c.v);
	t->line = c.line;
	memmove(t->line, c.line + 1, (c.nl - 1) * sizeof *c.line);
	return 0;
fail:
	free(c.v);
	free(c.line);
	nrt_csv_free(t);
	return -1;
}

int nrt_csv_read(const char *path, char sep, struct nrt_csv *t, char *err, size_t errlen)
{
	size_t len;
	char *text = nrt_read_file(path, &len, err, errlen);
	int r;

	if (!text)
		return -1;
	r = nrt_csv_parse(text, len, path, sep, t, err, errlen);
	free(text);
	return r;
}

int nrt_csv_column(const struct nrt_csv *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->header[i], name) == 0)
			return i;
	return -1;
}
