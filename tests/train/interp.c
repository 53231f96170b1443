/* interp.c - the reference interpreter (interp.h): regions, the step
 * loop, descriptors for the kernels, the initialisers' formulas; the
 * per-step bodies are interp_impl.inc, compiled for float and double. */
#include "interp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "philox.h"
#include "ref.h"

/* A broken invariant of the program: the interpreter cannot go on. */
__attribute__((noreturn))
static void interp_fail(const struct tprog *P, const struct tstep *s, const char *why)
{
	fprintf(stderr, "interp: ");
	tprog_dump_step(stderr, P, s);
	fprintf(stderr, ": %s\n", why);
	abort();
}

/* The address of buffer b (NULL for -1). */
static void *ptr(const struct interp *I, int b)
{
	const struct tbuf *t;
	size_t es;
	if (b < 0)
		return NULL;
	t = &I->P->bufs[b];
	es = t->dtype == TP_I32 ? sizeof(int32_t) : I->esize;
	return (char *)I->mem[t->region] + (size_t)t->offset * es;
}

/* tp_conv to ref.h's descriptor. */
static struct nrt_conv_desc conv_desc(const struct tp_conv *c)
{
	struct nrt_conv_desc d;
	memset(&d, 0, sizeof d);
	d.nd = c->nd;
	d.n = (int)c->n;
	d.c = (int)c->c;
	d.k = (int)c->k;
	d.groups = (int)c->groups;
	for (int i = 0; i < c->nd; i++) {
		d.in[i] = (int)c->in[i];
		d.out[i] = (int)c->out[i];
		d.kernel[i] = (int)c->kernel[i];
		d.stride[i] = (int)c->stride[i];
		d.pad_lo[i] = (int)c->pad_lo[i];
		d.pad_hi[i] = (int)c->pad_hi[i];
		d.dilation[i] = (int)c->dilation[i];
		d.output_pad[i] = (int)c->output_pad[i];
	}
	return d;
}

/* tp_bn to ref.h's descriptor. */
static struct nrt_bn_desc bn_desc(const struct tp_bn *b)
{
	struct nrt_bn_desc d = { (int)b->n, (int)b->c, b->s, b->eps, b->momentum };
	return d;
}

/* tp_pool to ref.h's descriptor. */
static struct nrt_pool_desc pool_desc(const struct tp_pool *p)
{
	struct nrt_pool_desc d;
	memset(&d, 0, sizeof d);
	d.nd = p->nd;
	d.n = (int)p->n;
	d.c = (int)p->c;
	for (int i = 0; i < p->nd; i++) {
		d.in[i] = (int)p->in[i];
		d.out[i] = (int)p->out[i];
		d.kernel[i] = (int)p->kernel[i];
		d.stride[i] = (int)p->stride[i];
		d.pad[i] = (int)p->pad[i];
		d.dilation[i] = (int)p->dilation[i];
	}
	d.count_pad = p->count_pad;
	return d;
}

/* tp_upsample to ref.h's descriptor. */
static struct nrt_upsample_desc upsample_desc(const struct tp_upsample *u)
{
	struct nrt_upsample_desc d;
	memset(&d, 0, sizeof d);
	d.nd = u->nd;
	d.n = (int)u->n;
	d.c = (int)u->c;
	for (int i = 0; i < u->nd; i++) {
		d.in[i] = (int)u->in[i];
		d.scale[i] = (int)u->scale[i];
	}
	d.mode = u->bilinear ? NRT_UPSAMPLE_BILINEAR : NRT_UPSAMPLE_NEAREST;
	return d;
}

/* The element ranges of n views of one blob (L2). */
static struct nrt_range *ranges(const struct tprog *P, const int *buf, int n)
{
	struct nrt_range *r = calloc((size_t)(n > 0 ? n : 1), sizeof *r);
	for (int j = 0; j < n; j++) {
		r[j].off = P->bufs[buf[j]].offset;
		r[j].len = P->bufs[buf[j]].numel;
	}
	return r;
}

/* Element i of a random initialiser (steps.def): uniform lo + (hi - lo) u,
 * normal by Box-Muller, u from Philox (seed, TP_INIT_STEP, stream). */
static double init_value(const struct interp *I, const struct tstep *s, int64_t i)
{
	const struct tp_init *a = &s->a.init;
	double u1 = nrt_philox_uniform(I->seed, TP_INIT_STEP, a->stream, (uint64_t)(2 * i));
	double u2;
	if (s->kind == TS_INIT_UNIFORM)
		return a->a + (a->b - a->a) * u1;
	u2 = nrt_philox_uniform(I->seed, TP_INIT_STEP, a->stream, (uint64_t)(2 * i + 1));
	return a->a + a->b * sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2);
}

#define T float
#define FN(name) nrt_ref_##name##_f32
#define EXEC exec_f32
#define EPI epi_f32
#define EWCHAIN ewchain_f32
#include "interp_impl.inc"
#undef T
#undef FN
#undef EXEC
#undef EPI
#undef EWCHAIN

#define T double
#define FN(name) nrt_ref_##name##_f64
#define EXEC exec_f64
#define EPI epi_f64
#define EWCHAIN ewchain_f64
#include "interp_impl.inc"
#undef T
#undef FN
#undef EXEC
#undef EPI
#undef EWCHAIN

/* One zeroed array per region. */
struct interp *interp_new(const struct tprog *P, enum interp_prec prec)
{
	struct interp *I = calloc(1, sizeof *I);
	bool i32 = P->target >= 0 && P->bufs[P->target].dtype == TP_I32;

	if (!I || !P->laid_out) {
		free(I);
		return NULL;
	}
	I->P = P;
	I->prec = prec;
	I->esize = prec == INTERP_F32 ? sizeof(float) : sizeof(double);
	I->seed = P->seed;
	I->lr_scale = 1;
	for (int r = 0; r < TP_NREGIONS; r++) {
		size_t es = r == TP_TARGET && i32 ? sizeof(int32_t) : I->esize;
		I->bytes[r] = (size_t)P->size[r] * es;
		I->mem[r] = calloc(I->bytes[r] > 0 ? I->bytes[r] : 1, 1);
	}
	return I;
}

/* The regions and the interpreter. */
void interp_free(struct interp *I)
{
	if (!I)
		return;
	for (int r = 0; r < TP_NREGIONS; r++)
		free(I->mem[r]);
	free(I);
}

/* Step by step, in the list's order. */
void interp_run(struct interp *I, const struct tp_list *L, uint32_t step, enum tp_phase from,
		enum tp_phase to)
{
	for (int i = 0; i < L->n; i++) {
		const struct tstep *s = &L->v[i];
		if (s->phase < from || s->phase > to)
			continue;
		if (I->prec == INTERP_F32)
			exec_f32(I, s, step);
		else
			exec_f64(I, s, step);
	}
}

/* All of init. */
void interp_init(struct interp *I)
{
	interp_run(I, &I->P->init, 0, TP_FWD, TP_NPHASES - 1);
}

/* All phases of train_step. */
void interp_train_step(struct interp *I, uint32_t step)
{
	interp_run(I, &I->P->train_step, step, TP_FWD, TP_NPHASES - 1);
}

/* Through the buffer's region, offset and type. */
double interp_get(const struct interp *I, int b, int64_t i)
{
	void *p = ptr(I, b);
	if (I->P->bufs[b].dtype == TP_I32)
		return ((int32_t *)p)[i];
	return I->prec == INTERP_F32 ? ((float *)p)[i] : ((double *)p)[i];
}

/* Through the buffer's region, offset and type. */
void interp_set(struct interp *I, int b, int64_t i, double v)
{
	void *p = ptr(I, b);
	if (I->P->bufs[b].dtype == TP_I32)
		((int32_t *)p)[i] = (int32_t)v;
	else if (I->prec == INTERP_F32)
		((float *)p)[i] = (float)v;
	else
		((double *)p)[i] = v;
}

/* The loss buffer's element. */
double interp_loss(const struct interp *I)
{
	return interp_get(I, I->P->loss, 0);
}

/* Regions, seed and learning-rate scale. */
void interp_copy(struct interp *dst, const struct interp *src)
{
	for (int r = 0; r < TP_NREGIONS; r++)
		memcpy(dst->mem[r], src->mem[r], src->bytes[r]);
	dst->seed = src->seed;
	dst->lr_scale = src->lr_scale;
}
