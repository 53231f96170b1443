/* shape.c - shape helpers with checked arithmetic. */
#include "shape.h"

#include <inttypes.h>
#include <stdio.h>

bool dim_mul(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r) || r > SHAPE_DIM_MAX || r < -SHAPE_DIM_MAX)
		return false;
	*out = r;
	return true;
}

bool dim_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r) || r > SHAPE_DIM_MAX || r < -SHAPE_DIM_MAX)
		return false;
	*out = r;
	return true;
}

bool shape_numel(const struct shape *s, int64_t *out)
{
	int64_t n = 1;
	for (int i = 0; i < s->rank; i++)
		if (!dim_mul(n, s->d[i], &n))
			return false;
	*out = n;
	return true;
}

char *shape_str(const struct shape *s, char *buf, size_t n)
{
	size_t k = 0;
	if (n == 0)
		return buf;
	buf[0] = 0;
	k += (size_t)snprintf(buf + k, n - k, "[");
	for (int i = 0; i < s->rank && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%" PRId64, i ? "," : "", s->d[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
	return buf;
}

bool shape_eq(const struct shape *a, const struct shape *b)
{
	if (a->rank != b->rank)
		return false;
	for (int i = 0; i < a->rank; i++)
		if (a->d[i] != b->d[i])
			return false;
	return true;
}
