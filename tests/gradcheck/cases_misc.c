/* cases_misc.c - gradient checks of batchnorm (training mode, through
 * the batch statistics), dropout (a fixed mask: the same seed and stream
 * in every call), concat, add, multiply, the activations, softmax and
 * upsample. */
#include "gc.h"

#include <stdlib.h>

#include "ref.h"

/* Scratch for a kernel call, of either element type. */
static void *scratch(int prec, int64_t n)
{
	void *p = calloc((size_t)(n > 0 ? n : 1), prec == 32 ? sizeof(float) : sizeof(double));
	if (!p)
		abort();
	return p;
}

/* ---------------------------------------------------------------------
 * batchnorm
 * ------------------------------------------------------------------- */

static void bn_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	GC_CALL(prec, batchnorm_fwd_train, ctx, in[0], in[1], in[2], out, NULL, NULL, NULL, NULL);
}

/* The backward pass needs the forward's saved mean and 1/std. */
static void bn_bwd(const void *ctx, int prec, void *const *in, const void *dy,
		   void *const *grad)
{
	const struct nrt_bn_desc *d = ctx;
	void *y = scratch(prec, (int64_t)d->n * d->c * d->s);
	void *mean = scratch(prec, d->c), *invstd = scratch(prec, d->c);

	GC_CALL(prec, batchnorm_fwd_train, d, in[0], in[1], in[2], y, mean, invstd, NULL, NULL);
	GC_CALL(prec, batchnorm_bwd, d, in[0], in[1], mean, invstd, dy, grad[0], grad[1], grad[2]);
	free(y);
	free(mean);
	free(invstd);
}

static void bn_case(struct gc_report *rep, int n, int c, int64_t s, int affine, uint64_t seed)
{
	struct nrt_bn_desc d = { n, c, s, 1e-5, 0.1 };
	struct gc_problem p;
	struct gc_rng rng;
	int64_t len = (int64_t)n * c * s;
	double *x = gc_alloc(len), *gamma = NULL, *beta = NULL;

	gc_seed(&rng, seed);
	gc_fill(&rng, x, len, -2, 2);
	if (affine) {
		gamma = gc_alloc(c);
		beta = gc_alloc(c);
		gc_fill(&rng, gamma, c, 0.5, 1.5);
		gc_fill(&rng, beta, c, -1, 1);
	}
	gc_problem_init(&p, "batchnorm", "n %d c %d s %lld%s", n, c, (long long)s,
			affine ? " affine" : "");
	gc_add_input(&p, "x", x, len, 1);
	gc_add_input(&p, "gamma", gamma, c, 1);
	gc_add_input(&p, "beta", beta, c, 1);
	p.out_len = len;
	p.fwd = bn_fwd;
	p.bwd = bn_bwd;
	p.ctx = &d;
	gc_check(rep, &p, &rng);
	gc_problem_free(&p);
}

/* ---------------------------------------------------------------------
 * dropout
 * ------------------------------------------------------------------- */

static void dropout_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	GC_CALL(prec, dropout_fwd, ctx, in[0], out);
}

static void dropout_bwd(const void *ctx, int prec, void *const *in, const void *dy,
			void *const *grad)
{
	(void)in;
	GC_CALL(prec, dropout_bwd, ctx, dy, grad[0]);
}

static void dropout_case(struct gc_report *rep, int64_t count, double prob, uint32_t step,
			 uint32_t layer)
{
	struct nrt_dropout_desc d = { count, prob, 42, step, layer };
	struct gc_problem p;
	struct gc_rng rng;
	double *x = gc_alloc(count);

	gc_seed(&rng, 3000 + step);
	gc_fill(&rng, x, count, -1, 1);
	gc_problem_init(&p, "dropout", "count %lld p %g seed 42 step %u layer %u",
			(long long)count, prob, step, layer);
	gc_add_input(&p, "x", x, count, 1);
	p.out_len = count;
	p.fwd = dropout_fwd;
	p.bwd = dropout_bwd;
	p.ctx = &d;
	gc_check(rep, &p, &rng);
	gc_problem_free(&p);
}

/* ---------------------------------------------------------------------
 * concat, add, multiply
 * ------------------------------------------------------------------- */

struct merge_ctx {
	int op;                 /* 0 concat, 1 add, 2 multiply */
	int nin;
	int64_t outer, inner, len[GC_MAX_IN], count;
};

/* The harness's void pointers as arrays of typed pointers. */
struct typed {
	const float *x32[GC_MAX_IN];
	const double *x64[GC_MAX_IN];
	float *g32[GC_MAX_IN];
	double *g64[GC_MAX_IN];
};

static void typed_of(struct typed *t, int nin, void *const *in, void *const *grad)
{
	for (int i = 0; i < nin; i++) {
		t->x32[i] = in ? in[i] : NULL;
		t->x64[i] = in ? in[i] : NULL;
		t->g32[i] = grad ? grad[i] : NULL;
		t->g64[i] = grad ? grad[i] : NULL;
	}
}

static void merge_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	const struct merge_ctx *m = ctx;
	struct typed t;

	typed_of(&t, m->nin, in, NULL);
	if (prec == 32) {
		if (m->op == 0)
			nrt_ref_concat_fwd_f32(m->outer, m->inner, m->nin, m->len, t.x32, out);
		else if (m->op == 1)
			nrt_ref_add_fwd_f32(m->count, m->nin, t.x32, out);
		else
			nrt_ref_multiply_fwd_f32(m->count, m->nin, t.x32, out);
	} else {
		if (m->op == 0)
			nrt_ref_concat_fwd_f64(m->outer, m->inner, m->nin, m->len, t.x64, out);
		else if (m->op == 1)
			nrt_ref_add_fwd_f64(m->count, m->nin, t.x64, out);
		else
			nrt_ref_multiply_fwd_f64(m->count, m->nin, t.x64, out);
	}
}

static void merge_bwd(const void *ctx, int prec, void *const *in, const void *dy,
		      void *const *grad)
{
	const struct merge_ctx *m = ctx;
	struct typed t;

	typed_of(&t, m->nin, in, grad);
	if (prec == 32) {
		if (m->op == 0)
			nrt_ref_concat_bwd_f32(m->outer, m->inner, m->nin, m->len, dy, t.g32);
		else if (m->op == 1)
			nrt_ref_add_bwd_f32(m->count, m->nin, dy, t.g32);
		else
			nrt_ref_multiply_bwd_f32(m->count, m->nin, t.x32, dy, t.g32);
	} else {
		if (m->op == 0)
			nrt_ref_concat_bwd_f64(m->outer, m->inner, m->nin, m->len, dy, t.g64);
		else if (m->op == 1)
			nrt_ref_add_bwd_f64(m->count, m->nin, dy, t.g64);
		else
			nrt_ref_multiply_bwd_f64(m->count, m->nin, t.x64, dy, t.g64);
	}
}

static const char *const merge_names[] = { "concat", "add", "multiply" };
static const char *const input_names[GC_MAX_IN] = { "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7" };

/* concat of nin tensors [outer, len[i], inner]; add and multiply of nin
 * tensors of outer * len[0] * inner elements. */
static void merge_case(struct gc_report *rep, int op, int nin, int64_t outer,
		       const int64_t *len, int64_t inner, uint64_t seed)
{
	struct merge_ctx m = { op, nin, outer, inner, { 0 }, outer * len[0] * inner };
	struct gc_problem p;
	struct gc_rng rng;
	int64_t total = 0;

	gc_seed(&rng, seed);
	gc_problem_init(&p, merge_names[op], "%d inputs, outer %lld len %lld.. inner %lld",
			nin, (long long)outer, (long long)len[0], (long long)inner);
	for (int i = 0; i < nin; i++) {
		int64_t n = op == 0 ? outer * len[i] * inner : m.count;
		double *x = gc_alloc(n);
		gc_fill(&rng, x, n, -1.5, 1.5);
		m.len[i] = op == 0 ? len[i] : len[0];
		total += n;
		gc_add_input(&p, input_names[i], x, n, 1);
	}
	p.out_len = op == 0 ? total : m.count;
	p.fwd = merge_fwd;
	p.bwd = merge_bwd;
	p.ctx = &m;
	gc_check(rep, &p, &rng);
	gc_problem_free(&p);
}

/* ---------------------------------------------------------------------
 * Activations and softmax
 * ------------------------------------------------------------------- */

enum act { RELU, LEAKY_RELU, ELU, SIGMOID, TANH, GELU, IDENTITY, NACT };

static const char *const act_names[NACT] = {
	"relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "identity"
};

struct act_ctx {
	enum act a;
	int64_t count;
	double arg;             /* slope, alpha */
};

static void act_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	const struct act_ctx *c = ctx;
	switch (c->a) {
	case RELU: GC_CALL(prec, relu_fwd, c->count, in[0], out); break;
	case LEAKY_RELU: GC_CALL(prec, leaky_relu_fwd, c->count, c->arg, in[0], out); break;
	case ELU: GC_CALL(prec, elu_fwd, c->count, c->arg, in[0], out); break;
	case SIGMOID: GC_CALL(prec, sigmoid_fwd, c->count, in[0], out); break;
	case TANH: GC_CALL(prec, tanh_fwd, c->count, in[0], out); break;
	case GELU: GC_CALL(prec, gelu_fwd, c->count, in[0], out); break;
	case IDENTITY: GC_CALL(prec, identity_fwd, c->count, in[0], out); break;
	case NACT: break;
	}
}

static void act_bwd(const void *ctx, int prec, void *const *in, const void *dy,
		    void *const *grad)
{
	const struct act_ctx *c = ctx;
	switch (c->a) {
	case RELU: GC_CALL(prec, relu_bwd, c->count, in[0], dy, grad[0]); break;
	case LEAKY_RELU: GC_CALL(prec, leaky_relu_bwd, c->count, c->arg, in[0], dy, grad[0]); break;
	case ELU: GC_CALL(prec, elu_bwd, c->count, c->arg, in[0], dy, grad[0]); break;
	case SIGMOID: GC_CALL(prec, sigmoid_bwd, c->count, in[0], dy, grad[0]); break;
	case TANH: GC_CALL(prec, tanh_bwd, c->count, in[0], dy, grad[0]); break;
	case GELU: GC_CALL(prec, gelu_bwd, c->count, in[0], dy, grad[0]); break;
	case IDENTITY: GC_CALL(prec, identity_bwd, c->count, dy, grad[0]); break;
	case NACT: break;
	}
}

/* x in [lo, hi); relu, leaky_relu and elu get no value within 1e-3 of
 * their kink at 0. */
static void act_case(struct gc_report *rep, enum act a, int64_t count, double arg, double lo,
		     double hi, uint64_t seed)
{
	struct act_ctx c = { a, count, arg };
	struct gc_problem p;
	struct gc_rng rng;
	double *x = gc_alloc(count);

	gc_seed(&rng, seed);
	gc_fill(&rng, x, count, lo, hi);
	if (a == RELU || a == LEAKY_RELU || a == ELU)
		gc_avoid(&rng, x, count, 0, 1e-3, lo, hi);
	gc_problem_init(&p, act_names[a], "count %lld arg %g x in [%g, %g)", (long long)count,
			arg, lo, hi);
	gc_add_input(&p, "x", x, count, 1);
	p.out_len = count;
	p.fwd = act_fwd;
	p.bwd = act_bwd;
	p.ctx = &c;
	gc_check(rep, &p, &rng);
	gc_problem_free(&p);
}

struct softmax_ctx {
	int64_t outer, len, inner;
};

static void softmax_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	const struct softmax_ctx *s = ctx;
	GC_CALL(prec, softmax_fwd, s->outer, s->len, s->inner, in[0], out);
}

/* The backward pass takes the forward output. */
static void softmax_bwd(const void *ctx, int prec, void *const *in, const void *dy,
			void *const *grad)
{
	const struct softmax_ctx *s = ctx;
	void *y = scratch(prec, s->outer * s->len * s->inner);
	GC_CALL(prec, softmax_fwd, s->outer, s->len, s->inner, in[0], y);
	GC_CALL(prec, softmax_bwd, s->outer, s->len, s->inner, y, dy, grad[0]);
	free(y);
}

static void softmax_case(struct gc_report *rep, int64_t outer, int64_t len, int64_t inner,
			 uint64_t seed)
{
	struct softmax_ctx s = { outer, len, inner };
	struct gc_problem p;
	struct gc_rng rng;
	int64_t n = outer * len * inner;
	double *x = gc_alloc(n);

	gc_seed(&rng, seed);
	gc_fill(&rng, x, n, -3, 3);
	gc_problem_init(&p, "softmax", "[%lld, %lld, %lld] along the middle", (long long)outer,
			(long long)len, (long long)inner);
	gc_add_input(&p, "x", x, n, 1);
	p.out_len = n;
	p.fwd = softmax_fwd;
	p.bwd = softmax_bwd;
	p.ctx = &s;
	gc_check(rep, &p, &rng);
	gc_problem_free(&p);
}

/* ---------------------------------------------------------------------
 * upsample
 * ------------------------------------------------------------------- */

static void upsample_fwd(const void *ctx, int prec, void *const *in, void *out)
{
	GC_CALL(prec, upsample_fwd, ctx, in[0], out);
}

static void upsample_bwd(const void *ctx, int prec, void *const *in, const void *dy,
			 void *const *grad)
{
	(void)in;
	GC_CALL(prec, upsample_bwd, ctx, dy, grad[0]);
}

static void upsample_case(struct gc_report *rep, enum nrt_upsample_mode mode, int nd, int n,
			  int c, const int *in, const int *scale, uint64_t seed)
{
	struct nrt_upsample_desc d = { .nd = nd, .n = n, .c = c, .mode = mode };
	struct gc_problem p;
	struct gc_rng rng;
	int64_t in_vol = 1, out_vol = 1;
	double *x;

	for (int j = 0; j < nd; j++) {
		d.in[j] = in[j];
		d.scale[j] = scale[j];
		in_vol *= in[j];
		out_vol *= (int64_t)in[j] * scale[j];
	}
	x = gc_alloc((int64_t)n * c * in_vol);
	gc_seed(&rng, seed);
	gc_fill(&rng, x, (int64_t)n * c * in_vol, -1, 1);
	gc_problem_init(&p, mode == NRT_UPSAMPLE_NEAREST ? "upsample_nearest" : "upsample_bilinear",
			"%dd n %d c %d in %dx%dx%d scale %dx%dx%d", nd, n, c, d.in[0], d.in[1],
			d.in[2], d.scale[0], d.scale[1], d.scale[2]);
	gc_add_input(&p, "x", x, (int64_t)n * c * in_vol, 1);
	p.out_len = (int64_t)n * c * out_vol;
	p.fwd = upsample_fwd;
	p.bwd = upsample_bwd;
	p.ctx = &d;
	gc_check(rep, &p, &rng);
	gc_problem_free(&p);
}

void gc_misc_cases(struct gc_report *rep)
{
	static const int64_t l3[] = { 2, 4, 1 }, l2[] = { 3, 2 }, l4[] = { 5, 5, 5, 5 };

	bn_case(rep, 3, 4, 5, 1, 4000);
	bn_case(rep, 1, 3, 35, 1, 4001);
	bn_case(rep, 5, 3, 1, 1, 4002);
	bn_case(rep, 3, 2, 7, 0, 4003);
	bn_case(rep, 2, 5, 13, 1, 4004);

	dropout_case(rep, 60, 0.3, 1, 7);
	dropout_case(rep, 61, 0.8, 2, 7);
	dropout_case(rep, 13, 0.0, 3, 1);

	merge_case(rep, 0, 3, 3, l3, 5, 5000);   /* axis 1 of [3, *, 5] */
	merge_case(rep, 0, 2, 6, l2, 4, 5001);   /* a middle axis */
	merge_case(rep, 0, 2, 24, l2, 1, 5002);  /* the last axis */
	merge_case(rep, 0, 2, 1, l2, 7, 5003);   /* outer 1 */
	for (int op = 1; op <= 2; op++) {
		merge_case(rep, op, 2, 3, l4, 7, 5010 + (uint64_t)op);
		merge_case(rep, op, 3, 1, l4, 13, 5020 + (uint64_t)op);
		merge_case(rep, op, 4, 3, l4, 2, 5030 + (uint64_t)op);
	}

	act_case(rep, RELU, 50, 0, -3, 3, 6000);
	act_case(rep, LEAKY_RELU, 50, 0.01, -3, 3, 6001);
	act_case(rep, LEAKY_RELU, 37, 0.3, -3, 3, 6002);
	act_case(rep, ELU, 50, 1.0, -4, 3, 6003);
	act_case(rep, ELU, 37, 0.5, -4, 3, 6004);
	act_case(rep, SIGMOID, 50, 0, -8, 8, 6005);
	act_case(rep, TANH, 50, 0, -4, 4, 6006);
	act_case(rep, GELU, 50, 0, -5, 5, 6007);
	act_case(rep, IDENTITY, 13, 0, -3, 3, 6008);

	softmax_case(rep, 3, 5, 1, 6100);
	softmax_case(rep, 3, 4, 7, 6101);
	softmax_case(rep, 1, 13, 3, 6102);

	{
		static const int in1[] = { 5 }, s1[] = { 3 };
		static const int in2[] = { 3, 5 }, s2[] = { 2, 3 }, s2b[] = { 3, 3 };
		static const int in3[] = { 2, 3, 2 }, s3[] = { 2, 1, 3 };
		upsample_case(rep, NRT_UPSAMPLE_NEAREST, 1, 3, 2, in1, s1, 7000);
		upsample_case(rep, NRT_UPSAMPLE_NEAREST, 2, 1, 2, in2, s2, 7001);
		upsample_case(rep, NRT_UPSAMPLE_NEAREST, 3, 3, 1, in3, s3, 7002);
		upsample_case(rep, NRT_UPSAMPLE_BILINEAR, 2, 1, 2, in2, s2, 7003);
		upsample_case(rep, NRT_UPSAMPLE_BILINEAR, 2, 3, 1, in2, s2b, 7004);
		upsample_case(rep, NRT_UPSAMPLE_BILINEAR, 2, 1, 3, in3 + 1, s2, 7005);
	}
}
