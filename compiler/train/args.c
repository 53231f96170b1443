/* args.c - the kernel arguments of a node: window geometry, axes, counts,
 * read from the node's attributes and shapes with the program's batch.
 * The forward and the gradient rule of an op take the same arguments.
 *
 * Window sizes follow compiler/ops.c: pad = same pads dil * (k - 1) in
 * total, the odd one on the high side; an unset pooling stride is the
 * kernel. */
#include "autodiff.h"

#include <string.h>

/* The argument called name (an unset one when the op has none). */
const struct attr *tp_attr(const struct node *n, const char *name)
{
	static const struct attr none = { .set = false, .sym = -1 };
	int i = op_attr_index(&op_table[n->op], name);
	return i >= 0 && n->attr ? &n->attr[i] : &none;
}

/* Which of n->params is called name. */
int tp_param_index(const struct node *n, const char *name)
{
	for (int i = 0; i < n->nparams && i < OP_MAX_PARAMS; i++)
		if (strcmp(n->params[i].name, name) == 0)
			return i;
	return -1;
}

/* An axis counted with the batch as 0 (negative: from the end) to an index
 * into s->d[]. */
int tp_axis_index(int64_t axis, const struct shape *s)
{
	int64_t k = axis < 0 ? axis + s->rank + 1 : axis;
	return k >= 1 && k <= s->rank ? (int)(k - 1) : -1;
}

/* Product of d[from, to). */
static int64_t prod(const struct shape *s, int from, int to)
{
	int64_t p = 1;
	for (int i = from; i < to; i++)
		p *= s->d[i];
	return p;
}

/* An AT_INTS argument expanded to nd values; fallback when unset. */
static void ints(const struct node *n, const char *name, int nd, int64_t fallback,
		 int64_t out[TP_MAX_SPATIAL])
{
	const struct attr *a = tp_attr(n, name);
	int64_t v[SHAPE_MAX_RANK];

	for (int i = 0; i < TP_MAX_SPATIAL; i++)
		out[i] = i < nd ? fallback : 1;
	if (a->set && a->sym < 0 && attr_expand(a, nd, v))
		for (int i = 0; i < nd; i++)
			out[i] = v[i];
}

/* conv and conv_transpose share the descriptor and the argument names;
 * only conv's pad may be same or valid. */
static union tp_args conv_like(const struct tprog *P, const struct node *n)
{
	const struct shape *in = &n->in[0]->shape;
	union tp_args a;
	struct tp_conv *c = &a.conv;
	const struct attr *pad = tp_attr(n, "pad");
	int64_t g = tp_attr(n, "groups")->i;

	memset(&a, 0, sizeof a);
	c->nd = in->rank - 1;
	c->n = P->batch;
	c->c = in->d[0];
	c->k = n->shape.d[0];
	c->groups = g >= 1 ? g : 1;
	for (int i = 0; i < c->nd; i++) {
		c->in[i] = in->d[i + 1];
		c->out[i] = n->shape.d[i + 1];
	}
	ints(n, "kernel", c->nd, 1, c->kernel);
	ints(n, "stride", c->nd, 1, c->stride);
	ints(n, "dilation", c->nd, 1, c->dilation);
	ints(n, "output_pad", c->nd, 0, c->output_pad);
	ints(n, "pad", c->nd, 0, c->pad_lo);
	memcpy(c->pad_hi, c->pad_lo, sizeof c->pad_hi);
	if (pad->set && pad->sym == 0) {       /* same */
		for (int i = 0; i < c->nd; i++) {
			int64_t total = c->dilation[i] * (c->kernel[i] - 1);
			c->pad_lo[i] = total / 2;
			c->pad_hi[i] = total - total / 2;
		}
	} else if (pad->set && pad->sym == 1) { /* valid */
		for (int i = 0; i < c->nd; i++)
			c->pad_lo[i] = c->pad_hi[i] = 0;
	}
	for (int i = c->nd; i < TP_MAX_SPATIAL; i++)
		c->pad_lo[i] = c->pad_hi[i] = c->output_pad[i] = 0;
	return a;
}

/* conv: nrt_conv_desc fields. */
union tp_args tp_conv_args(const struct tprog *P, const struct node *n)
{
	return conv_like(P, n);
}

/* conv_transpose: the same fields (in = its input, out = its larger
 * output). */
union tp_args tp_conv_transpose_args(const struct tprog *P, const struct node *n)
{
	return conv_like(P, n);
}

/* dense: batch, features in and out. */
union tp_args tp_dense_args(const struct tprog *P, const struct node *n)
{
	union tp_args a;
	memset(&a, 0, sizeof a);
	a.dense.n = P->batch;
	a.dense.in = n->in[0]->shape.d[0];
	a.dense.out = n->shape.d[0];
	return a;
}

/* batchnorm over [N, C, positions]. */
union tp_args tp_bn_args(const struct tprog *P, const struct node *n)
{
	union tp_args a;
	memset(&a, 0, sizeof a);
	a.bn.n = P->batch;
	a.bn.c = n->shape.d[0];
	a.bn.s = prod(&n->shape, 1, n->shape.rank);
	a.bn.eps = tp_attr(n, "eps")->f;
	a.bn.momentum = tp_attr(n, "momentum")->f;
	return a;
}

/* dropout: elements, p, and the node id as the Philox stream. */
union tp_args tp_dropout_args(const struct tprog *P, const struct node *n)
{
	union tp_args a;
	memset(&a, 0, sizeof a);
	a.dropout.count = P->batch * prod(&n->shape, 0, n->shape.rank);
	a.dropout.p = tp_attr(n, "p")->f;
	a.dropout.layer = (uint32_t)n->id;
	return a;
}

/* maxpool and avgpool windows. */
union tp_args tp_pool_args(const struct tprog *P, const struct node *n)
{
	const struct shape *in = &n->in[0]->shape;
	const struct attr *stride = tp_attr(n, "stride");
	union tp_args a;
	struct tp_pool *p = &a.pool;

	memset(&a, 0, sizeof a);
	p->nd = in->rank - 1;
	p->n = P->batch;
	p->c = in->d[0];
	for (int i = 0; i < p->nd; i++) {
		p->in[i] = in->d[i + 1];
		p->out[i] = n->shape.d[i + 1];
	}
	ints(n, "kernel", p->nd, 1, p->kernel);
	if (stride->set)
		ints(n, "stride", p->nd, 1, p->stride);
	else
		memcpy(p->stride, p->kernel, sizeof p->stride);
	ints(n, "pad", p->nd, 0, p->pad);
	ints(n, "dilation", p->nd, 1, p->dilation);
	for (int i = p->nd; i < TP_MAX_SPATIAL; i++)
		p->pad[i] = 0;
	p->count_pad = op_attr_index(&op_table[n->op], "count_pad") >= 0 &&
		       tp_attr(n, "count_pad")->i != 0;
	return a;
}

/* Global pools: N * C planes of the spatial positions. */
union tp_args tp_gpool_args(const struct tprog *P, const struct node *n)
{
	const struct shape *in = &n->in[0]->shape;
	union tp_args a;
	memset(&a, 0, sizeof a);
	a.gpool.nc = P->batch * in->d[0];
	a.gpool.s = prod(in, 1, in->rank);
	return a;
}

/* concat: [outer, len[i], inner] around the axis. */
union tp_args tp_concat_args(const struct tprog *P, const struct node *n)
{
	const struct shape *s = &n->shape;
	int ax = tp_axis_index(tp_attr(n, "axis")->i, s);
	union tp_args a;
	int64_t *len = arena_array(P->A, (size_t)n->nin, sizeof *len);

	memset(&a, 0, sizeof a);
	if (ax < 0)
		ax = 0;  /* sema checked the axis */
	a.concat.outer = P->batch * prod(s, 0, ax);
	a.concat.inner = prod(s, ax + 1, s->rank);
	for (int i = 0; i < n->nin; i++)
		len[i] = n->in[i]->shape.d[ax];
	a.concat.len = len;
	return a;
}

/* softmax: [outer, len, inner] around the axis. */
union tp_args tp_softmax_args(const struct tprog *P, const struct node *n)
{
	const struct shape *s = &n->shape;
	int ax = tp_axis_index(tp_attr(n, "axis")->i, s);
	union tp_args a;

	memset(&a, 0, sizeof a);
	if (ax < 0)
		ax = 0;
	a.axis.outer = P->batch * prod(s, 0, ax);
	a.axis.len = s->d[ax];
	a.axis.inner = prod(s, ax + 1, s->rank);
	return a;
}

/* upsample: the input sizes and the factors. */
union tp_args tp_upsample_args(const struct tprog *P, const struct node *n)
{
	const struct shape *in = &n->in[0]->shape;
	union tp_args a;
	struct tp_upsample *u = &a.up;

	memset(&a, 0, sizeof a);
	u->nd = in->rank - 1;
	u->n = P->batch;
	u->c = in->d[0];
	for (int i = 0; i < u->nd; i++)
		u->in[i] = in->d[i + 1];
	ints(n, "scale", u->nd, 2, u->scale);
	u->bilinear = tp_attr(n, "mode")->sym == 1;
	return a;
}

/* Pointwise ops: elements over the batch, and slope / alpha. */
union tp_args tp_node_count_args(const struct tprog *P, const struct node *n)
{
	double alpha = 0;
	if (op_attr_index(&op_table[n->op], "slope") >= 0)
		alpha = tp_attr(n, "slope")->f;
	else if (op_attr_index(&op_table[n->op], "alpha") >= 0)
		alpha = tp_attr(n, "alpha")->f;
	return tp_count_args(P->batch * prod(&n->shape, 0, n->shape.rank), alpha);
}
