/* diag.c - GNU-style diagnostics with source line and caret; see diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(struct diag_ctx *d, FILE *out)
{
	memset(d, 0, sizeof *d);
	d->out = out ? out : stderr;
	d->error_limit = 20;
}

void diag_free(struct diag_ctx *d)
{
	for (int i = 0; i < d->nfiles; i++) {
		free((char *)d->files[i].path);
		free((char *)d->files[i].text);
	}
	free(d->files);
	d->files = NULL;
	free(d->seen);
	d->seen = NULL;
	d->nseen = d->capseen = 0;
	d->nfiles = d->capfiles = 0;
}

int diag_add_file(struct diag_ctx *d, const char *path, const char *text, size_t len)
{
	if (d->nfiles == d->capfiles) {
		int nc = d->capfiles ? d->capfiles * 2 : 8;
		struct src_file *nf = realloc(d->files, (size_t)nc * sizeof *nf);
		if (!nf)
			return -1;
		d->files = nf;
		d->capfiles = nc;
	}
	char *p = strdup(path);
	char *t = malloc(len + 1);
	if (!p || !t) {
		free(p);
		free(t);
		return -1;
	}
	memcpy(t, text, len);
	t[len] = 0;
	d->files[d->nfiles] = (struct src_file){ p, t, len };
	return d->nfiles++;
}

struct loc loc_none(void)
{
	return (struct loc){ -1, 0, 0, 0, 0 };
}

struct loc loc_span(struct loc a, struct loc b)
{
	if (a.file != b.file || b.file < 0)
		return a;
	a.end_line = b.end_line;
	a.end_col = b.end_col;
	return a;
}

/* Find the start of line `line` (1-based) and its length in bytes. */
static const char *find_line(const struct src_file *f, int line, size_t *len)
{
	const char *p = f->text, *end = f->text + f->len;
	for (int l = 1; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	if (p > end)
		return NULL;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	return p;
}

/* Where line `line` of file f came from (diag_ctx.segs): its path and line. */
static const char *map_line(const struct diag_ctx *d, int f, int line, int *out)
{
	const struct diag_seg *g = NULL;
	*out = line;
	if (!d->map_path || f < 0 || f >= d->nfiles || strcmp(d->files[f].path, d->map_path) != 0)
		return f >= 0 && f < d->nfiles ? d->files[f].path : NULL;
	for (int i = 0; i < d->nsegs; i++)
		if (d->segs[i].line <= line)
			g = &d->segs[i];
	if (!g)
		return d->files[f].path;
	*out = line - g->line + g->first_line;
	return g->path;
}

const char *diag_origin(const struct diag_ctx *d, struct loc at)
{
	int line;
	return map_line(d, at.file, at.line, &line);
}

enum { SHOW_MAX = 240 };  /* characters of a source line we print */

/* Print the source line and a caret line under [col, end_col). */
static void show_source(struct diag_ctx *d, struct loc at)
{
	if (at.file < 0 || at.file >= d->nfiles || at.line <= 0)
		return;
	size_t len;
	const char *s = find_line(&d->files[at.file], at.line, &len);
	if (!s)
		return;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (at.line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		len -= 3;
	}
	/* Work in characters: skip the UTF-8 continuation bytes.  Lines that
	 * are very long are shown around the caret only. */
	int first = 1;
	if (at.col > SHOW_MAX - 40)
		first = at.col - 40;
	int endc = at.end_line == at.line && at.end_col > at.col ? at.end_col : at.col + 1;
	char buf[SHOW_MAX * 4 + 8], car[SHOW_MAX + 8];
	size_t nb = 0, nc = 0;
	int col = 1, shown = 0;
	for (size_t i = 0; i < len && shown < SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c & 0xC0) == 0x80) {   /* continuation byte */
			if (col - 1 >= first && nb > 0)
				buf[nb++] = (char)c;
			continue;
		}
		if (col >= first) {
			/* Replace control bytes and NUL so the terminal shows the column. */
			buf[nb++] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
			shown++;
			if (col < endc)
				car[nc++] = col < at.col ? (c == '\t' ? '\t' : ' ')
					  : col == at.col ? '^' : '~';
		}
		col++;
	}
	/* A caret past the end of the line (end of input, missing token). */
	if (at.col >= col && nc < SHOW_MAX) {
		for (; col < at.col && nc < SHOW_MAX; col++)
			car[nc++] = ' ';
		car[nc++] = '^';
	}
	/* Trim trailing spaces of the caret line. */
	while (nc > 0 && (car[nc - 1] == ' '))
		nc--;
	int shown_line;
	map_line(d, at.file, at.line, &shown_line);
	fprintf(d->out, "%5d | %s%.*s\n", shown_line, first > 1 ? "..." : "", (int)nb, buf);
	fprintf(d->out, "      | %s%.*s\n", first > 1 ? "   " : "", (int)nc, car);
}

static void vreport(struct diag_ctx *d, struct loc at, const char *kind,
		    const char *fmt, va_list ap)
{
	int line;
	const char *path = map_line(d, at.file, at.line, &line);
	if (path)
		fprintf(d->out, "%s:%d:%d: %s: ", path, line, at.col, kind);
	else
		fprintf(d->out, "netc: %s: ", kind);
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
	show_source(d, at);
}

static unsigned long long fnv(unsigned long long h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

/* True when the error fmt/ap at `at` was printed before; else it is
 * remembered (when memory allows). */
static bool seen_before(struct diag_ctx *d, struct loc at, const char *fmt, va_list ap)
{
	char msg[1024];
	int line;
	const char *path = map_line(d, at.file, at.line, &line);
	unsigned long long h = 0xcbf29ce484222325ull;

	vsnprintf(msg, sizeof msg, fmt, ap);
	h = fnv(h, msg, strlen(msg) + 1);
	if (path)
		h = fnv(h, path, strlen(path) + 1);
	h = fnv(h, &line, sizeof line);
	h = fnv(h, &at.col, sizeof at.col);
	for (int i = 0; i < d->nseen; i++)
		if (d->seen[i] == h)
			return true;
	if (d->nseen == d->capseen) {
		int nc = d->capseen ? 2 * d->capseen : 16;
		unsigned long long *v = realloc(d->seen, (size_t)nc * sizeof *v);
		if (!v)
			return false;
		d->seen = v;
		d->capseen = nc;
	}
	d->seen[d->nseen++] = h;
	return false;
}

void diag_error(struct diag_ctx *d, struct loc at, const char *fmt, ...)
{
	va_list ap;
	bool again;

	d->nerrors++;
	d->last_shown = false;
	if (d->stopped)
		return;
	va_start(ap, fmt);
	again = seen_before(d, at, fmt, ap);
	va_end(ap);
	if (again) {   /* once is enough: its notes go with it */
		d->nrepeated++;
		return;
	}
	if (d->error_limit > 0 && diag_shown_errors(d) > d->error_limit) {
		d->stopped = true;
		fprintf(d->out, "netc: fatal error: too many errors emitted (limit %d), stopping now [--error-limit]\n",
			d->error_limit);
		return;
	}
	va_start(ap, fmt);
	vreport(d, at, "error", fmt, ap);
	va_end(ap);
	d->last_shown = true;
}

void diag_warning(struct diag_ctx *d, struct loc at, const char *fmt, ...)
{
	d->nwarnings++;
	d->last_shown = false;
	if (d->stopped)
		return;
	va_list ap;
	va_start(ap, fmt);
	vreport(d, at, "warning", fmt, ap);
	va_end(ap);
	d->last_shown = true;
}

void diag_note(struct diag_ctx *d, struct loc at, const char *fmt, ...)
{
	if (!d->last_shown)
		return;
	va_list ap;
	va_start(ap, fmt);
	vreport(d, at, "note", fmt, ap);
	va_end(ap);
}
