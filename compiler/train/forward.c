/* forward.c - the forward rule of every op: the steps that compute a
 * node's value from its inputs' values, in training mode (train_step) or
 * inference mode (forward, eval_step).  The two modes differ for
 * batchnorm (batch statistics, saved for the backward, and updated
 * running statistics; or the running statistics) and dropout (a Philox
 * mask; or a copy).  A frozen batchnorm runs in inference mode in
 * train_step too (Keras' trainable = false): its statistics stay as they
 * are.
 *
 * The rules are a table indexed by op (the gradient rules are the grad
 * column of the op table, ops.def). */
#include "autodiff.h"

#include <string.h>

/* What a forward rule gets: the values of the inputs and of the node. */
typedef void fwd_rule(struct ad_ctx *C, const struct node *n, const int *in, int out);

/* Steps over count elements with one input (activations, copies). */
static void pointwise(struct ad_ctx *C, const struct node *n, enum tp_step_kind k,
		      const int *in, int out)
{
	union tp_args a = tp_node_count_args(C->P, n);
	ad_emit(C, k, n, &a, 2, in[0], out);
}

/* A copy (flatten, reshape, identity; dropout in inference). */
static void fwd_copy(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a = tp_count_args(tp_numel(C->P, out), 0);
	ad_emit(C, TS_COPY, n, &a, 2, in[0], out);
}

/* A layer with a weight and an optional bias. */
static void weighted(struct ad_ctx *C, const struct node *n, enum tp_step_kind k,
		     const union tp_args *a, const int *in, int out)
{
	const struct tp_node *tn = &C->P->nodes[n->id];
	int b = tp_param_index(n, "bias");
	ad_emit(C, k, n, a, 4, in[0], tn->param[tp_param_index(n, "weight")],
		b >= 0 ? tn->param[b] : -1, out);
}

/* conv: x w b? -> y. */
static void fwd_conv(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a = tp_conv_args(C->P, n);
	weighted(C, n, TS_CONV_FWD, &a, in, out);
}

/* conv_transpose: x w b? -> y. */
static void fwd_conv_transpose(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a = tp_conv_transpose_args(C->P, n);
	weighted(C, n, TS_CONVT_FWD, &a, in, out);
}

/* dense: x w b? -> y. */
static void fwd_dense(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a = tp_dense_args(C->P, n);
	weighted(C, n, TS_DENSE_FWD, &a, in, out);
}

/* A [C] buffer of the node's channels in ACT (statistics). */
static int channel_buf(struct tprog *P, const struct node *n, enum tp_bufkind k, const char *what)
{
	struct shape s = { 1, { n->shape.d[0] } };
	return tp_buf(P, TP_ACT, TP_REAL, k, arena_printf(P->A, "%s.%s", n->name, what), n, false, &s);
}

/* Training mode: copies of the running statistics updated by the kernel
 * (stored back by tp_emit_stats), the batch mean and 1/std saved for the
 * backward.  Inference mode (and a frozen batchnorm): the running
 * statistics. */
static void fwd_batchnorm(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	struct tprog *P = C->P;
	struct tp_node *tn = &P->nodes[n->id];
	union tp_args a = tp_bn_args(P, n), c = tp_count_args(n->shape.d[0], 0);
	int g = tp_param_index(n, "gamma"), b = tp_param_index(n, "beta");
	int rm = tn->param[tp_param_index(n, "running_mean")];
	int rv = tn->param[tp_param_index(n, "running_var")];
	int gamma = g >= 0 ? tn->param[g] : -1, beta = b >= 0 ? tn->param[b] : -1;

	if (!C->train || n->frozen) {
		tn->infer = C->train;
		ad_emit(C, TS_BN_FWD_INFER, n, &a, 6, in[0], gamma, beta, rm, rv, out);
		return;
	}
	if (tn->saved[0] < 0) {
		tn->saved[0] = channel_buf(P, n, TB_SAVED, "mean");
		tn->saved[1] = channel_buf(P, n, TB_SAVED, "invstd");
		tn->stats[0] = channel_buf(P, n, TB_SCRATCH, "running_mean.new");
		tn->stats[1] = channel_buf(P, n, TB_SCRATCH, "running_var.new");
	}
	ad_emit(C, TS_COPY, n, &c, 2, rm, tn->stats[0]);
	ad_emit(C, TS_COPY, n, &c, 2, rv, tn->stats[1]);
	ad_emit(C, TS_BN_FWD_TRAIN, n, &a, 8, in[0], gamma, beta, out, tn->saved[0], tn->saved[1],
		tn->stats[0], tn->stats[1]);
}

/* Copy the statistics the training forward updated back into STATE. */
void tp_emit_stats(struct ad_ctx *C)
{
	struct tprog *P = C->P;
	enum tp_phase ph = C->phase;

	C->phase = TP_STATS;
	for (int i = 0; i < P->net->n; i++) {
		const struct node *n = P->net->nodes[i];
		const struct tp_node *tn = &P->nodes[i];
		union tp_args c;
		if (tn->stats[0] < 0)
			continue;
		c = tp_count_args(n->shape.d[0], 0);
		ad_emit(C, TS_COPY, n, &c, 2, tn->stats[0],
			tn->param[tp_param_index(n, "running_mean")]);
		ad_emit(C, TS_COPY, n, &c, 2, tn->stats[1],
			tn->param[tp_param_index(n, "running_var")]);
	}
	C->phase = ph;
}

/* Training: the Philox mask; inference: a copy. */
static void fwd_dropout(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a = tp_dropout_args(C->P, n);
	if (!C->train) {
		fwd_copy(C, n, in, out);
		return;
	}
	ad_emit(C, TS_DROPOUT_FWD, n, &a, 2, in[0], out);
}

/* maxpool. */
static void fwd_maxpool(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a = tp_pool_args(C->P, n);
	ad_emit(C, TS_MAXPOOL_FWD, n, &a, 2, in[0], out);
}

/* avgpool. */
static void fwd_avgpool(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a = tp_pool_args(C->P, n);
	ad_emit(C, TS_AVGPOOL_FWD, n, &a, 2, in[0], out);
}

/* global_avgpool. */
static void fwd_global_avgpool(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a = tp_gpool_args(C->P, n);
	ad_emit(C, TS_GAVGPOOL_FWD, n, &a, 2, in[0], out);
}

/* global_maxpool. */
static void fwd_global_maxpool(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a = tp_gpool_args(C->P, n);
	ad_emit(C, TS_GMAXPOOL_FWD, n, &a, 2, in[0], out);
}

/* concat, add, multiply: nin inputs and the output. */
static void merge(struct ad_ctx *C, const struct node *n, enum tp_step_kind k,
		  const union tp_args *a, const int *in, int out)
{
	int *buf = arena_array(C->P->A, (size_t)n->nin + 1, sizeof *buf);
	memcpy(buf, in, (size_t)n->nin * sizeof *buf);
	buf[n->nin] = out;
	ad_emitv(C, k, n, a, n->nin + 1, buf, n->nin);
}

/* concat of nin inputs. */
static void fwd_concat(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a = tp_concat_args(C->P, n);
	merge(C, n, TS_CONCAT_FWD, &a, in, out);
}

/* add of nin inputs. */
static void fwd_add(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a;
	memset(&a, 0, sizeof a);
	a.merge.count = tp_numel(C->P, out);
	merge(C, n, TS_ADD_FWD, &a, in, out);
}

/* multiply of nin inputs. */
static void fwd_multiply(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a;
	memset(&a, 0, sizeof a);
	a.merge.count = tp_numel(C->P, out);
	merge(C, n, TS_MUL_FWD, &a, in, out);
}

/* relu. */
static void fwd_relu(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	pointwise(C, n, TS_RELU_FWD, in, out);
}

/* sigmoid. */
static void fwd_sigmoid(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	pointwise(C, n, TS_SIGMOID_FWD, in, out);
}

/* tanh. */
static void fwd_tanh(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	pointwise(C, n, TS_TANH_FWD, in, out);
}

/* gelu. */
static void fwd_gelu(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	pointwise(C, n, TS_GELU_FWD, in, out);
}

/* leaky_relu (alpha = slope). */
static void fwd_leaky_relu(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	pointwise(C, n, TS_LEAKY_RELU_FWD, in, out);
}

/* elu. */
static void fwd_elu(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	pointwise(C, n, TS_ELU_FWD, in, out);
}

/* softmax along its axis. */
static void fwd_softmax(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a = tp_softmax_args(C->P, n);
	ad_emit(C, TS_SOFTMAX_FWD, n, &a, 2, in[0], out);
}

/* upsample. */
static void fwd_upsample(struct ad_ctx *C, const struct node *n, const int *in, int out)
{
	union tp_args a = tp_upsample_args(C->P, n);
	ad_emit(C, TS_UPSAMPLE_FWD, n, &a, 2, in[0], out);
}

static fwd_rule *const rules[OP_COUNT] = {
	[OP_CONV] = fwd_conv,
	[OP_CONV_TRANSPOSE] = fwd_conv_transpose,
	[OP_DENSE] = fwd_dense,
	[OP_BATCHNORM] = fwd_batchnorm,
	[OP_DROPOUT] = fwd_dropout,
	[OP_MAXPOOL] = fwd_maxpool,
	[OP_AVGPOOL] = fwd_avgpool,
	[OP_GLOBAL_AVGPOOL] = fwd_global_avgpool,
	[OP_GLOBAL_MAXPOOL] = fwd_global_maxpool,
	[OP_FLATTEN] = fwd_copy,
	[OP_RESHAPE] = fwd_copy,
	[OP_CONCAT] = fwd_concat,
	[OP_ADD] = fwd_add,
	[OP_MULTIPLY] = fwd_multiply,
	[OP_RELU] = fwd_relu,
	[OP_SIGMOID] = fwd_sigmoid,
	[OP_TANH] = fwd_tanh,
	[OP_GELU] = fwd_gelu,
	[OP_IDENTITY] = fwd_copy,
	[OP_LEAKY_RELU] = fwd_leaky_relu,
	[OP_ELU] = fwd_elu,
	[OP_SOFTMAX] = fwd_softmax,
	[OP_UPSAMPLE] = fwd_upsample,
};

/* Every op but the input has a rule. */
bool tp_forward_complete(void)
{
	for (int i = 0; i < OP_COUNT; i++)
		if (i != OP_INPUT && !rules[i])
			return false;
	return true;
}

/* The values of the inputs, then the op's rule. */
void tp_forward_node(struct ad_ctx *C, const struct node *n)
{
	struct tprog *P = C->P;
	int *in;

	if (n->op == OP_INPUT || !rules[n->op])
		return;
	in = arena_array(P->A, (size_t)(n->nin > 0 ? n->nin : 1), sizeof *in);
	for (int j = 0; j < n->nin; j++)
		in[j] = P->nodes[n->in[j]->id].value;
	rules[n->op](C, n, in, P->nodes[n->id].value);
}
