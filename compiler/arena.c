/* arena.c - bump allocator; see arena.h. */
#include "arena.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

enum { CHUNK_MIN = 64 * 1024 };

void arena_init(struct arena *a)
{
	memset(a, 0, sizeof *a);
	a->fail_after = -1;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head, *n;
	for (; c; c = n) {
		n = c->next;
		free(c);
	}
	a->head = NULL;
	a->used_total = 0;
}

/* Fault injection: true when this allocation is the one to fail. */
static bool inject(struct arena *a)
{
	if (a->fail_after < 0)
		return false;
	if (a->fail_after == 0)
		return true;
	a->fail_after--;
	return false;
}

static void *fail(struct arena *a)
{
	if (a->oom)
		longjmp(*a->oom, 1);
	return NULL;
}

void *netc_malloc(struct arena *a, size_t n)
{
	void *p = inject(a) ? NULL : malloc(n);
	return p ? p : fail(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	if (inject(a))
		return fail(a);
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (!c || c->size - c->used < n) {
		size_t sz = n > CHUNK_MIN ? n : CHUNK_MIN;
		if (sz > SIZE_MAX - sizeof *c) {
			if (a->oom)
				longjmp(*a->oom, 1);
			return NULL;
		}
		c = netc_malloc(a, sizeof *c + sz);
		if (!c)
			return NULL;
		c->size = sz;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	a->used_total += n;
	memset(p, 0, n);
	return p;
}

void *arena_array(struct arena *a, size_t n, size_t sz)
{
	size_t t;
	if (__builtin_mul_overflow(n, sz, &t)) {
		if (a->oom)
			longjmp(*a->oom, 1);
		return NULL;
	}
	return arena_alloc(a, t);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void *arena_grow(struct arena *a, void *v, int *cap, int n, size_t sz)
{
	if (n < *cap)
		return v;
	int nc = *cap ? *cap * 2 : 8;
	void *nv = arena_array(a, (size_t)nc, sz);
	if (!nv)
		return NULL;
	if (v)
		memcpy(nv, v, (size_t)*cap * sz);
	*cap = nc;
	return nv;
}
