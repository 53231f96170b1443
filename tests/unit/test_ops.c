/* test_ops.c - unit tests of the op table (compiler/ops.c): shapes against
 * hand-computed (PyTorch) values, parameter counts, MACs, error messages,
 * argument defaults, and a sweep that calls every shape function on odd
 * arities, ranks and arguments (run under ASan/UBSan).
 *
 *   gcc -std=c11 -Wall -Wextra -Werror -g -fsanitize=address,undefined \
 *       -Icompiler tests/unit/test_ops.c compiler/ops.c compiler/shape.c */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ops.h"

enum { MAX_ATTRS = 16, MAX_IN = 6 };

/* One op call being built up by a test. */
struct call {
	enum op op;
	const struct op_info *o;
	struct attr attr[MAX_ATTRS];
	struct shape in[MAX_IN];
	int nin;
	struct shape out;
	struct op_err err;
	struct attr spare;      /* written by arg() for an unknown name */
	char buf[640];
};

static struct shape mkshape(int rank, const int64_t *d)
{
	struct shape s;
	memset(&s, 0, sizeof s);
	s.rank = rank;
	memcpy(s.d, d, (size_t)rank * sizeof d[0]);
	return s;
}

#define LIST(...) (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), \
	(int64_t[]){ __VA_ARGS__ }
#define SH(...) mkshape(LIST(__VA_ARGS__))

/* Start a call of op `name` with every argument at its default. */
static bool call_init(struct call *c, const char *name)
{
	memset(c, 0, sizeof *c);
	c->o = op_lookup(name, &c->op);
	if (!ASSERT(c->o != NULL) || !ASSERT(c->o->nattrs <= MAX_ATTRS))
		return false;
	for (int i = 0; i < c->o->nattrs; i++)
		attr_default(&c->o->attrs[i], &c->attr[i]);
	return true;
}

/* The argument called `name`, marked as given. */
static struct attr *arg(struct call *c, const char *name)
{
	int i = op_attr_index(c->o, name);
	if (!ASSERT(i >= 0)) {
		fprintf(stderr, "    no argument '%s' in %s\n", name, c->o->name);
		return &c->spare;
	}
	memset(&c->attr[i], 0, sizeof c->attr[i]);
	c->attr[i].set = true;
	c->attr[i].sym = -1;
	c->attr[i].loc.file = -1;
	return &c->attr[i];
}

static void set_int(struct call *c, const char *name, int64_t v)
{
	struct attr *a = arg(c, name);
	a->i = v;
	a->f = (double)v;
	a->n = 1;
	a->v[0] = v;
}

static void set_ints(struct call *c, const char *name, int n, const int64_t *v)
{
	struct attr *a = arg(c, name);
	a->n = n;
	memcpy(a->v, v, (size_t)n * sizeof v[0]);
	a->i = n ? v[0] : 0;
}

static void set_float(struct call *c, const char *name, double v)
{
	arg(c, name)->f = v;
}

static void set_bool(struct call *c, const char *name, bool v)
{
	arg(c, name)->i = v;
}

static void set_sym(struct call *c, const char *name, const char *sym)
{
	int i = op_attr_index(c->o, name);
	struct attr *a = arg(c, name);
	if (i >= 0) {
		a->sym = sym_index(c->o->attrs[i].syms, sym);
		ASSERT(a->sym >= 0);
	}
}

static void add_in(struct call *c, struct shape s)
{
	if (ASSERT(c->nin < MAX_IN))
		c->in[c->nin++] = s;
}

static struct op_call op_call_of(const struct call *c)
{
	struct op_call oc = { c->op, c->nin, c->in, c->attr };
	return oc;
}

/* Run the shape function: the output shape as text, or "error: <msg>". */
static const char *run(struct call *c)
{
	struct op_call oc = op_call_of(c);
	char s[200];

	memset(&c->err, 0x55, sizeof c->err);
	if (c->o->shape(&oc, &c->out, &c->err))
		snprintf(c->buf, sizeof c->buf, "%s", shape_str(&c->out, s, sizeof s));
	else
		snprintf(c->buf, sizeof c->buf, "error: %s", c->err.msg);
	return c->buf;
}

/* Parameter element counts after a successful run(). */
static void count_params(struct call *c, int64_t *trainable, int64_t *state, int *np)
{
	struct op_call oc = op_call_of(c);
	struct param_desc p[OP_MAX_PARAMS];
	int n = c->o->params(&oc, &c->out, p);

	*trainable = *state = 0;
	*np = n;
	for (int i = 0; i < n; i++) {
		int64_t k;
		ASSERT(shape_numel(&p[i].shape, &k));
		if (p[i].trainable)
			*trainable += k;
		else
			*state += k;
	}
}

static int64_t trainable_params(struct call *c)
{
	int64_t t, s;
	int n;
	count_params(c, &t, &s, &n);
	return t;
}

static int64_t macs(struct call *c)
{
	struct op_call oc = op_call_of(c);
	return c->o->macs(&oc, &c->out);
}

/* --------------------------------------------------------------------- */

static void test_table(void)
{
	enum op id;

	ASSERT_EQ_INT(0, OP_INPUT);
	ASSERT_STR_EQ("input", op_table[OP_INPUT].name);
	ASSERT(op_table[OP_INPUT].flags & OPF_INTERNAL);
	ASSERT(op_lookup("input", NULL) == NULL);
	ASSERT(op_lookup("nope", NULL) == NULL);
	ASSERT(op_lookup(NULL, NULL) == NULL);
	ASSERT(op_lookup("conv_transpose", &id) == &op_table[OP_CONV_TRANSPOSE]);
	ASSERT_EQ_INT(OP_CONV_TRANSPOSE, id);

	static const char *const names[] = {
		"conv", "conv_transpose", "dense", "batchnorm", "dropout", "maxpool",
		"avgpool", "global_avgpool", "global_maxpool", "flatten", "reshape",
		"concat", "add", "multiply", "relu", "sigmoid", "tanh", "gelu",
		"identity", "leaky_relu", "elu", "softmax", "upsample",
	};
	int n = (int)(sizeof names / sizeof names[0]);
	ASSERT_EQ_INT(n + 1, OP_COUNT);
	for (int i = 0; i < n; i++) {
		const struct op_info *o = op_lookup(names[i], &id);
		if (!ASSERT(o != NULL)) {
			fprintf(stderr, "    op '%s' missing\n", names[i]);
			continue;
		}
		ASSERT(!(o->flags & OPF_INTERNAL));
	}
	for (int i = 0; i < OP_COUNT; i++) {
		const struct op_info *o = &op_table[i];
		ASSERT(o->name && o->doc && o->shape && o->params && o->macs);
		ASSERT(o->attrs != NULL);
		ASSERT(o->attrs[o->nattrs].name == NULL);
		ASSERT(o->max_in < 0 || o->max_in >= o->min_in);
		for (int j = 0; j < o->nattrs; j++) {
			const struct attr_spec *s = &o->attrs[j];
			ASSERT(s->name && s->doc);
			ASSERT_EQ_INT(j, op_attr_index(o, s->name));
			if (s->type == AT_SYM || s->type == AT_INIT || s->type == AT_PAD)
				ASSERT(s->syms != NULL);
		}
	}
	ASSERT_EQ_INT(9, op_table[OP_CONV].nattrs);
	ASSERT_EQ_INT(0, op_table[OP_RELU].nattrs);
	ASSERT_EQ_INT(-1, op_attr_index(&op_table[OP_CONV], "nope"));
	ASSERT_EQ_INT(1, op_attr_index(&op_table[OP_CONV], "kernel"));
	ASSERT(op_table[OP_DROPOUT].flags & OPF_TRAIN_ONLY);
	ASSERT(op_table[OP_BATCHNORM].flags & OPF_STATE);
	ASSERT(op_table[OP_CONV].flags & OPF_PARAMS);
	ASSERT(op_table[OP_MAXPOOL].flags & OPF_SPATIAL);
	ASSERT(op_table[OP_GELU].flags & OPF_ACTIVATION);
	ASSERT(op_table[OP_ADD].flags & OPF_ELEMENTWISE);
	ASSERT(!(op_table[OP_SOFTMAX].flags & OPF_ELEMENTWISE));
	ASSERT_EQ_INT(-1, op_table[OP_CONCAT].max_in);
}

static void test_syms(void)
{
	char buf[16];

	ASSERT_EQ_INT(0, sym_index("same|valid", "same"));
	ASSERT_EQ_INT(1, sym_index("same|valid", "valid"));
	ASSERT_EQ_INT(-1, sym_index("same|valid", "sam"));
	ASSERT_EQ_INT(-1, sym_index("same|valid", "same|valid"));
	ASSERT_EQ_INT(-1, sym_index(NULL, "same"));
	ASSERT_EQ_INT(7, sym_index(INIT_SYMS, "he_normal"));
	ASSERT_STR_EQ("valid", sym_name("same|valid", 1, buf, sizeof buf));
	ASSERT_STR_EQ("same", sym_name("same|valid", 0, buf, sizeof buf));
	ASSERT_STR_EQ("", sym_name("same|valid", 2, buf, sizeof buf));
	ASSERT_STR_EQ("", sym_name("same|valid", -1, buf, sizeof buf));
	ASSERT_STR_EQ("glo", sym_name(INIT_SYMS, 4, buf, 4));
}

static void test_attr_helpers(void)
{
	struct attr a;
	int64_t v[SHAPE_MAX_RANK];

	memset(&a, 0, sizeof a);
	a.n = 1;
	a.v[0] = 3;
	ASSERT(attr_expand(&a, 3, v));
	ASSERT_EQ_INT(3, v[2]);
	a.n = 2;
	a.v[1] = 5;
	ASSERT(attr_expand(&a, 2, v));
	ASSERT_EQ_INT(5, v[1]);
	ASSERT(!attr_expand(&a, 3, v));
	a.n = 0;
	ASSERT(!attr_expand(&a, 2, v));

	/* Every default in the table parses. */
	for (int i = 0; i < OP_COUNT; i++) {
		const struct op_info *o = &op_table[i];
		for (int j = 0; j < o->nattrs; j++) {
			const struct attr_spec *s = &o->attrs[j];
			bool ok = attr_default(s, &a);
			if (s->def) {
				if (!ASSERT(ok))
					fprintf(stderr, "    %s.%s = \"%s\"\n", o->name, s->name, s->def);
				ASSERT_EQ_INT(s->def[0] != 0, a.set);
			} else {
				ASSERT(!ok);
				ASSERT(!a.set);
			}
		}
	}

	/* Values of some defaults. */
	const struct op_info *conv = &op_table[OP_CONV];
	ASSERT(attr_default(&conv->attrs[op_attr_index(conv, "pad")], &a));
	ASSERT_EQ_INT(-1, a.sym);
	ASSERT_EQ_INT(1, a.n);
	ASSERT_EQ_INT(0, a.v[0]);
	ASSERT(attr_default(&conv->attrs[op_attr_index(conv, "bias")], &a));
	ASSERT_EQ_INT(1, a.i);
	ASSERT(attr_default(&conv->attrs[op_attr_index(conv, "weight_init")], &a));
	ASSERT_EQ_INT(sym_index(INIT_SYMS, "he_normal"), a.sym);
	const struct op_info *bn = &op_table[OP_BATCHNORM];
	ASSERT(attr_default(&bn->attrs[op_attr_index(bn, "eps")], &a));
	ASSERT(a.f > 0.99e-5 && a.f < 1.01e-5);
	const struct op_info *mp = &op_table[OP_MAXPOOL];
	ASSERT(attr_default(&mp->attrs[op_attr_index(mp, "stride")], &a));
	ASSERT(!a.set);
	ASSERT(!attr_default(&mp->attrs[op_attr_index(mp, "kernel")], &a));
	ASSERT(attr_default(&mp->attrs[op_attr_index(mp, "ceil")], &a));
	ASSERT_EQ_INT(0, a.i);
	const struct op_info *up = &op_table[OP_UPSAMPLE];
	ASSERT(attr_default(&up->attrs[op_attr_index(up, "mode")], &a));
	ASSERT_EQ_INT(0, a.sym);

	/* Default texts the table does not use yet. */
	struct attr_spec s = { "x", AT_INTS, "[1, 2,3]", NULL, "" };
	ASSERT(attr_default(&s, &a));
	ASSERT_EQ_INT(3, a.n);
	ASSERT_EQ_INT(3, a.v[2]);
	s.def = "[1,";
	ASSERT(!attr_default(&s, &a));
	s.def = "1 2";
	ASSERT(!attr_default(&s, &a));
	s.type = AT_INT;
	s.def = "99999999999999999999";
	ASSERT(!attr_default(&s, &a));
	s.type = AT_INIT;
	s.syms = INIT_SYMS;
	s.def = "0.25";
	ASSERT(attr_default(&s, &a));
	ASSERT_EQ_INT(-1, a.sym);
	ASSERT(a.f == 0.25);
	s.def = "bogus";
	ASSERT(!attr_default(&s, &a));
	s.type = AT_BOOL;
	s.def = "yes";
	ASSERT(!attr_default(&s, &a));
}

static void test_conv(void)
{
	struct call c;
	int64_t t, st;
	int np;

	/* ResNet-18 conv1. */
	call_init(&c, "conv");
	add_in(&c, SH(3, 224, 224));
	set_int(&c, "filters", 64);
	set_ints(&c, "kernel", LIST(7));
	set_ints(&c, "stride", LIST(2));
	set_ints(&c, "pad", LIST(3));
	set_bool(&c, "bias", false);
	ASSERT_STR_EQ("[64,112,112]", run(&c));
	count_params(&c, &t, &st, &np);
	ASSERT_EQ_INT(1, np);
	ASSERT_EQ_INT(9408, t);
	ASSERT_EQ_INT(0, st);
	ASSERT_EQ_INT(118013952, macs(&c));

	/* With bias: weight [64,3,7,7] + bias [64]. */
	set_bool(&c, "bias", true);
	ASSERT_STR_EQ("[64,112,112]", run(&c));
	count_params(&c, &t, &st, &np);
	ASSERT_EQ_INT(2, np);
	ASSERT_EQ_INT(9408 + 64, t);
	struct op_call oc = op_call_of(&c);
	struct param_desc p[OP_MAX_PARAMS];
	c.o->params(&oc, &c.out, p);
	ASSERT_STR_EQ("weight", p[0].name);
	ASSERT_STR_EQ("[64,3,7,7]", shape_str(&p[0].shape, c.buf, sizeof c.buf));
	ASSERT_EQ_INT(op_attr_index(c.o, "weight_init"), p[0].init_attr);
	ASSERT_STR_EQ("bias", p[1].name);
	ASSERT_EQ_INT(op_attr_index(c.o, "bias_init"), p[1].init_attr);

	/* Grouped 3x3, no bias: weight [64, 32/4, 3, 3]. */
	call_init(&c, "conv");
	add_in(&c, SH(32, 56, 56));
	set_int(&c, "filters", 64);
	set_ints(&c, "kernel", LIST(3));
	set_ints(&c, "pad", LIST(1));
	set_int(&c, "groups", 4);
	set_bool(&c, "bias", false);
	ASSERT_STR_EQ("[64,56,56]", run(&c));
	ASSERT_EQ_INT(64 * 8 * 9, trainable_params(&c));
	ASSERT_EQ_INT(64LL * 56 * 56 * 8 * 9, macs(&c));

	/* Depthwise. */
	set_int(&c, "groups", 32);
	set_int(&c, "filters", 32);
	ASSERT_STR_EQ("[32,56,56]", run(&c));
	ASSERT_EQ_INT(32 * 9, trainable_params(&c));

	/* pad = same with dilation; valid. */
	call_init(&c, "conv");
	add_in(&c, SH(16, 28, 28));
	set_int(&c, "filters", 8);
	set_ints(&c, "kernel", LIST(3));
	set_sym(&c, "pad", "same");
	set_ints(&c, "dilation", LIST(2));
	ASSERT_STR_EQ("[8,28,28]", run(&c));
	set_ints(&c, "kernel", LIST(4));
	ASSERT_STR_EQ("[8,28,28]", run(&c));
	set_sym(&c, "pad", "valid");
	ASSERT_STR_EQ("[8,22,22]", run(&c));
	set_sym(&c, "pad", "same");
	set_ints(&c, "stride", LIST(2));
	ASSERT_STR_EQ("error: pad = same needs stride 1, got 2", run(&c));

	/* Per-dimension kernel, strides that do not divide. */
	call_init(&c, "conv");
	add_in(&c, SH(1, 28, 28));
	set_int(&c, "filters", 6);
	set_ints(&c, "kernel", LIST(3, 5));
	set_ints(&c, "stride", LIST(1, 2));
	ASSERT_STR_EQ("[6,26,12]", run(&c));

	/* 1-D and 3-D. */
	call_init(&c, "conv");
	add_in(&c, SH(4, 100));
	set_int(&c, "filters", 8);
	set_ints(&c, "kernel", LIST(5));
	set_ints(&c, "stride", LIST(2));
	ASSERT_STR_EQ("[8,48]", run(&c));
	ASSERT_EQ_INT(8 * 4 * 5 + 8, trainable_params(&c));
	call_init(&c, "conv");
	add_in(&c, SH(2, 8, 16, 16));
	set_int(&c, "filters", 4);
	set_ints(&c, "kernel", LIST(3));
	ASSERT_STR_EQ("[4,6,14,14]", run(&c));
	ASSERT_EQ_INT(4LL * 6 * 14 * 14 * 2 * 27, macs(&c));
}

static void test_conv_errors(void)
{
	struct call c;

	call_init(&c, "conv");
	add_in(&c, SH(1, 3, 3));
	set_int(&c, "filters", 4);
	set_ints(&c, "kernel", LIST(5));
	ASSERT_STR_EQ("error: kernel 5 (dilation 1) is larger than the padded input 3 "
		      "in dimension 2", run(&c));
	ASSERT_EQ_INT(op_attr_index(c.o, "kernel"), c.err.attr);
	ASSERT_EQ_INT(-1, c.err.input);
	set_ints(&c, "pad", LIST(1));
	ASSERT_STR_EQ("[4,1,1]", run(&c));
	set_ints(&c, "pad", LIST(0));
	set_ints(&c, "kernel", LIST(3));
	set_ints(&c, "dilation", LIST(1, 2));
	ASSERT_STR_EQ("error: kernel 3 (dilation 2) is larger than the padded input 3 "
		      "in dimension 3", run(&c));

	call_init(&c, "conv");
	add_in(&c, SH(3, 32, 32));
	set_int(&c, "filters", 4);
	set_ints(&c, "kernel", LIST(3));
	set_ints(&c, "stride", LIST(0));
	ASSERT_STR_EQ("error: stride must be at least 1, got 0", run(&c));
	ASSERT_EQ_INT(op_attr_index(c.o, "stride"), c.err.attr);
	set_ints(&c, "stride", LIST(1));
	set_int(&c, "filters", 0);
	ASSERT_STR_EQ("error: filters must be at least 1, got 0", run(&c));
	set_int(&c, "filters", 4);
	set_ints(&c, "pad", LIST(-1));
	ASSERT_STR_EQ("error: pad must be at least 0, got -1", run(&c));

	call_init(&c, "conv");
	add_in(&c, SH(16, 28, 28));
	set_int(&c, "filters", 4);
	set_ints(&c, "kernel", LIST(3, 3, 3));
	ASSERT_STR_EQ("error: kernel has 3 values but the input [16,28,28] has 2 spatial "
		      "dimensions", run(&c));
	ASSERT_EQ_INT(op_attr_index(c.o, "kernel"), c.err.attr);

	call_init(&c, "conv");
	add_in(&c, SH(30, 8, 8));
	set_int(&c, "filters", 32);
	set_ints(&c, "kernel", LIST(3));
	set_int(&c, "groups", 4);
	ASSERT_STR_EQ("error: input channels 30 are not divisible by groups 4", run(&c));
	ASSERT_EQ_INT(op_attr_index(c.o, "groups"), c.err.attr);
	c.in[0].d[0] = 32;
	set_int(&c, "filters", 30);
	ASSERT_STR_EQ("error: filters 30 are not divisible by groups 4", run(&c));

	call_init(&c, "conv");
	add_in(&c, SH(10));
	set_int(&c, "filters", 4);
	set_ints(&c, "kernel", LIST(3));
	ASSERT_STR_EQ("error: expects an input [C, L], [C, H, W] or [C, D, H, W], got [10]",
		      run(&c));
	ASSERT_EQ_INT(0, c.err.input);
	ASSERT_EQ_INT(-1, c.err.attr);

	/* Huge values: errors, never wrapped sizes. */
	call_init(&c, "conv");
	add_in(&c, SH(3, 32, 32));
	set_int(&c, "filters", 4);
	set_ints(&c, "kernel", LIST(3));
	set_ints(&c, "pad", LIST((int64_t)1 << 40));
	ASSERT_STR_EQ("error: dimension 2 overflows (the limit is 2^40)", run(&c));
	set_ints(&c, "pad", LIST(0));
	set_ints(&c, "dilation", LIST(INT64_MAX));
	ASSERT_STR_EQ("error: dimension 2 overflows (the limit is 2^40)", run(&c));
	set_ints(&c, "dilation", LIST(1));
	set_int(&c, "filters", (int64_t)1 << 41);
	ASSERT_STR_EQ("error: dimension 1 overflows (the limit is 2^40)", run(&c));
	set_int(&c, "filters", (int64_t)1 << 35);
	ASSERT_STR_EQ("error: the output [34359738368,30,30] has more than 2^40 elements",
		      run(&c));
	call_init(&c, "conv");
	add_in(&c, SH(1 << 20, 1));
	set_int(&c, "filters", 1 << 21);
	set_ints(&c, "kernel", LIST(1));
	ASSERT_STR_EQ("error: the weight [2097152,1048576,1] would have more than 2^40 "
		      "elements", run(&c));
}

static void test_conv_transpose(void)
{
	struct call c;

	/* DCGAN-style upsampling: (7 - 1) * 2 - 2 + 3 + 1 = 14. */
	call_init(&c, "conv_transpose");
	add_in(&c, SH(64, 7, 7));
	set_int(&c, "filters", 32);
	set_ints(&c, "kernel", LIST(4));
	set_ints(&c, "stride", LIST(2));
	set_ints(&c, "pad", LIST(1));
	ASSERT_STR_EQ("[32,14,14]", run(&c));
	ASSERT_EQ_INT(64 * 32 * 16 + 32, trainable_params(&c));
	ASSERT_EQ_INT(64LL * 7 * 7 * 32 * 16, macs(&c));
	struct op_call oc = op_call_of(&c);
	struct param_desc p[OP_MAX_PARAMS];
	c.o->params(&oc, &c.out, p);
	ASSERT_STR_EQ("[64,32,4,4]", shape_str(&p[0].shape, c.buf, sizeof c.buf));

	set_ints(&c, "output_pad", LIST(1));
	ASSERT_STR_EQ("[32,15,15]", run(&c));
	set_ints(&c, "output_pad", LIST(2));
	ASSERT_STR_EQ("error: output_pad 2 must be smaller than the stride 2 or the "
		      "dilation 1 in dimension 2", run(&c));
	set_ints(&c, "output_pad", LIST(0));
	set_int(&c, "groups", 4);
	ASSERT_STR_EQ("[32,14,14]", run(&c));
	ASSERT_EQ_INT(64 * 8 * 16 + 32, trainable_params(&c));
	set_int(&c, "groups", 1);
	set_ints(&c, "pad", LIST(10));
	ASSERT_STR_EQ("error: pad 10 leaves no output in dimension 2 (size 16 before "
		      "padding is removed)", run(&c));

	/* Stride 1, no padding, 1-D: in + dil * (k - 1) = 10 + 4. */
	call_init(&c, "conv_transpose");
	add_in(&c, SH(3, 10));
	set_int(&c, "filters", 5);
	set_ints(&c, "kernel", LIST(3));
	set_ints(&c, "dilation", LIST(2));
	ASSERT_STR_EQ("[5,14]", run(&c));
}

static void test_dense(void)
{
	struct call c;

	call_init(&c, "dense");
	add_in(&c, SH(512));
	set_int(&c, "units", 1000);
	ASSERT_STR_EQ("[1000]", run(&c));
	ASSERT_EQ_INT(512 * 1000 + 1000, trainable_params(&c));
	ASSERT_EQ_INT(512000, macs(&c));
	set_bool(&c, "bias", false);
	ASSERT_EQ_INT(512000, trainable_params(&c));

	call_init(&c, "dense");
	add_in(&c, SH(64, 7, 7));
	set_int(&c, "units", 10);
	ASSERT_STR_EQ("error: expects a vector input [features], got [64,7,7]; put flatten "
		      "or global_avgpool before it", run(&c));
	ASSERT_EQ_INT(0, c.err.input);
	c.in[0] = SH(10);
	set_int(&c, "units", 0);
	ASSERT_STR_EQ("error: units must be at least 1, got 0", run(&c));
	ASSERT_EQ_INT(0, c.err.attr);
	set_int(&c, "units", 1 << 21);
	c.in[0] = SH(1 << 20);
	ASSERT_STR_EQ("error: the weight [2097152,1048576] would have more than 2^40 elements",
		      run(&c));
}

static void test_batchnorm_dropout(void)
{
	struct call c;
	int64_t t, st;
	int np;

	call_init(&c, "batchnorm");
	add_in(&c, SH(64, 56, 56));
	ASSERT_STR_EQ("[64,56,56]", run(&c));
	count_params(&c, &t, &st, &np);
	ASSERT_EQ_INT(4, np);
	ASSERT_EQ_INT(128, t);
	ASSERT_EQ_INT(128, st);
	ASSERT_EQ_INT(0, macs(&c));
	set_bool(&c, "affine", false);
	ASSERT_STR_EQ("[64,56,56]", run(&c));
	count_params(&c, &t, &st, &np);
	ASSERT_EQ_INT(2, np);
	ASSERT_EQ_INT(0, t);
	ASSERT_EQ_INT(128, st);
	c.in[0] = SH(100);
	ASSERT_STR_EQ("[100]", run(&c));
	set_float(&c, "momentum", 1.5);
	ASSERT_STR_EQ("error: momentum must be in [0, 1], got 1.5", run(&c));

	call_init(&c, "dropout");
	add_in(&c, SH(4096));
	ASSERT_STR_EQ("[4096]", run(&c));
	set_float(&c, "p", 0);
	ASSERT_STR_EQ("[4096]", run(&c));
	set_float(&c, "p", 1);
	ASSERT_STR_EQ("error: p must be in [0, 1), got 1", run(&c));
	ASSERT_EQ_INT(0, c.err.attr);
	set_float(&c, "p", -0.5);
	ASSERT_STR_EQ("error: p must be in [0, 1), got -0.5", run(&c));
}

/* maxpool/avgpool output size along one dimension of an [8, in] input. */
static const char *pool1(struct call *c, const char *op, int64_t in, int64_t k,
			 int64_t stride, int64_t pad, bool ceil)
{
	call_init(c, op);
	add_in(c, SH(8, in));
	set_ints(c, "kernel", LIST(k));
	if (stride > 0)
		set_ints(c, "stride", LIST(stride));
	set_ints(c, "pad", LIST(pad));
	set_bool(c, "ceil", ceil);
	return run(c);
}

static void test_pool(void)
{
	struct call c;

	/* ResNet stem. */
	call_init(&c, "maxpool");
	add_in(&c, SH(64, 112, 112));
	set_ints(&c, "kernel", LIST(3));
	set_ints(&c, "stride", LIST(2));
	set_ints(&c, "pad", LIST(1));
	ASSERT_STR_EQ("[64,56,56]", run(&c));
	ASSERT_EQ_INT(0, trainable_params(&c));
	ASSERT_EQ_INT(0, macs(&c));

	/* Stride defaults to the kernel. */
	call_init(&c, "maxpool");
	add_in(&c, SH(6, 28, 28));
	set_ints(&c, "kernel", LIST(2));
	ASSERT_STR_EQ("[6,14,14]", run(&c));
	call_init(&c, "avgpool");
	add_in(&c, SH(512, 7, 7));
	set_ints(&c, "kernel", LIST(2));
	ASSERT_STR_EQ("[512,3,3]", run(&c));
	set_bool(&c, "ceil", true);
	ASSERT_STR_EQ("[512,4,4]", run(&c));

	/* Ceil mode as torch.nn.MaxPool1d / AvgPool1d compute it. */
	ASSERT_STR_EQ("[8,55]", pool1(&c, "maxpool", 112, 3, 2, 0, false));
	ASSERT_STR_EQ("[8,56]", pool1(&c, "maxpool", 112, 3, 2, 0, true));
	ASSERT_STR_EQ("[8,27]", pool1(&c, "maxpool", 55, 3, 2, 0, true));
	ASSERT_STR_EQ("[8,28]", pool1(&c, "maxpool", 56, 3, 2, 0, true));
	ASSERT_STR_EQ("[8,3]", pool1(&c, "maxpool", 5, 2, 2, 1, false));
	/* The last window would start in the right padding: dropped. */
	ASSERT_STR_EQ("[8,3]", pool1(&c, "maxpool", 5, 2, 2, 1, true));
	ASSERT_STR_EQ("[8,4]", pool1(&c, "avgpool", 6, 2, 2, 1, true));
	ASSERT_STR_EQ("[8,3]", pool1(&c, "avgpool", 7, 2, 0, 0, false));
	ASSERT_STR_EQ("[8,4]", pool1(&c, "avgpool", 7, 3, 2, 1, false));
	ASSERT_STR_EQ("[8,1]", pool1(&c, "avgpool", 3, 3, 5, 0, true));

	/* Dilated maxpool: span 2 * (3 - 1) + 1 = 5. */
	call_init(&c, "maxpool");
	add_in(&c, SH(8, 10));
	set_ints(&c, "kernel", LIST(3));
	set_ints(&c, "stride", LIST(1));
	set_ints(&c, "dilation", LIST(2));
	ASSERT_STR_EQ("[8,6]", run(&c));

	ASSERT_STR_EQ("error: pad 2 is more than half the kernel 3 in dimension 2",
		      pool1(&c, "maxpool", 10, 3, 1, 2, false));
	ASSERT_EQ_INT(op_attr_index(c.o, "pad"), c.err.attr);
	ASSERT_STR_EQ("error: kernel 5 is larger than the padded input 3 in dimension 2",
		      pool1(&c, "avgpool", 3, 5, 0, 0, false));
	ASSERT_STR_EQ("error: kernel 5 (dilation 1) is larger than the padded input 3 "
		      "in dimension 2", pool1(&c, "maxpool", 3, 5, 0, 0, false));
	pool1(&c, "maxpool", 3, 1, 0, 0, false);
	set_ints(&c, "stride", LIST(0));
	ASSERT_STR_EQ("error: stride must be at least 1, got 0", run(&c));

	call_init(&c, "global_avgpool");
	add_in(&c, SH(512, 7, 7));
	ASSERT_STR_EQ("[512]", run(&c));
	c.in[0] = SH(10);
	ASSERT_STR_EQ("error: expects an input [C, spatial...], got [10]", run(&c));
	call_init(&c, "global_maxpool");
	add_in(&c, SH(8, 4));
	ASSERT_STR_EQ("[8]", run(&c));
	c.in[0] = SH(2, 3, 4, 5, 6, 7);
	ASSERT_STR_EQ("[2]", run(&c));
}

static void test_reshape_flatten(void)
{
	struct call c;

	call_init(&c, "flatten");
	add_in(&c, SH(16, 5, 5));
	ASSERT_STR_EQ("[400]", run(&c));
	c.in[0] = SH((int64_t)1 << 39, (int64_t)1 << 39);
	ASSERT_STR_EQ("error: dimension 1 overflows: the input [549755813888,549755813888] "
		      "has more than 2^40 elements", run(&c));
	c.in[0] = SH((int64_t)1 << 40);
	ASSERT_STR_EQ("[1099511627776]", run(&c));
	c.in[0] = SH(((int64_t)1 << 40) + 1);
	ASSERT_STR_EQ("error: dimension 1 overflows (the limit is 2^40)", run(&c));

	call_init(&c, "reshape");
	add_in(&c, SH(64, 7, 7));
	set_ints(&c, "shape", LIST(-1, 49));
	ASSERT_STR_EQ("[64,49]", run(&c));
	set_ints(&c, "shape", LIST(3136));
	ASSERT_STR_EQ("[3136]", run(&c));
	set_ints(&c, "shape", LIST(3000));
	ASSERT_STR_EQ("error: cannot reshape [64,7,7] (3136 elements) to [3000] "
		      "(3000 elements)", run(&c));
	ASSERT_EQ_INT(0, c.err.attr);
	set_ints(&c, "shape", LIST(-1, 100));
	ASSERT_STR_EQ("error: cannot reshape [64,7,7] (3136 elements) to [-1,100]: "
		      "3136 is not a multiple of 100", run(&c));
	set_ints(&c, "shape", LIST(-1, -1));
	ASSERT_STR_EQ("error: shape [-1,-1] has more than one -1", run(&c));
	set_ints(&c, "shape", LIST(0, 3136));
	ASSERT_STR_EQ("error: shape [0,3136]: sizes must be positive or -1, got 0", run(&c));
	set_ints(&c, "shape", LIST((int64_t)1 << 30, (int64_t)1 << 30, -1));
	ASSERT_STR_EQ("error: dimension 2 overflows: the shape [1073741824,1073741824,-1] "
		      "has more than 2^40 elements", run(&c));
}

static void test_concat(void)
{
	struct call c;

	call_init(&c, "concat");
	add_in(&c, SH(64, 56, 56));
	add_in(&c, SH(128, 56, 56));
	ASSERT_STR_EQ("[192,56,56]", run(&c));
	add_in(&c, SH(32, 56, 56));
	ASSERT_STR_EQ("[224,56,56]", run(&c));
	c.in[2] = SH(32, 28, 56);
	ASSERT_STR_EQ("error: shapes [64,56,56] and [32,28,56] differ in dimension 2 "
		      "(concat joins dimension 1)", run(&c));
	ASSERT_EQ_INT(2, c.err.input);
	c.nin = 2;
	c.in[1] = SH(128, 28, 28);
	ASSERT_STR_EQ("error: shapes [64,56,56] and [128,28,28] differ in dimension 2 "
		      "(concat joins dimension 1)", run(&c));
	ASSERT_EQ_INT(1, c.err.input);
	ASSERT_EQ_INT(-1, c.err.attr);

	call_init(&c, "concat");
	add_in(&c, SH(4, 5));
	add_in(&c, SH(4, 6));
	set_int(&c, "axis", -1);
	ASSERT_STR_EQ("[4,11]", run(&c));
	set_int(&c, "axis", 2);
	ASSERT_STR_EQ("[4,11]", run(&c));
	set_int(&c, "axis", 1);
	ASSERT_STR_EQ("error: shapes [4,5] and [4,6] differ in dimension 2 (concat joins "
		      "dimension 1)", run(&c));
	set_int(&c, "axis", 0);
	ASSERT_STR_EQ("error: axis 0 is the batch dimension; dimension 1 is the channels",
		      run(&c));
	ASSERT_EQ_INT(0, c.err.attr);
	set_int(&c, "axis", -3);
	ASSERT_STR_EQ("error: axis -3 is the batch dimension; dimension 1 is the channels",
		      run(&c));
	set_int(&c, "axis", 3);
	ASSERT_STR_EQ("error: axis 3 is out of range for the input [4,5] (use 1 to 2, "
		      "or -2 to -1)", run(&c));
	set_int(&c, "axis", INT64_MIN);
	ASSERT(strncmp(run(&c), "error: axis", 11) == 0);
	set_int(&c, "axis", 1);
	c.in[1] = SH(4);
	ASSERT_STR_EQ("error: shapes [4,5] and [4] have different ranks", run(&c));
	ASSERT_EQ_INT(1, c.err.input);

	c.nin = 1;
	ASSERT_STR_EQ("error: expects at least 2 inputs, got 1", run(&c));
	c.nin = 2;
	c.in[0] = SH(((int64_t)1 << 40) - 1);
	c.in[1] = SH(2);
	ASSERT_STR_EQ("error: dimension 1 overflows (the limit is 2^40)", run(&c));
}

static void test_merge(void)
{
	struct call c;

	call_init(&c, "add");
	add_in(&c, SH(64, 56, 56));
	add_in(&c, SH(128, 28, 28));
	ASSERT_STR_EQ("error: shapes [64,56,56] and [128,28,28] differ in dimension 1",
		      run(&c));
	ASSERT_STR_EQ("shapes [64,56,56] and [128,28,28] differ in dimension 1", c.err.msg);
	ASSERT_EQ_INT(1, c.err.input);
	ASSERT_EQ_INT(-1, c.err.attr);
	c.in[1] = SH(64, 56, 28);
	ASSERT_STR_EQ("error: shapes [64,56,56] and [64,56,28] differ in dimension 3",
		      run(&c));
	c.in[1] = SH(64, 56);
	ASSERT_STR_EQ("error: shapes [64,56,56] and [64,56] have different ranks", run(&c));
	ASSERT_EQ_INT(1, c.err.input);
	c.in[1] = SH(64, 56, 56);
	ASSERT_STR_EQ("[64,56,56]", run(&c));
	ASSERT_EQ_INT(0, macs(&c));

	call_init(&c, "multiply");
	add_in(&c, SH(10, 3));
	add_in(&c, SH(10, 3));
	add_in(&c, SH(10, 3));
	ASSERT_STR_EQ("[10,3]", run(&c));
	c.in[2] = SH(10, 4);
	ASSERT_STR_EQ("error: shapes [10,3] and [10,4] differ in dimension 2", run(&c));
	ASSERT_EQ_INT(2, c.err.input);
}

static void test_activations(void)
{
	static const char *const names[] = {
		"relu", "sigmoid", "tanh", "gelu", "identity", "leaky_relu", "elu",
	};
	struct call c;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		call_init(&c, names[i]);
		add_in(&c, SH(64, 7, 7));
		ASSERT_STR_EQ("[64,7,7]", run(&c));
		ASSERT(c.o->flags & OPF_ELEMENTWISE);
		ASSERT(c.o->flags & OPF_ACTIVATION);
		ASSERT_EQ_INT(0, trainable_params(&c));
	}
	call_init(&c, "leaky_relu");
	add_in(&c, SH(5));
	set_float(&c, "slope", 0.2);
	ASSERT_STR_EQ("[5]", run(&c));

	call_init(&c, "softmax");
	add_in(&c, SH(10));
	ASSERT_STR_EQ("[10]", run(&c));
	set_int(&c, "axis", -1);
	ASSERT_STR_EQ("[10]", run(&c));
	set_int(&c, "axis", 2);
	ASSERT_STR_EQ("error: axis 2 is out of range for the input [10] (use 1 to 1, or -1 "
		      "to -1)", run(&c));
	c.in[0] = SH(10, 4);
	ASSERT_STR_EQ("[10,4]", run(&c));
}

static void test_upsample(void)
{
	struct call c;

	call_init(&c, "upsample");
	add_in(&c, SH(3, 8, 8));
	ASSERT_STR_EQ("[3,16,16]", run(&c));
	set_ints(&c, "scale", LIST(2, 3));
	ASSERT_STR_EQ("[3,16,24]", run(&c));
	set_sym(&c, "mode", "bilinear");
	ASSERT_STR_EQ("[3,16,24]", run(&c));
	c.in[0] = SH(3, 8);
	set_ints(&c, "scale", LIST(4));
	ASSERT_STR_EQ("error: mode = bilinear needs an input [C, H, W], got [3,8]", run(&c));
	set_sym(&c, "mode", "nearest");
	ASSERT_STR_EQ("[3,32]", run(&c));
	set_ints(&c, "scale", LIST(0));
	ASSERT_STR_EQ("error: scale must be at least 1, got 0", run(&c));
	set_ints(&c, "scale", LIST((int64_t)1 << 38));
	ASSERT_STR_EQ("error: dimension 2 overflows (the limit is 2^40)", run(&c));
	set_ints(&c, "scale", LIST(1, 2));
	ASSERT_STR_EQ("error: scale has 2 values but the input [3,8] has 1 spatial dimension",
		      run(&c));
}

static void test_input(void)
{
	struct call c;
	struct op_call oc;

	memset(&c, 0, sizeof c);
	c.op = OP_INPUT;
	c.o = &op_table[OP_INPUT];
	oc = op_call_of(&c);
	ASSERT(!c.o->shape(&oc, &c.out, &c.err));
	ASSERT(c.err.msg[0] != 0);
}

/* Fill the required arguments of c with small valid values. */
static void fill_required(struct call *c)
{
	for (int i = 0; i < c->o->nattrs; i++) {
		const struct attr_spec *s = &c->o->attrs[i];
		struct attr *a = &c->attr[i];
		if (s->def)
			continue;
		memset(a, 0, sizeof *a);
		a->set = true;
		a->sym = -1;
		a->n = 1;
		a->i = a->v[0] = s->type == AT_SHAPE ? -1 : 1;
	}
}

/* Run c's shape function; on success its params and MACs must be sane. */
static void sweep_one(struct call *c)
{
	struct op_call oc = op_call_of(c);
	struct param_desc p[OP_MAX_PARAMS];

	memset(&c->err, 0x55, sizeof c->err);
	if (c->o->shape(&oc, &c->out, &c->err)) {
		int64_t n;
		int np = c->o->params(&oc, &c->out, p);
		ASSERT(np >= 0 && np <= OP_MAX_PARAMS);
		ASSERT(c->out.rank >= 0 && c->out.rank <= SHAPE_MAX_RANK);
		ASSERT(shape_numel(&c->out, &n));
		for (int i = 0; i < c->out.rank; i++)
			ASSERT(c->out.d[i] >= 1);
		ASSERT(c->o->macs(&oc, &c->out) >= 0);
	} else {
		ASSERT(memchr(c->err.msg, 0, sizeof c->err.msg) != NULL);
		ASSERT(c->err.msg[0] != 0);
		ASSERT(c->err.attr >= -1 && c->err.attr < c->o->nattrs);
		ASSERT(c->err.input >= -1 && c->err.input < c->nin);
	}
}

/* Every op on 0..MAX_IN inputs of every rank, with default and hostile
 * arguments: no crash, no sanitizer report, consistent results. */
static void test_sweep(void)
{
	static const int64_t dims[] = { 1, 3, 7, (int64_t)1 << 39, (int64_t)1 << 40 };
	static const int64_t vals[] = { 0, -1, 1, 2, 5, INT64_MAX, INT64_MIN, (int64_t)1 << 40 };
	struct call c;

	for (int op = 1; op < OP_COUNT; op++) {
		for (int nin = 0; nin <= MAX_IN; nin++) {
			for (int rank = 0; rank <= SHAPE_MAX_RANK; rank++) {
				for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
					call_init(&c, op_table[op].name);
					fill_required(&c);
					for (int i = 0; i < nin; i++) {
						c.in[i].rank = rank;
						for (int j = 0; j < rank; j++)
							c.in[i].d[j] = j == 0 ? 4 : dims[di];
					}
					c.nin = nin;
					sweep_one(&c);
					if (nin > 1 && rank > 0) {
						c.in[nin - 1].rank = rank - 1;
						sweep_one(&c);
					}
				}
			}
		}
		/* Hostile arguments on a plausible input. */
		for (int ai = 0; ai < op_table[op].nattrs; ai++) {
			for (size_t vi = 0; vi < sizeof vals / sizeof vals[0]; vi++) {
				for (int n = 1; n <= 3; n++) {
					call_init(&c, op_table[op].name);
					fill_required(&c);
					struct attr *a = &c.attr[ai];
					a->set = true;
					a->n = n;
					a->i = vals[vi];
					a->f = (double)vals[vi];
					for (int k = 0; k < n; k++)
						a->v[k] = vals[vi];
					add_in(&c, SH(4, 9, 9));
					if (op_table[op].min_in > 1)
						add_in(&c, SH(4, 9, 9));
					sweep_one(&c);
					a->sym = 0;
					sweep_one(&c);
					a->sym = 1;
					sweep_one(&c);
				}
			}
		}
	}
}

int main(void)
{
	test_table();
	test_syms();
	test_attr_helpers();
	test_conv();
	test_conv_errors();
	test_conv_transpose();
	test_dense();
	test_batchnorm_dropout();
	test_pool();
	test_reshape_flatten();
	test_concat();
	test_merge();
	test_activations();
	test_upsample();
	test_input();
	test_sweep();
	return check_summary();
}
