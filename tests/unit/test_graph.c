/* test_graph.c - the graph IR: building, statistics, verification, the
 * text dump, the summary table and the Graphviz output.
 *
 * The graph is the MNIST-sized network
 *
 *   x: [1,28,28] -> conv(8, 3, pad=1) -> batchnorm -> relu   (block conv_bn)
 *                -> maxpool(2) -> flatten -> dense(10)
 *
 * built by hand with shapes, parameters and MACs from the op table. */
#include "check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

/* What fn writes for g, as a malloc'd string. */
static char *capture(void (*fn)(FILE *, const struct graph *), const struct graph *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fn(f, g);
	fclose(f);
	return buf;
}

/* True when text has a line equal to `line` once runs of spaces are
 * squeezed to one and trailing spaces dropped. */
static bool has_row(const char *text, const char *line)
{
	const char *p = text;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char buf[512];
		size_t k = 0;
		for (size_t i = 0; i < n && k < sizeof buf - 1; i++) {
			if (p[i] == ' ' && k > 0 && buf[k - 1] == ' ')
				continue;
			buf[k++] = p[i];
		}
		while (k > 0 && buf[k - 1] == ' ')
			k--;
		buf[k] = 0;
		if (strcmp(buf, line) == 0)
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

/* True when text has exactly this line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == n && memcmp(p, line, n) == 0)
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

static bool contains(const char *text, const char *s)
{
	return text && strstr(text, s) != NULL;
}

static struct attr *attr_of(struct node *n, const char *name)
{
	int i = op_attr_index(&op_table[n->op], name);
	if (!ASSERT(i >= 0))
		return NULL;
	return &n->attr[i];
}

static void set_int(struct node *n, const char *name, int64_t v)
{
	struct attr *a = attr_of(n, name);
	if (!a)
		return;
	a->set = true;
	a->sym = -1;
	a->i = v;
	a->f = (double)v;
	a->n = 1;
	a->v[0] = v;
}

/* A node with default arguments; its shape and costs come from fill(). */
static struct node *add(struct graph *g, enum op op, struct node *in, const char *name,
			struct inst *inst)
{
	struct node *n = graph_add(g, op, in ? 1 : 0, in ? &in : NULL);
	if (!ASSERT(n != NULL))
		exit(1);
	for (int i = 0; i < op_table[op].nattrs; i++)
		attr_default(&op_table[op].attrs[i], &n->attr[i]);
	n->name = name;
	n->inst = inst;
	n->frozen = inst && inst->frozen;
	return n;
}

/* Shape, parameters and MACs of n from the op table. */
static void fill(struct node *n)
{
	struct shape in[4];
	struct op_err e;
	for (int i = 0; i < n->nin; i++)
		in[i] = n->in[i]->shape;
	struct op_call c = { n->op, n->nin, in, n->attr };
	if (!ASSERT(op_table[n->op].shape(&c, &n->shape, &e)))
		fprintf(stderr, "    %s: %s\n", op_table[n->op].name, e.msg);
	n->nparams = op_table[n->op].params(&c, &n->shape, n->params);
	n->macs = op_table[n->op].macs(&c, &n->shape);
}

static struct loc at(int line, int col)
{
	return (struct loc){ 0, line, col, line, col + 4 };
}

static struct inst features = {
	"block", "features", "features", { 0, 3, 5, 3, 20 }, { 0, 1, 1, 1, 10 }, NULL, false
};
static struct inst conv_bn = {
	"block", "conv_bn", "features/conv_bn_1", { 0, 4, 5, 4, 20 }, { 0, 1, 1, 1, 10 },
	&features, false
};
static struct inst mnist = {
	"network", "mnist", "", { -1, 0, 0, 0, 0 }, { 0, 2, 1, 2, 10 }, NULL, false
};

static struct graph *build(struct arena *A)
{
	struct graph *g = graph_new(A, "mnist");
	struct node *n;

	features.parent = &mnist;
	n = add(g, OP_INPUT, NULL, "x", &mnist);
	n->shape = (struct shape){ 3, { 1, 28, 28 } };
	n->loc = at(2, 5);

	n = add(g, OP_CONV, n, "features/conv_bn_1/conv", &conv_bn);
	set_int(n, "filters", 8);
	set_int(n, "kernel", 3);
	set_int(n, "pad", 1);
	n->loc = at(5, 20);
	fill(n);

	n = add(g, OP_BATCHNORM, n, "features/conv_bn_1/batchnorm", &conv_bn);
	fill(n);
	n = add(g, OP_RELU, n, "features/conv_bn_1/relu", &conv_bn);
	fill(n);
	n = add(g, OP_MAXPOOL, n, "features/maxpool", &features);
	set_int(n, "kernel", 2);
	fill(n);
	n = add(g, OP_FLATTEN, n, "flatten", &mnist);
	fill(n);
	n = add(g, OP_DENSE, n, "logits", &mnist);
	set_int(n, "units", 10);
	fill(n);
	graph_add_output(g, n);
	return g;
}

/* ---------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------- */

static void test_build(void)
{
	struct arena A;
	arena_init(&A);
	struct graph *g = build(&A);

	ASSERT_STR_EQ("mnist", g->name);
	ASSERT_EQ_INT(7, g->n);
	ASSERT_EQ_INT(1, g->ninputs);
	ASSERT(g->inputs[0] == g->nodes[0]);
	ASSERT_EQ_INT(1, g->noutputs);
	ASSERT(g->outputs[0] == g->nodes[6]);
	for (int i = 0; i < g->n; i++)
		ASSERT_EQ_INT(i, g->nodes[i]->id);
	ASSERT(g->nodes[1]->in[0] == g->nodes[0]);
	ASSERT_EQ_INT(op_table[OP_CONV].nattrs > 0, g->nodes[1]->attr != NULL);
	ASSERT(g->nodes[0]->attr == NULL);   /* input has no arguments */

	char b[64];
	ASSERT_STR_EQ("[8,28,28]", shape_str(&g->nodes[1]->shape, b, sizeof b));
	ASSERT_STR_EQ("[8,14,14]", shape_str(&g->nodes[4]->shape, b, sizeof b));
	ASSERT_STR_EQ("[1568]", shape_str(&g->nodes[5]->shape, b, sizeof b));
	ASSERT_STR_EQ("[10]", shape_str(&g->nodes[6]->shape, b, sizeof b));
	ASSERT_EQ_INT(56448, g->nodes[1]->macs);
	ASSERT_EQ_INT(15680, g->nodes[6]->macs);

	/* Growing past the first capacity keeps earlier nodes. */
	struct graph *h = graph_new(&A, "wide");
	struct node *x = graph_add(h, OP_INPUT, 0, NULL);
	struct node *prev = x;
	x->shape = (struct shape){ 1, { 4 } };
	for (int i = 0; i < 100; i++) {
		prev = graph_add(h, OP_RELU, 1, &prev);
		prev->shape = x->shape;
	}
	graph_add_output(h, prev);
	ASSERT_EQ_INT(101, h->n);
	ASSERT(h->nodes[0] == x);
	ASSERT_EQ_INT(100, h->nodes[100]->id);
	ASSERT(h->nodes[100]->in[0] == h->nodes[99]);
	ASSERT_STR_EQ(NULL, graph_verify(h));
	arena_free(&A);
}

static void test_stats(void)
{
	struct arena A;
	struct graph_stats s;
	arena_init(&A);
	struct graph *g = build(&A);

	/* conv 8*1*3*3 + 8 = 80, batchnorm gamma/beta 16, dense 1568*10 + 10. */
	graph_stats(g, &s);
	ASSERT_EQ_INT(80 + 16 + 15690, s.trainable);
	ASSERT_EQ_INT(16, s.non_trainable);        /* running mean and variance */
	ASSERT_EQ_INT(56448 + 15680, s.macs);
	/* 784 + 3 * 6272 + 2 * 1568 + 10 elements, 4 bytes each. */
	ASSERT_EQ_INT(4 * (784 + 3 * 6272 + 2 * 1568 + 10), s.act_bytes);
	ASSERT_EQ_INT(7, s.nnodes);

	/* Frozen parameters are not trainable. */
	g->nodes[6]->frozen = true;
	graph_stats(g, &s);
	ASSERT_EQ_INT(96, s.trainable);
	ASSERT_EQ_INT(16 + 15690, s.non_trainable);

	/* Sums saturate instead of wrapping. */
	g->nodes[1]->macs = INT64_MAX - 10;
	g->nodes[5]->shape = (struct shape){ 2, { SHAPE_DIM_MAX, 2 } };
	graph_stats(g, &s);
	ASSERT_EQ_INT(INT64_MAX, s.macs);
	ASSERT_EQ_INT(INT64_MAX, s.act_bytes);

	/* An empty graph. */
	struct graph *e = graph_new(&A, "empty");
	graph_stats(e, &s);
	ASSERT_EQ_INT(0, s.trainable + s.non_trainable + s.macs + s.act_bytes + s.nnodes);
	arena_free(&A);
}

static void test_verify(void)
{
	struct arena A;
	const char *m;
	arena_init(&A);

	struct graph *g = build(&A);
	ASSERT_STR_EQ(NULL, graph_verify(g));

	/* No outputs. */
	g->noutputs = 0;
	m = graph_verify(g);
	ASSERT(contains(m, "no outputs"));
	g->noutputs = 1;

	/* An input that comes later: not topological. */
	struct node *relu = g->nodes[3];
	relu->in[0] = g->nodes[5];
	m = graph_verify(g);
	ASSERT(contains(m, "topological"));
	ASSERT(contains(m, "%3"));
	relu->in[0] = g->nodes[2];
	ASSERT_STR_EQ(NULL, graph_verify(g));

	/* A self loop. */
	relu->in[0] = relu;
	ASSERT(graph_verify(g) != NULL);
	relu->in[0] = g->nodes[2];

	/* Wrong arity: relu takes one input. */
	relu->nin = 2;
	relu->in = (struct node *[]){ g->nodes[2], g->nodes[1] };
	m = graph_verify(g);
	ASSERT(contains(m, "inputs"));
	relu->nin = 1;
	ASSERT_STR_EQ(NULL, graph_verify(g));

	/* Shapes: rank 0, too high a rank, a zero dimension. */
	struct shape keep = g->nodes[4]->shape;
	g->nodes[4]->shape.rank = 0;
	ASSERT(contains(graph_verify(g), "rank 0"));
	g->nodes[4]->shape.rank = SHAPE_MAX_RANK + 1;
	ASSERT(graph_verify(g) != NULL);
	g->nodes[4]->shape = keep;
	g->nodes[4]->shape.d[1] = 0;
	ASSERT(contains(graph_verify(g), "dimension 2"));
	g->nodes[4]->shape = keep;

	/* Ids must match positions. */
	g->nodes[2]->id = 7;
	ASSERT(contains(graph_verify(g), "id 7"));
	g->nodes[2]->id = 2;

	/* An output from another graph. */
	struct graph *h = graph_new(&A, "other");
	struct node *y = graph_add(h, OP_INPUT, 0, NULL);
	y->shape = (struct shape){ 1, { 3 } };
	graph_add_output(g, y);
	ASSERT(graph_verify(g) != NULL);
	g->noutputs = 1;
	ASSERT_STR_EQ(NULL, graph_verify(g));
	arena_free(&A);
}

static void test_dump(void)
{
	struct arena A;
	arena_init(&A);
	struct graph *g = build(&A);
	char *s = capture(graph_dump, g);

	ASSERT(has_line(s, "%0 = input() : [1,28,28]  # 2:5"));
	ASSERT(has_line(s, "%1 = conv(%0) filters=8 kernel=3 stride=1 pad=1 dilation=1 groups=1 "
			"bias=true weight_init=he_normal bias_init=zeros : [8,28,28]  # 5:20"));
	ASSERT(has_line(s, "%2 = batchnorm(%1) eps=1e-05 momentum=0.1 affine=true : [8,28,28]"));
	ASSERT(has_line(s, "%3 = relu(%2) : [8,28,28]"));
	/* maxpool's stride is optional and unset: not printed. */
	ASSERT(has_line(s, "%4 = maxpool(%3) kernel=2 pad=0 dilation=1 ceil=false : [8,14,14]"));
	ASSERT(has_line(s, "%6 = dense(%5) units=10 bias=true weight_init=glorot_uniform "
			"bias_init=zeros : [10]"));
	ASSERT(has_line(s, "outputs: %6"));
	free(s);

	/* Symbols, float initialisers, lists and several outputs. */
	struct node *c = g->nodes[1];
	struct attr *pad = attr_of(c, "pad");
	pad->sym = sym_index(op_table[OP_CONV].attrs[op_attr_index(&op_table[OP_CONV], "pad")].syms,
			     "same");
	struct attr *k = attr_of(c, "kernel");
	k->n = 2;
	k->v[0] = 3;
	k->v[1] = 5;
	struct attr *wi = attr_of(c, "weight_init");
	wi->sym = -1;
	wi->f = 2;
	attr_of(c, "bias")->i = 0;
	attr_of(c, "dilation")->set = false;
	graph_add_output(g, g->nodes[4]);
	s = capture(graph_dump, g);
	ASSERT(contains(s, "%1 = conv(%0) filters=8 kernel=[3,5] stride=1 pad=same groups=1 "
			"bias=false weight_init=2.0 bias_init=zeros : [8,28,28]"));
	ASSERT(has_line(s, "outputs: %6, %4"));
	free(s);
	arena_free(&A);
}

static void test_summary(void)
{
	struct arena A;
	arena_init(&A);
	struct graph *g = build(&A);
	char *s = capture(graph_summary, g);

	ASSERT(has_line(s, "Network: mnist"));
	ASSERT(has_row(s, "Layer Op Output shape Params MACs"));
	ASSERT(has_row(s, "x input [1,28,28] 0 0"));
	ASSERT(has_row(s, "features/conv_bn_1/conv conv [8,28,28] 80 56,448"));
	ASSERT(has_row(s, "features/conv_bn_1/batchnorm batchnorm [8,28,28] 32 0"));
	ASSERT(has_row(s, "features/maxpool maxpool [8,14,14] 0 0"));
	ASSERT(has_row(s, "logits dense [10] 15,690 15,680"));
	ASSERT(has_row(s, "Trainable params: 15,786"));
	ASSERT(has_row(s, "Non-trainable params: 16"));
	ASSERT(has_row(s, "Total params: 15,802"));
	ASSERT(has_row(s, "Forward MACs: 72,128 (72.13 K) per sample"));
	ASSERT(has_row(s, "Activation memory: 90,984 bytes (88.9 KiB) per sample (f32)"));

	/* Every line of the table is as wide as the rules; numbers right-aligned. */
	const char *rule = strstr(s, "\n-");
	ASSERT(rule != NULL);
	if (rule) {
		size_t w = strcspn(rule + 1, "\n");
		const char *hdr = strstr(s, "\nLayer");
		ASSERT(hdr && strcspn(hdr + 1, "\n") == w);
		const char *row = strstr(s, "\nlogits");
		ASSERT(row && strcspn(row + 1, "\n") == w);
		ASSERT(strstr(s, "\n=") && strcspn(strstr(s, "\n=") + 1, "\n") == w);
	}
	ASSERT(contains(s, "Trainable params:     15,786\n"));
	ASSERT(contains(s, "Non-trainable params:     16\n"));
	free(s);

	/* Frozen nodes; a long name cut from the front; large counts. */
	g->nodes[6]->frozen = true;
	g->nodes[6]->macs = 1814083944;
	g->nodes[5]->name = "a/very/long/scope/path/that/goes/on/and/on/and/on/flatten";
	s = capture(graph_summary, g);
	ASSERT(has_row(s, "logits dense (frozen) [10] 15,690 1,814,083,944"));
	ASSERT(has_row(s, "...scope/path/that/goes/on/and/on/and/on/flatten flatten [1568] 0 0"));
	ASSERT(has_row(s, "Trainable params: 96"));
	ASSERT(has_row(s, "Non-trainable params: 15,706"));
	ASSERT(has_row(s, "Forward MACs: 1,814,140,392 (1.81 G) per sample"));
	const char *cut = strstr(s, "\n...");
	ASSERT(cut && strcspn(cut + 1, " ") == 48);
	free(s);

	/* Saturated totals are not shown as numbers. */
	g->nodes[1]->macs = INT64_MAX;
	s = capture(graph_summary, g);
	ASSERT(has_row(s, "Forward MACs: overflow per sample"));
	free(s);
	arena_free(&A);
}

static void test_dot(void)
{
	struct arena A;
	arena_init(&A);
	struct graph *g = build(&A);
	g->nodes[6]->name = "log\"its\\";
	char *s = capture(graph_dot, g);

	ASSERT(has_line(s, "digraph \"mnist\" {"));
	ASSERT(has_line(s, "\trankdir=TB;"));
	ASSERT(contains(s, "node [shape=box, style=\"rounded,filled\""));
	ASSERT(contains(s, "n0 [label=\"x\\n[1,28,28]\", tooltip=\"x\", shape=ellipse"));
	ASSERT(contains(s, "n1 [label=\"conv 8 3x3 p1\\n[8,28,28]\""));
	ASSERT(contains(s, "n4 [label=\"maxpool 2x2\\n[8,14,14]\""));
	ASSERT(contains(s, "n6 [label=\"dense 10\\n[10]\", tooltip=\"log\\\"its\\\\\", penwidth=2"));
	ASSERT(contains(s, "fillcolor=\"#cfe2ff\""));   /* conv blue */
	for (int i = 1; i < g->n; i++) {
		char e[32];
		snprintf(e, sizeof e, "\tn%d -> n%d;\n", i - 1, i);
		ASSERT(contains(s, e));
	}
	/* The network's own instance is no cluster; features holds conv_bn. */
	ASSERT(!contains(s, "label=\"mnist"));
	const char *f = strstr(s, "label=\"features (features)\";");
	const char *cb = strstr(s, "label=\"conv_bn (features/conv_bn_1)\";");
	const char *mp = strstr(s, "n4 [");
	const char *fl = strstr(s, "n5 [");
	ASSERT(f && cb && mp && fl);
	if (f && cb && mp && fl) {
		ASSERT(f < cb && cb < mp && mp < fl);
		/* conv_bn closes before maxpool, features after it, before flatten. */
		ASSERT(contains(s, "\t\t}\n\t\tn4 ["));
		ASSERT(contains(s, "\t}\n\tn5 ["));
		ASSERT(strstr(cb, "\t\t\tn1 [") != NULL);
	}
	free(s);

	/* Stride and groups; an empty graph is still a digraph. */
	set_int(g->nodes[1], "stride", 2);
	set_int(g->nodes[1], "groups", 2);
	s = capture(graph_dot, g);
	ASSERT(contains(s, "n1 [label=\"conv 8 3x3 /2 p1 g2\\n[8,28,28]\""));
	free(s);
	s = capture(graph_dot, graph_new(&A, NULL));
	ASSERT_STR_EQ("digraph \"network\" {\n\trankdir=TB;\n"
		      "\tnode [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n"
		      "\tedge [fontname=\"Helvetica\"];\n}\n", s);
	free(s);
	arena_free(&A);
}

int main(void)
{
	test_build();
	test_stats();
	test_verify();
	test_dump();
	test_summary();
	test_dot();
	return check_summary();
}
