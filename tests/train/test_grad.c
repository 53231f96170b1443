/* test_grad.c - whole-network gradient checks.  For every test network,
 * in float64: the parameter gradients the interpreter computes with
 * train_step (phases up to the backward pass) against central finite
 * differences of the interpreter's own loss (phases up to the loss,
 * the same step, so the same dropout masks),
 *
 *   |analytic - numeric| <= 1e-5 + 1e-3 |numeric|,  eps = 1e-6,
 *
 * on every element of tensors of up to 32 elements and on 24 distinct
 * random elements of larger ones.  One line per network reports the
 * worst error.
 *
 * The initialised parameters get noise first, and the running statistics
 * random values, so that no gradient rule is checked only at gamma = 1,
 * beta = 0, bias = 0 or running_var = 1, where a missing factor would not
 * show. */
#include "harness.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { SMALL_TENSOR = 32, SAMPLES = 24 };

#define FD_EPS 1e-6
#define FD_ATOL 1e-5
#define FD_RTOL 1e-3

struct gc_stats {
	int tensors, elements, failures;
	double worst_abs, worst_ratio;     /* |a - n| and |a - n| / tolerance */
	const char *worst_at;
	int64_t worst_index;
};

/* The loss at the current parameters (train_step up to the loss, step 1). */
static double loss_now(struct interp *I)
{
	interp_run(I, &I->P->train_step, 1, TP_FWD, TP_LOSS);
	return interp_loss(I);
}

/* Indices to check in a tensor of n elements: all, or SAMPLES distinct
 * ones (a partial Fisher-Yates shuffle). */
static int64_t *pick(struct rng *r, int64_t n, int *count)
{
	int64_t *idx = malloc((size_t)n * sizeof *idx);
	for (int64_t i = 0; i < n; i++)
		idx[i] = i;
	if (n <= SMALL_TENSOR) {
		*count = (int)n;
		return idx;
	}
	for (int k = 0; k < SAMPLES; k++) {
		int64_t j = k + (int64_t)(rng_next(r) % (uint64_t)(n - k)), t = idx[k];
		idx[k] = idx[j];
		idx[j] = t;
	}
	*count = SAMPLES;
	return idx;
}

/* Check one element; update the statistics. */
static void check_element(struct interp *I, const struct tp_param *p, int64_t i, double ana,
			  struct gc_stats *st)
{
	double x0 = interp_get(I, p->buf, i), lp, lm, num, err, tol;

	interp_set(I, p->buf, i, x0 + FD_EPS);
	lp = loss_now(I);
	interp_set(I, p->buf, i, x0 - FD_EPS);
	lm = loss_now(I);
	interp_set(I, p->buf, i, x0);
	num = (lp - lm) / (2 * FD_EPS);
	err = fabs(ana - num);
	tol = FD_ATOL + FD_RTOL * fabs(num);
	st->elements++;
	if (err > st->worst_abs) {
		st->worst_abs = err;
		st->worst_at = p->name;
		st->worst_index = i;
	}
	if (err / tol > st->worst_ratio)
		st->worst_ratio = err / tol;
	if (!(err <= tol)) {
		if (st->failures++ < 8)
			fprintf(stderr, "  %s[%" PRId64 "]: analytic %.10g numeric %.10g (|diff| %.3g > %.3g)\n",
				p->name, i, ana, num, err, tol);
	}
}

/* Noise on every parameter (relative on weights, absolute 0.2 on
 * vectors), random running statistics (var in [0.5, 2)). */
static void shake(struct interp *I, struct rng *r)
{
	const struct tprog *P = I->P;
	for (int k = 0; k < P->nparams; k++) {
		const struct tp_param *p = &P->params[k];
		bool var = strstr(p->name, ".running_var") != NULL;
		for (int64_t i = 0; i < p->numel; i++) {
			double x = interp_get(I, p->buf, i);
			if (var)
				x = 0.5 + 1.5 * rng_uniform(r);
			else if (p->shape.rank >= 2)
				x *= 1 + 0.2 * rng_normal(r);
			else
				x += 0.2 * rng_normal(r);
			interp_set(I, p->buf, i, x);
		}
	}
}

/* The whole check of one network. */
static void gradcheck(const char *label, const char *text, const char *train)
{
	struct fixture F;
	struct tprog *P = fx_compile(&F, label, text, train, false);
	struct gc_stats st = { 0 };
	struct rng r = { 12345 };
	struct interp *I;
	double t0 = t_now(), *grad;

	if (!CHECK(P != NULL)) {
		fx_free(&F);
		return;
	}
	I = interp_new(P, INTERP_F64);
	interp_init(I);
	shake(I, &r);
	fx_random_batch(I, 11);
	interp_run(I, &P->train_step, 1, TP_FWD, TP_BWD);
	grad = malloc((size_t)(P->ntrain > 0 ? P->ntrain : 1) * sizeof *grad);
	memcpy(grad, I->mem[TP_GRAD], (size_t)P->ntrain * sizeof *grad);
	CHECK(isfinite(interp_loss(I)));
	for (int k = 0; k < P->nparams; k++) {
		const struct tp_param *p = &P->params[k];
		int count;
		int64_t *idx;
		if (!p->trainable)
			continue;
		st.tensors++;
		idx = pick(&r, p->numel, &count);
		for (int j = 0; j < count; j++)
			check_element(I, p, idx[j], grad[p->offset + idx[j]], &st);
		free(idx);
	}
	printf("gradcheck %-8s %2d tensors %4d elements, loss %.6f, worst |a-n| %.2e (%s[%" PRId64
	       "]), worst err/tol %.2e, %.2f s\n", label, st.tensors, st.elements, interp_loss(I),
	       st.worst_abs, st.worst_at ? st.worst_at : "-", st.worst_index, st.worst_ratio,
	       t_now() - t0);
	CHECK(st.tensors > 0);
	if (!CHECK(st.failures == 0))
		fprintf(stderr, "gradcheck %s: %d of %d elements outside the tolerance\n", label,
			st.failures, st.elements);
	free(grad);
	interp_free(I);
	fx_free(&F);
}

/* Every test network. */
void test_grad(void)
{
	gradcheck("mlp", NET_MLP, NULL);
	gradcheck("lenet", NET_LENET, NULL);
	gradcheck("resnet", NET_RESNET, NULL);
	gradcheck("unet", NET_UNET, NULL);
	gradcheck("unet-ce", NET_UNET, "per_pixel_ce");
	gradcheck("bce", NET_BCE, NULL);
	gradcheck("wxent", NET_WXENT, NULL);
	gradcheck("mse", NET_MSE, NULL);
	gradcheck("frozen", NET_FROZEN, NULL);
	gradcheck("l2", NET_L2, NULL);
	gradcheck("golden", NET_GOLDEN, NULL);
}
