/* test_steps.c - what one train_step does besides the gradient:
 *
 *   - the optimizer update equals the gradient (train_step up to the
 *     backward pass) with the optimizer's formula applied by hand, for
 *     each optimizer and three steps (momentum and moments carried over);
 *   - batchnorm's running statistics are stored at the end of the step
 *     and used by the inference forward;
 *   - frozen layers get no gradient buffer and no update, a frozen prefix
 *     no backward step;
 *   - two runs from the same seed are bitwise identical, other seeds are
 *     not. */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Optimizers
 * ------------------------------------------------------------------- */

struct opt_case {
	const char *text;                  /* the optimizer field */
	enum tp_optim_kind kind;
	double lr, momentum, weight_decay; /* as written (or the defaults) */
	bool nesterov;
	double beta1, beta2, eps, rho, alpha;
};

static const struct opt_case opt_cases[] = {
	{ "sgd(lr = 0.1)", TO_SGD, 0.1, 0, 0, false, 0, 0, 0, 0, 0 },
	{ "sgd(lr = 0.05, momentum = 0.9, weight_decay = 0.01)", TO_SGD, 0.05, 0.9, 0.01, false,
	  0, 0, 0, 0, 0 },
	{ "sgd(lr = 0.05, momentum = 0.8, nesterov = true, weight_decay = 0.001)", TO_SGD, 0.05,
	  0.8, 0.001, true, 0, 0, 0, 0, 0 },
	{ "adam", TO_ADAM, 0.001, 0, 0, false, 0.9, 0.999, 1e-8, 0, 0 },
	{ "adam(lr = 0.01, beta1 = 0.8, weight_decay = 0.001)", TO_ADAM, 0.01, 0, 0.001, false,
	  0.8, 0.999, 1e-8, 0, 0 },
	{ "adadelta(lr = 0.5, rho = 0.8, eps = 1e-5, weight_decay = 0.01)", TO_ADADELTA, 0.5, 0,
	  0.01, false, 0, 0, 1e-5, 0.8, 0 },
	{ "adadelta", TO_ADADELTA, 1.0, 0, 0, false, 0, 0, 1e-6, 0.9, 0 },
	{ "rmsprop(lr = 0.01, alpha = 0.9)", TO_RMSPROP, 0.01, 0, 0, false, 0, 0, 1e-8, 0, 0.9 },
	{ "rmsprop(lr = 0.005, momentum = 0.7, weight_decay = 0.01)", TO_RMSPROP, 0.005, 0.7, 0.01,
	  false, 0, 0, 1e-8, 0, 0.99 },
};

/* One element's update by hand (torch.optim): p and the state s[0..1]
 * in place, gradient g, step t from 1. */
static void update_by_hand(const struct opt_case *c, int t, double g, double *p, double *s)
{
	g += c->weight_decay * *p;
	switch (c->kind) {
	case TO_SGD:
		if (c->momentum > 0) {
			s[0] = t == 1 ? g : c->momentum * s[0] + g;
			g = c->nesterov ? g + c->momentum * s[0] : s[0];
		}
		*p -= c->lr * g;
		break;
	case TO_ADAM: {
		double mhat, vhat;
		s[0] = c->beta1 * s[0] + (1 - c->beta1) * g;
		s[1] = c->beta2 * s[1] + (1 - c->beta2) * g * g;
		mhat = s[0] / (1 - pow(c->beta1, t));
		vhat = s[1] / (1 - pow(c->beta2, t));
		*p -= c->lr * mhat / (sqrt(vhat) + c->eps);
		break;
	}
	case TO_ADADELTA: {
		double d;
		s[0] = c->rho * s[0] + (1 - c->rho) * g * g;
		d = sqrt(s[1] + c->eps) / sqrt(s[0] + c->eps) * g;
		s[1] = c->rho * s[1] + (1 - c->rho) * d * d;
		*p -= c->lr * d;
		break;
	}
	case TO_RMSPROP: {
		double avg;
		s[0] = c->alpha * s[0] + (1 - c->alpha) * g * g;
		avg = sqrt(s[0]) + c->eps;
		if (c->momentum > 0) {
			s[1] = c->momentum * s[1] + g / avg;
			*p -= c->lr * s[1];
		} else {
			*p -= c->lr * g / avg;
		}
		break;
	}
	}
}

/* Three steps of one optimizer on a small regression net. */
static void test_optimizer(const struct opt_case *c)
{
	static const char fmt[] =
		"network opt() {\n    input x : f32[4]\n"
		"    @chain x => dense(5) => tanh => dropout(0.2) => dense(3)\n}\n"
		"data d {\n    source = csv(\"x.csv\")\n}\n"
		"train t {\n    network = opt()\n    data = d\n    loss = mse\n"
		"    optimizer = %s\n    batch = 3\n    epochs = 1\n}\n";
	char text[1024];
	struct fixture F;
	struct tprog *P;
	struct interp *I, *S;
	double worst = 0;
	long bad = 0;

	snprintf(text, sizeof text, fmt, c->text);
	P = fx_compile(&F, c->text, text, NULL, false);
	if (!CHECK(P != NULL)) {
		fx_free(&F);
		return;
	}
	CHECK(P->cfg.optim == c->kind && P->cfg.lr == c->lr);
	I = interp_new(P, INTERP_F64);
	S = interp_new(P, INTERP_F64);
	interp_init(I);
	for (int t = 1; t <= 3; t++) {
		const double *g, *p0, *o0, *p1, *o1;
		fx_random_batch(I, 100 + (uint64_t)t);
		interp_copy(S, I);
		interp_train_step(I, (uint32_t)t);
		interp_run(S, &P->train_step, (uint32_t)t, TP_FWD, TP_BWD);
		g = S->mem[TP_GRAD];
		p0 = S->mem[TP_PARAM];
		o0 = S->mem[TP_OPT];
		p1 = I->mem[TP_PARAM];
		o1 = I->mem[TP_OPT];
		for (int64_t i = 0; i < P->ntrain; i++) {
			double p = p0[i], st[2] = { 0, 0 }, d;
			for (int k = 0; k < P->nopt; k++)
				st[k] = o0[k * P->ntrain + i];
			update_by_hand(c, t, g[i], &p, st);
			d = fabs(p - p1[i]);
			for (int k = 0; k < P->nopt; k++)
				if (fabs(st[k] - o1[k * P->ntrain + i]) > d)
					d = fabs(st[k] - o1[k * P->ntrain + i]);
			if (d > worst)
				worst = d;
			if (!(d <= 1e-12 * (1 + fabs(p))))
				bad++;
		}
	}
	printf("optimizer %-68s 3 steps, worst |step - by hand| %.2e\n", c->text, worst);
	CHECK(bad == 0);
	interp_free(I);
	interp_free(S);
	fx_free(&F);
}

/* ---------------------------------------------------------------------
 * Batchnorm statistics
 * ------------------------------------------------------------------- */

static void test_batchnorm(void)
{
	struct fixture F;
	struct tprog *P = fx_compile(&F, "bn", NET_BN, NULL, false);
	const struct node *bn = NULL;
	struct interp *I;
	int x, y, rm, rv, gamma, beta;
	double worst = 0;
	void *state;

	if (!CHECK(P != NULL)) {
		fx_free(&F);
		return;
	}
	for (int i = 0; i < P->net->n; i++)
		if (P->net->nodes[i]->op == OP_BATCHNORM)
			bn = P->net->nodes[i];
	x = P->nodes[bn->in[0]->id].value;
	y = P->nodes[bn->id].value;
	rm = tprog_find_param(P, "batchnorm_1.running_mean")->buf;
	rv = tprog_find_param(P, "batchnorm_1.running_var")->buf;
	gamma = tprog_find_param(P, "batchnorm_1.gamma")->buf;
	beta = tprog_find_param(P, "batchnorm_1.beta")->buf;
	CHECK(P->bufs[rm].region == TP_STATE && P->size[TP_STATE] == 6);
	I = interp_new(P, INTERP_F64);
	interp_init(I);
	CHECK(interp_get(I, rm, 1) == 0 && interp_get(I, rv, 1) == 1);
	fx_random_batch(I, 5);
	/* before the stats phase the state is untouched */
	interp_run(I, &P->train_step, 1, TP_FWD, TP_UPDATE);
	CHECK(interp_get(I, rm, 0) == 0 && interp_get(I, rv, 2) == 1);
	interp_run(I, &P->train_step, 1, TP_STATS, TP_STATS);
	for (int c = 0; c < 3; c++) {
		double m = 0, v = 0, cnt = 4 * 9;
		for (int n = 0; n < 4; n++)
			for (int i = 0; i < 9; i++)
				m += interp_get(I, x, (n * 3 + c) * 9 + i);
		m /= cnt;
		for (int n = 0; n < 4; n++)
			for (int i = 0; i < 9; i++) {
				double u = interp_get(I, x, (n * 3 + c) * 9 + i) - m;
				v += u * u;
			}
		v /= cnt;
		worst = fmax(worst, fabs(interp_get(I, rm, c) - 0.2 * m));
		worst = fmax(worst, fabs(interp_get(I, rv, c) - (0.8 + 0.2 * v * cnt / (cnt - 1))));
	}
	CHECK(worst < 1e-12);
	/* inference uses them; forward and eval_step leave them alone */
	state = malloc(I->bytes[TP_STATE]);
	memcpy(state, I->mem[TP_STATE], I->bytes[TP_STATE]);
	interp_run(I, &P->forward, 0, TP_FWD, TP_NPHASES - 1);
	for (int n = 0; n < 4; n++)
		for (int c = 0; c < 3; c++)
			for (int i = 0; i < 9; i++) {
				int64_t j = (n * 3 + c) * 9 + i;
				double want = (interp_get(I, x, j) - interp_get(I, rm, c)) /
					      sqrt(interp_get(I, rv, c) + 1e-5) * interp_get(I, gamma, c) +
					      interp_get(I, beta, c);
				worst = fmax(worst, fabs(interp_get(I, y, j) - want));
			}
	interp_run(I, &P->eval_step, 0, TP_FWD, TP_NPHASES - 1);
	CHECK(memcmp(state, I->mem[TP_STATE], I->bytes[TP_STATE]) == 0);
	CHECK(worst < 1e-12);
	printf("batchnorm running statistics and inference: worst error %.2e\n", worst);
	free(state);
	interp_free(I);
	fx_free(&F);
}

/* ---------------------------------------------------------------------
 * Frozen layers
 * ------------------------------------------------------------------- */

static void test_frozen(void)
{
	struct fixture F;
	struct tprog *P = fx_compile(&F, "frozen", NET_FROZEN, NULL, false);
	struct interp *I;
	void *before;
	int prefix = 0, nfrozen = 0;
	bool middle_dense = false, middle_bn = false;

	if (!CHECK(P != NULL)) {
		fx_free(&F);
		return;
	}
	for (int i = 0; i < P->nparams; i++) {
		const struct tp_param *p = &P->params[i];
		if (!p->node->frozen)
			continue;
		nfrozen++;
		CHECK(!p->trainable && p->grad < 0);
		CHECK(p->region == (p->node->params[p->index].trainable ? TP_PARAM : TP_STATE));
		CHECK(p->region == TP_STATE || p->offset >= P->ntrain);
	}
	CHECK(nfrozen == 2 + 4 + 2 + 4 + 2);   /* dense, bn, dense | bn, dense */
	/* the frozen prefix: no gradient, no backward step */
	for (int i = 1; i < P->net->n && P->net->nodes[i]->frozen; i++) {
		const struct node *n = P->net->nodes[i];
		CHECK(P->nodes[i].grad < 0 && !P->nodes[i].backward);
		CHECK(tprog_count_steps(&P->train_step, n, TP_BWD) == 0);
		prefix++;
	}
	CHECK(prefix == 5);
	/* the frozen layers after trainable ones pass the gradient on */
	for (int i = 0; i < P->train_step.n; i++) {
		const struct tstep *s = &P->train_step.v[i];
		if (s->kind == TS_DENSE_BWD && s->node->frozen) {
			middle_dense = true;
			CHECK(s->buf[3] >= 0 && s->buf[4] < 0 && s->buf[5] < 0);
		}
		if (s->kind == TS_BN_BWD_INFER && s->node->frozen)
			middle_bn = true;
		CHECK(s->kind != TS_BN_FWD_TRAIN && s->kind != TS_BN_BWD);
	}
	CHECK(middle_dense && middle_bn);
	I = interp_new(P, INTERP_F64);
	interp_init(I);
	before = malloc(I->bytes[TP_PARAM] + I->bytes[TP_STATE]);
	memcpy(before, I->mem[TP_PARAM], I->bytes[TP_PARAM]);
	memcpy((char *)before + I->bytes[TP_PARAM], I->mem[TP_STATE], I->bytes[TP_STATE]);
	for (uint32_t t = 1; t <= 2; t++) {
		fx_random_batch(I, t);
		interp_train_step(I, t);
	}
	CHECK(memcmp(before, I->mem[TP_PARAM], (size_t)P->ntrain * sizeof(double)) != 0);
	CHECK(memcmp((char *)before + P->ntrain * sizeof(double),
		     (char *)I->mem[TP_PARAM] + P->ntrain * sizeof(double),
		     I->bytes[TP_PARAM] - (size_t)P->ntrain * sizeof(double)) == 0);
	CHECK(memcmp((char *)before + I->bytes[TP_PARAM], I->mem[TP_STATE], I->bytes[TP_STATE]) == 0);
	printf("frozen: %d frozen tensors unchanged, %d prefix nodes without backward steps\n",
	       nfrozen, prefix);
	free(before);
	interp_free(I);
	fx_free(&F);
}

/* ---------------------------------------------------------------------
 * Determinism
 * ------------------------------------------------------------------- */

/* init and three train steps of P from `seed`, in a new interpreter. */
static struct interp *run3(const struct tprog *P, enum interp_prec prec, uint64_t seed)
{
	struct interp *I = interp_new(P, prec);
	I->seed = seed;
	interp_init(I);
	for (uint32_t t = 1; t <= 3; t++) {
		fx_random_batch(I, 1000 + t);
		interp_train_step(I, t);
	}
	return I;
}

/* Bitwise equality of one region. */
static bool same_region(const struct interp *a, const struct interp *b, enum tp_region r)
{
	return a->bytes[r] == b->bytes[r] && memcmp(a->mem[r], b->mem[r], a->bytes[r]) == 0;
}

/* Same seed: same bits (float32 and float64); other seed: other weights. */
static void test_determinism(const char *label, const char *text, bool dropout)
{
	struct fixture F;
	struct tprog *P = fx_compile(&F, label, text, NULL, false);
	if (!CHECK(P != NULL)) {
		fx_free(&F);
		return;
	}
	for (int prec = INTERP_F32; prec <= INTERP_F64; prec++) {
		struct interp *a = run3(P, prec, 42), *b = run3(P, prec, 42), *c = run3(P, prec, 43);
		CHECK(isfinite(interp_loss(a)));
		CHECK(same_region(a, b, TP_PARAM) && same_region(a, b, TP_OPT) &&
		      same_region(a, b, TP_STATE));
		CHECK(!same_region(a, c, TP_PARAM));
		interp_free(a);
		interp_free(b);
		interp_free(c);
	}
	/* the dropout mask depends on the step, and on nothing else */
	if (dropout) {
		struct interp *I = interp_new(P, INTERP_F64);
		void *first;
		interp_init(I);
		fx_random_batch(I, 9);
		interp_run(I, &P->train_step, 1, TP_FWD, TP_LOSS);
		first = malloc(I->bytes[TP_ACT]);
		memcpy(first, I->mem[TP_ACT], I->bytes[TP_ACT]);
		interp_run(I, &P->train_step, 1, TP_FWD, TP_LOSS);
		CHECK(memcmp(first, I->mem[TP_ACT], I->bytes[TP_ACT]) == 0);
		interp_run(I, &P->train_step, 2, TP_FWD, TP_LOSS);
		CHECK(memcmp(first, I->mem[TP_ACT], I->bytes[TP_ACT]) != 0);
		free(first);
		interp_free(I);
	}
	printf("determinism %s: float32 and float64 runs bitwise equal, other seed differs\n", label);
	fx_free(&F);
}

/* Every optimizer, batchnorm, frozen layers, determinism. */
void test_steps(void)
{
	for (size_t i = 0; i < sizeof opt_cases / sizeof opt_cases[0]; i++)
		test_optimizer(&opt_cases[i]);
	test_batchnorm();
	test_frozen();
	test_determinism("mlp", NET_MLP, true);
	test_determinism("resnet", NET_RESNET, false);
}
