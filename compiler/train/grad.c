/* grad.c - the gradient rules: the grad column of the op table
 * (compiler/ops.def).  Each emits the backward steps of one node: given
 * the gradient of its output (io->dout, complete), write the gradient of
 * every input that needs one (io->din[j] >= 0) and of every trainable
 * parameter (io->dparam[k] >= 0), overwriting them.  autodiff.c decides
 * which are needed and accumulates where a tensor has several uses.
 *
 * The kernels' formulas are in runtime/kernels (their backward kernels
 * are checked against finite differences in tests/gradcheck). */
#include "autodiff.h"

#include <string.h>

/* The prototypes, from the table itself. */
#define OP(id, name_, min_in_, max_in_, attrs_, flags_, shape_, params_, macs_, grad_, doc_) \
	op_grad_fn grad_;
#include "ops.def"
#undef OP

/* The input placeholder: never differentiated. */
void ad_grad_none(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	(void)C;
	(void)n;
	(void)io;
}

/* x w dy -> dx? dw? db? for conv, conv_transpose and dense. */
static void weighted(struct ad_ctx *C, const struct node *n, enum tp_step_kind k,
		     const union tp_args *a, const struct ad_io *io)
{
	int w = tp_param_index(n, "weight"), b = tp_param_index(n, "bias");
	ad_emit(C, k, n, a, 6, io->in[0], io->param[w], io->dout, io->din[0], io->dparam[w],
		b >= 0 ? io->dparam[b] : -1);
}

/* conv: dx, dw, db by conv_bwd. */
void ad_grad_conv(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a = tp_conv_args(C->P, n);
	weighted(C, n, TS_CONV_BWD, &a, io);
}

/* conv_transpose: dx, dw, db by conv_transpose_bwd. */
void ad_grad_conv_transpose(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a = tp_conv_transpose_args(C->P, n);
	weighted(C, n, TS_CONVT_BWD, &a, io);
}

/* dense: dx, dw, db by dense_bwd. */
void ad_grad_dense(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a = tp_dense_args(C->P, n);
	weighted(C, n, TS_DENSE_BWD, &a, io);
}

/* Training mode: through the batch statistics.  Inference mode (a frozen
 * batchnorm): an affine map per channel, dx = dy * gamma / sqrt(rvar + eps). */
void ad_grad_batchnorm(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a = tp_bn_args(C->P, n);
	int g = tp_param_index(n, "gamma"), b = tp_param_index(n, "beta");
	int gamma = g >= 0 ? io->param[g] : -1;

	if (io->infer) {
		if (io->din[0] >= 0)
			ad_emit(C, TS_BN_BWD_INFER, n, &a, 4, gamma,
				io->param[tp_param_index(n, "running_var")], io->dout, io->din[0]);
		return;
	}
	ad_emit(C, TS_BN_BWD, n, &a, 8, io->in[0], gamma, io->saved[0], io->saved[1], io->dout,
		io->din[0], g >= 0 ? io->dparam[g] : -1, b >= 0 ? io->dparam[b] : -1);
}

/* dropout: the same mask again (same seed, step, layer). */
void ad_grad_dropout(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a = tp_dropout_args(C->P, n);
	ad_emit(C, TS_DROPOUT_BWD, n, &a, 2, io->dout, io->din[0]);
}

/* maxpool: dy to the first maximum of each window. */
void ad_grad_maxpool(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a = tp_pool_args(C->P, n);
	ad_emit(C, TS_MAXPOOL_BWD, n, &a, 3, io->in[0], io->dout, io->din[0]);
}

/* avgpool: dy spread over each window. */
void ad_grad_avgpool(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a = tp_pool_args(C->P, n);
	ad_emit(C, TS_AVGPOOL_BWD, n, &a, 2, io->dout, io->din[0]);
}

/* global_avgpool: dy / positions everywhere. */
void ad_grad_global_avgpool(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a = tp_gpool_args(C->P, n);
	ad_emit(C, TS_GAVGPOOL_BWD, n, &a, 2, io->dout, io->din[0]);
}

/* global_maxpool: dy to the maximum. */
void ad_grad_global_maxpool(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a = tp_gpool_args(C->P, n);
	ad_emit(C, TS_GMAXPOOL_BWD, n, &a, 3, io->in[0], io->dout, io->din[0]);
}

/* flatten, reshape and identity move no data: dx = dy. */
static void copy_back(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a = tp_count_args(tp_numel(C->P, io->dout), 0);
	ad_emit(C, TS_COPY, n, &a, 2, io->dout, io->din[0]);
}

/* flatten: a copy. */
void ad_grad_flatten(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	copy_back(C, n, io);
}

/* reshape: a copy. */
void ad_grad_reshape(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	copy_back(C, n, io);
}

/* identity: a copy. */
void ad_grad_identity(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	copy_back(C, n, io);
}

/* The split writes every part: a part nobody needs goes to scratch. */
void ad_grad_concat(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	struct tprog *P = C->P;
	union tp_args a = tp_concat_args(P, n);
	int *buf = arena_array(P->A, (size_t)n->nin + 1, sizeof *buf);

	buf[0] = io->dout;
	for (int j = 0; j < n->nin; j++)
		buf[1 + j] = io->din[j] >= 0 ? io->din[j]
			   : tp_buf_like(P, io->in[j], TB_SCRATCH,
					 arena_printf(P->A, "discard.%s", P->bufs[io->in[j]].name));
	ad_emitv(C, TS_CONCAT_BWD, n, &a, n->nin + 1, buf, n->nin);
}

/* add: dy to every input that needs it. */
void ad_grad_add(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a;
	int *buf = arena_array(C->P->A, (size_t)n->nin + 1, sizeof *buf);

	memset(&a, 0, sizeof a);
	a.merge.count = tp_numel(C->P, io->dout);
	buf[0] = io->dout;
	memcpy(buf + 1, io->din, (size_t)n->nin * sizeof *buf);
	ad_emitv(C, TS_ADD_BWD, n, &a, n->nin + 1, buf, n->nin);
}

/* multiply: dy times the product of the other inputs. */
void ad_grad_multiply(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a;
	int *buf = arena_array(C->P->A, (size_t)(2 * n->nin + 1), sizeof *buf);

	memset(&a, 0, sizeof a);
	a.merge.count = tp_numel(C->P, io->dout);
	memcpy(buf, io->in, (size_t)n->nin * sizeof *buf);
	buf[n->nin] = io->dout;
	memcpy(buf + n->nin + 1, io->din, (size_t)n->nin * sizeof *buf);
	ad_emitv(C, TS_MUL_BWD, n, &a, 2 * n->nin + 1, buf, n->nin);
}

/* x dy -> dx over the node's elements (activations). */
static void pointwise(struct ad_ctx *C, const struct node *n, enum tp_step_kind k,
		      const struct ad_io *io)
{
	union tp_args a = tp_node_count_args(C->P, n);
	ad_emit(C, k, n, &a, 3, io->in[0], io->dout, io->din[0]);
}

/* relu. */
void ad_grad_relu(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	pointwise(C, n, TS_RELU_BWD, io);
}

/* sigmoid. */
void ad_grad_sigmoid(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	pointwise(C, n, TS_SIGMOID_BWD, io);
}

/* tanh. */
void ad_grad_tanh(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	pointwise(C, n, TS_TANH_BWD, io);
}

/* gelu. */
void ad_grad_gelu(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	pointwise(C, n, TS_GELU_BWD, io);
}

/* leaky_relu. */
void ad_grad_leaky_relu(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	pointwise(C, n, TS_LEAKY_RELU_BWD, io);
}

/* elu. */
void ad_grad_elu(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	pointwise(C, n, TS_ELU_BWD, io);
}

/* From the forward output: dx = y * (dy - sum dy * y). */
void ad_grad_softmax(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a = tp_softmax_args(C->P, n);
	ad_emit(C, TS_SOFTMAX_BWD, n, &a, 3, io->out, io->dout, io->din[0]);
}

/* upsample: the sum of dy over the copies (or the bilinear weights). */
void ad_grad_upsample(struct ad_ctx *C, const struct node *n, const struct ad_io *io)
{
	union tp_args a = tp_upsample_args(C->P, n);
	ad_emit(C, TS_UPSAMPLE_BWD, n, &a, 2, io->dout, io->din[0]);
}
