/* cases_loss.c - gradient checks of the losses w.r.t. the logits:
 * softmax cross-entropy (label smoothing, class weights, per pixel),
 * binary cross-entropy with logits, Dice, MSE; and the L2 term. */
#include "gc.h"

#include <stdint.h>
#include <stdlib.h>

#include "ref.h"

enum loss { XENT, BCE, DICE, MSE, L2 };

struct loss_ctx {
	enum loss l;
	struct nrt_xent_desc xent;     /* XENT */
	struct nrt_dice_desc dice;     /* DICE */
	int64_t count;                 /* BCE, MSE: elements */
	const int32_t *target;         /* XENT, DICE: labels */
	double weight;                 /* L2 */
	int nranges;
	const struct nrt_range *ranges;
};

/* in[0]: the logits (or the blob for L2); in[1]: class weights (XENT)
 * or targets (BCE, MSE). */
static void loss_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	const struct loss_ctx *c = ctx;
	switch (c->l) {
	case XENT:
		GC_STORE(prec, out, nrt_ref_softmax_xent_fwd_f32(&c->xent, in[0], c->target, in[1]),
			 nrt_ref_softmax_xent_fwd_f64(&c->xent, in[0], c->target, in[1]));
		break;
	case BCE:
		GC_STORE(prec, out, nrt_ref_bce_logits_fwd_f32(c->count, in[0], in[1]),
			 nrt_ref_bce_logits_fwd_f64(c->count, in[0], in[1]));
		break;
	case DICE:
		GC_STORE(prec, out, nrt_ref_dice_fwd_f32(&c->dice, in[0], c->target),
			 nrt_ref_dice_fwd_f64(&c->dice, in[0], c->target));
		break;
	case MSE:
		GC_STORE(prec, out, nrt_ref_mse_fwd_f32(c->count, in[0], in[1]),
			 nrt_ref_mse_fwd_f64(c->count, in[0], in[1]));
		break;
	case L2:
		GC_STORE(prec, out, nrt_ref_l2_fwd_f32(c->weight, c->nranges, c->ranges, in[0]),
			 nrt_ref_l2_fwd_f64(c->weight, c->nranges, c->ranges, in[0]));
		break;
	}
}

/* The kernels give d loss / d logits; the harness asks for dy times it. */
static void loss_bwd(const void *ctx, int prec, void *const *in, const void *dy,
		     void *const *grad)
{
	const struct loss_ctx *c = ctx;
	double r = prec == 32 ? *(const float *)dy : *(const double *)dy;
	int64_t n = c->count;

	switch (c->l) {
	case XENT:
		GC_CALL(prec, softmax_xent_bwd, &c->xent, in[0], c->target, in[1], grad[0]);
		break;
	case BCE:
		GC_CALL(prec, bce_logits_bwd, c->count, in[0], in[1], grad[0]);
		break;
	case DICE:
		GC_CALL(prec, dice_bwd, &c->dice, in[0], c->target, grad[0]);
		break;
	case MSE:
		GC_CALL(prec, mse_bwd, c->count, in[0], in[1], grad[0]);
		break;
	case L2:
		/* l2_bwd adds to the gradient: start from zero */
		for (int64_t i = 0; i < n; i++) {
			if (prec == 32)
				((float *)grad[0])[i] = 0;
			else
				((double *)grad[0])[i] = 0;
		}
		GC_CALL(prec, l2_bwd, c->weight, c->nranges, c->ranges, in[0], grad[0]);
		break;
	}
	for (int64_t i = 0; i < n; i++) {
		if (prec == 32)
			((float *)grad[0])[i] *= (float)r;
		else
			((double *)grad[0])[i] *= r;
	}
}

static int32_t *labels(struct gc_rng *rng, int64_t n, int c)
{
	int32_t *t = malloc((size_t)n * sizeof *t);
	if (!t)
		abort();
	for (int64_t i = 0; i < n; i++)
		t[i] = (int32_t)gc_below(rng, c);
	return t;
}

static void run(struct gc_report *rep, struct gc_problem *p, struct loss_ctx *c,
		struct gc_rng *rng)
{
	p->out_len = 1;
	p->fwd = loss_fwd;
	p->bwd = loss_bwd;
	p->ctx = c;
	gc_check(rep, p, rng);
	gc_problem_free(p);
}

/* Softmax cross-entropy on [n, c, s]; weighted: random class weights. */
static void xent_case(struct gc_report *rep, int n, int c, int64_t s, double smoothing,
		      int weighted, uint64_t seed)
{
	struct loss_ctx ctx = { .l = XENT, .xent = { n, c, s, smoothing } };
	struct gc_problem p;
	struct gc_rng rng;
	int64_t len = (int64_t)n * c * s;
	double *z = gc_alloc(len), *w = NULL;
	int32_t *t;

	gc_seed(&rng, seed);
	gc_fill(&rng, z, len, -3, 3);
	t = labels(&rng, (int64_t)n * s, c);
	if (weighted) {
		w = gc_alloc(c);
		gc_fill(&rng, w, c, 0.2, 3);
	}
	ctx.target = t;
	ctx.count = len;
	gc_problem_init(&p, weighted ? "xent_weighted" : (s > 1 ? "xent_pixel" : "xent"),
			"n %d c %d s %lld smoothing %g%s", n, c, (long long)s, smoothing,
			weighted ? " weighted" : "");
	gc_add_input(&p, "logits", z, len, 1);
	gc_add_input(&p, "weight", w, c, 0);
	run(rep, &p, &ctx, &rng);
	free(t);
}

/* BCE with logits or MSE on count elements. */
static void pointwise_case(struct gc_report *rep, enum loss l, int64_t count, uint64_t seed)
{
	struct loss_ctx ctx = { .l = l, .count = count };
	struct gc_problem p;
	struct gc_rng rng;
	double *x = gc_alloc(count), *t = gc_alloc(count);

	gc_seed(&rng, seed);
	gc_fill(&rng, x, count, -4, 4);
	for (int64_t i = 0; i < count; i++)
		t[i] = l == BCE ? (double)gc_below(&rng, 2) : gc_uniform(&rng, -2, 2);
	gc_problem_init(&p, l == BCE ? "bce_logits" : "mse", "count %lld", (long long)count);
	gc_add_input(&p, "x", x, count, 1);
	gc_add_input(&p, "target", t, count, 0);
	run(rep, &p, &ctx, &rng);
}

static void dice_case(struct gc_report *rep, int n, int c, int64_t s, double smooth,
		      uint64_t seed)
{
	struct loss_ctx ctx = { .l = DICE, .dice = { n, c, s, smooth } };
	struct gc_problem p;
	struct gc_rng rng;
	int64_t len = (int64_t)n * c * s;
	double *z = gc_alloc(len);
	int32_t *t;

	gc_seed(&rng, seed);
	gc_fill(&rng, z, len, -3, 3);
	t = labels(&rng, (int64_t)n * s, c);
	ctx.target = t;
	ctx.count = len;
	gc_problem_init(&p, "dice", "n %d c %d s %lld smooth %g", n, c, (long long)s, smooth);
	gc_add_input(&p, "logits", z, len, 1);
	run(rep, &p, &ctx, &rng);
	free(t);
}

static void l2_case(struct gc_report *rep, int64_t len, double weight, int nranges,
		    const struct nrt_range *r, uint64_t seed)
{
	struct loss_ctx ctx = { .l = L2, .count = len, .weight = weight, .nranges = nranges,
				.ranges = r };
	struct gc_problem p;
	struct gc_rng rng;
	double *blob = gc_alloc(len);

	gc_seed(&rng, seed);
	gc_fill(&rng, blob, len, -2, 2);
	gc_problem_init(&p, "l2", "blob %lld weight %g, %d ranges", (long long)len, weight,
			nranges);
	gc_add_input(&p, "param", blob, len, 1);
	run(rep, &p, &ctx, &rng);
}

void gc_loss_cases(struct gc_report *rep)
{
	static const struct nrt_range r1[] = { { 0, 10 }, { 20, 7 } }, r2[] = { { 3, 40 } };

	xent_case(rep, 3, 5, 1, 0, 0, 8000);
	xent_case(rep, 1, 7, 1, 0.1, 0, 8001);
	xent_case(rep, 3, 13, 1, 0.3, 0, 8002);
	xent_case(rep, 3, 5, 1, 0, 1, 8003);
	xent_case(rep, 3, 4, 1, 0.2, 1, 8004);
	xent_case(rep, 3, 4, 15, 0, 0, 8005);       /* per pixel, [3, 4, 3, 5] */
	xent_case(rep, 1, 3, 35, 0.1, 0, 8006);
	xent_case(rep, 3, 3, 7, 0.1, 1, 8007);      /* per pixel, weighted */

	pointwise_case(rep, BCE, 21, 8100);
	pointwise_case(rep, BCE, 7, 8101);
	pointwise_case(rep, MSE, 21, 8102);
	pointwise_case(rep, MSE, 5, 8103);

	dice_case(rep, 3, 4, 15, 1.0, 8200);
	dice_case(rep, 1, 3, 13, 0.5, 8201);
	dice_case(rep, 3, 2, 7, 1e-5, 8202);

	l2_case(rep, 40, 1e-2, 2, r1, 8300);
	l2_case(rep, 50, 0.5, 1, r2, 8301);
}
