/* gc.c - the gradient-check harness; see gc.h. */
#include "gc.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define FD_STEP 1e-6      /* central-difference step */
#define TOL_ABS 1e-5      /* |analytic - numeric| <= TOL_ABS + TOL_REL |numeric| */
#define TOL_REL 1e-3
#define TOL_F32 1e-4      /* float32 vs float64, relative */
enum { SHOW_BAD = 5 };    /* mismatching elements printed per problem */

/* ---------------------------------------------------------------------
 * Random data
 * ------------------------------------------------------------------- */

void gc_seed(struct gc_rng *r, uint64_t seed)
{
	r->s = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
}

/* splitmix64 (Steele, Lea and Flood). */
static uint64_t next(struct gc_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

double gc_uniform(struct gc_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * (double)(next(r) >> 11) * 0x1p-53;
}

int64_t gc_below(struct gc_rng *r, int64_t n)
{
	return (int64_t)(next(r) % (uint64_t)n);
}

void gc_fill(struct gc_rng *r, double *v, int64_t n, double lo, double hi)
{
	for (int64_t i = 0; i < n; i++)
		v[i] = gc_uniform(r, lo, hi);
}

/* A shuffled ladder with steps of 2 gap, each rung jittered by less than
 * gap / 2, centred on 0. */
void gc_fill_distinct(struct gc_rng *r, double *v, int64_t n, double gap)
{
	for (int64_t i = 0; i < n; i++)
		v[i] = (double)(i - n / 2) * 2 * gap + gc_uniform(r, -gap / 2, gap / 2);
	for (int64_t i = n - 1; i > 0; i--) {
		int64_t j = gc_below(r, i + 1);
		double t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

void gc_avoid(struct gc_rng *r, double *v, int64_t n, double kink, double margin,
	      double lo, double hi)
{
	for (int64_t i = 0; i < n; i++)
		while (fabs(v[i] - kink) < margin)
			v[i] = gc_uniform(r, lo, hi);
}

double *gc_alloc(int64_t n)
{
	double *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
	if (!p) {
		fprintf(stderr, "gradcheck: out of memory\n");
		abort();
	}
	return p;
}

static float *alloc_f32(int64_t n)
{
	float *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
	if (!p) {
		fprintf(stderr, "gradcheck: out of memory\n");
		abort();
	}
	return p;
}

/* ---------------------------------------------------------------------
 * Problems
 * ------------------------------------------------------------------- */

void gc_problem_init(struct gc_problem *p, const char *family, const char *fmt, ...)
{
	va_list ap;
	memset(p, 0, sizeof *p);
	p->family = family;
	va_start(ap, fmt);
	vsnprintf(p->label, sizeof p->label, fmt, ap);
	va_end(ap);
}

void gc_add_input(struct gc_problem *p, const char *name, double *v, int64_t len, int diff)
{
	if (p->nin >= GC_MAX_IN) {
		fprintf(stderr, "gradcheck: %s: too many inputs\n", p->label);
		abort();
	}
	p->in[p->nin++] = (struct gc_input){ name, v, len, v ? diff : 0 };
}

void gc_problem_free(struct gc_problem *p)
{
	for (int i = 0; i < p->nin; i++)
		free(p->in[i].v);
	p->nin = 0;
}

static struct gc_family *family(struct gc_report *rep, const char *name)
{
	for (int i = 0; i < rep->nfam; i++)
		if (strcmp(rep->fam[i].name, name) == 0)
			return &rep->fam[i];
	if (rep->nfam == (int)(sizeof rep->fam / sizeof rep->fam[0])) {
		fprintf(stderr, "gradcheck: too many families\n");
		abort();
	}
	rep->fam[rep->nfam] = (struct gc_family){ .name = name };
	return &rep->fam[rep->nfam++];
}

/* sum(out * r) after running the float64 forward pass. */
static double functional(const struct gc_problem *p, void *const *in, double *out,
			 const double *r)
{
	double f = 0;
	p->fwd(p->ctx, 64, in, out);
	for (int64_t i = 0; i < p->out_len; i++)
		f += out[i] * r[i];
	return f;
}

/* The float64 analytic gradients against central differences; returns
 * the number of elements out of tolerance. */
static int64_t check_grad(const struct gc_problem *p, struct gc_family *fam, const double *r,
			  double *const *grad)
{
	void *in[GC_MAX_IN];
	double *out = gc_alloc(p->out_len);
	int64_t bad = 0;

	for (int i = 0; i < p->nin; i++)
		in[i] = p->in[i].v;
	for (int i = 0; i < p->nin; i++) {
		double *x = p->in[i].v;
		if (!p->in[i].diff)
			continue;
		for (int64_t e = 0; e < p->in[i].len; e++) {
			double v = x[e], hi = v + FD_STEP, lo = v - FD_STEP, fp, fm, num, err, tol;
			x[e] = hi;
			fp = functional(p, in, out, r);
			x[e] = lo;
			fm = functional(p, in, out, r);
			x[e] = v;
			num = (fp - fm) / (hi - lo);
			err = fabs(grad[i][e] - num);
			tol = TOL_ABS + TOL_REL * fabs(num);
			if (err > fam->worst_grad)
				fam->worst_grad = err;
			if (err / tol > fam->worst_ratio)
				fam->worst_ratio = err / tol;
			if (!(err <= tol)) {
				if (bad < SHOW_BAD)
					printf("FAIL %s: %s: d/d %s[%lld]: analytic %.10g, numeric %.10g\n",
					       p->family, p->label, p->in[i].name, (long long)e,
					       grad[i][e], num);
				bad++;
			}
		}
	}
	free(out);
	return bad;
}

/* The largest |got - ref| / max(|ref|, rms(ref)) over n elements. */
static double rel_f32(const double *ref, const float *got, int64_t n)
{
	double ss = 0, rms, worst = 0;
	for (int64_t i = 0; i < n; i++)
		ss += ref[i] * ref[i];
	rms = n > 0 ? sqrt(ss / (double)n) : 0;
	for (int64_t i = 0; i < n; i++) {
		double den = fmax(fmax(fabs(ref[i]), rms), 1e-30);
		double e = fabs((double)got[i] - ref[i]) / den;
		if (!(e <= worst))
			worst = isnan(e) ? INFINITY : e;
	}
	return worst;
}

/* The float32 kernels against the float64 ones: the output and every
 * gradient.  Returns 1 when they agree. */
static int check_f32(const struct gc_problem *p, struct gc_family *fam, const double *r,
		     double *const *grad)
{
	void *in32[GC_MAX_IN], *in64[GC_MAX_IN], *g32[GC_MAX_IN];
	double *y64 = gc_alloc(p->out_len), worst;
	float *y32 = alloc_f32(p->out_len), *r32 = alloc_f32(p->out_len);
	int ok;

	for (int i = 0; i < p->nin; i++) {
		float *v = NULL;
		in64[i] = p->in[i].v;
		g32[i] = NULL;
		if (p->in[i].v) {
			v = alloc_f32(p->in[i].len);
			for (int64_t e = 0; e < p->in[i].len; e++)
				v[e] = (float)p->in[i].v[e];
		}
		in32[i] = v;
		if (p->in[i].diff)
			g32[i] = alloc_f32(p->in[i].len);
	}
	for (int64_t e = 0; e < p->out_len; e++)
		r32[e] = (float)r[e];
	p->fwd(p->ctx, 64, in64, y64);
	p->fwd(p->ctx, 32, in32, y32);
	worst = rel_f32(y64, y32, p->out_len);
	p->bwd(p->ctx, 32, in32, r32, g32);
	for (int i = 0; i < p->nin; i++)
		if (g32[i])
			worst = fmax(worst, rel_f32(grad[i], g32[i], p->in[i].len));
	if (worst > fam->worst_f32)
		fam->worst_f32 = worst;
	ok = worst <= TOL_F32;
	if (!ok)
		printf("FAIL %s: %s: float32 differs from float64 by %.3g (relative)\n",
		       p->family, p->label, worst);
	for (int i = 0; i < p->nin; i++) {
		free(in32[i]);
		free(g32[i]);
	}
	free(y64);
	free(y32);
	free(r32);
	return ok;
}

int gc_check(struct gc_report *rep, const struct gc_problem *p, struct gc_rng *rng)
{
	struct gc_family *fam = family(rep, p->family);
	void *in[GC_MAX_IN];
	double *grad[GC_MAX_IN];
	double *r = gc_alloc(p->out_len);
	int64_t bad;
	int ok;

	gc_fill(rng, r, p->out_len, -1, 1);
	for (int i = 0; i < p->nin; i++) {
		in[i] = p->in[i].v;
		grad[i] = p->in[i].diff ? gc_alloc(p->in[i].len) : NULL;
	}
	p->bwd(p->ctx, 64, in, r, (void *const *)grad);
	bad = check_grad(p, fam, r, grad);
	if (bad > 0)
		printf("FAIL %s: %s: %lld gradient element%s out of tolerance\n", p->family,
		       p->label, (long long)bad, bad == 1 ? "" : "s");
	ok = check_f32(p, fam, r, grad) && bad == 0;
	if (rep->verbose)
		printf("%s %s: %s\n", ok ? "ok  " : "FAIL", p->family, p->label);
	for (int i = 0; i < p->nin; i++)
		free(grad[i]);
	free(r);
	gc_count(rep, p->family, ok, -1, -1);
	return ok;
}

void gc_count(struct gc_report *rep, const char *name, int ok, double err, double err_f32)
{
	struct gc_family *fam = family(rep, name);
	if (err > fam->worst_grad)
		fam->worst_grad = err;
	if (err_f32 > fam->worst_f32)
		fam->worst_f32 = err_f32;
	if (ok) {
		fam->passed++;
		rep->passed++;
	} else {
		fam->failed++;
		rep->failed++;
	}
}

int gc_summary(const struct gc_report *rep, FILE *out)
{
	fprintf(out, "%-18s %6s %6s  %-12s %-12s %s\n", "family", "passed", "failed",
		"worst |a-n|", "worst/tol", "worst f32 rel");
	for (int i = 0; i < rep->nfam; i++) {
		const struct gc_family *f = &rep->fam[i];
		fprintf(out, "%-18s %6d %6d  %-12.3g %-12.3g %.3g\n", f->name, f->passed, f->failed,
			f->worst_grad, f->worst_ratio, f->worst_f32);
	}
	fprintf(out, "%d passed, %d failed\n", rep->passed, rep->failed);
	return rep->failed;
}
