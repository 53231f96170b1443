/* defs.c - splitting entered text into top-level definitions and keeping
 * them by name (defs.h).  The splitting is a small scanner that knows the
 * lexical rules that matter for it (# and block comments, "strings",
 * brackets); the definitions themselves are parsed and checked by sema. */
#include "repl/defs.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = { "import", "block", "network", "data", "train" };

const char *def_kind_name(enum def_kind k)
{
	return k >= DEF_IMPORT && k <= DEF_TRAIN ? kind_names[k] : "?";
}

struct scan {
	const char *s;
	size_t i;
	int line, col;
};

static void adv(struct scan *c)
{
	if (c->s[c->i] == '\n')
		c->line++, c->col = 1;
	else if (((unsigned char)c->s[c->i] & 0xC0) != 0x80)
		c->col++;
	c->i++;
}

/* Skip white space and comments; false at an unterminated comment. */
static bool skip_space(struct scan *c)
{
	for (;;) {
		char ch = c->s[c->i];
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			adv(c);
		} else if (ch == '#') {
			while (c->s[c->i] && c->s[c->i] != '\n')
				adv(c);
		} else if (ch == '/' && c->s[c->i + 1] == '*') {
			adv(c), adv(c);
			while (c->s[c->i] && !(c->s[c->i] == '*' && c->s[c->i + 1] == '/'))
				adv(c);
			if (!c->s[c->i])
				return false;
			adv(c), adv(c);
		} else {
			return true;
		}
	}
}

/* Past a "string" (at its opening quote); false when it does not end on its line. */
static bool skip_string(struct scan *c)
{
	adv(c);
	while (c->s[c->i] && c->s[c->i] != '"' && c->s[c->i] != '\n') {
		if (c->s[c->i] == '\\' && c->s[c->i + 1])
			adv(c);
		adv(c);
	}
	if (c->s[c->i] != '"')
		return false;
	adv(c);
	return true;
}

bool defs_open(const char *text)
{
	struct scan c = { text, 0, 1, 1 };
	int depth = 0;
	for (;;) {
		if (!skip_space(&c))
			return true;   /* inside a comment */
		char ch = c.s[c.i];
		if (!ch)
			return depth > 0;
		if (ch == '"') {
			if (!skip_string(&c))
				return false;   /* sema reports it */
			continue;
		}
		if (ch == '(' || ch == '[' || ch == '{')
			depth++;
		else if ((ch == ')' || ch == ']' || ch == '}') && depth > 0)
			depth--;
		adv(&c);
	}
}

static int errf(char *err, size_t n, const char *origin, const struct scan *c, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int errf(char *err, size_t n, const char *origin, const struct scan *c, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(err, n, "%s:%d:%d: error: ", origin, c->line, c->col);
	va_start(ap, fmt);
	if (k >= 0 && (size_t)k < n)
		vsnprintf(err + k, n - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

static void free_def(struct def *d)
{
	free(d->name);
	free(d->text);
	free(d->origin);
}

static bool push(struct defs *S, struct def d)
{
	if (S->n == S->cap) {
		int nc = S->cap ? 2 * S->cap : 8;
		struct def *v = realloc(S->v, (size_t)nc * sizeof *v);
		if (!v)
			return false;
		S->v = v;
		S->cap = nc;
	}
	S->v[S->n++] = d;
	return true;
}

/* One definition at c (after white space): its kind, name and extent. */
static int split_one(struct scan *c, const char *origin, struct def *d, char *err, size_t errn)
{
	struct scan start = *c, w;
	size_t k0 = c->i, k;
	int kind = -1, depth = 0;

	while (isalnum((unsigned char)c->s[c->i]) || c->s[c->i] == '_')
		adv(c);
	for (int i = 0; i <= DEF_TRAIN; i++)
		if (c->i - k0 == strlen(kind_names[i]) && !memcmp(c->s + k0, kind_names[i], c->i - k0))
			kind = i;
	if (kind < 0)
		return errf(err, errn, origin, &start, "expected a definition (import, block, network, "
			    "data or train) or a :command (:help lists them)");
	memset(d, 0, sizeof *d);
	d->kind = kind;
	d->line = start.line;
	d->col = start.col;
	if (!skip_space(c))
		return errf(err, errn, origin, c, "unterminated comment");
	w = *c;
	if (kind == DEF_IMPORT) {
		if (c->s[c->i] != '"' || !skip_string(c))
			return errf(err, errn, origin, &w, "expected the module name in quotes after import");
		d->name = dupn(c->s + w.i + 1, c->i - w.i - 2);
	} else {
		k = c->i;
		while (isalnum((unsigned char)c->s[c->i]) || c->s[c->i] == '_')
			adv(c);
		if (c->i == k || isdigit((unsigned char)c->s[k]))
			return errf(err, errn, origin, &w, "expected the name of the %s", kind_names[kind]);
		d->name = dupn(c->s + k, c->i - k);
		/* to the brace that closes the body: brackets before it (parameters) nest */
		for (;;) {
			if (!skip_space(c))
				return free(d->name), errf(err, errn, origin, c, "unterminated comment");
			char ch = c->s[c->i];
			if (!ch) {
				errf(err, errn, origin, &start, "the %s '%s' does not end (a '}' is "
				     "missing)", kind_names[kind], d->name ? d->name : "");
				free(d->name);
				return -1;
			}
			if (ch == '"') {
				if (!skip_string(c))
					break;   /* sema reports the string */
				continue;
			}
			adv(c);
			if (ch == '(' || ch == '[' || ch == '{')
				depth++;
			else if (ch == ')' || ch == ']' || ch == '}')
				depth--;
			if (ch == '}' && depth <= 0)
				break;
		}
	}
	d->text = dupn(c->s + k0, c->i - k0);
	d->origin = strdup(origin);
	if (!d->name || !d->text || !d->origin) {
		free_def(d);
		return errf(err, errn, origin, &start, "out of memory");
	}
	return 0;
}

int defs_split(const char *text, const char *origin, int line, struct defs *out, char *err,
	       size_t errn)
{
	struct scan c = { text, 0, line, 1 };
	struct defs got = { 0 };

	for (;;) {
		struct def d;
		if (!skip_space(&c)) {
			defs_free(&got);
			return errf(err, errn, origin, &c, "unterminated comment");
		}
		if (!c.s[c.i])
			break;
		if (split_one(&c, origin, &d, err, errn) || !push(&got, d)) {
			defs_free(&got);
			return -1;
		}
	}
	for (int i = 0; i < got.n; i++)
		if (!push(out, got.v[i])) {
			for (int j = i; j < got.n; j++)
				free_def(&got.v[j]);
			free(got.v);
			snprintf(err, errn, "%s: error: out of memory", origin);
			return -1;
		}
	free(got.v);
	return 0;
}

const struct def *defs_find(const struct defs *S, enum def_kind k, const char *name)
{
	for (int i = 0; i < S->n; i++)
		if (S->v[i].kind == k && strcmp(S->v[i].name, name) == 0)
			return &S->v[i];
	return NULL;
}

bool defs_put(struct defs *S, struct def d)
{
	for (int i = 0; i < S->n; i++)
		if (S->v[i].kind == d.kind && strcmp(S->v[i].name, d.name) == 0) {
			free_def(&S->v[i]);
			S->v[i] = d;
			return true;
		}
	if (!push(S, d))
		free_def(&d);
	return false;
}

struct defs defs_copy(const struct defs *S)
{
	struct defs C = { 0 };
	for (int i = 0; i < S->n; i++) {
		struct def d = S->v[i];
		d.name = strdup(d.name);
		d.text = strdup(d.text);
		d.origin = strdup(d.origin);
		if (!d.name || !d.text || !d.origin || !push(&C, d)) {
			free_def(&d);
			defs_free(&C);
			return C;
		}
	}
	return C;
}

void defs_free(struct defs *S)
{
	for (int i = 0; i < S->n; i++)
		free_def(&S->v[i]);
	free(S->v);
	memset(S, 0, sizeof *S);
}

char *defs_text(const struct defs *S, struct diag_seg **segs, int *nsegs)
{
	size_t len = 1;
	int line = 1;
	char *t, *p;

	for (int i = 0; i < S->n; i++)
		len += (size_t)(S->v[i].col - 1) + strlen(S->v[i].text) + 1;
	t = malloc(len);
	*segs = calloc((size_t)(S->n > 0 ? S->n : 1), sizeof **segs);
	if (!t || !*segs) {
		free(t);
		free(*segs);
		*segs = NULL;
		return NULL;
	}
	p = t;
	for (int i = 0; i < S->n; i++) {
		const struct def *d = &S->v[i];
		(*segs)[i] = (struct diag_seg){ line, d->origin, d->line };
		for (int k = 1; k < d->col; k++)
			*p++ = ' ';
		size_t n = strlen(d->text);
		memcpy(p, d->text, n);
		p += n;
		*p++ = '\n';
		for (size_t k = 0; k < n; k++)
			line += d->text[k] == '\n';
		line++;
	}
	*p = 0;
	*nsegs = S->n;
	return t;
}
