/* gc.h - the gradient-check harness for the reference kernels.
 *
 * A problem is a kernel call with its inputs as float64 arrays.  The
 * harness checks, for the functional f = sum(out * r) with a random r:
 *   - the float64 analytic gradient of f w.r.t. every element of every
 *     differentiable input against central differences with step 1e-6,
 *     |analytic - numeric| <= 1e-5 + 1e-3 |numeric| for every element;
 *   - the float32 kernels against the float64 ones on the same inputs
 *     (output and every gradient), within 1e-4 relative to
 *     max(|float64 value|, rms of the float64 tensor). */
#ifndef GC_H
#define GC_H

#include <stdint.h>
#include <stdio.h>

enum { GC_MAX_IN = 8 };

/* A deterministic generator for the test data (splitmix64). */
struct gc_rng {
	uint64_t s;
};

void gc_seed(struct gc_rng *r, uint64_t seed);
/* Uniform in [lo, hi). */
double gc_uniform(struct gc_rng *r, double lo, double hi);
/* Uniform integer in [0, n). */
int64_t gc_below(struct gc_rng *r, int64_t n);
/* n uniform values in [lo, hi). */
void gc_fill(struct gc_rng *r, double *v, int64_t n, double lo, double hi);
/* n values at least `gap` apart from each other (no ties for max). */
void gc_fill_distinct(struct gc_rng *r, double *v, int64_t n, double gap);
/* Draw again, from [lo, hi), every value within `margin` of `kink`. */
void gc_avoid(struct gc_rng *r, double *v, int64_t n, double kink, double margin,
	      double lo, double hi);
/* A malloc'd array of n doubles (zeroed); aborts when out of memory. */
double *gc_alloc(int64_t n);

/* The kernel under test.  in[i] points at nin input arrays in the
 * precision asked (prec 32: float, 64: double; NULL for an absent one);
 * out has out_len elements of that precision; in bwd, grad[i] is NULL for
 * inputs that are not differentiated. */
typedef void gc_fwd_fn(const void *ctx, int prec, void *const *in, void *out);
typedef void gc_bwd_fn(const void *ctx, int prec, void *const *in, const void *dy,
		       void *const *grad);

struct gc_input {
	const char *name;      /* "x", "weight", ... for messages */
	double *v;             /* the values; NULL: absent (no bias) */
	int64_t len;
	int diff;              /* check the gradient w.r.t. it */
};

struct gc_problem {
	const char *family;    /* the report line it counts in */
	char label[128];       /* the case, for messages */
	int nin;
	struct gc_input in[GC_MAX_IN];
	int64_t out_len;
	gc_fwd_fn *fwd;
	gc_bwd_fn *bwd;
	const void *ctx;       /* descriptor and anything else the kernel needs */
};

/* Worst errors and counts of one family. */
struct gc_family {
	const char *name;
	double worst_grad;     /* max |analytic - numeric| (known-value checks: max error) */
	double worst_ratio;    /* max |analytic - numeric| / (1e-5 + 1e-3 |numeric|) */
	double worst_f32;      /* max relative float32 vs float64 (or known value) difference */
	int passed, failed;
};

/* Totals over the run, and the family being filled. */
struct gc_report {
	struct gc_family fam[64];
	int nfam;
	int passed, failed;
	int verbose;
};

/* Check problem p; counts it in its family.  Returns 1 when it passed. */
int gc_check(struct gc_report *rep, const struct gc_problem *p, struct gc_rng *rng);
/* Count a check in its family with its worst errors (for checks that
 * are not gradient checks: against known values, in float64 and float32;
 * negative: none). */
void gc_count(struct gc_report *rep, const char *family, int ok, double err, double err_f32);
/* Start a problem: family, label (printf), no inputs yet. */
void gc_problem_init(struct gc_problem *p, const char *family, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append an input (v may be NULL: absent). */
void gc_add_input(struct gc_problem *p, const char *name, double *v, int64_t len, int diff);
/* Free the inputs' arrays. */
void gc_problem_free(struct gc_problem *p);
/* Print one line per family and the totals; returns the number failed. */
int gc_summary(const struct gc_report *rep, FILE *out);

/* Call nrt_ref_<fn>_f32 or _f64 by prec; the harness's void pointers
 * convert to either element type. */
#define GC_CALL(prec, fn, ...)                                  \
	do {                                                    \
		if ((prec) == 32)                               \
			nrt_ref_##fn##_f32(__VA_ARGS__);        \
		else                                            \
			nrt_ref_##fn##_f64(__VA_ARGS__);        \
	} while (0)

/* Store a loss value of either precision in out[0]. */
#define GC_STORE(prec, out, f32_value, f64_value)               \
	do {                                                    \
		if ((prec) == 32)                               \
			*(float *)(out) = (f32_value);          \
		else                                            \
			*(double *)(out) = (f64_value);         \
	} while (0)

/* The case families, one file each. */
void gc_conv_cases(struct gc_report *rep);
void gc_pool_cases(struct gc_report *rep);
void gc_misc_cases(struct gc_report *rep);
void gc_loss_cases(struct gc_report *rep);
void gc_optim_cases(struct gc_report *rep);
void gc_known_cases(struct gc_report *rep);
void gc_pytorch_cases(struct gc_report *rep);

#endif
