/* value.c - compile-time values, name suggestions and the string map. */
#include "value.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct value *val_new(struct arena *A, enum vkind k, struct loc at)
{
	struct value *v = arena_alloc(A, sizeof *v);
	v->kind = k;
	v->loc = at;
	return v;
}

struct value *val_int(struct arena *A, int64_t i, struct loc at)
{
	struct value *v = val_new(A, V_INT, at);
	v->i = i;
	return v;
}

struct value *val_float(struct arena *A, double f, struct loc at)
{
	struct value *v = val_new(A, V_FLOAT, at);
	v->f = f;
	return v;
}

struct value *val_error(struct arena *A, struct loc at)
{
	return val_new(A, V_ERROR, at);
}

const char *val_describe(struct arena *A, const struct value *v)
{
	char buf[128];
	switch (v->kind) {
	case V_ERROR: return "an erroneous value";
	case V_INT: return arena_printf(A, "integer %" PRId64, v->i);
	case V_FLOAT: return arena_printf(A, "number %g", v->f);
	case V_BOOL: return v->i ? "true" : "false";
	case V_STR: return arena_printf(A, "string \"%.40s\"", v->s);
	case V_SYM: return arena_printf(A, "name '%.60s'", v->s);
	case V_LIST: return arena_printf(A, "list of %d", v->n);
	case V_TENSOR: return arena_printf(A, "tensor %s", shape_str(&v->node->shape, buf, sizeof buf));
	case V_LAYER: return arena_printf(A, "layer '%s'", v->layer->name ? v->layer->name : "?");
	case V_RECORD: return arena_printf(A, "%s(...)", v->s);
	}
	return "?";
}

bool val_number(const struct value *v, double *out)
{
	if (v->kind == V_INT) {
		*out = (double)v->i;
		return true;
	}
	if (v->kind == V_FLOAT) {
		*out = v->f;
		return true;
	}
	return false;
}

static void print_args(FILE *out, const struct varg *a, int n)
{
	fputc('(', out);
	for (int i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		if (a[i].name)
			fprintf(out, "%s = ", a[i].name);
		val_print(out, a[i].v);
	}
	fputc(')', out);
}

void val_print(FILE *out, const struct value *v)
{
	char buf[128];
	switch (v->kind) {
	case V_ERROR: fputs("<error>", out); break;
	case V_INT: fprintf(out, "%" PRId64, v->i); break;
	case V_FLOAT: fprintf(out, "%.17g", v->f); break;
	case V_BOOL: fputs(v->i ? "true" : "false", out); break;
	case V_STR: fprintf(out, "\"%s\"", v->s); break;
	case V_SYM: fputs(v->s, out); break;
	case V_LIST:
		fputs(v->pipeline ? "" : "[", out);
		for (int i = 0; i < v->n; i++) {
			if (i)
				fputs(v->pipeline ? " => " : ", ", out);
			val_print(out, v->items[i]);
		}
		fputs(v->pipeline ? "" : "]", out);
		break;
	case V_TENSOR: fprintf(out, "%s%s", v->node->name, shape_str(&v->node->shape, buf, sizeof buf)); break;
	case V_LAYER:
		fputs(v->layer->name ? v->layer->name : "layer", out);
		if (v->layer->nargs)
			print_args(out, v->layer->args, v->layer->nargs);
		break;
	case V_RECORD:
		fputs(v->s, out);
		print_args(out, v->args, v->nargs);
		break;
	}
}

/* Levenshtein distance, bounded by `limit` (returns limit+1 past it). */
static int edit_distance(const char *a, const char *b, int limit)
{
	int la = (int)strlen(a), lb = (int)strlen(b);
	if (abs(la - lb) > limit || la > 64 || lb > 64)
		return limit + 1;
	int prev[65], cur[65];
	for (int j = 0; j <= lb; j++)
		prev[j] = j;
	for (int i = 1; i <= la; i++) {
		cur[0] = i;
		for (int j = 1; j <= lb; j++) {
			int c = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < c)
				c = prev[j] + 1;
			if (cur[j - 1] + 1 < c)
				c = cur[j - 1] + 1;
			cur[j] = c;
		}
		memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
	}
	return prev[lb];
}

const char *suggest(const char *name, const char *const *cands, int n)
{
	int len = (int)strlen(name);
	int limit = len < 3 ? 1 : len / 3 + 1;
	const char *best = NULL;
	int bestd = limit + 1;
	for (int i = 0; i < n; i++) {
		if (!cands[i] || strcmp(cands[i], name) == 0)
			continue;
		int d = edit_distance(name, cands[i], limit);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return best;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	for (uint64_t i = hash_str(key) & (uint64_t)(m->cap - 1);; i = (i + 1) & (uint64_t)(m->cap - 1)) {
		if (!m->keys[i])
			return NULL;
		if (strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	}
}

void strmap_put(struct arena *A, struct strmap *m, const char *key, void *val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct strmap nm = { 0 };
		nm.cap = m->cap ? m->cap * 2 : 16;
		nm.keys = arena_array(A, (size_t)nm.cap, sizeof *nm.keys);
		nm.vals = arena_array(A, (size_t)nm.cap, sizeof *nm.vals);
		for (int i = 0; i < m->cap; i++)
			if (m->keys[i])
				strmap_put(A, &nm, m->keys[i], m->vals[i]);
		*m = nm;
	}
	uint64_t i = hash_str(key) & (uint64_t)(m->cap - 1);
	for (; m->keys[i]; i = (i + 1) & (uint64_t)(m->cap - 1))
		if (strcmp(m->keys[i], key) == 0) {
			m->vals[i] = val;
			return;
		}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
}
