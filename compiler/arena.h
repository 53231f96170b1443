/* arena.h - bump allocator for everything that lives as long as one
 * compilation (AST, values, graph IR).  Nothing allocated here is freed
 * one by one; arena_free() releases all of it at once.
 *
 * Out of memory: the arena calls its `oom` jump buffer (set by the
 * compilation driver with setjmp), so library code never calls exit().
 * Tests make the n-th allocation fail through `fail_after`. */
#ifndef NETC_ARENA_H
#define NETC_ARENA_H

#include <setjmp.h>
#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;   /* newest chunk first */
	size_t used_total;          /* bytes handed out, for statistics */
	jmp_buf *oom;               /* where to go when malloc fails; NULL: return NULL */
	long fail_after;            /* fault injection: the allocation (arena_alloc or
				     * netc_malloc call) after this many fails; <0 = never */
};

/* Initialise an empty arena; no memory is taken until the first alloc. */
void arena_init(struct arena *a);
/* Release every chunk. The arena can be reused after arena_init(). */
void arena_free(struct arena *a);
/* Zeroed, 16-byte aligned memory; NULL (or longjmp) on failure. */
void *arena_alloc(struct arena *a, size_t n);
/* Array of n elements of size sz with overflow check. */
void *arena_array(struct arena *a, size_t n, size_t sz);
/* Copy of s[0..n) with a terminating NUL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* printf into the arena. */
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Grow *v (an arena array of *cap elements of size sz) to hold n+1. */
void *arena_grow(struct arena *a, void *v, int *cap, int n, size_t sz);

/* The one allocator hook: every malloc of the compiler goes through
 * netc_malloc so that the fault-injection counter sees it. */
void *netc_malloc(struct arena *a, size_t n);

#endif
