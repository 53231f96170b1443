/* shape.h - static tensor shapes.  A shape never includes the batch
 * dimension: f32[3, 224, 224] has rank 3.  In messages, dimensions are
 * numbered with the batch as dimension 0, so channels are dimension 1. */
#ifndef NETC_SHAPE_H
#define NETC_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { SHAPE_MAX_RANK = 6 };

struct shape {
	int rank;
	int64_t d[SHAPE_MAX_RANK];
};

/* Largest size a single dimension or element count may have (2^40). */
#define SHAPE_DIM_MAX ((int64_t)1 << 40)

/* Product of the dimensions; false when it exceeds SHAPE_DIM_MAX. */
bool shape_numel(const struct shape *s, int64_t *out);
/* "[3,224,224]" into buf; returns buf. */
char *shape_str(const struct shape *s, char *buf, size_t n);
bool shape_eq(const struct shape *a, const struct shape *b);
/* Checked arithmetic on sizes: false on overflow past SHAPE_DIM_MAX. */
bool dim_mul(int64_t a, int64_t b, int64_t *out);
bool dim_add(int64_t a, int64_t b, int64_t *out);

#endif
